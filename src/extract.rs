//! Request extractors shared by every handler: the JSON body (read whatever the Content-Type) and
//! the query string, both failing with the ImpactAPI envelope.

use crate::error::{ApiError, ApiResult};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Largest accepted body (SPEC 1).
pub const BODY_LIMIT: usize = 256 * 1024;

/// How long a body may take to arrive, so a slow client cannot hold a worker (set from
/// `--request-timeout` as app data; this is the default).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub std::time::Duration);

impl Default for BodyTimeout {
    fn default() -> Self {
        BodyTimeout(std::time::Duration::from_secs(10))
    }
}

/// The request body parsed as JSON, `None` when it is empty. Content-Type is not required.
pub struct JsonBody {
    pub value: Option<Value>,
    /// The raw bytes, kept for idempotency fingerprints.
    pub raw: web::Bytes,
}

impl JsonBody {
    /// The body as an object; an empty body is a 400 here.
    pub fn object(self) -> ApiResult<Map<String, Value>> {
        match self.value {
            Some(Value::Object(m)) => Ok(m),
            Some(_) => Err(ApiError::InvalidJson(
                "Request body must be a JSON object".into(),
            )),
            None => Err(ApiError::InvalidJson("Request body is empty".into())),
        }
    }

    /// The body as an object where every field is optional: an empty body counts as `{}`.
    pub fn object_or_empty(self) -> ApiResult<Map<String, Value>> {
        match self.value {
            None => Ok(Map::new()),
            _ => self.object(),
        }
    }
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        let limit = req.app_data::<BodyTimeout>().copied().unwrap_or_default().0;
        let req = req.clone();
        Box::pin(async move {
            let raw = tokio::time::timeout(limit, bytes)
                .await
                .map_err(|_| ApiError::Timeout)?
                .map_err(|e| {
                    if e.as_response_error().status_code().as_u16() == 413 {
                        ApiError::TooLarge
                    } else {
                        ApiError::InvalidJson(format!("Could not read the request body: {e}"))
                    }
                })?;
            // For the request log, which keeps what was sent even when it does not parse.
            req.extensions_mut()
                .insert(crate::request_log::RawBody(raw.clone()));
            if raw.iter().all(u8::is_ascii_whitespace) {
                return Ok(JsonBody { value: None, raw });
            }
            let value = serde_json::from_slice::<Value>(&raw).map_err(|e| {
                ApiError::InvalidJson(format!("Request body is not valid JSON: {e}"))
            })?;
            Ok(JsonBody {
                value: Some(value),
                raw,
            })
        })
    }
}

/// The query string as a map (the last value of a repeated name wins).
pub struct QueryMap(pub HashMap<String, String>);

impl QueryMap {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl FromRequest for QueryMap {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .map(|pairs| QueryMap(pairs.into_iter().collect()))
            .map_err(|_| ApiError::field("query", "is not a valid query string"));
        std::future::ready(parsed)
    }
}

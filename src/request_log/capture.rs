//! The middleware that records each API request of an organization into the log.

use super::entry::{header_lines, Body, Entry};
use super::{redact, Org, RawBody, RequestLog};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use std::time::Instant;

/// Whether a path is part of the public API (anything but the operator's and the server's own
/// pages: the console, the demo checkout, metrics, health and the OpenAPI document).
fn is_api_path(path: &str) -> bool {
    !(path.starts_with("/admin")
        || path.starts_with("/demo")
        || matches!(path, "/metrics" | "/healthz" | "/openapi.json"))
}

/// `/sessions/{id}` and `/sessions/{id}/...`: the session a secret-holding caller acted on.
fn session_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/sessions/")?;
    let id = rest.split('/').next()?;
    crate::domain::parse_id(id).is_some().then_some(id)
}

/// The organization a finished request belongs to: the one its API key named, or (for a
/// session-secret call, or a replayed idempotent response that never reached a handler) looked up.
async fn organization(res: &ServiceResponse<BoxBody>, state: Option<&AppState>) -> Option<String> {
    if let Some(org) = res.request().extensions().get::<Org>() {
        return Some(org.0.clone());
    }
    let state = state?;
    let req = res.request();
    if let Some(token) = crate::auth::bearer(req) {
        if res.status().as_u16() == 401 {
            return None;
        }
        let key = state
            .keys
            .authenticate(&state.db, &state.clock, &token)
            .await;
        return key.ok().map(|k| k.org_id);
    }
    if req.headers().contains_key("x-session-secret") {
        let id = session_of(req.path())?.to_string();
        return state
            .db
            .read_statement(move |conn| {
                use rusqlite::OptionalExtension;
                Ok(conn
                    .prepare_cached("SELECT org_id FROM sessions WHERE id = ?1")?
                    .query_row([&id], |r| r.get::<_, String>(0))
                    .optional()?)
            })
            .ok()
            .flatten();
    }
    None
}

/// The middleware (registered outside `outermost`, so it sees the final status, body and
/// correlation id). Requests that name no organization (the console, `/healthz`, a bad key) are
/// not logged.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let log = req
        .app_data::<web::Data<RequestLog>>()
        .filter(|l| l.enabled())
        .cloned();
    let Some(log) = log else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if !is_api_path(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let at = state.as_ref().map_or(0, |s| s.clock.now_micros());
    let method = req.method().as_str().to_string();
    let path = req.path().to_string();
    let query = redact::redact_query(req.query_string());
    let request_headers = header_lines(req.headers());
    let idempotency_key = req
        .headers()
        .get(crate::idempotency::HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());

    let res = next.call(req).await?.map_into_boxed_body();
    let Some(org_id) = organization(&res, state.as_ref().map(|s| s.get_ref())).await else {
        return Ok(res);
    };
    let request_body = res
        .request()
        .extensions()
        .get::<RawBody>()
        .map(|b| Body::capture(&b.0))
        .unwrap_or_else(|| Body::capture(b""));
    let (http_req, response) = res.into_parts();
    let status = response.status().as_u16();
    let response_headers = header_lines(response.headers());
    let (head, body) = response.into_parts();
    let (response, response_body) = match body.try_into_bytes() {
        Ok(bytes) => {
            let kept = Body::capture_owned(&bytes);
            (head.set_body(BoxBody::new(bytes)), Some(kept))
        }
        // A streamed body (an export) is passed on untouched and not kept.
        Err(body) => (head.set_body(body), None),
    };
    let correlation_id = response
        .headers()
        .get(crate::middleware::CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    log.push(Entry {
        seq: 0,
        org_id,
        correlation_id,
        method,
        path,
        query,
        status,
        duration_micros: started.elapsed().as_micros() as u64,
        at,
        idempotency_key,
        request_headers,
        request_body,
        response_headers,
        response_body,
    });
    Ok(ServiceResponse::new(http_req, response))
}

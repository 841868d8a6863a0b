//! `Idempotency-Key` on POST: the same key with the same body within 24 hours replays the first
//! successful response (status and body) without doing the work again; the same key with another
//! body is 422 `idempotency.key-reused`. Keys belong to the organization of the API key. Concurrent
//! requests with one key wait for each other, so the work happens once.
//!
//! Only 2xx responses are stored: a request that failed did no work, and may be retried with its
//! key. The record is written right after the work commits, in a separate transaction; a crash
//! between the two leaves the work done and the key unrecorded, so a retry would do it again.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const HEADER: &str = "idempotency-key";
/// How long a key is remembered.
pub const RETENTION_MICROS: i64 = 24 * 3600 * 1_000_000;
const MAX_KEY_CHARS: usize = 255;

/// The lock a request holds while it runs with its key.
type KeyLock = Arc<tokio::sync::Mutex<()>>;

/// Per-(organization, key) locks of requests in progress.
#[derive(Default)]
pub struct InFlight {
    locks: Mutex<HashMap<(String, String), KeyLock>>,
}

impl InFlight {
    fn lock_for(&self, org: &str, key: &str) -> KeyLock {
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        map.entry((org.to_string(), key.to_string()))
            .or_default()
            .clone()
    }

    fn release(&self, org: &str, key: &str, lock: KeyLock) {
        let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Two references: the map's and ours. Then nobody else waits on it.
        if Arc::strong_count(&lock) <= 2 {
            map.remove(&(org.to_string(), key.to_string()));
        }
    }
}

struct Stored {
    fingerprint: Vec<u8>,
    status: u16,
    body: Vec<u8>,
}

fn error_response(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

/// See the module doc. Registered with `actix_web::middleware::from_fn`, inside the outermost one.
pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = match req.headers().get(HEADER) {
        Some(v) if req.method() == Method::POST => {
            v.to_str().map(str::to_string).unwrap_or_default()
        }
        _ => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
    };
    if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
        let e = ApiError::field("Idempotency-Key", "must be 1 to 255 characters");
        return Ok(error_response(req, e));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let token = crate::auth::bearer(req.request());
    let org = match token {
        Some(t) => state
            .keys
            .authenticate(&state.db, &state.clock, &t)
            .await
            .ok()
            .map(|k| k.org_id),
        None => None,
    };
    // Without a valid key the request fails authentication below and does no work.
    let Some(org) = org else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let limit = req
        .app_data::<crate::extract::BodyTimeout>()
        .copied()
        .unwrap_or_default()
        .0;
    let read = tokio::time::timeout(limit, req.extract::<web::Bytes>()).await;
    let Ok(read) = read else {
        return Ok(error_response(req, ApiError::Timeout));
    };
    let body = match read {
        Ok(b) => b,
        Err(e) if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(error_response(req, ApiError::TooLarge))
        }
        Err(_) => {
            return Ok(error_response(
                req,
                ApiError::InvalidJson("Could not read the request body".into()),
            ))
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(req.path().as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    let fingerprint = hasher.finalize().to_vec();
    // For the request log: a replay never reaches the body extractor that records it.
    req.extensions_mut()
        .insert(crate::request_log::RawBody(body.clone()));
    req.set_payload(actix_web::dev::Payload::from(body));

    let in_flight = req
        .app_data::<web::Data<InFlight>>()
        .cloned()
        .unwrap_or_default();
    let lock = in_flight.lock_for(&org, &key);
    let result = {
        let _guard = lock.lock().await;
        handle(req, next, &state, &org, &key, fingerprint).await
    };
    in_flight.release(&org, &key, lock);
    result
}

async fn handle(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: &AppState,
    org: &str,
    key: &str,
    fingerprint: Vec<u8>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let now = state.clock.now_micros();
    let stored = lookup(state, org, key, now - RETENTION_MICROS).await?;
    if let Some(stored) = stored {
        if stored.fingerprint != fingerprint {
            let e = ApiError::Unprocessable {
                code: "idempotency.key-reused",
                message: "This Idempotency-Key was used with a different request",
            };
            return Ok(error_response(req, e));
        }
        let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
        let response = HttpResponse::build(status)
            .content_type("application/json")
            .insert_header(("Idempotent-Replayed", "true"))
            .body(stored.body);
        return Ok(req.into_response(response));
    }
    let response = next.call(req).await?;
    if !response.status().is_success() {
        return Ok(response.map_into_boxed_body());
    }
    let (http_req, res) = response.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| ApiError::Internal("unreadable response body".into()))?;
    let status = head.status().as_u16();
    let record = (
        org.to_string(),
        key.to_string(),
        http_req.path().to_string(),
        fingerprint,
        bytes.to_vec(),
    );
    let stored = state
        .db
        .write(move |conn| {
            let (org, key, path, fingerprint, body) = record;
            conn.prepare_cached(
                "INSERT INTO idempotency_keys (org_id, key, method_path, body_hash, status, response, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (org_id, key) DO UPDATE SET method_path = excluded.method_path,
                    body_hash = excluded.body_hash, status = excluded.status, response = excluded.response,
                    created_at = excluded.created_at",
            )?
            .execute(params![org, key, format!("POST {path}"), fingerprint, status, body, now])?;
            Ok(())
        })
        .await;
    // The work is done and committed: answer it even if its key could not be recorded.
    if let Err(e) = stored {
        tracing::error!(error = %e, "could not record the Idempotency-Key");
    }
    let rebuilt = head.set_body(bytes).map_into_boxed_body();
    Ok(ServiceResponse::new(http_req, rebuilt))
}

async fn lookup(state: &AppState, org: &str, key: &str, since: i64) -> ApiResult<Option<Stored>> {
    let (org, key) = (org.to_string(), key.to_string());
    state
        .db
        .read(move |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT body_hash, status, response FROM idempotency_keys
                     WHERE org_id = ?1 AND key = ?2 AND created_at >= ?3",
                )?
                .query_row(params![org, key, since], |r| {
                    Ok(Stored {
                        fingerprint: r.get(0)?,
                        status: r.get(1)?,
                        body: r.get(2)?,
                    })
                })
                .optional()?)
        })
        .await
}

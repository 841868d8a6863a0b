//! `GET /healthz` (200 when the database answers) and `GET /openapi.json`.

use crate::api::Endpoint;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::sync::OnceLock;

/// 200 `{"status": "ok"}` when the database answers (with `"mode": "read-only"` on a read
/// replica); 503 `degraded` with its reason while writes fail for a full disk. While degraded, each check tries a small write of its own, so the status
/// turns back to ok as soon as space is freed, without waiting for traffic.
async fn check(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .db
        .read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await?;
    if state.db.is_read_only() {
        return Ok(HttpResponse::Ok().json(json!({ "status": "ok", "mode": "read-only" })));
    }
    if state.db.storage_full() {
        let now = state.clock.now_micros();
        let probe = state
            .db
            .write(move |conn| Ok(crate::store::orgs::record_storage_probe(conn, now)?))
            .await;
        if let Err(e) = probe {
            if !matches!(e, crate::error::ApiError::StorageFull) {
                tracing::warn!(error = %e, "storage probe failed");
            }
            let mut degraded = HttpResponse::ServiceUnavailable()
                .insert_header((
                    actix_web::http::header::RETRY_AFTER,
                    crate::error::STORAGE_RETRY_AFTER,
                ))
                .json(json!({ "status": "degraded", "reason": "storage-full" }));
            degraded.extensions_mut().insert(crate::middleware::OwnBody);
            return Ok(degraded);
        }
    }
    Ok(HttpResponse::Ok().json(json!({ "status": "ok" })))
}

/// The document is built once from the route table.
async fn openapi() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body =
        DOCUMENT.get_or_init(|| crate::openapi::document(&crate::api::endpoints()).to_string());
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/healthz", || web::get().to(check)),
        Endpoint::new(Method::GET, "/openapi.json", || web::get().to(openapi)),
    ]
}

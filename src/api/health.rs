//! `GET /healthz` (200 when the database answers) and `GET /openapi.json`.

use crate::api::Endpoint;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::sync::OnceLock;

async fn check(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .db
        .read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await?;
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

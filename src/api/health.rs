//! `GET /healthz`: 200 when the database answers.

use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

async fn check(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .db
        .read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ok" })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(check)));
}

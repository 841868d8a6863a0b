//! The HTTP surface: every route, mounted in one place.

pub mod campaigns;
pub mod directory;
pub mod health;
pub mod intents;
pub mod session_input;
pub mod sessions;

use crate::error::ApiError;
use actix_web::web;

/// Mounts every route; the tests mount this very map.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    campaigns::configure(cfg);
    directory::configure(cfg);
    intents::configure(cfg);
    sessions::configure(cfg);
    crate::admin::configure(cfg);
    cfg.default_service(web::to(|| async {
        Err::<actix_web::HttpResponse, _>(ApiError::RouteNotFound)
    }));
}

/// `{"data": value}` with 200.
pub fn ok<T: serde::Serialize>(data: T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(serde_json::json!({ "data": data }))
}

/// `{"data": value}` with 201.
pub fn created<T: serde::Serialize>(data: T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created().json(serde_json::json!({ "data": data }))
}

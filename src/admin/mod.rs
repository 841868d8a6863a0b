//! The operator surface: embedded static pages (`/admin`, `/demo`), the admin JSON API, and the
//! demo checkout's sandbox endpoints.

pub mod api;
pub mod assets;
pub mod demo;
pub mod reports;
pub mod sandbox;
pub mod webhooks;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    reports::configure(cfg);
    sandbox::configure(cfg);
    webhooks::configure(cfg);
    api::configure(cfg);
    crate::metrics::configure(cfg);
    demo::configure(cfg);
    assets::configure(cfg);
}

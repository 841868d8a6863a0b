//! The HTTP ceiling baseline of `make bench`: a minimal actix-web server, built like the real one
//! (one worker per core, same keep-alive), whose only handler returns a small JSON body.
//!
//! `cargo run --release --example http_ceiling -- --bind 127.0.0.1:PORT`

use actix_web::{web, App, HttpResponse, HttpServer};
use std::time::Duration;

/// The body is read (empty for the GET baselines): the webhook bench uses this server as its
/// receiver, and actix closes a connection whose request body was left unread, so an unread body
/// would cost the sender a new connection per delivery, which no real receiver (that reads the
/// body to verify its signature) would.
async fn small(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "data": { "status": "ok" } }))
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bind = args
        .iter()
        .position(|a| a == "--bind")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8099".into());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().default_service(web::to(small)))
            .workers(workers)
            .keep_alive(Duration::from_secs(30))
            .bind(&bind)?
            .run()
            .await
    })
}

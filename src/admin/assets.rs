//! Static files from `static/`, compiled into the binary with rust-embed.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// The admin console may run only its own scripts and styles, and talk only to this server.
const ADMIN_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Serves one embedded file: its content type, an ETag, `no-cache` for pages (always revalidated)
/// and a day of caching for other assets.
fn serve(req: &HttpRequest, path: &str) -> HttpResponse {
    let Some(file) = Static::get(path) else {
        return HttpResponse::from_error(crate::error::ApiError::RouteNotFound);
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let is_page = path.ends_with(".html");
    let mut response = HttpResponse::Ok();
    response
        .content_type(file.metadata.mimetype())
        .insert_header((header::ETAG, etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CACHE_CONTROL,
            if is_page {
                "no-cache"
            } else {
                "public, max-age=86400"
            },
        ));
    if is_page {
        response.insert_header((header::CONTENT_SECURITY_POLICY, ADMIN_CSP));
        response.insert_header((header::REFERRER_POLICY, "no-referrer"));
    }
    response.body(file.data.into_owned())
}

async fn admin_index(req: HttpRequest) -> HttpResponse {
    serve(&req, "admin/index.html")
}

async fn demo_index(req: HttpRequest) -> HttpResponse {
    serve(&req, "demo/index.html")
}

async fn file(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (area, name) = path.into_inner();
    if name.contains("..") || name.starts_with('/') {
        return HttpResponse::from_error(crate::error::ApiError::RouteNotFound);
    }
    serve(&req, &format!("{area}/{name}"))
}

async fn redirect(req: HttpRequest) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, format!("{}/", req.path())))
        .finish()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin").route(web::get().to(redirect)))
        .service(web::resource("/admin/").route(web::get().to(admin_index)))
        .service(web::resource("/demo").route(web::get().to(redirect)))
        .service(web::resource("/demo/").route(web::get().to(demo_index)))
        .service(web::resource("/{area:admin|demo}/{name:.+}").route(web::get().to(file)));
}

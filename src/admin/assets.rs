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

/// The demo also frames this server's `/widget` for its customer step.
const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; font-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The content type of an embedded file; text types say they are UTF-8, so a script's non-ASCII
/// text (emoji, currency signs) never depends on the page's encoding.
fn content_type(mimetype: &str) -> String {
    let textual = mimetype.starts_with("text/")
        || mimetype.ends_with("javascript")
        || mimetype.ends_with("json")
        || mimetype.ends_with("+xml");
    if textual && !mimetype.contains("charset") {
        format!("{mimetype}; charset=utf-8")
    } else {
        mimetype.to_string()
    }
}

/// Serves one embedded file: its content type, an ETag, and `no-cache` (always revalidated, a 304
/// when unchanged). File names carry no version, so a day of caching would pair a new page with
/// the previous release's script after an upgrade.
pub(crate) fn serve(req: &HttpRequest, path: &str) -> HttpResponse {
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
        .content_type(content_type(file.metadata.mimetype()))
        .insert_header((header::ETAG, etag))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if is_page {
        let csp = if path.starts_with("demo/") {
            DEMO_CSP
        } else {
            ADMIN_CSP
        };
        response.insert_header((header::CONTENT_SECURITY_POLICY, csp));
        response.insert_header((header::REFERRER_POLICY, "no-referrer"));
    }
    response.body(file.data.into_owned())
}

/// The bytes of an embedded file (for tests that check what ships).
pub fn embedded(path: &str) -> Option<Vec<u8>> {
    Static::get(path).map(|f| f.data.into_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_say_utf8() {
        assert_eq!(content_type("text/html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("text/javascript"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type("application/json"),
            "application/json; charset=utf-8"
        );
        assert_eq!(content_type("image/png"), "image/png");
    }

    #[test]
    fn every_page_and_its_assets_are_embedded() {
        for path in [
            "admin/index.html",
            "admin/app.js",
            "admin/app.css",
            "admin/webhooks.js",
            "demo/index.html",
            "demo/demo.js",
            "demo/demo.css",
        ] {
            assert!(Static::get(path).is_some(), "{path} is not embedded");
        }
    }
}

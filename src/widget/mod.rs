//! The embeddable checkout widget (SPEC 10): the `/widget` page, its same-origin data routes, and
//! `/widget/sdk.js`. The static files live in `static/widget/` and are compiled into the binary
//! with the console's; these routes are public and listed in `/openapi.json` (see `openapi::operation`).

pub mod openapi;
pub mod session_data;
mod verbs;

use crate::admin::assets;
use crate::api::Endpoint;
use crate::auth::secrets_equal;
use crate::clock::format_micros;
use crate::domain::parse_id;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::state::{AppState, Catalog};
use crate::store::campaigns::Campaign;
use crate::store::sessions;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use session_data::{SessionData, WidgetCampaign};

/// The page may run only its own script and style, talk only to this server, and be framed by any
/// checkout (SPEC 10): no `X-Frame-Options`, `frame-ancestors *`.
const WIDGET_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *";

/// The four style modes; anything else (or none) renders `light`.
const STYLE_MODES: [&str; 4] = ["gradient", "solid", "light", "dark"];

/// Most campaigns one preview may ask for (a session offers at most 10).
const MAX_PREVIEW_CAMPAIGNS: usize = 10;

/// `GET /widget`: the page, with the style mode already on `<html>` so the first paint is in
/// that mode (no flash), and the server's version for the `ready` message. Not cached: the page
/// differs by query.
async fn page(query: QueryMap) -> HttpResponse {
    let Some(bytes) = assets::embedded("widget/index.html") else {
        return HttpResponse::from_error(ApiError::RouteNotFound);
    };
    let style = query
        .get("styleMode")
        .filter(|s| STYLE_MODES.contains(s))
        .unwrap_or("light");
    let html = String::from_utf8_lossy(&bytes)
        .replace("data-style=\"light\"", &format!("data-style=\"{style}\""))
        .replace(
            "data-version=\"\"",
            &format!("data-version=\"{}\"", version()),
        );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, WIDGET_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html)
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// A script of the widget, as `text/javascript`.
fn script(req: &HttpRequest, path: &str) -> HttpResponse {
    let mut response = assets::serve(req, path);
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        );
    }
    response
}

/// `GET /widget/sdk.js`: importable from a checkout on any origin.
async fn sdk(req: HttpRequest) -> HttpResponse {
    let mut response = script(&req, "widget/sdk.js");
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn page_script(req: HttpRequest) -> HttpResponse {
    script(&req, "widget/widget.js")
}

async fn page_style(req: HttpRequest) -> HttpResponse {
    assets::serve(&req, "widget/widget.css")
}

/// `GET /widget/api/sessions/{id}`: the session as `SessionData` and the server's time. An
/// interactive session needs its secret; a `portion_of_sales` one has none and its view holds no
/// customer, vendor or metadata, so its id is enough (SPEC 10).
async fn session(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id).ok_or(ApiError::NotFound("session"))?;
    let catalog = state.catalog.get(&state.db).await?;
    let now = state.clock.now_micros();
    let row = state
        .db
        .read_statement(|conn| Ok(sessions::find(conn, &id)?))?
        .ok_or(ApiError::NotFound("session"))?;
    if row.kind.is_interactive() {
        let given = req
            .headers()
            .get("x-session-secret")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let held = row.secret.as_deref().unwrap_or_default();
        if given.is_empty() || !secrets_equal(held.as_bytes(), given.as_bytes()) {
            return Err(ApiError::Unauthorized);
        }
    }
    Ok(HttpResponse::Ok().json(json!({
        "data": SessionData::build(&row, &catalog, now),
        "now": format_micros(now),
    })))
}

/// `GET /widget/api/campaigns?identifiers=a,b&amount=N`: active campaigns with the impact of
/// `amount`, for preview mode. Without `identifiers`, every active campaign (ordered by name).
async fn campaigns(query: QueryMap, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.get(&state.db).await?;
    let (chosen, amount) = preview_query(&query, &catalog)?;
    let data: Vec<WidgetCampaign> = chosen
        .into_iter()
        .map(|c| WidgetCampaign::with_impact(c, amount))
        .collect();
    Ok(crate::api::ok(data))
}

/// The campaigns and amount a preview asks for; every problem in one 422.
fn preview_query<'a>(
    query: &QueryMap,
    catalog: &'a Catalog,
) -> ApiResult<(Vec<&'a Campaign>, i64)> {
    let mut errors = FieldErrors::new();
    let amount = match query.get("amount").map(str::parse::<i64>) {
        Some(Ok(n)) if (1..=1_000_000_000).contains(&n) => n,
        Some(_) => {
            errors.add("amount", "must be an integer between 1 and 1000000000");
            0
        }
        None => {
            errors.add("amount", "is required");
            0
        }
    };
    let chosen = match query.get("identifiers") {
        None => catalog.campaigns.iter().filter(|c| c.active).collect(),
        Some(list) => {
            let ids: Vec<&str> = list.split(',').map(str::trim).collect();
            if ids.len() > MAX_PREVIEW_CAMPAIGNS {
                errors.add("identifiers", "at most 10 campaigns");
            }
            let mut found: Vec<&Campaign> = Vec::new();
            for id in ids {
                match catalog.active(id) {
                    Some(c) if found.iter().any(|f| f.identifier == c.identifier) => {
                        errors.add("identifiers", format!("{id} is listed twice"))
                    }
                    Some(c) => found.push(c),
                    None => errors.add("identifiers", format!("{id} is not an active campaign")),
                }
            }
            found
        }
    };
    errors.into_result()?;
    Ok((chosen, amount))
}

/// The widget's public routes, mounted with the API's (`api::endpoints`).
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/widget", || web::get().to(page)),
        Endpoint::new(Method::GET, "/widget/", || web::get().to(page)),
        Endpoint::new(Method::GET, "/widget/sdk.js", || web::get().to(sdk)),
        Endpoint::new(Method::GET, "/widget/widget.js", || {
            web::get().to(page_script)
        }),
        Endpoint::new(Method::GET, "/widget/widget.css", || {
            web::get().to(page_style)
        }),
        Endpoint::new(Method::GET, "/widget/api/sessions/{id}", || {
            web::get().to(session)
        }),
        Endpoint::new(Method::GET, "/widget/api/campaigns", || {
            web::get().to(campaigns)
        }),
    ]
}

#[cfg(test)]
mod tests {
    /// SPEC 10: the page's HTML, JS and CSS stay under 60 KB uncompressed.
    #[test]
    fn the_page_and_its_files_stay_under_60_kb() {
        let sizes: Vec<(&str, usize)> = ["index.html", "widget.js", "widget.css"]
            .iter()
            .map(|name| {
                let path = format!("static/widget/{name}");
                let bytes = crate::admin::assets::embedded(&format!("widget/{name}"))
                    .unwrap_or_else(|| panic!("{path} is not embedded"));
                (*name, bytes.len())
            })
            .collect();
        let total: usize = sizes.iter().map(|(_, n)| n).sum();
        assert!(total < 60 * 1024, "widget page is {total} bytes: {sizes:?}");
        // The SDK is a separate download for the checkout; keep it small too.
        let sdk = crate::admin::assets::embedded("widget/sdk.js").expect("sdk.js is embedded");
        assert!(sdk.len() < 30 * 1024, "sdk.js is {} bytes", sdk.len());
    }

    #[test]
    fn every_widget_route_is_documented() {
        for e in super::endpoints() {
            assert!(
                super::openapi::operation(e.method.as_str(), &e.path).is_some(),
                "{} {}",
                e.method,
                e.path
            );
        }
    }
}

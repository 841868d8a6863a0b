//! The embeddable checkout widget (SPEC 10): the `/widget` page, its same-origin data routes, and
//! `/widget/sdk.js`. The static files live in `static/widget/` and are compiled into the binary
//! with the console's; these routes are public and listed in `/openapi.json` (see `operation`).

pub mod session_data;

use crate::admin::assets;
use crate::api::Endpoint;
use crate::auth::secrets_equal;
use crate::clock::format_micros;
use crate::domain::parse_id;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::openapi::{Auth, Operation};
use crate::state::AppState;
use crate::store::sessions;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
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
/// that mode (no flash), and the server's version for the `ready` message.
async fn page(req: HttpRequest, query: QueryMap) -> HttpResponse {
    let mut response = assets::serve(&req, "widget/index.html");
    if !response.status().is_success() {
        return response;
    }
    let style = query
        .get("styleMode")
        .filter(|s| STYLE_MODES.contains(s))
        .unwrap_or("light");
    let html = match std::str::from_utf8(
        &actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap_or_default(),
    ) {
        Ok(text) => text
            .replace("data-style=\"light\"", &format!("data-style=\"{style}\""))
            .replace(
                "data-version=\"\"",
                &format!("data-version=\"{}\"", version()),
            ),
        Err(_) => return HttpResponse::from_error(ApiError::Internal("widget page".into())),
    };
    response = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, WIDGET_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html);
    response
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
    let catalog = state.catalog.get(&state.db).await?;
    let wanted: Option<Vec<&str>> = query
        .get("identifiers")
        .map(|list| list.split(',').map(str::trim).collect());
    let chosen: Vec<_> = match &wanted {
        None => catalog.campaigns.iter().filter(|c| c.active).collect(),
        Some(ids) => {
            if ids.len() > MAX_PREVIEW_CAMPAIGNS {
                errors.add("identifiers", "at most 10 campaigns");
            }
            let mut found = Vec::new();
            for id in ids {
                match catalog.active(id) {
                    Some(c) if !found.iter().any(|f: &&_| std::ptr::eq(*f, c)) => found.push(c),
                    Some(_) => errors.add("identifiers", format!("{id} is listed twice")),
                    None => errors.add("identifiers", format!("{id} is not an active campaign")),
                }
            }
            found
        }
    };
    errors.into_result()?;
    let data: Vec<WidgetCampaign> = chosen
        .into_iter()
        .map(|c| WidgetCampaign::with_impact(c, amount))
        .collect();
    Ok(crate::api::ok(data))
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

/// What `/openapi.json` says of each widget route. A response named `text/...` is that media type.
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    let o = |summary, query, response| Operation {
        summary,
        auth: Auth::None,
        query,
        body: None,
        status: 200,
        response,
    };
    Some(match (method, path) {
        ("GET", "/widget" | "/widget/") => o(
            "The embeddable checkout widget page (framable from any origin)",
            &["sessionId", "styleMode", "previewMode"],
            "text/html",
        ),
        ("GET", "/widget/sdk.js") => o(
            "The widget SDK, an ES module (createWidget, createPreviewWidget)",
            &[],
            "text/javascript",
        ),
        ("GET", "/widget/widget.js") => o("The widget page's script", &[], "text/javascript"),
        ("GET", "/widget/widget.css") => o("The widget page's style sheet", &[], "text/css"),
        ("GET", "/widget/api/sessions/{id}") => Operation {
            auth: Auth::Secret,
            ..o(
                "A session as the widget shows it (SessionData), with the server's time",
                &[],
                "WidgetSession",
            )
        },
        ("GET", "/widget/api/campaigns") => o(
            "Active campaigns with the impact of an amount (preview mode)",
            &["identifiers", "amount"],
            "WidgetCampaignList",
        ),
        _ => return None,
    })
}

/// The component schemas of the widget's JSON bodies.
pub fn schemas() -> Map<String, Value> {
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let text = json!({"type": "string"});
    let nullable_text = json!({"type": ["string", "null"]});
    let value = json!({
        "WidgetImpactMetric": {
            "type": "object",
            "required": ["identifier", "name", "verbPast", "verbImperative", "impactObjectSingular", "impactObjectPlural", "impactToDollarRatio"],
            "properties": {
                "identifier": text, "name": text, "description": nullable_text,
                "verbSingular": text, "verbPlural": text, "verbPast": text, "verbProgressive": text,
                "verbImperative": text, "impactObjectSingular": text, "impactObjectPlural": text,
                "unit": text, "emoji": nullable_text, "icon": nullable_text,
                "impactToDollarRatio": {"type": "number"}
            }
        },
        "WidgetImpactCalculation": {
            "type": "object", "required": ["campaignIdentifier", "amount", "impactText"],
            "properties": {"campaignIdentifier": text, "amount": {"type": "integer"}, "impactText": text}
        },
        "WidgetCampaign": {
            "type": "object", "required": ["id", "slug", "organizationName", "impactMetrics"],
            "properties": {
                "id": text, "slug": text, "organizationName": text, "description": nullable_text,
                "imageUrl": nullable_text,
                "impactMetrics": {"type": "array", "items": r("WidgetImpactMetric")},
                "impact": {"type": "array", "items": r("WidgetImpactCalculation")}
            }
        },
        "WidgetAllocation": {
            "type": "object", "required": ["campaignIdentifier", "amount", "campaign"],
            "properties": {
                "campaignIdentifier": text, "amount": {"type": "integer"},
                "campaign": {"oneOf": [r("WidgetCampaign"), {"type": "null"}]}
            }
        },
        "WidgetSessionData": {
            "type": "object",
            "required": ["id", "type", "status", "expiresAt", "campaigns", "allocations", "selectedCampaign", "optedOut", "impact"],
            "properties": {
                "id": text,
                "type": {"type": "string", "enum": ["add_on", "portion_of_sales_choice", "portion_of_sales"]},
                "amount": {"type": "integer", "description": "Absent for portion_of_sales"},
                "status": {"type": "string", "enum": ["active", "processing", "confirmed", "expired"]},
                "expiresAt": text,
                "campaigns": {"type": "array", "items": r("WidgetCampaign")},
                "allocations": {"type": "array", "items": r("WidgetAllocation")},
                "selectedCampaign": nullable_text,
                "optedOut": {"type": "boolean"},
                "impact": {"type": "array", "items": r("WidgetImpactCalculation")}
            }
        },
        "WidgetSession": {
            "type": "object", "required": ["data", "now"],
            "properties": {"data": r("WidgetSessionData"), "now": text}
        },
        "WidgetCampaignList": {
            "type": "object", "required": ["data"],
            "properties": {"data": {"type": "array", "items": r("WidgetCampaign")}}
        }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
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
                super::operation(e.method.as_str(), &e.path).is_some(),
                "{} {}",
                e.method,
                e.path
            );
        }
    }
}

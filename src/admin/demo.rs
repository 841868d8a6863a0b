//! The demo checkout's merchant side, for the Sandbox organization only: create an `add_on`
//! session, process and confirm it. Creating needs no credential, so that `/demo` works on a fresh
//! `make run` with nothing to paste; processing and confirming need the session's own secret
//! (which only its creator saw) and work only on sessions the demo created (marked
//! `metadata.demo = true`). The customer side uses the public session-secret endpoints.

use crate::api::sessions::{confirm_as, create_in, process_as};
use crate::auth::{secrets_equal, ApiKey};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

fn sandbox(state: &AppState) -> ApiKey {
    ApiKey {
        org_id: state.sandbox_org_id.clone(),
        key_id: "demo".into(),
    }
}

/// Creates an `add_on` session for the Sandbox: body `{"amount", "available_campaigns"}`.
async fn create(state: web::Data<AppState>, body: JsonBody) -> ApiResult<HttpResponse> {
    let mut map = body.object()?;
    map.insert("type".into(), json!("add_on"));
    map.retain(|k, _| {
        matches!(
            k.as_str(),
            "type" | "amount" | "available_campaigns" | "approximated" | "metadata"
        )
    });
    let mut metadata = match map.remove("metadata") {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    metadata.insert(DEMO_MARK.into(), json!(true));
    map.insert("metadata".into(), Value::Object(metadata));
    let raw = Value::Object(map.clone()).to_string().into();
    create_in(
        &state,
        state.sandbox_org_id.clone(),
        JsonBody {
            value: Some(Value::Object(map)),
            raw,
        },
    )
    .await
}

/// The metadata key that marks a session as the demo's.
const DEMO_MARK: &str = "demo";

/// Lets a merchant-side demo call through only for a demo session of the Sandbox whose secret the
/// caller holds; anything else does not exist for the demo (404), and a wrong secret is 401.
async fn demo_session(state: &AppState, req: &HttpRequest, id: &str) -> ApiResult<()> {
    let given = req
        .headers()
        .get("x-session-secret")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or(ApiError::Unauthorized)?;
    let id = crate::domain::parse_id(id).ok_or(ApiError::NotFound("session"))?;
    let sandbox = state.sandbox_org_id.clone();
    let session = state
        .db
        .read(move |conn| Ok(crate::store::sessions::find(conn, &id)?))
        .await?
        .filter(|s| s.org_id == sandbox && s.metadata.get(DEMO_MARK) == Some(&json!(true)))
        .ok_or(ApiError::NotFound("session"))?;
    match session.secret {
        Some(secret) if secrets_equal(secret.as_bytes(), given.as_bytes()) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

async fn process(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    demo_session(&state, &req, &id).await?;
    process_as(&state, sandbox(&state), id.into_inner(), body).await
}

async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    demo_session(&state, &req, &id).await?;
    confirm_as(&state, sandbox(&state), id.into_inner(), body).await
}

/// The active campaigns, ordered by name (an empty list when every campaign is inactive).
async fn campaigns(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.get(&state.db).await?;
    let active: Vec<_> = catalog.campaigns.iter().filter(|c| c.active).collect();
    Ok(crate::api::ok(active))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/demo/api/campaigns").route(web::get().to(campaigns)))
        .service(web::resource("/demo/api/sessions").route(web::post().to(create)))
        .service(web::resource("/demo/api/sessions/{id}/process").route(web::post().to(process)))
        .service(web::resource("/demo/api/sessions/{id}/confirm").route(web::post().to(confirm)));
}

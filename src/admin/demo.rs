//! The demo checkout's merchant side, for the Sandbox organization only: create an `add_on`
//! session, process and confirm it. These need no credential so that `/demo` works on a fresh
//! `make run` with nothing to paste; they can touch nothing but Sandbox sessions. The customer
//! side of the demo uses the public session-secret endpoints.

use crate::api::sessions::{confirm_as, create_in, process_as};
use crate::auth::ApiKey;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
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

async fn process(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    process_as(&state, sandbox(&state), id.into_inner(), body).await
}

async fn confirm(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
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

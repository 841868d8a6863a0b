//! `/donation_intents`: batch create, list, get, cancel.

use crate::api::{created, ok};
use crate::auth::ApiKey;
use crate::domain::{new_id, parse_id};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::{JsonBody, QueryMap};
use crate::pagination::{envelope, PageParams};
use crate::state::{AppState, Catalog};
use crate::store::intents::{self, Attribution};
use crate::validate::{Input, Patch};
use actix_web::{web, HttpResponse};
use serde_json::Value;

pub const MAX_BATCH: usize = 50;

/// Checks a campaign identifier field against the catalog: present, a string, active.
pub fn campaign_field(input: &mut Input, field: &str, catalog: &Catalog) -> Option<String> {
    match input.string(field, 100) {
        Patch::Set(identifier) => match catalog.get(&identifier) {
            Some(c) if c.active => Some(identifier),
            Some(_) => {
                input.error(field, "campaign is not active");
                None
            }
            None => {
                input.error(field, "unknown campaign");
                None
            }
        },
        Patch::Null => {
            input.error(field, "is required");
            None
        }
        Patch::Absent => {
            if !input.has(field) {
                input.error(field, "is required");
            }
            None
        }
    }
}

/// An amount field that must be present (1 to 1,000,000,000).
pub fn required_amount(input: &mut Input, field: &str) -> Option<i64> {
    let present = input.has(field);
    match input.amount(field) {
        Patch::Set(a) => Some(a),
        Patch::Null => {
            input.error(field, "is required");
            None
        }
        Patch::Absent => {
            if !present {
                input.error(field, "is required");
            }
            None
        }
    }
}

/// The items of a batch: a bare array, or the same array under `intents`.
fn batch_items(value: Option<Value>) -> ApiResult<Vec<Value>> {
    match value {
        Some(Value::Array(items)) => Ok(items),
        Some(Value::Object(mut m)) => match m.remove("intents") {
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(ApiError::field("intents", "must be an array")),
            None => Err(ApiError::field("intents", "is required")),
        },
        Some(_) => Err(ApiError::InvalidJson(
            "Request body must be an array of donation intents".into(),
        )),
        None => Err(ApiError::InvalidJson("Request body is empty".into())),
    }
}

async fn create(
    key: ApiKey,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let items = batch_items(body.value)?;
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::field("intents", "must have 1 to 50 items"));
    }
    let catalog = state.catalog.get(&state.db).await?;
    let mut errors = FieldErrors::new();
    let mut valid = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(map) = item.as_object() else {
            errors.add(i.to_string(), "must be an object");
            continue;
        };
        let mut input = Input::with_prefix(map, format!("{i}."));
        let amount = required_amount(&mut input, "amount");
        let campaign = campaign_field(&mut input, "campaign_identifier", &catalog);
        errors.extend_prefixed("", input.errors);
        if let (Some(amount), Some(campaign)) = (amount, campaign) {
            valid.push((amount, campaign));
        }
    }
    errors.into_result()?;
    let now = state.clock.now_micros();
    let created_intents = state
        .db
        .write(move |conn| {
            let who = Attribution::default();
            valid
                .iter()
                .map(|(amount, identifier)| {
                    let campaign = catalog
                        .get(identifier)
                        .ok_or(ApiError::Internal("campaign vanished".into()))?;
                    Ok(intents::insert(
                        conn,
                        &key.org_id,
                        new_id(now),
                        *amount,
                        campaign,
                        &who,
                        now,
                    )?)
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(created(created_intents))
}

async fn list(key: ApiKey, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| Ok(intents::list(conn, Some(&key.org_id), &p)?))
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn get(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id).ok_or(ApiError::NotFound("donation-intent"))?;
    let intent = state
        .db
        .read_inline(|conn| Ok(intents::find(conn, &key.org_id, &id)?))?;
    Ok(ok(intent.ok_or(ApiError::NotFound("donation-intent"))?))
}

async fn cancel(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id).ok_or(ApiError::NotFound("donation-intent"))?;
    let cancelled_id = id.clone();
    let now = state.clock.now_micros();
    let deleted = state
        .db
        .write(move |conn| Ok(intents::delete(conn, &key.org_id, &id, now)?))
        .await?;
    if !deleted {
        return Err(ApiError::NotFound("donation-intent"));
    }
    Ok(ok(
        serde_json::json!({ "id": cancelled_id, "cancelled": true }),
    ))
}

pub fn endpoints() -> Vec<crate::api::Endpoint> {
    use crate::api::Endpoint;
    use actix_web::http::Method;
    vec![
        Endpoint::new(Method::GET, "/donation_intents", || web::get().to(list)),
        Endpoint::new(Method::POST, "/donation_intents", || web::post().to(create)),
        Endpoint::new(Method::GET, "/donation_intents/{id}", || web::get().to(get)),
        Endpoint::new(Method::PUT, "/donation_intents/{id}/cancel", || {
            web::put().to(cancel)
        }),
    ]
}

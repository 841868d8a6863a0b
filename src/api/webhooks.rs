//! `/webhook_endpoints`, `/webhook_deliveries` (SPEC 11): endpoints of the caller's organization,
//! their secrets, test events, deliveries, manual retries and recovery.

use crate::api::{created, ok};
use crate::auth::ApiKey;
use crate::domain::{new_id, parse_id};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::{JsonBody, QueryMap};
use crate::pagination::{envelope, PageParams};
use crate::state::AppState;
use crate::store::events;
use crate::store::webhooks::{self as store, Endpoint};
use crate::validate::{Input, Patch};
use crate::webhooks::destination::{literal_host, refused, REFUSED};
use crate::webhooks::{sign, EventType};
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

pub const NOT_FOUND: ApiError = ApiError::NotFound("webhook-endpoint");
pub const DELIVERY_NOT_FOUND: ApiError = ApiError::NotFound("webhook-delivery");
const MAX_URL: usize = 2048;
const MAX_ROTATION_OVERLAP: i64 = 604_800;

/// Checks `url`: absolute http(s), at most 2,048 characters, no user-info, and not a refused
/// literal address. Adds the field error and returns `None` otherwise.
pub fn check_url(input: &mut Input, raw: &str, block_private: bool) -> Option<String> {
    if raw.chars().count() > MAX_URL {
        input.error("url", format!("must be at most {MAX_URL} characters"));
        return None;
    }
    let parsed = match reqwest::Url::parse(raw) {
        Ok(u) => u,
        Err(_) => {
            input.error("url", "must be an absolute http or https URL");
            return None;
        }
    };
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        input.error("url", "must be an absolute http or https URL");
        return None;
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        input.error("url", "must not contain user information");
        return None;
    }
    if literal_host(&parsed).is_some_and(|ip| refused(ip, block_private)) {
        input.error("url", REFUSED);
        return None;
    }
    Some(raw.to_string())
}

/// `event_types`: catalog names only; `null` or `[]` subscribe to every event.
fn event_types(input: &mut Input) -> Patch<Vec<String>> {
    match input.array("event_types") {
        Patch::Set(items) => {
            let mut out: Vec<String> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str().and_then(EventType::parse) {
                    Some(t) if !out.iter().any(|o| o == t.as_str()) => out.push(t.as_str().into()),
                    Some(_) => {}
                    None => input.error(&format!("event_types.{i}"), "unknown event type"),
                }
            }
            Patch::Set(out)
        }
        Patch::Null => Patch::Set(Vec::new()),
        Patch::Absent => Patch::Absent,
    }
}

fn endpoint_id(raw: &str) -> ApiResult<String> {
    parse_id(raw).ok_or(NOT_FOUND)
}

async fn create(
    key: ApiKey,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object_or_empty()?;
    let mut input = Input::new(&body);
    let url = match input.string("url", usize::MAX) {
        Patch::Set(raw) => check_url(&mut input, &raw, state.webhooks.block_private),
        _ => {
            input.error("url", "is required");
            None
        }
    };
    let description = match input.string("description", 1000) {
        Patch::Set(s) => Some(s),
        _ => None,
    };
    let types = match event_types(&mut input) {
        Patch::Set(t) => t,
        _ => Vec::new(),
    };
    let metadata = input.new_metadata("metadata");
    input.finish()?;
    let now = state.clock.now_micros();
    let endpoint = Endpoint {
        id: new_id(now),
        org_id: key.org_id,
        url: url.unwrap_or_default(),
        description,
        event_types: types,
        metadata,
        disabled: false,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
        secret: sign::new_secret(),
        previous_secret: None,
        previous_expires_at: None,
    };
    let endpoint = state
        .db
        .write(move |conn| {
            store::insert(conn, &endpoint)?;
            Ok(endpoint)
        })
        .await?;
    let mut data =
        serde_json::to_value(&endpoint).map_err(|e| ApiError::Internal(e.to_string()))?;
    data["secret"] = Value::String(endpoint.secret.clone());
    Ok(created(data))
}

async fn list(key: ApiKey, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| Ok(store::list(conn, Some(&key.org_id), &p)?))
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn find(state: &AppState, key: &ApiKey, raw: &str) -> ApiResult<Endpoint> {
    let id = endpoint_id(raw)?;
    state
        .db
        .read_statement(|conn| Ok(store::find(conn, &key.org_id, &id)?))?
        .ok_or(NOT_FOUND)
}

async fn get(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    Ok(ok(find(&state, &key, &id).await?))
}

async fn update(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let id = endpoint_id(&id)?;
    let body = body.object_or_empty()?;
    let now = state.clock.now_micros();
    let block_private = state.webhooks.block_private;
    let endpoint = state
        .db
        .write(move |conn| {
            let mut e = store::find(conn, &key.org_id, &id)?.ok_or(NOT_FOUND)?;
            let mut input = Input::new(&body);
            match input.string("url", usize::MAX) {
                Patch::Set(raw) => {
                    if let Some(url) = check_url(&mut input, &raw, block_private) {
                        e.url = url;
                    }
                }
                Patch::Null => input.error("url", "must be an absolute http or https URL"),
                Patch::Absent => {}
            }
            match input.string("description", 1000) {
                Patch::Set(s) => e.description = Some(s),
                Patch::Null => e.description = None,
                Patch::Absent => {}
            }
            if let Patch::Set(types) = event_types(&mut input) {
                e.event_types = types;
            }
            input.patch_metadata("metadata", &mut e.metadata);
            match input.boolean("disabled") {
                Patch::Set(true) if !e.disabled => {
                    e.disabled = true;
                    e.disabled_reason = Some("manual".into());
                }
                Patch::Set(false) => {
                    e.disabled = false;
                    e.disabled_reason = None;
                }
                Patch::Null => input.error("disabled", "must be a boolean"),
                _ => {}
            }
            input.finish()?;
            e.updated_at = now;
            store::save(conn, &e)?;
            Ok(e)
        })
        .await?;
    Ok(ok(endpoint))
}

async fn delete(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = endpoint_id(&id)?;
    let endpoint = state
        .db
        .write(move |conn| {
            let e = store::find(conn, &key.org_id, &id)?.ok_or(NOT_FOUND)?;
            store::delete(conn, &key.org_id, &id)?;
            Ok(e)
        })
        .await?;
    Ok(ok(endpoint))
}

async fn secret(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let e = find(&state, &key, &id).await?;
    Ok(ok(json!({ "secret": e.secret })))
}

async fn rotate_secret(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let id = endpoint_id(&id)?;
    let body = body.object_or_empty()?;
    let mut input = Input::new(&body);
    let overlap = match input.integer("expire_previous_in", 0, MAX_ROTATION_OVERLAP) {
        Patch::Set(s) => s,
        _ => 86_400,
    };
    // Reported once the endpoint is found: another organization's endpoint is a 404 first.
    let valid = input.finish();
    let now = state.clock.now_micros();
    let secret = state
        .db
        .write(move |conn| {
            let mut e = store::find(conn, &key.org_id, &id)?.ok_or(NOT_FOUND)?;
            valid?;
            let previous = std::mem::replace(&mut e.secret, sign::new_secret());
            (e.previous_secret, e.previous_expires_at) = if overlap > 0 {
                (Some(previous), Some(now + overlap * 1_000_000))
            } else {
                (None, None)
            };
            e.updated_at = now;
            store::save(conn, &e)?;
            Ok(e.secret)
        })
        .await?;
    Ok(ok(json!({ "secret": secret })))
}

async fn test(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = endpoint_id(&id)?;
    let now = state.clock.now_micros();
    let event = state
        .db
        .write(move |conn| {
            let e = store::find(conn, &key.org_id, &id)?.ok_or(NOT_FOUND)?;
            let event_id = events::record_for_endpoint(
                conn,
                &key.org_id,
                &e.id,
                EventType::EndpointTest,
                &e,
                now,
            )?;
            Ok(events::find(conn, &key.org_id, &event_id)?)
        })
        .await?;
    Ok(created(event))
}

async fn deliveries(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let id = endpoint_id(&id)?;
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let status = query.get("status").map(str::to_string);
    if status
        .as_deref()
        .is_some_and(|s| !matches!(s, "pending" | "succeeded" | "failed"))
    {
        errors.add("status", "must be one of pending, succeeded, failed");
    }
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| {
            store::find(conn, &key.org_id, &id)?.ok_or(NOT_FOUND)?;
            Ok(store::list_deliveries(
                conn,
                &id,
                status.as_deref(),
                &p,
                false,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn retry(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    request_retry(&state, Some(key.org_id), &id).await
}

/// Queues one immediate attempt of delivery `id` (of organization `org`, or of any with `None`
/// for the operator) and answers 202 with the delivery.
pub(crate) async fn request_retry(
    state: &AppState,
    org: Option<String>,
    id: &str,
) -> ApiResult<HttpResponse> {
    let id = parse_id(id).ok_or(DELIVERY_NOT_FOUND)?;
    let now = state.clock.now_micros();
    let delivery = state
        .db
        .write(move |conn| {
            if !store::request_retry(conn, org.as_deref(), &id, now)? {
                return Err(DELIVERY_NOT_FOUND);
            }
            Ok(store::find_delivery(conn, org.as_deref(), &id, false)?)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(json!({ "data": delivery })))
}

async fn recover(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let id = endpoint_id(&id)?;
    let body = body.object_or_empty()?;
    let since = match body.get("since") {
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_micros())
            .map_err(|_| ApiError::field("since", "must be an RFC 3339 timestamp")),
        None | Some(Value::Null) => Err(ApiError::field("since", "is required")),
        Some(_) => Err(ApiError::field("since", "must be an RFC 3339 timestamp")),
    };
    let now = state.clock.now_micros();
    let queued = state
        .db
        .write(move |conn| {
            store::find(conn, &key.org_id, &id)?.ok_or(NOT_FOUND)?;
            Ok(store::recover(conn, &id, since?, now)?)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(json!({ "data": { "queued": queued } })))
}

pub fn endpoints() -> Vec<crate::api::Endpoint> {
    use crate::api::Endpoint as E;
    use actix_web::http::Method;
    vec![
        E::new(Method::GET, "/webhook_endpoints", || web::get().to(list)),
        E::new(Method::POST, "/webhook_endpoints", || {
            web::post().to(create)
        }),
        E::new(Method::GET, "/webhook_endpoints/{id}", || {
            web::get().to(get)
        }),
        E::new(Method::PATCH, "/webhook_endpoints/{id}", || {
            web::patch().to(update)
        }),
        E::new(Method::DELETE, "/webhook_endpoints/{id}", || {
            web::delete().to(delete)
        }),
        E::new(Method::GET, "/webhook_endpoints/{id}/secret", || {
            web::get().to(secret)
        }),
        E::new(
            Method::POST,
            "/webhook_endpoints/{id}/rotate_secret",
            || web::post().to(rotate_secret),
        ),
        E::new(Method::POST, "/webhook_endpoints/{id}/test", || {
            web::post().to(test)
        }),
        E::new(Method::GET, "/webhook_endpoints/{id}/deliveries", || {
            web::get().to(deliveries)
        }),
        E::new(Method::POST, "/webhook_endpoints/{id}/recover", || {
            web::post().to(recover)
        }),
        E::new(Method::POST, "/webhook_deliveries/{id}/retry", || {
            web::post().to(retry)
        }),
    ]
}

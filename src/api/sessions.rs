//! `/sessions`: the checkout lifecycle. Rules live in `domain::session::check`; this file reads
//! requests, runs one store transaction per call, and shapes the session object.

use crate::api::session_input::{allocations, parse_create};
use crate::api::session_view::{caller_kind, load, mutate, party_exists, record_event, view};
use crate::auth::{random_token, SessionCaller};
use crate::domain::new_id;
use crate::domain::session::{check, Action, Caller, SessionStatus};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::store::directory::Directory;
use crate::store::intents::{self, Attribution};
use crate::store::sessions::{self, SessionRow};
use crate::validate::{Input, Patch};
use crate::webhooks::EventType;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

const SECRET_LEN: usize = 64;

async fn create(
    key: crate::auth::ApiKey,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    create_in(&state, key.org_id, body).await
}

/// Creates a session in the organization (also used by the demo checkout for the Sandbox).
pub async fn create_in(
    state: &AppState,
    org_id: String,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object()?;
    let catalog = state.catalog.get(&state.db).await?;
    let (new, mut errors) = parse_create(&body, &catalog)?;
    let now = state.clock.now_micros();
    let row = SessionRow {
        id: new_id(now),
        org_id,
        kind: new.kind,
        status: SessionStatus::Active,
        amount: new.amount,
        available_campaigns: new.available_campaigns,
        selected_campaign: None,
        opted_out: false,
        allocations: new.allocations,
        customer_id: new.customer_id,
        vendor_id: new.vendor_id,
        metadata: new.metadata,
        approximated: new.approximated,
        secret: new.kind.is_interactive().then(|| random_token(SECRET_LEN)),
        expires_at: now + new.expires_in_minutes * 60_000_000,
        processed_at: None,
        confirmed_at: None,
        created_at: now,
        updated_at: now,
    };
    let cat = catalog.clone();
    let row = state
        .db
        .write(move |conn| {
            for (dir, id) in [
                (Directory::Customers, &row.customer_id),
                (Directory::Vendors, &row.vendor_id),
            ] {
                party_exists(conn, dir, &row.org_id, id, &mut errors)?;
            }
            errors.into_result()?;
            sessions::insert(conn, &row)?;
            record_event(conn, EventType::SessionCreated, &row, &[], &cat, now)?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "data": view(&row, &[], &catalog, now, true, true) })))
}

async fn get(
    caller: SessionCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.get(&state.db).await?;
    let now = state.clock.now_micros();
    let by_key = matches!(caller, SessionCaller::Key(_));
    let id = id.into_inner();
    // Bounded: the session's row and the intents of its allocations.
    let (row, intents) = state.db.read_inline(|conn| {
        let s = load(conn, &id, &caller)?;
        let intents = intents::for_session(conn, &s.id)?;
        Ok((s, intents))
    })?;
    Ok(HttpResponse::Ok()
        .json(json!({ "data": view(&row, &intents, &catalog, now, by_key, false) })))
}

async fn update(
    key: crate::auth::ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object_or_empty()?;
    mutate(
        &state,
        id.into_inner(),
        SessionCaller::Key(key),
        move |conn, s, status, _, _| {
            let parties = body.contains_key("customer_id") || body.contains_key("vendor_id");
            let action = if parties {
                Action::PatchParties
            } else {
                Action::PatchDetails
            };
            check(s.kind, status, Caller::ApiKey, action)?;
            let mut input = Input::new(&body);
            input.patch_metadata("metadata", &mut s.metadata);
            match input.boolean("approximated") {
                Patch::Set(b) => s.approximated = b,
                Patch::Null => input.error("approximated", "must be a boolean"),
                Patch::Absent => {}
            }
            for (field, dir) in [
                ("customer_id", Directory::Customers),
                ("vendor_id", Directory::Vendors),
            ] {
                let value = match input.ulid(field) {
                    Patch::Set(id) => Some(id),
                    Patch::Null => None,
                    Patch::Absent => continue,
                };
                party_exists(conn, dir, &s.org_id, &value, &mut input.errors)?;
                match dir {
                    Directory::Customers => s.customer_id = value,
                    Directory::Vendors => s.vendor_id = value,
                }
            }
            input.finish()
        },
    )
    .await
}

async fn put_allocations(
    key: crate::auth::ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object_or_empty()?;
    mutate(
        &state,
        id.into_inner(),
        SessionCaller::Key(key),
        move |_, s, status, _, catalog| {
            check(s.kind, status, Caller::ApiKey, Action::PutAllocations)?;
            let items = match body.get("allocations") {
                None | Some(Value::Null) => None,
                Some(Value::Array(a)) if a.is_empty() => None,
                Some(Value::Array(a)) => Some(a),
                Some(_) => return Err(ApiError::field("allocations", "must be an array")),
            };
            let items = items.ok_or(ApiError::business(
                "allocations.required",
                "allocations must be a non-empty list",
            ))?;
            let mut input = Input::new(&body);
            let list = allocations(&mut input, items, catalog);
            input.finish()?;
            s.amount = list.iter().map(|a| a.amount).sum();
            s.allocations = list;
            Ok(())
        },
    )
    .await
}

async fn choose_campaign(
    caller: SessionCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object_or_empty()?;
    // Reported once the session is found, so that a wrong secret is a 401 whatever the body.
    let choice = match body.get("campaign_identifier") {
        None => Err(ApiError::field(
            "campaign_identifier",
            "is required (a campaign identifier, or null to opt out)",
        )),
        Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::field(
            "campaign_identifier",
            "must be a string or null",
        )),
    };
    let who = caller_kind(&caller);
    mutate(
        &state,
        id.into_inner(),
        caller,
        move |_, s, status, _, catalog| {
            check(s.kind, status, who, Action::ChooseCampaign)?;
            match choice? {
                Some(c) => {
                    if !s.available_campaigns.contains(&c) || catalog.active(&c).is_none() {
                        return Err(ApiError::business(
                            "session.campaign-not-available",
                            "That campaign is not available in this session",
                        ));
                    }
                    s.selected_campaign = Some(c);
                    s.opted_out = false;
                }
                None => {
                    s.selected_campaign = None;
                    s.opted_out = true;
                }
            }
            Ok(())
        },
    )
    .await
}

async fn process(
    key: crate::auth::ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    process_as(&state, key, id.into_inner(), body).await
}

/// `process` for an organization's key (also used by the demo checkout).
pub async fn process_as(
    state: &AppState,
    key: crate::auth::ApiKey,
    id: String,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object_or_empty()?;
    let mut input = Input::new(&body);
    let minutes = match input.integer("extends_by", 60, 43_200) {
        Patch::Set(m) => m,
        _ => 10_080,
    };
    // Reported once the session is found: another organization's session is a 404 first.
    let valid = input.finish();
    mutate(
        state,
        id,
        SessionCaller::Key(key),
        move |_, s, status, now, _| {
            check(s.kind, status, Caller::ApiKey, Action::Process)?;
            valid?;
            s.status = SessionStatus::Processing;
            s.processed_at.get_or_insert(now);
            s.expires_at += minutes * 60_000_000;
            Ok(())
        },
    )
    .await
}

async fn confirm(
    key: crate::auth::ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    confirm_as(&state, key, id.into_inner(), body).await
}

/// `confirm` for an organization's key (also used by the demo checkout).
pub async fn confirm_as(
    state: &AppState,
    key: crate::auth::ApiKey,
    id: String,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    body.object_or_empty()?;
    mutate(
        state,
        id,
        SessionCaller::Key(key),
        move |conn, s, status, now, catalog| {
            check(s.kind, status, Caller::ApiKey, Action::Confirm)?;
            if status == SessionStatus::Confirmed {
                return Ok(()); // idempotent: the intents already exist
            }
            if s.kind.is_interactive() && s.selected_campaign.is_none() && !s.opted_out {
                return Err(ApiError::business(
                    "session.campaign-not-selected",
                    "The customer has not chosen a campaign or opted out",
                ));
            }
            let who = Attribution {
                customer_id: s.customer_id.clone(),
                vendor_id: s.vendor_id.clone(),
                session_id: Some(s.id.clone()),
                approximated: s.approximated,
            };
            for a in s.effective_allocations() {
                let campaign = catalog
                    .get(&a.campaign_identifier)
                    .ok_or(ApiError::Internal(format!(
                        "campaign {} missing from the catalog",
                        a.campaign_identifier
                    )))?;
                intents::insert(conn, &s.org_id, new_id(now), a.amount, campaign, &who, now)?;
            }
            s.status = SessionStatus::Confirmed;
            s.confirmed_at = Some(now);
            Ok(())
        },
    )
    .await
}

pub fn endpoints() -> Vec<crate::api::Endpoint> {
    use crate::api::Endpoint;
    use actix_web::http::Method;
    vec![
        Endpoint::new(Method::POST, "/sessions", || web::post().to(create)),
        Endpoint::new(Method::GET, "/sessions/{id}", || web::get().to(get)),
        Endpoint::new(Method::PATCH, "/sessions/{id}", || web::patch().to(update)),
        Endpoint::new(Method::PUT, "/sessions/{id}/allocations", || {
            web::put().to(put_allocations)
        }),
        Endpoint::new(Method::POST, "/sessions/{id}/choose_campaign", || {
            web::post().to(choose_campaign)
        }),
        Endpoint::new(Method::POST, "/sessions/{id}/process", || {
            web::post().to(process)
        }),
        Endpoint::new(Method::POST, "/sessions/{id}/confirm", || {
            web::post().to(confirm)
        }),
    ]
}

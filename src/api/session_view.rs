//! What every session call shares: loading a session for a caller (key or secret), the
//! one-transaction load-change-save, and the session object as that caller sees it (SPEC 5.4).

use crate::auth::{secrets_equal, SessionCaller};
use crate::domain::parse_id;
use crate::domain::session::{Caller, SessionStatus};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::state::{AppState, Catalog};
use crate::store::directory::{self, Directory};
use crate::store::events;
use crate::store::intents::{self, Intent};
use crate::store::sessions::{self, SessionRow};
use crate::webhooks::EventType;
use actix_web::HttpResponse;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::sync::Arc;

pub const NOT_FOUND: ApiError = ApiError::NotFound("session");

/// The session object as `caller` sees it (SPEC 5.4). `short` gives create's short campaigns.
pub fn view(
    s: &SessionRow,
    intents: &[Intent],
    catalog: &Catalog,
    now: i64,
    by_key: bool,
    short: bool,
) -> Value {
    let allocations = s.effective_allocations();
    let shown: Vec<(String, i64)> = if s.kind.is_interactive() {
        s.available_campaigns
            .iter()
            .map(|c| (c.clone(), s.amount))
            .collect()
    } else {
        allocations
            .iter()
            .map(|a| (a.campaign_identifier.clone(), a.amount))
            .collect()
    };
    let campaigns: Vec<Value> = shown
        .iter()
        .filter_map(|(identifier, amount)| {
            let c = catalog.get(identifier)?;
            if short {
                return Some(json!({"identifier": c.identifier, "name": c.name}));
            }
            let mut full = serde_json::to_value(c).ok()?;
            full["impact"] = serde_json::to_value(c.impact(*amount, s.approximated)).ok()?;
            Some(full)
        })
        .collect();
    let fmt = crate::clock::format_micros;
    json!({
        "id": s.id,
        "type": s.kind.as_str(),
        "status": s.status.current(s.expires_at, now).as_str(),
        "amount": s.amount,
        "available_campaigns": s.available_campaigns,
        "selected_campaign": s.selected_campaign,
        "opted_out": s.opted_out,
        "allocations": allocations,
        "customer_id": s.customer_id,
        "vendor_id": s.vendor_id,
        "metadata": s.metadata,
        "approximated": s.approximated,
        "session_secret": if by_key { s.secret.clone() } else { None },
        "campaigns": campaigns,
        "donation_intents": intents,
        "expires_at": fmt(s.expires_at),
        "processed_at": s.processed_at.map(fmt),
        "confirmed_at": s.confirmed_at.map(fmt),
        "created_at": fmt(s.created_at),
        "updated_at": fmt(s.updated_at),
    })
}

/// Loads a session for `caller`: another organization's session, or a non-ULID id, is not found;
/// a wrong secret is 401.
pub fn load(conn: &Connection, id: &str, caller: &SessionCaller) -> ApiResult<SessionRow> {
    let id = parse_id(id).ok_or(NOT_FOUND)?;
    let s = sessions::find(conn, &id)?.ok_or(NOT_FOUND)?;
    match caller {
        SessionCaller::Key(key) if key.org_id == s.org_id => Ok(s),
        SessionCaller::Key(_) => Err(NOT_FOUND),
        SessionCaller::Secret(given) => match &s.secret {
            Some(secret) if secrets_equal(secret.as_bytes(), given.as_bytes()) => Ok(s),
            _ => Err(ApiError::Unauthorized),
        },
    }
}

/// Adds a field error unless `id` names a customer / vendor of the organization.
pub fn party_exists(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    id: &Option<String>,
    errors: &mut FieldErrors,
) -> ApiResult<()> {
    if let Some(id) = id {
        if directory::find(conn, dir, org_id, id)?.is_none() {
            errors.add(
                dir.intent_column(),
                format!("no {} with this id", dir.resource()),
            );
        }
    }
    Ok(())
}

/// Runs `change` on the session in one write transaction and answers with the session as the
/// caller sees it. `change` gets the current status and mutates the row; the row is saved after.
pub async fn mutate<F>(
    state: &AppState,
    id: String,
    caller: SessionCaller,
    change: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(&Connection, &mut SessionRow, SessionStatus, i64, &Catalog) -> ApiResult<()>
        + Send
        + 'static,
{
    let catalog = state.catalog.get(&state.db).await?;
    let now = state.clock.now_micros();
    let by_key = matches!(caller, SessionCaller::Key(_));
    let cat = Arc::clone(&catalog);
    let (row, intents) = state
        .db
        .write(move |conn| {
            let mut s = load(conn, &id, &caller)?;
            let status = s.status.current(s.expires_at, now);
            let before = s.clone();
            change(conn, &mut s, status, now, &cat)?;
            // A call that changes nothing (a repeated confirm) leaves the session as it was, and
            // emits nothing.
            let changed = s != before;
            if changed {
                s.updated_at = now;
                sessions::save(conn, &s)?;
            }
            let intents = intents::for_session(conn, &s.id)?;
            if changed {
                let kind = match s.status {
                    SessionStatus::Processing if before.status != SessionStatus::Processing => {
                        EventType::SessionProcessing
                    }
                    SessionStatus::Confirmed if before.status != SessionStatus::Confirmed => {
                        EventType::SessionConfirmed
                    }
                    _ => EventType::SessionUpdated,
                };
                record_event(conn, kind, &s, &intents, &cat, now)?;
            }
            Ok((s, intents))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "data": view(&row, &intents, &catalog, now, by_key, false) })))
}

/// Records a session event; its data is the session as `GET /sessions/{id}` shows it to the API
/// key holder at `now`.
pub fn record_event(
    conn: &Connection,
    kind: EventType,
    s: &SessionRow,
    intents: &[Intent],
    catalog: &Catalog,
    now: i64,
) -> rusqlite::Result<()> {
    let data = view(s, intents, catalog, now, true, false);
    events::record(conn, &s.org_id, kind, &data, now).map(|_| ())
}

pub fn caller_kind(caller: &SessionCaller) -> Caller {
    match caller {
        SessionCaller::Key(_) => Caller::ApiKey,
        SessionCaller::Secret(_) => Caller::Secret,
    }
}

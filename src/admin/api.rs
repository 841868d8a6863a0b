//! `/admin/api/*`: the operator's JSON API behind the admin token.

use crate::api::session_view::view;
use crate::api::{created, ok};
use crate::auth::Admin;
use crate::domain::catalog::parse_campaign;
use crate::domain::parse_id;
use crate::domain::session::SessionStatus;
use crate::error::{ApiError, ApiResult, FieldErrors, ResultExt};
use crate::extract::{JsonBody, QueryMap};
use crate::pagination::{envelope, PageParams};
use crate::state::AppState;
use crate::store::{campaigns, intents, orgs, reports, sessions};
use crate::validate::{Input, Patch};
use actix_web::{web, HttpResponse};
use serde_json::json;

/// `organization_id` query filter: absent, or a ULID (anything else is a 422).
pub(crate) fn org_filter(query: &QueryMap, errors: &mut FieldErrors) -> Option<String> {
    let raw = query.get("organization_id").filter(|s| !s.is_empty())?;
    let parsed = parse_id(raw);
    if parsed.is_none() {
        errors.add("organization_id", "must be an organization id");
    }
    parsed
}

async fn list_orgs(_: Admin, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(ok(state.db.read(|conn| Ok(orgs::list(conn)?)).await?))
}

async fn create_org(
    _: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object()?;
    let mut input = Input::new(&body);
    let name = match input.string("name", 255) {
        Patch::Set(n) if !n.trim().is_empty() => Some(n.trim().to_string()),
        _ => {
            input.error("name", "is required");
            None
        }
    };
    input.finish()?;
    let name = name.unwrap_or_default();
    let now = state.clock.now_micros();
    let (org, key) = state
        .db
        .write(move |conn| {
            let org = orgs::insert(conn, &name, false, now)?;
            let key = orgs::insert_key(conn, &org.id, None, now)?;
            Ok((org, key))
        })
        .await?;
    let mut data = serde_json::to_value(&org)?;
    data["api_key"] = json!(key.api_key);
    data["key_id"] = json!(key.id);
    Ok(created(data))
}

async fn list_keys(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let org = org_filter(&query, &mut errors);
    errors.into_result()?;
    Ok(ok(state
        .db
        .read(move |conn| Ok(orgs::list_keys(conn, org.as_deref())?))
        .await?))
}

async fn create_key(
    _: Admin,
    state: web::Data<AppState>,
    org_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let org_id = parse_id(&org_id).ok_or(ApiError::NotFound("organization"))?;
    let now = state.clock.now_micros();
    let key = state
        .db
        .write(move |conn| {
            orgs::find(conn, &org_id)?.ok_or(ApiError::NotFound("organization"))?;
            Ok(orgs::insert_key(conn, &org_id, None, now)?)
        })
        .await?;
    Ok(created(key))
}

async fn revoke_key(
    _: Admin,
    state: web::Data<AppState>,
    key_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key_id = parse_id(&key_id).ok_or(ApiError::NotFound("api-key"))?;
    let now = state.clock.now_micros();
    let key = state
        .db
        .write(move |conn| Ok(orgs::revoke_key(conn, &key_id, now)?))
        .await?;
    state.keys.invalidate();
    Ok(ok(key.ok_or(ApiError::NotFound("api-key"))?))
}

async fn list_campaigns(_: Admin, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(ok(state
        .db
        .read(|conn| Ok(campaigns::list(conn, false)?))
        .await?))
}

/// Create (`identifier` must be new) or, with `existing`, replace the campaign at that identifier.
async fn save_campaign(
    state: &AppState,
    body: JsonBody,
    existing: Option<String>,
) -> ApiResult<HttpResponse> {
    let mut body = body.object()?;
    if let Some(identifier) = &existing {
        body.insert("identifier".into(), json!(identifier));
    }
    let input = parse_campaign(&body, "").map_err(|errors| {
        // Every stored identifier is a valid slug, so a path that is not one names no campaign.
        if existing.is_some() && errors.0.contains_key("identifier") {
            ApiError::NotFound("campaign")
        } else {
            ApiError::Validation(errors)
        }
    })?;
    let now = state.clock.now_micros();
    let creating = existing.is_none();
    let campaign = state
        .db
        .write(move |conn| {
            let found = campaigns::find(conn, &input.identifier)?;
            match (creating, found.is_some()) {
                (true, true) => {
                    return Err(ApiError::field("identifier", "has already been taken"))
                }
                (false, false) => return Err(ApiError::NotFound("campaign")),
                _ => {}
            }
            campaigns::upsert(conn, &input, now)
                .on_unique("identifier", "has already been taken")?;
            campaigns::find(conn, &input.identifier)?.ok_or(ApiError::NotFound("campaign"))
        })
        .await?;
    state.catalog.invalidate();
    Ok(if creating {
        created(campaign)
    } else {
        ok(campaign)
    })
}

async fn create_campaign(
    _: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    save_campaign(&state, body, None).await
}

async fn update_campaign(
    _: Admin,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    save_campaign(&state, body, Some(identifier.into_inner())).await
}

async fn set_active(state: &AppState, identifier: String, active: bool) -> ApiResult<HttpResponse> {
    let now = state.clock.now_micros();
    let campaign = state
        .db
        .write(move |conn| {
            if !campaigns::set_active(conn, &identifier, active, now)? {
                return Err(ApiError::NotFound("campaign"));
            }
            campaigns::find(conn, &identifier)?.ok_or(ApiError::NotFound("campaign"))
        })
        .await?;
    state.catalog.invalidate();
    Ok(ok(campaign))
}

async fn activate(
    _: Admin,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_active(&state, identifier.into_inner(), true).await
}

async fn deactivate(
    _: Admin,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_active(&state, identifier.into_inner(), false).await
}

async fn list_sessions(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let org = org_filter(&query, &mut errors);
    let status = match query.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => {
            let parsed = SessionStatus::parse(raw);
            if parsed.is_none() {
                errors.add(
                    "status",
                    "must be one of: active, processing, confirmed, expired",
                );
            }
            parsed
        }
    };
    errors.into_result()?;
    let catalog = state.catalog.get(&state.db).await?;
    let now = state.clock.now_micros();
    let p = page.clone();
    let (rows, total) = state
        .db
        .read(move |conn| {
            let (rows, total) = sessions::list(conn, org.as_deref(), status, now, &p)?;
            let mut with_intents = Vec::with_capacity(rows.len());
            for s in rows {
                let found = intents::for_session(conn, &s.id)?;
                with_intents.push((s, found));
            }
            Ok((with_intents, total))
        })
        .await?;
    // The operator sees what the merchant would, less the session secret: a secret lets its
    // holder act as the customer, and the console has no use for it.
    let items: Vec<_> = rows
        .iter()
        .map(|(s, found)| {
            let mut v = view(s, found, &catalog, now, false, true);
            v["organization_id"] = json!(s.org_id);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn list_intents(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let org = org_filter(&query, &mut errors);
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| Ok(intents::list(conn, org.as_deref(), &p)?))
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

/// `month` query filter: absent, or `YYYY-MM` (anything else is a 422).
fn month_filter(query: &QueryMap, errors: &mut FieldErrors) -> Option<String> {
    let raw = query.get("month").filter(|s| !s.is_empty())?;
    let valid = raw.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").is_ok();
    if !valid {
        errors.add("month", "must be a month in YYYY-MM format");
        return None;
    }
    Some(raw.to_string())
}

/// What each organization owes per UTC month, newest month first; `organization_id` and `month`
/// narrow it.
async fn billing(_: Admin, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let org = org_filter(&query, &mut errors);
    let month = month_filter(&query, &mut errors);
    errors.into_result()?;
    let mut rows = state
        .db
        .read(move |conn| Ok(reports::billing(conn, org.as_deref())?))
        .await?;
    if let Some(month) = month {
        rows.retain(|r| r.month == month);
    }
    Ok(ok(rows))
}

async fn impact(_: Admin, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let org = org_filter(&query, &mut errors);
    errors.into_result()?;
    Ok(ok(state
        .db
        .read(move |conn| Ok(reports::impact(conn, org.as_deref())?))
        .await?))
}

/// Donations per UTC day over the last `days` (1-366, default 30), every day present (zeros too).
async fn daily(_: Admin, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let org = org_filter(&query, &mut errors);
    let days = match query.get("days").map(str::parse::<i64>) {
        None => 30,
        Some(Ok(d)) if (1..=366).contains(&d) => d,
        Some(_) => {
            errors.add("days", "must be an integer between 1 and 366");
            30
        }
    };
    errors.into_result()?;
    let today = state.clock.now().date_naive();
    let first = today - chrono::Duration::days(days - 1);
    let since = first
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0);
    let found = state
        .db
        .read(move |conn| Ok(reports::daily(conn, org.as_deref(), since)?))
        .await?;
    let series: Vec<_> = first
        .iter_days()
        .take(days as usize)
        .map(|d| {
            let date = d.to_string();
            let hit = found.iter().find(|f| f.date == date);
            json!({
                "date": date,
                "donation_count": hit.map_or(0, |h| h.donation_count),
                "total_amount": hit.map_or(0, |h| h.total_amount),
            })
        })
        .collect();
    Ok(ok(series))
}

async fn clock_now(_: Admin, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if !state.time_travel {
        return Err(ApiError::RouteNotFound);
    }
    Ok(ok(
        json!({ "now": crate::clock::format_micros(state.clock.now_micros()) }),
    ))
}

async fn clock_advance(
    _: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    if !state.time_travel {
        return Err(ApiError::RouteNotFound);
    }
    let body = body.object()?;
    let mut input = Input::new(&body);
    let seconds = match input.integer("seconds", 1, 315_360_000) {
        Patch::Set(s) => s,
        _ => {
            if !input.errors.0.contains_key("seconds") {
                input.error("seconds", "is required");
            }
            0
        }
    };
    input.finish()?;
    state.clock.advance(seconds);
    tracing::info!(seconds, "sandbox clock advanced");
    Ok(ok(
        json!({ "now": crate::clock::format_micros(state.clock.now_micros()) }),
    ))
}

async fn sweep(_: Admin, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let expired = crate::sweeper::sweep(&state.db, &state.clock).await?;
    Ok(ok(json!({ "expired": expired })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api")
            .service(
                web::resource("/organizations")
                    .route(web::get().to(list_orgs))
                    .route(web::post().to(create_org)),
            )
            .service(web::resource("/organizations/{id}/keys").route(web::post().to(create_key)))
            .service(web::resource("/keys").route(web::get().to(list_keys)))
            .service(web::resource("/keys/{id}/revoke").route(web::post().to(revoke_key)))
            .service(
                web::resource("/campaigns")
                    .route(web::get().to(list_campaigns))
                    .route(web::post().to(create_campaign)),
            )
            .service(web::resource("/campaigns/{identifier}").route(web::put().to(update_campaign)))
            .service(
                web::resource("/campaigns/{identifier}/activate").route(web::post().to(activate)),
            )
            .service(
                web::resource("/campaigns/{identifier}/deactivate")
                    .route(web::post().to(deactivate)),
            )
            .service(web::resource("/sessions").route(web::get().to(list_sessions)))
            .service(web::resource("/donation_intents").route(web::get().to(list_intents)))
            .service(web::resource("/billing").route(web::get().to(billing)))
            .service(web::resource("/impact").route(web::get().to(impact)))
            .service(web::resource("/stats/daily").route(web::get().to(daily)))
            .service(web::resource("/clock").route(web::get().to(clock_now)))
            .service(web::resource("/clock/advance").route(web::post().to(clock_advance)))
            .service(web::resource("/sweep").route(web::post().to(sweep))),
    );
}

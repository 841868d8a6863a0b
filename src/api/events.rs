//! `/events` (SPEC 11): the organization's events of the last 30 days, as delivered.

use crate::api::ok;
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::pagination::{envelope, PageParams};
use crate::state::AppState;
use crate::store::events::{self, EventFilter};
use crate::webhooks::EventType;
use actix_web::{web, HttpResponse};

const NOT_FOUND: ApiError = ApiError::NotFound("event");

/// A `created_after` / `created_before` bound: an RFC 3339 timestamp or a `YYYY-MM-DD` date
/// (midnight UTC).
fn bound(query: &QueryMap, name: &str, errors: &mut FieldErrors) -> Option<i64> {
    let raw = query.get(name)?;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(t.timestamp_micros());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_micros());
    }
    errors.add(name, "must be an RFC 3339 timestamp or a YYYY-MM-DD date");
    None
}

async fn list(key: ApiKey, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let kind = query.get("type").map(str::to_string);
    if kind
        .as_deref()
        .is_some_and(|k| EventType::parse(k).is_none())
    {
        errors.add("type", "unknown event type");
    }
    let filter = EventFilter {
        kind,
        created_after: bound(&query, "created_after", &mut errors),
        created_before: bound(&query, "created_before", &mut errors),
    };
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| Ok(events::list(conn, &key.org_id, &filter, &p)?))
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn get(
    key: ApiKey,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id
        .strip_prefix("evt_")
        .and_then(crate::domain::parse_id)
        .map(|ulid| format!("evt_{ulid}"))
        .ok_or(NOT_FOUND)?;
    let event = state
        .db
        .read_statement(|conn| Ok(events::find(conn, &key.org_id, &id)?))?;
    Ok(ok(event.ok_or(NOT_FOUND)?))
}

pub fn endpoints() -> Vec<crate::api::Endpoint> {
    use crate::api::Endpoint;
    use actix_web::http::Method;
    vec![
        Endpoint::new(Method::GET, "/events", || web::get().to(list)),
        Endpoint::new(Method::GET, "/events/{id}", || web::get().to(get)),
    ]
}

//! The operator's reports (SPEC 13): statements across organizations (JSON and CSV), an
//! organization's intents export, and the per-campaign daily series of the console's chart.

use crate::admin::api::org_filter;
use crate::api::csv_body::{csv_bytes, csv_ok};
use crate::api::ok;
use crate::api::reports::{export_response, month_param};
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::state::AppState;
use crate::store::statements::{self, labels};
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The columns of `/admin/api/statements.csv`: the public statement's, with the organization.
const COLUMNS: [&str; 9] = [
    "month",
    "organization_id",
    "organization_name",
    "campaign_identifier",
    "name",
    "currency",
    "amount",
    "donation_count",
    "impact",
];

async fn read_statement(
    state: &AppState,
    query: &QueryMap,
) -> ApiResult<statements::OperatorStatement> {
    let mut errors = FieldErrors::new();
    let org = org_filter(query, &mut errors);
    let month = month_param(query, &mut errors);
    errors.into_result()?;
    let month = month.ok_or_else(|| ApiError::field("month", "is required"))?;
    state
        .db
        .read(move |conn| Ok(statements::operator_monthly(conn, org.as_deref(), &month)?))
        .await
}

/// `?month=YYYY-MM[&organization_id=]`: each organization's statement and the sum per campaign.
async fn statement(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    Ok(ok(read_statement(&state, &query).await?))
}

/// The statement as CSV: one row per organization and campaign.
async fn statement_csv(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let s = read_statement(&state, &query).await?;
    let rows = s.organizations.iter().flat_map(|o| {
        o.campaigns.iter().map(|c| {
            [
                s.month.clone(),
                o.organization_id.clone(),
                o.organization_name.clone(),
                c.campaign_identifier.clone(),
                c.name.clone(),
                s.currency.to_string(),
                c.amount.to_string(),
                c.donation_count.to_string(),
                labels(&c.impact),
            ]
        })
    });
    let body = csv_bytes(&COLUMNS, rows)?;
    let scope = match query.get("organization_id").filter(|s| !s.is_empty()) {
        Some(org) => org.to_string(),
        None => "all".to_string(),
    };
    Ok(csv_ok(&format!("statement_{}_{scope}.csv", s.month)).body(body))
}

/// One organization's intents as the public export gives them (`organization_id` required).
async fn export(_: Admin, state: web::Data<AppState>, query: QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let org = org_filter(&query, &mut errors);
    if org.is_none() && !errors.0.contains_key("organization_id") {
        errors.add("organization_id", "is required");
    }
    errors.into_result()?;
    let org = org.ok_or_else(|| ApiError::field("organization_id", "is required"))?;
    let exists = state
        .db
        .read_statement(|conn| Ok(crate::store::orgs::find(conn, &org)?.is_some()))?;
    if !exists {
        return Err(ApiError::NotFound("organization"));
    }
    export_response(&state.db, org, &query)
}

/// What each campaign received per UTC day over the last `days` (1-366, default 30) by the
/// server clock: `{"dates": [every day], "campaigns": [{..., "days": [days with intents]}]}`.
async fn campaign_days(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
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
    let window = crate::pagination::DateRange {
        from: Some(first),
        to: Some(today),
    };
    let (start, end) = (window.start_micros(), window.end_micros());
    let campaigns = state
        .db
        .read(move |conn| Ok(statements::campaign_days(conn, org.as_deref(), start, end)?))
        .await?;
    let dates: Vec<String> = first
        .iter_days()
        .take(days as usize)
        .map(|d| d.to_string())
        .collect();
    Ok(ok(json!({ "dates": dates, "campaigns": campaigns })))
}

/// Mounted before the `/admin/api` scope of `admin::api` (a scope that matched keeps the request).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/api/statements").route(web::get().to(statement)))
        .service(web::resource("/admin/api/statements.csv").route(web::get().to(statement_csv)))
        .service(
            web::resource("/admin/api/donation_intents/export.csv").route(web::get().to(export)),
        )
        .service(web::resource("/admin/api/stats/campaigns").route(web::get().to(campaign_days)));
}

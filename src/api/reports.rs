//! Reports and exports (SPEC 13): the monthly statement (JSON and CSV), a customer's or vendor's
//! impact per day (one handler, registered for both), and the streamed donation intents CSV.

use crate::api::csv_body::{chunked, csv_bytes, csv_ok};
use crate::api::ok;
use crate::auth::ApiKey;
use crate::db::Db;
use crate::domain::month::Month;
use crate::domain::parse_id;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::pagination::DateRange;
use crate::state::AppState;
use crate::store::directory::{self, Directory};
use crate::store::export::{self, Cursor, ExportQuery};
use crate::store::statements::{self, labels};
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use chrono::NaiveDate;
use rusqlite::Connection;

/// The longest window of the daily series, in days.
pub const MAX_DAILY_DAYS: i64 = 366;
/// Intents per chunk of the CSV export: each chunk is one short read transaction.
const EXPORT_CHUNK: i64 = 2_000;

/// The columns of `/reports/monthly.csv`.
pub const STATEMENT_COLUMNS: [&str; 7] = [
    "month",
    "campaign_identifier",
    "name",
    "currency",
    "amount",
    "donation_count",
    "impact",
];

/// The required `month` parameter (`YYYY-MM`); a missing or malformed one is a 422 on `month`.
pub fn month_param(query: &QueryMap, errors: &mut FieldErrors) -> Option<Month> {
    match query.get("month") {
        None | Some("") => {
            errors.add("month", "is required (YYYY-MM)");
            None
        }
        Some(raw) => {
            let month = Month::parse(raw);
            if month.is_none() {
                errors.add("month", "must be a month in YYYY-MM format");
            }
            month
        }
    }
}

/// `sort_order` as in SPEC 4, but ascending unless asked otherwise (SPEC 13); `sort_by`, if
/// given, can only be `created_at`, as on the list.
fn descending(query: &QueryMap, errors: &mut FieldErrors) -> bool {
    if query.get("sort_by").is_some_and(|s| s != "created_at") {
        errors.add("sort_by", "must be one of: created_at");
    }
    match query.get("sort_order") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            errors.add("sort_order", "must be asc or desc");
            false
        }
    }
}

/// `?month=YYYY-MM` (required): the caller's organization's statement for that month.
async fn read_monthly(
    key: ApiKey,
    state: &AppState,
    query: &QueryMap,
) -> ApiResult<statements::Statement> {
    let mut errors = FieldErrors::new();
    let month = month_param(query, &mut errors);
    errors.into_result()?;
    let month = month.ok_or_else(|| ApiError::field("month", "is required"))?;
    state
        .db
        .read(move |conn| Ok(statements::monthly(conn, &key.org_id, &month)?))
        .await
}

async fn monthly(
    key: ApiKey,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let statement = read_monthly(key, &state, &query).await?;
    Ok(ok(statement))
}

/// The statement as CSV: one row per campaign, `impact` as its labels joined with `; `.
async fn monthly_csv(
    key: ApiKey,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let statement = read_monthly(key, &state, &query).await?;
    let rows = statement.campaigns.iter().map(|c| {
        [
            statement.month.clone(),
            c.campaign_identifier.clone(),
            c.name.clone(),
            statement.currency.to_string(),
            c.amount.to_string(),
            c.donation_count.to_string(),
            labels(&c.impact),
        ]
    });
    let body = csv_bytes(&STATEMENT_COLUMNS, rows)?;
    Ok(csv_ok(&format!("statement_{}.csv", statement.month)).body(body))
}

/// One chunk of an export (the header first), or `None` once every intent went out.
fn export_chunk(
    conn: &Connection,
    (query, cursor, started): &mut (ExportQuery, Cursor, bool),
) -> ApiResult<Option<Bytes>> {
    if cursor.done() {
        return Ok(None);
    }
    let mut out = export::writer(256 * EXPORT_CHUNK as usize);
    if !*started {
        out.write_record(export::HEADER)
            .map_err(|e| ApiError::Internal(format!("CSV: {e}")))?;
        *started = true;
    }
    export::write_chunk(conn, query, cursor, EXPORT_CHUNK, &mut out)?;
    let bytes = out
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("CSV: {e}")))?;
    Ok(Some(Bytes::from(bytes)))
}

/// The file name of an export: `donation_intents.csv`, or with its dates.
fn export_filename(range: &DateRange) -> String {
    match (range.from, range.to) {
        (None, None) => "donation_intents.csv".to_string(),
        (from, to) => format!(
            "donation_intents_{}_{}.csv",
            from.map_or("start".to_string(), |d| d.to_string()),
            to.map_or("end".to_string(), |d| d.to_string())
        ),
    }
}

/// Every intent of the organization as CSV, streamed. It is read in keyset chunks of
/// [`EXPORT_CHUNK`] intents, each in its own short read transaction (a few milliseconds), so a
/// long or slow download never pins a WAL snapshot (SPEC 14: the checkpointer must be able to
/// progress). Consistency: every intent that exists for the whole download appears exactly once,
/// in order; an intent created during the download appears if it sorts after the chunk being
/// read; an intent cancelled during the download may already have been sent.
async fn export_csv(
    key: ApiKey,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    export_response(&state.db, key.org_id, &query)
}

/// The streamed export of one organization's intents, for the public route and the console.
pub fn export_response(db: &Db, org_id: String, query: &QueryMap) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let range = DateRange::parse(query, &mut errors);
    let descending = descending(query, &mut errors);
    errors.into_result()?;
    let export = ExportQuery {
        org_id,
        start: range.start_micros(),
        end: range.end_micros(),
        descending,
    };
    let body = chunked(db.clone(), (export, Cursor::default(), false), export_chunk);
    Ok(csv_ok(&export_filename(&range)).streaming(body))
}

/// The window of the daily series: `date_to` defaults to today (UTC, server clock) and
/// `date_from` to 365 days before `date_to`; more than [`MAX_DAILY_DAYS`] days is a 422.
fn daily_window(query: &QueryMap, today: NaiveDate) -> ApiResult<(i64, i64)> {
    let mut errors = FieldErrors::new();
    let range = DateRange::parse(query, &mut errors);
    errors.into_result()?;
    let to = range.to.unwrap_or(today);
    let from = range
        .from
        .unwrap_or_else(|| to - chrono::Duration::days(MAX_DAILY_DAYS - 1));
    if (to - from).num_days() + 1 > MAX_DAILY_DAYS {
        return Err(ApiError::field(
            "date_from",
            "the window from date_from to date_to must be at most 366 days",
        ));
    }
    let window = DateRange {
        from: Some(from),
        to: Some(to),
    };
    Ok((window.start_micros(), window.end_micros()))
}

async fn impact_daily(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    id: web::Path<String>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let dir = **dir;
    let id = parse_id(&id).ok_or(ApiError::NotFound(dir.resource()))?;
    let (start, end) = daily_window(&query, state.clock.now().date_naive())?;
    // Bounded: at most 366 days of kept rows, a few per day (campaigns, metric wordings).
    let days = state.db.read_inline(|conn| {
        directory::find(conn, dir, &key.org_id, &id)?.ok_or(ApiError::NotFound(dir.resource()))?;
        Ok(crate::store::daily::daily(
            conn,
            dir,
            &key.org_id,
            &id,
            start,
            end,
        )?)
    })?;
    Ok(ok(days))
}

/// The routes of this file. The export comes before `/donation_intents/{id}` in the table (see
/// `api::endpoints`), or `{id}` would take `export.csv` for an id.
pub fn endpoints() -> Vec<crate::api::Endpoint> {
    use crate::api::Endpoint;
    use actix_web::http::Method;
    fn customers(r: actix_web::Resource) -> actix_web::Resource {
        r.app_data(web::Data::new(Directory::Customers))
    }
    fn vendors(r: actix_web::Resource) -> actix_web::Resource {
        r.app_data(web::Data::new(Directory::Vendors))
    }
    vec![
        Endpoint::new(Method::GET, "/reports/monthly", || web::get().to(monthly)),
        Endpoint::new(Method::GET, "/reports/monthly.csv", || {
            web::get().to(monthly_csv)
        }),
        Endpoint::new(Method::GET, "/donation_intents/export.csv", || {
            web::get().to(export_csv)
        }),
        Endpoint::new(Method::GET, "/customers/{id}/impact_metrics/daily", || {
            web::get().to(impact_daily)
        })
        .with_setup(customers),
        Endpoint::new(Method::GET, "/vendors/{id}/impact_metrics/daily", || {
            web::get().to(impact_daily)
        })
        .with_setup(vendors),
    ]
}

//! Prometheus metrics (SPEC §14): the families, their recording by the request middleware, and
//! `GET /metrics` in the Prometheus text format, behind the admin token unless `--metrics-public`.
//!
//! Counters that move with traffic are recorded as it happens (requests here, write jobs and
//! commits by the writer in `db::DbStats`); values that describe a state (database and WAL size,
//! sessions by status, the webhook queue, storage full) are read when scraped.

use crate::auth::Admin;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use rusqlite::Connection;
use std::time::Duration;

/// Every metric family the server exposes, in one registry per running server.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    sessions: IntGaugeVec,
    db_size: IntGauge,
    wal_size: IntGauge,
    storage_full: IntGauge,
    /// Webhook deliveries by outcome (`succeeded`, `failed`, `retrying`...), counted by the
    /// delivery worker.
    pub webhook_deliveries: IntCounterVec,
    webhook_queue_depth: IntGauge,
    /// `/metrics` answers without the admin token.
    public: bool,
}

/// The statuses a session can read back (SPEC §5.4), each reported even when zero.
const SESSION_STATUSES: [&str; 4] = ["active", "processing", "confirmed", "expired"];

fn registered<C: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    collector: C,
) -> Result<C, prometheus::Error> {
    registry.register(Box::new(collector.clone()))?;
    Ok(collector)
}

impl Metrics {
    /// The registry with every family, the database writer's counters and the process collector.
    pub fn new(db: &Db, public: bool) -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "impactapi_http_requests_total",
                    "HTTP requests answered, by method, route template and status.",
                ),
                &["method", "route", "status"],
            )?,
        )?;
        let http_duration = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "impactapi_http_request_duration_seconds",
                    "Time from a request's arrival to its response, by method and route template.",
                )
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                ]),
                &["method", "route"],
            )?,
        )?;
        let sessions = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "impactapi_sessions",
                    "Donation sessions by current status (a session past its expiry counts as expired).",
                ),
                &["status"],
            )?,
        )?;
        let db_size = registered(
            &registry,
            IntGauge::new("impactapi_db_size_bytes", "Size of the database file.")?,
        )?;
        let wal_size = registered(
            &registry,
            IntGauge::new(
                "impactapi_db_wal_size_bytes",
                "Size of the write-ahead log file.",
            )?,
        )?;
        let storage_full = registered(
            &registry,
            IntGauge::new(
                "impactapi_storage_full",
                "1 while writes fail because the disk is full, else 0.",
            )?,
        )?;
        let webhook_deliveries = registered(
            &registry,
            IntCounterVec::new(
                Opts::new(
                    "impactapi_webhook_deliveries_total",
                    "Webhook delivery attempts by outcome.",
                ),
                &["outcome"],
            )?,
        )?;
        let webhook_queue_depth = registered(
            &registry,
            IntGauge::new(
                "impactapi_webhook_queue_depth",
                "Webhook deliveries waiting for an attempt.",
            )?,
        )?;
        // Both outcomes exist from the start, so a scraper sees the family before any delivery.
        for outcome in ["succeeded", "failed"] {
            webhook_deliveries.with_label_values(&[outcome]);
        }
        let stats = db.stats();
        registry.register(Box::new(stats.write_jobs.clone()))?;
        registry.register(Box::new(stats.group_commits.clone()))?;
        registry.register(Box::new(stats.commit_seconds.clone()))?;
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            registry,
            http_requests,
            http_duration,
            sessions,
            db_size,
            wal_size,
            storage_full,
            webhook_deliveries,
            webhook_queue_depth,
            public,
        })
    }

    /// Records one answered request. `route` is the matched template (`/customers/{id}`), never
    /// the raw path; requests that matched no route share one label.
    pub fn observe_request(
        &self,
        method: &Method,
        route: Option<&str>,
        status: u16,
        took: Duration,
    ) {
        let method = method_label(method);
        let route = route.unwrap_or(UNMATCHED);
        let mut code = itoa_buffer();
        let status = format_status(status, &mut code);
        self.http_requests
            .with_label_values(&[method, route, status])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// Reads the state gauges and renders every family.
    fn render(&self, state: &StateReading) -> Result<String, prometheus::Error> {
        for status in SESSION_STATUSES {
            let count = state
                .sessions
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            self.sessions.with_label_values(&[status]).set(count);
        }
        self.db_size.set(state.db_bytes);
        self.wal_size.set(state.wal_bytes);
        self.storage_full.set(i64::from(state.storage_full));
        self.webhook_queue_depth.set(state.webhook_queue);
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

/// The template of the public route that answered (`/customers/{id}`), attached to its resource
/// when the route table is mounted. Reading it costs a type lookup, where asking actix for the
/// matched pattern matches the path against the route map a second time.
#[derive(Debug, Clone)]
pub struct RouteTemplate(pub std::sync::Arc<str>);

/// The route label of a request that matched no route (unknown paths must not create series).
const UNMATCHED: &str = "unmatched";

/// Standard methods by name; anything else as `OTHER`, so odd methods cannot create series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn itoa_buffer() -> [u8; 3] {
    [b'0'; 3]
}

/// A status code as its three digits, without an allocation.
fn format_status(status: u16, buf: &mut [u8; 3]) -> &str {
    let status = status.clamp(100, 999);
    buf[0] = b'0' + (status / 100) as u8;
    buf[1] = b'0' + (status / 10 % 10) as u8;
    buf[2] = b'0' + (status % 10) as u8;
    std::str::from_utf8(buf).unwrap_or("000")
}

/// The values read at scrape time.
struct StateReading {
    sessions: Vec<(String, i64)>,
    db_bytes: i64,
    wal_bytes: i64,
    storage_full: bool,
    webhook_queue: i64,
}

/// Sessions by the status they read back at `now` (SPEC §5.4: past `expires_at` is expired).
fn sessions_by_status(conn: &Connection, now: i64) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut statement = conn.prepare_cached(
        "SELECT CASE WHEN status IN ('active', 'processing') AND expires_at <= ?1
                     THEN 'expired' ELSE status END AS current, COUNT(*)
         FROM sessions GROUP BY current",
    )?;
    let rows = statement.query_map([now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Deliveries waiting for an attempt: those with a next attempt scheduled (read from the
/// partial index the worker uses), and the fresh ones (never attempted) above the delivery
/// worker's cursor of each endpoint it has taken up (`cursors`; those below it are in flight).
fn webhook_queue(conn: &Connection, cursors: &[(String, String)]) -> rusqlite::Result<i64> {
    let scheduled: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL",
        )?
        .query_row([], |r| r.get(0))?;
    let mut fresh = 0;
    for (endpoint, cursor) in cursors {
        fresh += crate::store::attempts::fresh_after(conn, endpoint, cursor)?;
    }
    Ok(scheduled + fresh)
}

fn file_size(path: &std::path::Path) -> i64 {
    std::fs::metadata(path).map_or(0, |m| i64::try_from(m.len()).unwrap_or(i64::MAX))
}

fn wal_path(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push("-wal");
    name.into()
}

/// `GET /metrics`.
async fn scrape(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let Some(metrics) = state.metrics.as_ref() else {
        return Err(ApiError::RouteNotFound);
    };
    if !metrics.public {
        Admin::extract(&req).await?;
    }
    let now = state.clock.now_micros();
    let cursors = state.webhook_cursors.snapshot();
    let (sessions, webhook_queue) = state
        .db
        .read(move |conn| {
            Ok((
                sessions_by_status(conn, now)?,
                webhook_queue(conn, &cursors)?,
            ))
        })
        .await?;
    let path = state.db.path();
    let reading = StateReading {
        sessions,
        db_bytes: file_size(path),
        wal_bytes: file_size(&wal_path(path)),
        storage_full: state.db.storage_full(),
        webhook_queue,
    };
    let body = metrics
        .render(&reading)
        .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(scrape)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_three_digits() {
        let mut buf = itoa_buffer();
        assert_eq!(format_status(200, &mut buf), "200");
        assert_eq!(format_status(507, &mut buf), "507");
        assert_eq!(format_status(42, &mut buf), "100");
    }

    #[test]
    fn odd_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").expect("a method");
        assert_eq!(method_label(&odd), "OTHER");
    }
}

//! SQL for webhook endpoints, their deliveries and the attempts of each (SPEC 11).

use crate::clock::ser_micros;
use crate::domain::first_id_at;
use crate::pagination::PageParams;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

/// A webhook endpoint. The secrets are never serialized.
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: String,
    #[serde(skip)]
    pub org_id: String,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
    pub metadata: Map<String, Value>,
    pub disabled: bool,
    pub disabled_reason: Option<String>,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
    #[serde(serialize_with = "ser_micros")]
    pub updated_at: i64,
    #[serde(skip)]
    pub secret: String,
    #[serde(skip)]
    pub previous_secret: Option<String>,
    #[serde(skip)]
    pub previous_expires_at: Option<i64>,
}

impl Endpoint {
    /// The secrets that sign at `now`: the current one, and the previous one until it expires.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_expires_at) {
            if now < until {
                out.push(previous);
            }
        }
        out
    }
}

const COLUMNS: &str =
    "id, org_id, url, description, event_types, metadata, disabled, disabled_reason,
    created_at, updated_at, secret, previous_secret, previous_expires_at";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Endpoint> {
    let types: String = r.get(4)?;
    let metadata: String = r.get(5)?;
    Ok(Endpoint {
        id: r.get(0)?,
        org_id: r.get(1)?,
        url: r.get(2)?,
        description: r.get(3)?,
        event_types: serde_json::from_str(&types).unwrap_or_default(),
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        disabled: r.get(6)?,
        disabled_reason: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        secret: r.get(10)?,
        previous_secret: r.get(11)?,
        previous_expires_at: r.get(12)?,
    })
}

fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub fn insert(conn: &Connection, e: &Endpoint) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO webhook_endpoints ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?
    .execute(params![
        e.id,
        e.org_id,
        e.url,
        e.description,
        json_text(&e.event_types),
        json_text(&e.metadata),
        e.disabled,
        e.disabled_reason,
        e.created_at,
        e.updated_at,
        e.secret,
        e.previous_secret,
        e.previous_expires_at
    ])?;
    Ok(())
}

/// Writes back every field a PATCH or a rotation may change. Re-enabling clears the failure streak.
pub fn save(conn: &Connection, e: &Endpoint) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET url = ?2, description = ?3, event_types = ?4, metadata = ?5,
             disabled = ?6, disabled_reason = ?7, updated_at = ?8, secret = ?9, previous_secret = ?10,
             previous_expires_at = ?11,
             failing_since = CASE WHEN ?6 = 0 AND disabled = 1 THEN NULL ELSE failing_since END
         WHERE id = ?1",
    )?
    .execute(params![
        e.id,
        e.url,
        e.description,
        json_text(&e.event_types),
        json_text(&e.metadata),
        e.disabled,
        e.disabled_reason,
        e.updated_at,
        e.secret,
        e.previous_secret,
        e.previous_expires_at
    ])?;
    Ok(())
}

pub fn find(conn: &Connection, org_id: &str, id: &str) -> rusqlite::Result<Option<Endpoint>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND org_id = ?2"
    ))?
    .query_row(params![id, org_id], row)
    .optional()
}

/// An endpoint of any organization (for the operator).
pub fn find_any(conn: &Connection, id: &str) -> rusqlite::Result<Option<Endpoint>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?1"
    ))?
    .query_row([id], row)
    .optional()
}

/// Deletes the endpoint and, with it, its deliveries (pending ones are dropped).
pub fn delete(conn: &Connection, org_id: &str, id: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM webhook_endpoints WHERE id = ?1 AND org_id = ?2")?
        .execute(params![id, org_id])?;
    Ok(n > 0)
}

/// A page of the organization's endpoints (every organization's with `None`), and the total.
pub fn list(
    conn: &Connection,
    org_id: Option<&str>,
    page: &PageParams,
) -> rusqlite::Result<(Vec<Endpoint>, i64)> {
    let d = page.direction();
    let items = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM webhook_endpoints WHERE (?1 IS NULL OR org_id = ?1)
             ORDER BY created_at {d}, id {d} LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(params![org_id, page.per_page, page.offset()], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = conn
        .prepare_cached("SELECT COUNT(*) FROM webhook_endpoints WHERE (?1 IS NULL OR org_id = ?1)")?
        .query_row([org_id], |r| r.get(0))?;
    Ok((items, total))
}

/// One attempt of a delivery. `request_headers` is shown to the operator only.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    #[serde(serialize_with = "ser_micros")]
    pub attempted_at: i64,
    pub status_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub response_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_headers: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: Vec<Attempt>,
    #[serde(serialize_with = "crate::clock::ser_opt_micros")]
    pub next_attempt_at: Option<i64>,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
}

/// A delivery's columns, read as `d` joined with its event `ev` (whose type it is).
/// A fresh delivery (pending, never attempted) has no `next_attempt_at` stored: it is due from
/// when it was made, and shown so.
const DELIVERY_COLUMNS: &str =
    "d.id, d.endpoint_id, d.event_id, ev.type, d.status,
     COALESCE(d.next_attempt_at, CASE WHEN d.status = 'pending' THEN d.created_at END), d.created_at";

fn delivery_row(r: &rusqlite::Row) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        endpoint_id: r.get(1)?,
        event_id: r.get(2)?,
        event_type: r.get(3)?,
        status: r.get(4)?,
        attempts: Vec::new(),
        next_attempt_at: r.get(5)?,
        created_at: r.get(6)?,
    })
}

/// Fills in each delivery's attempts, oldest first; with their request headers if `headers`.
fn with_attempts(
    conn: &Connection,
    mut deliveries: Vec<Delivery>,
    headers: bool,
) -> rusqlite::Result<Vec<Delivery>> {
    let mut stmt = conn.prepare_cached(
        "SELECT attempted_at, status_code, duration_ms, error, response_body, request_headers
         FROM webhook_attempts WHERE endpoint_id = ?1 AND delivery_id = ?2 ORDER BY number",
    )?;
    for d in &mut deliveries {
        d.attempts = stmt
            .query_map([&d.endpoint_id, &d.id], |r| {
                let request: String = r.get(5)?;
                Ok(Attempt {
                    attempted_at: r.get(0)?,
                    status_code: r.get(1)?,
                    duration_ms: r.get(2)?,
                    error: r.get(3)?,
                    response_body: r.get(4)?,
                    request_headers: headers
                        .then(|| serde_json::from_str(&request).unwrap_or_default()),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
    }
    Ok(deliveries)
}

/// A page of an endpoint's deliveries, optionally of one status, and the total.
pub fn list_deliveries(
    conn: &Connection,
    endpoint_id: &str,
    status: Option<&str>,
    page: &PageParams,
    headers: bool,
) -> rusqlite::Result<(Vec<Delivery>, i64)> {
    let d = page.direction();
    let items = conn
        .prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events ev ON ev.id = d.event_id
             WHERE d.endpoint_id = ?1 AND (?2 IS NULL OR d.status = ?2)
             ORDER BY d.id {d} LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(
            params![endpoint_id, status, page.per_page, page.offset()],
            delivery_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND (?2 IS NULL OR status = ?2)",
        )?
        .query_row(params![endpoint_id, status], |r| r.get(0))?;
    Ok((with_attempts(conn, items, headers)?, total))
}

/// The endpoints of organization `?2`, or every endpoint when `org_id` is `None` (`?2` is then
/// NULL): a delivery is keyed by its endpoint, so one found by its id alone is looked for under
/// each of them.
fn endpoints_of(org_id: Option<&str>) -> &'static str {
    match org_id {
        Some(_) => "SELECT id FROM webhook_endpoints WHERE org_id = ?2",
        None => "SELECT id FROM webhook_endpoints WHERE ?2 IS NULL",
    }
}

/// A delivery of the organization (any organization's with `None`).
pub fn find_delivery(
    conn: &Connection,
    org_id: Option<&str>,
    id: &str,
    headers: bool,
) -> rusqlite::Result<Option<Delivery>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events ev ON ev.id = d.event_id
             WHERE d.endpoint_id IN ({}) AND d.id = ?1",
            endpoints_of(org_id)
        ))?
        .query_row(params![id, org_id], delivery_row)
        .optional()?;
    Ok(with_attempts(conn, found.into_iter().collect(), headers)?.pop())
}

/// Asks for one immediate attempt of a delivery, whatever its status. False if there is none.
pub fn request_retry(
    conn: &Connection,
    org_id: Option<&str>,
    id: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(&format!(
            "UPDATE webhook_deliveries SET retry_requested = 1, updated_at = ?3
             WHERE endpoint_id IN ({}) AND id = ?1",
            endpoints_of(org_id)
        ))?
        .execute(params![id, org_id, now])?;
    Ok(n > 0)
}

/// Queues again every failed delivery of the endpoint created at or after `since`, on a fresh
/// schedule. Returns how many. The endpoint's deliveries are read from the first id `since` can
/// have on (`first_id_at`), not from its first delivery.
pub fn recover(
    conn: &Connection,
    endpoint_id: &str,
    since: i64,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET status = 'pending', auto_attempts = 0, next_attempt_at = ?3,
             updated_at = ?3
         WHERE endpoint_id = ?1 AND id >= ?4 AND status = 'failed' AND created_at >= ?2",
    )?
    .execute(params![endpoint_id, since, now, first_id_at(since)])
}

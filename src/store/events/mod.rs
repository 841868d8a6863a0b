//! The event outbox (SPEC 11): each write operation records its event here, in its own
//! transaction, with one pending delivery per subscribed, enabled endpoint of the organization.
//! A committed change always has its event; a rolled-back one never does.

use crate::clock::format_micros;
use crate::domain::{first_id_at, id_after, new_id};
use crate::pagination::PageParams;
use crate::webhooks::EventType;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

/// The request body of an event, exactly as signed and sent.
#[derive(Serialize)]
struct Payload<'a, T: Serialize> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: &'a T,
}

/// Stores the event for `data` (the object as its GET shows it now) and queues it for every enabled
/// endpoint of the organization subscribed to `kind`. Returns the event id.
pub fn record<T: Serialize>(
    conn: &Connection,
    org_id: &str,
    kind: EventType,
    data: &T,
    now: i64,
) -> rusqlite::Result<String> {
    let id = insert_event(conn, org_id, kind, data, now)?;
    let endpoints = conn
        .prepare_cached(
            "SELECT id FROM webhook_endpoints
             WHERE org_id = ?1 AND disabled = 0
               AND (event_types = '[]' OR EXISTS (SELECT 1 FROM json_each(event_types) WHERE value = ?2))",
        )?
        .query_map(params![org_id, kind.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for endpoint_id in endpoints {
        queue(conn, &endpoint_id, &id, now)?;
    }
    Ok(id)
}

/// Stores the event and queues it for one endpoint only (the test event). Returns the event id.
pub fn record_for_endpoint<T: Serialize>(
    conn: &Connection,
    org_id: &str,
    endpoint_id: &str,
    kind: EventType,
    data: &T,
    now: i64,
) -> rusqlite::Result<String> {
    let id = insert_event(conn, org_id, kind, data, now)?;
    queue(conn, endpoint_id, &id, now)?;
    Ok(id)
}

fn insert_event<T: Serialize>(
    conn: &Connection,
    org_id: &str,
    kind: EventType,
    data: &T,
    now: i64,
) -> rusqlite::Result<String> {
    let mut id = format!("evt_{}", new_id(now));
    // Event ids increase in commit order too, across processes: along an endpoint's deliveries
    // their events' ids then increase, which retention relies on (`delete_older_than`).
    let last: Option<String> = conn
        .prepare_cached("SELECT max(id) FROM events")?
        .query_row([], |r| r.get(0))?;
    if let Some(last) = last.filter(|last| *last >= id) {
        let after = last
            .strip_prefix("evt_")
            .and_then(id_after)
            .ok_or_else(|| {
                rusqlite::Error::ToSqlConversionFailure("no event id is left after the last".into())
            })?;
        id = format!("evt_{after}");
    }
    let body = serde_json::to_string(&Payload {
        id: &id,
        kind: kind.as_str(),
        timestamp: format_micros(now),
        data,
    })
    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.prepare_cached(
        "INSERT INTO events (id, org_id, type, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, org_id, kind.as_str(), body, now])?;
    Ok(id)
}

/// The settings key of the largest delivery id ever deleted (by a reset or retention): an
/// endpoint left without deliveries still gets ids above what the worker may have read.
const DELIVERY_FLOOR: &str = "delivery_id_floor";

/// What a new delivery of the endpoint must be above: its largest id, or the floor when it has
/// none left. A macro, so that the statements below are constant strings.
macro_rules! last_delivery_id {
    () => {
        "IFNULL((SELECT max(id) FROM webhook_deliveries WHERE endpoint_id = ?1),
                IFNULL((SELECT value FROM settings WHERE key = 'delivery_id_floor'), ''))"
    };
}

/// Queues the event for one endpoint: a fresh delivery, pending with no `next_attempt_at`. Fresh
/// deliveries stay out of the due index (a b-tree less per request that makes an event); the
/// worker finds them along the endpoint's key instead, above the last id it has passed
/// (`attempts::fresh`). That needs an endpoint's delivery ids to increase in commit order, which
/// the id generator gives within this process but not across processes (the CLI's `fixtures load`
/// beside a running server, another clock): so the id is also made greater than every id the
/// endpoint has had (deleted ones are remembered by [`raise_delivery_floor`]). Writers take turns,
/// so no delivery committed later can have a smaller id.
///
/// One statement in the usual case: the id is NULL unless above the last, and OR IGNORE skips
/// such a row (an INSERT ... SELECT reading the table it inserts into would first copy its rows
/// into a temporary b-tree).
fn queue(conn: &Connection, endpoint_id: &str, event_id: &str, now: i64) -> rusqlite::Result<()> {
    let id = new_id(now);
    let inserted = conn
        .prepare_cached(concat!(
            "INSERT OR IGNORE INTO webhook_deliveries
                 (endpoint_id, id, event_id, status, created_at, updated_at)
             VALUES (?1, CASE WHEN ?2 > ",
            last_delivery_id!(),
            " THEN ?2 END, ?3, 'pending', ?4, ?4)"
        ))?
        .execute(params![endpoint_id, id, event_id, now])?;
    if inserted == 1 {
        return Ok(());
    }
    // Another process wrote a larger id for this endpoint (or one was deleted): go on above it.
    let last: String = conn
        .prepare_cached(concat!("SELECT ", last_delivery_id!()))?
        .query_row([endpoint_id], |r| r.get(0))?;
    let id = id_after(&last).ok_or_else(|| {
        rusqlite::Error::ToSqlConversionFailure("no delivery id is left after the last".into())
    })?;
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (endpoint_id, id, event_id, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
    )?
    .execute(params![endpoint_id, id, event_id, now])?;
    Ok(())
}

/// Remembers `largest` (a delivery id about to be deleted, if any) as the floor of new ids.
fn raise_delivery_floor(conn: &Connection, largest: Option<String>) -> rusqlite::Result<()> {
    if let Some(largest) = largest {
        conn.prepare_cached(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
        )?
        .execute(params![DELIVERY_FLOOR, largest])?;
    }
    Ok(())
}

fn parse(body: String) -> Value {
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// One of the organization's events: the payload as delivered.
pub fn find(conn: &Connection, org_id: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    Ok(find_raw(conn, org_id, id)?.map(parse))
}

/// [`find`] as the exact bytes signed and sent (a re-serialization may write numbers differently).
pub fn find_raw(conn: &Connection, org_id: &str, id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT body FROM events WHERE id = ?1 AND org_id = ?2")?
        .query_row(params![id, org_id], |r| r.get::<_, String>(0))
        .optional()
}

/// Filters of `GET /events`.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub kind: Option<String>,
    /// Exclusive bounds on `created_at`, microseconds.
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
}

/// A page of the organization's events (newest first by default) and the total.
pub fn list(
    conn: &Connection,
    org_id: &str,
    filter: &EventFilter,
    page: &PageParams,
) -> rusqlite::Result<(Vec<Value>, i64)> {
    let d = page.direction();
    let cond = "org_id = ?1 AND (?2 IS NULL OR type = ?2) AND (?3 IS NULL OR created_at > ?3)
                AND (?4 IS NULL OR created_at < ?4)";
    let args = params![
        org_id,
        filter.kind,
        filter.created_after,
        filter.created_before
    ];
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM events WHERE {cond}"))?
        .query_row(args, |r| r.get(0))?;
    let items = conn
        .prepare_cached(&format!(
            "SELECT body FROM events WHERE {cond} ORDER BY created_at {d}, id {d} LIMIT ?5 OFFSET ?6"
        ))?
        .query_map(
            params![
                org_id,
                filter.kind,
                filter.created_after,
                filter.created_before,
                page.per_page,
                page.offset()
            ],
            |r| r.get::<_, String>(0),
        )?
        .map(|b| b.map(parse))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((items, total))
}

/// Deletes every event of the organization, and their deliveries and attempts (for a reset of
/// the organization's data; its endpoints stay). Returns how many events.
pub fn delete_org_events(conn: &Connection, org_id: &str) -> rusqlite::Result<usize> {
    let largest = conn
        .prepare_cached(
            "SELECT max(d.id) FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id
             WHERE e.org_id = ?1",
        )?
        .query_row([org_id], |r| r.get(0))?;
    raise_delivery_floor(conn, largest)?;
    conn.prepare_cached(
        "DELETE FROM webhook_deliveries
         WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE org_id = ?1)",
    )?
    .execute([org_id])?;
    conn.prepare_cached("DELETE FROM events WHERE org_id = ?1")?
        .execute([org_id])
}

/// Deletes events created before `cutoff` (the 30-day retention) and their deliveries, up to
/// `limit` deliveries per endpoint and `limit` events per call. Returns how many events.
///
/// Both go by id, along their keys. Ids are ULIDs from a monotonic generator, lifted above the
/// ids before them when another process made those: an id's time is never earlier than the
/// `created_at` it was made with, so an id below the first of `cutoff`'s millisecond belongs to a
/// row created before `cutoff`. Event ids and each endpoint's delivery ids increase in commit
/// order, a delivery made with its event, so along an endpoint's deliveries their events' ids
/// increase too. Each endpoint's old deliveries go first, then only the events
/// below the event of every endpoint's first delivery left: no delivery outlives its event.
pub fn delete_older_than(conn: &Connection, cutoff: i64, limit: i64) -> rusqlite::Result<usize> {
    let endpoints = conn
        .prepare_cached("SELECT id FROM webhook_endpoints")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let before = first_id_at(cutoff);
    let mut events_below = format!("evt_{before}");
    for endpoint in endpoints {
        let largest = conn
            .prepare_cached(
                "SELECT max(id) FROM webhook_deliveries WHERE endpoint_id = ?1 AND id < ?2",
            )?
            .query_row(params![endpoint, before], |r| r.get(0))?;
        raise_delivery_floor(conn, largest)?;
        conn.prepare_cached(
            "DELETE FROM webhook_deliveries WHERE endpoint_id = ?1 AND id IN (
                 SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1 AND id < ?2
                 ORDER BY id LIMIT ?3)",
        )?
        .execute(params![endpoint, before, limit])?;
        let oldest: Option<String> = conn
            .prepare_cached(
                "SELECT event_id FROM webhook_deliveries WHERE endpoint_id = ?1 ORDER BY id LIMIT 1",
            )?
            .query_row([&endpoint], |r| r.get(0))
            .optional()?;
        if let Some(oldest) = oldest.filter(|e| *e < events_below) {
            events_below = oldest;
        }
    }
    conn.prepare_cached(
        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ?1 ORDER BY id LIMIT ?2)",
    )?
    .execute(params![events_below, limit])
}

#[cfg(test)]
mod tests;

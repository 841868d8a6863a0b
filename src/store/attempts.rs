//! SQL of the delivery worker: which deliveries are due, what to send, and recording an attempt
//! with its effect on the delivery's schedule and on the endpoint.

use crate::webhooks::{Settings, FAILING_FOR_MICROS};
use rusqlite::{params, Connection, OptionalExtension};

/// A delivery to attempt now.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery_id: String,
    pub endpoint_id: String,
    /// A manual retry: it does not count towards, nor change, the automatic schedule.
    pub manual: bool,
    /// Fresh (never attempted, not in the due index): found along its endpoint's ids by
    /// [`fresh`]; if its attempt cannot be recorded, the worker reads it again from there.
    pub fresh: bool,
}

/// Manual retries asked for, up to `limit`.
pub fn retries(conn: &Connection, limit: i64) -> rusqlite::Result<Vec<Due>> {
    conn.prepare_cached(
        "SELECT id, endpoint_id FROM webhook_deliveries WHERE retry_requested = 1 LIMIT ?1",
    )?
    .query_map([limit], |r| {
        Ok(Due {
            delivery_id: r.get(0)?,
            endpoint_id: r.get(1)?,
            manual: true,
            fresh: false,
        })
    })?
    .collect()
}

/// The enabled endpoints (whose deliveries are attempted on schedule).
pub fn enabled_endpoints(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached("SELECT id FROM webhook_endpoints WHERE disabled = 0")?
        .query_map([], |r| r.get(0))?
        .collect()
}

/// Up to `limit` pending deliveries of one endpoint due at `now`, the longest-waiting first.
pub fn due(
    conn: &Connection,
    endpoint_id: &str,
    now: i64,
    limit: i64,
) -> rusqlite::Result<Vec<Due>> {
    conn.prepare_cached(
        "SELECT id FROM webhook_deliveries WHERE endpoint_id = ?1 AND next_attempt_at <= ?2
         ORDER BY next_attempt_at LIMIT ?3",
    )?
    .query_map(params![endpoint_id, now, limit], |r| {
        Ok(Due {
            delivery_id: r.get(0)?,
            endpoint_id: endpoint_id.to_string(),
            manual: false,
            fresh: false,
        })
    })?
    .collect()
}

/// The condition of a fresh delivery: pending and never scheduled (never attempted, or only by a
/// manual retry), so due now and not in the due index. A macro, so that statements stay constant.
macro_rules! fresh {
    () => {
        "status = 'pending' AND next_attempt_at IS NULL"
    };
}

/// Up to `limit` deliveries of one endpoint with ids above `after` (`""`: from its first), in id
/// order, each with whether it is fresh: pending and never scheduled, so due now. The others were
/// attempted since (recorded, or scheduled in the due index) and are passed over.
pub fn fresh(
    conn: &Connection,
    endpoint_id: &str,
    after: &str,
    limit: i64,
) -> rusqlite::Result<Vec<(String, bool)>> {
    conn.prepare_cached(concat!(
        "SELECT id, ",
        fresh!(),
        " FROM webhook_deliveries WHERE endpoint_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
    ))?
    .query_map(params![endpoint_id, after, limit], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?
    .collect()
}

/// Where [`fresh`] starts for an endpoint the worker takes up (at a start, or once re-enabled):
/// just below its first fresh delivery, else after its last delivery (`""` if it has none). Reads
/// the endpoint's deliveries once, along its key.
pub fn fresh_start(conn: &Connection, endpoint_id: &str) -> rusqlite::Result<String> {
    let first: Option<String> = conn
        .prepare_cached(concat!(
            "SELECT min(id) FROM webhook_deliveries WHERE endpoint_id = ?1 AND ",
            fresh!()
        ))?
        .query_row([endpoint_id], |r| r.get(0))?;
    if let Some(first) = first {
        return Ok(crate::domain::id_before(&first));
    }
    let last: Option<String> = conn
        .prepare_cached("SELECT max(id) FROM webhook_deliveries WHERE endpoint_id = ?1")?
        .query_row([endpoint_id], |r| r.get(0))?;
    Ok(last.unwrap_or_default())
}

/// The endpoint's fresh deliveries with ids above `after` (waiting for the worker to take them).
pub fn fresh_after(conn: &Connection, endpoint_id: &str, after: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached(concat!(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?1 AND id > ?2 AND ",
        fresh!()
    ))?
    .query_row([endpoint_id, after], |r| r.get(0))
}

/// What one attempt sends.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub event_id: String,
    pub body: String,
    pub secrets: Vec<String>,
}

/// The request of a delivery at `now` (its endpoint's url and signing secrets, its event's body),
/// or `None` if the delivery or its endpoint is gone.
pub fn request(conn: &Connection, due: &Due, now: i64) -> rusqlite::Result<Option<Request>> {
    conn.prepare_cached(
        "SELECT e.url, ev.id, ev.body, e.secret,
                CASE WHEN e.previous_expires_at > ?2 THEN e.previous_secret END
         FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id
         JOIN events ev ON ev.id = d.event_id
         WHERE d.endpoint_id = ?3 AND d.id = ?1",
    )?
    .query_row(params![due.delivery_id, now, due.endpoint_id], |r| {
        let previous: Option<String> = r.get(4)?;
        Ok(Request {
            url: r.get(0)?,
            event_id: r.get(1)?,
            body: r.get(2)?,
            secrets: std::iter::once(r.get(3)?).chain(previous).collect(),
        })
    })
    .optional()
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempted_at: i64,
    pub status_code: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub request_headers: String,
    pub response_body: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// Records an attempt and moves the delivery on: 2xx succeeds; 410 fails it and disables the
/// endpoint (`gone`); another failure schedules the next automatic attempt, or fails the delivery
/// when the schedule is spent. A manual retry changes the status only by succeeding. The endpoint
/// is disabled (`failing`) once all its attempts have failed for 5 days; a success resets that.
pub fn record(
    conn: &Connection,
    due: &Due,
    outcome: &Outcome,
    settings: &Settings,
    now: i64,
) -> rusqlite::Result<()> {
    let Some((status, made)) = conn
        .prepare_cached(
            "SELECT status, auto_attempts FROM webhook_deliveries WHERE endpoint_id = ?1 AND id = ?2",
        )?
        .query_row([&due.endpoint_id, &due.delivery_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?
    else {
        return Ok(()); // deleted with its endpoint meanwhile
    };
    conn.prepare_cached(
        "INSERT INTO webhook_attempts (endpoint_id, delivery_id, number, attempted_at, status_code,
                                       duration_ms, error, request_headers, response_body)
         VALUES (?8, ?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM webhook_attempts
                          WHERE endpoint_id = ?8 AND delivery_id = ?1),
                 ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        due.delivery_id,
        outcome.attempted_at,
        outcome.status_code,
        outcome.duration_ms,
        outcome.error,
        outcome.request_headers,
        outcome.response_body,
        due.endpoint_id
    ])?;
    let gone = outcome.status_code == Some(410);
    let (status, made, next) = if outcome.succeeded() {
        ("succeeded".to_string(), made + i64::from(!due.manual), None)
    } else if due.manual {
        // The automatic schedule goes on as it was.
        let next: Option<i64> = conn
            .prepare_cached(
                "SELECT next_attempt_at FROM webhook_deliveries WHERE endpoint_id = ?1 AND id = ?2",
            )?
            .query_row([&due.endpoint_id, &due.delivery_id], |r| r.get(0))?;
        (status, made, next)
    } else if gone {
        ("failed".to_string(), made + 1, None)
    } else {
        match settings.delay_after(made + 1) {
            Some(delay) => ("pending".to_string(), made + 1, Some(now + delay)),
            None => ("failed".to_string(), made + 1, None),
        }
    };
    conn.prepare_cached(
        "UPDATE webhook_deliveries SET status = ?2, auto_attempts = ?3, next_attempt_at = ?4,
             retry_requested = CASE WHEN ?5 THEN 0 ELSE retry_requested END, updated_at = ?6
         WHERE endpoint_id = ?7 AND id = ?1",
    )?
    .execute(params![
        due.delivery_id,
        status,
        made,
        next,
        due.manual,
        now,
        due.endpoint_id
    ])?;
    endpoint_after(conn, &due.endpoint_id, outcome.succeeded(), gone, now)
}

fn endpoint_after(
    conn: &Connection,
    endpoint_id: &str,
    succeeded: bool,
    gone: bool,
    now: i64,
) -> rusqlite::Result<()> {
    if succeeded {
        conn.prepare_cached(
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL",
        )?
        .execute([endpoint_id])?;
        return Ok(());
    }
    if gone {
        conn.prepare_cached(
            "UPDATE webhook_endpoints SET disabled = 1, disabled_reason = 'gone', updated_at = ?2
             WHERE id = ?1 AND disabled = 0",
        )?
        .execute(params![endpoint_id, now])?;
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, ?2) WHERE id = ?1",
    )?
    .execute(params![endpoint_id, now])?;
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET disabled = 1, disabled_reason = 'failing', updated_at = ?2
         WHERE id = ?1 AND disabled = 0 AND failing_since <= ?2 - ?3",
    )?
    .execute(params![endpoint_id, now, FAILING_FOR_MICROS])?;
    Ok(())
}

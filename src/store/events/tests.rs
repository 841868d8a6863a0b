//! Tests of the event outbox: id order across processes and deletions, and retention.

use super::*;

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// A fresh database with one organization and these endpoints of it (subscribed to every
/// event); the directory lives as long as the returned guard.
fn with_endpoints(ids: &[&str]) -> (tempfile::TempDir, Connection, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let conn = crate::db::open(&dir.path().join("t.db")).expect("open");
    let org = crate::store::orgs::insert(&conn, "O", false, 0)
        .expect("org")
        .id;
    for id in ids {
        conn.execute(
            "INSERT INTO webhook_endpoints (id, org_id, url, secret, created_at, updated_at)
             VALUES (?1, ?2, 'http://127.0.0.1:1/', 'whsec_x', 0, 0)",
            params![id, org],
        )
        .expect("endpoint");
    }
    (dir, conn, org)
}

/// What retention relies on: along an endpoint's deliveries (its key order), their events' ids
/// increase, and each delivery's id is above its event's, whatever the times given.
#[test]
fn deliveries_follow_their_events_in_id_order() {
    let (_dir, conn, org) = with_endpoints(&["e"]);
    let data = serde_json::json!({"id": "x"});
    // Times out of order (a backdated write, a clock moved back) and within one millisecond.
    let mut made = Vec::new();
    for now in [5_000_000, 5_000_001, 9_000_000, 1_000_000, 9_000_000] {
        made.push(record(&conn, &org, EventType::CustomerCreated, &data, now).expect("record"));
    }
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT id, event_id FROM webhook_deliveries WHERE endpoint_id = 'e' ORDER BY id")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let events: Vec<&String> = rows.iter().map(|(_, e)| e).collect();
    assert_eq!(
        events,
        made.iter().collect::<Vec<_>>(),
        "in the order they were made"
    );
    for (delivery, event) in &rows {
        assert!(
            delivery.as_str() > &event["evt_".len()..],
            "{delivery} after {event}"
        );
    }
}

/// The worker reads fresh deliveries along an endpoint's ids (`attempts::fresh`), so each one
/// committed must be above every id the endpoint has, even one another process wrote from its
/// own generator and clock.
#[test]
fn fresh_deliveries_go_above_every_id_of_their_endpoint() {
    let (_dir, conn, org) = with_endpoints(&["e"]);
    let data = serde_json::json!({"id": "x"});
    record(&conn, &org, EventType::CustomerCreated, &data, 5_000_000).expect("record");
    // Another process, its clock far ahead (year 2500: beyond any id this process's
    // generator has made, whatever other tests ran), wrote a delivery for the same endpoint.
    let ahead = first_id_at(16_725_225_600_000_000);
    conn.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, id, event_id, status, created_at, updated_at)
         SELECT 'e', ?1, event_id, 'pending', 0, 0 FROM webhook_deliveries LIMIT 1",
        [&ahead],
    )
    .expect("other process");
    let event = record(&conn, &org, EventType::CustomerCreated, &data, 6_000_000).expect("record");
    let (id, next, status): (String, Option<i64>, String) = conn
        .query_row(
            "SELECT id, next_attempt_at, status FROM webhook_deliveries WHERE event_id = ?1",
            [&event],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("delivery");
    assert_eq!(
        Some(id.clone()),
        crate::domain::id_after(&ahead),
        "just above"
    );
    assert_eq!(
        (next, status.as_str()),
        (None, "pending"),
        "fresh: not in the due index"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM webhook_deliveries INDEXED BY webhook_deliveries_due
                      WHERE endpoint_id = 'e' AND next_attempt_at IS NOT NULL"
        ),
        0
    );
    // Read along the key from the first delivery: the two after it, in commit order, fresh.
    let first: String = conn
        .query_row("SELECT min(id) FROM webhook_deliveries", [], |r| r.get(0))
        .expect("first");
    let after = crate::store::attempts::fresh(&conn, "e", &first, 10).expect("fresh");
    assert_eq!(after, vec![(ahead.clone(), true), (id.clone(), true)]);
    assert_eq!(
        crate::store::attempts::fresh_start(&conn, "e").expect("start"),
        crate::domain::id_before(&first),
        "a worker starting reads from just below the first fresh one"
    );
    conn.execute("UPDATE webhook_deliveries SET status = 'succeeded'", [])
        .expect("all attempted");
    assert_eq!(
        crate::store::attempts::fresh_start(&conn, "e").expect("start"),
        id,
        "none fresh: from after the last"
    );
    assert_eq!(
        crate::store::attempts::fresh_start(&conn, "nobody").expect("start"),
        ""
    );
}

/// Retention relies on event ids increasing along an endpoint's deliveries: an event made after
/// another process wrote a larger event id goes above it, and a delivery made after its
/// endpoint's deliveries were all deleted (a reset) goes above the largest deleted.
#[test]
fn ids_go_above_those_of_other_processes_and_deleted_ones() {
    let (_dir, conn, org) = with_endpoints(&["e"]);
    let data = serde_json::json!({"id": "x"});
    let far = first_id_at(16_725_225_600_000_000); // year 2500
    conn.execute(
        "INSERT INTO events (id, org_id, type, body, created_at) VALUES (?1, ?2, 't', '{}', 0)",
        params![format!("evt_{far}"), org],
    )
    .expect("another process's event");
    let event = record(&conn, &org, EventType::CustomerCreated, &data, 5_000_000).expect("record");
    assert_eq!(
        event,
        format!("evt_{}", crate::domain::id_after(&far).expect("after"))
    );
    // Another process's delivery (year 2600), then the organization is reset: its deliveries
    // go; the next one is still above them.
    let last = first_id_at(19_880_899_200_000_000);
    conn.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, id, event_id, status, created_at, updated_at)
         VALUES ('e', ?1, ?2, 'pending', 0, 0)",
        params![last, event],
    )
    .expect("another process's delivery");
    delete_org_events(&conn, &org).expect("reset");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_deliveries"), 0);
    conn.execute(
        "INSERT INTO events (id, org_id, type, body, created_at) VALUES ('evt_0', ?1, 't', '{}', 0)",
        [&org],
    )
    .expect("an old event, so that event ids do not lift the delivery's");
    conn.execute("DELETE FROM events WHERE id <> 'evt_0'", [])
        .expect("only it");
    let event = record(&conn, &org, EventType::CustomerCreated, &data, 5_000_000).expect("record");
    let id: String = conn
        .query_row(
            "SELECT id FROM webhook_deliveries WHERE event_id = ?1",
            [&event],
            |r| r.get(0),
        )
        .expect("delivery");
    assert!(id > last, "{id} above the deleted {last}");
}

/// Retention finds deliveries through their endpoints, a bounded number per call, and never
/// deletes an event a delivery still names.
#[test]
fn retention_deletes_old_deliveries_then_their_events_and_leaves_no_orphan() {
    let (_dir, conn, org) = with_endpoints(&["e1", "e2"]);
    // Rows as the writer makes them (an event, then its deliveries, ids from one monotonic
    // generator): old events at 1-10 ms, new ones at 101-110 ms.
    let mut seq = 0u128;
    let mut id_at = |ms: i64| {
        seq += 1;
        ulid::Ulid::from_parts(ms as u64, seq).to_string()
    };
    for ms in (1..=10).chain(101..=110) {
        let event = format!("evt_{}", id_at(ms));
        conn.execute(
            "INSERT INTO events (id, org_id, type, body, created_at) VALUES (?1, ?2, 't', '{}', ?3)",
            params![event, org, ms * 1000],
        )
        .expect("event");
        for endpoint in ["e1", "e2"] {
            conn.execute(
                "INSERT INTO webhook_deliveries (endpoint_id, id, event_id, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'succeeded', ?4, ?4)",
                params![endpoint, id_at(ms), event, ms * 1000],
            )
            .expect("delivery");
        }
    }
    // An attempt on an old delivery goes with it.
    conn.execute(
        "INSERT INTO webhook_attempts (endpoint_id, delivery_id, number, attempted_at,
                                       duration_ms, request_headers)
         SELECT endpoint_id, id, 1, 0, 0, '{}' FROM webhook_deliveries WHERE created_at = 1000",
        [],
    )
    .expect("attempts");
    let orphans = "SELECT COUNT(*) FROM webhook_deliveries d
                   WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)";
    let mut deleted = 0;
    for _ in 0..5 {
        deleted += delete_older_than(&conn, 50_000, 3).expect("retention");
        assert_eq!(count(&conn, orphans), 0, "no delivery outlives its event");
    }
    assert_eq!(
        deleted, 10,
        "every old event, 3 deliveries per endpoint per call"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE created_at < 50000"
        ),
        0
    );
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_attempts"), 0);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_deliveries"), 20);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM events"), 10);
}

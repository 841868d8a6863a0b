//! Schema steps: each applied once, in order, in a transaction of its own; `user_version` says
//! how many a database has seen.

use rusqlite::{Connection, TransactionBehavior};

/// Schema steps; step N brings `user_version` from N-1 to N. Append, never edit.
pub(super) const MIGRATIONS: &[&str] = &[
    include_str!("../../schema.sql"),
    include_str!("../../migrations/0002_party_rollups.sql"),
    include_str!("../../migrations/0003_webhooks.sql"),
    include_str!("../../migrations/0004_lean_deliveries.sql"),
    include_str!("../../migrations/0005_deliveries_by_endpoint.sql"),
    include_str!("../../migrations/0006_delivery_status_check.sql"),
];

/// Applies the schema steps the database has not seen, each in one transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the schema steps the database has not seen up to step `last`. Foreign keys are off
/// while a step runs (a step may rebuild a table others reference: dropping the old one must not
/// cascade) and are checked before it commits.
pub(super) fn migrate_to(conn: &mut Connection, last: usize) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let steps = MIGRATIONS.iter().enumerate().take(last);
    let mut pending = steps.skip(version.max(0) as usize).peekable();
    if pending.peek().is_none() {
        return Ok(());
    }
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let applied = (|| {
        for (index, step) in pending {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(step)?;
            let broken: i64 =
                tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                    Some(format!(
                        "schema step {} leaves {broken} rows whose foreign key names no row",
                        index + 1
                    )),
                ));
            }
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = index + 1, "applied schema step");
        }
        Ok(())
    })();
    if enforced {
        conn.execute_batch("PRAGMA foreign_keys = ON")?;
    }
    applied
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// Steps 4, 5 and 6 rebuild webhook_deliveries, which webhook_attempts references (step 5
    /// rebuilds both): every delivery and attempt is kept, foreign keys are on again afterwards
    /// and point at the new tables.
    #[test]
    fn delivery_rebuilds_keep_deliveries_and_attempts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Connection::open(dir.path().join("t.db")).expect("open");
        conn.execute_batch("PRAGMA foreign_keys = ON").expect("fk");
        migrate_to(&mut conn, 3).expect("steps 1-3");
        conn.execute_batch(
            "INSERT INTO organizations (id, name, is_sandbox, created_at) VALUES ('o', 'O', 0, 0);
             INSERT INTO webhook_endpoints (id, org_id, url, secret, created_at, updated_at)
                 VALUES ('e', 'o', 'http://127.0.0.1:1/', 'whsec_x', 0, 0);
             INSERT INTO events (id, org_id, type, body, created_at) VALUES ('evt_1', 'o', 't', '{}', 5);
             INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, event_type, status,
                                             next_attempt_at, created_at, updated_at)
                 VALUES ('d1', 'o', 'e', 'evt_1', 't', 'pending', 9, 5, 5),
                        ('d2', 'o', 'e', 'evt_1', 't', 'succeeded', NULL, 5, 6);
             INSERT INTO webhook_attempts (delivery_id, number, attempted_at, duration_ms, request_headers)
                 VALUES ('d1', 1, 6, 1, '{}'), ('d1', 2, 7, 1, '{}'), ('d2', 1, 6, 1, '{}');",
        )
        .expect("step 3 rows");
        migrate(&mut conn).expect("steps 4, 5 and 6");
        assert_eq!(count(&conn, "PRAGMA user_version"), MIGRATIONS.len() as i64);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_deliveries"), 2);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_attempts"), 3);
        assert_eq!(
            count(
                &conn,
                "SELECT next_attempt_at FROM webhook_deliveries WHERE id = 'd1'"
            ),
            9
        );
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d
                 ON d.endpoint_id = a.endpoint_id AND d.id = a.delivery_id"
            ),
            3,
            "each attempt keyed by its delivery's endpoint"
        );
        let indexes: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
                   AND tbl_name IN ('webhook_deliveries', 'webhook_attempts', 'events') ORDER BY name",
            )
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(
            indexes,
            [
                "events_org",
                "webhook_deliveries_due",
                "webhook_deliveries_retry"
            ],
            "the key serves listing and retention: no index by endpoint and time, none by age"
        );
        assert_eq!(count(&conn, "PRAGMA foreign_keys"), 1, "enforced again");
        // Step 6: the status is still checked, by equality tests (an IN list of three builds a
        // temporary b-tree on every write of the row).
        let table: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'webhook_deliveries'",
                [],
                |r| r.get(0),
            )
            .expect("table");
        assert!(!table.contains("status IN"), "{table}");
        let bad = conn.execute(
            "UPDATE webhook_deliveries SET status = 'lost' WHERE id = 'd1'",
            [],
        );
        assert!(bad.is_err(), "an unknown status is refused");
        assert!(
            conn.prepare("SELECT rowid FROM webhook_deliveries")
                .is_err(),
            "keyed by endpoint and id, no rowid"
        );
        // The attempts' reference follows the new table: deleting the endpoint cascades through it.
        conn.execute("DELETE FROM webhook_endpoints WHERE id = 'e'", [])
            .expect("delete endpoint");
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_deliveries"), 0);
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM webhook_attempts"), 0);
    }

    #[test]
    fn a_step_leaving_a_broken_reference_is_not_applied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Connection::open(dir.path().join("t.db")).expect("open");
        migrate_to(&mut conn, 4).expect("steps 1-4");
        // What step 5 then copies as it is: a delivery whose endpoint does not exist.
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, event_type, status,
                                             created_at, updated_at)
                 VALUES ('d', 'o', 'none', 'evt_1', 't', 'pending', 0, 0);",
        )
        .expect("orphan");
        let err = migrate(&mut conn).expect_err("step 5 finds the orphan");
        assert!(err.to_string().contains("foreign key"), "{err}");
        assert_eq!(count(&conn, "PRAGMA user_version"), 4, "rolled back");
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM webhook_deliveries WHERE org_id = 'o'"
            ),
            1,
            "the step-4 table is left as it was"
        );
    }
}

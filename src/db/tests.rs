//! The kept per-party totals (schema.sql triggers) against the queries they replace.

use super::*;

use crate::domain::impact::Metric;
use crate::domain::new_id;
use crate::pagination::DateRange;
use crate::store::campaigns::Campaign;
use crate::store::directory::Directory;
use crate::store::intents::{self, Attribution};
use chrono::NaiveDate;
use rusqlite::params;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000_000;

fn metric(key: &str, name: &str, emoji: Option<&str>, per_dollar: f64) -> Metric {
    Metric {
        key: key.into(),
        name: name.into(),
        emoji: emoji.map(str::to_string),
        icon: None,
        unit_singular: "unit".into(),
        unit_plural: "units".into(),
        verb_present: "do".into(),
        verb_past: "done".into(),
        impact_per_dollar: per_dollar,
    }
}

fn campaign(identifier: &str, metrics: Vec<Metric>) -> Campaign {
    Campaign {
        id: identifier.into(),
        identifier: identifier.into(),
        name: identifier.to_uppercase(),
        description: None,
        image_url: None,
        active: true,
        impact_metrics: metrics,
        created_at: 0,
        updated_at: 0,
    }
}

/// `impact_totals` as it was computed before the per-day tables: straight from the intents.
fn totals_from_intents(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    party_id: &str,
    range: &DateRange,
) -> (Value, Value, i64) {
    let col = dir.intent_column();
    let filter =
        format!("di.{col} = ?1 AND di.org_id = ?2 AND di.created_at >= ?3 AND di.created_at < ?4");
    let args = params![party_id, org_id, range.start_micros(), range.end_micros()];
    let mut stmt = conn
        .prepare(&format!(
            "SELECT di.campaign_identifier, COUNT(*), SUM(di.amount) FROM donation_intents di
             WHERE {filter} GROUP BY di.campaign_identifier ORDER BY di.campaign_identifier"
        ))
        .expect("prepare");
    let by_campaign: Vec<Value> = stmt
        .query_map(args, |r| {
            Ok(json!({"campaign_identifier": r.get::<_, String>(0)?,
                      "donation_count": r.get::<_, i64>(1)?, "total_amount": r.get::<_, i64>(2)?}))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT ii.key, MAX(ii.name), MAX(ii.emoji), MAX(ii.icon), SUM(ii.quantity_centi),
                    MAX(ii.unit_singular), MAX(ii.unit_plural), MAX(ii.verb_past)
             FROM donation_intents di JOIN intent_impacts ii ON ii.intent_id = di.id
             WHERE {filter} GROUP BY ii.key ORDER BY MIN(di.created_at), ii.key"
        ))
        .expect("prepare");
    let metrics = stmt
        .query_map(args, |r| intents::impact_row(r, false))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows");
    let count = conn
        .query_row(
            &format!("SELECT COUNT(*) FROM donation_intents di WHERE {filter}"),
            args,
            |r| r.get(0),
        )
        .expect("count");
    (json!(by_campaign), json!(metrics), count)
}

/// Every row `sql` returns, every column as a SQLite value.
fn all_rows(conn: &Connection, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .expect("query")
        .collect::<rusqlite::Result<Vec<Vec<_>>>>()
        .expect("rows")
}

/// The per-day and per-month tables kept by the triggers give the same totals as the intents
/// themselves, through inserts and deletes, across days, months, parties, organizations and
/// changed wording; the month rows of intents stored before schema step 2 come from its back-fill.
#[test]
fn party_day_totals_match_the_intents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.db");
    let mut conn = Connection::open(&path).expect("open");
    configure(&conn).expect("configure");
    migrate_to(&mut conn, 1).expect("schema step 1");
    // `intents::insert` records its webhook event: while this database stands in for one of
    // schema step 1, it has the outbox tables of step 3 too (dropped before the real steps run).
    conn.execute_batch(MIGRATIONS[2]).expect("outbox tables");
    let org_a = crate::store::orgs::insert(&conn, "A", false, 0)
        .expect("org")
        .id;
    let org_b = crate::store::orgs::insert(&conn, "B", false, 0)
        .expect("org")
        .id;
    let variants = [
        campaign("trees", vec![metric("trees", "Trees", Some("🌳"), 4.0)]),
        campaign(
            "trees",
            vec![metric("trees", "Trees planted", Some("🌳"), 3.0)],
        ),
        campaign(
            "meals",
            vec![
                metric("meals", "Meals", None, 10.0),
                metric("trees", "Trees", Some("🌲"), 0.5),
            ],
        ),
        campaign(
            "plastic",
            vec![metric("plastic", "Plastic", Some("♻️"), 1.0)],
        ),
    ];
    let parties = [None, Some(new_id(1)), Some(new_id(2))];
    let vendors = [None, Some(new_id(3))];
    let base = 1_700_000_000_000_000 / DAY * DAY;
    let mut seed = 42u64;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    let mut ids = Vec::new();
    for i in 0..400 {
        let org = if next(5) == 0 { &org_b } else { &org_a };
        let who = Attribution {
            customer_id: parties[next(3) as usize].clone(),
            vendor_id: vendors[next(2) as usize].clone(),
            ..Attribution::default()
        };
        // Some intents share a microsecond, as a session's allocations do.
        let now = base + (next(100) as i64) * DAY + (next(50) as i64) * 1_000_000;
        let c = &variants[next(variants.len() as u64) as usize];
        let id = new_id(now + i);
        intents::insert(
            &conn,
            org,
            id.clone(),
            1 + next(10_000) as i64,
            c,
            &who,
            now,
        )
        .expect("insert");
        ids.push((org.clone(), id));
        if i == 150 {
            conn.execute_batch(
                "DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries; DROP TABLE events;
                 DROP TABLE webhook_endpoints;",
            )
            .expect("drop outbox tables");
            migrate(&mut conn).expect("later schema steps");
        }
    }
    for (org, id) in ids.iter().filter(|_| next(3) == 0) {
        assert!(intents::delete(&conn, org, id, 0).expect("delete"));
    }
    // The intents span 2023-11-14 to 2024-02-21: ranges within a day, within a month, across
    // month edges, of exactly whole months, inverted, and open at either end.
    let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
    let range = |from, to| DateRange { from, to };
    let ranges = [
        DateRange::default(),
        range(day(2023, 11, 15), day(2023, 11, 15)),
        range(day(2023, 11, 14), day(2023, 11, 16)),
        range(day(2023, 11, 16), None),
        range(None, day(2023, 11, 14)),
        range(day(2023, 11, 20), day(2024, 1, 10)),
        range(day(2023, 12, 1), day(2023, 12, 31)),
        range(day(2023, 12, 1), day(2024, 1, 31)),
        range(day(2023, 11, 30), day(2024, 2, 1)),
        range(day(2023, 12, 2), day(2023, 12, 30)),
        range(day(2023, 12, 2), day(2024, 1, 31)),
        range(day(2023, 11, 14), day(2024, 2, 20)),
        range(day(2024, 1, 1), None),
        range(None, day(2023, 12, 31)),
        range(None, day(2024, 1, 15)),
        range(day(2024, 1, 15), day(2023, 12, 15)),
    ];
    let mut compared = 0;
    for (kind, party) in parties[1..]
        .iter()
        .map(|p| (Directory::Customers, p))
        .chain(vendors[1..].iter().map(|p| (Directory::Vendors, p)))
    {
        let party = party.as_deref().expect("party");
        for org in [&org_a, &org_b] {
            for range in &ranges {
                let (by_campaign, metrics, count) =
                    totals_from_intents(&conn, kind, org, party, range);
                let kept = crate::store::totals::impact_totals(&conn, kind, org, party, range)
                    .expect("totals");
                let kept = serde_json::to_value(kept).expect("serializes");
                assert_eq!(kept["by_campaign"], by_campaign, "{kind:?} {range:?}");
                assert_eq!(kept["impact_metrics"], metrics, "{kind:?} {range:?}");
                assert_eq!(kept["donation_count"], json!(count), "{kind:?} {range:?}");
                let page = crate::pagination::PageParams {
                    page: 1,
                    per_page: 1,
                    sort_by: "created_at",
                    descending: true,
                };
                let (_, listed) =
                    intents::list_for_party(&conn, kind, org, party, range, &page).expect("list");
                assert_eq!(listed, count, "list total {kind:?} {range:?}");
                compared += usize::from(count > 0);
            }
        }
    }
    assert!(compared > 40, "the ranges should hold intents");
    // The month rows are the sums of the day rows.
    let months_of = |table: &str, columns: &str, sums: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let month = "unixepoch(day / 1000000, 'unixepoch', 'start of month') * 1000000";
        let days = format!(
            "SELECT party_id, kind, org_id, {month}, {columns}, {sums} FROM {table}_days
             GROUP BY party_id, kind, org_id, {month}, {columns} ORDER BY 1, 2, 3, 4, {columns}"
        );
        let kept = all_rows(
            &conn,
            &format!(
                "SELECT party_id, kind, org_id, month, {columns}, {} FROM {table}_months
             ORDER BY 1, 2, 3, 4, {columns}",
                sums.replace("SUM(", "(").replace("MIN(", "(")
            ),
        );
        assert_eq!(kept, all_rows(&conn, &days), "{table}_months");
        kept
    };
    let months = months_of(
        "party_campaign",
        "campaign_identifier",
        "SUM(donation_count), SUM(total_amount)",
    );
    assert!(months.len() > 20, "{} campaign month rows", months.len());
    months_of(
        "party_impact",
        "key, name, emoji, icon, unit_singular, unit_plural, verb_past",
        "SUM(impact_count), SUM(quantity_centi), MIN(first_created_at)",
    );
    // The all-time rows are the sums of the month rows.
    for (prefix, columns, sums) in [
        (
            "party_campaign",
            "campaign_identifier",
            "SUM(donation_count), SUM(total_amount)",
        ),
        (
            "party_impact",
            "key, name, emoji, icon, unit_singular, unit_plural, verb_past",
            "SUM(impact_count), SUM(quantity_centi), MIN(first_created_at)",
        ),
    ] {
        let kept = all_rows(
            &conn,
            &format!(
                "SELECT party_id, kind, org_id, {columns}, {} FROM {prefix}_totals
             ORDER BY 1, 2, 3, {columns}",
                sums.replace("SUM(", "(").replace("MIN(", "(")
            ),
        );
        let summed = all_rows(
            &conn,
            &format!(
                "SELECT party_id, kind, org_id, {columns}, {sums} FROM {prefix}_months
             GROUP BY party_id, kind, org_id, {columns} ORDER BY 1, 2, 3, {columns}"
            ),
        );
        assert!(kept.len() > 5, "{prefix}_totals: {} rows", kept.len());
        assert_eq!(kept, summed, "{prefix}_totals");
    }
    // Deleting every intent leaves no per-day or per-month rows behind.
    for (org, id) in &ids {
        intents::delete(&conn, org, id, 0).expect("delete");
    }
    for table in [
        "party_campaign_days",
        "party_impact_days",
        "party_campaign_months",
        "party_impact_months",
        "party_campaign_totals",
        "party_impact_totals",
    ] {
        let left: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .expect("count");
        assert_eq!(left, 0, "{table}");
    }
}

/// Inline reads use the calling thread's own connection to the right database: two databases
/// open in one process (as in the tests) never answer for each other, on any thread, and a row
/// the writer committed is read at once.
#[test]
fn inline_reads_keep_one_connection_per_database_and_thread() {
    let dirs = [
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    ];
    let names = ["first", "second"];
    let dbs: Vec<Db> = dirs
        .iter()
        .zip(names)
        .map(|(dir, name)| {
            let path = dir.path().join("t.db");
            let conn = open(&path).expect("open");
            crate::store::orgs::insert(&conn, name, false, 0).expect("org");
            Db::open(&path, 2).expect("db")
        })
        .collect();
    let org_names = |db: &Db| -> Vec<String> {
        let read = db
            .read_inline(|conn| Ok(crate::store::orgs::list(conn)?))
            .expect("read");
        let single = db
            .read_statement(|conn| {
                Ok(
                    conn.query_row("SELECT COUNT(*) FROM organizations", [], |r| {
                        r.get::<_, i64>(0)
                    })?,
                )
            })
            .expect("read");
        assert_eq!(single as usize, read.len());
        read.into_iter().map(|o| o.name).collect()
    };
    for _ in 0..2 {
        assert_eq!(org_names(&dbs[0]), ["first"]);
        assert_eq!(org_names(&dbs[1]), ["second"]);
    }
    let other = dbs.clone();
    std::thread::spawn(move || {
        assert_eq!(org_names(&other[1]), ["second"]);
        assert_eq!(org_names(&other[0]), ["first"]);
    })
    .join()
    .expect("other thread");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime
        .block_on(dbs[1].write(|conn| Ok(crate::store::orgs::insert(conn, "third", false, 1)?)))
        .expect("write");
    assert_eq!(org_names(&dbs[1]), ["second", "third"]);
    assert_eq!(org_names(&dbs[0]), ["first"]);
    for db in &dbs {
        db.shutdown();
    }
}

#[test]
fn refuses_a_sqlite_library_with_the_wal_reset_bug() {
    let refused = check_library(3_050_002, "3.50.2").expect_err("3.50.2 is refused");
    assert!(
        refused.contains("3.50.2") && refused.contains("3.51.3"),
        "{refused}"
    );
    assert!(refused.contains("WAL-reset"), "says why: {refused}");
    assert!(check_library(3_051_002, "3.51.2").is_err());
    assert!(check_library(3_051_003, "3.51.3").is_ok());
    // The library this build links: the bundled one, which must be new enough.
    assert!(
        check_linked_library().is_ok(),
        "linked SQLite {} is older than {}",
        rusqlite::version(),
        MIN_SQLITE.1
    );
}

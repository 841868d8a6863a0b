//! The storage ceiling baseline of `make bench`: raw rusqlite inserts of donation intents into the
//! real schema (schema.sql, opened through `impactapi::db::open`, so the same PRAGMAs and WAL),
//! without HTTP, JSON or the writer thread. One line per mode: `storage MODE ROWS_PER_S`.
//!
//! A row is one donation intent with its one impact-snapshot row (what `POST /donation_intents`
//! writes per item for the default catalog); `intent_only` modes leave the snapshot out.
//!
//! `cargo run --release --example storage_ceiling -- DIR [SECONDS]`

use impactapi::domain::new_id;
use rusqlite::{params, Connection, TransactionBehavior};
use std::path::Path;
use std::time::{Duration, Instant};

struct Mode {
    name: &'static str,
    synchronous: &'static str,
    rows_per_tx: usize,
    snapshot: bool,
}

const MODES: &[Mode] = &[
    Mode {
        name: "normal_1",
        synchronous: "NORMAL",
        rows_per_tx: 1,
        snapshot: true,
    },
    Mode {
        name: "normal_1_intent_only",
        synchronous: "NORMAL",
        rows_per_tx: 1,
        snapshot: false,
    },
    Mode {
        name: "full_1",
        synchronous: "FULL",
        rows_per_tx: 1,
        snapshot: true,
    },
    Mode {
        name: "full_50",
        synchronous: "FULL",
        rows_per_tx: 50,
        snapshot: true,
    },
];

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

fn insert_row(conn: &Connection, org_id: &str, snapshot: bool, n: u64) -> rusqlite::Result<()> {
    let now = now_micros();
    let id = new_id(now);
    let amount = 100 + (n % 5000) as i64;
    conn.prepare_cached(
        "INSERT INTO donation_intents (id, org_id, amount, campaign_identifier, campaign_name, customer_id,
                                       vendor_id, session_id, approximated, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, NULL, 0, ?6)",
    )?
    .execute(params![id, org_id, amount, "trees-for-the-future", "Trees for the Future", now])?;
    if snapshot {
        conn.prepare_cached(
            "INSERT INTO intent_impacts (intent_id, position, key, name, emoji, icon, unit_singular,
                                         unit_plural, verb_past, quantity_centi)
             VALUES (?1, 0, 'trees_planted', 'Trees planted', '🌳', 'tree', 'tree', 'trees', 'planted', ?2)",
        )?
        .execute(params![id, amount * 4])?;
    }
    Ok(())
}

/// Inserts for `seconds`, one transaction per `rows_per_tx` rows; returns rows per second.
fn run(dir: &Path, mode: &Mode, seconds: f64) -> rusqlite::Result<f64> {
    let path = dir.join(format!("storage_{}.db", mode.name));
    let _ = std::fs::remove_file(&path);
    let mut conn = impactapi::db::open(&path)?;
    conn.pragma_update(None, "synchronous", mode.synchronous)?;
    let org_id = new_id(now_micros());
    conn.execute(
        "INSERT INTO organizations (id, name, is_sandbox, created_at) VALUES (?1, 'Bench', 0, ?2)",
        params![org_id, now_micros()],
    )?;
    let limit = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut rows = 0u64;
    while started.elapsed() < limit {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for _ in 0..mode.rows_per_tx {
            insert_row(&tx, &org_id, mode.snapshot, rows)?;
            rows += 1;
        }
        tx.commit()?;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(rate)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: storage_ceiling DIR [SECONDS]")?;
    let seconds: f64 = args.next().map_or(Ok(3.0), |s| s.parse())?;
    for mode in MODES {
        let rate = run(Path::new(&dir), mode, seconds)?;
        println!("storage {} {rate:.0}", mode.name);
    }
    Ok(())
}

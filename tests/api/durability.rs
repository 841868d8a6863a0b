//! Crash safety and online backups, against the real executable.

use crate::process::{cli, start};
use serde_json::json;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "ia_sk_durability0000000000000000000000001";

/// Writers posting single intents until `stop`; each acknowledged id is recorded.
fn spawn_writers(
    base: &str,
    count: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<std::sync::Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::new();
    (0..count)
        .map(|_| {
            let (client, url, stop, acked) = (client.clone(), format!("{base}/donation_intents"), stop.clone(), acked.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let sent = client
                        .post(&url)
                        .bearer_auth(KEY)
                        .json(&json!([{"amount": 250, "campaign_identifier": "trees-for-the-future"}]))
                        .send()
                        .await;
                    let Ok(r) = sent else { break };
                    if r.status() != 201 {
                        break;
                    }
                    let Ok(v) = r.json::<serde_json::Value>().await else { break };
                    if let Some(id) = v["data"][0]["id"].as_str() {
                        acked.lock().expect("lock").push(id.to_string());
                    }
                }
            })
        })
        .collect()
}

fn stored_ids(db: &std::path::Path) -> std::collections::HashSet<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT id FROM donation_intents")
        .expect("prepare");
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    ids
}

fn integrity(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

#[actix_web::test]
async fn sigkill_during_writes_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("crash.db");
    let mut server = start(&db, &["--api-key", KEY]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let writers = spawn_writers(&server.base, 16, stop.clone(), acked.clone());
    tokio::time::sleep(Duration::from_millis(700)).await;
    let killed = Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    server.child.wait().expect("wait");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let acked: Vec<String> = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 50,
        "the load ran: {} writes acknowledged",
        acked.len()
    );

    // Restart on the same file: recovery from the WAL, then every acknowledged write is there.
    let mut again = start(&db, &["--api-key", KEY]).await;
    let r = reqwest::Client::new()
        .get(format!("{}/donation_intents?per_page=1", again.base))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("request");
    let total = r.json::<serde_json::Value>().await.expect("json")["total"]
        .as_u64()
        .expect("total");
    crate::process::sigterm(&again.child);
    again.child.wait().expect("wait");
    let stored = stored_ids(&db);
    let missing: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged writes lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert_eq!(
        total as usize,
        stored.len(),
        "the kept count matches the rows"
    );
    assert_eq!(integrity(&db), "ok");
}

#[actix_web::test]
async fn backup_under_write_load_is_consistent_and_complete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.db");
    let mut server = start(&db, &["--api-key", KEY]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let writers = spawn_writers(&server.base, 8, stop.clone(), acked.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before: Vec<String> = acked.lock().expect("lock").clone();
    let dest = dir.path().join("copy.db");
    let out = tokio::task::spawn_blocking({
        let (db, dest) = (db.clone(), dest.clone());
        move || cli(&db, &["backup", dest.to_str().expect("path"), "--json"])
    })
    .await
    .expect("backup ran");
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    crate::process::sigterm(&server.child);
    server.child.wait().expect("wait");
    assert!(out.contains("\"integrity_check\":\"ok\""), "{out}");
    assert_eq!(integrity(&dest), "ok");
    let copied = stored_ids(&dest);
    assert!(!before.is_empty());
    let missing = before.iter().filter(|id| !copied.contains(*id)).count();
    assert_eq!(
        missing, 0,
        "every write acknowledged before the backup began is in the copy"
    );
    let after = acked.lock().expect("lock").len();
    assert!(
        after > before.len(),
        "writes kept flowing during the backup"
    );
}

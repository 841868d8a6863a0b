//! SPEC 14 against the real executable: Litestream's own tables are tolerated, and a read-only
//! server serves reads, refuses every write with 503, and writes nothing at all to its file.
//! (Replication with a real Litestream is in tests/replication.)

use crate::process::{cli, sigterm, start, BIN};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const KEY: &str = "ia_sk_replica00000000000000000000000000001";
const ADMIN: &str = "ia_admin_replica0000000000000000000000001";

async fn post_intent(client: &reqwest::Client, base: &str) -> String {
    let r = client
        .post(format!("{base}/donation_intents"))
        .bearer_auth(KEY)
        .json(&json!([{"amount": 500, "campaign_identifier": "cleanhub"}]))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.expect("json");
    body["data"][0]["id"].as_str().expect("id").to_string()
}

async fn total(client: &reqwest::Client, base: &str) -> u64 {
    let r = client
        .get(format!("{base}/donation_intents?per_page=1"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.expect("json")["total"]
        .as_u64()
        .expect("total")
}

fn tables(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .expect("prepare");
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    names
}

/// The tables Litestream 0.5 creates in the database it replicates, as it creates them.
fn add_litestream_tables(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy_timeout");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);
         CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER);
         INSERT INTO _litestream_seq (id, seq) VALUES (1, 7);",
    )
    .expect("litestream tables");
}

#[actix_web::test]
async fn a_database_with_litestream_tables_starts_backs_up_and_serves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("replicated.db");
    let client = reqwest::Client::new();
    let mut server = start(&db, &["--api-key", KEY, "--admin-token", ADMIN]).await;
    post_intent(&client, &server.base).await;
    // Litestream adds its tables while the server runs.
    add_litestream_tables(&db);
    post_intent(&client, &server.base).await;
    sigterm(&server.child);
    server.child.wait().expect("wait");
    assert!(tables(&db).contains(&"_litestream_lock".to_string()));

    let mut server = start(&db, &["--api-key", KEY]).await;
    post_intent(&client, &server.base).await;
    assert_eq!(total(&client, &server.base).await, 3);
    let r = client
        .get(format!("{}/admin/api/organizations", server.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200, "the console's API serves");

    let copy = dir.path().join("copy.db");
    let out = cli(&db, &["backup", copy.to_str().expect("path"), "--json"]);
    assert!(out.contains("\"integrity_check\":\"ok\""), "{out}");
    let copied = tables(&copy);
    assert!(copied.contains(&"donation_intents".to_string()));
    assert!(
        !copied.iter().any(|t| t.starts_with("_litestream")),
        "the backup leaves Litestream's bookkeeping out: {copied:?}"
    );
    let conn = rusqlite::Connection::open(&copy).expect("open");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM donation_intents", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 3);

    // A read replica of the same file starts and serves too.
    let mut replica = start(&db, &["--read-only"]).await;
    assert_eq!(total(&client, &replica.base).await, 3);
    sigterm(&replica.child);
    replica.child.wait().expect("wait");
    sigterm(&server.child);
    server.child.wait().expect("wait");
    let seq: i64 = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT seq FROM _litestream_seq WHERE id = 1", [], |r| {
            r.get(0)
        })
        .expect("Litestream's table is left as it was");
    assert_eq!(seq, 7);
}

fn file_digest(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).expect("read")).to_vec()
}

#[actix_web::test]
async fn a_read_only_server_serves_reads_refuses_writes_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("primary.db");
    let client = reqwest::Client::new();
    let mut primary = start(&db, &["--api-key", KEY, "--admin-token", ADMIN]).await;
    let id = post_intent(&client, &primary.base).await;
    sigterm(&primary.child);
    primary.child.wait().expect("wait");
    let before = file_digest(&db);

    let mut replica = start(&db, &["--read-only", "--sweep-interval", "1"]).await;
    let base = replica.base.clone();
    let health: Value = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(health, json!({"status": "ok", "mode": "read-only"}));
    assert_eq!(total(&client, &base).await, 1);
    let r = client
        .get(format!("{base}/donation_intents/{id}"))
        .bearer_auth(KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/admin/api/organizations"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.status(),
        200,
        "the stored admin token works on the replica"
    );

    let writes = [
        (reqwest::Method::POST, "/donation_intents".to_string(), KEY),
        (
            reqwest::Method::PUT,
            format!("/donation_intents/{id}/cancel"),
            KEY,
        ),
        (reqwest::Method::POST, "/sessions".to_string(), KEY),
        (reqwest::Method::POST, "/customers".to_string(), KEY),
        (reqwest::Method::DELETE, format!("/customers/{id}"), KEY),
        (
            reqwest::Method::POST,
            "/admin/api/organizations".to_string(),
            ADMIN,
        ),
        (reqwest::Method::POST, "/admin/api/sweep".to_string(), ADMIN),
        (reqwest::Method::POST, "/demo/api/sessions".to_string(), ""),
    ];
    for (method, path, credential) in writes {
        let r = client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(credential)
            .json(&json!({"name": "x"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 503, "{method} {path}");
        let correlation = r
            .headers()
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .expect("correlation id");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"]["code"], "server.read-only", "{method} {path}");
        assert_eq!(body["error"]["correlation_id"], correlation.as_str());
    }
    let r = client
        .request(reqwest::Method::OPTIONS, format!("{base}/sessions/x"))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("request");
    assert_ne!(r.status(), 503, "a preflight is not a write");
    // Past a sweep interval (the sweeper would have run) and after authenticated reads (which
    // stamp a key's last use on a primary), the file is byte for byte what the primary left.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sigterm(&replica.child);
    assert!(replica.child.wait().expect("wait").success());
    assert_eq!(file_digest(&db), before, "the replica wrote nothing");
    assert_eq!(total_rows(&db), 1);
}

fn total_rows(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM donation_intents", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn a_read_only_server_needs_an_existing_initialized_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("absent.db");
    let out = Command::new(BIN)
        .args(["serve", "--read-only", "--bind", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!db.exists(), "a read-only start creates nothing");

    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x)"))
        .expect("create");
    let out = Command::new(BIN)
        .args(["serve", "--read-only", "--bind", "127.0.0.1:0", "--db"])
        .arg(&empty)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("schema version 0"), "{stderr}");
}

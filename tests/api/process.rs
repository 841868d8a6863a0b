//! The executable itself (SPEC 8): first start, management commands, graceful SIGTERM.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_impactapi");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Runs a management command against `db` and returns its stdout.
pub fn cli(db: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run impactapi");
    assert!(
        out.status.success(),
        "impactapi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub stdout_lines: Vec<String>,
}

/// Starts the binary on a free port and waits for /healthz; collects the first-start banner.
pub async fn start(db: &std::path::Path, extra: &[&str]) -> Server {
    let port = free_port();
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db)
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(extra)
        .env("IMPACTAPI_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The banner (if any) is framed by two rules of '=' and printed before the server answers.
    let mut stdout_lines = Vec::new();
    while let Ok(line) = receiver.recv_timeout(Duration::from_millis(500)) {
        stdout_lines.push(line);
        if stdout_lines
            .iter()
            .filter(|l| l.starts_with("====="))
            .count()
            == 2
        {
            break;
        }
    }
    Server {
        child,
        base,
        stdout_lines,
    }
}

pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[actix_web::test]
async fn first_start_prints_a_working_key_and_the_admin_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("first.db");
    let mut server = start(&db, &[]).await;
    let key = server
        .stdout_lines
        .iter()
        .find_map(|l| {
            l.split("Sandbox API key:")
                .nth(1)
                .map(|k| k.trim().to_string())
        })
        .expect("the banner prints the API key");
    assert!(server
        .stdout_lines
        .iter()
        .any(|l| l.contains("Admin token:")));
    let r = reqwest::Client::new()
        .get(format!("{}/campaigns", server.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(5));
    sigterm(&server.child);
    assert!(server.child.wait().expect("wait").success());
    assert!(db.exists());
}

#[actix_web::test]
async fn sigterm_loses_no_answered_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("term.db");
    let key = "ia_sk_sigterm000000000000000000000000000";
    let mut server = start(&db, &["--api-key", key]).await;
    let client = reqwest::Client::new();
    let url = format!("{}/donation_intents", server.base);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = 0u64;
            for _ in 0..400 {
                let sent = client
                    .post(&url)
                    .bearer_auth(key)
                    .json(&json!([{"amount": 100, "campaign_identifier": "cleanhub"}]))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => acknowledged += 1,
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the server stopped accepting
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    sigterm(&server.child);
    let mut acknowledged = 0;
    for t in tasks {
        acknowledged += t.await.expect("task");
    }
    assert!(
        server.child.wait().expect("wait").success(),
        "clean exit after SIGTERM"
    );
    assert!(acknowledged > 0);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM donation_intents", [], |r| r.get(0))
        .expect("count");
    let stored = u64::try_from(stored).expect("a count is never negative");
    assert_eq!(
        stored, acknowledged,
        "every answered write is stored, and nothing else"
    );
}

#[actix_web::test]
async fn management_commands_speak_json_and_reach_a_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("cli.db");
    let mut server = start(
        &db,
        &["--api-key", "ia_sk_cli0000000000000000000000000000000"],
    )
    .await;
    let org: Value =
        serde_json::from_str(&cli(&db, &["orgs", "create", "Acme", "--json"])).expect("json");
    let api_key = org["api_key"].as_str().expect("api_key");
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/campaigns", server.base))
        .bearer_auth(api_key)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200, "a key made by the CLI works at once");

    let org_id = org["id"].as_str().expect("id");
    let key: Value =
        serde_json::from_str(&cli(&db, &["--json", "keys", "create", "--org", org_id]))
            .expect("json");
    assert_eq!(key["org_id"], org_id);
    assert!(key["prefix"]
        .as_str()
        .is_some_and(|p| key["api_key"].as_str().is_some_and(|k| k.starts_with(p))));
    let second = key["api_key"].as_str().expect("api_key");
    let r = client
        .get(format!("{}/campaigns", server.base))
        .bearer_auth(second)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let revoked: Value = serde_json::from_str(&cli(
        &db,
        &["keys", "revoke", key["id"].as_str().expect("id"), "--json"],
    ))
    .expect("json");
    assert_eq!(revoked, json!({"id": key["id"], "revoked": true}));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = client
        .get(format!("{}/campaigns", server.base))
        .bearer_auth(second)
        .send()
        .await
        .expect("request");
    assert_eq!(
        r.status(),
        401,
        "a revocation by the CLI is seen within a second"
    );

    // Export, change a ratio, import: the server's catalog follows within a second.
    let exported: Value =
        serde_json::from_str(&cli(&db, &["campaigns", "export"])).expect("json array");
    let mut list = exported.as_array().expect("array").clone();
    assert_eq!(list.len(), 5);
    for c in &mut list {
        if c["identifier"] == "cleanhub" {
            c["impact_metrics"][0]["impact_per_dollar"] = json!(3.5);
        }
        c.as_object_mut().expect("object").remove("id");
    }
    let file = dir.path().join("catalog.json");
    std::fs::write(&file, serde_json::to_string(&list).expect("json")).expect("write");
    let imported: Value = serde_json::from_str(&cli(
        &db,
        &[
            "campaigns",
            "import",
            file.to_str().expect("path"),
            "--json",
        ],
    ))
    .expect("json");
    assert_eq!(imported, json!({"created": 0, "updated": 5}));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = client
        .get(format!("{}/campaigns/cleanhub", server.base))
        .bearer_auth(api_key)
        .send()
        .await
        .expect("request");
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["data"]["impact_metrics"][0]["impact_per_dollar"], 3.5);

    sigterm(&server.child);
    assert!(server.child.wait().expect("wait").success());
}

#[actix_web::test]
async fn api_key_flag_adds_the_key_on_an_existing_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("keys.db");
    let first = "ia_sk_first00000000000000000000000000000";
    let second = "ia_sk_second0000000000000000000000000000";
    let mut server = start(&db, &["--api-key", first]).await;
    sigterm(&server.child);
    server.child.wait().expect("wait");
    let mut server = start(&db, &["--api-key", second]).await;
    let client = reqwest::Client::new();
    for key in [first, second] {
        let r = client
            .get(format!("{}/campaigns", server.base))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{key} stays valid");
    }
    sigterm(&server.child);
    server.child.wait().expect("wait");
}

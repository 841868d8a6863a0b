//! Operating it (SPEC §14): /metrics read by a Prometheus text parser, a full disk, log formats.

use crate::helpers::*;
use crate::process::{free_port, sigterm, BIN};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Exposition = openmetrics_parser::MetricsExposition<
    openmetrics_parser::PrometheusType,
    openmetrics_parser::PrometheusValue,
>;

/// Scrapes /metrics with the admin token and parses it with a Prometheus text-format parser.
async fn scrape(app: &TestApp) -> Exposition {
    let r = app
        .admin(Method::GET, "/metrics")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = r.text().await.expect("body");
    openmetrics_parser::prometheus::parse_prometheus(&text)
        .unwrap_or_else(|e| panic!("not the Prometheus text format ({e:?}):\n{text}"))
}

/// The value of family `name`'s samples whose labels include every pair of `labels`, summed
/// (a histogram counts its observations); 0 when there is none.
fn value(scrape: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    use openmetrics_parser::PrometheusValue;
    let Some(family) = scrape.families.get(name) else {
        return 0.0;
    };
    family
        .iter_samples()
        .filter(|s| {
            let set = s.get_labelset().expect("labels");
            labels
                .iter()
                .all(|(k, v)| set.get_label_value(k) == Some(*v))
        })
        .map(|s| match &s.value {
            PrometheusValue::Counter(c) => c.value.as_f64(),
            PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
            PrometheusValue::Histogram(h) => h.count.unwrap_or(0) as f64,
            PrometheusValue::Summary(_) => 0.0,
        })
        .sum()
}

/// Every value of label `label` in family `name`.
fn label_values(scrape: &Exposition, name: &str, label: &str) -> Vec<String> {
    scrape.families.get(name).map_or_else(Vec::new, |family| {
        family
            .iter_samples()
            .filter_map(|s| {
                s.get_labelset()
                    .ok()?
                    .get_label_value(label)
                    .map(str::to_string)
            })
            .collect()
    })
}

#[actix_web::test]
async fn metrics_parse_and_move_with_traffic() {
    let app = spawn_app().await;
    // The admin token is the credential; an API key is not.
    let r = app.get("/metrics").await;
    assert_error(r, 401, "auth.unauthorized").await;
    let r = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_error(r, 401, "auth.unauthorized").await;

    let customer = json_ok(app.post("/customers", &json!({"name": "Ada"})).await, 201).await;
    let id = customer["data"]["id"].as_str().expect("id").to_string();
    let before = scrape(&app).await;
    let labels = [
        ("method", "GET"),
        ("route", "/customers/{id}"),
        ("status", "200"),
    ];
    let reads_before = value(&before, "impactapi_http_requests_total", &labels);
    for _ in 0..3 {
        json_ok(app.get(&format!("/customers/{id}")).await, 200).await;
    }
    let r = app.get("/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV").await;
    assert_error(r, 404, "customer.not-found").await;
    app.create_intents(json!([{"amount": 500, "campaign_identifier": "cleanhub"}]))
        .await;
    app.create_session(json!({"type": "add_on", "amount": 300,
        "available_campaigns": ["cleanhub"], "expires_in": 15}))
        .await;
    let after = scrape(&app).await;

    let families: HashSet<&str> = after.families.keys().map(String::as_str).collect();
    for family in [
        "impactapi_http_requests_total",
        "impactapi_http_request_duration_seconds",
        "impactapi_db_write_jobs_total",
        "impactapi_db_group_commits_total",
        "impactapi_db_commit_duration_seconds",
        "impactapi_db_size_bytes",
        "impactapi_db_wal_size_bytes",
        "impactapi_sessions",
        "impactapi_webhook_deliveries_total",
        "impactapi_webhook_queue_depth",
        "impactapi_storage_full",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(families.contains(family), "{family} is exposed");
    }
    assert_eq!(
        value(&after, "impactapi_http_requests_total", &labels) - reads_before,
        3.0
    );
    let not_found = [
        ("method", "GET"),
        ("route", "/customers/{id}"),
        ("status", "404"),
    ];
    assert_eq!(
        value(&after, "impactapi_http_requests_total", &not_found),
        1.0
    );
    // By route template, never by raw path.
    let routes = label_values(&after, "impactapi_http_requests_total", "route");
    assert!(routes.iter().any(|r| r == "/customers/{id}"), "{routes:?}");
    assert!(routes.iter().all(|r| !r.contains(&id)), "{routes:?}");
    assert!(
        value(
            &after,
            "impactapi_http_request_duration_seconds",
            &[("route", "/customers/{id}")]
        ) >= 4.0
    );
    assert!(
        value(&after, "impactapi_db_write_jobs_total", &[])
            >= value(&before, "impactapi_db_write_jobs_total", &[]) + 2.0
    );
    assert!(
        value(&after, "impactapi_db_group_commits_total", &[])
            > value(&before, "impactapi_db_group_commits_total", &[])
    );
    assert_eq!(
        value(&after, "impactapi_sessions", &[("status", "active")]),
        1.0
    );
    assert_eq!(value(&after, "impactapi_storage_full", &[]), 0.0);
    assert!(value(&after, "impactapi_db_size_bytes", &[]) > 0.0);
    assert!(value(&after, "process_resident_memory_bytes", &[]) > 0.0);

    // The status a session reads back: past its expiry it counts as expired before any sweep.
    app.admin(Method::POST, "/admin/api/clock/advance")
        .json(&json!({"seconds": 16 * 60}))
        .send()
        .await
        .expect("advance");
    let later = scrape(&app).await;
    assert_eq!(
        value(&later, "impactapi_sessions", &[("status", "active")]),
        0.0
    );
    assert_eq!(
        value(&later, "impactapi_sessions", &[("status", "expired")]),
        1.0
    );
}

#[actix_web::test]
async fn metrics_can_be_public_or_off() {
    let public = spawn_app_with(|c| c.serve.metrics_public = true).await;
    let r = public
        .client
        .get(public.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let off = spawn_app_with(|c| c.serve.metrics = false).await;
    let r = off
        .admin(Method::GET, "/metrics")
        .send()
        .await
        .expect("request");
    assert_error(r, 404, "route.not-found").await;
}

/// A tmpfs mounted for one test, unmounted (lazily) when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs { dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Writes 64 KiB blocks into `path` until the file system refuses one.
fn fill(path: &std::path::Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("filler");
    let block = vec![7u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    // The last partial block may have fit in part; fill the remainder byte by byte.
    while file.write_all(&[7u8]).is_ok() {}
    let _ = file.sync_all();
}

#[actix_web::test]
async fn a_full_disk_answers_507_keeps_reads_and_recovers_without_a_restart() {
    let tmpfs = match Tmpfs::mount("6m") {
        Ok(t) => t,
        Err(why) => {
            eprintln!("storage-full test skipped: cannot mount a tmpfs here ({why})");
            return;
        }
    };
    let db = tmpfs.dir.path().join("full.db");
    let db_for_config = db.clone();
    let app = spawn_app_with(move |c| c.db = db_for_config).await;
    let customer = json_ok(app.post("/customers", &json!({"name": "Kept"})).await, 201).await;
    let customer_id = customer["data"]["id"].as_str().expect("id").to_string();
    let mut acknowledged: Vec<String> = Vec::new();
    let item = json!({"amount": 700, "campaign_identifier": "trees-for-the-future"});

    fill(&tmpfs.dir.path().join("filler"));
    // Writes go on until the WAL or the database must grow; then each answers 507.
    let mut refused = None;
    for _ in 0..5_000 {
        let r = app
            .post("/donation_intents", &json!(vec![item.clone(); 50]))
            .await;
        if r.status() == 201 {
            let body: Value = r.json().await.expect("json");
            for intent in body["data"].as_array().expect("array") {
                acknowledged.push(intent["id"].as_str().expect("id").to_string());
            }
            continue;
        }
        refused = Some(r);
        break;
    }
    let refused = refused.expect("a write is refused once the disk is full");
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().ok()),
        Some(Some("30"))
    );
    assert_error(refused, 507, "server.storage-full").await;
    // Refused again while still full, and /healthz tells.
    let r = app.post("/customers", &json!({"name": "Refused"})).await;
    assert_error(r, 507, "server.storage-full").await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.expect("json");
    assert_eq!(
        body,
        json!({"status": "degraded", "reason": "storage-full"})
    );
    assert_eq!(
        value(&scrape(&app).await, "impactapi_storage_full", &[]),
        1.0
    );

    // Reads keep working.
    json_ok(app.get(&format!("/customers/{customer_id}")).await, 200).await;
    let page = json_ok(app.get("/donation_intents?per_page=1").await, 200).await;
    assert_eq!(page["total"], acknowledged.len());

    // Space is freed: writes succeed again, no restart.
    std::fs::remove_file(tmpfs.dir.path().join("filler")).expect("free space");
    let r = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let written = app.create_intents(json!([item])).await;
    acknowledged.push(written[0]["id"].as_str().expect("id").to_string());
    assert_eq!(
        value(&scrape(&app).await, "impactapi_storage_full", &[]),
        0.0
    );

    // Nothing acknowledged was lost, and nothing else was stored.
    let page = json_ok(app.get("/donation_intents?per_page=1").await, 200).await;
    assert_eq!(page["total"], acknowledged.len());
    for id in acknowledged.iter().step_by(25) {
        json_ok(app.get(&format!("/donation_intents/{id}")).await, 200).await;
    }
    let r = app.get("/customers?per_page=100").await;
    let body = json_ok(r, 200).await;
    assert_eq!(body["total"], 1, "the refused customer was not stored");
    drop(app);
    // The server's connections close with its workers; give them a moment before unmounting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(tmpfs);
}

/// Starts the executable with `args`, its stderr written to `log`; returns it and its base URL.
async fn start_logging(
    db: &std::path::Path,
    log: &std::path::Path,
    args: &[&str],
) -> (std::process::Child, String) {
    let port = free_port();
    let child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db)
        .args(["--bind", &format!("127.0.0.1:{port}"), "--api-key", API_KEY])
        .args(args)
        .env("IMPACTAPI_LOG", "info")
        .env_remove("IMPACTAPI_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("spawn");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

/// One request whose correlation id the log must show; returns that id.
async fn traced_request(base: &str) -> String {
    let r = reqwest::Client::new()
        .get(format!("{base}/campaigns/cleanhub"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    r.headers()["x-correlation-id"]
        .to_str()
        .expect("ascii")
        .to_string()
}

#[actix_web::test]
async fn json_logs_are_one_object_per_line_with_the_request_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log");
    let (mut child, base) =
        start_logging(&dir.path().join("j.db"), &log, &["--log-format", "json"]).await;
    let id = traced_request(&base).await;
    sigterm(&child);
    assert!(child.wait().expect("wait").success());
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() >= 3, "{text}");
    assert!(lines
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
    let request = lines
        .iter()
        .find(|l| l["correlation_id"] == id.as_str())
        .unwrap_or_else(|| panic!("no line for {id}: {text}"));
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/campaigns/cleanhub");
    assert_eq!(request["status"], 200);
    assert!(request["duration_ms"].as_f64().is_some_and(|d| d >= 0.0));
}

#[actix_web::test]
async fn text_logs_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log");
    let (mut child, base) = start_logging(&dir.path().join("t.db"), &log, &[]).await;
    let id = traced_request(&base).await;
    sigterm(&child);
    assert!(child.wait().expect("wait").success());
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        !text.contains('\u{1b}'),
        "escape codes in a log file: {text:?}"
    );
    let line = text
        .lines()
        .find(|l| l.contains(&id))
        .unwrap_or_else(|| panic!("no line for {id}: {text}"));
    assert!(line.contains("GET") && line.contains("/campaigns/cleanhub") && line.contains("200"));
}

#[actix_web::test]
async fn webhook_metrics_count_attempts_and_the_queue() {
    let app = spawn_app().await;
    // A port nothing listens on: every attempt fails (connection refused) and is retried later.
    let closed = free_port();
    let endpoint = json_ok(
        app.post(
            "/webhook_endpoints",
            &json!({"url": format!("http://127.0.0.1:{closed}/hook"),
                    "event_types": ["donation_intent.created"]}),
        )
        .await,
        201,
    )
    .await;
    assert!(endpoint["data"]["id"].is_string());
    let before = scrape(&app).await;
    assert_eq!(value(&before, "impactapi_webhook_queue_depth", &[]), 0.0);
    app.create_intents(json!([{"amount": 100, "campaign_identifier": "cleanhub"},
                              {"amount": 200, "campaign_identifier": "cleanhub"}]))
        .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = scrape(&app).await;
        let failed = value(
            &now,
            "impactapi_webhook_deliveries_total",
            &[("outcome", "failed")],
        );
        // Both waiting for their next attempt, once their failed attempts are recorded (the
        // counter moves as an attempt ends; a delivery being attempted is not waiting).
        let depth = value(&now, "impactapi_webhook_queue_depth", &[]);
        if failed >= 2.0 && depth == 2.0 {
            assert_eq!(
                value(
                    &now,
                    "impactapi_webhook_deliveries_total",
                    &[("outcome", "succeeded")]
                ),
                0.0
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "failed attempts {failed}, queue depth {depth}: expected 2 and 2"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! The developer sandbox (SPEC 12): request log, reset, fixtures and demo data.

use crate::helpers::{assert_error, json_ok, spawn_app, spawn_app_with, TestApp, API_KEY};
use crate::process::BIN;
use reqwest::Method;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

/// Runs the executable against `db`; returns its output whatever the exit status.
fn run_cli(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("IMPACTAPI_LOG", "warn")
        .output()
        .expect("run impactapi")
}

#[track_caller]
fn cli_ok(db: &Path, args: &[&str]) -> String {
    let out = run_cli(db, args);
    assert!(
        out.status.success(),
        "impactapi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The command fails, and its message (stderr) is returned.
#[track_caller]
fn cli_err(db: &Path, args: &[&str]) -> String {
    let out = run_cli(db, args);
    assert!(
        !out.status.success(),
        "impactapi {args:?} should have failed"
    );
    String::from_utf8(out.stderr).expect("utf-8")
}

async fn admin_get(app: &TestApp, path: &str) -> Value {
    json_ok(
        app.admin(Method::GET, path).send().await.expect("request"),
        200,
    )
    .await
}

/// Every logged request of `org` (list), each as its full record.
async fn logged(app: &TestApp, org: &str) -> Vec<Value> {
    let list = admin_get(app, &format!("/admin/api/requests?org={org}&per_page=100")).await;
    let mut out = Vec::new();
    for item in list["data"].as_array().expect("array") {
        let id = item["correlation_id"].as_str().expect("correlation id");
        out.push(admin_get(app, &format!("/admin/api/requests/{id}")).await["data"].clone());
    }
    out
}

fn sandbox(app: &TestApp) -> String {
    app.state.sandbox_org_id.clone()
}

#[actix_web::test]
async fn the_request_log_redacts_every_credential_and_secret() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    let created = app
        .req(Method::POST, "/sessions")
        .header("Idempotency-Key", "create-1")
        .json(&json!({"type": "add_on", "amount": 500,
                      "available_campaigns": ["trees-for-the-future", "cleanhub"]}))
        .send()
        .await
        .expect("request");
    let session = json_ok(created, 201).await["data"].clone();
    let id = session["id"].as_str().expect("id");
    let secret = session["session_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert_eq!(secret.len(), 64);
    json_ok(app.get(&format!("/sessions/{id}")).await, 200).await;
    let by_secret = app
        .client
        .post(app.url(&format!("/sessions/{id}/choose_campaign")))
        .header("X-Session-Secret", &secret)
        .json(&json!({"campaign_identifier": "cleanhub"}))
        .send()
        .await
        .expect("request");
    json_ok(by_secret, 200).await;
    let customer =
        json!({"name": "Ada", "metadata": {"api_key": "mk-0001", "deep": [{"Secret": "sv-0002"}]}});
    json_ok(app.post("/customers?api_key=qk-0003", &customer).await, 201).await;

    let entries = logged(&app, &org).await;
    assert_eq!(entries.len(), 4, "{entries:#?}");
    let everything = serde_json::to_string(&entries).expect("serializes");
    for leaked in [&secret[..], API_KEY, "mk-0001", "sv-0002", "qk-0003"] {
        assert!(!everything.contains(leaked), "{leaked} is in the log");
    }
    // Newest first: the customer, choose_campaign (secret caller, filed under the session's
    // organization), the GET, the create.
    let create = &entries[3];
    assert_eq!(create["method"], "POST");
    assert_eq!(create["path"], "/sessions");
    assert_eq!(create["status"], 201);
    assert_eq!(create["idempotency_key"], "create-1");
    assert_eq!(create["request"]["headers"]["authorization"], "[redacted]");
    let body: Value =
        serde_json::from_str(create["response"]["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(body["data"]["session_secret"], "[redacted]");
    assert_eq!(body["data"]["id"], id);
    assert_eq!(
        entries[1]["request"]["headers"]["x-session-secret"],
        "[redacted]"
    );
    assert_eq!(
        entries[1]["path"],
        format!("/sessions/{id}/choose_campaign")
    );
    assert_eq!(entries[0]["query"], "api_key=[redacted]");
    let sent: Value =
        serde_json::from_str(entries[0]["request"]["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(
        sent["metadata"],
        json!({"api_key": "[redacted]", "deep": [{"Secret": "[redacted]"}]})
    );
}

#[actix_web::test]
async fn the_request_log_keeps_the_last_1000_requests_newest_first() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    for i in 0..1005 {
        let resp = app.get(&format!("/campaigns/nope-{i}")).await;
        assert_eq!(resp.status().as_u16(), 404);
    }
    let first = admin_get(&app, &format!("/admin/api/requests?org={org}&per_page=100")).await;
    assert_eq!(first["total"], 1000);
    assert_eq!(first["last_page"], 10);
    assert_eq!(first["data"][0]["path"], "/campaigns/nope-1004");
    let last = admin_get(
        &app,
        &format!("/admin/api/requests?org={org}&per_page=100&page=10"),
    )
    .await;
    assert_eq!(last["data"][99]["path"], "/campaigns/nope-5");
    let oldest = admin_get(
        &app,
        &format!("/admin/api/requests?org={org}&per_page=1&sort_order=asc"),
    )
    .await;
    assert_eq!(oldest["data"][0]["path"], "/campaigns/nope-5");
}

#[actix_web::test]
async fn the_request_log_filters_and_finds_by_correlation_id() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    let correlation = "6f1c2a9e-3b7d-4c1e-9a52-0d4e8b7f1a23";
    let created = app
        .req(Method::POST, "/customers")
        .header("X-Correlation-Id", correlation)
        .json(&json!({"name": "Grace"}))
        .send()
        .await
        .expect("request");
    let customer = json_ok(created, 201).await["data"].clone();
    let cid = customer["id"].as_str().expect("id");
    json_ok(app.get(&format!("/customers/{cid}")).await, 200).await;
    assert_error(
        app.get("/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV").await,
        404,
        "customer.not-found",
    )
    .await;
    assert_error(
        app.post(
            "/donation_intents",
            &json!([{"amount": 0, "campaign_identifier": "cleanhub"}]),
        )
        .await,
        422,
        "validation.failed",
    )
    .await;
    json_ok(app.get("/campaigns").await, 200).await;

    let count = |q: String| {
        let (app, url) = (&app, format!("/admin/api/requests?org={org}&{q}"));
        async move { admin_get(app, &url).await }
    };
    let all = count(String::new()).await;
    assert_eq!(all["total"], 5);
    let not_found = count("status=404".into()).await;
    assert_eq!(not_found["total"], 1);
    assert_eq!(
        not_found["data"][0]["path"],
        "/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV"
    );
    assert_eq!(count("status=4xx".into()).await["total"], 2);
    assert_eq!(count("status=2xx".into()).await["total"], 3);
    let customers = count("path_prefix=/customers".into()).await;
    assert_eq!(customers["total"], 3);
    assert!(customers["data"]
        .as_array()
        .expect("array")
        .iter()
        .all(|e| e["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/customers"))));
    assert_eq!(
        count("path_prefix=/customers&status=2xx&method=get".into()).await["total"],
        1
    );

    let found =
        admin_get(&app, &format!("/admin/api/requests/{correlation}")).await["data"].clone();
    assert_eq!(found["correlation_id"], correlation);
    assert_eq!(found["organization_id"], org);
    assert_eq!(found["status"], 201);
    assert_eq!(found["request"]["body"], r#"{"name":"Grace"}"#);
    let answered: Value =
        serde_json::from_str(found["response"]["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(answered["data"], customer);
    assert_eq!(
        found["response"]["headers"]["x-correlation-id"],
        correlation
    );

    let missing = app
        .admin(
            Method::GET,
            "/admin/api/requests/00000000-0000-4000-8000-000000000000",
        )
        .send()
        .await
        .expect("request");
    assert_error(missing, 404, "request.not-found").await;
    for (query, field) in [
        ("status=abc", "status"),
        ("status=6xx", "status"),
        ("org=nope", "org"),
        ("per_page=0", "per_page"),
    ] {
        let resp = app
            .admin(Method::GET, &format!("/admin/api/requests?{query}"))
            .send()
            .await
            .expect("request");
        let body = assert_error(resp, 422, "validation.failed").await;
        assert!(
            body["error"]["details"]["fields"][field].is_array(),
            "{query}: {body}"
        );
    }
    let unknown = app
        .admin(
            Method::GET,
            "/admin/api/requests?org=01ARZ3NDEKTSV4RRFFQ69G5FAV",
        )
        .send()
        .await
        .expect("request");
    assert_error(unknown, 404, "organization.not-found").await;
    let with_key = app.get("/admin/api/requests").await;
    assert_error(with_key, 401, "auth.unauthorized").await;
}

#[actix_web::test]
async fn another_organizations_requests_are_invisible() {
    let app = spawn_app().await;
    let a = sandbox(&app);
    let (b, key_b) = app.new_org("Other").await;
    json_ok(app.post("/customers", &json!({"name": "of A"})).await, 201).await;
    for _ in 0..3 {
        let resp = app
            .client
            .post(app.url("/customers"))
            .bearer_auth(&key_b)
            .json(&json!({"name": "of B"}))
            .send()
            .await
            .expect("request");
        json_ok(resp, 201).await;
    }
    // A bad key names no organization: logged nowhere.
    let bad = app
        .client
        .get(app.url("/campaigns"))
        .bearer_auth("ia_sk_wrong")
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status().as_u16(), 401);

    let of_a = logged(&app, &a).await;
    assert_eq!(of_a.len(), 1);
    assert!(serde_json::to_string(&of_a).expect("json").contains("of A"));
    assert!(!serde_json::to_string(&of_a).expect("json").contains("of B"));
    let of_b = logged(&app, &b).await;
    assert_eq!(of_b.len(), 3);
    assert!(of_b.iter().all(|e| e["organization_id"] == b));
    assert_eq!(admin_get(&app, "/admin/api/requests").await["total"], 4);
}

#[actix_web::test]
async fn request_log_zero_records_nothing() {
    let app = spawn_app_with(|c| c.serve.request_log = 0).await;
    json_ok(app.post("/customers", &json!({"name": "x"})).await, 201).await;
    let list = admin_get(&app, "/admin/api/requests").await;
    assert_eq!(list["total"], 0);
}

/// The per-party totals and the row counters kept by triggers, against the rows themselves.
pub fn assert_kept_totals_match(db: &Path) {
    let conn = Connection::open(db).expect("open");
    let rows = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    for table in ["customers", "vendors", "donation_intents", "sessions"] {
        assert_eq!(
            rows(&format!(
                "SELECT org_id, row_count FROM org_counts WHERE kind = '{table}' AND row_count <> 0 ORDER BY 1"
            )),
            rows(&format!("SELECT org_id, COUNT(*) FROM {table} GROUP BY org_id ORDER BY 1")),
            "org_counts of {table}"
        );
    }
    let parties = "SELECT customer_id AS party_id, 'customers' AS kind, org_id, campaign_identifier, amount, id, created_at
                   FROM donation_intents WHERE customer_id IS NOT NULL
                   UNION ALL
                   SELECT vendor_id, 'vendors', org_id, campaign_identifier, amount, id, created_at
                   FROM donation_intents WHERE vendor_id IS NOT NULL";
    for (table, period) in [
        (
            "party_campaign_days",
            Some(("day", "p.created_at - p.created_at % 86400000000")),
        ),
        (
            "party_campaign_months",
            Some((
                "month",
                "unixepoch(p.created_at / 1000000, 'unixepoch', 'start of month') * 1000000",
            )),
        ),
        ("party_campaign_totals", None),
    ] {
        let group = if period.is_some() {
            "1, 2, 3, 4, 5"
        } else {
            "1, 2, 3, 4"
        };
        let (col, expr) = period.map_or((String::new(), String::new()), |(c, e)| {
            (format!("{c}, "), format!("{e}, "))
        });
        let kept = rows(&format!(
            "SELECT party_id, kind, org_id, {col}campaign_identifier, donation_count, total_amount
             FROM {table} ORDER BY 1, 2, 3, 4, 5"
        ));
        let recomputed = rows(&format!(
            "SELECT party_id, kind, org_id, {expr}campaign_identifier, COUNT(*), SUM(amount)
             FROM ({parties}) AS p GROUP BY {group} ORDER BY 1, 2, 3, 4, 5"
        ));
        assert_eq!(kept, recomputed, "{table}");
    }
    let kept = rows(
        "SELECT party_id, kind, org_id, key, name, impact_count, quantity_centi, first_created_at
         FROM party_impact_totals ORDER BY 1, 2, 3, 4, 5",
    );
    let recomputed = rows(&format!(
        "SELECT p.party_id, p.kind, p.org_id, ii.key, ii.name, COUNT(*), SUM(ii.quantity_centi), MIN(p.created_at)
         FROM ({parties}) AS p JOIN intent_impacts ii ON ii.intent_id = p.id
         GROUP BY 1, 2, 3, 4, 5, ii.emoji, ii.icon, ii.unit_singular, ii.unit_plural, ii.verb_past ORDER BY 1, 2, 3, 4, 5"
    ));
    assert_eq!(kept, recomputed, "party_impact_totals");
}

/// No table holds a row of `org` after its reset but those a reset keeps: the organization, its
/// keys and its webhook endpoints. (A table added later with an `org_id` column fails this until
/// the reset's steps delete it too.)
fn assert_nothing_left(db: &Path, org: &str) {
    let conn = Connection::open(db).expect("open");
    let tables: Vec<String> = conn
        .prepare(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
             WHERE m.type = 'table' AND c.name = 'org_id'
               AND m.name NOT IN ('api_keys', 'webhook_endpoints')",
        )
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    assert!(tables.len() >= 12, "{tables:?}");
    for table in tables {
        let left: i64 = conn
            .query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE org_id = ?1"),
                [org],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(left, 0, "{table} still holds rows of the organization");
    }
    let kept: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM api_keys WHERE org_id = ?1 AND revoked_at IS NULL",
            [org],
            |r| r.get(0),
        )
        .expect("count");
    assert!(kept >= 1);
}

/// Customers, a vendor, sessions in several states and intents (direct and confirmed, one
/// cancelled), all through the API with `key`. Returns the ids made.
async fn populate(app: &TestApp, key: &str, tag: &str) -> Value {
    let call = |method: Method, path: String, body: Value| {
        let req = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(key)
            .json(&body);
        async move { req.send().await.expect("request") }
    };
    let customer = json_ok(
        call(Method::POST, "/customers".into(), json!({"external_id": format!("{tag}-c1"), "name": "Ada", "metadata": {"tier": "gold"}})).await,
        201,
    )
    .await["data"]["id"]
        .clone();
    let other = json_ok(
        call(Method::POST, "/customers".into(), json!({"name": "Linus"})).await,
        201,
    )
    .await["data"]["id"]
        .clone();
    let vendor = json_ok(
        call(
            Method::POST,
            "/vendors".into(),
            json!({"external_id": format!("{tag}-v1"), "name": "Shop"}),
        )
        .await,
        201,
    )
    .await["data"]["id"]
        .clone();
    let mut sessions = Vec::new();
    for (i, campaign) in ["trees-for-the-future", "cleanhub", "community-meals"]
        .iter()
        .enumerate()
    {
        let s = json_ok(
            call(
                Method::POST,
                "/sessions".into(),
                json!({"type": "add_on", "amount": 1000 + i as i64 * 250, "customer_id": customer, "vendor_id": vendor,
                       "available_campaigns": ["trees-for-the-future", "cleanhub", "community-meals"]}),
            )
            .await,
            201,
        )
        .await["data"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        json_ok(
            call(
                Method::POST,
                format!("/sessions/{s}/choose_campaign"),
                json!({"campaign_identifier": campaign}),
            )
            .await,
            200,
        )
        .await;
        if i < 2 {
            json_ok(
                call(Method::POST, format!("/sessions/{s}/confirm"), json!({})).await,
                200,
            )
            .await;
        } else {
            json_ok(
                call(Method::POST, format!("/sessions/{s}/process"), json!({})).await,
                200,
            )
            .await;
        }
        sessions.push(s);
    }
    let pos = json_ok(
        call(
            Method::POST,
            "/sessions".into(),
            json!({"type": "portion_of_sales", "customer_id": other,
                   "allocations": [{"campaign_identifier": "cleanhub", "amount": 700}, {"campaign_identifier": "yellow-rooms", "amount": 300}]}),
        )
        .await,
        201,
    )
    .await["data"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    json_ok(
        call(Method::POST, format!("/sessions/{pos}/confirm"), json!({})).await,
        200,
    )
    .await;
    sessions.push(pos);
    let direct = json_ok(
        call(Method::POST, "/donation_intents".into(), json!([{"amount": 400, "campaign_identifier": "plastic-fischer"}, {"amount": 600, "campaign_identifier": "cleanhub"}])).await,
        201,
    )
    .await["data"]
        .clone();
    let cancelled = direct[1]["id"].as_str().expect("id");
    json_ok(
        call(
            Method::PUT,
            format!("/donation_intents/{cancelled}/cancel"),
            json!({}),
        )
        .await,
        200,
    )
    .await;
    json!({"customers": [customer, other], "vendors": [vendor], "sessions": sessions,
           "direct_intent": direct[0]["id"]})
}

/// The GET responses a client would compare: every object, every list, the totals.
async fn snapshot(app: &TestApp, made: &Value) -> Vec<(String, Value)> {
    let mut paths = vec![
        "/customers?per_page=100".to_string(),
        "/vendors?per_page=100".to_string(),
        "/donation_intents?per_page=100".to_string(),
    ];
    for c in made["customers"].as_array().expect("array") {
        let c = c.as_str().expect("id");
        paths.push(format!("/customers/{c}"));
        paths.push(format!("/customers/{c}/impact_metrics"));
        paths.push(format!("/customers/{c}/donation_intents"));
    }
    for v in made["vendors"].as_array().expect("array") {
        let v = v.as_str().expect("id");
        paths.push(format!("/vendors/{v}"));
        paths.push(format!("/vendors/{v}/impact_metrics"));
    }
    for s in made["sessions"].as_array().expect("array") {
        paths.push(format!("/sessions/{}", s.as_str().expect("id")));
    }
    paths.push(format!(
        "/donation_intents/{}",
        made["direct_intent"].as_str().expect("id")
    ));
    let mut out = Vec::new();
    for p in paths {
        let resp = app.get(&p).await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("JSON");
        out.push((p, json!({"status": status, "body": body})));
    }
    out
}

#[actix_web::test]
async fn reset_deletes_one_organizations_data_and_keeps_its_keys_and_totals_right() {
    let app = spawn_app().await;
    let a = sandbox(&app);
    let (b, key_b) = app.new_org("Other").await;
    populate(&app, API_KEY, "a").await;
    let made_b = populate(&app, &key_b, "b").await;
    let requests_a =
        admin_get(&app, &format!("/admin/api/requests?org={a}")).await["total"].clone();
    let requests_b =
        admin_get(&app, &format!("/admin/api/requests?org={b}")).await["total"].clone();
    assert!(requests_a.as_u64().is_some_and(|n| n > 10));

    let reset = app
        .admin(Method::POST, &format!("/admin/api/organizations/{a}/reset"))
        .send()
        .await
        .expect("request");
    let deleted = json_ok(reset, 200).await["data"]["deleted"].clone();
    assert_eq!(
        deleted,
        json!({"customers": 2, "vendors": 1, "donation_intents": 5, "sessions": 4, "events": 0,
               "requests": requests_a})
    );
    assert_kept_totals_match(&app.db_path);
    assert_nothing_left(&app.db_path, &a);

    // The key still works, and the organization is empty.
    for list in ["/customers", "/vendors", "/donation_intents"] {
        let page = json_ok(app.get(list).await, 200).await;
        assert_eq!(page["total"], 0, "{list}");
        assert_eq!(page["data"], json!([]), "{list}");
    }
    let sessions = admin_get(&app, &format!("/admin/api/sessions?organization_id={a}")).await;
    assert_eq!(sessions["total"], 0);
    // Only the three lists above, made after the reset.
    assert_eq!(
        admin_get(&app, &format!("/admin/api/requests?org={a}")).await["total"],
        3
    );
    // The other organization is untouched, its request log included.
    let page = |path: &'static str| {
        let req = app.client.get(app.url(path)).bearer_auth(&key_b);
        async move { json_ok(req.send().await.expect("request"), 200).await }
    };
    assert_eq!(page("/customers").await["total"], 2);
    assert_eq!(page("/donation_intents").await["total"], 5);
    let customer_b = made_b["customers"][0].as_str().expect("id").to_string();
    let metrics = app
        .client
        .get(app.url(&format!("/customers/{customer_b}/impact_metrics")))
        .bearer_auth(&key_b)
        .send()
        .await
        .expect("request");
    let metrics = json_ok(metrics, 200).await;
    assert_eq!(metrics["data"]["donation_count"], 2);
    assert_eq!(metrics["data"]["total_amount"], 2250);
    assert_eq!(
        admin_get(&app, &format!("/admin/api/requests?org={b}")).await["total"].as_u64(),
        requests_b.as_u64().map(|n| n + 3)
    );

    // Counters start again from zero, and the same external ids can be used again.
    populate(&app, API_KEY, "a").await;
    assert_eq!(json_ok(app.get("/customers").await, 200).await["total"], 2);
    assert_eq!(
        json_ok(app.get("/donation_intents").await, 200).await["total"],
        5
    );
    assert_kept_totals_match(&app.db_path);

    let unknown = app
        .admin(
            Method::POST,
            "/admin/api/organizations/01ARZ3NDEKTSV4RRFFQ69G5FAV/reset",
        )
        .send()
        .await
        .expect("request");
    assert_error(unknown, 404, "organization.not-found").await;
    let with_key = app
        .post(&format!("/admin/api/organizations/{a}/reset"), &json!({}))
        .await;
    assert_error(with_key, 401, "auth.unauthorized").await;
}

/// Customers of the organization of the test key, by the kept count.
async fn customer_total(app: &TestApp) -> Value {
    json_ok(app.get("/customers").await, 200).await["total"].clone()
}

#[actix_web::test]
async fn fixtures_round_trip_export_reset_load_gives_identical_responses() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    let made = populate(&app, API_KEY, "fx").await;
    let before = snapshot(&app, &made).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("f.json");
    let exported = cli_ok(&app.db_path, &["fixtures", "export", "--org", &org]);
    std::fs::write(&file, &exported).expect("write");
    let parsed: Value = serde_json::from_str(&exported).expect("JSON");
    assert_eq!(parsed["format"], "impactapi.fixtures");
    assert_eq!(parsed["version"], 1);
    assert_eq!(parsed["donation_intents"].as_array().map(Vec::len), Some(5));

    let reset = cli_ok(&app.db_path, &["orgs", "reset", &org, "--json"]);
    let reset: Value = serde_json::from_str(&reset).expect("JSON");
    assert_eq!(reset["deleted"]["customers"], 2);
    assert_eq!(reset["deleted"]["sessions"], 4);
    assert_eq!(customer_total(&app).await, 0);

    let loaded = cli_ok(
        &app.db_path,
        &[
            "fixtures",
            "load",
            "--org",
            &org,
            "--json",
            file.to_str().expect("path"),
        ],
    );
    let loaded: Value = serde_json::from_str(&loaded).expect("JSON");
    assert_eq!(
        loaded["loaded"],
        json!({"customers": 2, "vendors": 1, "sessions": 4, "donation_intents": 5})
    );
    let after = snapshot(&app, &made).await;
    for ((path, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a["status"], 200, "{path}: {a}");
        assert_eq!(a, b, "{path} differs after export, reset, load");
    }
    assert_kept_totals_match(&app.db_path);

    // A second load clashes on the first record, and stops before writing anything.
    let first = parsed["customers"][0]["id"].as_str().expect("id");
    let message = cli_err(
        &app.db_path,
        &[
            "fixtures",
            "load",
            "--org",
            &org,
            file.to_str().expect("path"),
        ],
    );
    assert!(
        message.contains(&format!("customer {first} already exists")),
        "{message}"
    );
    assert!(message.contains("nothing loaded"), "{message}");
    // New customers and vendors, but sessions that exist: the first clash is the first session,
    // and none of the new customers is left behind.
    let mut partial = parsed.clone();
    for (kind, prefix) in [
        ("customers", "01J0000000000000000000C"),
        ("vendors", "01J0000000000000000000V"),
    ] {
        for (i, p) in partial[kind]
            .as_array_mut()
            .expect("array")
            .iter_mut()
            .enumerate()
        {
            p["id"] = json!(format!("{prefix}{i:03}"));
            if !p["external_id"].is_null() {
                p["external_id"] = json!(format!("new-{kind}-{i}"));
            }
        }
    }
    std::fs::write(&file, partial.to_string()).expect("write");
    let message = cli_err(
        &app.db_path,
        &[
            "fixtures",
            "load",
            "--org",
            &org,
            file.to_str().expect("path"),
        ],
    );
    let session = parsed["sessions"][0]["id"].as_str().expect("id");
    assert!(
        message.contains(&format!("session {session} already exists")),
        "{message}"
    );
    assert_eq!(customer_total(&app).await, 2);
    // A failure past the checks (two customers of the file share an external id) rolls back the
    // rows already written in the same load.
    let mut twins = json!({"format": "impactapi.fixtures", "version": 1, "organization_id": org,
        "exported_at": "2026-01-01T00:00:00.000000Z", "vendors": [], "sessions": [], "donation_intents": []});
    twins["customers"] = json!([
        {"id": "01J00000000000000000000T01", "external_id": "twin", "name": null, "metadata": {},
         "created_at": "2026-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00.000000Z"},
        {"id": "01J00000000000000000000T02", "external_id": "twin", "name": null, "metadata": {},
         "created_at": "2026-01-01T00:00:00.000000Z", "updated_at": "2026-01-01T00:00:00.000000Z"}
    ]);
    std::fs::write(&file, twins.to_string()).expect("write");
    let message = cli_err(
        &app.db_path,
        &[
            "fixtures",
            "load",
            "--org",
            &org,
            file.to_str().expect("path"),
        ],
    );
    assert!(message.contains("01J00000000000000000000T02"), "{message}");
    assert_eq!(customer_total(&app).await, 2);
    assert_error(
        app.get("/customers/01J00000000000000000000T01").await,
        404,
        "customer.not-found",
    )
    .await;
    assert_kept_totals_match(&app.db_path);
}

#[actix_web::test]
async fn bad_fixture_input_gets_a_clear_error_and_changes_nothing() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    let made = populate(&app, API_KEY, "bad").await;
    let before = snapshot(&app, &made).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let exported = cli_ok(&app.db_path, &["fixtures", "export", "--org", &org]);
    let mut fresh: Value = serde_json::from_str(&exported).expect("JSON");
    // Fresh ids throughout, so that only the defect under test can stop the load.
    fresh["customers"][0]["id"] = json!("01J000000000000000000000C1");
    fresh["customers"][0]["external_id"] = json!("fresh");
    fresh["customers"] = json!([fresh["customers"][0].clone()]);
    fresh["vendors"] = json!([]);
    fresh["sessions"] = json!([]);
    fresh["donation_intents"] = json!([]);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed",
            "{\"format\": \"impactapi.fixtures\", \"version\": 1, \"customers\": [".into(),
            "not a JSON object",
        ),
        ("not a fixture", "[1, 2]".into(), "not a JSON object"),
        (
            "other format",
            json!({"format": "something", "version": 1}).to_string(),
            "not an impactapi fixture file",
        ),
        (
            "wrong version",
            {
                let mut v = fresh.clone();
                v["version"] = json!(2);
                v.to_string()
            },
            "fixture version 2 is not supported",
        ),
        (
            "no version",
            {
                let mut v = fresh.clone();
                v.as_object_mut().expect("object").remove("version");
                v.to_string()
            },
            "no \"version\"",
        ),
        (
            "missing field",
            {
                let mut v = fresh.clone();
                v["customers"][0]
                    .as_object_mut()
                    .expect("object")
                    .remove("created_at");
                v.to_string()
            },
            "missing field `created_at`",
        ),
        (
            "bad id",
            {
                let mut v = fresh.clone();
                v["customers"][0]["id"] = json!("c1");
                v.to_string()
            },
            "customer id \"c1\" is not a ULID",
        ),
        (
            "bad timestamp",
            {
                let mut v = fresh.clone();
                v["customers"][0]["created_at"] = json!("yesterday");
                v.to_string()
            },
            "not an RFC 3339 timestamp",
        ),
    ];
    for (name, text, expected) in &cases {
        let file = dir.path().join("case.json");
        std::fs::write(&file, text).expect("write");
        let message = cli_err(
            &app.db_path,
            &[
                "fixtures",
                "load",
                "--org",
                &org,
                file.to_str().expect("path"),
            ],
        );
        assert!(message.contains(expected), "{name}: {message}");
        assert!(message.contains("nothing loaded"), "{name}: {message}");
    }
    let good = dir.path().join("good.json");
    std::fs::write(&good, fresh.to_string()).expect("write");
    let good = good.to_str().expect("path");
    let unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    for args in [
        vec!["fixtures", "load", "--org", unknown, good],
        vec!["fixtures", "load", "--org", "not-an-id", good],
        vec!["fixtures", "export", "--org", unknown],
        vec!["fixtures", "demo", "--org", unknown],
        vec!["orgs", "reset", unknown],
    ] {
        let message = cli_err(&app.db_path, &args);
        assert!(
            message.contains(&format!("no organization {unknown}"))
                || message.contains("is not an organization id"),
            "{args:?}: {message}"
        );
    }
    let message = cli_err(
        &app.db_path,
        &["fixtures", "load", "--org", &org, "/nonexistent/f.json"],
    );
    assert!(
        message.contains("cannot read /nonexistent/f.json"),
        "{message}"
    );
    assert_eq!(snapshot(&app, &made).await, before);
    // The same file, with nothing wrong with it, loads.
    cli_ok(&app.db_path, &["fixtures", "load", "--org", &org, good]);
    assert_eq!(customer_total(&app).await, 3);
}

#[actix_web::test]
async fn demo_data_is_visible_through_the_api_and_its_totals_match_the_intents() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    let out = run_cli(
        &app.db_path,
        &[
            "fixtures",
            "demo",
            "--org",
            &org,
            "--customers",
            "12",
            "--days",
            "5",
            "--seed",
            "7",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not a terminal: plain progress lines, the last one for the last day.
    let progress = String::from_utf8(out.stderr).expect("utf-8");
    assert!(
        progress.lines().any(|l| l.starts_with("demo: day 5/5")),
        "{progress}"
    );
    let made: Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(made["customers"], 12);

    assert_eq!(customer_total(&app).await, 12);
    let vendors = json_ok(app.get("/vendors").await, 200).await;
    assert_eq!(vendors["total"], made["vendors"]);
    let intents = json_ok(app.get("/donation_intents?per_page=1").await, 200).await;
    assert_eq!(intents["total"], made["donation_intents"]);
    assert!(made["donation_intents"].as_u64().is_some_and(|n| n > 5));
    for status in ["active", "processing", "confirmed", "expired"] {
        let page = admin_get(
            &app,
            &format!("/admin/api/sessions?organization_id={org}&status={status}"),
        )
        .await;
        assert_eq!(page["total"], made["sessions"][status], "{status}");
        assert!(
            page["total"].as_u64().is_some_and(|n| n >= 1),
            "no {status} session"
        );
    }
    // Intents spread over the days.
    let all = json_ok(
        app.get("/donation_intents?per_page=100&sort_order=asc")
            .await,
        200,
    )
    .await;
    let days: std::collections::BTreeSet<String> = all["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["created_at"].as_str().expect("time")[..10].to_string())
        .collect();
    assert!(days.len() >= 4, "{days:?}");

    // Each customer's totals, as the API reports them, are the sums of the intents it lists.
    let customers = json_ok(app.get("/customers?per_page=100").await, 200).await;
    let mut attributed = 0;
    for c in customers["data"].as_array().expect("array") {
        let id = c["id"].as_str().expect("id");
        let metrics = json_ok(
            app.get(&format!("/customers/{id}/impact_metrics")).await,
            200,
        )
        .await["data"]
            .clone();
        let listed = json_ok(
            app.get(&format!("/customers/{id}/donation_intents?per_page=100"))
                .await,
            200,
        )
        .await;
        let items = listed["data"].as_array().expect("array");
        let sum: i64 = items
            .iter()
            .map(|i| i["amount"].as_i64().expect("amount"))
            .sum();
        assert_eq!(metrics["donation_count"], json!(items.len()), "{id}");
        assert_eq!(metrics["total_amount"], json!(sum), "{id}");
        assert_eq!(listed["total"], json!(items.len()), "{id}");
        attributed += items.len();
    }
    assert!(attributed > 0);
    let total: i64 = all["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["amount"].as_i64().expect("amount"))
        .sum();
    assert_eq!(made["donation_total"], json!(total));
    assert_kept_totals_match(&app.db_path);
}

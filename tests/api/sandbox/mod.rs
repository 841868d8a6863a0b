//! The developer sandbox (SPEC 12): request log, reset, fixtures and demo data; the helpers they
//! share.

mod fixtures;
mod request_log;
mod reset;

use crate::helpers::{json_ok, TestApp};
use crate::process::BIN;
use reqwest::Method;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};

/// Runs the executable against `db`; returns its output whatever the exit status.
pub fn run_cli(db: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("IMPACTAPI_LOG", "warn")
        .output()
        .expect("run impactapi")
}

#[track_caller]
pub fn cli_ok(db: &Path, args: &[&str]) -> String {
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
pub fn cli_err(db: &Path, args: &[&str]) -> String {
    let out = run_cli(db, args);
    assert!(
        !out.status.success(),
        "impactapi {args:?} should have failed"
    );
    String::from_utf8(out.stderr).expect("utf-8")
}

pub async fn admin_get(app: &TestApp, path: &str) -> Value {
    json_ok(
        app.admin(Method::GET, path).send().await.expect("request"),
        200,
    )
    .await
}

pub fn sandbox(app: &TestApp) -> String {
    app.state.sandbox_org_id.clone()
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
pub fn assert_nothing_left(db: &Path, org: &str) {
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
    // Deliveries and their attempts belong to the organization through its endpoints (which a
    // reset keeps).
    for table in ["webhook_deliveries", "webhook_attempts"] {
        let left: i64 = conn
            .query_row(
                &format!(
                    "SELECT COUNT(*) FROM {table} WHERE endpoint_id IN
                         (SELECT id FROM webhook_endpoints WHERE org_id = ?1)"
                ),
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
pub async fn populate(app: &TestApp, key: &str, tag: &str) -> Value {
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
pub async fn snapshot(app: &TestApp, made: &Value) -> Vec<(String, Value)> {
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

/// Customers of the organization of the test key, by the kept count.
pub async fn customer_total(app: &TestApp) -> Value {
    json_ok(app.get("/customers").await, 200).await["total"].clone()
}

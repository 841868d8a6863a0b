//! Fixture files and generated demo data, through the real executable.

use super::*;
use crate::helpers::{assert_error, json_ok, spawn_app, API_KEY};
use serde_json::{json, Value};

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
    // (A hand-written file may leave out what it has none of.)
    let mut twins = json!({"format": "impactapi.fixtures", "version": 1});
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

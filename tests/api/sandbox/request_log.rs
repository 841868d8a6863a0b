//! The request log: redaction, the cap, filters, lookup, isolation.

use super::*;
use crate::helpers::{assert_error, json_ok, spawn_app, spawn_app_with, API_KEY};
use reqwest::Method;
use serde_json::{json, Value};

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
    // A secret caller is shown no secret (null), and the log says so rather than "[redacted]".
    let answered: Value =
        serde_json::from_str(entries[1]["response"]["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(answered["data"]["session_secret"], Value::Null);
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
    // The server's own pages are no API requests, even with a key.
    for path in ["/healthz", "/openapi.json", "/admin/api/requests"] {
        app.get(path).await;
    }

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
async fn an_idempotent_replay_is_logged_with_its_body() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    for _ in 0..2 {
        let resp = app
            .req(Method::POST, "/customers")
            .header("Idempotency-Key", "replay-1")
            .json(&json!({"name": "Once"}))
            .send()
            .await
            .expect("request");
        json_ok(resp, 201).await;
    }
    let entries = logged(&app, &org).await;
    assert_eq!(entries.len(), 2);
    let replay = &entries[0];
    assert_eq!(replay["response"]["headers"]["idempotent-replayed"], "true");
    assert_eq!(replay["idempotency_key"], "replay-1");
    assert_eq!(replay["request"]["body"], r#"{"name":"Once"}"#);
    assert_eq!(replay["response"]["body"], entries[1]["response"]["body"]);
}

#[actix_web::test]
async fn a_streamed_export_passes_through_and_is_logged_without_its_body() {
    let app = spawn_app().await;
    let org = sandbox(&app);
    app.create_intents(json!([{"amount": 700, "campaign_identifier": "cleanhub"}]))
        .await;
    let resp = app.get("/donation_intents/export.csv").await;
    assert_eq!(resp.status().as_u16(), 200);
    let csv = resp.text().await.expect("body");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let entries = logged(&app, &org).await;
    let export = &entries[0];
    assert_eq!(export["path"], "/donation_intents/export.csv");
    assert_eq!(export["status"], 200);
    assert_eq!(export["response"]["streamed"], true);
    assert_eq!(export["response"]["body"], Value::Null);
}

#[actix_web::test]
async fn request_log_zero_records_nothing() {
    let app = spawn_app_with(|c| c.serve.request_log = 0).await;
    json_ok(app.post("/customers", &json!({"name": "x"})).await, 201).await;
    let list = admin_get(&app, "/admin/api/requests").await;
    assert_eq!(list["total"], 0);
}

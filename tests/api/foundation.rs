//! Store, auth, errors, pagination, campaigns (SPEC 1-4, 5.1).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

#[actix_web::test]
async fn campaigns_list_the_default_catalog_with_metrics() {
    let app = spawn_app().await;
    let body = json_ok(app.get("/campaigns").await, 200).await;
    let list = body["data"].as_array().expect("array");
    let ids: Vec<&str> = list
        .iter()
        .map(|c| c["identifier"].as_str().expect("identifier"))
        .collect();
    assert_eq!(
        ids,
        [
            "cleanhub",
            "community-meals",
            "plastic-fischer",
            "trees-for-the-future",
            "yellow-rooms"
        ]
    );
    let trees = &list[3];
    assert_eq!(trees["impact_metrics"][0]["key"], "trees_planted");
    assert_eq!(trees["impact_metrics"][0]["impact_per_dollar"], 4.0);
    assert_eq!(trees["active"], true);
    let one = json_ok(app.get("/campaigns/cleanhub").await, 200).await;
    assert_eq!(
        one["data"]["impact_metrics"][0]["unit_plural"],
        "kg of plastic"
    );
    assert_error(app.get("/campaigns/nope").await, 404, "campaign.not-found").await;
}

#[actix_web::test]
async fn inactive_campaigns_leave_the_list_but_stay_readable() {
    let app = spawn_app().await;
    let r = app
        .admin(Method::POST, "/admin/api/campaigns/cleanhub/deactivate")
        .send()
        .await
        .expect("request");
    json_ok(r, 200).await;
    let body = json_ok(app.get("/campaigns").await, 200).await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(4));
    let one = json_ok(app.get("/campaigns/cleanhub").await, 200).await;
    assert_eq!(one["data"]["active"], false);
}

#[actix_web::test]
async fn missing_unknown_malformed_and_revoked_keys_get_401() {
    let app = spawn_app().await;
    let none = app
        .client
        .get(app.url("/campaigns"))
        .send()
        .await
        .expect("request");
    assert_error(none, 401, "auth.unauthorized").await;
    let unknown = app
        .client
        .get(app.url("/campaigns"))
        .bearer_auth("ia_sk_nope")
        .send()
        .await
        .expect("request");
    assert_error(unknown, 401, "auth.unauthorized").await;
    let malformed = app
        .client
        .get(app.url("/campaigns"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .expect("request");
    assert_error(malformed, 401, "auth.unauthorized").await;

    let (org_id, key) = app.new_org("Acme").await;
    let ok = app
        .client
        .get(app.url("/campaigns"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    json_ok(ok, 200).await;
    let keys = json_ok(
        app.admin(
            Method::GET,
            &format!("/admin/api/keys?organization_id={org_id}"),
        )
        .send()
        .await
        .expect("request"),
        200,
    )
    .await;
    let key_id = keys["data"][0]["id"].as_str().expect("key id").to_string();
    json_ok(
        app.admin(Method::POST, &format!("/admin/api/keys/{key_id}/revoke"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    let revoked = app
        .client
        .get(app.url("/campaigns"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_error(revoked, 401, "auth.unauthorized").await;
    // The Sandbox key is untouched.
    json_ok(app.get("/campaigns").await, 200).await;
}

#[actix_web::test]
async fn organizations_never_see_each_others_objects() {
    let app = spawn_app().await;
    let (_, other_key) = app.new_org("Other").await;
    let customer = json_ok(app.post("/customers", &json!({"name": "Mine"})).await, 201).await;
    let id = customer["data"]["id"].as_str().expect("id");
    let intent = app
        .create_intents(json!([{"amount": 100, "campaign_identifier": "cleanhub"}]))
        .await;
    let intent_id = intent[0]["id"].as_str().expect("id");
    let as_other = |method: Method, path: String| {
        app.client
            .request(method, app.url(&path))
            .bearer_auth(&other_key)
    };
    let r = as_other(Method::GET, format!("/customers/{id}"))
        .send()
        .await
        .expect("request");
    assert_error(r, 404, "customer.not-found").await;
    let r = as_other(Method::DELETE, format!("/customers/{id}"))
        .send()
        .await
        .expect("request");
    assert_error(r, 404, "customer.not-found").await;
    let r = as_other(Method::GET, format!("/donation_intents/{intent_id}"))
        .send()
        .await
        .expect("request");
    assert_error(r, 404, "donation-intent.not-found").await;
    let r = as_other(Method::PUT, format!("/donation_intents/{intent_id}/cancel"))
        .send()
        .await
        .expect("request");
    assert_error(r, 404, "donation-intent.not-found").await;
    let list = json_ok(
        as_other(Method::GET, "/customers".into())
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(list["total"], 0);
    // Still there for its owner.
    json_ok(app.get(&format!("/customers/{id}")).await, 200).await;
}

#[actix_web::test]
async fn every_error_class_answers_its_status_code_and_correlation_id() {
    let app = spawn_app().await;
    // 400: not JSON, and the wrong top-level kind.
    let r = app
        .req(Method::POST, "/customers")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_error(r, 400, "request.invalid-json").await;
    let r = app
        .req(Method::POST, "/customers")
        .body("[1, 2]")
        .send()
        .await
        .expect("request");
    assert_error(r, 400, "request.invalid-json").await;
    let r = app
        .req(Method::POST, "/donation_intents")
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .expect("request");
    assert_error(r, 400, "request.invalid-json").await;
    // 400 business code.
    let r = app
        .post(
            "/sessions",
            &json!({"type": "add_on", "available_campaigns": ["cleanhub"]}),
        )
        .await;
    assert_error(r, 400, "session.interactive-session-requires-amount").await;
    // 401.
    let r = app
        .client
        .get(app.url("/customers"))
        .send()
        .await
        .expect("request");
    assert_error(r, 401, "auth.unauthorized").await;
    // 404: resource, non-ULID id, unknown route.
    let r = app.get("/customers/01ARZ3NDEKTSV4RRFFQ69G5FAV").await;
    assert_error(r, 404, "customer.not-found").await;
    let r = app.get("/vendors/not-a-ulid").await;
    assert_error(r, 404, "vendor.not-found").await;
    let r = app.get("/sessions/not-a-ulid").await;
    assert_error(r, 404, "session.not-found").await;
    let r = app.get("/no/such/route").await;
    assert_error(r, 404, "route.not-found").await;
    // 405.
    let r = app
        .req(Method::DELETE, "/campaigns")
        .send()
        .await
        .expect("request");
    assert_error(r, 405, "request.method-not-allowed").await;
    // 413.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let r = app
        .req(Method::POST, "/customers")
        .body(big)
        .send()
        .await
        .expect("request");
    assert_error(r, 413, "request.too-large").await;
    // 422 with every field reported together.
    let r = app
        .post(
            "/customers",
            &json!({"name": 5, "external_id": "x".repeat(256), "metadata": []}),
        )
        .await;
    let body = assert_error(r, 422, "validation.failed").await;
    assert_eq!(fields(&body), ["external_id", "metadata", "name"]);
    // Query parameters out of range are 422, not clamped.
    for q in [
        "per_page=0",
        "per_page=101",
        "page=0",
        "sort_by=bogus",
        "sort_order=up",
        "page=abc",
    ] {
        let r = app.get(&format!("/customers?{q}")).await;
        assert_error(r, 422, "validation.failed").await;
    }
}

#[actix_web::test]
async fn unexpected_failures_are_generic_500s_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    // Break the schema under the server: the next vendors query fails inside SQLite.
    let conn = rusqlite::Connection::open(&app.db_path).expect("open");
    conn.execute_batch(
        "DROP TRIGGER vendors_count_ins; DROP TRIGGER vendors_count_del; DROP TABLE vendors;",
    )
    .expect("drop");
    let r = app.get("/vendors").await;
    let body = assert_error(r, 500, "server.error").await;
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("vendors"),
        "cause must not leak: {body}"
    );
    json_ok(app.get("/customers").await, 200).await;
}

#[actix_web::test]
async fn correlation_ids_are_reused_when_valid_and_fresh_otherwise() {
    let app = spawn_app().await;
    let given = "550e8400-e29b-41d4-a716-446655440000";
    let r = app
        .req(Method::GET, "/campaigns")
        .header("X-Correlation-Id", given)
        .send()
        .await
        .expect("request");
    assert_eq!(r.headers()["x-correlation-id"], given);
    let r = app
        .req(Method::GET, "/nope")
        .header("X-Request-Id", given)
        .send()
        .await
        .expect("request");
    let body = assert_error(r, 404, "route.not-found").await;
    assert_eq!(body["error"]["correlation_id"], given);
    let r = app
        .req(Method::GET, "/campaigns")
        .header("X-Correlation-Id", "not a uuid")
        .send()
        .await
        .expect("request");
    let id = r.headers()["x-correlation-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok() && id != "not a uuid");
    let healthz = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert!(healthz.headers().contains_key("x-correlation-id"));
    assert_eq!(
        healthz.json::<Value>().await.expect("json"),
        json!({"status": "ok"})
    );
}

#[actix_web::test]
async fn pagination_envelope_edges() {
    let app = spawn_app().await;
    let empty = json_ok(app.get("/customers").await, 200).await;
    assert_eq!(
        empty,
        json!({"data": [], "current_page": 1, "from": null, "to": null, "per_page": 10, "last_page": 1, "total": 0})
    );
    for i in 0..25 {
        json_ok(
            app.post("/customers", &json!({"name": format!("c{i:02}")}))
                .await,
            201,
        )
        .await;
    }
    let page = json_ok(app.get("/customers?per_page=10&page=3").await, 200).await;
    assert_eq!(
        (
            page["from"].as_i64(),
            page["to"].as_i64(),
            page["last_page"].as_i64(),
            page["total"].as_i64()
        ),
        (Some(21), Some(25), Some(3), Some(25))
    );
    assert_eq!(page["data"].as_array().map(Vec::len), Some(5));
    let past = json_ok(app.get("/customers?per_page=10&page=9").await, 200).await;
    assert_eq!(past["data"], json!([]));
    assert_eq!(past["current_page"], 9);
    assert_eq!(past["total"], 25);
    assert!(past["from"].is_null() && past["to"].is_null());
    // Default order is newest first; asc reverses it.
    let desc = json_ok(app.get("/customers?per_page=1").await, 200).await;
    assert_eq!(desc["data"][0]["name"], "c24");
    let asc = json_ok(app.get("/customers?per_page=1&sort_order=asc").await, 200).await;
    assert_eq!(asc["data"][0]["name"], "c00");
}

#[actix_web::test]
async fn impact_labels_round_pluralise_and_mark_approximation() {
    let app = spawn_app().await;
    let cases = [
        (25, false, "trees-for-the-future", "1 tree planted", 1.0),
        (15, false, "trees-for-the-future", "0.6 trees planted", 0.6),
        (
            31_250,
            false,
            "trees-for-the-future",
            "1250 trees planted",
            1250.0,
        ),
        (
            333,
            false,
            "yellow-rooms",
            "0.67 safe nights provided",
            0.67,
        ),
        (500, true, "trees-for-the-future", "~20 trees planted", 20.0),
        (100, false, "cleanhub", "1 kg of plastic collected", 1.0),
    ];
    for (amount, approximated, campaign, label, quantity) in cases {
        let s = app
            .create_session(json!({"type": "add_on", "amount": amount, "available_campaigns": [campaign], "approximated": approximated}))
            .await;
        let id = s["id"].as_str().expect("id");
        let got = json_ok(app.get(&format!("/sessions/{id}")).await, 200).await;
        let impact = &got["data"]["campaigns"][0]["impact"][0];
        assert_eq!(impact["label"], label, "{amount} to {campaign}");
        assert_eq!(impact["quantity"], quantity);
    }
    let intents = app
        .create_intents(json!([{"amount": 25, "campaign_identifier": "trees-for-the-future"}]))
        .await;
    assert_eq!(intents[0]["impact"][0]["unit"], "tree");
    assert_eq!(intents[0]["impact"][0]["label"], "1 tree planted");
}

#[actix_web::test]
async fn the_body_is_json_whatever_the_content_type() {
    let app = spawn_app().await;
    let r = app
        .req(Method::POST, "/customers")
        .header("Content-Type", "text/plain")
        .body(r#"{"name": "Plain"}"#)
        .send()
        .await
        .expect("request");
    let body = json_ok(r, 201).await;
    assert_eq!(body["data"]["name"], "Plain");
    assert_eq!(body["data"]["metadata"], json!({}));
    // An empty body counts as {} where every field is optional.
    let r = app
        .req(Method::POST, "/vendors")
        .send()
        .await
        .expect("request");
    json_ok(r, 201).await;
}

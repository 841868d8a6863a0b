//! Session create rules and codes (SPEC 5.5, 5.6, 9), expiry and the sweeper (SPEC 6), the sandbox
//! clock (SPEC 7) and CORS for the session-secret endpoints (SPEC 2).

use crate::helpers::*;
use crate::sessions::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};

const UNKNOWN_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
const ORIGIN: &str = "https://shop.example";

/// How many sessions exist, in every organization.
async fn sessions_stored(app: &TestApp) -> i64 {
    let resp = send(app.admin(Method::GET, "/admin/api/sessions")).await;
    json_ok(resp, 200).await["total"].as_i64().expect("total")
}

/// The status as stored, whatever the clock says.
async fn stored_status(app: &TestApp, id: &str) -> String {
    let id = id.to_string();
    let found = app
        .state
        .db
        .read(move |conn| Ok(impactapi::store::sessions::find(conn, &id)?))
        .await;
    let row = found.expect("read").expect("session");
    row.status.as_str().to_string()
}

async fn sweep_endpoint(app: &TestApp) -> Value {
    json_ok(send(app.admin(Method::POST, "/admin/api/sweep")).await, 200).await
}

async fn advance(app: &TestApp, body: Value) -> Response {
    send(
        app.admin(Method::POST, "/admin/api/clock/advance")
            .json(&body),
    )
    .await
}

/// Seconds since the epoch of a `{"data": {"now": ...}}` body.
fn now_of(v: &Value) -> i64 {
    micros(&v["data"]["now"]) / 1_000_000
}

fn allow_origin(resp: &Response) -> Option<&str> {
    let value = resp.headers().get("access-control-allow-origin")?;
    value.to_str().ok()
}

#[actix_web::test]
async fn create_business_rules_answer_their_codes() {
    let app = spawn_app().await;
    let allocs = json!([{"campaign_identifier": TREES, "amount": 100}]);
    let amount = "session.interactive-session-requires-amount";
    let no_allocs = "session.interactive-cannot-have-allocations";
    let needs_allocs = "session.non-interactive-requires-allocations";
    let cases = [
        (
            json!({"type": "add_on", "available_campaigns": [TREES]}),
            amount,
        ),
        (
            json!({"type": "portion_of_sales_choice", "amount": null, "available_campaigns": [TREES]}),
            amount,
        ),
        (
            json!({"type": "add_on", "amount": 1, "available_campaigns": [TREES], "allocations": allocs}),
            no_allocs,
        ),
        (
            json!({"type": "add_on", "amount": 1, "available_campaigns": [TREES], "allocations": []}),
            no_allocs,
        ),
        (json!({"type": "portion_of_sales"}), needs_allocs),
        (
            json!({"type": "portion_of_sales", "allocations": []}),
            needs_allocs,
        ),
        (
            json!({"type": "portion_of_sales", "allocations": null}),
            needs_allocs,
        ),
        (
            json!({"type": "portion_of_sales", "allocations": allocs, "amount": 100}),
            "session.invalid-type",
        ),
        (
            json!({"type": "portion_of_sales", "allocations": allocs, "available_campaigns": [TREES]}),
            "session.invalid-type",
        ),
    ];
    for (body, code) in cases {
        refused(app.post("/sessions", &body).await, code).await;
    }
    assert_eq!(sessions_stored(&app).await, 0);
}

#[actix_web::test]
async fn create_field_errors_are_422_on_their_field_and_reported_together() {
    let app = spawn_app().await;
    json_ok(
        send(app.admin(Method::POST, "/admin/api/campaigns/cleanhub/deactivate")).await,
        200,
    )
    .await;
    let (_, other_key) = app.new_org("Other").await;
    let foreign = app.client.post(app.url("/vendors")).bearer_auth(&other_key);
    let foreign_vendor = data(send(foreign.json(&json!({}))).await, 201).await["id"].clone();
    let ok = json!({"type": "add_on", "amount": 100, "available_campaigns": [TREES]});
    let with = |field: &str, value: Value| {
        let mut body = ok.clone();
        body[field] = value;
        body
    };
    let fifty_one: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    let one = json!({"campaign_identifier": TREES, "amount": 1});
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (with("type", json!("bogus")), vec!["type"]),
        (with("type", json!(5)), vec!["type"]),
        (
            json!({"amount": 100, "available_campaigns": [TREES]}),
            vec!["type"],
        ),
        (
            json!({"type": "add_on", "amount": 100}),
            vec!["available_campaigns"],
        ),
        (
            with("available_campaigns", Value::Null),
            vec!["available_campaigns"],
        ),
        (
            with("available_campaigns", json!([])),
            vec!["available_campaigns"],
        ),
        (
            with("available_campaigns", json!(vec![TREES; 11])),
            vec!["available_campaigns"],
        ),
        (
            with("available_campaigns", json!(TREES)),
            vec!["available_campaigns"],
        ),
        (
            with("available_campaigns", json!([TREES, "nope"])),
            vec!["available_campaigns.1"],
        ),
        (
            with("available_campaigns", json!([TREES, TREES])),
            vec!["available_campaigns.1"],
        ),
        (
            with("available_campaigns", json!([CLEANHUB])),
            vec!["available_campaigns.0"],
        ),
        (with("amount", json!(0)), vec!["amount"]),
        (with("amount", json!(1_000_000_001)), vec!["amount"]),
        (with("amount", json!("100")), vec!["amount"]),
        (with("amount", json!(10.5)), vec!["amount"]),
        (with("expires_in", json!(14)), vec!["expires_in"]),
        (with("expires_in", json!(1441)), vec!["expires_in"]),
        (with("approximated", json!("yes")), vec!["approximated"]),
        (with("metadata", json!("x")), vec!["metadata"]),
        (with("metadata", Value::Object(fifty_one)), vec!["metadata"]),
        (with("customer_id", json!(UNKNOWN_ID)), vec!["customer_id"]),
        (with("customer_id", json!("abc")), vec!["customer_id"]),
        (with("vendor_id", foreign_vendor), vec!["vendor_id"]),
        (
            json!({"type": "portion_of_sales", "allocations": [
                {"campaign_identifier": TREES, "amount": 0}, {"campaign_identifier": TREES, "amount": 5},
                {"campaign_identifier": CLEANHUB, "amount": 5}, {"amount": 5}]}),
            vec![
                "allocations.0.amount",
                "allocations.1.campaign_identifier",
                "allocations.2.campaign_identifier",
                "allocations.3.campaign_identifier",
            ],
        ),
        (
            json!({"type": "portion_of_sales", "allocations": vec![one; 11]}),
            vec!["allocations"],
        ),
        (
            json!({"type": "portion_of_sales", "allocations": [5]}),
            vec!["allocations.0"],
        ),
        // Every field error together, the database lookups included.
        (
            json!({"type": "add_on", "amount": 0, "available_campaigns": ["nope"], "expires_in": 5,
                "customer_id": UNKNOWN_ID, "vendor_id": UNKNOWN_ID}),
            vec![
                "amount",
                "available_campaigns.0",
                "expires_in",
                "customer_id",
                "vendor_id",
            ],
        ),
    ];
    for (body, expected) in cases {
        invalid(app.post("/sessions", &body).await, &expected).await;
    }
    assert_eq!(sessions_stored(&app).await, 0);
}

#[actix_web::test]
async fn create_needs_a_key_and_a_json_object() {
    let app = spawn_app().await;
    let body = json!({"type": "add_on", "amount": 100, "available_campaigns": [TREES]});
    let anonymous = app.client.post(app.url("/sessions")).json(&body);
    refused(send(anonymous).await, "auth.unauthorized").await;
    let bad_key = app.client.post(app.url("/sessions")).bearer_auth("ia_sk_x");
    refused(send(bad_key.json(&body)).await, "auth.unauthorized").await;
    let garbage = app.req(Method::POST, "/sessions").body("{not json");
    refused(send(garbage).await, "request.invalid-json").await;
    refused(
        app.post("/sessions", &json!([body])).await,
        "request.invalid-json",
    )
    .await;
    // No Content-Type header: still JSON.
    let plain = app.req(Method::POST, "/sessions").body(body.to_string());
    assert_eq!(data(send(plain).await, 201).await["amount"], 100);
    let customer = new_party(&app, "customers").await;
    let extra = json!({"customer_id": customer, "metadata": {"a": 1, "gone": null}});
    let s = add_on(&app, extra).await;
    expect(&s, json!({"customer_id": customer, "metadata": {"a": 1}}));
}

#[actix_web::test]
async fn status_reads_expired_before_the_sweeper_stores_it() {
    let app = spawn_app().await;
    let short = json!({"expires_in": 15});
    let id = id_of(&add_on(&app, short.clone()).await);
    let kept = id_of(&add_on(&app, short.clone()).await);
    json_ok(choose(&app, &kept, json!(TREES)).await, 200).await;
    json_ok(call(&app, &kept, "confirm").await, 200).await;
    let extended = id_of(&add_on(&app, short).await);
    json_ok(call(&app, &extended, "process").await, 200).await;
    app.clock.advance(14 * 60);
    assert_eq!(read(&app, &id).await["status"], "active");
    assert_eq!(app.sweep().await, 0);
    app.clock.advance(60);
    assert_eq!(read(&app, &id).await["status"], "expired");
    assert_eq!(
        stored_status(&app, &id).await,
        "active",
        "nothing stored yet"
    );
    assert_eq!(app.sweep().await, 1);
    assert_eq!(stored_status(&app, &id).await, "expired");
    assert_eq!(stored_status(&app, &kept).await, "confirmed");
    assert_eq!(stored_status(&app, &extended).await, "processing");
    assert_eq!(read(&app, &id).await["status"], "expired");
    assert_eq!(app.sweep().await, 0);

    app.clock.advance(10_080 * 60);
    assert_eq!(
        read(&app, &extended).await["status"],
        "expired",
        "processing expires too"
    );
    assert_eq!(app.sweep().await, 1);
    assert_eq!(stored_status(&app, &extended).await, "expired");
    assert_eq!(read(&app, &kept).await["status"], "confirmed");
}

#[actix_web::test]
async fn sweep_once_expires_exactly_at_expires_at() {
    let app = spawn_app().await;
    let s = pos(&app, json!({"expires_in": 15})).await;
    let expires_at = micros(&s["expires_at"]);
    let swept = app.state.db.write(move |conn| {
        let before = impactapi::sweeper::sweep_once(conn, expires_at - 1)?;
        let at = impactapi::sweeper::sweep_once(conn, expires_at)?;
        Ok((before, at))
    });
    assert_eq!(swept.await.expect("sweep"), (0, 1));
    assert_eq!(stored_status(&app, &id_of(&s)).await, "expired");
    let code = "session.cannot-confirm-expired";
    refused(call(&app, &id_of(&s), "confirm").await, code).await;
}

#[actix_web::test]
async fn the_admin_sweep_endpoint_answers_the_count() {
    let app = spawn_app_with(|c| c.serve.time_travel = false).await;
    let a = add_on(&app, json!({"expires_in": 15})).await;
    pos(&app, json!({"expires_in": 15})).await;
    add_on(&app, json!({"expires_in": 60})).await;
    assert_eq!(sweep_endpoint(&app).await, json!({"data": {"expired": 0}}));
    app.clock.advance(15 * 60);
    assert_eq!(sweep_endpoint(&app).await, json!({"data": {"expired": 2}}));
    assert_eq!(stored_status(&app, &id_of(&a)).await, "expired");
    assert_eq!(sweep_endpoint(&app).await, json!({"data": {"expired": 0}}));
    let with_key = app.req(Method::POST, "/admin/api/sweep");
    refused(send(with_key).await, "auth.unauthorized").await;
}

#[actix_web::test]
async fn the_sandbox_clock_moves_the_server_time() {
    let app = spawn_app().await;
    let clock = || send(app.admin(Method::GET, "/admin/api/clock"));
    let before = json_ok(clock().await, 200).await;
    let s = add_on(&app, json!({"expires_in": 15})).await;
    let moved = json_ok(advance(&app, json!({"seconds": 900})).await, 200).await;
    let delta = now_of(&moved) - now_of(&before);
    assert!((900..910).contains(&delta), "moved by {delta}");
    let again = json_ok(clock().await, 200).await;
    assert!((0..10).contains(&(now_of(&again) - now_of(&moved))));
    assert_eq!(read(&app, &id_of(&s)).await["status"], "expired");
    assert_eq!(sweep_endpoint(&app).await["data"]["expired"], 1);

    let too_far = json!({"seconds": 315_360_001});
    for bad in [
        json!({"seconds": 0}),
        json!({"seconds": -5}),
        too_far,
        json!({}),
    ] {
        invalid(advance(&app, bad).await, &["seconds"]).await;
    }
    for bad in [json!({"seconds": "60"}), json!({"seconds": 1.5})] {
        invalid(advance(&app, bad).await, &["seconds"]).await;
    }
    let far = json_ok(advance(&app, json!({"seconds": 315_360_000})).await, 200).await;
    assert!(now_of(&far) - now_of(&again) >= 315_360_000);
    refused(
        send(app.req(Method::GET, "/admin/api/clock")).await,
        "auth.unauthorized",
    )
    .await;
    let with_key = app.req(Method::POST, "/admin/api/clock/advance");
    refused(
        send(with_key.json(&json!({"seconds": 1}))).await,
        "auth.unauthorized",
    )
    .await;
}

#[actix_web::test]
async fn without_time_travel_the_clock_endpoints_are_not_found() {
    let app = spawn_app_with(|c| c.serve.time_travel = false).await;
    let s = add_on(&app, json!({"expires_in": 15})).await;
    refused(
        send(app.admin(Method::GET, "/admin/api/clock")).await,
        "route.not-found",
    )
    .await;
    refused(
        advance(&app, json!({"seconds": 900})).await,
        "route.not-found",
    )
    .await;
    assert_eq!(
        read(&app, &id_of(&s)).await["status"],
        "active",
        "the clock did not move"
    );
}

#[actix_web::test]
async fn the_secret_endpoints_answer_cors_from_any_origin() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    let path = format!("/sessions/{id}");
    let choose_path = format!("/sessions/{id}/choose_campaign");
    let preflight = |path: &str, method: &str| {
        app.client
            .request(Method::OPTIONS, app.url(path))
            .header("Origin", ORIGIN)
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "x-session-secret, content-type",
            )
    };
    for (path, method) in [(&path, "GET"), (&choose_path, "POST")] {
        let resp = send(preflight(path, method)).await;
        assert_eq!(resp.status().as_u16(), 204, "{path}");
        assert_eq!(allow_origin(&resp), Some(ORIGIN), "{path}");
        let header = |name: &str| {
            let value = resp.headers().get(name).and_then(|v| v.to_str().ok());
            value.unwrap_or_default().to_lowercase()
        };
        let allowed = header("access-control-allow-headers");
        assert!(allowed.contains("x-session-secret"), "{allowed}");
        assert!(allowed.contains("content-type"), "{allowed}");
        assert!(header("access-control-allow-methods").contains(&method.to_lowercase()));
    }
    // An API-key endpoint allows no origin by default.
    let resp = send(preflight("/sessions", "POST")).await;
    assert_eq!(allow_origin(&resp), None);

    let resp = send(by_secret(&app, Method::GET, &path, &s).header("Origin", ORIGIN)).await;
    assert_eq!(allow_origin(&resp), Some(ORIGIN));
    assert_eq!(data(resp, 200).await["status"], "active");
    let body = json!({ "campaign_identifier": TREES });
    let choice = by_secret(&app, Method::POST, &choose_path, &s).json(&body);
    let resp = send(choice.header("Origin", ORIGIN)).await;
    assert_eq!(allow_origin(&resp), Some(ORIGIN));
    assert_eq!(data(resp, 200).await["selected_campaign"], TREES);
    let wrong = json!({"session_secret": "y".repeat(64)});
    let resp = send(by_secret(&app, Method::GET, &path, &wrong).header("Origin", ORIGIN)).await;
    assert_eq!(allow_origin(&resp), Some(ORIGIN), "errors carry CORS too");
    refused(resp, "auth.unauthorized").await;
}

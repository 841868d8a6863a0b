//! Idempotency keys, hostile input, and slow clients.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

async fn intents_total(app: &TestApp) -> i64 {
    json_ok(app.get("/donation_intents").await, 200).await["total"]
        .as_i64()
        .expect("total")
}

fn with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::RequestBuilder {
    app.req(Method::POST, "/donation_intents")
        .header("Idempotency-Key", key)
        .json(body)
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_first_response_without_doing_the_work_again() {
    let app = spawn_app().await;
    let body = json!([{"amount": 700, "campaign_identifier": "cleanhub"}]);
    let first = with_key(&app, "order-1", &body)
        .send()
        .await
        .expect("request");
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    let again = with_key(&app, "order-1", &body)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    assert_eq!(intents_total(&app).await, 1);

    let other = json!([{"amount": 701, "campaign_identifier": "cleanhub"}]);
    let reused = with_key(&app, "order-1", &other)
        .send()
        .await
        .expect("request");
    assert_error(reused, 422, "idempotency.key-reused").await;
    assert_eq!(intents_total(&app).await, 1);

    // Without the header nothing is deduplicated.
    app.create_intents(body.clone()).await;
    assert_eq!(intents_total(&app).await, 2);
}

#[actix_web::test]
async fn idempotency_keys_belong_to_one_organization_and_last_24_hours() {
    let app = spawn_app().await;
    let (_, other_key) = app.new_org("Other").await;
    let body = json!([{"amount": 100, "campaign_identifier": "cleanhub"}]);
    json_ok(
        with_key(&app, "k", &body).send().await.expect("request"),
        201,
    )
    .await;
    let theirs = app
        .client
        .post(app.url("/donation_intents"))
        .bearer_auth(&other_key)
        .header("Idempotency-Key", "k")
        .json(&json!([{"amount": 999, "campaign_identifier": "cleanhub"}]))
        .send()
        .await
        .expect("request");
    assert_eq!(
        theirs.status(),
        201,
        "another organization's key of the same name is its own"
    );
    assert!(theirs.headers().get("idempotent-replayed").is_none());

    app.clock.advance(24 * 3600 + 1);
    let later = with_key(&app, "k", &body).send().await.expect("request");
    assert_eq!(later.status(), 201);
    assert!(
        later.headers().get("idempotent-replayed").is_none(),
        "a key older than 24 hours is forgotten"
    );
    assert_eq!(intents_total(&app).await, 2);
}

#[actix_web::test]
async fn concurrent_requests_with_one_key_do_the_work_once() {
    let app = spawn_app().await;
    let body = json!({"type": "add_on", "amount": 500, "available_campaigns": ["cleanhub"]});
    let sends = (0..12).map(|_| {
        app.req(Method::POST, "/sessions")
            .header("Idempotency-Key", "checkout-42")
            .json(&body)
            .send()
    });
    let responses = futures_util::future::join_all(sends).await;
    let mut ids = std::collections::BTreeSet::new();
    for r in responses {
        let r = r.expect("request");
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.expect("json");
        ids.insert(v["data"]["id"].as_str().expect("id").to_string());
    }
    assert_eq!(ids.len(), 1, "one session for one key: {ids:?}");
    let sessions = json_ok(
        app.admin(Method::GET, "/admin/api/sessions")
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(sessions["total"], 1);
}

#[actix_web::test]
async fn a_failed_request_does_not_burn_its_key() {
    let app = spawn_app().await;
    let bad = json!([{"amount": 0, "campaign_identifier": "cleanhub"}]);
    assert_error(
        with_key(&app, "retry-me", &bad)
            .send()
            .await
            .expect("request"),
        422,
        "validation.failed",
    )
    .await;
    let good = json!([{"amount": 100, "campaign_identifier": "cleanhub"}]);
    json_ok(
        with_key(&app, "retry-me", &good)
            .send()
            .await
            .expect("request"),
        201,
    )
    .await;
    let long = "k".repeat(256);
    assert_error(
        with_key(&app, &long, &good).send().await.expect("request"),
        422,
        "validation.failed",
    )
    .await;
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[actix_web::test]
async fn hostile_input_gets_a_4xx_envelope_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let s = app
        .create_session(
            json!({"type": "add_on", "amount": 100, "available_campaigns": ["cleanhub"]}),
        )
        .await;
    let sid = s["id"].as_str().expect("id").to_string();
    let long = "x".repeat(10_000);
    let cases: Vec<(Method, String, Vec<u8>, u16)> = vec![
        (Method::POST, "/customers".into(), br#"{"name": ["a"]}"#.to_vec(), 422),
        (Method::POST, "/customers".into(), br#"{"name": true, "external_id": {}}"#.to_vec(), 422),
        (Method::POST, "/customers".into(), format!(r#"{{"name": "{long}"}}"#).into_bytes(), 422),
        (Method::POST, "/customers".into(), format!(r#"{{"metadata": {{"k": "{long}"}}}}"#).into_bytes(), 422),
        (Method::POST, "/customers".into(), format!(r#"{{"metadata": {}}}"#, nested(1000)).into_bytes(), 400),
        (Method::POST, "/customers".into(), format!(r#"{{"metadata": {}}}"#, nested(40)).into_bytes(), 422),
        (Method::POST, "/customers".into(), br#"{"name": "a\u0000b", "name": 5}"#.to_vec(), 422),
        (Method::POST, "/customers".into(), b"{\"name\": \"\xff\xfe\"}".to_vec(), 400),
        (Method::POST, "/customers".into(), b"\0\0\0".to_vec(), 400),
        (Method::POST, "/donation_intents".into(), br#"[{"amount": 1e300, "campaign_identifier": "cleanhub"}]"#.to_vec(), 422),
        (Method::POST, "/donation_intents".into(), br#"[{"amount": -5, "campaign_identifier": "cleanhub"}]"#.to_vec(), 422),
        (Method::POST, "/donation_intents".into(), br#"[{"amount": 99999999999999999999999, "campaign_identifier": "cleanhub"}]"#.to_vec(), 422),
        (Method::POST, "/donation_intents".into(), br#"[{"amount": 10.25, "campaign_identifier": "cleanhub"}]"#.to_vec(), 422),
        (Method::POST, "/donation_intents".into(), br#"[{"amount": 100, "campaign_identifier": 7}]"#.to_vec(), 422),
        (Method::POST, "/donation_intents".into(), br#""just a string""#.to_vec(), 400),
        (Method::POST, "/donation_intents".into(), br#"{"intents": {"amount": 1}}"#.to_vec(), 422),
        (Method::POST, "/sessions".into(), br#"{"type": 5}"#.to_vec(), 422),
        (Method::POST, "/sessions".into(), br#"{"type": "add_on", "amount": 100, "available_campaigns": "cleanhub"}"#.to_vec(), 422),
        (Method::POST, "/sessions".into(), br#"{"type": "add_on", "amount": 100, "available_campaigns": ["cleanhub"], "customer_id": "nope"}"#.to_vec(), 422),
        (Method::POST, "/sessions".into(), br#"{"type": "add_on", "amount": 100, "available_campaigns": ["cleanhub"], "expires_in": 1e9}"#.to_vec(), 422),
        (Method::POST, format!("/sessions/{sid}/choose_campaign"), br#"{"campaign_identifier": ["cleanhub"]}"#.to_vec(), 422),
        (Method::POST, format!("/sessions/{sid}/process"), br#"{"extends_by": "60"}"#.to_vec(), 422),
        (Method::GET, "/customers/01ARZ3NDEKTSV4RRFFQ69G5FAVXX".into(), Vec::new(), 404),
        (Method::GET, "/customers/%00".into(), Vec::new(), 404),
        (Method::GET, "/donation_intents?per_page=99999999999999999999".into(), Vec::new(), 422),
        (Method::GET, "/customers?page=-1".into(), Vec::new(), 422),
        (Method::GET, "/customers/x/impact_metrics?date_from=2024-02-30".into(), Vec::new(), 404),
        (Method::POST, "/customers".into(), vec![b' '; 300 * 1024], 413),
    ];
    for (method, path, body, expected) in cases {
        let label = format!(
            "{method} {path} {}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        let r = app
            .req(method, &path)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let envelope: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, expected, "{label}: {envelope}");
        assert!(
            envelope["error"]["code"].is_string(),
            "{label}: not an envelope: {envelope}"
        );
    }
    json_ok(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    json_ok(app.get("/campaigns").await, 200).await;
}

/// Sends `bytes` and reads until the server closes; returns what came back and how long it took.
/// Runs off the test's runtime, since the socket calls block.
async fn exchange(addr: String, bytes: Vec<u8>) -> (String, Duration) {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(&bytes).expect("write");
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        (String::from_utf8_lossy(&buf).to_string(), started.elapsed())
    })
    .await
    .expect("socket task")
}

#[actix_web::test]
async fn a_slow_client_is_cut_off_after_the_request_timeout() {
    let app = spawn_app_with(|c| c.serve.request_timeout = 1).await;
    let addr = app.address.trim_start_matches("http://").to_string();
    // A head that never ends.
    let (text, took) = exchange(
        addr.clone(),
        b"POST /customers HTTP/1.1\r\nHost: x\r\n".to_vec(),
    )
    .await;
    assert!(
        took < Duration::from_secs(5),
        "the connection was held {took:?}"
    );
    assert!(text.starts_with("HTTP/1.1 408"), "answered: {text}");
    // A body that never arrives.
    let head = format!(
        "POST /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {API_KEY}\r\nContent-Length: 100\r\n\r\n{{\"na"
    );
    let (text, took) = exchange(addr, head.into_bytes()).await;
    assert!(
        took < Duration::from_secs(5),
        "the body wait lasted {took:?}"
    );
    assert!(text.starts_with("HTTP/1.1 408"), "answered: {text}");
    assert!(text.contains("request.timeout"), "answered: {text}");
    json_ok(app.get("/campaigns").await, 200).await;
}

#[actix_web::test]
async fn cors_lets_any_origin_use_the_secret_calls_and_only_listed_origins_the_key() {
    let app = spawn_app_with(|c| c.serve.cors_origins = "https://shop.example".into()).await;
    let s = app
        .create_session(
            json!({"type": "add_on", "amount": 100, "available_campaigns": ["cleanhub"]}),
        )
        .await;
    let id = s["id"].as_str().expect("id");
    let secret = s["session_secret"].as_str().expect("secret");
    let preflight = |origin: &str, method: &str, path: String, headers: &str| {
        app.client
            .request(Method::OPTIONS, app.url(&path))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header("Access-Control-Request-Headers", headers)
            .send()
    };
    let allow_origin = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or_default().to_string())
    };

    // Any origin: reading with the secret and choosing, with X-Session-Secret only.
    let r = preflight(
        "https://anywhere.example",
        "GET",
        format!("/sessions/{id}"),
        "x-session-secret",
    )
    .await
    .expect("request");
    assert_eq!(r.status(), 204);
    assert_eq!(
        allow_origin(&r).as_deref(),
        Some("https://anywhere.example")
    );
    let allowed = r.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_lowercase();
    assert!(
        allowed.contains("x-session-secret") && !allowed.contains("authorization"),
        "{allowed}"
    );
    let r = app
        .client
        .get(app.url(&format!("/sessions/{id}")))
        .header("Origin", "https://anywhere.example")
        .header("X-Session-Secret", secret)
        .send()
        .await
        .expect("request");
    assert_eq!(
        allow_origin(&r).as_deref(),
        Some("https://anywhere.example")
    );

    // ...but not the key, nor other calls on the same path.
    let r = preflight(
        "https://anywhere.example",
        "GET",
        format!("/sessions/{id}"),
        "authorization",
    )
    .await
    .expect("request");
    assert_eq!(allow_origin(&r), None);
    let r = preflight(
        "https://anywhere.example",
        "PATCH",
        format!("/sessions/{id}"),
        "content-type",
    )
    .await
    .expect("request");
    assert_eq!(allow_origin(&r), None);
    let r = app
        .req(Method::GET, "/campaigns")
        .header("Origin", "https://anywhere.example")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    assert_eq!(
        allow_origin(&r),
        None,
        "API-key endpoints are closed to unlisted origins"
    );

    // A listed origin gets the key endpoints.
    let r = preflight(
        "https://shop.example",
        "POST",
        "/donation_intents".into(),
        "authorization, content-type",
    )
    .await
    .expect("request");
    assert_eq!(allow_origin(&r).as_deref(), Some("https://shop.example"));
    let r = app
        .req(Method::GET, "/campaigns")
        .header("Origin", "https://shop.example")
        .send()
        .await
        .expect("request");
    assert_eq!(allow_origin(&r).as_deref(), Some("https://shop.example"));
}

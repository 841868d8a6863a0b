//! Webhooks (SPEC 11) against a real receiver on 127.0.0.1 that keeps every request; each delivery
//! is verified with the `standardwebhooks` crate, an implementation independent of ours.

use crate::helpers::*;
use crate::sessions::{add_on, by_secret, data, id_of, send, CLEANHUB, TREES};
use actix_web::{web, HttpRequest, HttpResponse, HttpServer};
use futures_util::future::join_all;
use impactapi::webhooks::RetrySchedule;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn id(&self) -> String {
        self.header("webhook-id")
    }

    pub fn kind(&self) -> String {
        self.json()["type"].as_str().expect("type").to_string()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }

    /// Verifies the signature with `secret`, as a receiver would.
    pub fn verify(&self, secret: &str) -> Result<(), String> {
        standardwebhooks::Webhook::new(secret)
            .map_err(|e| e.to_string())?
            .verify(&self.body, &self.headers)
            .map_err(|e| e.to_string())
    }
}

#[derive(Clone, Default)]
struct Shared {
    log: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer per path, in order; 204 once spent.
    script: Arc<Mutex<HashMap<String, VecDeque<u16>>>>,
    /// While set, requests to `/hang...` wait.
    hang: Arc<AtomicBool>,
}

/// A webhook receiver on 127.0.0.1.
pub struct Receiver {
    pub base: String,
    shared: Shared,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    let path = req.path().to_string();
    if let Ok(mut log) = shared.log.lock() {
        log.push(Received {
            path: path.clone(),
            headers,
            body: body.to_vec(),
        });
    }
    if path.starts_with("/hang") {
        while shared.hang.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let status = shared
        .script
        .lock()
        .ok()
        .and_then(|mut s| s.get_mut(&path).and_then(VecDeque::pop_front))
        .unwrap_or(204);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
        .body(format!("answered {status}"))
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        let data = web::Data::new(shared.clone());
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(2)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind receiver");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            base: format!("http://127.0.0.1:{port}"),
            shared,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers the next requests to `path` with `statuses`, in order.
    pub fn script(&self, path: &str, statuses: &[u16]) {
        if let Ok(mut s) = self.shared.script.lock() {
            s.insert(path.into(), statuses.iter().copied().collect());
        }
    }

    pub fn hang(&self, on: bool) {
        self.shared.hang.store(on, Ordering::SeqCst);
    }

    pub fn all(&self) -> Vec<Received> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    pub fn on(&self, path: &str) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.path == path).collect()
    }

    /// Waits (at most 20 s) until the requests to `path` satisfy `done`; returns them.
    pub async fn wait(&self, path: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.on(path);
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "receiver: gave up waiting on {path}; got {:?}",
                got.iter().map(Received::kind).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `path` got at least `n` requests.
    pub async fn wait_count(&self, path: &str, n: usize) -> Vec<Received> {
        self.wait(path, |r| r.len() >= n).await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shared.hang.store(false, Ordering::SeqCst);
        drop(self.handle.stop(false));
    }
}

/// Creates an endpoint; returns (id, secret).
pub async fn endpoint(app: &TestApp, body: Value) -> (String, String) {
    let created = data(app.post("/webhook_endpoints", &body).await, 201).await;
    (
        created["id"].as_str().expect("id").to_string(),
        created["secret"].as_str().expect("secret").to_string(),
    )
}

/// Asserts every request verifies with `secret` and returns the set of their event ids.
#[track_caller]
fn verified(got: &[Received], secret: &str) -> BTreeSet<String> {
    for r in got {
        if let Err(e) = r.verify(secret) {
            panic!("{} ({}) does not verify: {e}", r.id(), r.kind());
        }
        assert_eq!(
            r.json()["id"].as_str(),
            Some(r.id().as_str()),
            "webhook-id is the event id"
        );
    }
    got.iter().map(Received::id).collect()
}

fn schedule(delays: &[u64]) -> impl FnOnce(&mut impactapi::config::Config) {
    let delays = delays.to_vec();
    move |c| c.serve.webhook_retry_schedule = Some(RetrySchedule(delays))
}

async fn deliveries(app: &TestApp, endpoint: &str, query: &str) -> Value {
    json_ok(
        app.get(&format!("/webhook_endpoints/{endpoint}/deliveries{query}"))
            .await,
        200,
    )
    .await
}

async fn events_total(app: &TestApp) -> i64 {
    json_ok(app.get("/events").await, 200).await["total"]
        .as_i64()
        .expect("total")
}

#[actix_web::test]
async fn the_checkout_flow_emits_every_event_signed_with_the_object_as_get_shows_it() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, json!({"url": receiver.url("/all")})).await;

    let customer = data(app.post("/customers", &json!({"name": "Ada"})).await, 201).await;
    let cid = id_of(&customer);
    let s = add_on(&app, json!({"customer_id": cid})).await;
    let sid = id_of(&s);
    let choose = by_secret(
        &app,
        Method::POST,
        &format!("/sessions/{sid}/choose_campaign"),
        &s,
    )
    .json(&json!({"campaign_identifier": TREES}));
    data(send(choose).await, 200).await;
    data(
        app.patch(
            &format!("/sessions/{sid}"),
            &json!({"metadata": {"order": "A-1"}}),
        )
        .await,
        200,
    )
    .await;
    data(
        app.post(&format!("/sessions/{sid}/process"), &json!({}))
            .await,
        200,
    )
    .await;
    let confirmed = data(
        app.post(&format!("/sessions/{sid}/confirm"), &json!({}))
            .await,
        200,
    )
    .await;
    // A repeated confirm changes nothing and emits nothing.
    data(
        app.post(&format!("/sessions/{sid}/confirm"), &json!({}))
            .await,
        200,
    )
    .await;
    let intent_id = id_of(&confirmed["donation_intents"][0]);
    let intent = data(
        app.get(&format!("/donation_intents/{intent_id}")).await,
        200,
    )
    .await;
    data(
        app.put(&format!("/donation_intents/{intent_id}/cancel"), &json!({}))
            .await,
        200,
    )
    .await;
    let updated = data(
        app.patch(&format!("/customers/{cid}"), &json!({"name": "Ada L."}))
            .await,
        200,
    )
    .await;
    data(app.delete(&format!("/customers/{cid}")).await, 200).await;
    let vendor = data(app.post("/vendors", &json!({"name": "Shop"})).await, 201).await;

    let got = receiver.wait_count("/all", 11).await;
    let ids = verified(&got, &secret);
    assert_eq!(
        ids.len(),
        11,
        "one event each, no duplicates on a healthy receiver"
    );
    let mut kinds: Vec<String> = got.iter().map(Received::kind).collect();
    kinds.sort();
    let mut expected = vec![
        "customer.created",
        "donation_session.created",
        "donation_session.updated",
        "donation_session.updated",
        "donation_session.processing",
        "donation_intent.created",
        "donation_session.confirmed",
        "donation_intent.cancelled",
        "customer.updated",
        "customer.deleted",
        "vendor.created",
    ];
    expected.sort();
    assert_eq!(kinds, expected);

    let by_kind = |k: &str| -> Vec<Value> {
        got.iter()
            .filter(|r| r.kind() == k)
            .map(|r| r.json())
            .collect()
    };
    assert_eq!(by_kind("customer.created")[0]["data"], customer);
    assert_eq!(by_kind("customer.updated")[0]["data"], updated);
    assert_eq!(
        by_kind("customer.deleted")[0]["data"],
        updated,
        "a deletion carries the last state"
    );
    assert_eq!(by_kind("vendor.created")[0]["data"], vendor);
    assert_eq!(by_kind("donation_session.confirmed")[0]["data"], confirmed);
    assert_eq!(
        by_kind("donation_session.created")[0]["data"]["status"],
        "active"
    );
    assert_eq!(
        by_kind("donation_session.processing")[0]["data"]["status"],
        "processing"
    );
    assert_eq!(by_kind("donation_session.updated").len(), 2);
    assert_eq!(by_kind("donation_intent.created")[0]["data"], intent);
    assert_eq!(by_kind("donation_intent.cancelled")[0]["data"], intent);
    for r in &got {
        let body = r.json();
        assert!(body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("evt_") && id.len() == 30));
        assert!(body["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 27));
        assert_eq!(r.header("content-type"), "application/json");
        assert!(r.header("user-agent").starts_with("impactapi/"));
        // Compact JSON, exactly as signed.
        assert_eq!(String::from_utf8_lossy(&r.body), body.to_string());
    }

    // GET /events lists the same events; GET /events/{id} is the body delivered.
    let listed = json_ok(app.get("/events?per_page=100").await, 200).await;
    assert_eq!(listed["total"], 11);
    let listed_ids: BTreeSet<String> = listed["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(listed_ids, ids);
    let one = &got[0];
    assert_eq!(
        data(app.get(&format!("/events/{}", one.id())).await, 200).await,
        one.json()
    );
    let filtered = json_ok(app.get("/events?type=customer.updated").await, 200).await;
    assert_eq!(filtered["total"], 1);
}

#[actix_web::test]
async fn event_types_filter_what_each_endpoint_receives() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, intents_secret) = endpoint(
        &app,
        json!({"url": receiver.url("/intents"), "event_types": ["donation_intent.created"]}),
    )
    .await;
    let (_, customers_secret) = endpoint(
        &app,
        json!({"url": receiver.url("/customers"), "event_types": ["customer.created", "customer.deleted"]}),
    )
    .await;
    let (_, all_secret) = endpoint(
        &app,
        json!({"url": receiver.url("/all"), "event_types": []}),
    )
    .await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let c = data(app.post("/customers", &json!({})).await, 201).await;
    data(
        app.patch(&format!("/customers/{}", id_of(&c)), &json!({"name": "x"}))
            .await,
        200,
    )
    .await;
    app.create_session(json!({"type": "add_on", "amount": 100, "available_campaigns": [CLEANHUB]}))
        .await;

    let all = receiver.wait_count("/all", 4).await;
    verified(&all, &all_secret);
    let intents = receiver.wait_count("/intents", 1).await;
    let customers = receiver.wait_count("/customers", 1).await;
    // Everything the catch-all got has been delivered by now to the others too.
    verified(&intents, &intents_secret);
    verified(&customers, &customers_secret);
    let kinds = |got: &[Received]| got.iter().map(Received::kind).collect::<Vec<_>>();
    assert_eq!(kinds(&intents), ["donation_intent.created"]);
    assert_eq!(kinds(&customers), ["customer.created"]);
    assert_eq!(receiver.on("/all").len(), 4);

    // Changing the filter applies to the next events.
    let (id, _) = endpoint(
        &app,
        json!({"url": receiver.url("/later"), "event_types": ["vendor.created"]}),
    )
    .await;
    data(
        app.patch(
            &format!("/webhook_endpoints/{id}"),
            &json!({"event_types": ["customer.updated"]}),
        )
        .await,
        200,
    )
    .await;
    data(app.post("/vendors", &json!({})).await, 201).await;
    data(
        app.patch(&format!("/customers/{}", id_of(&c)), &json!({"name": "y"}))
            .await,
        200,
    )
    .await;
    let later = receiver.wait_count("/later", 1).await;
    receiver.wait_count("/all", 6).await;
    assert_eq!(kinds(&later), ["customer.updated"]);
    assert_eq!(receiver.on("/later").len(), 1);
}

#[actix_web::test]
async fn a_failing_receiver_is_retried_on_the_schedule_with_one_webhook_id() {
    let app = spawn_app_with(schedule(&[1, 1, 1])).await;
    let receiver = Receiver::start().await;
    receiver.script("/flaky", &[500, 500, 204]);
    let (eid, secret) = endpoint(&app, json!({"url": receiver.url("/flaky")})).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/flaky", 1).await;
    wait_attempts(&app, &eid, 1).await;
    let pending = deliveries(&app, &eid, "?status=pending").await;
    assert_eq!(pending["total"], 1);
    let d = &pending["data"][0];
    assert_eq!(d["attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(d["attempts"][0]["status_code"], 500);
    assert_eq!(d["attempts"][0]["response_body"], "answered 500");
    assert!(d["next_attempt_at"].is_string());
    // Nothing more happens until the server clock reaches the next due time.
    app.clock.advance(2);
    receiver.wait_count("/flaky", 2).await;
    wait_attempts(&app, &eid, 2).await;
    app.clock.advance(2);
    let got = receiver.wait_count("/flaky", 3).await;
    let ids = verified(&got, &secret);
    assert_eq!(ids.len(), 1, "every attempt carries the same webhook-id");
    let done = wait_status(&app, &eid, "succeeded", 1).await;
    let d = &done["data"][0];
    let codes: Vec<i64> = d["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status_code"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, [500, 500, 204]);
    assert!(d["next_attempt_at"].is_null());
    app.clock.advance(60);
    tokio::time::sleep(Duration::from_millis(700)).await; // a worker tick: nothing more is sent
    assert_eq!(receiver.on("/flaky").len(), 3);
}

#[actix_web::test]
async fn a_spent_schedule_fails_the_delivery_then_retry_and_recover_send_it_again() {
    let app = spawn_app_with(schedule(&[1])).await;
    let receiver = Receiver::start().await;
    receiver.script("/down", &[503, 503]);
    let (eid, secret) = endpoint(&app, json!({"url": receiver.url("/down")})).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/down", 1).await;
    wait_attempts(&app, &eid, 1).await;
    app.clock.advance(2);
    receiver.wait_count("/down", 2).await;
    let failed = wait_status(&app, &eid, "failed", 1).await;
    let delivery_id = failed["data"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(
        failed["data"][0]["attempts"].as_array().map(Vec::len),
        Some(2)
    );

    // A manual retry: one attempt now (the receiver now answers 204), same webhook-id.
    let resp = app
        .req(
            Method::POST,
            &format!("/webhook_deliveries/{delivery_id}/retry"),
        )
        .send()
        .await
        .expect("retry");
    assert_eq!(resp.status(), 202);
    let got = receiver.wait_count("/down", 3).await;
    assert_eq!(verified(&got, &secret).len(), 1);
    wait_status(&app, &eid, "succeeded", 1).await;

    // Recover: failed deliveries created since a time are queued again.
    receiver.script("/down", &[500, 500]);
    app.create_intents(json!([{"amount": 200, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/down", 4).await;
    wait_attempts(&app, &eid, 1).await;
    app.clock.advance(2);
    receiver.wait_count("/down", 5).await;
    wait_status(&app, &eid, "failed", 1).await;
    let since = "2000-01-01T00:00:00Z";
    let queued = json_ok(
        app.post(
            &format!("/webhook_endpoints/{eid}/recover"),
            &json!({"since": since}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(queued["data"]["queued"], 1);
    let got = receiver.wait_count("/down", 6).await;
    assert_eq!(verified(&got, &secret).len(), 2);
    wait_status(&app, &eid, "succeeded", 2).await;
    let none = json_ok(
        app.post(
            &format!("/webhook_endpoints/{eid}/recover"),
            &json!({"since": since}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(none["data"]["queued"], 0);
}

/// Waits until the endpoint has `n` deliveries of `status`; returns that page.
async fn wait_status(app: &TestApp, endpoint: &str, status: &str, n: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = deliveries(app, endpoint, &format!("?status={status}")).await;
        if page["total"] == n {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "no {n} {status} deliveries: {page}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_410_disables_the_endpoint_and_stops_its_deliveries() {
    let app = spawn_app_with(schedule(&[1, 1])).await;
    let receiver = Receiver::start().await;
    receiver.script("/gone", &[410]);
    let (eid, _) = endpoint(&app, json!({"url": receiver.url("/gone")})).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/gone", 1).await;
    wait_status(&app, &eid, "failed", 1).await;
    let e = data(app.get(&format!("/webhook_endpoints/{eid}")).await, 200).await;
    assert_eq!(e["disabled"], true);
    assert_eq!(e["disabled_reason"], "gone");
    // No more deliveries for a disabled endpoint, and no retries of the failed one.
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    app.clock.advance(5);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.on("/gone").len(), 1);
    assert_eq!(deliveries(&app, &eid, "").await["total"], 1);
    // Enabling it again delivers the next events.
    let e = data(
        app.patch(
            &format!("/webhook_endpoints/{eid}"),
            &json!({"disabled": false}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(e["disabled_reason"], Value::Null);
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/gone", 2).await;
}

#[actix_web::test]
async fn five_days_of_failures_disable_the_endpoint() {
    let app = spawn_app_with(schedule(&[1, 1, 1, 1, 1])).await;
    let receiver = Receiver::start().await;
    receiver.script("/broken", &[500; 10]);
    let (eid, _) = endpoint(&app, json!({"url": receiver.url("/broken")})).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/broken", 1).await;
    wait_attempts(&app, &eid, 1).await;
    app.clock.advance(2);
    receiver.wait_count("/broken", 2).await;
    wait_attempts(&app, &eid, 2).await;
    let e = data(app.get(&format!("/webhook_endpoints/{eid}")).await, 200).await;
    assert_eq!(
        e["disabled"], false,
        "two failures a few seconds apart are not five days"
    );
    app.clock.advance(5 * 86_400);
    receiver.wait_count("/broken", 3).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let e = data(app.get(&format!("/webhook_endpoints/{eid}")).await, 200).await;
        if e["disabled"] == true {
            assert_eq!(e["disabled_reason"], "failing");
            break;
        }
        assert!(Instant::now() < deadline, "not disabled: {e}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn during_a_rotation_both_secrets_verify_and_afterwards_only_the_new_one() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (eid, old) = endpoint(&app, json!({"url": receiver.url("/rot")})).await;
    let shown = data(
        app.get(&format!("/webhook_endpoints/{eid}/secret")).await,
        200,
    )
    .await;
    assert_eq!(shown["secret"], old.as_str());
    let rotated = data(
        app.post(
            &format!("/webhook_endpoints/{eid}/rotate_secret"),
            &json!({"expire_previous_in": 3600}),
        )
        .await,
        200,
    )
    .await;
    let new = rotated["secret"].as_str().expect("secret").to_string();
    assert!(new.starts_with("whsec_") && new != old);
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let got = receiver.wait_count("/rot", 1).await;
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    verified(&got, &old);
    verified(&got, &new);
    // Past the overlap (server clock), only the new secret signs.
    app.clock.advance(3601);
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let got = receiver.wait_count("/rot", 2).await;
    let last = &got[1];
    assert_eq!(last.header("webhook-signature").split(' ').count(), 1);
    last.verify(&new).expect("new secret verifies");
    assert!(
        last.verify(&old).is_err(),
        "the expired secret no longer verifies"
    );
    // expire_previous_in 0 drops the previous secret at once.
    let again = data(
        app.post(
            &format!("/webhook_endpoints/{eid}/rotate_secret"),
            &json!({"expire_previous_in": 0}),
        )
        .await,
        200,
    )
    .await;
    let newest = again["secret"].as_str().expect("secret").to_string();
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let got = receiver.wait_count("/rot", 3).await;
    got[2].verify(&newest).expect("newest verifies");
    assert!(got[2].verify(&new).is_err());
}

#[actix_web::test]
async fn the_secret_is_shown_only_on_create_and_by_its_own_route() {
    let app = spawn_app().await;
    let (eid, secret) = endpoint(
        &app,
        json!({"url": "https://example.com/hook", "description": "d", "metadata": {"a": 1}}),
    )
    .await;
    for body in [
        json_ok(app.get(&format!("/webhook_endpoints/{eid}")).await, 200).await,
        json_ok(app.get("/webhook_endpoints").await, 200).await,
        json_ok(
            app.patch(
                &format!("/webhook_endpoints/{eid}"),
                &json!({"description": "e"}),
            )
            .await,
            200,
        )
        .await,
        json_ok(
            app.post(&format!("/webhook_endpoints/{eid}/test"), &json!({}))
                .await,
            201,
        )
        .await,
        json_ok(app.get("/events").await, 200).await,
    ] {
        assert!(
            !body.to_string().contains(&secret),
            "secret leaked in {body}"
        );
        assert!(!body.to_string().contains("whsec_"), "a secret in {body}");
    }
    let e = data(app.get(&format!("/webhook_endpoints/{eid}")).await, 200).await;
    let keys: BTreeSet<&str> = e
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "id",
            "url",
            "description",
            "event_types",
            "metadata",
            "disabled",
            "disabled_reason",
            "created_at",
            "updated_at"
        ])
    );
    assert_eq!(e["description"], "e");
    assert_eq!(e["metadata"], json!({"a": 1}));
}

#[actix_web::test]
async fn a_test_event_goes_to_its_endpoint_alone() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (eid, secret) = endpoint(
        &app,
        json!({"url": receiver.url("/one"), "event_types": ["customer.created"]}),
    )
    .await;
    endpoint(&app, json!({"url": receiver.url("/other")})).await;
    let event = data(
        app.post(&format!("/webhook_endpoints/{eid}/test"), &json!({}))
            .await,
        201,
    )
    .await;
    assert_eq!(event["type"], "webhook_endpoint.test");
    assert_eq!(event["data"]["id"], eid.as_str());
    let got = receiver.wait_count("/one", 1).await;
    verified(&got, &secret);
    assert_eq!(got[0].json(), event);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(receiver.on("/other").is_empty());
}

#[actix_web::test]
async fn deleting_an_endpoint_answers_it_and_drops_its_pending_deliveries() {
    let app = spawn_app_with(schedule(&[3600])).await;
    let receiver = Receiver::start().await;
    receiver.script("/del", &[500]);
    let (eid, _) = endpoint(&app, json!({"url": receiver.url("/del")})).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/del", 1).await;
    wait_attempts(&app, &eid, 1).await;
    wait_status(&app, &eid, "pending", 1).await;
    let deleted = data(app.delete(&format!("/webhook_endpoints/{eid}")).await, 200).await;
    assert_eq!(deleted["id"], eid.as_str());
    assert_eq!(deleted["url"], receiver.url("/del"));
    assert_error(
        app.get(&format!("/webhook_endpoints/{eid}")).await,
        404,
        "webhook-endpoint.not-found",
    )
    .await;
    app.clock.advance(7200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        receiver.on("/del").len(),
        1,
        "the pending retry was dropped"
    );
    let n: i64 = rusqlite::Connection::open(&app.db_path)
        .and_then(|c| c.query_row("SELECT COUNT(*) FROM webhook_deliveries", [], |r| r.get(0)))
        .expect("count");
    assert_eq!(n, 0);
}

#[actix_web::test]
async fn two_hundred_concurrent_intent_creations_deliver_two_hundred_distinct_events() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, json!({"url": receiver.url("/many")})).await;
    let bodies: Vec<Value> = (0..200)
        .map(|i| json!([{"amount": 100 + i, "campaign_identifier": TREES}]))
        .collect();
    let created = join_all(bodies.iter().map(|b| app.post("/donation_intents", b))).await;
    for r in &created {
        assert_eq!(r.status(), 201);
    }
    assert_eq!(created.len(), 200);
    let got = receiver
        .wait("/many", |r| {
            r.iter().map(Received::id).collect::<BTreeSet<_>>().len() >= 200
        })
        .await;
    let ids = verified(&got, &secret);
    assert_eq!(ids.len(), 200);
    let intents: BTreeSet<String> = got
        .iter()
        .map(|r| r.json()["data"]["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(intents.len(), 200, "one event per intent");
    let listed = json_ok(app.get("/donation_intents?per_page=1").await, 200).await;
    assert_eq!(listed["total"], 200);
}

#[actix_web::test]
async fn signatures_verify_after_time_travel() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, json!({"url": receiver.url("/tt")})).await;
    let moved = app
        .admin(Method::POST, "/admin/api/clock/advance")
        .json(&json!({"seconds": 40 * 86_400}))
        .send()
        .await
        .expect("advance");
    let moved = json_ok(moved, 200).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let got = receiver.wait_count("/tt", 1).await;
    verified(&got, &secret);
    // The payload's timestamp follows the server clock; webhook-timestamp is real time.
    let stamp = got[0].json()["timestamp"]
        .as_str()
        .expect("timestamp")
        .to_string();
    assert!(stamp[..10] >= moved["data"]["now"].as_str().expect("now")[..10]);
    let real: i64 = got[0]
        .header("webhook-timestamp")
        .parse()
        .expect("unix seconds");
    assert!((real - chrono::Utc::now().timestamp()).abs() < 60);
}

/// Runs `fixtures demo` from the CLI into `org`; returns the events there now (more than 10).
async fn demo_from_the_cli(app: &TestApp, org: &str, seed: &str) -> i64 {
    let args = [
        "fixtures",
        "demo",
        "--org",
        org,
        "--customers",
        "3",
        "--days",
        "2",
        "--seed",
        seed,
    ];
    crate::sandbox::cli_ok(&app.db_path, &args);
    let total = events_total(app).await;
    assert!(total > 10, "the demo made events: {total}");
    total
}

/// Waits until `/cli` got `n` distinct events, and checks each verifies with `secret`.
async fn wait_distinct(receiver: &Receiver, secret: &str, n: i64) {
    let got = receiver
        .wait("/cli", |r| {
            r.iter().map(Received::id).collect::<BTreeSet<_>>().len() as i64 >= n
        })
        .await;
    assert_eq!(verified(&got, secret).len() as i64, n);
}

/// A second process writing beside the running server (the CLI's `fixtures demo`), its clock 40
/// days behind the server's: every event it makes is delivered. The worker finds fresh
/// deliveries along each endpoint's ids, so their ids must go on increasing across processes.
#[actix_web::test]
async fn events_another_process_writes_with_an_earlier_clock_are_delivered() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(&app, json!({"url": receiver.url("/cli")})).await;
    let moved = app
        .admin(Method::POST, "/admin/api/clock/advance")
        .json(&json!({"seconds": 40 * 86_400}))
        .send()
        .await
        .expect("advance");
    json_ok(moved, 200).await;
    // A delivery whose id is 40 days ahead of the CLI's clock, delivered.
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    receiver.wait_count("/cli", 1).await;
    let org = crate::sandbox::sandbox(&app);
    let first = demo_from_the_cli(&app, &org, "7").await;
    wait_distinct(&receiver, &secret, first).await;
    // The organization reset from the CLI (its deliveries deleted, the endpoint kept), then the
    // demo again: new deliveries go above the deleted ones, which the worker has passed.
    crate::sandbox::cli_ok(&app.db_path, &["orgs", "reset", &org]);
    assert_eq!(events_total(&app).await, 0);
    let again = demo_from_the_cli(&app, &org, "8").await;
    wait_distinct(&receiver, &secret, first + again).await;
}

#[actix_web::test]
async fn expiry_emits_exactly_one_event_per_session() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, secret) = endpoint(
        &app,
        json!({"url": receiver.url("/exp"), "event_types": ["donation_session.expired"]}),
    )
    .await;
    let s = add_on(&app, json!({"expires_in": 15})).await;
    app.clock.advance(16 * 60);
    assert_eq!(app.sweep().await, 1);
    assert_eq!(app.sweep().await, 0);
    let sweep = app
        .admin(Method::POST, "/admin/api/sweep")
        .send()
        .await
        .expect("sweep");
    assert_eq!(sweep.status(), 200);
    let got = receiver.wait_count("/exp", 1).await;
    verified(&got, &secret);
    let body = got[0].json();
    assert_eq!(body["data"]["id"], s["id"]);
    assert_eq!(body["data"]["status"], "expired");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.on("/exp").len(), 1);
    let listed = json_ok(app.get("/events?type=donation_session.expired").await, 200).await;
    assert_eq!(listed["total"], 1);
}

#[actix_web::test]
async fn a_failed_request_emits_nothing() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    endpoint(&app, json!({"url": receiver.url("/none")})).await;
    let before = events_total(&app).await;
    // A batch with one bad item stores nothing and emits nothing.
    let resp = app
        .post(
            "/donation_intents",
            &json!([
        {"amount": 100, "campaign_identifier": TREES},
        {"amount": 0, "campaign_identifier": TREES}]),
        )
        .await;
    assert_error(resp, 422, "validation.failed").await;
    // A duplicate external_id is refused after the first insert was tried: rolled back.
    data(
        app.post("/customers", &json!({"external_id": "dup"})).await,
        201,
    )
    .await;
    let resp = app.post("/customers", &json!({"external_id": "dup"})).await;
    assert_error(resp, 422, "validation.failed").await;
    // A confirm that is not allowed.
    let s = add_on(&app, json!({})).await;
    let resp = app
        .post(&format!("/sessions/{}/confirm", id_of(&s)), &json!({}))
        .await;
    assert_error(resp, 400, "session.campaign-not-selected").await;
    // A session PATCH naming a missing customer.
    let resp = app
        .patch(
            &format!("/sessions/{}", id_of(&s)),
            &json!({"customer_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}),
        )
        .await;
    assert_error(resp, 422, "validation.failed").await;
    assert_eq!(
        events_total(&app).await,
        before + 2,
        "only the customer and session creates"
    );
    let got = receiver.wait_count("/none", 2).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.on("/none").len(), 2);
    let kinds: BTreeSet<String> = got.iter().map(Received::kind).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "customer.created".to_string(),
            "donation_session.created".to_string()
        ])
    );
}

#[actix_web::test]
async fn link_local_and_metadata_destinations_are_refused() {
    let app = spawn_app().await;
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://169.254.1.1:8080/hook",
        "http://[fe80::1]/hook",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
    ] {
        let resp = app.post("/webhook_endpoints", &json!({"url": url})).await;
        let err = assert_error(resp, 422, "validation.failed").await;
        assert_eq!(fields(&err), ["url"], "{url}");
        assert_eq!(
            err["error"]["details"]["fields"]["url"][0],
            "destination not allowed"
        );
    }
    let (eid, _) = endpoint(&app, json!({"url": "https://example.com/"})).await;
    let resp = app
        .patch(
            &format!("/webhook_endpoints/{eid}"),
            &json!({"url": "http://169.254.169.254/"}),
        )
        .await;
    assert_eq!(
        fields(&assert_error(resp, 422, "validation.failed").await),
        ["url"]
    );
    // Loopback is allowed unless --webhook-block-private.
    endpoint(&app, json!({"url": "http://127.0.0.1:9/"})).await;
}

#[actix_web::test]
async fn block_private_refuses_loopback_literals_and_names_that_resolve_to_it() {
    let app = spawn_app_with(|c| c.serve.webhook_block_private = true).await;
    let receiver = Receiver::start().await;
    for url in [
        "http://127.0.0.1:9/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://[::1]/",
    ] {
        let resp = app.post("/webhook_endpoints", &json!({"url": url})).await;
        assert_eq!(
            fields(&assert_error(resp, 422, "validation.failed").await),
            ["url"],
            "{url}"
        );
    }
    // A name is checked after resolution: the attempt fails, the receiver is never called.
    let port = receiver.base.rsplit(':').next().expect("port");
    let (eid, _) = endpoint(
        &app,
        json!({"url": format!("http://localhost:{port}/private")}),
    )
    .await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let page = wait_attempts(&app, &eid, 1).await;
    let attempt = &page["data"][0]["attempts"][0];
    assert_eq!(attempt["error"], "destination not allowed");
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(receiver.on("/private").is_empty());
}

/// Waits until the endpoint's newest delivery has `n` attempts.
async fn wait_attempts(app: &TestApp, endpoint: &str, n: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = deliveries(app, endpoint, "").await;
        if page["data"][0]["attempts"]
            .as_array()
            .is_some_and(|a| a.len() >= n)
        {
            return page;
        }
        assert!(Instant::now() < deadline, "no {n} attempts: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A TCP server that answers every connection with `reply` (maybe nothing) and closes it.
fn raw_server(reply: &'static [u8]) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(reply);
            });
        }
    });
    format!("http://127.0.0.1:{port}/")
}

#[actix_web::test]
async fn hanging_garbage_and_reset_receivers_stall_neither_other_endpoints_nor_the_api() {
    let app = spawn_app_with(|c| {
        c.serve.webhook_timeout = 30;
        c.serve.webhook_retry_schedule = Some(RetrySchedule(vec![3600]));
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.hang(true);
    let (hang_id, _) = endpoint(&app, json!({"url": receiver.url("/hang")})).await;
    let (garbage_id, _) = endpoint(&app, json!({"url": raw_server(b"garbage\r\n\r\n")})).await;
    let (reset_id, _) = endpoint(&app, json!({"url": raw_server(b"")})).await;
    let (_, secret) = endpoint(&app, json!({"url": receiver.url("/healthy")})).await;
    for i in 0..20 {
        app.create_intents(json!([{"amount": 100 + i, "campaign_identifier": TREES}]))
            .await;
    }
    let got = receiver.wait_count("/healthy", 20).await;
    assert_eq!(verified(&got, &secret).len(), 20);
    // The hanging endpoint holds at most 4 requests in flight, still unanswered.
    assert!(
        receiver.on("/hang").len() <= 4,
        "{}",
        receiver.on("/hang").len()
    );
    assert_eq!(
        deliveries(&app, &hang_id, "?status=pending").await["total"],
        20
    );
    // The API answers meanwhile.
    json_ok(app.get("/donation_intents").await, 200).await;
    // Garbage and resets are recorded as failed attempts with an error.
    for id in [garbage_id, reset_id] {
        let page = wait_attempts(&app, &id, 1).await;
        let attempt = &page["data"][0]["attempts"][0];
        assert!(
            attempt["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{attempt}"
        );
        assert_eq!(attempt["status_code"], Value::Null);
    }
    receiver.hang(false);
}

#[actix_web::test]
async fn bad_input_is_a_422_naming_the_field_and_unknown_ids_are_404s() {
    let app = spawn_app().await;
    let long = format!("https://example.com/{}", "a".repeat(2040));
    let cases = [
        (json!({}), "url"),
        (json!({"url": null}), "url"),
        (json!({"url": 5}), "url"),
        (json!({"url": "example.com/hook"}), "url"),
        (json!({"url": "ftp://example.com/"}), "url"),
        (json!({"url": "https://user:pw@example.com/"}), "url"),
        (json!({"url": long}), "url"),
        (
            json!({"url": "https://example.com/", "event_types": ["customer.created", "nope"]}),
            "event_types.1",
        ),
        (
            json!({"url": "https://example.com/", "event_types": "customer.created"}),
            "event_types",
        ),
        (
            json!({"url": "https://example.com/", "metadata": [1]}),
            "metadata",
        ),
        (
            json!({"url": "https://example.com/", "description": 3}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post("/webhook_endpoints", &body).await;
        let err = assert_error(resp, 422, "validation.failed").await;
        assert_eq!(fields(&err), [field], "{body}");
    }
    let (eid, _) = endpoint(&app, json!({"url": "https://example.com/"})).await;
    for (body, field) in [
        (json!({"disabled": "yes"}), "disabled"),
        (json!({"url": null}), "url"),
        (json!({"event_types": ["x"]}), "event_types.0"),
    ] {
        let resp = app.patch(&format!("/webhook_endpoints/{eid}"), &body).await;
        assert_eq!(
            fields(&assert_error(resp, 422, "validation.failed").await),
            [field],
            "{body}"
        );
    }
    for value in [json!(-1), json!(604_801), json!("1")] {
        let resp = app
            .post(
                &format!("/webhook_endpoints/{eid}/rotate_secret"),
                &json!({"expire_previous_in": value}),
            )
            .await;
        assert_eq!(
            fields(&assert_error(resp, 422, "validation.failed").await),
            ["expire_previous_in"]
        );
    }
    for body in [
        json!({}),
        json!({"since": "yesterday"}),
        json!({"since": 5}),
    ] {
        let resp = app
            .post(&format!("/webhook_endpoints/{eid}/recover"), &body)
            .await;
        assert_eq!(
            fields(&assert_error(resp, 422, "validation.failed").await),
            ["since"]
        );
    }
    let resp = app
        .get(&format!("/webhook_endpoints/{eid}/deliveries?status=lost"))
        .await;
    assert_eq!(
        fields(&assert_error(resp, 422, "validation.failed").await),
        ["status"]
    );
    let resp = app.get("/webhook_endpoints?per_page=0").await;
    assert_eq!(
        fields(&assert_error(resp, 422, "validation.failed").await),
        ["per_page"]
    );
    for q in [
        "type=nope",
        "created_after=soon",
        "created_before=2024-13-01",
    ] {
        let resp = app.get(&format!("/events?{q}")).await;
        assert_error(resp, 422, "validation.failed").await;
    }
    let resp = app.post("/webhook_endpoints", &json!([1])).await;
    assert_error(resp, 400, "request.invalid-json").await;

    // Not found: unknown, malformed, and another organization's.
    let missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    for path in [
        format!("/webhook_endpoints/{missing}"),
        "/webhook_endpoints/not-an-id".to_string(),
        format!("/webhook_endpoints/{missing}/secret"),
        format!("/webhook_endpoints/{missing}/deliveries"),
    ] {
        assert_error(app.get(&path).await, 404, "webhook-endpoint.not-found").await;
    }
    for path in ["rotate_secret", "test", "recover"] {
        let resp = app
            .post(
                &format!("/webhook_endpoints/{missing}/{path}"),
                &json!({"since": "2024-01-01T00:00:00Z"}),
            )
            .await;
        assert_error(resp, 404, "webhook-endpoint.not-found").await;
    }
    assert_error(
        app.delete(&format!("/webhook_endpoints/{missing}")).await,
        404,
        "webhook-endpoint.not-found",
    )
    .await;
    let resp = app
        .post(&format!("/webhook_deliveries/{missing}/retry"), &json!({}))
        .await;
    assert_error(resp, 404, "webhook-delivery.not-found").await;
    assert_error(
        app.get(&format!("/events/evt_{missing}")).await,
        404,
        "event.not-found",
    )
    .await;
    assert_error(app.get("/events/evt_nope").await, 404, "event.not-found").await;

    let (_, other_key) = app.new_org("Other").await;
    let theirs = |m: Method, p: &str| app.client.request(m, app.url(p)).bearer_auth(&other_key);
    let resp = theirs(Method::GET, &format!("/webhook_endpoints/{eid}"))
        .send()
        .await
        .expect("req");
    assert_error(resp, 404, "webhook-endpoint.not-found").await;
    let resp = theirs(Method::GET, &format!("/webhook_endpoints/{eid}/secret"))
        .send()
        .await
        .expect("req");
    assert_error(resp, 404, "webhook-endpoint.not-found").await;
    let event = data(
        app.post(&format!("/webhook_endpoints/{eid}/test"), &json!({}))
            .await,
        201,
    )
    .await;
    let resp = theirs(
        Method::GET,
        &format!("/events/{}", event["id"].as_str().expect("id")),
    )
    .send()
    .await
    .expect("req");
    assert_error(resp, 404, "event.not-found").await;
    let listed = theirs(Method::GET, "/webhook_endpoints")
        .send()
        .await
        .expect("req");
    assert_eq!(json_ok(listed, 200).await["total"], 0);
    let resp = app
        .client
        .get(app.url("/webhook_endpoints"))
        .send()
        .await
        .expect("req");
    assert_error(resp, 401, "auth.unauthorized").await;
}

#[actix_web::test]
async fn events_of_other_organizations_go_to_their_endpoints_only() {
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let (_, other_key) = app.new_org("Other").await;
    let (_, mine) = endpoint(&app, json!({"url": receiver.url("/mine")})).await;
    let resp = app
        .client
        .post(app.url("/webhook_endpoints"))
        .bearer_auth(&other_key)
        .json(&json!({"url": receiver.url("/theirs")}))
        .send()
        .await
        .expect("req");
    let theirs = json_ok(resp, 201).await["data"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let resp = app
        .client
        .post(app.url("/customers"))
        .bearer_auth(&other_key)
        .json(&json!({}))
        .send()
        .await
        .expect("req");
    json_ok(resp, 201).await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": TREES}]))
        .await;
    let got = receiver.wait_count("/theirs", 1).await;
    verified(&got, &theirs);
    assert_eq!(got[0].kind(), "customer.created");
    let got = receiver.wait_count("/mine", 1).await;
    verified(&got, &mine);
    assert_eq!(got[0].kind(), "donation_intent.created");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.all().len(), 2);
}

#[actix_web::test]
async fn deliveries_pending_at_a_kill_9_are_all_made_after_the_restart() {
    use crate::process::start;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("kill.db");
    let receiver = Receiver::start().await;
    receiver.hang(true);
    let args = [
        "--api-key",
        API_KEY,
        "--admin-token",
        ADMIN_TOKEN,
        "--webhook-timeout",
        "60",
    ];
    let mut server = start(&db, &args).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/webhook_endpoints", server.base))
        .bearer_auth(API_KEY)
        .json(&json!({"url": receiver.url("/hang")}))
        .send()
        .await
        .expect("create endpoint");
    let created = json_ok(created, 201).await;
    let secret = created["data"]["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let eid = created["data"]["id"].as_str().expect("id").to_string();
    for i in 0..10 {
        let resp = client
            .post(format!("{}/donation_intents", server.base))
            .bearer_auth(API_KEY)
            .json(&json!([{"amount": 100 + i, "campaign_identifier": TREES}]))
            .send()
            .await
            .expect("create intent");
        assert_eq!(resp.status(), 201);
    }
    // Four requests hang at the receiver (the per-endpoint cap); six wait their turn.
    receiver.wait_count("/hang", 4).await;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("wait");
    receiver.hang(false);

    let mut server = start(&db, &args).await;
    let got = receiver
        .wait("/hang", |r| {
            r.iter().map(Received::id).collect::<BTreeSet<_>>().len() >= 10
        })
        .await;
    assert_eq!(verified(&got, &secret).len(), 10);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = client
            .get(format!(
                "{}/webhook_endpoints/{eid}/deliveries?status=succeeded",
                server.base
            ))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("deliveries");
        if json_ok(page, 200).await["total"] == 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all delivered after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().expect("kill");
    server.child.wait().expect("wait");
}

#[actix_web::test]
async fn an_organization_reset_deletes_its_events_and_deliveries_and_keeps_its_endpoints() {
    let app = spawn_app().await;
    let (org_id, key) = app.new_org("Resettable").await;
    let post = |path: &str, body: Value| {
        app.client
            .post(app.url(path))
            .bearer_auth(&key)
            .json(&body)
            .send()
    };
    let created = json_ok(
        post("/webhook_endpoints", json!({"url": "http://127.0.0.1:9/"}))
            .await
            .expect("req"),
        201,
    )
    .await;
    let eid = created["data"]["id"].as_str().expect("id").to_string();
    json_ok(post("/customers", json!({})).await.expect("req"), 201).await;
    json_ok(post("/vendors", json!({})).await.expect("req"), 201).await;
    let resp = app
        .admin(
            Method::POST,
            &format!("/admin/api/organizations/{org_id}/reset"),
        )
        .send()
        .await
        .expect("reset");
    let body = json_ok(resp, 200).await;
    assert_eq!(body["data"]["deleted"]["events"], 2);
    let get = |path: String| app.client.get(app.url(&path)).bearer_auth(&key).send();
    assert_eq!(
        json_ok(get("/events".into()).await.expect("req"), 200).await["total"],
        0
    );
    assert_eq!(
        json_ok(
            get(format!("/webhook_endpoints/{eid}/deliveries"))
                .await
                .expect("req"),
            200
        )
        .await["total"],
        0
    );
    json_ok(
        get(format!("/webhook_endpoints/{eid}")).await.expect("req"),
        200,
    )
    .await;
}

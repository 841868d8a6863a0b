//! Donation sessions (SPEC 5.4, 5.5): the session object, the call table, idempotent confirm.
//! Create rules, error codes, expiry, the clock and CORS are in `session_rules`.

use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

pub const TREES: &str = "trees-for-the-future";
pub const CLEANHUB: &str = "cleanhub";
pub const EXPIRED: &str = "session.expired";
pub const CONFIRMED: &str = "session.already-confirmed";
pub const UNAVAILABLE: &str = "session.campaign-not-available";
/// One minute in microseconds.
pub const MIN: i64 = 60_000_000;

/// `base` with `extra`'s fields laid over it.
fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    base
}

/// An `add_on` session of 500 cents over trees and cleanhub, with `extra` fields.
pub async fn add_on(app: &TestApp, extra: Value) -> Value {
    let base = json!({"type": "add_on", "amount": 500, "available_campaigns": [TREES, CLEANHUB]});
    app.create_session(merged(base, extra)).await
}

/// A `portion_of_sales` session: 300 cents to trees, 200 to cleanhub.
pub async fn pos(app: &TestApp, extra: Value) -> Value {
    let base = json!({"type": "portion_of_sales", "allocations": [
        {"campaign_identifier": TREES, "amount": 300},
        {"campaign_identifier": CLEANHUB, "amount": 200}]});
    app.create_session(merged(base, extra)).await
}

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// A request carrying only the secret of session `s` (another session's id may be in `path`).
pub fn by_secret(app: &TestApp, method: Method, path: &str, s: &Value) -> RequestBuilder {
    let secret = s["session_secret"].as_str().expect("secret");
    app.client
        .request(method, app.url(path))
        .header("X-Session-Secret", secret)
}

pub async fn send(req: RequestBuilder) -> Response {
    req.send().await.expect("request")
}

/// The `data` of a successful response.
pub async fn data(resp: Response, status: u16) -> Value {
    json_ok(resp, status).await["data"].clone()
}

/// The session as the API key reads it.
pub async fn read(app: &TestApp, id: &str) -> Value {
    data(app.get(&format!("/sessions/{id}")).await, 200).await
}

/// Session `s` as its own secret reads it.
pub async fn read_by_secret(app: &TestApp, s: &Value) -> Value {
    let path = format!("/sessions/{}", id_of(s));
    data(send(by_secret(app, Method::GET, &path, s)).await, 200).await
}

pub async fn choose(app: &TestApp, id: &str, campaign: Value) -> Response {
    let body = json!({ "campaign_identifier": campaign });
    app.post(&format!("/sessions/{id}/choose_campaign"), &body)
        .await
}

/// `choose_campaign` with the session's own secret.
pub async fn choose_s(app: &TestApp, s: &Value, campaign: Value) -> Response {
    let path = format!("/sessions/{}/choose_campaign", id_of(s));
    let body = json!({ "campaign_identifier": campaign });
    send(by_secret(app, Method::POST, &path, s).json(&body)).await
}

/// `POST /sessions/{id}/{action}` with `body`.
pub async fn act(app: &TestApp, id: &str, action: &str, body: Value) -> Response {
    app.post(&format!("/sessions/{id}/{action}"), &body).await
}

pub async fn call(app: &TestApp, id: &str, action: &str) -> Response {
    act(app, id, action, json!({})).await
}

/// How many intents the Sandbox organization holds.
pub async fn intents_total(app: &TestApp) -> i64 {
    let list = json_ok(app.get("/donation_intents?per_page=100").await, 200).await;
    list["total"].as_i64().expect("total")
}

/// A timestamp field in microseconds.
pub fn micros(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("timestamp"))
        .expect("RFC 3339")
        .timestamp_micros()
}

/// Creates a customer or vendor (`resource`) in the Sandbox organization; returns its id.
pub async fn new_party(app: &TestApp, resource: &str) -> String {
    let resp = app.post(&format!("/{resource}"), &json!({})).await;
    id_of(&data(resp, 201).await)
}

/// Asserts an error envelope by its code (the status follows from the code).
pub async fn refused(resp: Response, code: &str) -> Value {
    let status = match code {
        "auth.unauthorized" => 401,
        "auth.forbidden" => 403,
        "validation.failed" => 422,
        c if c.ends_with("not-found") => 404,
        _ => 400,
    };
    assert_error(resp, status, code).await
}

/// Asserts a 422 naming exactly `expected` fields.
pub async fn invalid(resp: Response, expected: &[&str]) {
    let body = refused(resp, "validation.failed").await;
    let mut got = fields(&body);
    got.sort();
    let mut expected: Vec<&str> = expected.to_vec();
    expected.sort();
    assert_eq!(got, expected, "fields of {body}");
}

/// Asserts each field of the `expected` object on `got`.
#[track_caller]
pub fn expect(got: &Value, expected: Value) {
    for (key, value) in expected.as_object().expect("object") {
        assert_eq!(&got[key], value, "{key} of {got}");
    }
}

#[actix_web::test]
async fn create_answers_201_with_short_campaigns_and_a_secret() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    expect(
        &s,
        json!({"type": "add_on", "status": "active", "amount": 500,
            "available_campaigns": [TREES, CLEANHUB], "selected_campaign": null,
            "opted_out": false, "allocations": [], "customer_id": null, "vendor_id": null,
            "metadata": {}, "approximated": false, "donation_intents": [],
            "processed_at": null, "confirmed_at": null,
            "campaigns": [{"identifier": TREES, "name": "Trees for the Future"},
                          {"identifier": CLEANHUB, "name": "CleanHub"}]}),
    );
    let secret = s["session_secret"].as_str().expect("secret");
    assert_eq!(secret.len(), 64);
    assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(
        micros(&s["expires_at"]) - micros(&s["created_at"]),
        1440 * MIN
    );
    assert_eq!(s["created_at"], s["updated_at"]);
    let choice = json!({"type": "portion_of_sales_choice", "expires_in": 15});
    let other = add_on(&app, choice).await;
    assert_eq!(other["type"], "portion_of_sales_choice");
    assert_ne!(other["session_secret"], s["session_secret"]);
    assert_eq!(
        micros(&other["expires_at"]) - micros(&other["created_at"]),
        15 * MIN
    );
}

#[actix_web::test]
async fn get_shows_full_campaigns_with_the_impact_of_the_amount() {
    let app = spawn_app().await;
    let three = json!({"available_campaigns": [CLEANHUB, TREES, "yellow-rooms"]});
    let s = add_on(&app, three).await;
    let got = read(&app, &id_of(&s)).await;
    assert_eq!(
        got["session_secret"], s["session_secret"],
        "a key caller sees it"
    );
    let campaigns = got["campaigns"].as_array().expect("campaigns");
    let ids: Vec<&Value> = campaigns.iter().map(|c| &c["identifier"]).collect();
    assert_eq!(ids, [CLEANHUB, TREES, "yellow-rooms"]);
    assert_eq!(campaigns[1]["impact_metrics"][0]["impact_per_dollar"], 4.0);
    assert_eq!(campaigns[1]["active"], true);
    let trees = json!([{"key": "trees_planted", "name": "Trees planted", "emoji": "🌳",
        "icon": "tree", "quantity": 20.0, "unit": "trees", "label": "20 trees planted"}]);
    assert_eq!(campaigns[1]["impact"], trees);
    assert_eq!(
        campaigns[0]["impact"][0]["label"],
        "5 kg of plastic collected"
    );
    let one_night =
        json!({"quantity": 1.0, "unit": "safe night", "label": "1 safe night provided"});
    expect(&campaigns[2]["impact"][0], one_night);

    let approx = add_on(&app, json!({"approximated": true})).await;
    let got = read(&app, &id_of(&approx)).await;
    assert_eq!(got["approximated"], true);
    let approximated = json!({"quantity": 20.0, "label": "~20 trees planted"});
    expect(&got["campaigns"][0]["impact"][0], approximated);
}

#[actix_web::test]
async fn portion_of_sales_amount_is_the_sum_and_campaigns_follow_allocations() {
    let app = spawn_app().await;
    let s = pos(&app, json!({"amount": null})).await;
    expect(
        &s,
        json!({"amount": 500, "available_campaigns": [], "session_secret": null,
            "allocations": [{"campaign_identifier": TREES, "amount": 300},
                            {"campaign_identifier": CLEANHUB, "amount": 200}],
            "campaigns": [{"identifier": TREES, "name": "Trees for the Future"},
                          {"identifier": CLEANHUB, "name": "CleanHub"}]}),
    );
    let got = read(&app, &id_of(&s)).await;
    assert_eq!(got["session_secret"], Value::Null);
    assert_eq!(
        got["campaigns"][0]["impact"][0]["label"],
        "12 trees planted"
    );
    assert_eq!(
        got["campaigns"][1]["impact"][0]["label"],
        "2 kg of plastic collected"
    );
}

#[actix_web::test]
async fn the_secret_reads_in_every_status_and_never_sees_itself() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    let path = format!("/sessions/{id}");
    let got = read_by_secret(&app, &s).await;
    expect(&got, json!({"status": "active", "session_secret": null}));
    let label = &got["campaigns"][0]["impact"][0]["label"];
    assert_eq!(label, "20 trees planted");
    json_ok(choose(&app, &id, json!(TREES)).await, 200).await;
    json_ok(call(&app, &id, "process").await, 200).await;
    let got = read_by_secret(&app, &s).await;
    let processing = json!({"status": "processing", "session_secret": null});
    expect(&got, processing);
    json_ok(call(&app, &id, "confirm").await, 200).await;
    let got = read_by_secret(&app, &s).await;
    expect(&got, json!({"status": "confirmed", "session_secret": null}));
    assert_eq!(got["donation_intents"].as_array().map(Vec::len), Some(1));

    let late = add_on(&app, json!({"expires_in": 15})).await;
    app.clock.advance(15 * 60);
    let late_path = format!("/sessions/{}", id_of(&late));
    let got = read_by_secret(&app, &late).await;
    expect(&got, json!({"status": "expired", "session_secret": null}));

    let unauthorized = "auth.unauthorized";
    let wrong = json!({"session_secret": "x".repeat(64)});
    let choose_path = format!("/sessions/{id}/choose_campaign");
    let no_choice = by_secret(&app, Method::POST, &choose_path, &wrong).json(&json!({}));
    refused(send(no_choice).await, unauthorized).await;
    refused(
        send(by_secret(&app, Method::GET, &path, &wrong)).await,
        unauthorized,
    )
    .await;
    refused(
        send(by_secret(&app, Method::GET, &late_path, &s)).await,
        unauthorized,
    )
    .await;
    refused(send(app.client.get(app.url(&path))).await, unauthorized).await;
    let bad_key = app.client.get(app.url(&path)).bearer_auth("ia_sk_nope");
    refused(send(bad_key).await, unauthorized).await;
}

#[actix_web::test]
async fn key_only_calls_refuse_the_secret_and_every_call_needs_a_credential() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    let calls = [
        (Method::PATCH, format!("/sessions/{id}")),
        (Method::PUT, format!("/sessions/{id}/allocations")),
        (Method::POST, format!("/sessions/{id}/process")),
        (Method::POST, format!("/sessions/{id}/confirm")),
        (Method::POST, "/sessions".to_string()),
    ];
    for (method, path) in &calls {
        let req = by_secret(&app, method.clone(), path, &s).json(&json!({}));
        refused(send(req).await, "auth.unauthorized").await;
    }
    let open = [
        (Method::GET, format!("/sessions/{id}")),
        (Method::POST, format!("/sessions/{id}/choose_campaign")),
    ];
    for (method, path) in calls.iter().chain(open.iter()) {
        let req = app.client.request(method.clone(), app.url(path));
        refused(send(req.json(&json!({}))).await, "auth.unauthorized").await;
    }
    assert_eq!(read(&app, &id).await["status"], "active");
}

#[actix_web::test]
async fn choose_campaign_sets_changes_and_opts_out() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let got = data(choose_s(&app, &s, json!(TREES)).await, 200).await;
    expect(
        &got,
        json!({"selected_campaign": TREES, "opted_out": false, "session_secret": null,
            "allocations": [{"campaign_identifier": TREES, "amount": 500}]}),
    );
    assert_eq!(
        got["campaigns"][0]["impact"][0]["label"],
        "20 trees planted"
    );
    let got = data(choose_s(&app, &s, json!(CLEANHUB)).await, 200).await;
    let cleanhub = json!([{"campaign_identifier": CLEANHUB, "amount": 500}]);
    assert_eq!(got["allocations"], cleanhub);
    let got = data(choose_s(&app, &s, Value::Null).await, 200).await;
    let out = json!({"selected_campaign": null, "opted_out": true, "allocations": []});
    expect(&got, out);
    let got = data(choose(&app, &id_of(&s), json!(TREES)).await, 200).await;
    let back = json!({"selected_campaign": TREES, "opted_out": false});
    expect(&got, back);
    assert_eq!(
        got["session_secret"], s["session_secret"],
        "a key caller sees it"
    );
    let trees = json!([{"campaign_identifier": TREES, "amount": 500}]);
    assert_eq!(read(&app, &id_of(&s)).await["allocations"], trees);
}

#[actix_web::test]
async fn choose_campaign_follows_status_caller_and_availability() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    refused(choose(&app, &id, json!("yellow-rooms")).await, UNAVAILABLE).await;
    refused(
        choose(&app, &id, json!("no-such-campaign")).await,
        UNAVAILABLE,
    )
    .await;
    let path = format!("/sessions/{id}/choose_campaign");
    invalid(app.post(&path, &json!({})).await, &["campaign_identifier"]).await;
    let number = json!({"campaign_identifier": 5});
    invalid(app.post(&path, &number).await, &["campaign_identifier"]).await;
    let off = app.admin(Method::POST, "/admin/api/campaigns/cleanhub/deactivate");
    json_ok(send(off).await, 200).await;
    refused(choose_s(&app, &s, json!(CLEANHUB)).await, UNAVAILABLE).await;

    json_ok(call(&app, &id, "process").await, 200).await;
    refused(choose_s(&app, &s, json!(TREES)).await, "auth.forbidden").await;
    refused(choose_s(&app, &s, Value::Null).await, "auth.forbidden").await;
    let got = data(choose(&app, &id, json!(TREES)).await, 200).await;
    expect(
        &got,
        json!({"status": "processing", "selected_campaign": TREES}),
    );
    json_ok(call(&app, &id, "confirm").await, 200).await;
    refused(choose_s(&app, &s, json!(TREES)).await, CONFIRMED).await;
    refused(choose(&app, &id, json!(TREES)).await, CONFIRMED).await;

    let short = json!({"expires_in": 15, "available_campaigns": [TREES]});
    let late = add_on(&app, short.clone()).await;
    let processing = add_on(&app, short).await;
    let extends = json!({"extends_by": 60});
    json_ok(
        act(&app, &id_of(&processing), "process", extends).await,
        200,
    )
    .await;
    app.clock.advance(15 * 60);
    refused(choose_s(&app, &late, json!(TREES)).await, EXPIRED).await;
    refused(choose(&app, &id_of(&late), json!(TREES)).await, EXPIRED).await;
    refused(
        choose_s(&app, &processing, json!(TREES)).await,
        "auth.forbidden",
    )
    .await;
    app.clock.advance(60 * 60);
    refused(choose_s(&app, &processing, json!(TREES)).await, EXPIRED).await;

    let one = json!({"allocations": [{"campaign_identifier": TREES, "amount": 1}]});
    let p = pos(&app, one).await;
    let code = "session.non-interactive-cannot-choose-campaign";
    refused(choose(&app, &id_of(&p), json!(TREES)).await, code).await;
}

#[actix_web::test]
async fn process_extends_expiry_and_sets_processed_at_the_first_time() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    let empty_body = app.req(Method::POST, &format!("/sessions/{id}/process"));
    let first = data(send(empty_body).await, 200).await;
    assert_eq!(first["status"], "processing");
    assert_eq!(
        first["campaigns"][0]["impact"][0]["label"],
        "20 trees planted"
    );
    assert_eq!(first["session_secret"], s["session_secret"]);
    assert_eq!(
        micros(&first["expires_at"]) - micros(&s["expires_at"]),
        10_080 * MIN
    );
    let processed_at = micros(&first["processed_at"]);
    assert!(processed_at >= micros(&s["created_at"]));
    app.clock.advance(60);
    let again = data(
        act(&app, &id, "process", json!({"extends_by": 60})).await,
        200,
    )
    .await;
    assert_eq!(again["status"], "processing");
    assert_eq!(
        micros(&again["expires_at"]) - micros(&first["expires_at"]),
        60 * MIN
    );
    assert_eq!(
        micros(&again["processed_at"]),
        processed_at,
        "set only once"
    );
    let most = json!({"extends_by": 43_200});
    let max = data(act(&app, &id, "process", most).await, 200).await;
    assert_eq!(
        micros(&max["expires_at"]) - micros(&again["expires_at"]),
        43_200 * MIN
    );
    for bad in [json!(59), json!(43_201), json!("600"), json!(90.5)] {
        let resp = act(&app, &id, "process", json!({ "extends_by": bad })).await;
        invalid(resp, &["extends_by"]).await;
    }
    assert_eq!(read(&app, &id).await["expires_at"], max["expires_at"]);
}

#[actix_web::test]
async fn process_is_refused_once_confirmed_or_expired() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    json_ok(choose(&app, &id, Value::Null).await, 200).await;
    json_ok(call(&app, &id, "confirm").await, 200).await;
    refused(call(&app, &id, "process").await, CONFIRMED).await;
    let late = add_on(&app, json!({"expires_in": 15})).await;
    app.clock.advance(15 * 60);
    refused(call(&app, &id_of(&late), "process").await, EXPIRED).await;
}

#[actix_web::test]
async fn patch_merges_metadata_replaces_approximated_and_sets_parties() {
    let app = spawn_app().await;
    let customer = new_party(&app, "customers").await;
    let vendor = new_party(&app, "vendors").await;
    let s = add_on(&app, json!({"metadata": {"order": "A1", "keep": 1}})).await;
    let path = format!("/sessions/{}", id_of(&s));
    let change = json!({"metadata": {"order": null, "cart": 3}, "approximated": true,
                        "customer_id": customer, "vendor_id": vendor});
    let got = data(app.patch(&path, &change).await, 200).await;
    expect(
        &got,
        json!({"metadata": {"keep": 1, "cart": 3}, "approximated": true,
            "customer_id": customer, "vendor_id": vendor, "session_secret": s["session_secret"]}),
    );
    assert_eq!(
        got["campaigns"][0]["impact"][0]["label"],
        "~20 trees planted"
    );
    let clear = json!({"customer_id": null, "metadata": null});
    let got = data(app.patch(&path, &clear).await, 200).await;
    let cleared = json!({"customer_id": null, "vendor_id": vendor, "metadata": {}});
    expect(&got, cleared.clone());
    assert_eq!(got["approximated"], true, "an omitted field is unchanged");
    expect(&read(&app, &id_of(&s)).await, cleared);
}

#[actix_web::test]
async fn patch_parties_must_exist_in_the_organization_and_need_an_active_session() {
    let app = spawn_app().await;
    let (_, other_key) = app.new_org("Other").await;
    let foreign = app
        .client
        .post(app.url("/customers"))
        .bearer_auth(&other_key);
    let foreign = id_of(&data(send(foreign.json(&json!({}))).await, 201).await);
    let unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    let path = format!("/sessions/{id}");
    let cases = [
        ("customer_id", foreign.as_str()),
        ("customer_id", unknown),
        ("vendor_id", unknown),
        ("vendor_id", "nope"),
    ];
    for (field, value) in cases {
        invalid(app.patch(&path, &json!({ field: value })).await, &[field]).await;
    }
    let customer = json!({"customer_id": new_party(&app, "customers").await});
    json_ok(call(&app, &id, "process").await, 200).await;
    refused(app.patch(&path, &customer).await, "session.not-active").await;
    refused(
        app.patch(&path, &json!({"vendor_id": null})).await,
        "session.not-active",
    )
    .await;
    let paid = json!({"metadata": {"step": "paid"}});
    assert_eq!(
        data(app.patch(&path, &paid).await, 200).await["metadata"],
        paid["metadata"]
    );
    json_ok(choose(&app, &id, json!(TREES)).await, 200).await;
    json_ok(call(&app, &id, "confirm").await, 200).await;
    refused(app.patch(&path, &customer).await, CONFIRMED).await;
    let got = data(app.patch(&path, &json!({"approximated": true})).await, 200).await;
    let confirmed = json!({"status": "confirmed", "approximated": true, "customer_id": null});
    expect(&got, confirmed);

    let late = add_on(&app, json!({"expires_in": 15})).await;
    app.clock.advance(15 * 60);
    let path = format!("/sessions/{}", id_of(&late));
    refused(app.patch(&path, &json!({"vendor_id": null})).await, EXPIRED).await;
    let got = data(
        app.patch(&path, &json!({"metadata": {"late": true}})).await,
        200,
    )
    .await;
    expect(
        &got,
        json!({"status": "expired", "metadata": {"late": true}}),
    );
}

#[actix_web::test]
async fn put_allocations_replaces_the_list_and_the_amount() {
    let app = spawn_app().await;
    let s = pos(&app, json!({})).await;
    let id = id_of(&s);
    let path = format!("/sessions/{id}/allocations");
    let meals = json!([{"campaign_identifier": "community-meals", "amount": 1000}]);
    let got = data(app.put(&path, &json!({ "allocations": meals })).await, 200).await;
    expect(&got, json!({"allocations": meals, "amount": 1000}));
    assert_eq!(got["campaigns"][0]["identifier"], "community-meals");
    assert_eq!(
        got["campaigns"][0]["impact"][0]["label"],
        "100 meals served"
    );
    json_ok(call(&app, &id, "process").await, 200).await;
    let list = json!({"allocations": [{"campaign_identifier": TREES, "amount": 50},
                                      {"campaign_identifier": CLEANHUB, "amount": 70}]});
    let got = data(app.put(&path, &list).await, 200).await;
    expect(&got, json!({"status": "processing", "amount": 120}));

    for body in [
        json!({}),
        json!({"allocations": []}),
        json!({"allocations": null}),
    ] {
        refused(app.put(&path, &body).await, "allocations.required").await;
    }
    let one = json!({"campaign_identifier": TREES, "amount": 1});
    let eleven = json!({ "allocations": vec![one; 11] });
    invalid(app.put(&path, &eleven).await, &["allocations"]).await;
    let bad = json!({"allocations": [{"campaign_identifier": "nope", "amount": 0},
        {"campaign_identifier": TREES, "amount": 5}, {"campaign_identifier": TREES, "amount": 5}]});
    let expected = [
        "allocations.0.amount",
        "allocations.0.campaign_identifier",
        "allocations.2.campaign_identifier",
    ];
    invalid(app.put(&path, &bad).await, &expected).await;
    assert_eq!(
        read(&app, &id).await["amount"],
        120,
        "a rejected list changes nothing"
    );

    json_ok(call(&app, &id, "confirm").await, 200).await;
    refused(app.put(&path, &list).await, CONFIRMED).await;
    let late = pos(&app, json!({"expires_in": 15})).await;
    app.clock.advance(15 * 60);
    let late_path = format!("/sessions/{}/allocations", id_of(&late));
    refused(app.put(&late_path, &list).await, EXPIRED).await;
    let interactive = add_on(&app, json!({})).await;
    let path = format!("/sessions/{}/allocations", id_of(&interactive));
    let code = "session.interactive-must-use-choose-campaign";
    refused(app.put(&path, &list).await, code).await;
}

#[actix_web::test]
async fn confirm_creates_one_intent_per_allocation_with_the_session_attribution() {
    let app = spawn_app().await;
    let customer = new_party(&app, "customers").await;
    let vendor = new_party(&app, "vendors").await;
    let s = pos(&app, json!({"customer_id": customer, "vendor_id": vendor})).await;
    let id = id_of(&s);
    let got = data(call(&app, &id, "confirm").await, 200).await;
    assert_eq!(got["status"], "confirmed");
    assert!(micros(&got["confirmed_at"]) >= micros(&got["created_at"]));
    let intents = got["donation_intents"].as_array().expect("intents");
    assert_eq!(intents.len(), 2);
    for (intent, (campaign, amount)) in intents.iter().zip([(TREES, 300), (CLEANHUB, 200)]) {
        expect(
            intent,
            json!({"campaign_identifier": campaign, "amount": amount, "customer_id": customer,
                "vendor_id": vendor, "session_id": id}),
        );
        assert_eq!(intent["campaign"]["identifier"], campaign);
        let path = format!("/donation_intents/{}", id_of(intent));
        assert_eq!(&data(app.get(&path).await, 200).await, intent);
    }
    assert_eq!(intents[0]["impact"][0]["label"], "12 trees planted");
    assert_eq!(intents_total(&app).await, 2);
    assert_eq!(
        read(&app, &id).await["donation_intents"],
        got["donation_intents"]
    );

    let chosen = add_on(&app, json!({"approximated": true})).await;
    json_ok(choose_s(&app, &chosen, json!(CLEANHUB)).await, 200).await;
    let got = data(call(&app, &id_of(&chosen), "confirm").await, 200).await;
    assert_eq!(got["session_secret"], chosen["session_secret"]);
    assert_eq!(
        got["campaigns"][1]["impact"][0]["label"],
        "~5 kg of plastic collected"
    );
    let intents = got["donation_intents"].as_array().expect("intents");
    assert_eq!(intents.len(), 1);
    expect(
        &intents[0],
        json!({"campaign_identifier": CLEANHUB, "amount": 500, "customer_id": null,
            "session_id": id_of(&chosen)}),
    );
    assert_eq!(
        intents[0]["impact"][0]["label"],
        "~5 kg of plastic collected"
    );
}

#[actix_web::test]
async fn a_repeated_confirm_returns_the_same_session_and_creates_nothing() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    json_ok(choose(&app, &id, json!(TREES)).await, 200).await;
    let empty_body = app.req(Method::POST, &format!("/sessions/{id}/confirm"));
    let first = data(send(empty_body).await, 200).await;
    app.clock.advance(60);
    let second = data(call(&app, &id, "confirm").await, 200).await;
    assert_eq!(first, second);
    assert_eq!(intents_total(&app).await, 1);
    app.clock.advance(2 * 86_400);
    let third = data(call(&app, &id, "confirm").await, 200).await;
    assert_eq!(
        third["status"], "confirmed",
        "a confirmed session never expires"
    );
    assert_eq!(third["donation_intents"], first["donation_intents"]);
    assert_eq!(intents_total(&app).await, 1);
}

#[actix_web::test]
async fn concurrent_confirms_store_exactly_one_set_of_intents() {
    let app = spawn_app().await;
    let id = id_of(&pos(&app, json!({})).await);
    let confirm = || async { data(call(&app, &id, "confirm").await, 200).await };
    let answers = join_all((0..20).map(|_| confirm())).await;
    let ids = |v: &Value| -> Vec<String> {
        let list = v["donation_intents"].as_array().expect("intents");
        list.iter().map(id_of).collect()
    };
    let first = ids(&answers[0]);
    assert_eq!(first.len(), 2);
    for answer in &answers {
        assert_eq!(answer["status"], "confirmed");
        assert_eq!(ids(answer), first);
    }
    assert_eq!(intents_total(&app).await, 2);
}

#[actix_web::test]
async fn opting_out_confirms_with_no_intents() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({})).await;
    json_ok(choose_s(&app, &s, Value::Null).await, 200).await;
    let got = data(call(&app, &id_of(&s), "confirm").await, 200).await;
    expect(
        &got,
        json!({"status": "confirmed", "donation_intents": [], "opted_out": true}),
    );
    assert_eq!(intents_total(&app).await, 0);
}

#[actix_web::test]
async fn confirm_needs_a_choice_and_an_unexpired_session() {
    let app = spawn_app().await;
    let s = add_on(&app, json!({"type": "portion_of_sales_choice"})).await;
    let id = id_of(&s);
    let not_selected = "session.campaign-not-selected";
    refused(call(&app, &id, "confirm").await, not_selected).await;
    json_ok(call(&app, &id, "process").await, 200).await;
    refused(call(&app, &id, "confirm").await, not_selected).await;
    assert_eq!(read(&app, &id).await["status"], "processing");
    let late = add_on(&app, json!({"expires_in": 15})).await;
    json_ok(choose(&app, &id_of(&late), json!(TREES)).await, 200).await;
    app.clock.advance(15 * 60);
    let code = "session.cannot-confirm-expired";
    refused(call(&app, &id_of(&late), "confirm").await, code).await;
    assert_eq!(intents_total(&app).await, 0);
}

#[actix_web::test]
async fn session_donations_count_for_the_customer_and_the_vendor() {
    let app = spawn_app().await;
    let customer = new_party(&app, "customers").await;
    let vendor = new_party(&app, "vendors").await;
    let parties = json!({"amount": 1000, "customer_id": customer, "vendor_id": vendor});
    let s = add_on(&app, parties).await;
    json_ok(choose_s(&app, &s, json!(TREES)).await, 200).await;
    json_ok(call(&app, &id_of(&s), "confirm").await, 200).await;
    let direct = json!([{"amount": 700, "campaign_identifier": TREES}]);
    app.create_intents(direct).await;
    for (resource, id) in [("customers", &customer), ("vendors", &vendor)] {
        let m = data(
            app.get(&format!("/{resource}/{id}/impact_metrics")).await,
            200,
        )
        .await;
        expect(
            &m,
            json!({"donation_count": 1, "total_amount": 1000, "by_campaign":
                [{"campaign_identifier": TREES, "donation_count": 1, "total_amount": 1000}]}),
        );
        assert_eq!(m["impact_metrics"][0]["label"], "40 trees planted");
        let path = format!("/{resource}/{id}/donation_intents");
        let list = json_ok(app.get(&path).await, 200).await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["data"][0]["session_id"], json!(id_of(&s)));
    }
}

#[actix_web::test]
async fn a_cancelled_intent_leaves_the_session_list() {
    let app = spawn_app().await;
    let id = id_of(&pos(&app, json!({})).await);
    let confirmed = data(call(&app, &id, "confirm").await, 200).await;
    let first = id_of(&confirmed["donation_intents"][0]);
    let second = id_of(&confirmed["donation_intents"][1]);
    let cancel = format!("/donation_intents/{first}/cancel");
    json_ok(app.put(&cancel, &json!({})).await, 200).await;
    let left = read(&app, &id).await["donation_intents"].clone();
    let left: Vec<String> = left
        .as_array()
        .expect("intents")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(left, [second]);
    let again = data(call(&app, &id, "confirm").await, 200).await;
    let count = again["donation_intents"].as_array().map(Vec::len);
    assert_eq!(count, Some(1), "a repeated confirm recreates nothing");
    assert_eq!(intents_total(&app).await, 1);
}

#[actix_web::test]
async fn another_organizations_session_does_not_exist() {
    let app = spawn_app().await;
    let (_, other_key) = app.new_org("Other").await;
    let s = add_on(&app, json!({})).await;
    let id = id_of(&s);
    let one = json!([{"campaign_identifier": TREES, "amount": 1}]);
    let calls = [
        (Method::GET, format!("/sessions/{id}"), None),
        (
            Method::PATCH,
            format!("/sessions/{id}"),
            Some(json!({"metadata": {"a": 1}})),
        ),
        (
            Method::PUT,
            format!("/sessions/{id}/allocations"),
            Some(json!({ "allocations": one })),
        ),
        (
            Method::POST,
            format!("/sessions/{id}/choose_campaign"),
            Some(json!({"campaign_identifier": TREES})),
        ),
        (
            Method::POST,
            format!("/sessions/{id}/process"),
            Some(json!({})),
        ),
        // The body is not looked at before the session is found.
        (
            Method::POST,
            format!("/sessions/{id}/process"),
            Some(json!({"extends_by": 5})),
        ),
        (
            Method::POST,
            format!("/sessions/{id}/choose_campaign"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/sessions/{id}/confirm"),
            Some(json!({})),
        ),
    ];
    for (method, path, body) in calls {
        let mut req = app
            .client
            .request(method, app.url(&path))
            .bearer_auth(&other_key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        refused(send(req).await, "session.not-found").await;
    }
    let untouched = json!({"status": "active", "metadata": {}, "selected_campaign": null});
    expect(&read(&app, &id).await, untouched);
    refused(app.get("/sessions/not-a-ulid").await, "session.not-found").await;
    let unknown = "/sessions/01ARZ3NDEKTSV4RRFFQ69G5FAV";
    refused(app.get(unknown).await, "session.not-found").await;
    let by_its_secret = by_secret(&app, Method::GET, unknown, &s);
    refused(send(by_its_secret).await, "session.not-found").await;
}

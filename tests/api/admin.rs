//! The operator surface (SPEC 7): the admin JSON API, the demo checkout endpoints, and the embedded
//! pages.

use crate::helpers::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

async fn admin_get(app: &TestApp, path: &str) -> Response {
    app.admin(Method::GET, path).send().await.expect("request")
}

async fn admin_post(app: &TestApp, path: &str, body: &Value) -> Response {
    app.admin(Method::POST, path)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn admin_put(app: &TestApp, path: &str, body: &Value) -> Response {
    app.admin(Method::PUT, path)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// A call with another organization's API key.
async fn with_key(app: &TestApp, key: &str, method: Method, path: &str, body: &Value) -> Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn sandbox_id(app: &TestApp) -> String {
    let orgs = json_ok(admin_get(app, "/admin/api/organizations").await, 200).await;
    orgs["data"]
        .as_array()
        .expect("array")
        .iter()
        .find(|o| o["is_sandbox"] == true)
        .and_then(|o| o["id"].as_str())
        .expect("sandbox organization")
        .to_string()
}

/// The ids of a listing's `data`, in order.
fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|v| v["id"].as_str().expect("id").to_string())
        .collect()
}

fn campaign(identifier: &str, name: &str) -> Value {
    json!({"identifier": identifier, "name": name, "description": "Beehives for small farms.",
        "impact_metrics": [{"key": "hives_built", "name": "Hives built", "emoji": "🐝", "icon": "bee",
            "unit_singular": "hive", "unit_plural": "hives", "verb_present": "build",
            "verb_past": "built", "impact_per_dollar": 0.5}]})
}

/// An add_on session of the caller's organization, chosen and (if asked) processed or confirmed.
async fn session(app: &TestApp, key: &str, then: &str) -> String {
    let body = json!({"type": "add_on", "amount": 1000, "available_campaigns": ["cleanhub"]});
    let s = json_ok(
        with_key(app, key, Method::POST, "/sessions", &body).await,
        201,
    )
    .await;
    let id = s["data"]["id"].as_str().expect("id").to_string();
    let choose = json!({"campaign_identifier": "cleanhub"});
    let path = format!("/sessions/{id}/choose_campaign");
    json_ok(with_key(app, key, Method::POST, &path, &choose).await, 200).await;
    if then != "active" {
        let path = format!("/sessions/{id}/{then}");
        json_ok(
            with_key(app, key, Method::POST, &path, &json!({})).await,
            200,
        )
        .await;
    }
    id
}

#[actix_web::test]
async fn every_admin_endpoint_wants_the_admin_token() {
    let app = spawn_app().await;
    let routes = [
        (Method::GET, "/admin/api/organizations"),
        (Method::POST, "/admin/api/organizations"),
        (
            Method::POST,
            "/admin/api/organizations/01K0000000000000000000000A/keys",
        ),
        (Method::GET, "/admin/api/keys"),
        (
            Method::POST,
            "/admin/api/keys/01K0000000000000000000000A/revoke",
        ),
        (Method::GET, "/admin/api/campaigns"),
        (Method::POST, "/admin/api/campaigns"),
        (Method::PUT, "/admin/api/campaigns/cleanhub"),
        (Method::POST, "/admin/api/campaigns/cleanhub/activate"),
        (Method::POST, "/admin/api/campaigns/cleanhub/deactivate"),
        (Method::GET, "/admin/api/sessions"),
        (Method::GET, "/admin/api/donation_intents"),
        (Method::GET, "/admin/api/billing"),
        (Method::GET, "/admin/api/impact"),
        (Method::GET, "/admin/api/stats/daily"),
        (Method::GET, "/admin/api/clock"),
        (Method::POST, "/admin/api/clock/advance"),
        (Method::POST, "/admin/api/sweep"),
    ];
    for (method, path) in routes {
        let none = app.client.request(method.clone(), app.url(path));
        let wrong = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth("ia_admin_not-the-token");
        // An organization's API key is no admin credential.
        let api_key = app.req(method.clone(), path);
        for request in [none, wrong, api_key] {
            let resp = request.json(&json!({})).send().await.expect("request");
            assert_error(resp, 401, "auth.unauthorized").await;
        }
    }
    let ok = json_ok(admin_get(&app, "/admin/api/organizations").await, 200).await;
    assert_eq!(ok["data"][0]["name"], "Sandbox");
}

#[actix_web::test]
async fn organizations_need_a_name_and_get_their_first_key_once() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"name": "   "}),
        json!({"name": 7}),
        json!({"name": "x".repeat(256)}),
    ] {
        let resp = admin_post(&app, "/admin/api/organizations", &body).await;
        let err = assert_error(resp, 422, "validation.failed").await;
        assert_eq!(fields(&err), ["name"], "{body}");
    }
    let resp = admin_post(&app, "/admin/api/organizations", &json!({"name": " Acme "})).await;
    let org = json_ok(resp, 201).await["data"].clone();
    assert_eq!(org["name"], "Acme");
    assert_eq!(org["is_sandbox"], false);
    let key = org["api_key"].as_str().expect("api key shown at creation");
    assert!(key.starts_with("ia_sk_"));
    let listed = json_ok(admin_get(&app, "/admin/api/organizations").await, 200).await;
    assert_eq!(listed["data"].as_array().expect("array").len(), 2);
    assert!(
        !listed.to_string().contains(key),
        "the key is never listed again"
    );
    // The new organization's key works and sees its own (empty) data.
    let resp = with_key(&app, key, Method::GET, "/donation_intents", &json!({})).await;
    assert_eq!(json_ok(resp, 200).await["total"], 0);
}

#[actix_web::test]
async fn keys_are_listed_by_organization_and_a_revoked_key_stops_working() {
    let app = spawn_app().await;
    let sandbox = sandbox_id(&app).await;
    let (org, first) = app.new_org("Acme").await;
    let resp = admin_post(
        &app,
        &format!("/admin/api/organizations/{org}/keys"),
        &json!({}),
    )
    .await;
    let second = json_ok(resp, 201).await["data"].clone();
    let second_key = second["api_key"].as_str().expect("key shown once");
    assert_eq!(second["org_id"], org.as_str());
    assert_eq!(second["prefix"], &second_key[..12]);

    let all = json_ok(admin_get(&app, "/admin/api/keys").await, 200).await;
    assert_eq!(ids(&all).len(), 3);
    assert!(
        !all.to_string().contains(second_key),
        "listings show prefixes only"
    );
    let acme = json_ok(
        admin_get(&app, &format!("/admin/api/keys?organization_id={org}")).await,
        200,
    )
    .await;
    assert_eq!(ids(&acme).len(), 2);
    assert!(acme["data"][0]["last_used_at"].is_null());
    let own = json_ok(
        admin_get(&app, &format!("/admin/api/keys?organization_id={sandbox}")).await,
        200,
    )
    .await;
    assert_eq!(ids(&own).len(), 1);
    assert_eq!(own["data"][0]["prefix"], &API_KEY[..12]);

    let first_id = acme["data"][0]["id"].as_str().expect("id").to_string();
    let resp = with_key(&app, &first, Method::GET, "/campaigns", &json!({})).await;
    json_ok(resp, 200).await;
    let path = format!("/admin/api/keys/{first_id}/revoke");
    let revoked = json_ok(admin_post(&app, &path, &json!({})).await, 200).await;
    assert!(revoked["data"]["revoked_at"].is_string());
    let resp = with_key(&app, &first, Method::GET, "/campaigns", &json!({})).await;
    assert_error(resp, 401, "auth.unauthorized").await;
    let resp = with_key(&app, second_key, Method::GET, "/campaigns", &json!({})).await;
    json_ok(resp, 200).await;
    let listed = json_ok(
        admin_get(&app, &format!("/admin/api/keys?organization_id={org}")).await,
        200,
    )
    .await;
    assert!(listed["data"][0]["revoked_at"].is_string());
    assert!(listed["data"][0]["last_used_at"].is_string());
    assert!(listed["data"][1]["revoked_at"].is_null());

    let missing = "01K0000000000000000000000A";
    let resp = admin_post(
        &app,
        &format!("/admin/api/keys/{missing}/revoke"),
        &json!({}),
    )
    .await;
    assert_error(resp, 404, "api-key.not-found").await;
    let resp = admin_post(
        &app,
        &format!("/admin/api/organizations/{missing}/keys"),
        &json!({}),
    )
    .await;
    assert_error(resp, 404, "organization.not-found").await;
    let resp = admin_post(&app, "/admin/api/organizations/nope/keys", &json!({})).await;
    assert_error(resp, 404, "organization.not-found").await;
}

#[actix_web::test]
async fn campaign_create_validates_every_field_and_identifiers_are_unique() {
    let app = spawn_app().await;
    let bad = json!({"identifier": "Not A Slug", "name": "", "image_url": 5,
        "impact_metrics": [{"key": "Bad Key", "name": "Hives", "unit_singular": "hive",
            "verb_present": "build", "verb_past": "built", "impact_per_dollar": "lots"}, 3]});
    let err = assert_error(
        admin_post(&app, "/admin/api/campaigns", &bad).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(
        fields(&err),
        [
            "identifier",
            "image_url",
            "impact_metrics.0.impact_per_dollar",
            "impact_metrics.0.key",
            "impact_metrics.0.unit_plural",
            "impact_metrics.1",
            "name",
        ]
    );
    let too_many = json!({"identifier": "bees", "name": "Bees",
        "impact_metrics": vec![campaign("x", "x")["impact_metrics"][0].clone(); 6]});
    let err = assert_error(
        admin_post(&app, "/admin/api/campaigns", &too_many).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(fields(&err), ["impact_metrics"]);

    let created = json_ok(
        admin_post(&app, "/admin/api/campaigns", &campaign("bees", "Bees")).await,
        201,
    )
    .await;
    assert_eq!(created["data"]["active"], true);
    assert_eq!(
        created["data"]["impact_metrics"][0]["impact_per_dollar"],
        0.5
    );
    let dup = admin_post(&app, "/admin/api/campaigns", &campaign("bees", "Other")).await;
    let err = assert_error(dup, 422, "validation.failed").await;
    assert_eq!(fields(&err), ["identifier"]);
    let dup = admin_post(&app, "/admin/api/campaigns", &campaign("cleanhub", "Other")).await;
    assert_error(dup, 422, "validation.failed").await;
}

#[actix_web::test]
async fn campaigns_are_replaced_and_deactivation_hides_them_from_the_public_list() {
    let app = spawn_app().await;
    json_ok(
        admin_post(&app, "/admin/api/campaigns", &campaign("bees", "Bees")).await,
        201,
    )
    .await;
    let public = json_ok(app.get("/campaigns").await, 200).await;
    assert!(public.to_string().contains("\"bees\""));

    let mut replacement = campaign("ignored-in-the-body", "Bees and Flowers");
    replacement["impact_metrics"][0]["impact_per_dollar"] = json!(2);
    let replaced = json_ok(
        admin_put(&app, "/admin/api/campaigns/bees", &replacement).await,
        200,
    )
    .await;
    assert_eq!(replaced["data"]["identifier"], "bees");
    assert_eq!(replaced["data"]["name"], "Bees and Flowers");
    assert_eq!(
        replaced["data"]["impact_metrics"][0]["impact_per_dollar"],
        2.0
    );
    let invalid = json!({"name": "", "impact_metrics": []});
    let err = assert_error(
        admin_put(&app, "/admin/api/campaigns/bees", &invalid).await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(fields(&err), ["impact_metrics", "name"]);

    let off = json_ok(
        admin_post(&app, "/admin/api/campaigns/bees/deactivate", &json!({})).await,
        200,
    )
    .await;
    assert_eq!(off["data"]["active"], false);
    let public = json_ok(app.get("/campaigns").await, 200).await;
    assert!(!public.to_string().contains("\"bees\""));
    let demo = json_ok(app.get("/demo/api/campaigns").await, 200).await;
    assert!(!demo.to_string().contains("\"bees\""));
    let all = json_ok(admin_get(&app, "/admin/api/campaigns").await, 200).await;
    let bees = all["data"]
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["identifier"] == "bees")
        .expect("the admin list keeps inactive campaigns");
    assert_eq!(bees["active"], false);
    // A session cannot offer it any more.
    let body = json!({"type": "add_on", "amount": 100, "available_campaigns": ["bees"]});
    assert_error(app.post("/sessions", &body).await, 422, "validation.failed").await;

    json_ok(
        admin_post(&app, "/admin/api/campaigns/bees/activate", &json!({})).await,
        200,
    )
    .await;
    let public = json_ok(app.get("/campaigns").await, 200).await;
    assert!(public.to_string().contains("\"bees\""));

    for resp in [
        admin_put(&app, "/admin/api/campaigns/nope", &campaign("nope", "Nope")).await,
        admin_put(
            &app,
            "/admin/api/campaigns/Not%20A%20Slug",
            &campaign("x", "X"),
        )
        .await,
        admin_post(&app, "/admin/api/campaigns/nope/activate", &json!({})).await,
        admin_post(&app, "/admin/api/campaigns/nope/deactivate", &json!({})).await,
    ] {
        assert_error(resp, 404, "campaign.not-found").await;
    }
}

#[actix_web::test]
async fn sessions_are_listed_by_organization_and_current_status() {
    let app = spawn_app().await;
    let sandbox = sandbox_id(&app).await;
    let (acme, acme_key) = app.new_org("Acme").await;
    let open = session(&app, API_KEY, "active").await;
    let processing = session(&app, API_KEY, "process").await;
    let confirmed = session(&app, API_KEY, "confirm").await;
    let other = session(&app, &acme_key, "active").await;
    let list = |query: String| {
        let app = &app;
        async move {
            json_ok(
                admin_get(app, &format!("/admin/api/sessions{query}")).await,
                200,
            )
            .await
        }
    };

    let all = list(String::new()).await;
    assert_eq!(all["total"], 4);
    assert_eq!(
        ids(&all),
        [
            other.as_str(),
            confirmed.as_str(),
            processing.as_str(),
            open.as_str()
        ]
    );
    for s in all["data"].as_array().expect("array") {
        assert!(
            s["session_secret"].is_null(),
            "the console never sees secrets"
        );
    }
    let confirmed_row = &all["data"][1];
    assert_eq!(confirmed_row["organization_id"], sandbox.as_str());
    assert_eq!(confirmed_row["donation_intents"][0]["amount"], 1000);
    assert_eq!(
        ids(&list(format!("?organization_id={acme}")).await),
        [other.as_str()]
    );
    let sandbox_active = list(format!("?organization_id={sandbox}&status=active")).await;
    assert_eq!(ids(&sandbox_active), [open.as_str()]);
    assert_eq!(
        ids(&list("?status=processing".into()).await),
        [processing.as_str()]
    );
    assert_eq!(
        ids(&list("?status=confirmed".into()).await),
        [confirmed.as_str()]
    );
    assert_eq!(list("?status=expired".into()).await["total"], 0);
    let page = list("?per_page=1&page=2".into()).await;
    assert_eq!(
        (page["current_page"].clone(), page["last_page"].clone()),
        (json!(2), json!(4))
    );
    assert_eq!(ids(&page), [confirmed.as_str()]);

    // Two days on, the open sessions have expired (processing extended its expiry by a week), and
    // the listing says so before the sweeper has run and after.
    app.clock.advance(2 * DAY);
    for sweep in [false, true] {
        if sweep {
            assert_eq!(app.sweep().await, 2);
        }
        let expired = list("?status=expired".into()).await;
        assert_eq!(ids(&expired), [other.as_str(), open.as_str()]);
        assert_eq!(expired["data"][0]["status"], "expired");
        let sandbox_expired = list(format!("?status=expired&organization_id={sandbox}")).await;
        assert_eq!(ids(&sandbox_expired), [open.as_str()]);
        assert_eq!(list("?status=active".into()).await["total"], 0);
        assert_eq!(
            ids(&list("?status=processing".into()).await),
            [processing.as_str()]
        );
    }
}

#[actix_web::test]
async fn intents_are_listed_by_organization() {
    let app = spawn_app().await;
    let sandbox = sandbox_id(&app).await;
    let (acme, acme_key) = app.new_org("Acme").await;
    app.create_intents(json!([{"amount": 100, "campaign_identifier": "cleanhub"},
        {"amount": 200, "campaign_identifier": "trees-for-the-future"}]))
        .await;
    let body = json!([{"amount": 300, "campaign_identifier": "cleanhub"}]);
    json_ok(
        with_key(&app, &acme_key, Method::POST, "/donation_intents", &body).await,
        201,
    )
    .await;

    let list = |query: String| {
        let app = &app;
        async move {
            json_ok(
                admin_get(app, &format!("/admin/api/donation_intents{query}")).await,
                200,
            )
            .await
        }
    };
    let all = list(String::new()).await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["data"][0]["amount"], 300, "newest first");
    let own = list(format!("?organization_id={sandbox}")).await;
    assert_eq!(own["total"], 2);
    let amounts: Vec<&Value> = own["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| &i["amount"])
        .collect();
    assert_eq!(amounts, [&json!(200), &json!(100)]);
    assert_eq!(own["data"][0]["impact"][0]["label"], "8 trees planted");
    let theirs = list(format!("?organization_id={acme}")).await;
    assert_eq!(theirs["total"], 1);
    assert_eq!(theirs["data"][0]["amount"], 300);
    let page = list("?per_page=2&page=2&sort_order=asc".into()).await;
    assert_eq!(page["data"][0]["amount"], 300);
    assert_eq!(
        (page["from"].clone(), page["to"].clone()),
        (json!(3), json!(3))
    );
}

#[actix_web::test]
async fn billing_is_per_organization_and_month() {
    let app = spawn_app().await;
    let sandbox = sandbox_id(&app).await;
    let (acme, acme_key) = app.new_org("Acme").await;
    let first = app
        .create_intents(json!([{"amount": 1000, "campaign_identifier": "cleanhub"},
            {"amount": 250, "campaign_identifier": "cleanhub"}]))
        .await;
    let cancelled = app
        .create_intents(json!([{"amount": 9999, "campaign_identifier": "cleanhub"}]))
        .await;
    let path = format!(
        "/donation_intents/{}/cancel",
        cancelled[0]["id"].as_str().expect("id")
    );
    json_ok(app.put(&path, &json!({})).await, 200).await;
    let body = json!([{"amount": 500, "campaign_identifier": "cleanhub"}]);
    json_ok(
        with_key(&app, &acme_key, Method::POST, "/donation_intents", &body).await,
        201,
    )
    .await;
    // Forty days on is another calendar month, whatever today is.
    app.clock.advance(40 * DAY);
    let later = app
        .create_intents(json!([{"amount": 700, "campaign_identifier": "cleanhub"}]))
        .await;
    let month =
        |intent: &Value| intent["created_at"].as_str().expect("created_at")[..7].to_string();
    let (m1, m2) = (month(&first[0]), month(&later[0]));
    assert_ne!(m1, m2);

    let billing = |query: String| {
        let app = &app;
        async move {
            json_ok(
                admin_get(app, &format!("/admin/api/billing{query}")).await,
                200,
            )
            .await["data"]
                .clone()
        }
    };
    let all = billing(String::new()).await;
    assert_eq!(
        all,
        json!([
            {"organization_id": sandbox, "organization_name": "Sandbox", "month": m2, "donation_count": 1, "total_amount": 700},
            {"organization_id": acme, "organization_name": "Acme", "month": m1, "donation_count": 1, "total_amount": 500},
            {"organization_id": sandbox, "organization_name": "Sandbox", "month": m1, "donation_count": 2, "total_amount": 1250},
        ])
    );
    let own = billing(format!("?organization_id={sandbox}")).await;
    assert_eq!(own.as_array().expect("array").len(), 2);
    let one = billing(format!("?organization_id={sandbox}&month={m1}")).await;
    assert_eq!(one, json!([all[2].clone()]));
    let month_only = billing(format!("?month={m1}")).await;
    assert_eq!(month_only, json!([all[1].clone(), all[2].clone()]));
    assert_eq!(billing("?month=1999-01".into()).await, json!([]));
}

#[actix_web::test]
async fn impact_and_daily_stats_sum_the_intents() {
    let app = spawn_app().await;
    let (acme, acme_key) = app.new_org("Acme").await;
    app.create_intents(
        json!([{"amount": 1000, "campaign_identifier": "trees-for-the-future"},
        {"amount": 250, "campaign_identifier": "trees-for-the-future"}]),
    )
    .await;
    let body = json!([{"amount": 500, "campaign_identifier": "cleanhub"}]);
    json_ok(
        with_key(&app, &acme_key, Method::POST, "/donation_intents", &body).await,
        201,
    )
    .await;

    let all = json_ok(admin_get(&app, "/admin/api/impact").await, 200).await;
    let labels: Vec<&str> = all["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["label"].as_str().expect("label"))
        .collect();
    assert_eq!(labels, ["5 kg of plastic collected", "50 trees planted"]);
    let theirs = json_ok(
        admin_get(&app, &format!("/admin/api/impact?organization_id={acme}")).await,
        200,
    )
    .await;
    assert_eq!(theirs["data"].as_array().expect("array").len(), 1);

    let daily = json_ok(admin_get(&app, "/admin/api/stats/daily").await, 200).await;
    let days = daily["data"].as_array().expect("array");
    assert_eq!(days.len(), 30);
    let today = app.clock.now().date_naive().to_string();
    assert_eq!(
        days[29],
        json!({"date": today, "donation_count": 3, "total_amount": 1750})
    );
    assert_eq!(days[0]["donation_count"], 0);
    let week = json_ok(admin_get(&app, "/admin/api/stats/daily?days=7").await, 200).await;
    assert_eq!(week["data"].as_array().expect("array").len(), 7);
}

#[actix_web::test]
async fn bad_listing_parameters_are_422_never_ignored() {
    let app = spawn_app().await;
    let cases = [
        (
            "/admin/api/sessions?organization_id=acme",
            vec!["organization_id"],
        ),
        ("/admin/api/sessions?status=done", vec!["status"]),
        (
            "/admin/api/sessions?page=0&per_page=101",
            vec!["page", "per_page"],
        ),
        (
            "/admin/api/donation_intents?organization_id=1",
            vec!["organization_id"],
        ),
        ("/admin/api/donation_intents?page=x", vec!["page"]),
        (
            "/admin/api/billing?organization_id=acme",
            vec!["organization_id"],
        ),
        ("/admin/api/billing?month=2024-13", vec!["month"]),
        ("/admin/api/billing?month=2024-1", vec!["month"]),
        (
            "/admin/api/keys?organization_id=acme",
            vec!["organization_id"],
        ),
        (
            "/admin/api/impact?organization_id=acme",
            vec!["organization_id"],
        ),
        ("/admin/api/stats/daily?days=0", vec!["days"]),
        ("/admin/api/stats/daily?days=367", vec!["days"]),
    ];
    for (path, expected) in cases {
        let err = assert_error(admin_get(&app, path).await, 422, "validation.failed").await;
        assert_eq!(fields(&err), expected, "{path}");
    }
}

#[actix_web::test]
async fn clock_and_sweep() {
    let app = spawn_app().await;
    let before = json_ok(admin_get(&app, "/admin/api/clock").await, 200).await;
    let moved = json_ok(
        admin_post(&app, "/admin/api/clock/advance", &json!({"seconds": DAY})).await,
        200,
    )
    .await;
    assert!(moved["data"]["now"].as_str() > before["data"]["now"].as_str());
    for body in [
        json!({}),
        json!({"seconds": 0}),
        json!({"seconds": 315_360_001}),
    ] {
        let resp = admin_post(&app, "/admin/api/clock/advance", &body).await;
        let err = assert_error(resp, 422, "validation.failed").await;
        assert_eq!(fields(&err), ["seconds"]);
    }
    session(&app, API_KEY, "active").await;
    app.clock.advance(2 * DAY);
    let swept = json_ok(admin_post(&app, "/admin/api/sweep", &json!({})).await, 200).await;
    assert_eq!(swept["data"]["expired"], 1);

    let plain = spawn_app_with(|c| c.serve.time_travel = false).await;
    assert_error(
        admin_get(&plain, "/admin/api/clock").await,
        404,
        "route.not-found",
    )
    .await;
    let resp = admin_post(&plain, "/admin/api/clock/advance", &json!({"seconds": 1})).await;
    assert_error(resp, 404, "route.not-found").await;
}

#[actix_web::test]
async fn the_demo_checkout_runs_in_the_sandbox_without_credentials() {
    let app = spawn_app().await;
    let sandbox = sandbox_id(&app).await;
    let campaigns = json_ok(
        app.client
            .get(app.url("/demo/api/campaigns"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(campaigns["data"].as_array().expect("array").len(), 5);
    let post_with = |path: String, body: Value, secret: Option<String>| {
        let app = &app;
        async move {
            let mut req = app.client.post(app.url(&path)).json(&body);
            if let Some(secret) = secret {
                req = req.header("X-Session-Secret", secret);
            }
            req.send().await.expect("request")
        }
    };
    let post = |path: String, body: Value| post_with(path, body, None);
    let bad = post(
        "/demo/api/sessions".into(),
        json!({"amount": 0, "available_campaigns": []}),
    )
    .await;
    let err = assert_error(bad, 422, "validation.failed").await;
    assert_eq!(fields(&err), ["amount", "available_campaigns"]);
    // Only the amount and campaigns are taken: no other type, no customer of someone else.
    let body = json!({"amount": 1250, "available_campaigns": ["cleanhub"], "type": "portion_of_sales",
        "customer_id": "01K0000000000000000000000A"});
    let created = json_ok(post("/demo/api/sessions".into(), body).await, 201).await["data"].clone();
    assert_eq!(created["type"], "add_on");
    let id = created["id"].as_str().expect("id").to_string();
    let secret = created["session_secret"]
        .as_str()
        .expect("secret")
        .to_string();

    let read = app
        .client
        .get(app.url(&format!("/sessions/{id}")))
        .header("X-Session-Secret", &secret)
        .send()
        .await
        .expect("request");
    let read = json_ok(read, 200).await;
    assert_eq!(
        read["data"]["campaigns"][0]["impact"][0]["label"],
        "12.5 kg of plastic collected"
    );
    let chosen = app
        .client
        .post(app.url(&format!("/sessions/{id}/choose_campaign")))
        .header("X-Session-Secret", &secret)
        .json(&json!({"campaign_identifier": "cleanhub"}))
        .send()
        .await
        .expect("request");
    json_ok(chosen, 200).await;
    // The merchant side of the demo needs the session's secret.
    let unauthenticated = post(format!("/demo/api/sessions/{id}/process"), json!({})).await;
    assert_error(unauthenticated, 401, "auth.unauthorized").await;
    let wrong = post_with(
        format!("/demo/api/sessions/{id}/process"),
        json!({}),
        Some("x".repeat(64)),
    )
    .await;
    assert_error(wrong, 401, "auth.unauthorized").await;
    let processed = json_ok(
        post_with(
            format!("/demo/api/sessions/{id}/process"),
            json!({}),
            Some(secret.clone()),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(processed["data"]["status"], "processing");
    let confirmed = json_ok(
        post_with(
            format!("/demo/api/sessions/{id}/confirm"),
            json!({}),
            Some(secret.clone()),
        )
        .await,
        200,
    )
    .await;
    let intent = &confirmed["data"]["donation_intents"][0];
    assert_eq!(intent["amount"], 1250);
    let listed = json_ok(
        admin_get(
            &app,
            &format!("/admin/api/donation_intents?organization_id={sandbox}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(listed["data"][0]["id"], intent["id"]);

    // The demo reaches its own Sandbox sessions only: not another organization's, and not a
    // Sandbox session made with the API key, even with that session's secret.
    let (_, acme_key) = app.new_org("Acme").await;
    let theirs = session(&app, &acme_key, "active").await;
    let resp = post_with(
        format!("/demo/api/sessions/{theirs}/confirm"),
        json!({}),
        Some(secret.clone()),
    )
    .await;
    assert_error(resp, 404, "session.not-found").await;
    let merchant = app
        .create_session(
            json!({"type": "add_on", "amount": 100, "available_campaigns": ["cleanhub"]}),
        )
        .await;
    let merchant_secret = merchant["session_secret"].as_str().map(str::to_string);
    let merchant_id = merchant["id"].as_str().expect("id");
    let resp = post_with(
        format!("/demo/api/sessions/{merchant_id}/confirm"),
        json!({}),
        merchant_secret,
    )
    .await;
    assert_error(resp, 404, "session.not-found").await;

    // With every campaign inactive the list is empty, not an error.
    let all = json_ok(admin_get(&app, "/admin/api/campaigns").await, 200).await;
    for c in all["data"].as_array().expect("array") {
        let path = format!(
            "/admin/api/campaigns/{}/deactivate",
            c["identifier"].as_str().expect("identifier")
        );
        json_ok(admin_post(&app, &path, &json!({})).await, 200).await;
    }
    let none = json_ok(
        app.client
            .get(app.url("/demo/api/campaigns"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(none["data"], json!([]));
}

#[actix_web::test]
async fn the_pages_are_embedded_with_a_strict_policy() {
    let app = spawn_app().await;
    let get = |path: &'static str| {
        let app = &app;
        async move { app.client.get(app.url(path)).send().await.expect("request") }
    };
    for (path, kind, marker) in [
        ("/admin/", "text/html", "app.js"),
        ("/admin/app.js", "javascript", "/admin/api"),
        ("/admin/app.css", "text/css", ":root"),
        ("/demo/", "text/html", "demo.js"),
        ("/demo/demo.js", "javascript", "/demo/api/sessions"),
        ("/demo/demo.css", "text/css", ":root"),
    ] {
        let resp = get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let content_type = header("content-type");
        assert!(content_type.contains(kind), "{path}: {content_type}");
        assert!(
            content_type.contains("charset=utf-8"),
            "{path}: {content_type}"
        );
        let csp = header("content-security-policy");
        if kind == "text/html" {
            assert!(
                csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
                "{csp}"
            );
        }
        let etag = header("etag");
        assert!(!etag.is_empty());
        let body = resp.text().await.expect("body");
        assert!(body.contains(marker), "{path}");
        // No inline code: the policy would block it.
        assert!(
            !body.contains("<style") && !body.contains(" style=") && !body.contains("<script>"),
            "{path}"
        );
        let again = app
            .client
            .get(app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status(), 304, "{path}");
    }
    let redirected = get("/admin").await;
    assert_eq!(redirected.status(), 200);
    assert_eq!(redirected.url().path(), "/admin/");
    for path in [
        "/admin/nope.js",
        "/demo/missing.css",
        "/admin/..%2FCargo.toml",
    ] {
        assert_error(get(path).await, 404, "route.not-found").await;
    }
}

//! The checkout widget's routes (SPEC 10): the page's headers, the SDK's, and the widget's data.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn add_on(app: &TestApp) -> (String, String) {
    let s = app
        .create_session(json!({"type": "add_on", "amount": 1250,
            "available_campaigns": ["cleanhub", "trees-for-the-future"], "expires_in": 15}))
        .await;
    (
        s["id"].as_str().expect("id").to_string(),
        s["session_secret"].as_str().expect("secret").to_string(),
    )
}

async fn widget_read(app: &TestApp, id: &str, secret: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .get(app.url(&format!("/widget/api/sessions/{id}")));
    if let Some(secret) = secret {
        req = req.header("X-Session-Secret", secret);
    }
    req.send().await.expect("request")
}

/// `now` is the server clock's time (moved or not) between `before` and `after`, in the SPEC 1 form.
#[track_caller]
fn assert_now_is_the_server_clock(body: &Value, before: i64, after: i64) {
    let text = body["now"].as_str().expect("now");
    assert_eq!(text.len(), "2026-11-24T12:34:56.123456Z".len(), "{text}");
    let now = chrono::DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .timestamp_micros();
    assert!(
        (before..=after).contains(&now),
        "{before} <= {now} <= {after}"
    );
}

#[actix_web::test]
async fn the_page_is_framable_from_anywhere_and_renders_the_style_mode() {
    let app = spawn_app().await;
    for path in ["/widget", "/widget/"] {
        let resp = app
            .client
            .get(app.url(&format!("{path}?styleMode=dark&sessionId=x")))
            .header("Origin", "https://shop.example")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200);
        let h = resp.headers().clone();
        let csp = h["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors *"), "{csp}");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(h.get("x-frame-options").is_none());
        assert!(h["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html"));
        let html = resp.text().await.expect("body");
        assert!(html.contains("data-style=\"dark\""), "{html}");
        assert!(html.contains(&format!("data-version=\"{}\"", env!("CARGO_PKG_VERSION"))));
        // No external resources: every src and href is this server's.
        for attr in ["src=\"", "href=\""] {
            for part in html.split(attr).skip(1) {
                assert!(part.starts_with("/widget/"), "{attr}{part}");
            }
        }
    }
    let plain = app
        .client
        .get(app.url("/widget?styleMode=%22%3E%3Cscript%3E"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body");
    assert!(plain.contains("data-style=\"light\""));
    assert!(!plain.contains("<script>"));
}

#[actix_web::test]
async fn the_admin_and_demo_stay_unframable() {
    let app = spawn_app().await;
    for path in ["/admin/", "/demo/"] {
        let resp = app.client.get(app.url(path)).send().await.expect("request");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_string();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

#[actix_web::test]
async fn the_sdk_is_a_module_any_origin_may_load() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/widget/sdk.js"))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/javascript"));
    let js = resp.text().await.expect("body");
    for name in [
        "export function createWidget",
        "export function createPreviewWidget",
        "export class WidgetError",
        "export const WidgetErrorCode",
    ] {
        assert!(js.contains(name), "{name}");
    }
    // The rest of the API does not open up to any origin.
    let api = app
        .client
        .get(app.url("/campaigns"))
        .bearer_auth(API_KEY)
        .header("Origin", "https://shop.example")
        .send()
        .await
        .expect("request");
    assert!(api.headers().get("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn session_data_needs_the_secret_of_an_interactive_session() {
    let app = spawn_app().await;
    let (id, secret) = add_on(&app).await;
    let before = app.clock.now_micros();
    let body = json_ok(widget_read(&app, &id, Some(&secret)).await, 200).await;
    let data = &body["data"];
    assert_eq!(data["id"], id.as_str());
    assert_eq!(data["type"], "add_on");
    assert_eq!(data["amount"], 1250);
    assert_eq!(data["status"], "active");
    assert_eq!(data["campaigns"][0]["slug"], "cleanhub");
    assert_eq!(data["impact"][1]["impactText"], "50 trees planted");
    assert_eq!(data["selectedCampaign"], Value::Null);
    assert!(data.get("session_secret").is_none() && data.get("metadata").is_none());
    assert_now_is_the_server_clock(&body, before, app.clock.now_micros());

    assert_error(widget_read(&app, &id, None).await, 401, "auth.unauthorized").await;
    assert_error(
        widget_read(&app, &id, Some("wrong")).await,
        401,
        "auth.unauthorized",
    )
    .await;
    assert_error(
        widget_read(&app, "01ARZ3NDEKTSV4RRFFQ69G5FAV", Some(&secret)).await,
        404,
        "session.not-found",
    )
    .await;
    assert_error(
        widget_read(&app, "not-a-ulid", Some(&secret)).await,
        404,
        "session.not-found",
    )
    .await;
}

#[actix_web::test]
async fn session_data_follows_the_choice_and_the_clock() {
    let app = spawn_app().await;
    let (id, secret) = add_on(&app).await;
    let chosen = app
        .client
        .post(app.url(&format!("/sessions/{id}/choose_campaign")))
        .header("X-Session-Secret", &secret)
        .json(&json!({"campaign_identifier": "cleanhub"}))
        .send()
        .await
        .expect("request");
    assert_eq!(chosen.status(), 200);
    let data = json_ok(widget_read(&app, &id, Some(&secret)).await, 200).await["data"].clone();
    assert_eq!(data["selectedCampaign"], "cleanhub");
    assert_eq!(
        data["allocations"],
        json!([{"campaignIdentifier": "cleanhub", "amount": 1250,
            "campaign": data["campaigns"][0].clone()}])
    );

    app.clock.advance(16 * 60);
    let before = app.clock.now_micros();
    let body = json_ok(widget_read(&app, &id, Some(&secret)).await, 200).await;
    assert_eq!(body["data"]["status"], "expired");
    assert_now_is_the_server_clock(&body, before, app.clock.now_micros());
}

#[actix_web::test]
async fn a_portion_of_sales_view_needs_no_secret() {
    let app = spawn_app().await;
    let s = app
        .create_session(
            json!({"type": "portion_of_sales", "metadata": {"order": "A-1"},
            "allocations": [{"campaign_identifier": "community-meals", "amount": 300}]}),
        )
        .await;
    let id = s["id"].as_str().expect("id");
    for secret in [None, Some("anything")] {
        let body = json_ok(widget_read(&app, id, secret).await, 200).await;
        let data = &body["data"];
        assert_eq!(data["type"], "portion_of_sales");
        assert!(data.get("amount").is_none(), "{data}");
        assert_eq!(data["allocations"][0]["amount"], 300);
        assert_eq!(data["impact"][0]["impactText"], "30 meals served");
        assert!(!body.to_string().contains("A-1"));
    }
}

#[actix_web::test]
async fn preview_data_lists_active_campaigns_with_the_impact_of_the_amount() {
    let app = spawn_app().await;
    let get = |q: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/widget/api/campaigns{q}")))
                .send()
                .await
                .expect("request")
        }
    };
    let body = json_ok(
        get("?identifiers=trees-for-the-future,cleanhub&amount=500").await,
        200,
    )
    .await;
    let data = body["data"].as_array().expect("list");
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["slug"], "trees-for-the-future");
    assert_eq!(data[0]["impact"][0]["impactText"], "20 trees planted");
    assert_eq!(
        data[1]["impact"][0]["impactText"],
        "5 kg of plastic collected"
    );
    let all = json_ok(get("?amount=100").await, 200).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(5));

    let bad = assert_error(
        get("?identifiers=cleanhub,nope&amount=0").await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(fields(&bad), ["amount", "identifiers"]);
    let missing = assert_error(get("").await, 422, "validation.failed").await;
    assert_eq!(fields(&missing), ["amount"]);

    let off = app
        .admin(Method::POST, "/admin/api/campaigns/cleanhub/deactivate")
        .json(&json!({}))
        .send()
        .await
        .expect("request");
    assert_eq!(off.status(), 200);
    app.state.catalog.invalidate();
    assert_error(
        get("?identifiers=cleanhub&amount=100").await,
        422,
        "validation.failed",
    )
    .await;
}

//! Resetting an organization: counts, isolation, kept totals.

use super::*;
use crate::helpers::{assert_error, json_ok, spawn_app, API_KEY};
use reqwest::Method;
use serde_json::json;

#[actix_web::test]
async fn reset_deletes_one_organizations_data_and_keeps_its_keys_and_totals_right() {
    let app = spawn_app().await;
    let a = sandbox(&app);
    let (b, key_b) = app.new_org("Other").await;
    populate(&app, API_KEY, "a").await;
    let made_b = populate(&app, &key_b, "b").await;
    // Every change above recorded its webhook event (SPEC 11); the reset deletes them.
    let events_a = json_ok(app.get("/events?per_page=1").await, 200).await["total"].clone();
    assert!(events_a.as_u64().is_some_and(|n| n >= 12));
    let requests_a =
        admin_get(&app, &format!("/admin/api/requests?org={a}")).await["total"].clone();
    let requests_b =
        admin_get(&app, &format!("/admin/api/requests?org={b}")).await["total"].clone();
    assert!(requests_a.as_u64().is_some_and(|n| n > 10));

    let reset = app
        .admin(Method::POST, &format!("/admin/api/organizations/{a}/reset"))
        .send()
        .await
        .expect("request");
    let deleted = json_ok(reset, 200).await["data"]["deleted"].clone();
    assert_eq!(
        deleted,
        json!({"customers": 2, "vendors": 1, "donation_intents": 5, "sessions": 4,
               "events": events_a, "requests": requests_a})
    );
    assert_kept_totals_match(&app.db_path);
    assert_nothing_left(&app.db_path, &a);

    // The key still works, and the organization is empty.
    for list in ["/customers", "/vendors", "/donation_intents"] {
        let page = json_ok(app.get(list).await, 200).await;
        assert_eq!(page["total"], 0, "{list}");
        assert_eq!(page["data"], json!([]), "{list}");
    }
    let sessions = admin_get(&app, &format!("/admin/api/sessions?organization_id={a}")).await;
    assert_eq!(sessions["total"], 0);
    // Only the three lists above, made after the reset.
    assert_eq!(
        admin_get(&app, &format!("/admin/api/requests?org={a}")).await["total"],
        3
    );
    // The other organization is untouched, its request log included.
    let page = |path: &'static str| {
        let req = app.client.get(app.url(path)).bearer_auth(&key_b);
        async move { json_ok(req.send().await.expect("request"), 200).await }
    };
    assert_eq!(page("/customers").await["total"], 2);
    assert_eq!(page("/donation_intents").await["total"], 5);
    let customer_b = made_b["customers"][0].as_str().expect("id").to_string();
    let metrics = app
        .client
        .get(app.url(&format!("/customers/{customer_b}/impact_metrics")))
        .bearer_auth(&key_b)
        .send()
        .await
        .expect("request");
    let metrics = json_ok(metrics, 200).await;
    assert_eq!(metrics["data"]["donation_count"], 2);
    assert_eq!(metrics["data"]["total_amount"], 2250);
    assert_eq!(
        admin_get(&app, &format!("/admin/api/requests?org={b}")).await["total"].as_u64(),
        requests_b.as_u64().map(|n| n + 3)
    );

    // Counters start again from zero, and the same external ids can be used again.
    populate(&app, API_KEY, "a").await;
    assert_eq!(json_ok(app.get("/customers").await, 200).await["total"], 2);
    assert_eq!(
        json_ok(app.get("/donation_intents").await, 200).await["total"],
        5
    );
    assert_kept_totals_match(&app.db_path);

    let unknown = app
        .admin(
            Method::POST,
            "/admin/api/organizations/01ARZ3NDEKTSV4RRFFQ69G5FAV/reset",
        )
        .send()
        .await
        .expect("request");
    assert_error(unknown, 404, "organization.not-found").await;
    let with_key = app
        .post(&format!("/admin/api/organizations/{a}/reset"), &json!({}))
        .await;
    assert_error(with_key, 401, "auth.unauthorized").await;
}

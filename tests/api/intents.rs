//! Direct donation intents (SPEC 5.3): batch create, list, get, cancel, and the impact snapshot.

use crate::directory::{as_key, create_party, day, donate, id_of, ids, is_micros_timestamp, raw};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

fn item(amount: i64, campaign: &str) -> Value {
    json!({ "amount": amount, "campaign_identifier": campaign })
}

/// `n` valid items.
fn batch(n: usize) -> Vec<Value> {
    (0..n).map(|i| item(100 + i as i64, "cleanhub")).collect()
}

/// The Sandbox organization's (donation_count, total_amount) on the operator's billing page; the
/// tests below create every intent in one month.
async fn billed(app: &TestApp) -> (i64, i64) {
    let body = json_ok(
        app.admin(Method::GET, "/admin/api/billing")
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    let rows = body["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{body}");
    (
        rows[0]["donation_count"].as_i64().expect("count"),
        rows[0]["total_amount"].as_i64().expect("amount"),
    )
}

async fn total(app: &TestApp) -> Value {
    json_ok(app.get("/donation_intents").await, 200).await["total"].clone()
}

#[actix_web::test]
async fn create_takes_a_bare_array_or_an_intents_object() {
    let app = spawn_app().await;
    let created = app
        .create_intents(json!([
            item(1000, "trees-for-the-future"),
            item(15, "yellow-rooms")
        ]))
        .await;
    assert_eq!(created.len(), 2);
    let first = &created[0];
    let mut keys: Vec<&String> = first.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "amount",
            "campaign",
            "campaign_identifier",
            "created_at",
            "customer_id",
            "id",
            "impact",
            "session_id",
            "vendor_id"
        ]
    );
    assert_eq!(first["amount"], 1000);
    assert_eq!(first["campaign_identifier"], "trees-for-the-future");
    assert_eq!(
        first["campaign"],
        json!({"identifier": "trees-for-the-future", "name": "Trees for the Future"})
    );
    assert!(first["customer_id"].is_null() && first["vendor_id"].is_null());
    assert!(first["session_id"].is_null());
    assert!(is_micros_timestamp(&first["created_at"]), "{first}");
    assert_eq!(
        first["impact"],
        json!([{"key": "trees_planted", "name": "Trees planted", "emoji": "🌳", "icon": "tree",
                "quantity": 40.0, "unit": "trees", "label": "40 trees planted"}])
    );
    assert_eq!(
        created[1]["impact"][0]["label"],
        "0.03 safe nights provided"
    );
    assert_eq!(created[1]["amount"], 15);

    let wrapped = app
        .create_intents(
            json!({"intents": [item(300, "cleanhub"), item(400, "community-meals"),
                                            item(500, "plastic-fischer")]}),
        )
        .await;
    let amounts: Vec<&Value> = wrapped.iter().map(|i| &i["amount"]).collect();
    assert_eq!(amounts, [300, 400, 500], "request order");
    assert_eq!(
        wrapped[2]["impact"][0]["label"],
        "10 kg of river plastic removed"
    );

    for intent in created.iter().chain(&wrapped) {
        let got = json_ok(
            app.get(&format!("/donation_intents/{}", id_of(intent)))
                .await,
            200,
        )
        .await;
        assert_eq!(&got["data"], intent);
    }
    assert_eq!(total(&app).await, 5);
}

#[actix_web::test]
async fn a_batch_has_1_to_50_items_and_a_refused_batch_stores_nothing() {
    let app = spawn_app().await;
    for body in [json!(batch(51)), json!({ "intents": batch(51) })] {
        assert_error(
            app.post("/donation_intents", &body).await,
            422,
            "validation.failed",
        )
        .await;
    }
    for body in [
        json!([]),
        json!({"intents": []}),
        json!({}),
        json!({"intents": "x"}),
    ] {
        assert_error(
            app.post("/donation_intents", &body).await,
            422,
            "validation.failed",
        )
        .await;
    }
    assert_eq!(total(&app).await, 0);

    let fifty = app.create_intents(json!(batch(50))).await;
    assert_eq!(fifty.len(), 50);
    let amounts: Vec<i64> = fifty.iter().filter_map(|i| i["amount"].as_i64()).collect();
    assert_eq!(amounts, (100..150).collect::<Vec<_>>());
    assert_eq!(total(&app).await, 50);
}

#[actix_web::test]
async fn one_bad_item_rejects_the_batch_naming_its_index() {
    let app = spawn_app().await;
    let mut items = batch(50);
    items[37]["amount"] = json!(0);
    for body in [json!(items.clone()), json!({ "intents": items.clone() })] {
        let err = assert_error(
            app.post("/donation_intents", &body).await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&err), ["37.amount"], "index-first in both forms");
    }
    assert_eq!(total(&app).await, 0);

    // Every bad item is reported at once.
    let mut items = batch(10);
    items[1]["amount"] = json!(1_000_000_001);
    items[3]["campaign_identifier"] = json!("no-such-campaign");
    items[4] = json!({"campaign_identifier": "cleanhub"});
    items[5] = json!({"amount": 100});
    items[6] = json!("not an object");
    items[7]["amount"] = Value::Null;
    items[8]["campaign_identifier"] = Value::Null;
    let err = assert_error(
        app.post("/donation_intents", &json!({ "intents": items }))
            .await,
        422,
        "validation.failed",
    )
    .await;
    let mut got = fields(&err);
    got.sort();
    assert_eq!(
        got,
        [
            "1.amount",
            "3.campaign_identifier",
            "4.amount",
            "5.campaign_identifier",
            "6",
            "7.amount",
            "8.campaign_identifier"
        ]
    );
    assert_eq!(
        err["error"]["details"]["fields"]["3.campaign_identifier"],
        json!(["unknown campaign"])
    );
    assert_eq!(total(&app).await, 0);
}

#[actix_web::test]
async fn wrong_json_types_are_422_on_the_field() {
    let app = spawn_app().await;
    for (bad, field) in [
        (
            json!({"amount": "1000", "campaign_identifier": "cleanhub"}),
            "0.amount",
        ),
        (
            json!({"amount": 10.5, "campaign_identifier": "cleanhub"}),
            "0.amount",
        ),
        (
            // A whole number, but past any amount.
            json!({"amount": 1e21, "campaign_identifier": "cleanhub"}),
            "0.amount",
        ),
        (
            json!({"amount": true, "campaign_identifier": "cleanhub"}),
            "0.amount",
        ),
        (
            json!({"amount": -5, "campaign_identifier": "cleanhub"}),
            "0.amount",
        ),
        (
            json!({"amount": 0, "campaign_identifier": "cleanhub"}),
            "0.amount",
        ),
        (
            json!({"amount": 1000, "campaign_identifier": 5}),
            "0.campaign_identifier",
        ),
        (
            json!({"amount": 1000, "campaign_identifier": ["cleanhub"]}),
            "0.campaign_identifier",
        ),
    ] {
        let err = assert_error(
            app.post("/donation_intents", &json!([bad])).await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&err), [field], "{bad}");
    }
    // The bounds themselves are accepted.
    let edges = app
        .create_intents(json!([
            item(1, "cleanhub"),
            item(1_000_000_000, "cleanhub")
        ]))
        .await;
    assert_eq!(edges[1]["amount"], 1_000_000_000);

    // An inactive campaign takes no new intents.
    json_ok(
        app.admin(Method::POST, "/admin/api/campaigns/cleanhub/deactivate")
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    let err = assert_error(
        app.post("/donation_intents", &json!([item(100, "cleanhub")]))
            .await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(fields(&err), ["0.campaign_identifier"]);
    assert_eq!(total(&app).await, 2);
}

#[actix_web::test]
async fn a_body_of_the_wrong_kind_is_invalid_json() {
    let app = spawn_app().await;
    for body in [
        Some("\"x\""),
        Some("42"),
        Some("true"),
        Some("null"),
        Some("[{\"amount\": 1"),
        Some("amount=1"),
        Some(""),
        None,
    ] {
        assert_error(
            raw(&app, Method::POST, "/donation_intents", body).await,
            400,
            "request.invalid-json",
        )
        .await;
    }
    // No Content-Type needed for a good body.
    let ok = raw(
        &app,
        Method::POST,
        "/donation_intents",
        Some(r#"[{"amount": 100, "campaign_identifier": "cleanhub"}]"#),
    )
    .await;
    json_ok(ok, 201).await;
}

#[actix_web::test]
async fn impact_is_fixed_when_the_intent_is_created() {
    let app = spawn_app().await;
    let customer = id_of(&create_party(&app, "/customers", json!({})).await);
    let direct = app
        .create_intents(json!([item(1000, "trees-for-the-future")]))
        .await;
    let via_session = donate(&app, Some(&customer), None, "trees-for-the-future", 1000).await;
    assert_eq!(direct[0]["impact"][0]["quantity"], 40.0);
    assert_eq!(via_session["impact"][0]["quantity"], 40.0);

    let mut campaign =
        json_ok(app.get("/campaigns/trees-for-the-future").await, 200).await["data"].clone();
    campaign["impact_metrics"][0]["impact_per_dollar"] = json!(10.0);
    json_ok(
        app.admin(Method::PUT, "/admin/api/campaigns/trees-for-the-future")
            .json(&campaign)
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;

    let fresh = app
        .create_intents(json!([item(1000, "trees-for-the-future")]))
        .await;
    assert_eq!(
        fresh[0]["impact"][0]["quantity"], 100.0,
        "new intents use the new ratio"
    );
    donate(&app, Some(&customer), None, "trees-for-the-future", 1000).await;

    for old in [&direct[0], &via_session] {
        let got = json_ok(
            app.get(&format!("/donation_intents/{}", id_of(old))).await,
            200,
        )
        .await;
        assert_eq!(
            got["data"]["impact"], old["impact"],
            "history is not rewritten"
        );
    }
    let list = json_ok(app.get("/donation_intents?sort_order=asc").await, 200).await;
    let quantities: Vec<&Value> = list["data"]
        .as_array()
        .expect("array")
        .iter()
        .map(|i| &i["impact"][0]["quantity"])
        .collect();
    assert_eq!(quantities, [40.0, 40.0, 100.0, 100.0]);
    let totals = json_ok(
        app.get(&format!("/customers/{customer}/impact_metrics"))
            .await,
        200,
    )
    .await;
    assert_eq!(totals["data"]["impact_metrics"][0]["quantity"], 140.0);
    assert_eq!(
        totals["data"]["impact_metrics"][0]["label"],
        "140 trees planted"
    );
}

#[actix_web::test]
async fn cancel_deletes_the_intent_and_it_leaves_every_total() {
    let app = spawn_app().await;
    let customer = id_of(&create_party(&app, "/customers", json!({})).await);
    let kept = donate(&app, Some(&customer), None, "cleanhub", 300).await;
    let doomed = donate(&app, Some(&customer), None, "trees-for-the-future", 500).await;
    let direct = app.create_intents(json!([item(700, "cleanhub")])).await;
    assert_eq!(total(&app).await, 3);
    assert_eq!(billed(&app).await, (3, 1500));

    let id = id_of(&doomed);
    let cancelled = json_ok(
        raw(
            &app,
            Method::PUT,
            &format!("/donation_intents/{id}/cancel"),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(cancelled, json!({"data": {"id": id, "cancelled": true}}));

    assert_error(
        app.get(&format!("/donation_intents/{id}")).await,
        404,
        "donation-intent.not-found",
    )
    .await;
    assert_error(
        app.put(&format!("/donation_intents/{id}/cancel"), &json!({}))
            .await,
        404,
        "donation-intent.not-found",
    )
    .await;

    let list = json_ok(app.get("/donation_intents").await, 200).await;
    assert_eq!(list["total"], 2);
    assert_eq!(ids(&list), [id_of(&direct[0]), id_of(&kept)]);

    let totals = json_ok(
        app.get(&format!("/customers/{customer}/impact_metrics"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        totals["data"],
        json!({"customer_id": customer, "date_from": null, "date_to": null,
               "donation_count": 1, "total_amount": 300,
               "impact_metrics": [{"key": "plastic_collected", "name": "Plastic collected",
                   "emoji": "♻️", "icon": "recycle", "quantity": 3.0, "unit": "kg of plastic",
                   "label": "3 kg of plastic collected"}],
               "by_campaign": [{"campaign_identifier": "cleanhub", "donation_count": 1,
                                "total_amount": 300}]})
    );
    let theirs = json_ok(
        app.get(&format!("/customers/{customer}/donation_intents"))
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&theirs), [id_of(&kept)]);
    assert_eq!(theirs["total"], 1);

    // A body on cancel is ignored; an empty one is fine (above).
    let direct_id = id_of(&direct[0]);
    json_ok(
        app.put(
            &format!("/donation_intents/{direct_id}/cancel"),
            &json!({"reason": "test"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(total(&app).await, 1);
}

#[actix_web::test]
async fn list_is_paginated_by_created_at_with_ties_by_id() {
    let app = spawn_app().await;
    let empty = json_ok(app.get("/donation_intents").await, 200).await;
    assert_eq!(
        empty,
        json!({"data": [], "current_page": 1, "from": null, "to": null, "per_page": 10,
               "last_page": 1, "total": 0})
    );
    app.clock.set(day(2025, 1, 1));
    let early = app.create_intents(json!(batch(3))).await;
    app.clock.advance(60);
    // One batch shares one created_at: the order among its items is the id order.
    let late = app.create_intents(json!(batch(12))).await;
    assert!(late
        .iter()
        .all(|i| i["created_at"] == late[0]["created_at"]));

    let created: Vec<String> = early.iter().chain(&late).map(id_of).collect();
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let first = json_ok(app.get("/donation_intents").await, 200).await;
    assert_eq!(ids(&first), newest_first[..10]);
    assert_eq!(
        (
            first["from"].clone(),
            first["to"].clone(),
            first["last_page"].clone(),
            first["total"].clone()
        ),
        (json!(1), json!(10), json!(2), json!(15))
    );
    let second = json_ok(app.get("/donation_intents?page=2&per_page=10").await, 200).await;
    assert_eq!(ids(&second), newest_first[10..]);
    assert_eq!(
        (second["from"].clone(), second["to"].clone()),
        (json!(11), json!(15))
    );
    let asc = json_ok(
        app.get("/donation_intents?sort_order=asc&sort_by=created_at&per_page=100")
            .await,
        200,
    )
    .await;
    assert_eq!(ids(&asc), created);
    let past = json_ok(app.get("/donation_intents?page=5").await, 200).await;
    assert_eq!(
        (
            past["data"].clone(),
            past["current_page"].clone(),
            past["from"].clone(),
            past["total"].clone()
        ),
        (json!([]), json!(5), Value::Null, json!(15))
    );
    for bad in [
        "sort_by=amount",
        "sort_by=name",
        "sort_order=sideways",
        "per_page=101",
        "page=0",
    ] {
        let err = assert_error(
            app.get(&format!("/donation_intents?{bad}")).await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&err), [bad.split('=').next().expect("name")]);
    }
}

#[actix_web::test]
async fn another_organizations_intent_does_not_exist() {
    let app = spawn_app().await;
    let (_, other) = app.new_org("Other").await;
    let mine = app.create_intents(json!([item(100, "cleanhub")])).await;
    let id = id_of(&mine[0]);
    for (method, path) in [
        (Method::GET, format!("/donation_intents/{id}")),
        (Method::PUT, format!("/donation_intents/{id}/cancel")),
    ] {
        assert_error(
            as_key(&app, &other, method, &path, None).await,
            404,
            "donation-intent.not-found",
        )
        .await;
    }
    let theirs = json_ok(
        as_key(&app, &other, Method::GET, "/donation_intents", None).await,
        200,
    )
    .await;
    assert_eq!(theirs["total"], 0);
    assert_eq!(ids(&theirs), Vec::<String>::new());
    let still = json_ok(app.get(&format!("/donation_intents/{id}")).await, 200).await;
    assert_eq!(still["data"], mine[0]);
    let anonymous = app
        .client
        .get(app.url("/donation_intents"))
        .send()
        .await
        .expect("request");
    assert_error(anonymous, 401, "auth.unauthorized").await;
}

#[actix_web::test]
async fn a_path_id_that_is_not_a_ulid_is_not_found() {
    let app = spawn_app().await;
    for id in [
        "nope",
        "123",
        "01K7HWJ38PYD8PBW9KXFCNGS4",
        "01K7HWJ38PYD8PBW9KXFCNGS4C",
    ] {
        assert_error(
            app.get(&format!("/donation_intents/{id}")).await,
            404,
            "donation-intent.not-found",
        )
        .await;
        assert_error(
            app.put(&format!("/donation_intents/{id}/cancel"), &json!({}))
                .await,
            404,
            "donation-intent.not-found",
        )
        .await;
    }
}

//! Customers and vendors (SPEC 5.2): CRUD, metadata, uniqueness, listing, impact totals. Every
//! behaviour is checked on both resources, since one implementation serves the two.

use crate::helpers::*;
use chrono::{DateTime, TimeZone, Utc};
use reqwest::{Method, Response};
use serde_json::{json, Value};

/// (collection path, resource name in error codes, id field of impact totals).
pub const DIRS: [(&str, &str, &str); 2] = [
    ("/customers", "customer", "customer_id"),
    ("/vendors", "vendor", "vendor_id"),
];

/// A request with the Sandbox key and a raw body (no Content-Type), or none at all.
pub async fn raw(app: &TestApp, method: Method, path: &str, body: Option<&str>) -> Response {
    let req = app.req(method, path);
    let req = match body {
        Some(b) => req.body(b.to_string()),
        None => req,
    };
    req.send().await.expect("request")
}

/// A request with another organization's key.
pub async fn as_key(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Response {
    let req = app.client.request(method, app.url(path)).bearer_auth(key);
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    req.send().await.expect("request")
}

pub async fn create_party(app: &TestApp, base: &str, body: Value) -> Value {
    json_ok(app.post(base, &body).await, 201).await["data"].clone()
}

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The ids of a list response, in order.
pub fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(id_of)
        .collect()
}

/// Noon UTC of a day.
pub fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// A donation made the way a checkout makes it: an `add_on` session for `customer`/`vendor`, the
/// customer's choice with the session secret, then confirm. Returns the one intent it created.
pub async fn donate(
    app: &TestApp,
    customer: Option<&str>,
    vendor: Option<&str>,
    campaign: &str,
    amount: i64,
) -> Value {
    let mut body = json!({"type": "add_on", "amount": amount, "available_campaigns": [campaign]});
    if let Some(c) = customer {
        body["customer_id"] = json!(c);
    }
    if let Some(v) = vendor {
        body["vendor_id"] = json!(v);
    }
    let session = app.create_session(body).await;
    let id = id_of(&session);
    let secret = session["session_secret"].as_str().expect("secret");
    let chosen = app
        .client
        .post(app.url(&format!("/sessions/{id}/choose_campaign")))
        .header("X-Session-Secret", secret)
        .json(&json!({"campaign_identifier": campaign}))
        .send()
        .await
        .expect("request");
    json_ok(chosen, 200).await;
    let confirmed = json_ok(
        app.post(&format!("/sessions/{id}/confirm"), &json!({}))
            .await,
        200,
    )
    .await;
    let intents = confirmed["data"]["donation_intents"]
        .as_array()
        .expect("intents");
    assert_eq!(intents.len(), 1, "one intent per confirm: {confirmed}");
    intents[0].clone()
}

/// An RFC 3339 UTC timestamp with microseconds: `2026-11-24T12:34:56.123456Z`.
pub fn is_micros_timestamp(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 27
            && s.ends_with('Z')
            && s.as_bytes()[19] == b'.'
            && DateTime::parse_from_rfc3339(s).is_ok()
    })
}

/// Impact totals with `impact_metrics` sorted by key and `by_campaign` by identifier: SPEC 5.2 does
/// not fix their order.
pub fn in_key_order(mut totals: Value) -> Value {
    for (list, key) in [
        ("impact_metrics", "key"),
        ("by_campaign", "campaign_identifier"),
    ] {
        if let Some(items) = totals[list].as_array_mut() {
            items.sort_by(|a, b| a[key].as_str().cmp(&b[key].as_str()));
        }
    }
    totals
}

/// The `impact_metrics` item of impact totals with `key`.
pub fn metric<'a>(totals: &'a Value, key: &str) -> &'a Value {
    totals["impact_metrics"]
        .as_array()
        .and_then(|items| items.iter().find(|m| m["key"] == key))
        .unwrap_or_else(|| panic!("no metric {key} in {totals}"))
}

/// Metadata nested `levels` objects deep.
fn nested(levels: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..levels {
        v = json!({ "k": v });
    }
    v
}

fn keys(n: usize) -> Value {
    Value::Object((0..n).map(|i| (format!("k{i}"), json!(i))).collect())
}

#[actix_web::test]
async fn create_takes_every_field_optional_and_an_empty_body_as_empty_object() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        for body in [None, Some(""), Some("{}"), Some("  \n")] {
            let created = json_ok(raw(&app, Method::POST, base, body).await, 201).await;
            let d = &created["data"];
            let mut keys: Vec<&String> = d.as_object().expect("object").keys().collect();
            keys.sort();
            assert_eq!(
                keys,
                [
                    "created_at",
                    "external_id",
                    "id",
                    "metadata",
                    "name",
                    "updated_at"
                ]
            );
            assert_eq!(d["id"].as_str().map(str::len), Some(26));
            assert!(d["external_id"].is_null() && d["name"].is_null());
            assert_eq!(d["metadata"], json!({}));
            assert!(is_micros_timestamp(&d["created_at"]), "{d}");
            assert_eq!(d["created_at"], d["updated_at"]);
        }
        let full = create_party(
            &app,
            base,
            json!({"external_id": "ext-1", "name": "Jane Doe",
                   "metadata": {"email": "jane@example.com", "n": 3, "tags": ["a"]},
                   "unknown_field": true}),
        )
        .await;
        assert_eq!(full["external_id"], "ext-1");
        assert_eq!(full["name"], "Jane Doe");
        assert_eq!(
            full["metadata"],
            json!({"email": "jane@example.com", "n": 3, "tags": ["a"]})
        );
        let got = json_ok(app.get(&format!("{base}/{}", id_of(&full))).await, 200).await;
        assert_eq!(got["data"], full);
    }
}

#[actix_web::test]
async fn create_validates_types_and_lengths_in_characters() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        // 255 two-byte characters are 510 bytes but only 255 characters.
        let wide = "é".repeat(255);
        let ok = create_party(&app, base, json!({"external_id": wide, "name": wide})).await;
        assert_eq!(ok["name"].as_str().map(|s| s.chars().count()), Some(255));

        let body = assert_error(
            app.post(
                base,
                &json!({"external_id": "x".repeat(256), "name": "é".repeat(256)}),
            )
            .await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&body), ["external_id", "name"]);

        let body = assert_error(
            app.post(
                base,
                &json!({"external_id": 5, "name": 123, "metadata": "x"}),
            )
            .await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&body), ["external_id", "metadata", "name"]);

        for bad in ["[]", "[{}]", "\"x\"", "7", "{\"name\": ", "not json"] {
            assert_error(
                raw(&app, Method::POST, base, Some(bad)).await,
                400,
                "request.invalid-json",
            )
            .await;
        }
        let list = json_ok(app.get(base).await, 200).await;
        assert_eq!(list["total"], 1, "only the valid create stored anything");
    }
}

#[actix_web::test]
async fn metadata_limits_are_enforced_on_create() {
    let owned = spawn_app().await;
    let app = &owned;
    for (base, _, _) in DIRS {
        let post =
            |metadata: Value| async move { app.post(base, &json!({ "metadata": metadata })).await };
        // 50 keys is the limit.
        json_ok(post(keys(50)).await, 201).await;
        let body = assert_error(post(keys(51)).await, 422, "validation.failed").await;
        assert_eq!(fields(&body), ["metadata"]);
        // Nulls are dropped on create, and the limit counts what is stored.
        let mut fifty_and_a_null = keys(50);
        fifty_and_a_null["dropped"] = Value::Null;
        let stored = json_ok(post(fifty_and_a_null).await, 201).await;
        assert_eq!(stored["data"]["metadata"], keys(50));
        let stored = json_ok(post(json!({"a": 1, "b": null})).await, 201).await;
        assert_eq!(stored["data"]["metadata"], json!({"a": 1}));

        // Keys up to 40 characters (not bytes).
        json_ok(post(json!({ "k".repeat(40): 1 })).await, 201).await;
        json_ok(post(json!({ "é".repeat(40): 1 })).await, 201).await;
        assert_error(
            post(json!({ "k".repeat(41): 1 })).await,
            422,
            "validation.failed",
        )
        .await;

        // 8 KiB of compact JSON, counted in UTF-8 bytes: {"k":"…"} is 8 bytes plus the value.
        json_ok(post(json!({"k": "x".repeat(8184)})).await, 201).await;
        assert_error(
            post(json!({"k": "x".repeat(8185)})).await,
            422,
            "validation.failed",
        )
        .await;
        assert_error(
            post(json!({"k": "é".repeat(4093)})).await,
            422,
            "validation.failed",
        )
        .await;

        // Nesting: 32 levels are fine, deeper is 422.
        json_ok(post(nested(32)).await, 201).await;
        let body = assert_error(post(nested(33)).await, 422, "validation.failed").await;
        assert_eq!(fields(&body), ["metadata"]);
        assert_error(post(nested(60)).await, 422, "validation.failed").await;

        // Not an object.
        for bad in [json!([1]), json!("x"), json!(3)] {
            assert_error(post(bad).await, 422, "validation.failed").await;
        }
        let stored = json_ok(post(Value::Null).await, 201).await;
        assert_eq!(stored["data"]["metadata"], json!({}));
    }
}

#[actix_web::test]
async fn patch_merges_metadata_and_null_clears() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        let created = create_party(
            &app,
            base,
            json!({"external_id": "e1", "name": "Jane",
                   "metadata": {"a": 1, "b": 2, "c": {"x": 1}}}),
        )
        .await;
        let path = format!("{base}/{}", id_of(&created));
        app.clock.advance(60);

        let patched = json_ok(
            app.patch(
                &path,
                &json!({"metadata": {"a": null, "c": {"y": 2}, "d": 4}}),
            )
            .await,
            200,
        )
        .await["data"]
            .clone();
        assert_eq!(patched["metadata"], json!({"b": 2, "c": {"y": 2}, "d": 4}));
        assert_eq!(patched["external_id"], "e1", "omitted field unchanged");
        assert_eq!(patched["name"], "Jane", "omitted field unchanged");
        assert_eq!(patched["created_at"], created["created_at"]);
        assert!(is_micros_timestamp(&patched["updated_at"]));
        assert!(patched["updated_at"].as_str() > created["updated_at"].as_str());
        assert_eq!(json_ok(app.get(&path).await, 200).await["data"], patched);

        // Empty object and empty body leave everything as it is.
        let same = json_ok(app.patch(&path, &json!({})).await, 200).await;
        assert_eq!(same["data"]["metadata"], patched["metadata"]);
        assert_eq!(same["data"]["name"], "Jane");
        let same = json_ok(raw(&app, Method::PATCH, &path, None).await, 200).await;
        assert_eq!(same["data"]["external_id"], "e1");

        let renamed = json_ok(app.patch(&path, &json!({"name": "Jane Smith"})).await, 200).await;
        assert_eq!(renamed["data"]["name"], "Jane Smith");
        assert_eq!(renamed["data"]["metadata"], patched["metadata"]);

        let cleared = json_ok(app.patch(&path, &json!({"name": null})).await, 200).await;
        assert!(cleared["data"]["name"].is_null());
        assert_eq!(cleared["data"]["external_id"], "e1");

        let cleared = json_ok(app.patch(&path, &json!({"external_id": null})).await, 200).await;
        assert!(cleared["data"]["external_id"].is_null());
        assert_eq!(cleared["data"]["metadata"], patched["metadata"]);
        // The cleared external id is free again.
        create_party(&app, base, json!({"external_id": "e1"})).await;

        let cleared = json_ok(app.patch(&path, &json!({"metadata": null})).await, 200).await;
        assert_eq!(cleared["data"]["metadata"], json!({}));

        let stored = json_ok(app.get(&path).await, 200).await["data"].clone();
        assert!(stored["name"].is_null() && stored["external_id"].is_null());
        assert_eq!(stored["metadata"], json!({}));
    }
}

#[actix_web::test]
async fn patch_validates_and_changes_nothing_on_error() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        let created = create_party(
            &app,
            base,
            json!({"name": "Keep", "metadata": {"a": "x".repeat(5000)}}),
        )
        .await;
        let path = format!("{base}/{}", id_of(&created));

        let body = assert_error(
            app.patch(&path, &json!({"name": "n".repeat(256), "external_id": 9}))
                .await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&body), ["external_id", "name"]);
        // The size limit applies to the merged result.
        assert_error(
            app.patch(&path, &json!({"metadata": {"b": "x".repeat(5000)}}))
                .await,
            422,
            "validation.failed",
        )
        .await;
        // So does the key count: 49 new keys plus the stored one is 50, 50 new keys is 51.
        let mut many = keys(50);
        assert_error(
            app.patch(&path, &json!({ "metadata": many })).await,
            422,
            "validation.failed",
        )
        .await;
        assert_error(
            app.patch(&path, &json!({"metadata": nested(33)})).await,
            422,
            "validation.failed",
        )
        .await;
        assert_error(
            app.patch(&path, &json!({"metadata": [1]})).await,
            422,
            "validation.failed",
        )
        .await;
        assert_error(
            raw(&app, Method::PATCH, &path, Some("[]")).await,
            400,
            "request.invalid-json",
        )
        .await;
        let stored = json_ok(app.get(&path).await, 200).await["data"].clone();
        assert_eq!(stored, created, "a refused PATCH changes nothing");

        // Removing the big key in the same PATCH makes room.
        let ok = json_ok(
            app.patch(
                &path,
                &json!({"metadata": {"a": null, "b": "x".repeat(5000)}}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(ok["data"]["metadata"].as_object().map(|m| m.len()), Some(1));
        if let Some(m) = many.as_object_mut() {
            m.remove("k0");
        }
        json_ok(app.patch(&path, &json!({ "metadata": many })).await, 200).await;
    }
}

#[actix_web::test]
async fn external_id_is_unique_within_an_organization() {
    let app = spawn_app().await;
    let (_, other_key) = app.new_org("Other").await;
    for (base, _, _) in DIRS {
        let first = create_party(&app, base, json!({"external_id": "dup"})).await;
        let body = assert_error(
            app.post(base, &json!({"external_id": "dup", "name": "second"}))
                .await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(
            body["error"]["details"]["fields"],
            json!({"external_id": ["has already been taken"]})
        );
        // Many parties without an external id are fine.
        create_party(&app, base, json!({})).await;
        create_party(&app, base, json!({"external_id": null})).await;
        // Another organization has its own namespace.
        json_ok(
            as_key(
                &app,
                &other_key,
                Method::POST,
                base,
                Some(&json!({"external_id": "dup"})),
            )
            .await,
            201,
        )
        .await;

        // PATCH into a taken external id is refused; keeping one's own is fine.
        let second = create_party(&app, base, json!({"external_id": "other"})).await;
        let path = format!("{base}/{}", id_of(&second));
        let body = assert_error(
            app.patch(&path, &json!({"external_id": "dup"})).await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(
            body["error"]["details"]["fields"]["external_id"],
            json!(["has already been taken"])
        );
        assert_eq!(
            json_ok(app.get(&path).await, 200).await["data"]["external_id"],
            "other"
        );
        json_ok(
            app.patch(
                &format!("{base}/{}", id_of(&first)),
                &json!({"external_id": "dup"}),
            )
            .await,
            200,
        )
        .await;
        let list = json_ok(app.get(&format!("{base}?external_id=dup")).await, 200).await;
        assert_eq!(ids(&list), [id_of(&first)]);
    }
    // Customers and vendors are separate namespaces: each directory above took "dup" once.
}

#[actix_web::test]
async fn concurrent_creates_with_one_external_id_store_exactly_one() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        let body = json!({"external_id": "race", "name": "racer"});
        let responses =
            futures_util::future::join_all((0..10).map(|_| app.post(base, &body))).await;
        let mut created = 0;
        let mut taken = 0;
        for resp in responses {
            match resp.status().as_u16() {
                201 => created += 1,
                422 => {
                    let err = assert_error(resp, 422, "validation.failed").await;
                    assert_eq!(
                        err["error"]["details"]["fields"],
                        json!({"external_id": ["has already been taken"]})
                    );
                    taken += 1;
                }
                other => panic!("unexpected status {other}"),
            }
        }
        assert_eq!((created, taken), (1, 9));
        let list = json_ok(app.get(&format!("{base}?external_id=race")).await, 200).await;
        assert_eq!(list["total"], 1);
        assert_eq!(json_ok(app.get(base).await, 200).await["total"], 1);
    }
}

#[actix_web::test]
async fn list_paginates_and_filters_by_external_id() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        let empty = json_ok(app.get(base).await, 200).await;
        assert_eq!(
            empty,
            json!({"data": [], "current_page": 1, "from": null, "to": null, "per_page": 10,
                   "last_page": 1, "total": 0})
        );
        let mut created = Vec::new();
        for i in 0..25 {
            created.push(id_of(
                &create_party(&app, base, json!({"external_id": format!("ext-{i}")})).await,
            ));
            app.clock.advance(1);
        }
        let newest_first: Vec<String> = created.iter().rev().cloned().collect();

        let first = json_ok(app.get(base).await, 200).await;
        assert_eq!(ids(&first), newest_first[..10]);
        assert_eq!(
            (
                first["current_page"].clone(),
                first["from"].clone(),
                first["to"].clone()
            ),
            (json!(1), json!(1), json!(10))
        );
        assert_eq!(
            (first["last_page"].clone(), first["total"].clone()),
            (json!(3), json!(25))
        );

        let page = json_ok(app.get(&format!("{base}?per_page=10&page=2")).await, 200).await;
        assert_eq!(ids(&page), newest_first[10..20]);
        assert_eq!(
            (page["from"].clone(), page["to"].clone()),
            (json!(11), json!(20))
        );
        let last = json_ok(app.get(&format!("{base}?per_page=10&page=3")).await, 200).await;
        assert_eq!(ids(&last), newest_first[20..]);
        assert_eq!(
            (last["from"].clone(), last["to"].clone()),
            (json!(21), json!(25))
        );
        let past = json_ok(app.get(&format!("{base}?page=9")).await, 200).await;
        assert_eq!(
            past,
            json!({"data": [], "current_page": 9, "from": null, "to": null, "per_page": 10,
                   "last_page": 3, "total": 25})
        );
        let all = json_ok(
            app.get(&format!("{base}?per_page=100&sort_order=asc"))
                .await,
            200,
        )
        .await;
        assert_eq!(ids(&all), created);
        assert_eq!(all["last_page"], 1);

        let one = json_ok(app.get(&format!("{base}?external_id=ext-7")).await, 200).await;
        assert_eq!(ids(&one), [created[7].clone()]);
        assert_eq!(
            (one["total"].clone(), one["last_page"].clone()),
            (json!(1), json!(1))
        );
        // Exact match only: no prefix or case folding.
        for miss in ["ext-", "EXT-7", "ext-7%20", "nope"] {
            let none = json_ok(app.get(&format!("{base}?external_id={miss}")).await, 200).await;
            assert_eq!(ids(&none), Vec::<String>::new());
            assert_eq!(none["total"], 0);
        }

        for bad in [
            "per_page=0",
            "per_page=101",
            "per_page=abc",
            "page=0",
            "page=-1",
            "sort_by=bogus",
            "sort_by=external_id",
            "sort_order=up",
        ] {
            let body = assert_error(
                app.get(&format!("{base}?{bad}")).await,
                422,
                "validation.failed",
            )
            .await;
            let name = bad.split('=').next().expect("name");
            assert_eq!(fields(&body), [name], "{bad}");
        }
    }
}

#[actix_web::test]
async fn list_sorts_by_created_at_name_and_updated_at_in_both_orders() {
    let owned = spawn_app().await;
    let app = &owned;
    for (base, _, _) in DIRS {
        // "Bob" < "alice" byte-wise, but not case-insensitively.
        let names = [
            Some("Bob"),
            Some("alice"),
            None,
            Some("carol"),
            Some("Alice"),
        ];
        let mut c = Vec::new();
        for name in names {
            let body = match name {
                Some(n) => json!({ "name": n }),
                None => json!({}),
            };
            c.push(id_of(&create_party(app, base, body).await));
            app.clock.advance(10);
        }
        let order = |idx: &[usize]| idx.iter().map(|&i| c[i].clone()).collect::<Vec<_>>();
        let list = |q: &str| {
            let path = format!("{base}?{q}");
            async move { ids(&json_ok(app.get(&path).await, 200).await) }
        };

        assert_eq!(list("").await, order(&[4, 3, 2, 1, 0]));
        assert_eq!(list("sort_by=created_at").await, order(&[4, 3, 2, 1, 0]));
        assert_eq!(list("sort_order=desc").await, order(&[4, 3, 2, 1, 0]));
        assert_eq!(list("sort_order=asc").await, order(&[0, 1, 2, 3, 4]));
        // Case-insensitive, null smallest, "alice"/"Alice" tied and broken by id.
        assert_eq!(
            list("sort_by=name&sort_order=asc").await,
            order(&[2, 1, 4, 0, 3])
        );
        assert_eq!(list("sort_by=name").await, order(&[3, 0, 4, 1, 2]));
        assert_eq!(
            list("sort_by=name&sort_order=desc").await,
            order(&[3, 0, 4, 1, 2])
        );

        // A PATCH moves a party to the front of updated_at.
        json_ok(
            app.patch(
                &format!("{base}/{}", c[1]),
                &json!({"metadata": {"seen": true}}),
            )
            .await,
            200,
        )
        .await;
        app.clock.advance(10);
        json_ok(
            app.patch(&format!("{base}/{}", c[3]), &json!({})).await,
            200,
        )
        .await;
        assert_eq!(list("sort_by=updated_at").await, order(&[3, 1, 4, 2, 0]));
        assert_eq!(
            list("sort_by=updated_at&sort_order=asc").await,
            order(&[0, 2, 4, 1, 3])
        );
        // created_at is not affected by the PATCH.
        assert_eq!(list("sort_order=asc").await, order(&[0, 1, 2, 3, 4]));
    }
}

#[actix_web::test]
async fn ties_are_broken_by_id_in_the_same_direction_across_pages() {
    let app = spawn_app().await;
    for (base, _, _) in DIRS {
        let mut created = Vec::new();
        for _ in 0..7 {
            created.push(id_of(
                &create_party(&app, base, json!({"name": "Same"})).await,
            ));
        }
        let mut ascending = created.clone();
        ascending.sort();
        assert_eq!(ascending, created, "ids increase with creation");
        let descending: Vec<String> = ascending.iter().rev().cloned().collect();
        for (order, expected) in [("asc", ascending), ("desc", descending)] {
            let mut paged = Vec::new();
            for page in 1..=4 {
                let body = json_ok(
                    app.get(&format!(
                        "{base}?sort_by=name&sort_order={order}&per_page=2&page={page}"
                    ))
                    .await,
                    200,
                )
                .await;
                paged.extend(ids(&body));
            }
            assert_eq!(paged, expected, "sort_order={order}");
        }
    }
}

#[actix_web::test]
async fn delete_answers_deleted_and_the_party_is_gone() {
    let app = spawn_app().await;
    for (base, resource, _) in DIRS {
        let party = create_party(&app, base, json!({"external_id": "gone", "name": "G"})).await;
        let keep = create_party(&app, base, json!({})).await;
        let id = id_of(&party);
        let path = format!("{base}/{id}");
        let code = format!("{resource}.not-found");

        let deleted = json_ok(app.delete(&path).await, 200).await;
        assert_eq!(deleted, json!({"data": {"id": id, "deleted": true}}));

        assert_error(app.get(&path).await, 404, &code).await;
        assert_error(app.delete(&path).await, 404, &code).await;
        assert_error(app.patch(&path, &json!({"name": "x"})).await, 404, &code).await;
        assert_error(app.get(&format!("{path}/impact_metrics")).await, 404, &code).await;
        assert_error(
            app.get(&format!("{path}/donation_intents")).await,
            404,
            &code,
        )
        .await;

        let list = json_ok(app.get(base).await, 200).await;
        assert_eq!(ids(&list), [id_of(&keep)]);
        assert_eq!(list["total"], 1);
        // Its external id is free again.
        create_party(&app, base, json!({"external_id": "gone"})).await;
    }
}

#[actix_web::test]
async fn a_deleted_partys_intents_and_sessions_keep_its_id() {
    let app = spawn_app().await;
    let customer = id_of(&create_party(&app, "/customers", json!({"name": "C"})).await);
    let vendor = id_of(&create_party(&app, "/vendors", json!({"name": "V"})).await);
    let intent = donate(&app, Some(&customer), Some(&vendor), "cleanhub", 700).await;
    assert_eq!(intent["customer_id"], customer.as_str());
    assert_eq!(intent["vendor_id"], vendor.as_str());
    let session_id = intent["session_id"]
        .as_str()
        .expect("session id")
        .to_string();

    json_ok(app.delete(&format!("/customers/{customer}")).await, 200).await;
    json_ok(app.delete(&format!("/vendors/{vendor}")).await, 200).await;

    let path = format!("/donation_intents/{}", id_of(&intent));
    let after = json_ok(app.get(&path).await, 200).await;
    assert_eq!(after["data"], intent);
    let listed = json_ok(app.get("/donation_intents").await, 200).await;
    assert_eq!(listed["data"][0]["customer_id"], customer.as_str());
    let session = json_ok(app.get(&format!("/sessions/{session_id}")).await, 200).await;
    assert_eq!(session["data"]["customer_id"], customer.as_str());
    assert_eq!(session["data"]["vendor_id"], vendor.as_str());
}

#[actix_web::test]
async fn another_organizations_party_does_not_exist() {
    let app = spawn_app().await;
    let (_, other) = app.new_org("Other").await;
    for (base, resource, _) in DIRS {
        let mine = create_party(&app, base, json!({"external_id": "mine", "name": "Mine"})).await;
        let path = format!("{base}/{}", id_of(&mine));
        let code = format!("{resource}.not-found");
        for (method, p, body) in [
            (Method::GET, path.clone(), None),
            (Method::PATCH, path.clone(), Some(json!({"name": "stolen"}))),
            (Method::DELETE, path.clone(), None),
            (Method::GET, format!("{path}/impact_metrics"), None),
            (Method::GET, format!("{path}/donation_intents"), None),
        ] {
            assert_error(
                as_key(&app, &other, method, &p, body.as_ref()).await,
                404,
                &code,
            )
            .await;
        }
        let theirs = json_ok(as_key(&app, &other, Method::GET, base, None).await, 200).await;
        assert_eq!(theirs["total"], 0);
        let filtered = json_ok(
            as_key(
                &app,
                &other,
                Method::GET,
                &format!("{base}?external_id=mine"),
                None,
            )
            .await,
            200,
        )
        .await;
        assert_eq!(filtered["total"], 0);
        // Still there, unchanged, for its owner.
        assert_eq!(json_ok(app.get(&path).await, 200).await["data"], mine);
        // And no credential at all is 401.
        let anonymous = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .expect("request");
        assert_error(anonymous, 401, "auth.unauthorized").await;
    }
}

#[actix_web::test]
async fn a_path_id_that_is_not_a_ulid_is_not_found() {
    let app = spawn_app().await;
    for (base, resource, _) in DIRS {
        let code = format!("{resource}.not-found");
        let unknown = "01K7HWG38CC1HZR23TVG950A9N";
        for id in [
            "not-a-ulid",
            "123",
            "01K7HWG38CC1HZR23TVG950A9",
            "U1K7HWG38CC1HZR23TVG950A9N",
            unknown,
        ] {
            let path = format!("{base}/{id}");
            assert_error(app.get(&path).await, 404, &code).await;
            assert_error(app.patch(&path, &json!({})).await, 404, &code).await;
            assert_error(app.delete(&path).await, 404, &code).await;
            assert_error(app.get(&format!("{path}/impact_metrics")).await, 404, &code).await;
            assert_error(
                app.get(&format!("{path}/donation_intents")).await,
                404,
                &code,
            )
            .await;
        }
    }
}

#[actix_web::test]
async fn impact_metrics_total_a_partys_intents_within_dates() {
    let owned = spawn_app().await;
    let app = &owned;
    let customer = id_of(&create_party(app, "/customers", json!({})).await);
    let vendor = id_of(&create_party(app, "/vendors", json!({})).await);
    let stranger = id_of(&create_party(app, "/customers", json!({})).await);

    let trees = "trees-for-the-future";
    // 20 trees, then 10 kg of plastic and 10 trees on the 12th (noon, and 23:59 UTC), then 1 tree.
    app.clock.set(day(2024, 3, 10));
    donate(app, Some(&customer), Some(&vendor), trees, 500).await;
    app.clock.set(day(2024, 3, 12));
    donate(app, Some(&customer), Some(&vendor), "cleanhub", 1000).await;
    app.clock.advance(11 * 3600 + 59 * 60);
    donate(app, Some(&customer), None, trees, 250).await;
    app.clock.set(day(2024, 3, 15));
    donate(app, Some(&customer), Some(&vendor), trees, 25).await;
    // Not this customer's: another customer's, and a direct intent.
    donate(app, Some(&stranger), None, trees, 10_000).await;
    app.create_intents(json!([{"amount": 10_000, "campaign_identifier": "cleanhub"}]))
        .await;

    let metrics = |base: &str, id: &str, q: &str| {
        let path = format!("{base}/{id}/impact_metrics{q}");
        async move { in_key_order(json_ok(app.get(&path).await, 200).await["data"].clone()) }
    };

    let all = metrics("/customers", &customer, "").await;
    assert_eq!(
        all,
        json!({"customer_id": customer, "date_from": null, "date_to": null,
               "donation_count": 4, "total_amount": 1775,
               "impact_metrics": [
                   {"key": "plastic_collected", "name": "Plastic collected", "emoji": "♻️",
                    "icon": "recycle", "quantity": 10.0, "unit": "kg of plastic", "label": "10 kg of plastic collected"},
                   {"key": "trees_planted", "name": "Trees planted", "emoji": "🌳", "icon": "tree",
                    "quantity": 31.0, "unit": "trees", "label": "31 trees planted"}],
               "by_campaign": [
                   {"campaign_identifier": "cleanhub", "donation_count": 1, "total_amount": 1000},
                   {"campaign_identifier": "trees-for-the-future", "donation_count": 3, "total_amount": 775}]})
    );

    let from = metrics("/customers", &customer, "?date_from=2024-03-11").await;
    assert_eq!(
        (from["donation_count"].clone(), from["total_amount"].clone()),
        (json!(3), json!(1275))
    );
    assert_eq!(from["date_from"], "2024-03-11");
    assert!(from["date_to"].is_null());

    let to = metrics("/customers", &customer, "?date_to=2024-03-12").await;
    assert_eq!(
        (to["donation_count"].clone(), to["total_amount"].clone()),
        (json!(3), json!(1750))
    );
    assert_eq!(metric(&to, "trees_planted")["quantity"], 30.0);

    let one_day = metrics(
        "/customers",
        &customer,
        "?date_from=2024-03-12&date_to=2024-03-12",
    )
    .await;
    assert_eq!(one_day["donation_count"], 2);
    assert_eq!(
        one_day["by_campaign"],
        json!([{"campaign_identifier": "cleanhub", "donation_count": 1, "total_amount": 1000},
               {"campaign_identifier": "trees-for-the-future", "donation_count": 1, "total_amount": 250}])
    );
    assert_eq!(one_day["impact_metrics"].as_array().map(Vec::len), Some(2));

    let last = metrics(
        "/customers",
        &customer,
        "?date_from=2024-03-15&date_to=2024-03-15",
    )
    .await;
    assert_eq!(last["impact_metrics"].as_array().map(Vec::len), Some(1));
    assert_eq!(metric(&last, "trees_planted")["label"], "1 tree planted");
    assert_eq!(metric(&last, "trees_planted")["unit"], "tree");

    let none = metrics(
        "/customers",
        &customer,
        "?date_from=2024-04-01&date_to=2024-12-31",
    )
    .await;
    assert_eq!(
        none,
        json!({"customer_id": customer, "date_from": "2024-04-01", "date_to": "2024-12-31",
               "donation_count": 0, "total_amount": 0, "impact_metrics": [], "by_campaign": []})
    );

    let v = metrics("/vendors", &vendor, "").await;
    assert_eq!(v["vendor_id"], vendor.as_str());
    assert!(v.get("customer_id").is_none());
    assert_eq!(
        (v["donation_count"].clone(), v["total_amount"].clone()),
        (json!(3), json!(1525))
    );
    assert_eq!(metric(&v, "trees_planted")["quantity"], 21.0);

    let nothing = metrics(
        "/customers",
        &id_of(&create_party(app, "/customers", json!({})).await),
        "",
    )
    .await;
    assert_eq!(
        (
            nothing["donation_count"].clone(),
            nothing["impact_metrics"].clone()
        ),
        (json!(0), json!([]))
    );

    for (base, id) in [("/customers", &customer), ("/vendors", &vendor)] {
        for (q, field) in [
            ("date_from=2024-13-01", "date_from"),
            ("date_from=2024-02-30", "date_from"),
            ("date_to=yesterday", "date_to"),
            ("date_to=2024-1-1", "date_to"),
            ("date_from=2024-03-01T00:00:00Z", "date_from"),
        ] {
            let body = assert_error(
                app.get(&format!("{base}/{id}/impact_metrics?{q}")).await,
                422,
                "validation.failed",
            )
            .await;
            assert_eq!(fields(&body), [field], "{q}");
        }
        // An inverted window is empty, not an error.
        let inverted = json_ok(
            app.get(&format!(
                "{base}/{id}/impact_metrics?date_from=2024-03-12&date_to=2024-03-11"
            ))
            .await,
            200,
        )
        .await;
        assert_eq!(inverted["data"]["donation_count"], 0);
    }
}

#[actix_web::test]
async fn impact_metrics_sum_a_metric_key_across_campaigns() {
    let app = spawn_app().await;
    let metric = json!({"key": "trees_planted", "name": "Trees planted", "emoji": "🌳", "icon": "tree",
        "unit_singular": "tree", "unit_plural": "trees", "verb_present": "plant",
        "verb_past": "planted", "impact_per_dollar": 1.0});
    json_ok(
        app.admin(Method::POST, "/admin/api/campaigns")
            .json(
                &json!({"identifier": "forest-friends", "name": "Forest Friends",
                          "impact_metrics": [metric]}),
            )
            .send()
            .await
            .expect("request"),
        201,
    )
    .await;
    let customer = id_of(&create_party(&app, "/customers", json!({})).await);
    donate(&app, Some(&customer), None, "trees-for-the-future", 100).await; // 4 trees
    donate(&app, Some(&customer), None, "forest-friends", 300).await; // 3 trees
    let body = json_ok(
        app.get(&format!("/customers/{customer}/impact_metrics"))
            .await,
        200,
    )
    .await;
    let metrics = body["data"]["impact_metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), 1, "{body}");
    assert_eq!(metrics[0]["quantity"], 7.0);
    assert_eq!(metrics[0]["label"], "7 trees planted");
    assert_eq!(
        body["data"]["by_campaign"].as_array().map(Vec::len),
        Some(2)
    );
}

#[actix_web::test]
async fn a_partys_donation_intents_are_its_session_intents_only() {
    let app = spawn_app().await;
    for (base, resource, field) in DIRS {
        let (me, other) = (
            id_of(&create_party(&app, base, json!({})).await),
            id_of(&create_party(&app, base, json!({})).await),
        );
        let attach = |id: &str| -> (Option<String>, Option<String>) {
            if resource == "customer" {
                (Some(id.to_string()), None)
            } else {
                (None, Some(id.to_string()))
            }
        };
        app.clock.set(day(2024, 5, 1));
        let (c, v) = attach(&me);
        let first = donate(&app, c.as_deref(), v.as_deref(), "cleanhub", 100).await;
        app.clock.set(day(2024, 5, 2));
        let second = donate(&app, c.as_deref(), v.as_deref(), "community-meals", 200).await;
        app.clock.set(day(2024, 5, 3));
        let third = donate(&app, c.as_deref(), v.as_deref(), "yellow-rooms", 300).await;
        let (oc, ov) = attach(&other);
        donate(&app, oc.as_deref(), ov.as_deref(), "cleanhub", 400).await;
        app.create_intents(json!([{"amount": 500, "campaign_identifier": "cleanhub"}]))
            .await;

        let path = format!("{base}/{me}/donation_intents");
        let list = json_ok(app.get(&path).await, 200).await;
        assert_eq!(ids(&list), [id_of(&third), id_of(&second), id_of(&first)]);
        assert_eq!(list["total"], 3);
        assert_eq!(list["data"][0], third, "full DonationIntent objects");
        for item in list["data"].as_array().expect("array") {
            assert_eq!(item[field], me.as_str());
            assert!(item["session_id"].is_string());
        }
        let asc = json_ok(
            app.get(&format!("{path}?sort_order=asc&sort_by=created_at"))
                .await,
            200,
        )
        .await;
        assert_eq!(ids(&asc), [id_of(&first), id_of(&second), id_of(&third)]);
        let paged = json_ok(app.get(&format!("{path}?per_page=2&page=2")).await, 200).await;
        assert_eq!(ids(&paged), [id_of(&first)]);
        assert_eq!(
            (
                paged["from"].clone(),
                paged["to"].clone(),
                paged["last_page"].clone(),
                paged["total"].clone()
            ),
            (json!(3), json!(3), json!(2), json!(3))
        );
        let ranged = json_ok(
            app.get(&format!("{path}?date_from=2024-05-02&date_to=2024-05-02"))
                .await,
            200,
        )
        .await;
        assert_eq!(ids(&ranged), [id_of(&second)]);
        assert_eq!(ranged["total"], 1);
        let from = json_ok(app.get(&format!("{path}?date_from=2024-05-02")).await, 200).await;
        assert_eq!(ids(&from), [id_of(&third), id_of(&second)]);
        let to = json_ok(app.get(&format!("{path}?date_to=2024-05-01")).await, 200).await;
        assert_eq!(ids(&to), [id_of(&first)]);

        for bad in [
            "sort_by=name",
            "sort_by=amount",
            "per_page=0",
            "date_from=2024-05-32",
            "date_to=05/01/2024",
        ] {
            assert_error(
                app.get(&format!("{path}?{bad}")).await,
                422,
                "validation.failed",
            )
            .await;
        }
        let other_list = json_ok(
            app.get(&format!("{base}/{other}/donation_intents")).await,
            200,
        )
        .await;
        assert_eq!(other_list["total"], 1);
    }
}

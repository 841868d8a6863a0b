//! The constraints the OpenAPI document states, checked against the server. Every bound is read
//! from the document: a value at it is accepted and one past it is refused (422 on that field, or
//! the business code the spec gives), so the test fails as soon as the two disagree.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Map, Value};

/// A request: method, path (with its query), JSON body.
type Request = (Method, String, Option<Value>);

/// How a refused request must be answered.
#[derive(Clone, Copy)]
enum Refusal<'a> {
    /// 422 `validation.failed` naming this field path.
    Field(&'a str),
    /// 400 with this business code.
    Business(&'a str),
}

async fn document(app: &TestApp) -> Value {
    json_ok(app.get("/openapi.json").await, 200).await
}

/// The schema at `pointer`, following a `$ref` at that place.
fn schema<'a>(doc: &'a Value, pointer: &str) -> &'a Value {
    let found = doc
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the document has {pointer}"));
    match found["$ref"].as_str() {
        Some(r) => schema(doc, r.trim_start_matches('#')),
        None => found,
    }
}

/// The schema of a query parameter of an operation.
fn query_schema<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == name && p["in"] == "query")
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("{method} {path} documents the query parameter {name}"))
}

fn number(schema: &Value, keyword: &str) -> i128 {
    schema[keyword]
        .as_i64()
        .map(i128::from)
        .unwrap_or_else(|| panic!("{keyword} in {schema}"))
}

fn count(schema: &Value, keyword: &str) -> usize {
    schema[keyword]
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(|| panic!("{keyword} in {schema}"))
}

fn int(value: i128) -> Value {
    json!(i64::try_from(value).expect("a bound within i64"))
}

async fn send(app: &TestApp, (method, path, body): Request) -> (u16, Value) {
    let mut request = app.req(method, &path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn accepted(app: &TestApp, request: Request, what: &str) {
    let label = format!("{} {}", request.0, request.1);
    let (status, body) = send(app, request).await;
    assert!(
        (200..300).contains(&status),
        "{what}: {label} is valid by the document but answered {status}: {body}"
    );
}

async fn refused(app: &TestApp, request: Request, refusal: Refusal<'_>, what: &str) {
    let label = format!("{} {}", request.0, request.1);
    let (status, body) = send(app, request).await;
    match refusal {
        Refusal::Field(field) => {
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (422, Some("validation.failed")),
                "{what}: {label} is invalid by the document; body: {body}"
            );
            assert!(
                fields(&body).iter().any(|f| f == field),
                "{what}: the 422 names {field}: {body}"
            );
        }
        Refusal::Business(code) => assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some(code)),
            "{what}: {label} is invalid by the document; body: {body}"
        ),
    }
}

/// `minimum` and `maximum` of `schema`: each accepted, one below and one above refused.
async fn integer_bounds(
    app: &TestApp,
    schema: &Value,
    field: &str,
    build: impl Fn(i128) -> Request,
) {
    let (min, max) = (number(schema, "minimum"), number(schema, "maximum"));
    assert!(min < max, "{field}: {schema}");
    for value in [min, max] {
        accepted(app, build(value), &format!("{field} = {value}")).await;
    }
    for value in [min - 1, max + 1] {
        let what = format!("{field} = {value}");
        refused(app, build(value), Refusal::Field(field), &what).await;
    }
}

/// `minItems`/`maxItems` of `schema`: lists of both lengths accepted, one shorter and one longer
/// refused (`short` says how the shorter one is answered).
async fn item_bounds(
    app: &TestApp,
    schema: &Value,
    field: &str,
    short: Refusal<'_>,
    build: impl Fn(usize) -> Request,
) {
    let (min, max) = (count(schema, "minItems"), count(schema, "maxItems"));
    for n in [min, max] {
        accepted(app, build(n), &format!("{field} with {n} items")).await;
    }
    refused(app, build(min - 1), short, &format!("{field} short")).await;
    let what = format!("{field} with {} items", max + 1);
    refused(app, build(max + 1), Refusal::Field(field), &what).await;
}

/// Whether `schema` (and the branch narrowing it, if any) lets the property be `null`.
fn allows_null(schema: &Value, branch: Option<&Value>, name: &str) -> bool {
    let admits = |s: &Value| match &s["type"] {
        Value::String(t) => t == "null",
        Value::Array(ts) => ts.iter().any(|t| t == "null"),
        _ => true,
    };
    let base = &schema["properties"][name];
    let narrowed = branch.map(|b| &b["properties"][name]);
    admits(base) && narrowed.is_none_or(|n| n.is_null() || admits(n))
}

/// Each property of an object schema set to `null` in an otherwise valid body: accepted exactly
/// when the document allows `null` there.
async fn nulls(
    app: &TestApp,
    schema: &Value,
    branch: Option<&Value>,
    valid: &Value,
    build: impl Fn(Value) -> Request,
) {
    let names: Vec<&String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .collect();
    for name in names {
        let mut body = valid.as_object().cloned().unwrap_or_default();
        body.insert(name.clone(), Value::Null);
        let request = build(Value::Object(body));
        let label = format!("{} {} with {name}: null", request.0, request.1);
        let (status, body) = send(app, request).await;
        if allows_null(schema, branch, name) {
            assert!(
                (200..300).contains(&status),
                "{label}: the document allows null, the server answered {status}: {body}"
            );
        } else {
            assert!(
                status == 400 || status == 422,
                "{label}: the document does not allow null, the server answered {status}: {body}"
            );
        }
    }
}

fn post(path: &str, body: Value) -> Request {
    (Method::POST, path.to_string(), Some(body))
}

/// A campaign made through the admin API (active).
async fn add_campaign(app: &TestApp, identifier: &str) {
    let body = json!({"identifier": identifier, "name": identifier,
        "impact_metrics": [{"key": "trees_planted", "name": "Trees planted", "unit_singular": "tree",
            "unit_plural": "trees", "verb_present": "plant", "verb_past": "planted", "impact_per_dollar": 1}]});
    let resp = app
        .admin(Method::POST, "/admin/api/campaigns")
        .json(&body)
        .send()
        .await
        .expect("request");
    json_ok(resp, 201).await;
}

/// Every active campaign identifier, in the public list's order.
async fn active_campaigns(app: &TestApp) -> Vec<String> {
    json_ok(app.get("/campaigns").await, 200).await["data"]
        .as_array()
        .expect("campaigns")
        .iter()
        .filter_map(|c| c["identifier"].as_str().map(str::to_string))
        .collect()
}

fn allocations(campaigns: &[String], n: usize) -> Value {
    // Past the number of campaigns the list repeats one, which is refused for that reason too.
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"campaign_identifier": campaigns[i % campaigns.len()], "amount": 100}))
        .collect();
    Value::Array(items)
}

#[actix_web::test]
async fn documented_integer_bounds_are_the_servers() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemas = "/components/schemas";

    let amount = schema(
        &doc,
        &format!("{schemas}/DonationIntentInput/properties/amount"),
    );
    integer_bounds(&app, amount, "0.amount", |v| {
        post(
            "/donation_intents",
            json!([{"amount": int(v), "campaign_identifier": "cleanhub"}]),
        )
    })
    .await;
    let amount = schema(&doc, &format!("{schemas}/Allocation/properties/amount"));
    integer_bounds(&app, amount, "allocations.0.amount", |v| {
        post(
            "/sessions",
            json!({"type": "portion_of_sales",
                   "allocations": [{"campaign_identifier": "cleanhub", "amount": int(v)}]}),
        )
    })
    .await;
    let add_on = |field: &str, v: Value| {
        let mut body =
            json!({"type": "add_on", "amount": 500, "available_campaigns": ["cleanhub"]});
        body[field] = v;
        post("/sessions", body)
    };
    for field in ["amount", "expires_in"] {
        let bounds = schema(&doc, &format!("{schemas}/SessionCreate/properties/{field}"));
        integer_bounds(&app, bounds, field, |v| add_on(field, int(v))).await;
    }

    let session = app
        .create_session(
            json!({"type": "add_on", "amount": 500, "available_campaigns": ["cleanhub"]}),
        )
        .await;
    let process = format!("/sessions/{}/process", session["id"].as_str().expect("id"));
    let extends_by = schema(&doc, &format!("{schemas}/Process/properties/extends_by"));
    integer_bounds(&app, extends_by, "extends_by", |v| {
        post(&process, json!({"extends_by": int(v)}))
    })
    .await;

    let per_page = query_schema(&doc, "/customers", "get", "per_page");
    integer_bounds(&app, per_page, "per_page", |v| {
        (Method::GET, format!("/customers?per_page={v}"), None)
    })
    .await;
    // The largest page is past the end (an empty page), the next one is not a page at all.
    let page = query_schema(&doc, "/donation_intents", "get", "page");
    integer_bounds(&app, page, "page", |v| {
        (Method::GET, format!("/donation_intents?page={v}"), None)
    })
    .await;
}

#[actix_web::test]
async fn documented_lengths_count_characters_as_the_server_does() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let party = schema(&doc, "/components/schemas/PartyInput");
    let vendor = json_ok(app.post("/vendors", &json!({})).await, 201).await;
    let vendor = format!("/vendors/{}", vendor["data"]["id"].as_str().expect("id"));
    for field in ["name", "external_id"] {
        let max = count(&party["properties"][field], "maxLength");
        // One character, four UTF-8 bytes.
        let build = |n: usize| {
            (
                Method::PATCH,
                vendor.clone(),
                Some(json!({field: "🌳".repeat(n)})),
            )
        };
        accepted(&app, build(max), &format!("{field} of {max} characters")).await;
        let what = format!("{field} of {} characters", max + 1);
        refused(&app, build(max + 1), Refusal::Field(field), &what).await;
    }

    // Campaign identifiers: the longest the document allows can exist and be donated to.
    let identifier = schema(
        &doc,
        "/components/schemas/DonationIntentInput/properties/campaign_identifier",
    );
    let max = count(identifier, "maxLength");
    let longest = "a".repeat(max);
    add_campaign(&app, &longest).await;
    let intent = |c: &str| {
        post(
            "/donation_intents",
            json!([{"amount": 100, "campaign_identifier": c}]),
        )
    };
    accepted(&app, intent(&longest), "the longest campaign identifier").await;
    let what = "a campaign identifier one character too long";
    refused(
        &app,
        intent(&format!("{longest}a")),
        Refusal::Field("0.campaign_identifier"),
        what,
    )
    .await;
}

#[actix_web::test]
async fn documented_metadata_limits_are_the_servers() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let metadata = schema(&doc, "/components/schemas/PartyInput/properties/metadata");
    let create = |m: Map<String, Value>| post("/customers", json!({"metadata": m}));

    let keys = count(metadata, "maxProperties");
    let many = |n: usize| (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
    accepted(&app, create(many(keys)), "metadata with the most keys").await;
    let what = "metadata with a key too many";
    refused(
        &app,
        create(many(keys + 1)),
        Refusal::Field("metadata"),
        what,
    )
    .await;

    let longest = count(&metadata["propertyNames"], "maxLength");
    let key = |n: usize| Map::from_iter([("é".repeat(n), json!(true))]);
    accepted(&app, create(key(longest)), "the longest metadata key").await;
    let what = "a metadata key too long";
    refused(
        &app,
        create(key(longest + 1)),
        Refusal::Field("metadata"),
        what,
    )
    .await;
}

#[actix_web::test]
async fn documented_item_counts_are_the_servers() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemas = "/components/schemas";

    let batch = schema(&doc, &format!("{schemas}/DonationIntentBatch"));
    let item = json!({"amount": 100, "campaign_identifier": "cleanhub"});
    let items = |n: usize| Value::Array(vec![item.clone(); n]);
    item_bounds(
        &app,
        &batch["oneOf"][0],
        "intents",
        Refusal::Field("intents"),
        |n| post("/donation_intents", items(n)),
    )
    .await;
    let wrapped = &batch["oneOf"][1]["properties"]["intents"];
    item_bounds(&app, wrapped, "intents", Refusal::Field("intents"), |n| {
        post("/donation_intents", json!({"intents": items(n)}))
    })
    .await;

    // Enough active campaigns for the longest lists the document allows, each campaign once.
    let create = schema(&doc, &format!("{schemas}/SessionCreate"));
    let most = count(&create["properties"]["allocations"], "maxItems").max(count(
        &create["properties"]["available_campaigns"],
        "maxItems",
    ));
    for i in active_campaigns(&app).await.len()..=most {
        add_campaign(&app, &format!("extra-{i}")).await;
    }
    let campaigns = active_campaigns(&app).await;
    assert!(campaigns.len() > most);

    let available = &create["properties"]["available_campaigns"];
    let field = "available_campaigns";
    item_bounds(&app, available, field, Refusal::Field(field), |n| {
        post(
            "/sessions",
            json!({"type": "add_on", "amount": 500, "available_campaigns": &campaigns[..n]}),
        )
    })
    .await;
    let short = Refusal::Business("session.non-interactive-requires-allocations");
    item_bounds(
        &app,
        &create["properties"]["allocations"],
        "allocations",
        short,
        |n| {
            post(
                "/sessions",
                json!({"type": "portion_of_sales", "allocations": allocations(&campaigns, n)}),
            )
        },
    )
    .await;

    let session = app
        .create_session(
            json!({"type": "portion_of_sales", "allocations": allocations(&campaigns, 1)}),
        )
        .await;
    let path = format!(
        "/sessions/{}/allocations",
        session["id"].as_str().expect("id")
    );
    let replace = schema(
        &doc,
        &format!("{schemas}/AllocationsBody/properties/allocations"),
    );
    let short = Refusal::Business("allocations.required");
    item_bounds(&app, replace, "allocations", short, |n| {
        (
            Method::PUT,
            path.clone(),
            Some(json!({"allocations": allocations(&campaigns, n)})),
        )
    })
    .await;

    // Distinct items: the same campaign twice is refused.
    let twice =
        json!({"type": "add_on", "amount": 500, "available_campaigns": ["cleanhub", "cleanhub"]});
    assert_eq!(available["uniqueItems"], true);
    refused(
        &app,
        post("/sessions", twice),
        Refusal::Field("available_campaigns.1"),
        "twice",
    )
    .await;
}

#[actix_web::test]
async fn documented_enums_are_the_servers() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut every: Vec<String> = vec!["bogus".into()];
    let lists = ["/customers", "/vendors", "/donation_intents"];
    for path in lists {
        for value in query_schema(&doc, path, "get", "sort_by")["enum"]
            .as_array()
            .expect("enum")
        {
            every.push(value.as_str().expect("a name").to_string());
        }
    }
    for path in lists {
        for param in ["sort_by", "sort_order"] {
            let allowed = query_schema(&doc, path, "get", param)["enum"]
                .as_array()
                .expect("enum")
                .clone();
            for value in every
                .iter()
                .chain(["asc".to_string(), "desc".to_string()].iter())
            {
                let request = (Method::GET, format!("{path}?{param}={value}"), None);
                let what = format!("{param}={value}");
                if allowed.contains(&json!(value)) {
                    accepted(&app, request, &what).await;
                } else {
                    refused(&app, request, Refusal::Field(param), &what).await;
                }
            }
        }
    }
    let types = schema(&doc, "/components/schemas/SessionCreate/properties/type");
    for kind in types["enum"].as_array().expect("enum") {
        let body = match kind.as_str() {
            Some("portion_of_sales") => {
                json!({"type": kind, "allocations": [{"campaign_identifier": "cleanhub", "amount": 100}]})
            }
            _ => json!({"type": kind, "amount": 100, "available_campaigns": ["cleanhub"]}),
        };
        accepted(&app, post("/sessions", body), &format!("type {kind}")).await;
    }
    let body = json!({"type": "bogus", "amount": 100, "available_campaigns": ["cleanhub"]});
    refused(
        &app,
        post("/sessions", body),
        Refusal::Field("type"),
        "type bogus",
    )
    .await;
}

#[actix_web::test]
async fn null_is_accepted_exactly_where_documented() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemas = "/components/schemas";
    let create = schema(&doc, &format!("{schemas}/SessionCreate"));
    let interactive = json!({"type": "add_on", "amount": 500, "available_campaigns": ["cleanhub"]});
    nulls(&app, create, Some(&create["oneOf"][0]), &interactive, |b| {
        post("/sessions", b)
    })
    .await;
    let portion = json!({"type": "portion_of_sales",
                         "allocations": [{"campaign_identifier": "cleanhub", "amount": 100}]});
    nulls(&app, create, Some(&create["oneOf"][1]), &portion, |b| {
        post("/sessions", b)
    })
    .await;

    let party = schema(&doc, &format!("{schemas}/PartyInput"));
    nulls(&app, party, None, &json!({}), |b| post("/customers", b)).await;
    let item = schema(&doc, &format!("{schemas}/DonationIntentInput"));
    let valid = json!({"amount": 100, "campaign_identifier": "cleanhub"});
    nulls(&app, item, None, &valid, |b| {
        post("/donation_intents", json!([b]))
    })
    .await;

    let session = app.create_session(interactive.clone()).await;
    let path = format!("/sessions/{}", session["id"].as_str().expect("id"));
    let patch = schema(&doc, &format!("{schemas}/SessionPatch"));
    nulls(&app, patch, None, &json!({}), |b| {
        (Method::PATCH, path.clone(), Some(b))
    })
    .await;
    let choose = schema(&doc, &format!("{schemas}/ChooseCampaign"));
    let chosen = json!({"campaign_identifier": "cleanhub"});
    nulls(&app, choose, None, &chosen, |b| {
        post(&format!("{path}/choose_campaign"), b)
    })
    .await;
    let process = schema(&doc, &format!("{schemas}/Process"));
    nulls(&app, process, None, &json!({}), |b| {
        post(&format!("{path}/process"), b)
    })
    .await;

    let portion = app.create_session(portion).await;
    let path = format!(
        "/sessions/{}/allocations",
        portion["id"].as_str().expect("id")
    );
    let replace = schema(&doc, &format!("{schemas}/AllocationsBody"));
    let valid = json!({"allocations": [{"campaign_identifier": "cleanhub", "amount": 100}]});
    nulls(&app, replace, None, &valid, |b| {
        (Method::PUT, path.clone(), Some(b))
    })
    .await;
}

/// The document's `integer` is JSON Schema's: a number without a fractional part, however written.
#[actix_web::test]
async fn integers_are_whole_numbers_however_written() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let amount = schema(
        &doc,
        "/components/schemas/DonationIntentInput/properties/amount",
    );
    assert_eq!(amount["type"], "integer");
    let max = number(amount, "maximum");
    let body = format!(
        r#"[{{"amount": {max}.0, "campaign_identifier": "cleanhub"}},
            {{"amount": 1e3, "campaign_identifier": "cleanhub"}}]"#
    );
    let resp = app
        .req(Method::POST, "/donation_intents")
        .body(body)
        .send()
        .await
        .expect("request");
    let created = json_ok(resp, 201).await;
    let amounts: Vec<i64> = created["data"]
        .as_array()
        .expect("intents")
        .iter()
        .filter_map(|i| i["amount"].as_i64())
        .collect();
    assert_eq!(amounts, vec![i64::try_from(max).expect("i64"), 1000]);
    for (written, field) in [
        (format!("{}.0", max + 1), "0.amount"),
        ("10.5".to_string(), "0.amount"),
    ] {
        let body = format!(r#"[{{"amount": {written}, "campaign_identifier": "cleanhub"}}]"#);
        let resp = app
            .req(Method::POST, "/donation_intents")
            .body(body)
            .send()
            .await
            .expect("request");
        let body = assert_error(resp, 422, "validation.failed").await;
        assert_eq!(fields(&body), vec![field.to_string()], "{written}");
    }
}

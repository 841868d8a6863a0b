//! Reports and exports (SPEC 13): monthly statements (JSON, CSV, operator), the daily impact
//! series of customers and vendors, and the streamed donation intents CSV, parsed with a real CSV
//! parser.

use crate::directory::{as_key, create_party, day, donate, id_of, DIRS};
use crate::helpers::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};

const EXPORT_COLUMNS: [&str; 10] = [
    "id",
    "created_at",
    "amount",
    "campaign_identifier",
    "customer_id",
    "customer_external_id",
    "vendor_id",
    "vendor_external_id",
    "session_id",
    "impact",
];

/// Asserts a CSV download (content type, attachment file name) and parses it: (header, rows).
async fn csv_of(resp: Response, filename: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type");
    let disposition = header("content-disposition");
    let body = resp.bytes().await.expect("body");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type.as_deref(), Some("text/csv; charset=utf-8"));
    assert_eq!(
        disposition.as_deref(),
        Some(format!("attachment; filename=\"{filename}\"").as_str())
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_ref());
    let head: Vec<String> = reader
        .headers()
        .expect("header row")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("CSV record").iter().map(str::to_string).collect())
        .collect();
    (head, rows)
}

async fn admin_get(app: &TestApp, path: &str) -> Response {
    app.admin(Method::GET, path).send().await.expect("request")
}

fn labels(impact: &Value) -> Vec<String> {
    impact
        .as_array()
        .expect("impact array")
        .iter()
        .map(|i| i["label"].as_str().expect("label").to_string())
        .collect()
}

/// Intents created at noon UTC of `date`, direct (no customer), one per (campaign, amount).
async fn direct_intents(app: &TestApp, date: (i32, u32, u32), items: &[(&str, i64)]) -> Vec<Value> {
    app.clock.set(day(date.0, date.1, date.2));
    let body: Vec<Value> = items
        .iter()
        .map(|(c, a)| json!({"campaign_identifier": c, "amount": a}))
        .collect();
    app.create_intents(json!(body)).await
}

// ---- monthly statement ----------------------------------------------------------------------

#[actix_web::test]
async fn the_monthly_statement_sums_each_campaign_of_the_month_without_cancelled_intents() {
    let app = spawn_app().await;
    let customer = id_of(&create_party(&app, "/customers", json!({})).await);
    // February and April frame March; another organization donates in March too.
    direct_intents(&app, (2026, 2, 28), &[("cleanhub", 7_000)]).await;
    let march = direct_intents(
        &app,
        (2026, 3, 1),
        &[
            ("trees-for-the-future", 1_000),
            ("trees-for-the-future", 500),
            ("cleanhub", 300),
        ],
    )
    .await;
    app.clock.set(day(2026, 3, 31));
    donate(&app, Some(&customer), None, "trees-for-the-future", 250).await;
    direct_intents(&app, (2026, 4, 1), &[("cleanhub", 9_000)]).await;
    let (_, other_key) = app.new_org("Other").await;
    app.clock.set(day(2026, 3, 15));
    let resp = as_key(
        &app,
        &other_key,
        Method::POST,
        "/donation_intents",
        Some(&json!([{"campaign_identifier": "cleanhub", "amount": 4_400}])),
    )
    .await;
    json_ok(resp, 201).await;
    // Cancelling the 500 takes it off the statement.
    let cancelled = id_of(&march[1]);
    json_ok(
        app.put(&format!("/donation_intents/{cancelled}/cancel"), &json!({}))
            .await,
        200,
    )
    .await;

    let body = json_ok(app.get("/reports/monthly?month=2026-03").await, 200).await;
    assert_eq!(
        body,
        json!({"data": {
        "month": "2026-03", "currency": "usd", "total_amount": 1_550, "donation_count": 3,
        "campaigns": [
            {"campaign_identifier": "cleanhub", "name": "CleanHub", "amount": 300,
             "donation_count": 1, "impact": [{"key": "plastic_collected",
             "name": body["data"]["campaigns"][0]["impact"][0]["name"],
             "emoji": body["data"]["campaigns"][0]["impact"][0]["emoji"],
             "icon": body["data"]["campaigns"][0]["impact"][0]["icon"],
             "quantity": 3.0, "unit": "kg of plastic", "label": "3 kg of plastic collected"}]},
            {"campaign_identifier": "trees-for-the-future", "name": "Trees for the Future",
             "amount": 1_250, "donation_count": 2, "impact": [{"key": "trees_planted",
             "name": "Trees planted", "emoji": "🌳", "icon": "tree",
             "quantity": 50.0, "unit": "trees", "label": "50 trees planted"}]}
        ]}})
    );
    // The other organization sees only its own.
    let resp = as_key(
        &app,
        &other_key,
        Method::GET,
        "/reports/monthly?month=2026-03",
        None,
    )
    .await;
    let other = json_ok(resp, 200).await;
    assert_eq!(other["data"]["total_amount"], 4_400);
    assert_eq!(
        other["data"]["campaigns"][0]["campaign_identifier"],
        "cleanhub"
    );
}

#[actix_web::test]
async fn an_empty_month_has_no_campaigns_and_zero_totals() {
    let app = spawn_app().await;
    direct_intents(&app, (2026, 5, 31), &[("cleanhub", 100)]).await;
    let body = json_ok(app.get("/reports/monthly?month=2026-06").await, 200).await;
    assert_eq!(
        body,
        json!({"data": {"month": "2026-06", "currency": "usd", "total_amount": 0,
                        "donation_count": 0, "campaigns": []}})
    );
    let (head, rows) = csv_of(
        app.get("/reports/monthly.csv?month=2026-06").await,
        "statement_2026-06.csv",
    )
    .await;
    assert_eq!(head.len(), 7);
    assert!(rows.is_empty());
}

#[actix_web::test]
async fn a_bad_or_missing_month_is_422_on_month() {
    let app = spawn_app().await;
    for path in [
        "/reports/monthly",
        "/reports/monthly.csv",
        "/admin/api/statements",
    ] {
        for query in [
            "",
            "?month=",
            "?month=2026-13",
            "?month=2026-00",
            "?month=2026-3",
            "?month=march",
            "?month=2026-03-01",
        ] {
            let url = format!("{path}{query}");
            let resp = if path.starts_with("/admin") {
                admin_get(&app, &url).await
            } else {
                app.get(&url).await
            };
            let body = assert_error(resp, 422, "validation.failed").await;
            assert_eq!(fields(&body), ["month"], "{url}");
        }
    }
    let resp = app
        .client
        .get(app.url("/reports/monthly?month=2026-01"))
        .send()
        .await
        .expect("request");
    assert_error(resp, 401, "auth.unauthorized").await;
}

#[actix_web::test]
async fn the_statement_csv_has_a_row_per_campaign_as_the_json_shows_it() {
    let app = spawn_app().await;
    direct_intents(
        &app,
        (2025, 12, 3),
        &[
            ("community-meals", 150),
            ("plastic-fischer", 2_000),
            ("community-meals", 50),
        ],
    )
    .await;
    let json = json_ok(app.get("/reports/monthly?month=2025-12").await, 200).await;
    let (head, rows) = csv_of(
        app.get("/reports/monthly.csv?month=2025-12").await,
        "statement_2025-12.csv",
    )
    .await;
    assert_eq!(
        head,
        [
            "month",
            "campaign_identifier",
            "name",
            "currency",
            "amount",
            "donation_count",
            "impact"
        ]
    );
    let expected: Vec<Vec<String>> = json["data"]["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .map(|c| {
            vec![
                "2025-12".to_string(),
                c["campaign_identifier"].as_str().expect("id").to_string(),
                c["name"].as_str().expect("name").to_string(),
                "usd".to_string(),
                c["amount"].to_string(),
                c["donation_count"].to_string(),
                labels(&c["impact"]).join("; "),
            ]
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(rows[0][1], "community-meals");
    assert_eq!(rows[0][4], "200");
    assert_eq!(rows[0][6], "20 meals served");
}

#[actix_web::test]
async fn the_operator_statement_covers_every_organization_and_sums_campaigns() {
    let app = spawn_app().await;
    let (other_id, other_key) = app.new_org("Acme, \"Quoted\" Inc.").await;
    direct_intents(
        &app,
        (2026, 1, 10),
        &[("cleanhub", 1_000), ("yellow-rooms", 500)],
    )
    .await;
    let resp = as_key(
        &app,
        &other_key,
        Method::POST,
        "/donation_intents",
        Some(&json!([{"campaign_identifier": "cleanhub", "amount": 250}])),
    )
    .await;
    json_ok(resp, 201).await;

    let all = json_ok(
        admin_get(&app, "/admin/api/statements?month=2026-01").await,
        200,
    )
    .await;
    let data = &all["data"];
    assert_eq!(
        (
            data["total_amount"].as_i64(),
            data["donation_count"].as_i64()
        ),
        (Some(1_750), Some(3))
    );
    let sums: Vec<(String, i64, Vec<String>)> = data["campaigns"]
        .as_array()
        .expect("campaigns")
        .iter()
        .map(|c| {
            (
                c["campaign_identifier"].as_str().expect("id").to_string(),
                c["amount"].as_i64().expect("amount"),
                labels(&c["impact"]),
            )
        })
        .collect();
    assert_eq!(
        sums,
        [
            (
                "cleanhub".to_string(),
                1_250,
                vec!["12.5 kg of plastic collected".to_string()]
            ),
            (
                "yellow-rooms".to_string(),
                500,
                vec!["1 safe night provided".to_string()]
            ),
        ]
    );
    let orgs: Vec<(&str, i64)> = data["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .map(|o| {
            (
                o["organization_name"].as_str().expect("name"),
                o["total_amount"].as_i64().expect("total"),
            )
        })
        .collect();
    assert_eq!(orgs, [("Acme, \"Quoted\" Inc.", 250), ("Sandbox", 1_500)]);

    let one = json_ok(
        admin_get(
            &app,
            &format!("/admin/api/statements?month=2026-01&organization_id={other_id}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(one["data"]["total_amount"], 250);
    assert_eq!(
        one["data"]["organizations"].as_array().map(Vec::len),
        Some(1)
    );

    let (head, rows) = csv_of(
        admin_get(&app, "/admin/api/statements.csv?month=2026-01").await,
        "statement_2026-01_all.csv",
    )
    .await;
    assert_eq!(head[..3], ["month", "organization_id", "organization_name"]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0][1], other_id);
    assert_eq!(rows[0][2], "Acme, \"Quoted\" Inc.");
    assert_eq!(
        (rows[0][3].as_str(), rows[0][6].as_str()),
        ("cleanhub", "250")
    );

    let resp = app
        .req(Method::GET, "/admin/api/statements?month=2026-01")
        .send()
        .await
        .expect("request");
    assert_error(resp, 401, "auth.unauthorized").await;
}

// ---- daily impact ---------------------------------------------------------------------------

#[actix_web::test]
async fn the_daily_series_has_one_item_per_day_with_intents_for_customers_and_vendors() {
    let app = spawn_app().await;
    for (base, resource, _) in DIRS {
        let party = id_of(&create_party(&app, base, json!({})).await);
        let (customer, vendor) = if base == "/customers" {
            (Some(party.as_str()), None)
        } else {
            (None, Some(party.as_str()))
        };
        app.clock.set(day(2026, 1, 30));
        donate(&app, customer, vendor, "trees-for-the-future", 1_000).await;
        // Two days later (a day without intents between): two campaigns, then one cancelled.
        app.clock.advance(2 * 86_400);
        donate(&app, customer, vendor, "trees-for-the-future", 250).await;
        donate(&app, customer, vendor, "cleanhub", 300).await;
        let gone = donate(&app, customer, vendor, "cleanhub", 700).await;
        json_ok(
            app.put(
                &format!("/donation_intents/{}/cancel", id_of(&gone)),
                &json!({}),
            )
            .await,
            200,
        )
        .await;
        // A day whose only intent was cancelled is no day of the series.
        app.clock.advance(86_400);
        let lone = donate(&app, customer, vendor, "cleanhub", 100).await;
        json_ok(
            app.put(
                &format!("/donation_intents/{}/cancel", id_of(&lone)),
                &json!({}),
            )
            .await,
            200,
        )
        .await;

        let path = format!("{base}/{party}/impact_metrics/daily");
        let body = json_ok(app.get(&path).await, 200).await;
        let days = body["data"].as_array().expect("days");
        assert_eq!(days.len(), 2, "{body}");
        assert_eq!(
            days[0],
            json!({"date": "2026-01-30", "amount": 1_000, "donation_count": 1,
                   "impact": [{"key": "trees_planted", "name": "Trees planted", "emoji": "🌳",
                     "icon": "tree", "quantity": 40.0, "unit": "trees", "label": "40 trees planted"}]})
        );
        assert_eq!(days[1]["date"], "2026-02-01");
        assert_eq!(
            (
                days[1]["amount"].as_i64(),
                days[1]["donation_count"].as_i64()
            ),
            (Some(550), Some(2))
        );
        assert_eq!(
            labels(&days[1]["impact"]),
            ["10 trees planted", "3 kg of plastic collected"]
        );

        // Window limits: inclusive days, an inverted window is empty, dates outside are cut.
        let only = json_ok(
            app.get(&format!("{path}?date_from=2026-01-31&date_to=2026-02-01"))
                .await,
            200,
        )
        .await;
        assert_eq!(only["data"].as_array().map(Vec::len), Some(1));
        assert_eq!(only["data"][0]["date"], "2026-02-01");
        let first = json_ok(app.get(&format!("{path}?date_to=2026-01-30")).await, 200).await;
        assert_eq!(first["data"].as_array().map(Vec::len), Some(1));
        let inverted = json_ok(
            app.get(&format!("{path}?date_from=2026-02-02&date_to=2026-01-01"))
                .await,
            200,
        )
        .await;
        assert_eq!(inverted["data"], json!([]));
        let full_year = json_ok(
            app.get(&format!("{path}?date_from=2025-02-01&date_to=2026-02-01"))
                .await,
            200,
        )
        .await;
        assert_eq!(
            full_year["data"].as_array().map(Vec::len),
            Some(2),
            "366 days is allowed"
        );
        for query in [
            "?date_from=2025-01-31&date_to=2026-02-01",
            "?date_from=2020-01-01",
        ] {
            let body = assert_error(
                app.get(&format!("{path}{query}")).await,
                422,
                "validation.failed",
            )
            .await;
            assert_eq!(fields(&body), ["date_from"], "{query}");
        }
        let body = assert_error(
            app.get(&format!("{path}?date_to=2026-02-30")).await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&body), ["date_to"]);

        // Unknown and malformed ids are the resource's 404.
        let code = format!("{resource}.not-found");
        assert_error(
            app.get(&format!(
                "{base}/01ARZ3NDEKTSV4RRFFQ69G5FAV/impact_metrics/daily"
            ))
            .await,
            404,
            &code,
        )
        .await;
        assert_error(
            app.get(&format!("{base}/nope/impact_metrics/daily")).await,
            404,
            &code,
        )
        .await;
    }
}

#[actix_web::test]
async fn the_default_daily_window_is_the_366_days_to_today_by_the_server_clock() {
    let app = spawn_app().await;
    let customer = id_of(&create_party(&app, "/customers", json!({})).await);
    app.clock.set(day(2025, 1, 1));
    donate(&app, Some(&customer), None, "cleanhub", 100).await;
    app.clock.set(day(2025, 1, 2));
    donate(&app, Some(&customer), None, "cleanhub", 200).await;
    let path = format!("/customers/{customer}/impact_metrics/daily");
    // 2026-01-02 - 365 days = 2025-01-02: the first day falls out of the default window.
    app.clock.set(day(2026, 1, 2));
    let body = json_ok(app.get(&path).await, 200).await;
    let dates: Vec<&str> = body["data"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["date"].as_str().expect("date"))
        .collect();
    assert_eq!(dates, ["2025-01-02"]);
    app.clock.set(day(2026, 1, 1));
    let body = json_ok(app.get(&path).await, 200).await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    // Another organization's key finds no such customer.
    let (_, other_key) = app.new_org("Other").await;
    let resp = as_key(&app, &other_key, Method::GET, &path, None).await;
    assert_error(resp, 404, "customer.not-found").await;
}

// ---- CSV export -----------------------------------------------------------------------------

#[actix_web::test]
async fn the_export_is_rfc_4180_csv_with_every_column_parsed_back_exactly() {
    let app = spawn_app().await;
    let tricky = "ext,with \"quotes\"\nand a line break";
    let customer = create_party(&app, "/customers", json!({"external_id": tricky})).await;
    let vendor = create_party(&app, "/vendors", json!({"external_id": "v, 1"})).await;
    let (customer, vendor) = (id_of(&customer), id_of(&vendor));
    // A campaign of two metrics, whose keys sort against their order: labels follow the order.
    let bees = json!({"identifier": "bees-and-trees", "name": "Bees, and trees",
        "impact_metrics": [
            {"key": "z_hives", "name": "Hives built", "unit_singular": "hive", "unit_plural": "hives",
             "verb_present": "build", "verb_past": "built", "impact_per_dollar": 0.5},
            {"key": "a_trees", "name": "Trees planted", "unit_singular": "tree", "unit_plural": "trees",
             "verb_present": "plant", "verb_past": "planted", "impact_per_dollar": 2}]});
    let resp = app
        .admin(Method::POST, "/admin/api/campaigns")
        .json(&bees)
        .send()
        .await
        .expect("request");
    json_ok(resp, 201).await;
    direct_intents(
        &app,
        (2026, 2, 1),
        &[("trees-for-the-future", 1_000), ("bees-and-trees", 1_000)],
    )
    .await;
    let statement = json_ok(app.get("/reports/monthly?month=2026-02").await, 200).await;
    assert_eq!(statement["data"]["campaigns"][0]["name"], "Bees, and trees");
    assert_eq!(
        labels(&statement["data"]["campaigns"][0]["impact"]),
        ["5 hives built", "20 trees planted"]
    );
    app.clock.set(day(2026, 2, 2));
    let session_intent = donate(&app, Some(&customer), Some(&vendor), "cleanhub", 250).await;
    // An approximated session's intent keeps its `~`.
    let session = app
        .create_session(
            json!({"type": "add_on", "amount": 100, "approximated": true,
                               "available_campaigns": ["yellow-rooms"]}),
        )
        .await;
    let sid = id_of(&session);
    json_ok(
        app.post(
            &format!("/sessions/{sid}/choose_campaign"),
            &json!({"campaign_identifier": "yellow-rooms"}),
        )
        .await,
        200,
    )
    .await;
    json_ok(
        app.post(&format!("/sessions/{sid}/confirm"), &json!({}))
            .await,
        200,
    )
    .await;

    let resp = app.get("/donation_intents/export.csv").await;
    assert_eq!(
        resp.content_length(),
        None,
        "streamed (chunked), not built whole"
    );
    let (head, rows) = csv_of(resp, "donation_intents.csv").await;
    assert_eq!(head, EXPORT_COLUMNS);
    assert_eq!(rows.len(), 4);
    let listed = json_ok(app.get("/donation_intents?sort_order=asc").await, 200).await;
    let expected: Vec<Vec<String>> = listed["data"]
        .as_array()
        .expect("intents")
        .iter()
        .map(|i| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_string();
            let ext = |id: &Value| {
                if *id == json!(customer) {
                    tricky.to_string()
                } else if *id == json!(vendor) {
                    "v, 1".to_string()
                } else {
                    String::new()
                }
            };
            vec![
                text(&i["id"]),
                text(&i["created_at"]),
                i["amount"].to_string(),
                text(&i["campaign_identifier"]),
                text(&i["customer_id"]),
                ext(&i["customer_id"]),
                text(&i["vendor_id"]),
                ext(&i["vendor_id"]),
                text(&i["session_id"]),
                labels(&i["impact"]).join("; "),
            ]
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(rows[2][0], id_of(&session_intent));
    assert_eq!(rows[2][5], tricky);
    assert_eq!(rows[3][9], "~0.2 safe nights provided");
    assert_eq!(rows[0][9], "40 trees planted");
    assert_eq!(rows[1][9], "5 hives built; 20 trees planted");

    // The raw bytes quote what needs quoting, double inner quotes, and end lines with CRLF.
    let raw = app
        .get("/donation_intents/export.csv")
        .await
        .text()
        .await
        .expect("text");
    assert!(raw.starts_with("id,created_at,amount,campaign_identifier,customer_id,customer_external_id,vendor_id,vendor_external_id,session_id,impact\r\n"));
    assert!(raw.contains("\"ext,with \"\"quotes\"\"\nand a line break\""));
    assert!(raw.contains(",\"v, 1\","));
    assert!(raw.ends_with("\r\n"));

    // A deleted customer keeps its id in the file and loses its external id.
    json_ok(app.delete(&format!("/customers/{customer}")).await, 200).await;
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv").await,
        "donation_intents.csv",
    )
    .await;
    assert_eq!(
        (rows[2][4].as_str(), rows[2][5].as_str()),
        (customer.as_str(), "")
    );
}

#[actix_web::test]
async fn the_export_filters_by_inclusive_dates_and_orders_as_asked() {
    let app = spawn_app().await;
    let mut all = Vec::new();
    for d in [1, 2, 3, 4] {
        all.extend(
            direct_intents(
                &app,
                (2026, 3, d),
                &[("cleanhub", 100 * d as i64), ("cleanhub", 1)],
            )
            .await,
        );
    }
    let (_, other_key) = app.new_org("Other").await;
    let resp = as_key(
        &app,
        &other_key,
        Method::POST,
        "/donation_intents",
        Some(&json!([{"campaign_identifier": "cleanhub", "amount": 5}])),
    )
    .await;
    json_ok(resp, 201).await;
    let ids = |rows: &[Vec<String>]| rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    let all_ids: Vec<String> = all.iter().map(id_of).collect();

    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv").await,
        "donation_intents.csv",
    )
    .await;
    assert_eq!(
        ids(&rows),
        all_ids,
        "ascending by default, this organization only"
    );
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv?sort_order=desc")
            .await,
        "donation_intents.csv",
    )
    .await;
    let mut reversed = all_ids.clone();
    reversed.reverse();
    assert_eq!(ids(&rows), reversed);
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv?date_from=2026-03-02&date_to=2026-03-03")
            .await,
        "donation_intents_2026-03-02_2026-03-03.csv",
    )
    .await;
    assert_eq!(ids(&rows), all_ids[2..6]);
    assert!(rows
        .iter()
        .all(|r| r[1].starts_with("2026-03-02") || r[1].starts_with("2026-03-03")));
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv?date_from=2026-03-04&sort_order=desc")
            .await,
        "donation_intents_2026-03-04_end.csv",
    )
    .await;
    assert_eq!(ids(&rows), [all_ids[7].clone(), all_ids[6].clone()]);
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv?date_from=2026-03-05&date_to=2026-03-01")
            .await,
        "donation_intents_2026-03-05_2026-03-01.csv",
    )
    .await;
    assert!(rows.is_empty());

    for (query, field) in [
        ("?sort_order=up", "sort_order"),
        ("?sort_by=amount", "sort_by"),
        ("?date_from=2026-3-1", "date_from"),
        ("?date_to=tomorrow", "date_to"),
    ] {
        let body = assert_error(
            app.get(&format!("/donation_intents/export.csv{query}"))
                .await,
            422,
            "validation.failed",
        )
        .await;
        assert_eq!(fields(&body), [field]);
    }
    let resp = app
        .client
        .get(app.url("/donation_intents/export.csv"))
        .send()
        .await
        .expect("request");
    assert_error(resp, 401, "auth.unauthorized").await;
    // The export path is not taken for an intent id; a real id still is one.
    assert_error(
        app.get("/donation_intents/export.json").await,
        404,
        "donation-intent.not-found",
    )
    .await;
    json_ok(
        app.get(&format!("/donation_intents/{}", all_ids[0])).await,
        200,
    )
    .await;
}

#[actix_web::test]
async fn an_export_larger_than_a_chunk_has_every_intent_once_in_order() {
    let app = spawn_app().await;
    app.clock.set(day(2026, 6, 1));
    // 4,100 intents in batches of 50 sharing a timestamp: chunks end inside runs of equal
    // `created_at`, so resuming relies on the id tie-break.
    let batch: Vec<Value> = (0..50)
        .map(|i| json!({"campaign_identifier": "cleanhub", "amount": 1 + i}))
        .collect();
    let mut created = Vec::new();
    for _ in 0..82 {
        created.extend(app.create_intents(json!(batch)).await.iter().map(id_of));
        app.clock.advance(1);
    }
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv").await,
        "donation_intents.csv",
    )
    .await;
    let exported: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(exported.len(), 4_100);
    assert_eq!(exported, created);
    let (_, rows) = csv_of(
        app.get("/donation_intents/export.csv?sort_order=desc")
            .await,
        "donation_intents.csv",
    )
    .await;
    created.reverse();
    assert_eq!(
        rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
        created
    );
}

#[actix_web::test]
async fn the_console_exports_an_organizations_intents_and_its_campaign_days() {
    let app = spawn_app().await;
    let (org_id, org_key) = app.new_org("Acme").await;
    app.clock.set(day(2026, 7, 10));
    let resp = as_key(
        &app,
        &org_key,
        Method::POST,
        "/donation_intents",
        Some(&json!([{"campaign_identifier": "cleanhub", "amount": 300},
                     {"campaign_identifier": "trees-for-the-future", "amount": 100}])),
    )
    .await;
    json_ok(resp, 201).await;
    app.clock.set(day(2026, 7, 12));
    direct_intents(&app, (2026, 7, 12), &[("cleanhub", 50)]).await;

    let (head, rows) = csv_of(
        admin_get(
            &app,
            &format!("/admin/api/donation_intents/export.csv?organization_id={org_id}"),
        )
        .await,
        "donation_intents.csv",
    )
    .await;
    assert_eq!(head, EXPORT_COLUMNS);
    assert_eq!(rows.len(), 2);
    let body = assert_error(
        admin_get(&app, "/admin/api/donation_intents/export.csv").await,
        422,
        "validation.failed",
    )
    .await;
    assert_eq!(fields(&body), ["organization_id"]);
    assert_error(
        admin_get(
            &app,
            "/admin/api/donation_intents/export.csv?organization_id=01ARZ3NDEKTSV4RRFFQ69G5FAV",
        )
        .await,
        404,
        "organization.not-found",
    )
    .await;

    let stats = json_ok(
        admin_get(&app, "/admin/api/stats/campaigns?days=7").await,
        200,
    )
    .await;
    let dates = stats["data"]["dates"].as_array().expect("dates");
    assert_eq!((dates.len(), dates[6].as_str()), (7, Some("2026-07-12")));
    let campaigns = stats["data"]["campaigns"].as_array().expect("campaigns");
    let cleanhub = &campaigns[0];
    assert_eq!(cleanhub["campaign_identifier"], "cleanhub");
    assert_eq!(cleanhub["amount"], 350);
    assert_eq!(
        cleanhub["days"],
        json!([
            {"date": "2026-07-10", "amount": 300, "donation_count": 1,
             "impact": [{"key": "plastic_collected", "name": cleanhub["impact"][0]["name"],
               "emoji": cleanhub["impact"][0]["emoji"], "icon": cleanhub["impact"][0]["icon"],
               "quantity": 3.0, "unit": "kg of plastic", "label": "3 kg of plastic collected"}]},
            {"date": "2026-07-12", "amount": 50, "donation_count": 1,
             "impact": [{"key": "plastic_collected", "name": cleanhub["impact"][0]["name"],
               "emoji": cleanhub["impact"][0]["emoji"], "icon": cleanhub["impact"][0]["icon"],
               "quantity": 0.5, "unit": "kg of plastic", "label": "0.5 kg of plastic collected"}]}
        ])
    );
    assert_eq!(campaigns[1]["campaign_identifier"], "trees-for-the-future");
    let mine = json_ok(
        admin_get(
            &app,
            &format!("/admin/api/stats/campaigns?days=7&organization_id={org_id}"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(mine["data"]["campaigns"][0]["amount"], 300);
    assert_error(
        admin_get(&app, "/admin/api/stats/campaigns?days=0").await,
        422,
        "validation.failed",
    )
    .await;
}

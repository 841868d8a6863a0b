//! Store, auth, errors, pagination, campaigns (SPEC 1-4, 5.1).

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[actix_web::test]
async fn campaigns_list_the_default_catalog_with_metrics() {
    let app = spawn_app().await;
    let body = json_ok(app.get("/campaigns").await, 200).await;
    let list = body["data"].as_array().expect("array");
    let ids: Vec<&str> = list
        .iter()
        .map(|c| c["identifier"].as_str().expect("identifier"))
        .collect();
    assert_eq!(
        ids,
        [
            "cleanhub",
            "community-meals",
            "plastic-fischer",
            "trees-for-the-future",
            "yellow-rooms"
        ]
    );
    let trees = &list[3];
    assert_eq!(trees["impact_metrics"][0]["key"], "trees_planted");
    assert_eq!(trees["impact_metrics"][0]["impact_per_dollar"], 4.0);
    let one = json_ok(app.get("/campaigns/cleanhub").await, 200).await;
    assert_eq!(
        one["data"]["impact_metrics"][0]["unit_plural"],
        "kg of plastic"
    );
    assert_error(app.get("/campaigns/nope").await, 404, "campaign.not-found").await;
}

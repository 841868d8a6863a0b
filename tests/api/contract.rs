//! The OpenAPI document against the routes the server really mounts.

use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

#[actix_web::test]
async fn the_document_names_exactly_the_mounted_public_routes() {
    let app = spawn_app().await;
    let doc = json_ok(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(doc["openapi"], "3.1.0");
    let in_doc = documented(&doc);
    let mounted: BTreeSet<(String, String)> = impactapi::api::endpoints()
        .iter()
        .map(|e| (e.method.as_str().to_string(), e.path.clone()))
        .collect();
    let undocumented: Vec<_> = mounted.difference(&in_doc).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    let unserved: Vec<_> = in_doc.difference(&mounted).collect();
    assert!(
        unserved.is_empty(),
        "documented routes the server does not mount: {unserved:?}"
    );
    assert!(
        in_doc.len() >= 29,
        "every public operation is there: {}",
        in_doc.len()
    );
}

#[actix_web::test]
async fn every_documented_operation_is_routed_and_other_methods_are_405() {
    let app = spawn_app().await;
    let doc = json_ok(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    let in_doc = documented(&doc);
    let paths: BTreeSet<&String> = in_doc.iter().map(|(_, p)| p).collect();
    for path in paths {
        let concrete = path
            .replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
            .replace("{identifier}", "cleanhub");
        for method in METHODS {
            let m = Method::from_bytes(method.as_bytes()).expect("method");
            let resp = app
                .req(m, &concrete)
                .body("{}")
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if in_doc.contains(&(method.to_string(), path.clone())) {
                assert!(
                    status != 405 && code != "route.not-found",
                    "{method} {path} is documented but answered {status} {code}"
                );
            } else {
                assert_eq!(
                    status, 405,
                    "{method} {path} is not documented, so it must be 405 (got {status} {code})"
                );
            }
        }
    }
}

#[actix_web::test]
async fn the_document_describes_auth_errors_and_bodies() {
    let app = spawn_app().await;
    let doc = json_ok(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .expect("request"),
        200,
    )
    .await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["apiKey"]["scheme"], "bearer");
    assert_eq!(schemes["sessionSecret"]["name"], "X-Session-Secret");
    let get_session = &doc["paths"]["/sessions/{id}"]["get"];
    assert_eq!(get_session["security"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        get_session["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Error"
    );
    let create = &doc["paths"]["/donation_intents"]["post"];
    assert!(create["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_string());
    assert!(create["responses"]["201"].is_object());
    // Every $ref points at a schema that exists.
    let text = doc.to_string();
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        assert!(
            doc["components"]["schemas"][&name].is_object(),
            "dangling $ref to {name}"
        );
    }
}

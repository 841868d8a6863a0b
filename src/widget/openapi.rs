//! What `/openapi.json` says of the widget's routes: their operations and body schemas.

use crate::openapi::{Auth, Operation};
use serde_json::{json, Map, Value};

/// What `/openapi.json` says of each widget route. A response named `text/...` is that media type.
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    let o = |summary, query, response| Operation {
        summary,
        auth: Auth::None,
        query,
        body: None,
        status: 200,
        response,
    };
    Some(match (method, path) {
        ("GET", "/widget" | "/widget/") => o(
            "The embeddable checkout widget page (framable from any origin)",
            &["sessionId", "styleMode", "previewMode"],
            "text/html",
        ),
        ("GET", "/widget/sdk.js") => o(
            "The widget SDK, an ES module (createWidget, createPreviewWidget)",
            &[],
            "text/javascript",
        ),
        ("GET", "/widget/widget.js") => o("The widget page's script", &[], "text/javascript"),
        ("GET", "/widget/widget.css") => o("The widget page's style sheet", &[], "text/css"),
        ("GET", "/widget/api/sessions/{id}") => Operation {
            auth: Auth::Secret,
            ..o(
                "A session as the widget shows it (SessionData), with the server's time",
                &[],
                "WidgetSession",
            )
        },
        ("GET", "/widget/api/campaigns") => o(
            "Active campaigns with the impact of an amount (preview mode)",
            &["identifiers", "amount"],
            "WidgetCampaignList",
        ),
        _ => return None,
    })
}

/// The component schemas of the widget's JSON bodies.
pub fn schemas() -> Map<String, Value> {
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    let text = json!({"type": "string"});
    let nullable_text = json!({"type": ["string", "null"]});
    let value = json!({
        "WidgetImpactMetric": {
            "type": "object",
            "required": ["identifier", "name", "verbPast", "verbImperative", "impactObjectSingular", "impactObjectPlural", "impactToDollarRatio"],
            "properties": {
                "identifier": text, "name": text, "description": nullable_text,
                "verbSingular": text, "verbPlural": text, "verbPast": text, "verbProgressive": text,
                "verbImperative": text, "impactObjectSingular": text, "impactObjectPlural": text,
                "unit": text, "emoji": nullable_text, "icon": nullable_text,
                "impactToDollarRatio": {"type": "number"}
            }
        },
        "WidgetImpactCalculation": {
            "type": "object", "required": ["campaignIdentifier", "amount", "impactText"],
            "properties": {"campaignIdentifier": text, "amount": {"type": "integer"}, "impactText": text}
        },
        "WidgetCampaign": {
            "type": "object", "required": ["id", "slug", "organizationName", "impactMetrics"],
            "properties": {
                "id": text, "slug": text, "organizationName": text, "description": nullable_text,
                "imageUrl": nullable_text,
                "impactMetrics": {"type": "array", "items": r("WidgetImpactMetric")},
                "impact": {"type": "array", "items": r("WidgetImpactCalculation")}
            }
        },
        "WidgetAllocation": {
            "type": "object", "required": ["campaignIdentifier", "amount", "campaign"],
            "properties": {
                "campaignIdentifier": text, "amount": {"type": "integer"},
                "campaign": {"oneOf": [r("WidgetCampaign"), {"type": "null"}]}
            }
        },
        "WidgetSessionData": {
            "type": "object",
            "required": ["id", "type", "status", "expiresAt", "campaigns", "allocations", "selectedCampaign", "optedOut", "impact"],
            "properties": {
                "id": text,
                "type": {"type": "string", "enum": ["add_on", "portion_of_sales_choice", "portion_of_sales"]},
                "amount": {"type": "integer", "description": "Absent for portion_of_sales"},
                "status": {"type": "string", "enum": ["active", "processing", "confirmed", "expired"]},
                "expiresAt": text,
                "campaigns": {"type": "array", "items": r("WidgetCampaign")},
                "allocations": {"type": "array", "items": r("WidgetAllocation")},
                "selectedCampaign": nullable_text,
                "optedOut": {"type": "boolean"},
                "impact": {"type": "array", "items": r("WidgetImpactCalculation")}
            }
        },
        "WidgetSession": {
            "type": "object", "required": ["data", "now"],
            "properties": {"data": r("WidgetSessionData"), "now": text}
        },
        "WidgetCampaignList": {
            "type": "object", "required": ["data"],
            "properties": {"data": {"type": "array", "items": r("WidgetCampaign")}}
        }
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

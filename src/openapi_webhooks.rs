//! The webhook routes (SPEC 11) in the OpenAPI document: their operations and component schemas.

use crate::openapi::{Auth, Operation};
use serde_json::{json, Map, Value};

const PAGE: &[&str] = &["per_page", "page", "sort_by_created", "sort_order"];

fn op(
    summary: &'static str,
    body: Option<&'static str>,
    status: u16,
    response: &'static str,
) -> Operation {
    Operation {
        summary,
        auth: Auth::ApiKey,
        query: &[],
        body,
        status,
        response,
    }
}

/// The documentation of a webhook route, or `None`.
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    let o = match (method, path) {
        ("GET", "/webhook_endpoints") => Operation {
            query: PAGE,
            ..op(
                "List webhook endpoints, newest first",
                None,
                200,
                "WebhookEndpointPage",
            )
        },
        ("POST", "/webhook_endpoints") => op(
            "Create a webhook endpoint (the answer is the only one carrying its secret)",
            Some("WebhookEndpointInput"),
            201,
            "WebhookEndpointCreatedEnvelope",
        ),
        ("GET", "/webhook_endpoints/{id}") => op(
            "Get a webhook endpoint",
            None,
            200,
            "WebhookEndpointEnvelope",
        ),
        ("PATCH", "/webhook_endpoints/{id}") => op(
            "Update a webhook endpoint",
            Some("WebhookEndpointPatch"),
            200,
            "WebhookEndpointEnvelope",
        ),
        ("DELETE", "/webhook_endpoints/{id}") => op(
            "Delete a webhook endpoint (its pending deliveries are dropped)",
            None,
            200,
            "WebhookEndpointEnvelope",
        ),
        ("GET", "/webhook_endpoints/{id}/secret") => op(
            "Get the endpoint's signing secret",
            None,
            200,
            "WebhookSecretEnvelope",
        ),
        ("POST", "/webhook_endpoints/{id}/rotate_secret") => op(
            "Rotate the signing secret; the previous one keeps signing until it expires",
            Some("WebhookRotation"),
            200,
            "WebhookSecretEnvelope",
        ),
        ("POST", "/webhook_endpoints/{id}/test") => op(
            "Queue a webhook_endpoint.test event for this endpoint alone",
            Some("Empty"),
            201,
            "EventEnvelope",
        ),
        ("GET", "/webhook_endpoints/{id}/deliveries") => Operation {
            query: &[
                "per_page",
                "page",
                "sort_by_created",
                "sort_order",
                "status",
            ],
            ..op(
                "List the endpoint's deliveries with their attempts, newest first",
                None,
                200,
                "WebhookDeliveryPage",
            )
        },
        ("POST", "/webhook_endpoints/{id}/recover") => op(
            "Queue again every failed delivery created since a time",
            Some("WebhookRecover"),
            202,
            "WebhookRecovered",
        ),
        ("POST", "/webhook_deliveries/{id}/retry") => op(
            "Attempt a delivery once more, now (same webhook-id)",
            Some("Empty"),
            202,
            "WebhookDeliveryEnvelope",
        ),
        ("GET", "/events") => Operation {
            query: &[
                "per_page",
                "page",
                "sort_by_created",
                "sort_order",
                "type",
                "created_after",
                "created_before",
            ],
            ..op(
                "List the organization's events (kept 30 days), newest first",
                None,
                200,
                "EventPage",
            )
        },
        ("GET", "/events/{id}") => op(
            "Get an event as it was delivered",
            None,
            200,
            "EventEnvelope",
        ),
        _ => return None,
    };
    Some(o)
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn envelope(name: &str) -> Value {
    json!({"type": "object", "required": ["data"], "properties": {"data": r(name)}})
}

fn page_of(name: &str) -> Value {
    json!({
        "type": "object",
        "required": ["data", "current_page", "from", "to", "per_page", "last_page", "total"],
        "properties": {
            "data": {"type": "array", "items": r(name)},
            "current_page": {"type": "integer", "minimum": 1},
            "from": {"type": ["integer", "null"]},
            "to": {"type": ["integer", "null"]},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "last_page": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0}
        }
    })
}

/// Adds the webhook component schemas to `schemas`.
pub fn add_schemas(schemas: &mut Value) {
    let Some(map) = schemas.as_object_mut() else {
        return;
    };
    let timestamp = json!({"type": "string", "description": "RFC 3339 UTC with microseconds"});
    let types = json!({"type": "array", "items": {"type": "string", "enum": crate::webhooks::EventType::ALL.map(|t| t.as_str())}});
    let url = json!({"type": "string", "maxLength": 2048, "description": "absolute http or https URL without user-info"});
    let metadata = json!({"type": "object", "maxProperties": 50, "additionalProperties": true});
    let endpoint = json!({
        "type": "object",
        "required": ["id", "url", "description", "event_types", "metadata", "disabled", "disabled_reason", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string"}, "url": {"type": "string"},
            "description": {"type": ["string", "null"]}, "event_types": types.clone(),
            "metadata": {"type": "object"}, "disabled": {"type": "boolean"},
            "disabled_reason": {"type": ["string", "null"], "enum": ["gone", "failing", "manual", null]},
            "created_at": timestamp.clone(), "updated_at": timestamp.clone()
        }
    });
    let mut created = endpoint.clone();
    if let Some(required) = created["required"].as_array_mut() {
        required.push(json!("secret"));
    }
    created["properties"]["secret"] = json!({"type": "string", "pattern": "^whsec_"});
    let entries: Map<String, Value> = [
        ("WebhookEndpoint", endpoint),
        ("WebhookEndpointCreated", created),
        ("WebhookEndpointEnvelope", envelope("WebhookEndpoint")),
        ("WebhookEndpointCreatedEnvelope", envelope("WebhookEndpointCreated")),
        ("WebhookEndpointPage", page_of("WebhookEndpoint")),
        ("WebhookEndpointInput", json!({
            "type": "object", "required": ["url"],
            "properties": {"url": url.clone(), "description": {"type": ["string", "null"], "maxLength": 1000},
                           "event_types": types.clone(), "metadata": metadata.clone()}
        })),
        ("WebhookEndpointPatch", json!({
            "type": "object",
            "properties": {"url": url, "description": {"type": ["string", "null"], "maxLength": 1000},
                           "event_types": types, "metadata": metadata, "disabled": {"type": "boolean"}}
        })),
        ("WebhookSecretEnvelope", json!({
            "type": "object", "required": ["data"],
            "properties": {"data": {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string", "pattern": "^whsec_"}}}}
        })),
        ("WebhookRotation", json!({
            "type": "object",
            "properties": {"expire_previous_in": {"type": "integer", "minimum": 0, "maximum": 604800, "default": 86400}}
        })),
        ("WebhookRecover", json!({
            "type": "object", "required": ["since"],
            "properties": {"since": {"type": "string", "format": "date-time"}}
        })),
        ("WebhookRecovered", json!({
            "type": "object", "required": ["data"],
            "properties": {"data": {"type": "object", "required": ["queued"], "properties": {"queued": {"type": "integer", "minimum": 0}}}}
        })),
        ("WebhookAttempt", json!({
            "type": "object",
            "required": ["attempted_at", "status_code", "duration_ms", "error", "response_body"],
            "properties": {"attempted_at": timestamp.clone(), "status_code": {"type": ["integer", "null"]},
                           "duration_ms": {"type": "integer"}, "error": {"type": ["string", "null"]},
                           "response_body": {"type": ["string", "null"], "description": "first 4 KiB"}}
        })),
        ("WebhookDelivery", json!({
            "type": "object",
            "required": ["id", "endpoint_id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "created_at"],
            "properties": {"id": {"type": "string"}, "endpoint_id": {"type": "string"}, "event_id": {"type": "string"},
                           "event_type": {"type": "string"}, "status": {"type": "string", "enum": ["pending", "succeeded", "failed"]},
                           "attempts": {"type": "array", "items": r("WebhookAttempt")},
                           "next_attempt_at": {"type": ["string", "null"]}, "created_at": timestamp.clone()}
        })),
        ("WebhookDeliveryEnvelope", envelope("WebhookDelivery")),
        ("WebhookDeliveryPage", page_of("WebhookDelivery")),
        ("Event", json!({
            "type": "object", "required": ["id", "type", "timestamp", "data"],
            "properties": {"id": {"type": "string", "pattern": "^evt_"}, "type": {"type": "string"},
                           "timestamp": timestamp, "data": {"type": "object"}}
        })),
        ("EventEnvelope", envelope("Event")),
        ("EventPage", page_of("Event")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    map.extend(entries);
}

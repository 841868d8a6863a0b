//! The component schemas of the OpenAPI document: every body the API takes and gives.

use serde_json::{json, Value};

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn envelope(name: &str) -> Value {
    json!({"type": "object", "required": ["data"], "properties": {"data": r(name)}})
}

fn list_of(name: &str) -> Value {
    json!({"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": r(name)}}})
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

const AMOUNT: &str = r#"{"type": "integer", "minimum": 1, "maximum": 1000000000}"#;

fn amount() -> Value {
    serde_json::from_str(AMOUNT).unwrap_or(Value::Null)
}

/// A ULID as `domain::parse_id` takes it: 26 Crockford base32 characters, either case, the first
/// 0-7 (a ULID is 128 bits).
pub const ULID_PATTERN: &str = "^[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$";

/// A campaign identifier: every stored one is a slug of at most 100 characters (`domain::catalog`),
/// so any other string names no campaign and is refused.
pub const SLUG_PATTERN: &str = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$";

pub fn ulid() -> Value {
    json!({"type": "string", "pattern": ULID_PATTERN, "description": "A ULID"})
}

/// Response-side: a campaign identifier as stored (a slug), and ids as generated (ULIDs). The same
/// patterns as the request fields, so tools can tell which values fit where.
fn slug() -> Value {
    json!({"type": "string", "maxLength": 100, "pattern": SLUG_PATTERN})
}

fn ulid_or_null() -> Value {
    json!({"type": ["string", "null"], "pattern": ULID_PATTERN})
}

pub fn campaign_identifier() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 100, "pattern": SLUG_PATTERN,
           "description": "The identifier of an active campaign", "examples": ["trees-for-the-future", "cleanhub"]})
}

/// Metadata as a request gives it (`validate::Input::metadata`); `null` clears it on update and is
/// `{}` on create.
fn metadata() -> Value {
    json!({"type": ["object", "null"], "maxProperties": 50, "propertyNames": {"maxLength": 40},
           "additionalProperties": true,
           "description": "Any JSON values; at most 50 keys (counted on the stored result: a key set to null is dropped on create and removes the key on update), keys up to 40 characters, nesting at most 32 levels, 8 KiB serialized"})
}

pub fn schemas() -> Value {
    let timestamp = json!({"type": "string", "description": "RFC 3339 UTC with microseconds"});
    let mut schemas = json!({
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message", "correlation_id"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "correlation_id": {"type": "string"},
                    "details": {"type": "object", "properties": {"fields": {
                        "type": "object", "description": "422 validation.failed: each field path and its messages",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}}
                    }}}
                }
            }}
        },
        "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
        "OpenApiDocument": {"type": "object", "required": ["openapi", "paths"]},
        "ImpactMetric": {
            "type": "object",
            "required": ["key", "name", "emoji", "icon", "unit_singular", "unit_plural", "verb_present", "verb_past", "impact_per_dollar"],
            "properties": {
                "key": {"type": "string"}, "name": {"type": "string"}, "emoji": nullable("string"), "icon": nullable("string"),
                "unit_singular": {"type": "string"}, "unit_plural": {"type": "string"},
                "verb_present": {"type": "string"}, "verb_past": {"type": "string"},
                "impact_per_dollar": {"type": "number", "minimum": 0}
            }
        },
        "Impact": {
            "type": "object",
            "required": ["key", "name", "emoji", "icon", "quantity", "unit", "label"],
            "properties": {
                "key": {"type": "string"}, "name": {"type": "string"}, "emoji": nullable("string"), "icon": nullable("string"),
                "quantity": {"type": "number"}, "unit": {"type": "string"}, "label": {"type": "string"}
            }
        },
        "Campaign": {
            "type": "object",
            "required": ["id", "identifier", "name", "description", "image_url", "active", "impact_metrics", "created_at", "updated_at"],
            "properties": {
                "id": {"type": "string"}, "identifier": slug(), "name": {"type": "string"},
                "description": nullable("string"), "image_url": nullable("string"), "active": {"type": "boolean"},
                "impact_metrics": {"type": "array", "items": r("ImpactMetric"), "minItems": 1, "maxItems": 5},
                "impact": {"type": "array", "items": r("Impact"), "description": "On a session: the impact of its amount"},
                "created_at": timestamp, "updated_at": timestamp
            }
        },
        "CampaignList": list_of("Campaign"),
        "CampaignEnvelope": envelope("Campaign"),
        "Party": {
            "type": "object",
            "required": ["id", "external_id", "name", "metadata", "created_at", "updated_at"],
            "properties": {
                "id": ulid(), "external_id": nullable("string"), "name": nullable("string"),
                "metadata": {"type": "object"}, "created_at": timestamp, "updated_at": timestamp
            }
        },
        "PartyInput": {
            "type": "object",
            "properties": {
                "external_id": {"type": ["string", "null"], "maxLength": 255,
                                "description": "Unique within the organization; null clears it"},
                "name": {"type": ["string", "null"], "maxLength": 255},
                "metadata": metadata()
            }
        },
        "PartyEnvelope": envelope("Party"),
        "PartyPage": page_of("Party"),
        "Deleted": {"type": "object", "required": ["data"], "properties": {"data": {
            "type": "object", "required": ["id", "deleted"], "properties": {"id": ulid(), "deleted": {"const": true}}}}},
        "ImpactTotals": {
            "type": "object",
            "required": ["date_from", "date_to", "donation_count", "total_amount", "impact_metrics", "by_campaign"],
            "properties": {
                "customer_id": ulid(), "vendor_id": ulid(),
                "date_from": nullable("string"), "date_to": nullable("string"),
                "donation_count": {"type": "integer", "minimum": 0}, "total_amount": {"type": "integer", "minimum": 0},
                "impact_metrics": {"type": "array", "items": r("Impact")},
                "by_campaign": {"type": "array", "items": {
                    "type": "object", "required": ["campaign_identifier", "donation_count", "total_amount"],
                    "properties": {"campaign_identifier": slug(), "donation_count": {"type": "integer"}, "total_amount": {"type": "integer"}}
                }}
            }
        },
        "ImpactTotalsEnvelope": envelope("ImpactTotals"),
        "DonationIntent": {
            "type": "object",
            "required": ["id", "amount", "campaign_identifier", "campaign", "customer_id", "vendor_id", "session_id", "impact", "created_at"],
            "properties": {
                "id": ulid(), "amount": amount(), "campaign_identifier": slug(),
                "campaign": {"type": "object", "required": ["identifier", "name"],
                             "properties": {"identifier": slug(), "name": {"type": "string"}}},
                "customer_id": ulid_or_null(), "vendor_id": ulid_or_null(), "session_id": ulid_or_null(),
                "impact": {"type": "array", "items": r("Impact")}, "created_at": timestamp
            }
        },
        "DonationIntentInput": {
            "type": "object", "required": ["amount", "campaign_identifier"],
            "properties": {"amount": amount(), "campaign_identifier": campaign_identifier()},
            "examples": [{"amount": 1000, "campaign_identifier": "trees-for-the-future"}]
        },
        "DonationIntentBatch": {"oneOf": [
            {"type": "array", "items": r("DonationIntentInput"), "minItems": 1, "maxItems": 50},
            {"type": "object", "required": ["intents"], "properties": {
                "intents": {"type": "array", "items": r("DonationIntentInput"), "minItems": 1, "maxItems": 50}}}
        ]},
        "DonationIntentList": list_of("DonationIntent"),
        "DonationIntentEnvelope": envelope("DonationIntent"),
        "DonationIntentPage": page_of("DonationIntent"),
        "Cancelled": {"type": "object", "required": ["data"], "properties": {"data": {
            "type": "object", "required": ["id", "cancelled"], "properties": {"id": ulid(), "cancelled": {"const": true}}}}},
        "Allocation": {
            "type": "object", "required": ["campaign_identifier", "amount"],
            "properties": {"campaign_identifier": campaign_identifier(), "amount": amount()}
        },
        "Session": {
            "type": "object",
            "required": ["id", "type", "status", "amount", "available_campaigns", "selected_campaign", "opted_out",
                         "allocations", "customer_id", "vendor_id", "metadata", "approximated", "session_secret",
                         "campaigns", "donation_intents", "expires_at", "processed_at", "confirmed_at", "created_at", "updated_at"],
            "properties": {
                "id": ulid(),
                "type": {"enum": ["add_on", "portion_of_sales_choice", "portion_of_sales"]},
                "status": {"enum": ["active", "processing", "confirmed", "expired"]},
                "amount": {"type": "integer", "minimum": 1},
                "available_campaigns": {"type": "array", "items": slug()},
                "selected_campaign": {"type": ["string", "null"], "maxLength": 100, "pattern": SLUG_PATTERN},
                "opted_out": {"type": "boolean"},
                "allocations": {"type": "array", "items": r("Allocation")},
                "customer_id": ulid_or_null(), "vendor_id": ulid_or_null(),
                "metadata": {"type": "object"}, "approximated": {"type": "boolean"},
                "session_secret": {"type": ["string", "null"], "minLength": 64, "maxLength": 64},
                "campaigns": {"type": "array", "items": {
                    "type": "object", "required": ["identifier", "name"],
                    "properties": {"identifier": slug(), "name": {"type": "string"}}
                }},
                "donation_intents": {"type": "array", "items": r("DonationIntent")},
                "expires_at": timestamp, "processed_at": nullable("string"), "confirmed_at": nullable("string"),
                "created_at": timestamp, "updated_at": timestamp
            }
        },
        "SessionEnvelope": envelope("Session"),
        "SessionCreate": {
            "type": "object", "required": ["type"],
            "description": "Interactive types (add_on, portion_of_sales_choice) take amount and available_campaigns; portion_of_sales takes allocations, its amount is their sum",
            "examples": [
                {"type": "add_on", "amount": 500, "available_campaigns": ["trees-for-the-future", "cleanhub"]},
                {"type": "portion_of_sales", "allocations": [{"campaign_identifier": "cleanhub", "amount": 300}]}
            ],
            "properties": {
                "type": {"type": "string", "enum": ["add_on", "portion_of_sales_choice", "portion_of_sales"]},
                "amount": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000000000},
                "available_campaigns": {"type": ["array", "null"], "items": campaign_identifier(),
                                        "minItems": 1, "maxItems": 10, "uniqueItems": true},
                "allocations": {"type": ["array", "null"], "items": r("Allocation"), "minItems": 1, "maxItems": 10,
                                "uniqueItems": true, "description": "Each campaign at most once"},
                "customer_id": ulid_or_null(), "vendor_id": ulid_or_null(),
                "metadata": metadata(),
                "expires_in": {"type": ["integer", "null"], "minimum": 15, "maximum": 1440, "default": 1440,
                               "description": "Minutes; null means the default"},
                "approximated": {"type": ["boolean", "null"], "default": false}
            },
            "oneOf": [
                {"title": "Interactive session", "required": ["type", "amount", "available_campaigns"], "properties": {
                    "type": {"enum": ["add_on", "portion_of_sales_choice"]},
                    "amount": {"type": "integer"}, "available_campaigns": {"type": "array"}, "allocations": {"type": "null"}}},
                {"title": "portion_of_sales session", "required": ["type", "allocations"], "properties": {
                    "type": {"const": "portion_of_sales"},
                    "amount": {"type": "null"}, "available_campaigns": {"type": "null"}, "allocations": {"type": "array"}}}
            ]
        },
        "SessionPatch": {
            "type": "object",
            "properties": {
                "metadata": metadata(),
                "approximated": {"type": "boolean"},
                "customer_id": ulid_or_null(), "vendor_id": ulid_or_null()
            },
            "description": "customer_id and vendor_id change only while the session is active"
        },
        "AllocationsBody": {
            "type": "object", "required": ["allocations"],
            "properties": {"allocations": {"type": "array", "items": r("Allocation"), "minItems": 1, "maxItems": 10,
                                           "uniqueItems": true, "description": "Each campaign at most once"}}
        },
        "ChooseCampaign": {
            "type": "object", "required": ["campaign_identifier"],
            "examples": [{"campaign_identifier": "trees-for-the-future"}, {"campaign_identifier": null}],
            "properties": {"campaign_identifier": {
                "type": ["string", "null"], "minLength": 1, "maxLength": 100, "pattern": SLUG_PATTERN,
                "description": "One of the session's available_campaigns, or null to opt out"}}
        },
        "Process": {
            "type": "object",
            "properties": {"extends_by": {"type": ["integer", "null"], "minimum": 60, "maximum": 43200, "default": 10080,
                                          "description": "Minutes; null means the default"}}
        },
        "Empty": {"type": "object"}
    });
    if let (Some(all), Value::Object(more)) = (schemas.as_object_mut(), report_schemas()) {
        all.extend(more);
    }
    schemas
}

/// The bodies of the reports (SPEC 13).
fn report_schemas() -> Value {
    let count = json!({"type": "integer", "minimum": 0});
    json!({
        "StatementCampaign": {
            "type": "object",
            "required": ["campaign_identifier", "name", "amount", "donation_count", "impact"],
            "properties": {
                "campaign_identifier": {"type": "string"}, "name": {"type": "string"},
                "amount": count, "donation_count": count,
                "impact": {"type": "array", "items": r("Impact")}
            }
        },
        "Statement": {
            "type": "object",
            "required": ["month", "currency", "total_amount", "donation_count", "campaigns"],
            "properties": {
                "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                "currency": {"const": "usd"},
                "total_amount": count, "donation_count": count,
                "campaigns": {"type": "array", "items": r("StatementCampaign")}
            }
        },
        "StatementEnvelope": envelope("Statement"),
        "DailyImpact": {
            "type": "object",
            "required": ["date", "amount", "donation_count", "impact"],
            "properties": {
                "date": {"type": "string", "format": "date"},
                "amount": count, "donation_count": count,
                "impact": {"type": "array", "items": r("Impact")}
            }
        },
        "DailyImpactList": list_of("DailyImpact")
    })
}

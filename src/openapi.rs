//! `GET /openapi.json`: the OpenAPI 3.1 description of the public API. Its paths come from the
//! route table the server mounts (`api::endpoints`), each with its entry in `operation` below, so a
//! route cannot be served undocumented nor documented unserved (see `tests/api/contract.rs`).

use crate::api::Endpoint;
use serde_json::{json, Map, Value};

/// How an operation authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    ApiKey,
    KeyOrSecret,
    /// A session secret where the session has one (the widget's data route).
    Secret,
}

/// What the document says of one operation.
#[derive(Debug, Clone)]
pub struct Operation {
    pub summary: &'static str,
    pub auth: Auth,
    /// Names of the query parameters (from `query_parameter`).
    pub query: &'static [&'static str],
    /// The request body schema, by component name.
    pub body: Option<&'static str>,
    pub status: u16,
    /// The success body schema: a component name.
    pub response: &'static str,
}

const PAGE: &[&str] = &["per_page", "page", "sort_by_created", "sort_order"];
const PARTY_PAGE: &[&str] = &[
    "per_page",
    "page",
    "sort_by_party",
    "sort_order",
    "external_id",
];
const DATED_PAGE: &[&str] = &[
    "per_page",
    "page",
    "sort_by_created",
    "sort_order",
    "date_from",
    "date_to",
];
const DATES: &[&str] = &["date_from", "date_to"];

fn op(
    summary: &'static str,
    auth: Auth,
    body: Option<&'static str>,
    status: u16,
    response: &'static str,
) -> Operation {
    Operation {
        summary,
        auth,
        query: &[],
        body,
        status,
        response,
    }
}

/// The documentation of `method path`, or `None` for a route the document does not know.
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    use Auth::*;
    let o = match (method, path) {
        ("GET", "/healthz") => op(
            "Health check: 200 when the database answers",
            None,
            Option::None,
            200,
            "Health",
        ),
        ("GET", "/openapi.json") => op("This document", None, Option::None, 200, "OpenApiDocument"),
        ("GET", "/campaigns") => op(
            "List active campaigns, ordered by name",
            ApiKey,
            Option::None,
            200,
            "CampaignList",
        ),
        ("GET", "/campaigns/{identifier}") => op(
            "Get a campaign by identifier",
            ApiKey,
            Option::None,
            200,
            "CampaignEnvelope",
        ),
        ("GET", "/customers" | "/vendors") => Operation {
            query: PARTY_PAGE,
            ..op("List, paginated", ApiKey, Option::None, 200, "PartyPage")
        },
        ("POST", "/customers" | "/vendors") => {
            op("Create", ApiKey, Some("PartyInput"), 201, "PartyEnvelope")
        }
        ("GET", "/customers/{id}" | "/vendors/{id}") => {
            op("Get one", ApiKey, Option::None, 200, "PartyEnvelope")
        }
        ("PATCH", "/customers/{id}" | "/vendors/{id}") => op(
            "Partial update; metadata merges",
            ApiKey,
            Some("PartyInput"),
            200,
            "PartyEnvelope",
        ),
        ("DELETE", "/customers/{id}" | "/vendors/{id}") => op(
            "Delete; history keeps the id",
            ApiKey,
            Option::None,
            200,
            "Deleted",
        ),
        ("GET", "/customers/{id}/impact_metrics" | "/vendors/{id}/impact_metrics") => Operation {
            query: DATES,
            ..op(
                "Impact totals",
                ApiKey,
                Option::None,
                200,
                "ImpactTotalsEnvelope",
            )
        },
        ("GET", "/customers/{id}/donation_intents" | "/vendors/{id}/donation_intents") => {
            Operation {
                query: DATED_PAGE,
                ..op(
                    "Session donations, paginated",
                    ApiKey,
                    Option::None,
                    200,
                    "DonationIntentPage",
                )
            }
        }
        ("GET", "/donation_intents") => Operation {
            query: PAGE,
            ..op(
                "List, paginated",
                ApiKey,
                Option::None,
                200,
                "DonationIntentPage",
            )
        },
        ("POST", "/donation_intents") => op(
            "Create 1-50 intents, all or nothing",
            ApiKey,
            Some("DonationIntentBatch"),
            201,
            "DonationIntentList",
        ),
        ("GET", "/donation_intents/{id}") => op(
            "Get one",
            ApiKey,
            Option::None,
            200,
            "DonationIntentEnvelope",
        ),
        ("PUT", "/donation_intents/{id}/cancel") => op(
            "Cancel (hard delete)",
            ApiKey,
            Option::None,
            200,
            "Cancelled",
        ),
        ("POST", "/sessions") => op(
            "Create a donation session",
            ApiKey,
            Some("SessionCreate"),
            201,
            "SessionEnvelope",
        ),
        ("GET", "/sessions/{id}") => op(
            "Get a session (API key or session secret)",
            KeyOrSecret,
            Option::None,
            200,
            "SessionEnvelope",
        ),
        ("PATCH", "/sessions/{id}") => op(
            "Update metadata, approximated, customer or vendor",
            ApiKey,
            Some("SessionPatch"),
            200,
            "SessionEnvelope",
        ),
        ("PUT", "/sessions/{id}/allocations") => op(
            "Replace allocations (portion_of_sales)",
            ApiKey,
            Some("AllocationsBody"),
            200,
            "SessionEnvelope",
        ),
        ("POST", "/sessions/{id}/choose_campaign") => op(
            "Choose a campaign, or opt out with null",
            KeyOrSecret,
            Some("ChooseCampaign"),
            200,
            "SessionEnvelope",
        ),
        ("POST", "/sessions/{id}/process") => op(
            "Mark processing and extend expiry",
            ApiKey,
            Some("Process"),
            200,
            "SessionEnvelope",
        ),
        ("POST", "/sessions/{id}/confirm") => op(
            "Confirm into donation intents (idempotent)",
            ApiKey,
            Some("Empty"),
            200,
            "SessionEnvelope",
        ),
        ("GET", "/reports/monthly") => Operation {
            query: &["month"],
            ..op(
                "Monthly statement: what is owed each campaign for a UTC month, with impact",
                ApiKey,
                Option::None,
                200,
                "StatementEnvelope",
            )
        },
        ("GET", "/reports/monthly.csv") => Operation {
            query: &["month"],
            ..op(
                "Monthly statement as CSV",
                ApiKey,
                Option::None,
                200,
                "text/csv",
            )
        },
        ("GET", "/donation_intents/export.csv") => Operation {
            query: &["date_from", "date_to", "sort_by_created", "sort_order_asc"],
            ..op(
                "Every intent as CSV, streamed",
                ApiKey,
                Option::None,
                200,
                "text/csv",
            )
        },
        ("GET", "/customers/{id}/impact_metrics/daily" | "/vendors/{id}/impact_metrics/daily") => {
            Operation {
                query: DATES,
                ..op(
                    "Impact per day (days with intents; window at most 366 days)",
                    ApiKey,
                    Option::None,
                    200,
                    "DailyImpactList",
                )
            }
        }
        _ => {
            return crate::widget::openapi::operation(method, path)
                .or_else(|| crate::openapi_webhooks::operation(method, path))
        }
    };
    Some(o)
}

/// Links from each create (`POST /x` answering 201) to the operations on `/x/{id}...`, so tools
/// can chain a created id into the calls that need one.
fn add_links(paths: &mut Map<String, Value>) {
    let creators: Vec<(String, String)> = paths
        .iter()
        .filter_map(|(path, ops)| {
            ops.get("post")?.get("responses")?.get("201")?;
            Some((path.clone(), format!("{path}/{{id}}")))
        })
        .collect();
    for (base, prefix) in creators {
        let mut links = Map::new();
        for (path, ops) in paths.iter() {
            if !path.starts_with(&prefix) {
                continue;
            }
            for (method, op) in ops.as_object().into_iter().flatten() {
                if let Some(operation_id) = op.get("operationId").and_then(Value::as_str) {
                    links.insert(
                        format!("{method}{}", path.replace(['/', '{', '}'], "_")),
                        json!({"operationId": operation_id, "parameters": {"id": "$response.body#/data/id"}}),
                    );
                }
            }
        }
        if links.is_empty() {
            continue;
        }
        if let Some(created) = paths
            .get_mut(&base)
            .and_then(|ops| ops.pointer_mut("/post/responses/201"))
        {
            created["links"] = Value::Object(links);
        }
    }
}

fn query_parameter(name: &str) -> Value {
    let (param, schema) = match name {
        "per_page" => (
            "per_page",
            json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
        ),
        "page" => (
            "page",
            json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX, "default": 1}),
        ),
        "sort_by_created" => (
            "sort_by",
            json!({"type": "string", "enum": ["created_at"], "default": "created_at"}),
        ),
        "sort_by_party" => (
            "sort_by",
            json!({"type": "string", "enum": ["created_at", "name", "updated_at"], "default": "created_at"}),
        ),
        "sort_order" => (
            "sort_order",
            json!({"type": "string", "enum": ["asc", "desc"], "default": "desc"}),
        ),
        "external_id" => ("external_id", json!({"type": "string"})),
        "sort_order_asc" => (
            "sort_order",
            json!({"type": "string", "enum": ["asc", "desc"], "default": "asc"}),
        ),
        "month" => (
            "month",
            json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"}),
        ),
        "date_from" | "date_to" => (
            name,
            json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
        ),
        // The widget's (SPEC 10).
        "amount" => (
            "amount",
            json!({"type": "integer", "minimum": 1, "maximum": 1_000_000_000}),
        ),
        "identifiers" => (
            "identifiers",
            json!({"type": "string", "description": "Comma-separated campaign identifiers (1-10)"}),
        ),
        "styleMode" => (
            "styleMode",
            json!({"type": "string", "enum": ["gradient", "solid", "light", "dark"], "default": "light"}),
        ),
        "previewMode" => (
            "previewMode",
            json!({"type": "string", "enum": ["true", "false"]}),
        ),
        _ => (name, json!({"type": "string"})),
    };
    json!({"name": param, "in": "query", "required": param == "month", "schema": schema})
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_schema(path, name)}))
        .collect()
}

/// What a path parameter can be: the ids of these resources are ULIDs and a campaign's identifier
/// is a slug (anything else names nothing: 404). Other paths' parameters are plain strings.
fn path_schema(path: &str, name: &str) -> Value {
    const ULID_IDS: [&str; 4] = [
        "/customers/",
        "/vendors/",
        "/donation_intents/",
        "/sessions/",
    ];
    match name {
        "id" if ULID_IDS.iter().any(|p| path.starts_with(p)) => crate::openapi_schemas::ulid(),
        "identifier" if path.starts_with("/campaigns/") => {
            crate::openapi_schemas::campaign_identifier()
        }
        _ => json!({"type": "string"}),
    }
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn schemas() -> Value {
    let mut schemas = with_widget(crate::openapi_schemas::schemas());
    crate::openapi_webhooks::add_schemas(&mut schemas);
    schemas
}

/// The whole document, for the routes in `endpoints`.
pub fn document(endpoints: &[Endpoint]) -> Value {
    let mut paths = Map::new();
    for e in endpoints {
        let method = e.method.as_str();
        let Some(o) = operation(method, &e.path) else {
            continue;
        };
        let mut parameters = path_parameters(&e.path);
        parameters.extend(o.query.iter().map(|q| query_parameter(q)));
        let security = match o.auth {
            Auth::None => json!([]),
            Auth::ApiKey => json!([{"apiKey": []}]),
            Auth::KeyOrSecret => json!([{"apiKey": []}, {"sessionSecret": []}]),
            Auth::Secret => json!([{"sessionSecret": []}, {}]),
        };
        // A response named by a media type (`text/html`) is that text, not a JSON schema.
        let content = if o.response.starts_with("text/") {
            json!({ o.response: {"schema": {"type": "string"}} })
        } else {
            json!({"application/json": {"schema": reference(o.response)}})
        };
        let mut operation = json!({
            "operationId": format!("{}{}", method.to_lowercase(), e.path.replace(['/', '{', '}', '.'], "_")),
            "summary": o.summary,
            "security": security,
            "parameters": parameters,
            "responses": {
                o.status.to_string(): {
                    "description": "Success",
                    "content": content
                },
                "default": {
                    "description": "An error, in the ImpactAPI error envelope",
                    "content": {"application/json": {"schema": reference("Error")}}
                }
            }
        });
        if let Some(body) = o.body {
            operation["requestBody"] = json!({
                "required": body != "Empty" && body != "Process" && body != "PartyInput" && body != "SessionPatch",
                "content": {"application/json": {"schema": reference(body)}}
            });
        }
        let entry = paths.entry(e.path.clone()).or_insert_with(|| json!({}));
        entry[method.to_lowercase()] = operation;
    }
    add_links(&mut paths);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "impactapi",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Self-hosted ImpactAPI: campaigns, customers, vendors, donation intents, donation sessions and impact totals. Money is integer cents; timestamps are RFC 3339 UTC."
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "An organization's API key"},
                "sessionSecret": {"type": "apiKey", "in": "header", "name": "X-Session-Secret", "description": "A session's secret (browser-side use)"}
            },
            "schemas": schemas()
        }
    })
}

/// The API's component schemas and the widget's.
fn with_widget(mut schemas: Value) -> Value {
    if let Some(map) = schemas.as_object_mut() {
        map.extend(crate::widget::openapi::schemas());
    }
    schemas
}

//! Session request bodies: the create rules of SPEC 5.5 and allocation lists, checked against the
//! catalog with every field error reported together.

use crate::api::intents::{campaign_field, required_amount};
use crate::domain::session::SessionType;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::state::Catalog;
use crate::store::sessions::Allocation;
use crate::validate::{Input, Patch};
use serde_json::{Map, Value};

pub const MAX_ALLOCATIONS: usize = 10;
pub const MAX_AVAILABLE: usize = 10;

/// A validated `POST /sessions` body.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub kind: SessionType,
    pub amount: i64,
    pub available_campaigns: Vec<String>,
    pub allocations: Vec<Allocation>,
    pub customer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub metadata: Map<String, Value>,
    pub expires_in_minutes: i64,
    pub approximated: bool,
}

/// Reads an allocations array (1-10 items, active distinct campaigns) into `input`'s errors.
pub fn allocations(input: &mut Input, items: &[Value], catalog: &Catalog) -> Vec<Allocation> {
    if items.is_empty() || items.len() > MAX_ALLOCATIONS {
        input.error(
            "allocations",
            format!("must have 1 to {MAX_ALLOCATIONS} allocations"),
        );
        return Vec::new();
    }
    let mut out: Vec<Allocation> = Vec::new();
    // Every campaign named so far, also by items rejected for another field.
    let mut seen: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(map) = item.as_object() else {
            input.error(&format!("allocations.{i}"), "must be an object");
            continue;
        };
        let mut inner = Input::with_prefix(map, format!("allocations.{i}."));
        let amount = required_amount(&mut inner, "amount");
        let campaign = campaign_field(&mut inner, "campaign_identifier", catalog);
        if let Some(c) = &campaign {
            if seen.contains(c) {
                inner.error("campaign_identifier", "campaigns must be distinct");
            }
            seen.push(c.clone());
        }
        let ok = inner.errors.is_empty();
        for (field, messages) in inner.errors.0 {
            for m in messages {
                input.errors.add(field.clone(), m);
            }
        }
        if let (true, Some(amount), Some(campaign)) = (ok, amount, campaign) {
            out.push(Allocation {
                campaign_identifier: campaign,
                amount,
            });
        }
    }
    out
}

fn available(input: &mut Input, items: &[Value], catalog: &Catalog) -> Vec<String> {
    if items.is_empty() || items.len() > MAX_AVAILABLE {
        input.error(
            "available_campaigns",
            format!("must have 1 to {MAX_AVAILABLE} campaigns"),
        );
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("available_campaigns.{i}");
        match item.as_str() {
            Some(id) if out.iter().any(|c| c == id) => {
                input.error(&field, "campaigns must be distinct")
            }
            Some(id) => match catalog.get(id) {
                Some(c) if c.active => out.push(id.to_string()),
                Some(_) => input.error(&field, "campaign is not active"),
                None => input.error(&field, "unknown campaign"),
            },
            None => input.error(&field, "must be a string"),
        }
    }
    out
}

/// Parses a create body: the type first (422), then the business rules of SPEC 5.6 (400), then
/// every field. The field errors are returned, not raised, so that the caller can add the checks
/// that need the database (`customer_id`, `vendor_id` exist) and answer them all together (422).
pub fn parse_create(
    body: &Map<String, Value>,
    catalog: &Catalog,
) -> ApiResult<(NewSession, FieldErrors)> {
    let mut input = Input::new(body);
    let kind = match input.string("type", 64) {
        Patch::Set(t) => match SessionType::parse(&t) {
            Some(k) => k,
            None => {
                return Err(ApiError::field(
                    "type",
                    "must be one of: add_on, portion_of_sales_choice, portion_of_sales",
                ))
            }
        },
        _ => {
            if !input.errors.0.contains_key("type") {
                input.error("type", "is required");
            }
            return Err(ApiError::Validation(input.errors));
        }
    };
    if kind.is_interactive() {
        if input.given("allocations") {
            return Err(ApiError::business(
                "session.interactive-cannot-have-allocations",
                "Interactive sessions cannot have allocations",
            ));
        }
        if !input.given("amount") {
            return Err(ApiError::business(
                "session.interactive-session-requires-amount",
                "Interactive sessions require an amount",
            ));
        }
    } else {
        if input.given("amount") || input.given("available_campaigns") {
            return Err(ApiError::business(
                "session.invalid-type",
                "portion_of_sales sessions take allocations, not amount or available_campaigns",
            ));
        }
        let empty = matches!(input.raw("allocations"), None | Some(Value::Null))
            || matches!(input.raw("allocations"), Some(Value::Array(a)) if a.is_empty());
        if empty {
            return Err(ApiError::business(
                "session.non-interactive-requires-allocations",
                "portion_of_sales sessions require allocations",
            ));
        }
    }
    let (mut amount, mut available_campaigns, mut allocs) = (0, Vec::new(), Vec::new());
    if kind.is_interactive() {
        amount = required_amount(&mut input, "amount").unwrap_or(0);
        match input.array("available_campaigns") {
            Patch::Set(items) => available_campaigns = available(&mut input, items, catalog),
            _ if input.errors.0.contains_key("available_campaigns") => {}
            _ => input.error("available_campaigns", "is required"),
        }
    } else if let Patch::Set(items) = input.array("allocations") {
        allocs = allocations(&mut input, items, catalog);
        amount = allocs.iter().map(|a| a.amount).sum();
    }
    let customer_id = match input.ulid("customer_id") {
        Patch::Set(id) => Some(id),
        _ => None,
    };
    let vendor_id = match input.ulid("vendor_id") {
        Patch::Set(id) => Some(id),
        _ => None,
    };
    let metadata = input.new_metadata("metadata");
    let expires_in_minutes = match input.integer("expires_in", 15, 1440) {
        Patch::Set(m) => m,
        _ => 1440,
    };
    let approximated = matches!(input.boolean("approximated"), Patch::Set(true));
    let session = NewSession {
        kind,
        amount,
        available_campaigns,
        allocations: allocs,
        customer_id,
        vendor_id,
        metadata,
        expires_in_minutes,
        approximated,
    };
    Ok((session, input.errors))
}

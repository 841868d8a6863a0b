//! Campaign input (admin API and `campaigns import`), its validation, and the default catalog.

use crate::domain::impact::Metric;
use crate::error::FieldErrors;
use crate::validate::{Input, Patch};
use serde_json::{Map, Value};

/// A campaign as written by the operator; `identifier` is the upsert key.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignInput {
    pub identifier: String,
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub active: bool,
    pub metrics: Vec<Metric>,
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_metric_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn required(input: &mut Input, field: &str, max: usize) -> Option<String> {
    match input.string(field, max) {
        Patch::Set(s) if !s.trim().is_empty() => Some(s),
        Patch::Set(_) | Patch::Null => {
            input.error(field, "is required");
            None
        }
        Patch::Absent => {
            if !input.has(field) {
                input.error(field, "is required");
            }
            None
        }
    }
}

fn optional(input: &mut Input, field: &str, max: usize) -> Option<String> {
    match input.string(field, max) {
        Patch::Set(s) => Some(s),
        _ => None,
    }
}

fn parse_metric(map: &Map<String, Value>, prefix: String) -> (Option<Metric>, FieldErrors) {
    let mut input = Input::with_prefix(map, prefix);
    let key = required(&mut input, "key", 64);
    if let Some(k) = &key {
        if !is_metric_key(k) {
            input.error("key", "must be lowercase letters, digits and underscores");
        }
    }
    let name = required(&mut input, "name", 255);
    let emoji = optional(&mut input, "emoji", 16);
    let icon = optional(&mut input, "icon", 64);
    let unit_singular = required(&mut input, "unit_singular", 100);
    let unit_plural = required(&mut input, "unit_plural", 100);
    let verb_present = required(&mut input, "verb_present", 100);
    let verb_past = required(&mut input, "verb_past", 100);
    let ratio = match map.get("impact_per_dollar") {
        Some(Value::Number(n)) => match n.as_f64() {
            Some(r) if r.is_finite() && (0.0..=1_000_000.0).contains(&r) => Some(r),
            _ => {
                input.error(
                    "impact_per_dollar",
                    "must be a number between 0 and 1000000",
                );
                None
            }
        },
        _ => {
            input.error("impact_per_dollar", "is required and must be a number");
            None
        }
    };
    let metric = match (
        key,
        name,
        unit_singular,
        unit_plural,
        verb_present,
        verb_past,
        ratio,
    ) {
        (
            Some(key),
            Some(name),
            Some(unit_singular),
            Some(unit_plural),
            Some(verb_present),
            Some(verb_past),
            Some(r),
        ) => Some(Metric {
            key,
            name,
            emoji,
            icon,
            unit_singular,
            unit_plural,
            verb_present,
            verb_past,
            impact_per_dollar: r,
        }),
        _ => None,
    };
    (metric, input.errors)
}

/// Validates a campaign object. Field paths are prefixed with `prefix` (e.g. `"2."` on import).
pub fn parse_campaign(
    map: &Map<String, Value>,
    prefix: &str,
) -> Result<CampaignInput, FieldErrors> {
    let mut input = Input::with_prefix(map, prefix.to_string());
    let identifier = required(&mut input, "identifier", 100);
    if let Some(id) = &identifier {
        if !is_slug(id) {
            input.error(
                "identifier",
                "must be a slug: lowercase letters, digits and dashes",
            );
        }
    }
    let name = required(&mut input, "name", 255);
    let description = optional(&mut input, "description", 5000);
    let image_url = optional(&mut input, "image_url", 2000);
    let active = match input.boolean("active") {
        Patch::Set(b) => b,
        _ => true,
    };
    let mut metrics = Vec::new();
    let mut nested = FieldErrors::new();
    match input.array("impact_metrics") {
        Patch::Set(items) if (1..=5).contains(&items.len()) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{prefix}impact_metrics.{i}.");
                match item.as_object() {
                    Some(m) => {
                        let (metric, errors) = parse_metric(m, path);
                        nested.extend_prefixed("", errors);
                        metrics.extend(metric);
                    }
                    None => nested.add(path.trim_end_matches('.').to_string(), "must be an object"),
                }
            }
            let mut keys: Vec<&str> = metrics.iter().map(|m| m.key.as_str()).collect();
            keys.sort_unstable();
            if keys.windows(2).any(|w| w[0] == w[1]) {
                input.error("impact_metrics", "metric keys must be distinct");
            }
        }
        Patch::Set(_) => input.error("impact_metrics", "must have 1 to 5 metrics"),
        _ => input.error("impact_metrics", "is required"),
    }
    let mut errors = input.errors;
    errors.extend_prefixed("", nested);
    match (identifier, name) {
        (Some(identifier), Some(name)) if errors.is_empty() => Ok(CampaignInput {
            identifier,
            name,
            description,
            image_url,
            active,
            metrics,
        }),
        _ => Err(errors),
    }
}

fn metric(
    key: &str,
    name: &str,
    emoji: &str,
    icon: &str,
    units: (&str, &str),
    verbs: (&str, &str),
    ratio: f64,
) -> Metric {
    Metric {
        key: key.into(),
        name: name.into(),
        emoji: Some(emoji.into()),
        icon: Some(icon.into()),
        unit_singular: units.0.into(),
        unit_plural: units.1.into(),
        verb_present: verbs.0.into(),
        verb_past: verbs.1.into(),
        impact_per_dollar: ratio,
    }
}

fn campaign(identifier: &str, name: &str, description: &str, metric: Metric) -> CampaignInput {
    CampaignInput {
        identifier: identifier.into(),
        name: name.into(),
        description: Some(description.into()),
        image_url: None,
        active: true,
        metrics: vec![metric],
    }
}

/// The default catalog of SPEC 5.1, loaded into an empty database.
pub fn default_catalog() -> Vec<CampaignInput> {
    vec![
        campaign(
            "trees-for-the-future",
            "Trees for the Future",
            "Agroforestry with farming families: every dollar plants trees.",
            metric(
                "trees_planted",
                "Trees planted",
                "🌳",
                "tree",
                ("tree", "trees"),
                ("plant", "planted"),
                4.0,
            ),
        ),
        campaign(
            "cleanhub",
            "CleanHub",
            "Collects plastic waste before it reaches the ocean.",
            metric(
                "plastic_collected",
                "Plastic collected",
                "♻️",
                "recycle",
                ("kg of plastic", "kg of plastic"),
                ("collect", "collected"),
                1.0,
            ),
        ),
        campaign(
            "plastic-fischer",
            "Plastic Fischer",
            "Stops plastic in rivers with simple, local barriers.",
            metric(
                "river_plastic_removed",
                "River plastic removed",
                "🌊",
                "waves",
                ("kg of river plastic", "kg of river plastic"),
                ("remove", "removed"),
                2.0,
            ),
        ),
        campaign(
            "yellow-rooms",
            "Yellow Rooms",
            "Safe nights of shelter for people who need one.",
            metric(
                "safe_nights",
                "Safe nights",
                "🏠",
                "home",
                ("safe night", "safe nights"),
                ("provide", "provided"),
                0.2,
            ),
        ),
        campaign(
            "community-meals",
            "Community Meals",
            "Hot meals served by local community kitchens.",
            metric(
                "meals_served",
                "Meals served",
                "🍲",
                "utensils",
                ("meal", "meals"),
                ("serve", "served"),
                10.0,
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_catalog_has_the_five_campaigns() {
        let ids: Vec<String> = default_catalog()
            .into_iter()
            .map(|c| c.identifier)
            .collect();
        assert_eq!(
            ids,
            [
                "trees-for-the-future",
                "cleanhub",
                "plastic-fischer",
                "yellow-rooms",
                "community-meals"
            ]
        );
    }

    #[test]
    fn validates_every_field() {
        let body = json!({"identifier": "Bad Slug", "impact_metrics": [{"key": "x"}]});
        let errors = parse_campaign(body.as_object().expect("object"), "").expect_err("invalid");
        assert!(errors.0.contains_key("identifier"));
        assert!(errors.0.contains_key("name"));
        assert!(errors.0.contains_key("impact_metrics.0.unit_plural"));
        assert!(errors.0.contains_key("impact_metrics.0.impact_per_dollar"));
    }

    #[test]
    fn accepts_a_full_campaign() {
        let body = json!({"identifier": "bees", "name": "Bees", "impact_metrics": [{"key": "hives", "name": "Hives",
            "unit_singular": "hive", "unit_plural": "hives", "verb_present": "build", "verb_past": "built", "impact_per_dollar": 0.1}]});
        let c = parse_campaign(body.as_object().expect("object"), "").expect("valid");
        assert_eq!(c.metrics[0].impact_per_dollar, 0.1);
        assert!(c.active);
    }
}

//! Impact arithmetic (SPEC 5.1): quantity of each metric an amount buys, and its label.

use serde::{Deserialize, Serialize};

/// One impact metric of a campaign, as configured in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub key: String,
    pub name: String,
    pub emoji: Option<String>,
    pub icon: Option<String>,
    pub unit_singular: String,
    pub unit_plural: String,
    pub verb_present: String,
    pub verb_past: String,
    pub impact_per_dollar: f64,
}

/// The quantity an amount buys, in hundredths, rounded half away from zero.
/// `quantity = cents / 100 * per_dollar`, so hundredths are `cents * per_dollar`.
pub fn quantity_centi(amount_cents: i64, impact_per_dollar: f64) -> i64 {
    let product = amount_cents as f64 * impact_per_dollar;
    // The product of a decimal ratio can land a hair below an exact .5 (90 x 0.35 = 31.4999...);
    // settling it at millionths first lets ties round away from zero as the contract says.
    ((product * 1e6).round() / 1e6).round() as i64
}

/// Prints hundredths without trailing zeros or separators: 60 -> "0.6", 100 -> "1", 125000 -> "1250".
pub fn format_centi(centi: i64) -> String {
    let sign = if centi < 0 { "-" } else { "" };
    let abs = centi.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
        f => format!("{sign}{whole}.{f:02}"),
    }
}

/// The unit for a quantity: singular exactly at 1.
pub fn unit(centi: i64, singular: &str, plural: &str) -> String {
    if centi == 100 { singular } else { plural }.to_string()
}

/// `"{quantity} {unit} {verb_past}"`, with a leading `~` when approximated.
pub fn label(
    centi: i64,
    singular: &str,
    plural: &str,
    verb_past: &str,
    approximated: bool,
) -> String {
    let tilde = if approximated { "~" } else { "" };
    format!(
        "{tilde}{} {} {verb_past}",
        format_centi(centi),
        unit(centi, singular, plural)
    )
}

/// The `Impact` item of the API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub key: String,
    pub name: String,
    pub emoji: Option<String>,
    pub icon: Option<String>,
    pub quantity: f64,
    pub unit: String,
    pub label: String,
}

impl Impact {
    /// Builds the item from a quantity in hundredths and the metric's wording.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        key: &str,
        name: &str,
        emoji: Option<&str>,
        icon: Option<&str>,
        centi: i64,
        unit_singular: &str,
        unit_plural: &str,
        verb_past: &str,
        approximated: bool,
    ) -> Impact {
        Impact {
            key: key.to_string(),
            name: name.to_string(),
            emoji: emoji.map(str::to_string),
            icon: icon.map(str::to_string),
            quantity: centi as f64 / 100.0,
            unit: unit(centi, unit_singular, unit_plural),
            label: label(centi, unit_singular, unit_plural, verb_past, approximated),
        }
    }

    /// The impact of `amount_cents` for one metric.
    pub fn of(metric: &Metric, amount_cents: i64, approximated: bool) -> Impact {
        let centi = quantity_centi(amount_cents, metric.impact_per_dollar);
        Impact::from_parts(
            &metric.key,
            &metric.name,
            metric.emoji.as_deref(),
            metric.icon.as_deref(),
            centi,
            &metric.unit_singular,
            &metric.unit_plural,
            &metric.verb_past,
            approximated,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trees(per_dollar: f64) -> Metric {
        Metric {
            key: "trees_planted".into(),
            name: "Trees planted".into(),
            emoji: Some("🌳".into()),
            icon: Some("tree".into()),
            unit_singular: "tree".into(),
            unit_plural: "trees".into(),
            verb_present: "plant".into(),
            verb_past: "planted".into(),
            impact_per_dollar: per_dollar,
        }
    }

    #[test]
    fn quantity_is_cents_over_100_times_ratio() {
        let i = Impact::of(&trees(4.0), 500, false);
        assert_eq!(i.quantity, 20.0);
        assert_eq!(i.unit, "trees");
        assert_eq!(i.label, "20 trees planted");
    }

    #[test]
    fn singular_only_at_exactly_one() {
        assert_eq!(Impact::of(&trees(4.0), 25, false).label, "1 tree planted");
        assert_eq!(
            Impact::of(&trees(4.0), 26, false).label,
            "1.04 trees planted"
        );
        assert_eq!(Impact::of(&trees(4.0), 0, false).label, "0 trees planted");
    }

    #[test]
    fn drops_trailing_zeros_and_has_no_separators() {
        assert_eq!(
            Impact::of(&trees(4.0), 15, false).label,
            "0.6 trees planted"
        );
        assert_eq!(
            Impact::of(&trees(4.0), 31_250, false).label,
            "1250 trees planted"
        );
        assert_eq!(format_centi(1205), "12.05");
        assert_eq!(format_centi(1250), "12.5");
    }

    #[test]
    fn rounds_half_away_from_zero_to_two_decimals() {
        // 1 cent at 0.5/dollar = 0.005 -> 0.01
        assert_eq!(quantity_centi(1, 0.5), 1);
        // 1 cent at 0.2/dollar = 0.002 -> 0
        assert_eq!(quantity_centi(1, 0.2), 0);
        // 333 cents at 0.2/dollar = 0.666 -> 0.67
        assert_eq!(quantity_centi(333, 0.2), 67);
        assert_eq!(Impact::of(&trees(0.2), 333, false).quantity, 0.67);
        // 90 cents at 0.35/dollar = 0.315 exactly -> 0.32, though the float product is 31.4999...
        assert_eq!(quantity_centi(90, 0.35), 32);
        assert_eq!(quantity_centi(10, 0.15), 2);
    }

    #[test]
    fn approximated_labels_start_with_tilde() {
        assert_eq!(
            Impact::of(&trees(4.0), 500, true).label,
            "~20 trees planted"
        );
    }
}

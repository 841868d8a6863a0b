//! The widget's view of a session, `SessionData` (SPEC 10): the camelCase shape of the hosted
//! SDK's types, built from the stored session, the catalog and the impact arithmetic of SPEC 5.1.
//! The page renders it as is; no mapping happens in JavaScript.

use super::verbs;
use crate::domain::impact::Metric;
use crate::state::Catalog;
use crate::store::campaigns::Campaign;
use crate::store::sessions::SessionRow;
use serde::Serialize;

/// `SessionData` of SPEC 10. `amount` is absent for `portion_of_sales`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionData {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    pub status: &'static str,
    pub expires_at: String,
    pub campaigns: Vec<WidgetCampaign>,
    pub allocations: Vec<WidgetAllocation>,
    pub selected_campaign: Option<String>,
    pub opted_out: bool,
    pub impact: Vec<ImpactCalculation>,
}

/// `Campaign` of the SDK's types. `organizationName` is the campaign's name: the hosted product
/// names a campaign after the organization that runs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetCampaign {
    pub id: String,
    pub slug: String,
    pub organization_name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub impact_metrics: Vec<ImpactMetric>,
    /// Preview data only (`GET /widget/api/campaigns`): the impact of the requested amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Vec<ImpactCalculation>>,
}

/// `ImpactMetric` of the SDK's types, from a SPEC 5.1 metric. The catalog has no metric
/// description, so `description` is null; the verb forms the catalog lacks are derived in English.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactMetric {
    pub identifier: String,
    pub name: String,
    pub description: Option<String>,
    pub verb_singular: String,
    pub verb_plural: String,
    pub verb_past: String,
    pub verb_progressive: String,
    pub verb_imperative: String,
    pub impact_object_singular: String,
    pub impact_object_plural: String,
    pub unit: String,
    pub emoji: Option<String>,
    pub icon: Option<String>,
    pub impact_to_dollar_ratio: f64,
}

/// `Allocation` of the SDK's types.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetAllocation {
    pub campaign_identifier: String,
    pub amount: i64,
    pub campaign: Option<WidgetCampaign>,
}

/// `ImpactCalculation` of the SDK's types: one per campaign and metric, `impactText` being the
/// SPEC 5.1 label of `amount` for that metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpactCalculation {
    pub campaign_identifier: String,
    pub amount: i64,
    pub impact_text: String,
}

impl ImpactMetric {
    pub fn from_metric(m: &Metric) -> ImpactMetric {
        ImpactMetric {
            identifier: m.key.clone(),
            name: m.name.clone(),
            description: None,
            verb_singular: verbs::third_person(&m.verb_present),
            verb_plural: m.verb_present.clone(),
            verb_past: m.verb_past.clone(),
            verb_progressive: verbs::progressive(&m.verb_present),
            verb_imperative: m.verb_present.clone(),
            impact_object_singular: m.unit_singular.clone(),
            impact_object_plural: m.unit_plural.clone(),
            unit: m.unit_plural.clone(),
            emoji: m.emoji.clone(),
            icon: m.icon.clone(),
            impact_to_dollar_ratio: m.impact_per_dollar,
        }
    }
}

impl WidgetCampaign {
    pub fn from_campaign(c: &Campaign) -> WidgetCampaign {
        WidgetCampaign {
            id: c.id.clone(),
            slug: c.identifier.clone(),
            organization_name: c.name.clone(),
            description: c.description.clone(),
            image_url: c.image_url.clone(),
            impact_metrics: c
                .impact_metrics
                .iter()
                .map(ImpactMetric::from_metric)
                .collect(),
            impact: None,
        }
    }

    /// The campaign with the impact of `amount` attached (preview data).
    pub fn with_impact(c: &Campaign, amount: i64) -> WidgetCampaign {
        WidgetCampaign {
            impact: Some(impact_of(c, amount, false)),
            ..WidgetCampaign::from_campaign(c)
        }
    }
}

/// One `ImpactCalculation` per metric of `c`, for `amount` cents.
pub fn impact_of(c: &Campaign, amount: i64, approximated: bool) -> Vec<ImpactCalculation> {
    c.impact(amount, approximated)
        .into_iter()
        .map(|i| ImpactCalculation {
            campaign_identifier: c.identifier.clone(),
            amount,
            impact_text: i.label,
        })
        .collect()
}

impl SessionData {
    /// The session as the widget shows it at `now` (status read as current, SPEC 5.4).
    pub fn build(s: &SessionRow, catalog: &Catalog, now: i64) -> SessionData {
        // The campaigns shown and the amount each one's impact is for, as in the session object.
        let shown: Vec<(&Campaign, i64)> = if s.kind.is_interactive() {
            s.available_campaigns
                .iter()
                .filter_map(|id| catalog.get(id).map(|c| (c, s.amount)))
                .collect()
        } else {
            s.allocations
                .iter()
                .filter_map(|a| catalog.get(&a.campaign_identifier).map(|c| (c, a.amount)))
                .collect()
        };
        let allocations = s
            .effective_allocations()
            .into_iter()
            .map(|a| WidgetAllocation {
                campaign: catalog
                    .get(&a.campaign_identifier)
                    .map(WidgetCampaign::from_campaign),
                campaign_identifier: a.campaign_identifier,
                amount: a.amount,
            })
            .collect();
        SessionData {
            id: s.id.clone(),
            kind: s.kind.as_str(),
            amount: s.kind.is_interactive().then_some(s.amount),
            status: s.status.current(s.expires_at, now).as_str(),
            expires_at: crate::clock::format_micros(s.expires_at),
            campaigns: shown
                .iter()
                .map(|(c, _)| WidgetCampaign::from_campaign(c))
                .collect(),
            allocations,
            selected_campaign: s.selected_campaign.clone(),
            opted_out: s.opted_out,
            impact: shown
                .iter()
                .flat_map(|(c, amount)| impact_of(c, *amount, s.approximated))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::default_catalog;
    use crate::domain::impact::Impact;
    use crate::domain::session::{SessionStatus, SessionType};
    use crate::store::sessions::Allocation;
    use serde_json::Value;

    fn catalog() -> Catalog {
        Catalog::new(
            default_catalog()
                .into_iter()
                .enumerate()
                .map(|(i, c)| Campaign {
                    id: format!("01K00000000000000000000{i:03}"),
                    identifier: c.identifier,
                    name: c.name,
                    description: c.description,
                    image_url: c.image_url,
                    active: c.active,
                    impact_metrics: c.metrics,
                    created_at: 0,
                    updated_at: 0,
                })
                .collect(),
        )
    }

    fn session(kind: SessionType) -> SessionRow {
        SessionRow {
            id: "01K0000000000000000000SESS".into(),
            org_id: "org".into(),
            kind,
            status: SessionStatus::Active,
            amount: 1250,
            available_campaigns: vec!["cleanhub".into(), "trees-for-the-future".into()],
            selected_campaign: None,
            opted_out: false,
            allocations: Vec::new(),
            customer_id: Some("01K0000000000000000000CUST".into()),
            vendor_id: None,
            metadata: serde_json::Map::new(),
            approximated: false,
            secret: Some("s".repeat(64)),
            expires_at: 1_000_000,
            processed_at: None,
            confirmed_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn keys(v: &Value) -> Vec<&str> {
        let mut k: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        k.sort_unstable();
        k
    }

    #[test]
    fn every_name_is_camel_case_as_the_sdk_types() {
        let mut s = session(SessionType::AddOn);
        s.selected_campaign = Some("cleanhub".into());
        let v = serde_json::to_value(SessionData::build(&s, &catalog(), 0)).expect("json");
        assert_eq!(
            keys(&v),
            [
                "allocations",
                "amount",
                "campaigns",
                "expiresAt",
                "id",
                "impact",
                "optedOut",
                "selectedCampaign",
                "status",
                "type"
            ]
        );
        assert_eq!(
            keys(&v["campaigns"][0]),
            [
                "description",
                "id",
                "imageUrl",
                "impactMetrics",
                "organizationName",
                "slug"
            ]
        );
        assert_eq!(
            keys(&v["campaigns"][0]["impactMetrics"][0]),
            [
                "description",
                "emoji",
                "icon",
                "identifier",
                "impactObjectPlural",
                "impactObjectSingular",
                "impactToDollarRatio",
                "name",
                "unit",
                "verbImperative",
                "verbPast",
                "verbPlural",
                "verbProgressive",
                "verbSingular"
            ]
        );
        assert_eq!(
            keys(&v["allocations"][0]),
            ["amount", "campaign", "campaignIdentifier"]
        );
        assert_eq!(
            keys(&v["impact"][0]),
            ["amount", "campaignIdentifier", "impactText"]
        );
        assert_eq!(v["type"], "add_on");
        assert_eq!(v["selectedCampaign"], "cleanhub");
        assert_eq!(v["allocations"][0]["amount"], 1250);
        assert_eq!(v["allocations"][0]["campaign"]["slug"], "cleanhub");
        // Nothing of the customer, vendor, metadata or secret reaches the page.
        let text = v.to_string();
        assert!(!text.contains("CUST") && !text.contains(&"s".repeat(64)));
    }

    #[test]
    fn metric_fields_come_from_the_catalog_metric() {
        let cat = catalog();
        let trees = cat.get("trees-for-the-future").expect("trees");
        let m = ImpactMetric::from_metric(&trees.impact_metrics[0]);
        assert_eq!(m.identifier, "trees_planted");
        assert_eq!(m.impact_object_singular, "tree");
        assert_eq!(m.impact_object_plural, "trees");
        assert_eq!(m.verb_past, "planted");
        assert_eq!(m.verb_imperative, "plant");
        assert_eq!(m.verb_singular, "plants");
        assert_eq!(m.verb_progressive, "planting");
        assert_eq!(m.impact_to_dollar_ratio, 4.0);
        let c = WidgetCampaign::from_campaign(trees);
        assert_eq!(c.slug, "trees-for-the-future");
        assert_eq!(c.organization_name, "Trees for the Future");
    }

    #[test]
    fn impact_text_is_the_spec_label_for_the_session_amount() {
        let cat = catalog();
        let mut s = session(SessionType::AddOn);
        let data = SessionData::build(&s, &cat, 0);
        assert_eq!(data.impact.len(), 2);
        for calc in &data.impact {
            let c = cat.get(&calc.campaign_identifier).expect("campaign");
            assert_eq!(calc.amount, 1250);
            assert_eq!(
                calc.impact_text,
                Impact::of(&c.impact_metrics[0], 1250, false).label
            );
        }
        assert_eq!(data.impact[0].impact_text, "12.5 kg of plastic collected");
        assert_eq!(data.impact[1].impact_text, "50 trees planted");
        s.approximated = true;
        let approx = SessionData::build(&s, &cat, 0);
        assert_eq!(approx.impact[1].impact_text, "~50 trees planted");
    }

    #[test]
    fn portion_of_sales_has_no_amount_and_each_allocation_its_own_impact() {
        let mut s = session(SessionType::PortionOfSales);
        s.available_campaigns.clear();
        s.secret = None;
        s.allocations = vec![
            Allocation {
                campaign_identifier: "community-meals".into(),
                amount: 300,
            },
            Allocation {
                campaign_identifier: "trees-for-the-future".into(),
                amount: 25,
            },
        ];
        let v = serde_json::to_value(SessionData::build(&s, &catalog(), 0)).expect("json");
        assert!(v.get("amount").is_none(), "{v}");
        assert_eq!(v["type"], "portion_of_sales");
        assert_eq!(v["allocations"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["impact"][0]["impactText"], "30 meals served");
        assert_eq!(v["impact"][1]["impactText"], "1 tree planted");
        assert_eq!(v["impact"][1]["amount"], 25);
    }

    #[test]
    fn status_is_current_and_opt_out_has_no_allocation() {
        let mut s = session(SessionType::PortionOfSalesChoice);
        s.opted_out = true;
        let data = SessionData::build(&s, &catalog(), 2_000_000);
        assert_eq!(data.status, "expired");
        assert!(data.opted_out);
        assert!(data.allocations.is_empty());
        assert_eq!(data.expires_at, crate::clock::format_micros(1_000_000));
    }
}

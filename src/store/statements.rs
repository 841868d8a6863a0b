//! Monthly statements (SPEC 13): what an organization owes each campaign for one UTC month, with
//! the impact bought, summed from the intents created in it (cancelled intents are deleted, so
//! every stored intent counts).

use crate::domain::impact::Impact;
use crate::domain::month::Month;
use rusqlite::{params, Connection};
use serde::Serialize;

/// Statements are in US dollars (cents), as every amount of the API.
pub const CURRENCY: &str = "usd";

/// One organization's statement for a month, as `GET /reports/monthly` shows it.
#[derive(Debug, Serialize)]
pub struct Statement {
    pub month: String,
    pub currency: &'static str,
    pub total_amount: i64,
    pub donation_count: i64,
    pub campaigns: Vec<CampaignLine>,
}

/// What one campaign received in the month.
#[derive(Debug, Serialize)]
pub struct CampaignLine {
    pub campaign_identifier: String,
    pub name: String,
    pub amount: i64,
    pub donation_count: i64,
    pub impact: Vec<Impact>,
}

/// The operator's statement of a month: every organization's lines and their sum per campaign.
#[derive(Debug, Serialize)]
pub struct OperatorStatement {
    pub month: String,
    pub currency: &'static str,
    pub total_amount: i64,
    pub donation_count: i64,
    /// Summed over the organizations.
    pub campaigns: Vec<CampaignLine>,
    /// Organizations with intents in the month, by name.
    pub organizations: Vec<OrgStatement>,
}

#[derive(Debug, Serialize)]
pub struct OrgStatement {
    pub organization_id: String,
    pub organization_name: String,
    pub total_amount: i64,
    pub donation_count: i64,
    pub campaigns: Vec<CampaignLine>,
}

/// A metric's sum in hundredths with its wording, before it becomes an `Impact`.
#[derive(Clone)]
struct MetricSum {
    key: String,
    name: String,
    emoji: Option<String>,
    icon: Option<String>,
    centi: i64,
    singular: String,
    plural: String,
    verb_past: String,
}

/// A campaign's sums within one organization (or, merged, across them).
#[derive(Clone)]
struct Line {
    /// The organization, or the day (`YYYY-MM-DD`) for [`campaign_days`].
    group: String,
    identifier: String,
    name: String,
    count: i64,
    amount: i64,
    metrics: Vec<MetricSum>,
}

impl Line {
    fn absorb(&mut self, other: Line) {
        self.count += other.count;
        self.amount += other.amount;
        for m in other.metrics {
            match self.metrics.iter_mut().find(|s| s.key == m.key) {
                Some(s) => s.centi += m.centi,
                None => self.metrics.push(m),
            }
        }
    }

    fn into_campaign(self) -> CampaignLine {
        CampaignLine {
            campaign_identifier: self.identifier,
            name: self.name,
            amount: self.amount,
            donation_count: self.count,
            // Totals carry no `~`: they are sums of fixed snapshots.
            impact: self
                .metrics
                .iter()
                .map(|m| {
                    Impact::from_parts(
                        &m.key,
                        &m.name,
                        m.emoji.as_deref(),
                        m.icon.as_deref(),
                        m.centi,
                        &m.singular,
                        &m.plural,
                        &m.verb_past,
                        false,
                    )
                })
                .collect(),
        }
    }
}

/// How the lines of [`lines`] are grouped before the campaign.
#[derive(Clone, Copy, PartialEq)]
enum Group {
    Organization,
    Day,
}

/// The campaign lines of intents created in `[start, end)`, per organization or per UTC day
/// (of one organization, or all with `None`), ordered by that group then campaign identifier;
/// metrics in the campaign's own order.
fn lines(
    conn: &Connection,
    org_id: Option<&str>,
    start: i64,
    end: i64,
    group: Group,
) -> rusqlite::Result<Vec<Line>> {
    // One statement per filter, so each uses its index: (org_id, created_at, id) or (created_at).
    let filter = if org_id.is_some() {
        "di.org_id = ?1 AND di.created_at >= ?2 AND di.created_at < ?3"
    } else {
        "?1 IS NULL AND di.created_at >= ?2 AND di.created_at < ?3"
    };
    let by = match group {
        Group::Organization => "di.org_id",
        Group::Day => "strftime('%Y-%m-%d', di.created_at / 1000000, 'unixepoch')",
    };
    let args = params![org_id, start, end];
    // The campaign's current name, or the one its intents were made under if it is gone.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {by} AS grp, di.campaign_identifier, COALESCE(MAX(c.name), MAX(di.campaign_name)),
                COUNT(*), SUM(di.amount)
         FROM donation_intents di LEFT JOIN campaigns c ON c.identifier = di.campaign_identifier
         WHERE {filter}
         GROUP BY grp, di.campaign_identifier ORDER BY grp, di.campaign_identifier"
    ))?;
    let mut out: Vec<Line> = stmt
        .query_map(args, |r| {
            Ok(Line {
                group: r.get(0)?,
                identifier: r.get(1)?,
                name: r.get(2)?,
                count: r.get(3)?,
                amount: r.get(4)?,
                metrics: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {by} AS grp, di.campaign_identifier, ii.key, MAX(ii.name), MAX(ii.emoji), MAX(ii.icon),
                SUM(ii.quantity_centi), MAX(ii.unit_singular), MAX(ii.unit_plural), MAX(ii.verb_past)
         FROM donation_intents di JOIN intent_impacts ii ON ii.intent_id = di.id
         WHERE {filter}
         GROUP BY grp, di.campaign_identifier, ii.key
         ORDER BY grp, di.campaign_identifier, MIN(ii.position), ii.key"
    ))?;
    let mut rows = stmt.query(args)?;
    while let Some(r) = rows.next()? {
        let (grp, identifier) = (r.get_ref(0)?.as_str()?, r.get_ref(1)?.as_str()?);
        let metric = MetricSum {
            key: r.get(2)?,
            name: r.get(3)?,
            emoji: r.get(4)?,
            icon: r.get(5)?,
            centi: r.get(6)?,
            singular: r.get(7)?,
            plural: r.get(8)?,
            verb_past: r.get(9)?,
        };
        if let Some(line) = out
            .iter_mut()
            .find(|l| l.group == grp && l.identifier == identifier)
        {
            line.metrics.push(metric);
        }
    }
    Ok(out)
}

fn sum(campaigns: &[CampaignLine]) -> (i64, i64) {
    campaigns
        .iter()
        .fold((0, 0), |(a, n), c| (a + c.amount, n + c.donation_count))
}

/// One organization's statement for `month` (an empty month has no campaigns and zero totals).
pub fn monthly(conn: &Connection, org_id: &str, month: &Month) -> rusqlite::Result<Statement> {
    let (start, end) = (month.start_micros(), month.end_micros());
    let campaigns: Vec<CampaignLine> = lines(conn, Some(org_id), start, end, Group::Organization)?
        .into_iter()
        .map(Line::into_campaign)
        .collect();
    let (total_amount, donation_count) = sum(&campaigns);
    Ok(Statement {
        month: month.to_string(),
        currency: CURRENCY,
        total_amount,
        donation_count,
        campaigns,
    })
}

/// The operator's statement for `month`: every organization (or the one given), and the campaign
/// sums across them.
pub fn operator_monthly(
    conn: &Connection,
    org_id: Option<&str>,
    month: &Month,
) -> rusqlite::Result<OperatorStatement> {
    let mut combined: Vec<Line> = Vec::new();
    let mut per_org: Vec<(String, Vec<CampaignLine>)> = Vec::new();
    let (start, end) = (month.start_micros(), month.end_micros());
    for line in lines(conn, org_id, start, end, Group::Organization)? {
        let copy = line.clone();
        match combined
            .iter_mut()
            .find(|l| l.identifier == copy.identifier)
        {
            Some(l) => l.absorb(copy),
            None => combined.push(copy),
        }
        match per_org.last_mut() {
            Some((org, lines)) if *org == line.group => lines.push(line.into_campaign()),
            _ => per_org.push((line.group.clone(), vec![line.into_campaign()])),
        }
    }
    combined.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    let campaigns: Vec<CampaignLine> = combined.into_iter().map(Line::into_campaign).collect();
    let mut names = conn.prepare_cached("SELECT name FROM organizations WHERE id = ?1")?;
    let mut organizations = Vec::with_capacity(per_org.len());
    for (organization_id, campaigns) in per_org {
        let organization_name: String = names.query_row([&organization_id], |r| r.get(0))?;
        let (total_amount, donation_count) = sum(&campaigns);
        organizations.push(OrgStatement {
            organization_id,
            organization_name,
            total_amount,
            donation_count,
            campaigns,
        });
    }
    organizations.sort_by(|a, b| {
        (&a.organization_name, &a.organization_id).cmp(&(&b.organization_name, &b.organization_id))
    });
    let (total_amount, donation_count) = sum(&campaigns);
    Ok(OperatorStatement {
        month: month.to_string(),
        currency: CURRENCY,
        total_amount,
        donation_count,
        campaigns,
        organizations,
    })
}

/// One campaign's day in [`campaign_days`].
#[derive(Debug, Serialize)]
pub struct CampaignDay {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub amount: i64,
    pub donation_count: i64,
    pub impact: Vec<Impact>,
}

/// A campaign's days in [`campaign_days`], with its totals over the window.
#[derive(Debug, Serialize)]
pub struct CampaignSeries {
    pub campaign_identifier: String,
    pub name: String,
    pub amount: i64,
    pub donation_count: i64,
    pub impact: Vec<Impact>,
    /// Only the days with intents, oldest first.
    pub days: Vec<CampaignDay>,
}

/// Per campaign, what it received on each UTC day of `[start, end)` (of one organization, or all
/// with `None`), for the console's chart; campaigns by identifier.
pub fn campaign_days(
    conn: &Connection,
    org_id: Option<&str>,
    start: i64,
    end: i64,
) -> rusqlite::Result<Vec<CampaignSeries>> {
    let mut totals: Vec<Line> = Vec::new();
    let mut series: Vec<(String, Vec<CampaignDay>)> = Vec::new();
    for line in lines(conn, org_id, start, end, Group::Day)? {
        let mut total = line.clone();
        total.group.clear();
        match totals.iter_mut().find(|l| l.identifier == total.identifier) {
            Some(l) => l.absorb(total),
            None => totals.push(total),
        }
        let date = line.group.clone();
        let identifier = line.identifier.clone();
        let c = line.into_campaign();
        let day = CampaignDay {
            date,
            amount: c.amount,
            donation_count: c.donation_count,
            impact: c.impact,
        };
        match series.iter_mut().find(|(i, _)| *i == identifier) {
            Some((_, days)) => days.push(day),
            None => series.push((identifier, vec![day])),
        }
    }
    totals.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Ok(totals
        .into_iter()
        .map(|t| {
            let days = series
                .iter_mut()
                .find(|(i, _)| *i == t.identifier)
                .map(|(_, d)| std::mem::take(d))
                .unwrap_or_default();
            let c = t.into_campaign();
            CampaignSeries {
                campaign_identifier: c.campaign_identifier,
                name: c.name,
                amount: c.amount,
                donation_count: c.donation_count,
                impact: c.impact,
                days,
            }
        })
        .collect())
}

/// Joins impact labels as the CSV files show them: `20 trees planted; 5 kg of plastic collected`.
pub fn labels(impact: &[Impact]) -> String {
    impact
        .iter()
        .map(|i| i.label.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

//! A customer's or vendor's impact totals (SPEC 5.2) and intent count, from the per-day,
//! per-month and all-time totals kept by the triggers of schema.sql and migrations/0002.

use crate::domain::impact::Impact;
use crate::pagination::DateRange;
use crate::store::directory::Directory;
use chrono::{Datelike, Months, NaiveDate};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use serde::Serialize;

/// A party's date range cut into the kept totals that cover it (the tables of schema.sql and
/// migrations/0002): the days before the first whole calendar month, the whole months, and the
/// days after the last one. A year of daily activity is then 12 month rows per campaign plus at
/// most 60 day rows at the edges, instead of 365 day rows; a range open at both ends is the
/// all-time rows, one per campaign. Bounds are microseconds, `[start, end)`;
/// the range is whole UTC days, so comparing each day's or month's first microsecond is exact.
pub(crate) struct PartySpans {
    start: i64,
    months_from: i64,
    months_to: i64,
    end: i64,
}

impl PartySpans {
    pub(crate) fn new(range: &DateRange) -> PartySpans {
        let (start, end) = (range.start_micros(), range.end_micros());
        // An open end is a month boundary of its own.
        let months_from = match range.from {
            None => start,
            Some(d) if d.day() == 1 => start,
            Some(d) => month_start_micros(
                d.with_day(1)
                    .and_then(|m| m.checked_add_months(Months::new(1))),
            ),
        };
        let months_to = match range.to {
            None => end,
            Some(d) => month_start_micros(d.succ_opt().and_then(|n| n.with_day(1))),
        };
        if months_from < months_to {
            PartySpans {
                start,
                months_from,
                months_to,
                end,
            }
        } else {
            PartySpans {
                start,
                months_from: end,
                months_to: end,
                end,
            }
        }
    }

    /// `SELECT {columns}` from the day and month tables of `prefix` (`party_campaign`,
    /// `party_impact`) over the three spans, for the arguments of [`PartySpans::args`].
    pub(crate) fn union(&self, columns: &str, prefix: &str) -> String {
        const PARTY: &str = "party_id = ?1 AND kind = ?2 AND org_id = ?3";
        if self.start == i64::MIN && self.end == i64::MAX {
            // Open at both ends: the all-time rows. (`?7` keeps the statement's parameters those
            // of the three spans.)
            return format!(
                "SELECT {columns} FROM {prefix}_totals WHERE {PARTY} AND ?7 IS NOT NULL"
            );
        }
        format!(
            "SELECT {columns} FROM {prefix}_days WHERE {PARTY} AND day >= ?4 AND day < ?5
             UNION ALL SELECT {columns} FROM {prefix}_months WHERE {PARTY} AND month >= ?5 AND month < ?6
             UNION ALL SELECT {columns} FROM {prefix}_days WHERE {PARTY} AND day >= ?6 AND day < ?7"
        )
    }

    pub(crate) fn args<'a>(
        &self,
        dir: Directory,
        org_id: &'a str,
        party_id: &'a str,
    ) -> SpanArgs<'a> {
        let s = self;
        (
            party_id,
            dir.table(),
            org_id,
            s.start,
            s.months_from,
            s.months_to,
            s.end,
        )
    }
}

pub(crate) type SpanArgs<'a> = (&'a str, &'static str, &'a str, i64, i64, i64, i64);

/// The first microsecond of a month's first day (`None`, past the calendar: the largest value).
fn month_start_micros(first_day: Option<NaiveDate>) -> i64 {
    first_day
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(i64::MAX)
}

/// A customer's or vendor's totals as SPEC 5.2 shows them, serialized straight to the response
/// (`customer_id` or `vendor_id` first, as the party is).
#[derive(Debug, Serialize)]
pub struct ImpactTotals {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub donation_count: i64,
    pub total_amount: i64,
    pub impact_metrics: Vec<Impact>,
    pub by_campaign: Vec<CampaignTotal>,
}

#[derive(Debug, Serialize)]
pub struct CampaignTotal {
    pub campaign_identifier: String,
    pub donation_count: i64,
    pub total_amount: i64,
}

/// One metric's running total over the kept rows of a party, grouped by key as the API reports
/// it. Wording that changed over time is reported as SQL's MAX would pick it (byte order; a
/// missing emoji or icon only where every row lacks it).
pub(crate) struct MetricSum {
    pub(crate) key: String,
    name: String,
    emoji: Option<String>,
    icon: Option<String>,
    centi: i64,
    unit_singular: String,
    unit_plural: String,
    verb_past: String,
    /// The earliest intent, which orders the metrics.
    pub(crate) first: i64,
}

impl MetricSum {
    /// From a row of `key, name, emoji, icon, quantity_centi, unit_singular, unit_plural,
    /// verb_past, first_created_at`.
    pub(crate) fn new(r: &Row) -> rusqlite::Result<MetricSum> {
        Ok(MetricSum {
            key: r.get(0)?,
            name: r.get(1)?,
            emoji: r.get(2)?,
            icon: r.get(3)?,
            centi: r.get(4)?,
            unit_singular: r.get(5)?,
            unit_plural: r.get(6)?,
            verb_past: r.get(7)?,
            first: r.get(8)?,
        })
    }

    pub(crate) fn add(&mut self, r: &Row) -> rusqlite::Result<()> {
        fn max_text(slot: &mut String, v: ValueRef) -> rusqlite::Result<()> {
            let v = v.as_str()?;
            if v > slot.as_str() {
                *slot = v.to_string();
            }
            Ok(())
        }
        fn max_opt(slot: &mut Option<String>, v: ValueRef) -> rusqlite::Result<()> {
            if let Some(v) = v.as_str_or_null()? {
                if slot.as_deref().is_none_or(|s| v > s) {
                    *slot = Some(v.to_string());
                }
            }
            Ok(())
        }
        max_text(&mut self.name, r.get_ref(1)?)?;
        max_opt(&mut self.emoji, r.get_ref(2)?)?;
        max_opt(&mut self.icon, r.get_ref(3)?)?;
        self.centi += r.get::<_, i64>(4)?;
        max_text(&mut self.unit_singular, r.get_ref(5)?)?;
        max_text(&mut self.unit_plural, r.get_ref(6)?)?;
        max_text(&mut self.verb_past, r.get_ref(7)?)?;
        self.first = self.first.min(r.get(8)?);
        Ok(())
    }

    pub(crate) fn into_impact(self) -> Impact {
        Impact::from_parts(
            &self.key,
            &self.name,
            self.emoji.as_deref(),
            self.icon.as_deref(),
            self.centi,
            &self.unit_singular,
            &self.unit_plural,
            &self.verb_past,
            false,
        )
    }
}

/// Impact totals of one customer or vendor (SPEC 5.2), summed from the kept per-month and per-day
/// totals of its intents' snapshots instead of one row per intent.
pub fn impact_totals(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    party_id: &str,
    range: &DateRange,
) -> rusqlite::Result<ImpactTotals> {
    let spans = PartySpans::new(range);
    let args = spans.args(dir, org_id, party_id);
    // The rows are summed here rather than by GROUP BY: two small sorts in SQLite cost more than
    // the reads themselves at this size (a year is about 13 rows per campaign or wording).
    let mut campaigns: Vec<(String, i64, i64)> = Vec::new();
    let mut stmt = conn.prepare_cached(&spans.union(
        "campaign_identifier, donation_count, total_amount",
        "party_campaign",
    ))?;
    let mut rows = stmt.query(args)?;
    while let Some(r) = rows.next()? {
        let identifier = r.get_ref(0)?.as_str()?;
        let (n, sum): (i64, i64) = (r.get(1)?, r.get(2)?);
        match campaigns.iter_mut().find(|c| c.0 == identifier) {
            Some(c) => (c.1, c.2) = (c.1 + n, c.2 + sum),
            None => campaigns.push((identifier.to_string(), n, sum)),
        }
    }
    campaigns.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let (count, total) = campaigns
        .iter()
        .fold((0, 0), |(n, sum), c| (n + c.1, sum + c.2));
    let by_campaign: Vec<CampaignTotal> = campaigns
        .into_iter()
        .map(
            |(campaign_identifier, donation_count, total_amount)| CampaignTotal {
                campaign_identifier,
                donation_count,
                total_amount,
            },
        )
        .collect();

    let mut sums: Vec<MetricSum> = Vec::new();
    let mut stmt = conn.prepare_cached(&spans.union(
        "key, name, emoji, icon, quantity_centi, unit_singular, unit_plural, verb_past, \
         first_created_at",
        "party_impact",
    ))?;
    let mut rows = stmt.query(args)?;
    while let Some(r) = rows.next()? {
        let key = r.get_ref(0)?.as_str()?;
        match sums.iter_mut().find(|m| m.key == key) {
            Some(m) => m.add(r)?,
            None => sums.push(MetricSum::new(r)?),
        }
    }
    sums.sort_unstable_by(|a, b| (a.first, &a.key).cmp(&(b.first, &b.key)));
    let metrics: Vec<Impact> = sums.into_iter().map(MetricSum::into_impact).collect();
    let party = Some(party_id.to_string());
    let (customer_id, vendor_id) = match dir {
        Directory::Customers => (party, None),
        Directory::Vendors => (None, party),
    };
    Ok(ImpactTotals {
        customer_id,
        vendor_id,
        date_from: range.from.map(|d| d.to_string()),
        date_to: range.to.map(|d| d.to_string()),
        donation_count: count,
        total_amount: total,
        impact_metrics: metrics,
        by_campaign,
    })
}

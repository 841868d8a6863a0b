//! A customer's or vendor's impact per UTC day (SPEC 13), read from the per-day totals that the
//! triggers of schema.sql keep: a row per day and campaign, and per day and metric wording, never
//! a scan of the intents.

use crate::domain::impact::Impact;
use crate::store::directory::Directory;
use crate::store::totals::MetricSum;
use chrono::DateTime;
use rusqlite::{params, Connection};
use serde::Serialize;

/// One day that has intents.
#[derive(Debug, Serialize)]
pub struct DayTotal {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub amount: i64,
    pub donation_count: i64,
    /// Summed by metric key, in the order of each metric's first intent that day.
    pub impact: Vec<Impact>,
}

/// The days of `[start, end)` (microseconds, whole UTC days) on which the party has intents,
/// oldest first.
pub fn daily(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    party_id: &str,
    start: i64,
    end: i64,
) -> rusqlite::Result<Vec<DayTotal>> {
    let args = params![party_id, dir.table(), org_id, start, end];
    // The primary key (party, kind, org, day, campaign) hands the rows over in day order.
    let mut stmt = conn.prepare_cached(
        "SELECT day, SUM(donation_count), SUM(total_amount) FROM party_campaign_days
         WHERE party_id = ?1 AND kind = ?2 AND org_id = ?3 AND day >= ?4 AND day < ?5
         GROUP BY day ORDER BY day",
    )?;
    let days: Vec<(i64, i64, i64)> = stmt
        .query_map(args, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;

    // Metrics per day: a few rows each (one per wording), merged by key as `impact_metrics` does.
    let mut sums: Vec<(i64, Vec<MetricSum>)> = Vec::with_capacity(days.len());
    let mut stmt = conn.prepare_cached(
        "SELECT key, name, emoji, icon, quantity_centi, unit_singular, unit_plural, verb_past,
                first_created_at, day
         FROM party_impact_days
         WHERE party_id = ?1 AND kind = ?2 AND org_id = ?3 AND day >= ?4 AND day < ?5
         ORDER BY day",
    )?;
    let mut rows = stmt.query(args)?;
    while let Some(r) = rows.next()? {
        let day: i64 = r.get(9)?;
        if sums.last().is_none_or(|(d, _)| *d != day) {
            sums.push((day, Vec::new()));
        }
        let Some((_, metrics)) = sums.last_mut() else {
            continue;
        };
        let key = r.get_ref(0)?.as_str()?;
        match metrics.iter_mut().find(|m| m.key == key) {
            Some(m) => m.add(r)?,
            None => metrics.push(MetricSum::new(r)?),
        }
    }

    let mut sums = sums.into_iter().peekable();
    Ok(days
        .into_iter()
        .map(|(day, donation_count, amount)| {
            let mut metrics = Vec::new();
            while let Some((d, _)) = sums.peek() {
                if *d > day {
                    break;
                }
                if let Some((d, m)) = sums.next() {
                    if d == day {
                        metrics = m;
                    }
                }
            }
            metrics.sort_unstable_by(|a, b| (a.first, &a.key).cmp(&(b.first, &b.key)));
            DayTotal {
                date: DateTime::from_timestamp_micros(day)
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default(),
                amount,
                donation_count,
                impact: metrics.into_iter().map(MetricSum::into_impact).collect(),
            }
        })
        .collect())
}

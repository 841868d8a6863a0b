//! SQL for the operator's reports: billing per organization and month, impact totals, daily volume.

use crate::domain::impact::Impact;
use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct BillingMonth {
    pub organization_id: String,
    pub organization_name: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
    pub donation_count: i64,
    pub total_amount: i64,
}

/// What each organization owes per UTC month: intents created in it and not cancelled (cancelled
/// intents are deleted, so every stored intent counts).
pub fn billing(conn: &Connection, org_id: Option<&str>) -> rusqlite::Result<Vec<BillingMonth>> {
    let mut stmt = conn.prepare_cached(
        "SELECT di.org_id, o.name, strftime('%Y-%m', di.created_at / 1000000, 'unixepoch') AS month,
                COUNT(*), SUM(di.amount)
         FROM donation_intents di JOIN organizations o ON o.id = di.org_id
         WHERE ?1 IS NULL OR di.org_id = ?1
         GROUP BY di.org_id, month ORDER BY month DESC, o.name",
    )?;
    let rows = stmt.query_map([org_id], |r| {
        Ok(BillingMonth {
            organization_id: r.get(0)?,
            organization_name: r.get(1)?,
            month: r.get(2)?,
            donation_count: r.get(3)?,
            total_amount: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Impact totals per metric key over every intent (of one organization, if given).
pub fn impact(conn: &Connection, org_id: Option<&str>) -> rusqlite::Result<Vec<Impact>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ii.key, MAX(ii.name), MAX(ii.emoji), MAX(ii.icon), SUM(ii.quantity_centi),
                MAX(ii.unit_singular), MAX(ii.unit_plural), MAX(ii.verb_past)
         FROM intent_impacts ii JOIN donation_intents di ON di.id = ii.intent_id
         WHERE ?1 IS NULL OR di.org_id = ?1
         GROUP BY ii.key ORDER BY ii.key",
    )?;
    let rows = stmt.query_map([org_id], |r| crate::store::intents::impact_row(r, false))?;
    rows.collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub donation_count: i64,
    pub total_amount: i64,
}

/// Intents per UTC day from `since` (microseconds) on; days without intents are absent.
pub fn daily(conn: &Connection, org_id: Option<&str>, since: i64) -> rusqlite::Result<Vec<Day>> {
    let mut stmt = conn.prepare_cached(
        "SELECT strftime('%Y-%m-%d', created_at / 1000000, 'unixepoch') AS day, COUNT(*), SUM(amount)
         FROM donation_intents WHERE created_at >= ?2 AND (?1 IS NULL OR org_id = ?1)
         GROUP BY day ORDER BY day",
    )?;
    let rows = stmt.query_map(params![org_id, since], |r| {
        Ok(Day {
            date: r.get(0)?,
            donation_count: r.get(1)?,
            total_amount: r.get(2)?,
        })
    })?;
    rows.collect()
}

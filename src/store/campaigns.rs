//! SQL for campaigns and their impact metrics.

use crate::clock::ser_micros;
use crate::domain::catalog::CampaignInput;
use crate::domain::impact::{Impact, Metric};
use crate::domain::new_id;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;

/// A campaign with its metrics, as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Campaign {
    pub id: String,
    pub identifier: String,
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub active: bool,
    pub impact_metrics: Vec<Metric>,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
    #[serde(serialize_with = "ser_micros")]
    pub updated_at: i64,
}

impl Campaign {
    /// The impact of `amount` cents, one item per metric.
    pub fn impact(&self, amount: i64, approximated: bool) -> Vec<Impact> {
        self.impact_metrics
            .iter()
            .map(|m| Impact::of(m, amount, approximated))
            .collect()
    }
}

/// Every campaign (or only the active ones), ordered by name, each with its metrics in order.
pub fn list(conn: &Connection, active_only: bool) -> rusqlite::Result<Vec<Campaign>> {
    let mut metrics: HashMap<String, Vec<Metric>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT campaign_id, key, name, emoji, icon, unit_singular, unit_plural, verb_present, verb_past,
                impact_per_dollar
         FROM impact_metrics ORDER BY campaign_id, position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Metric {
                key: r.get(1)?,
                name: r.get(2)?,
                emoji: r.get(3)?,
                icon: r.get(4)?,
                unit_singular: r.get(5)?,
                unit_plural: r.get(6)?,
                verb_present: r.get(7)?,
                verb_past: r.get(8)?,
                impact_per_dollar: r.get(9)?,
            },
        ))
    })?;
    for row in rows {
        let (campaign_id, metric) = row?;
        metrics.entry(campaign_id).or_default().push(metric);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, identifier, name, description, image_url, active, created_at, updated_at
         FROM campaigns WHERE active = 1 OR ?1 = 0 ORDER BY name COLLATE NOCASE, identifier",
    )?;
    let rows = stmt.query_map([active_only], |r| {
        Ok(Campaign {
            id: r.get(0)?,
            identifier: r.get(1)?,
            name: r.get(2)?,
            description: r.get(3)?,
            image_url: r.get(4)?,
            active: r.get(5)?,
            impact_metrics: Vec::new(),
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
        })
    })?;
    let mut campaigns = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for c in &mut campaigns {
        c.impact_metrics = metrics.remove(&c.id).unwrap_or_default();
    }
    Ok(campaigns)
}

pub fn find(conn: &Connection, identifier: &str) -> rusqlite::Result<Option<Campaign>> {
    Ok(list(conn, false)?
        .into_iter()
        .find(|c| c.identifier == identifier))
}

/// Inserts or updates (by identifier) a campaign and replaces its metrics. Returns `(id, created)`.
pub fn upsert(
    conn: &Connection,
    input: &CampaignInput,
    now: i64,
) -> rusqlite::Result<(String, bool)> {
    let existing: Option<String> = conn
        .query_row(
            "SELECT id FROM campaigns WHERE identifier = ?1",
            [&input.identifier],
            |r| r.get(0),
        )
        .optional()?;
    let created = existing.is_none();
    let id = match existing {
        Some(id) => {
            conn.execute(
                "UPDATE campaigns SET name = ?2, description = ?3, image_url = ?4, active = ?5, updated_at = ?6
                 WHERE id = ?1",
                params![id, input.name, input.description, input.image_url, input.active, now],
            )?;
            conn.execute("DELETE FROM impact_metrics WHERE campaign_id = ?1", [&id])?;
            id
        }
        None => {
            let id = new_id(now);
            conn.execute(
                "INSERT INTO campaigns (id, identifier, name, description, image_url, active, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![id, input.identifier, input.name, input.description, input.image_url, input.active, now],
            )?;
            id
        }
    };
    let mut stmt = conn.prepare_cached(
        "INSERT INTO impact_metrics (campaign_id, position, key, name, emoji, icon, unit_singular, unit_plural,
                                     verb_present, verb_past, impact_per_dollar)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (position, m) in input.metrics.iter().enumerate() {
        stmt.execute(params![
            id,
            position as i64,
            m.key,
            m.name,
            m.emoji,
            m.icon,
            m.unit_singular,
            m.unit_plural,
            m.verb_present,
            m.verb_past,
            m.impact_per_dollar
        ])?;
    }
    Ok((id, created))
}

/// Activates or deactivates a campaign; `false` when no such identifier.
pub fn set_active(
    conn: &Connection,
    identifier: &str,
    active: bool,
    now: i64,
) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE campaigns SET active = ?2, updated_at = ?3 WHERE identifier = ?1",
        params![identifier, active, now],
    )?;
    Ok(changed > 0)
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COUNT(*) FROM campaigns", [], |r| r.get(0))
}

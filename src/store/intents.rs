//! SQL for donation intents, their impact snapshots, and the impact totals computed from them.

use crate::clock::ser_micros;
use crate::domain::impact::Impact;
use crate::pagination::{DateRange, PageParams};
use crate::store::campaigns::Campaign;
use crate::store::directory::Directory;
use crate::store::events;
use crate::webhooks::EventType;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct CampaignRef {
    pub identifier: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Intent {
    pub id: String,
    pub amount: i64,
    pub campaign_identifier: String,
    pub campaign: CampaignRef,
    pub customer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub session_id: Option<String>,
    pub impact: Vec<Impact>,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
}

/// Who an intent is attributed to; all `None` for direct intents.
#[derive(Debug, Clone, Default)]
pub struct Attribution {
    pub customer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub session_id: Option<String>,
    pub approximated: bool,
}

/// Stores one intent with its impact snapshot (computed now from `campaign`'s current ratios) and
/// records its `donation_intent.created` event.
pub fn insert(
    conn: &Connection,
    org_id: &str,
    id: String,
    amount: i64,
    campaign: &Campaign,
    who: &Attribution,
    now: i64,
) -> rusqlite::Result<Intent> {
    conn.prepare_cached(
        "INSERT INTO donation_intents (id, org_id, amount, campaign_identifier, campaign_name, customer_id,
                                       vendor_id, session_id, approximated, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        id,
        org_id,
        amount,
        campaign.identifier,
        campaign.name,
        who.customer_id,
        who.vendor_id,
        who.session_id,
        who.approximated,
        now
    ])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO intent_impacts (intent_id, position, key, name, emoji, icon, unit_singular, unit_plural,
                                     verb_past, quantity_centi)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (position, m) in campaign.impact_metrics.iter().enumerate() {
        let centi = crate::domain::impact::quantity_centi(amount, m.impact_per_dollar);
        stmt.execute(params![
            id,
            position as i64,
            m.key,
            m.name,
            m.emoji,
            m.icon,
            m.unit_singular,
            m.unit_plural,
            m.verb_past,
            centi
        ])?;
    }
    let intent = Intent {
        impact: campaign.impact(amount, who.approximated),
        id,
        amount,
        campaign_identifier: campaign.identifier.clone(),
        campaign: CampaignRef {
            identifier: campaign.identifier.clone(),
            name: campaign.name.clone(),
        },
        customer_id: who.customer_id.clone(),
        vendor_id: who.vendor_id.clone(),
        session_id: who.session_id.clone(),
        created_at: now,
    };
    events::record(conn, org_id, EventType::IntentCreated, &intent, now)?;
    Ok(intent)
}

const COLUMNS: &str =
    "id, amount, campaign_identifier, campaign_name, customer_id, vendor_id, session_id, approximated, created_at";
const COLUMN_COUNT: usize = 9;

fn row(r: &rusqlite::Row) -> rusqlite::Result<(Intent, bool)> {
    let identifier: String = r.get(2)?;
    Ok((
        Intent {
            id: r.get(0)?,
            amount: r.get(1)?,
            campaign: CampaignRef {
                identifier: identifier.clone(),
                name: r.get(3)?,
            },
            campaign_identifier: identifier,
            customer_id: r.get(4)?,
            vendor_id: r.get(5)?,
            session_id: r.get(6)?,
            impact: Vec::new(),
            created_at: r.get(8)?,
        },
        r.get(7)?,
    ))
}

/// An `Impact` from a row of `key, name, emoji, icon, quantity_centi, unit_singular, unit_plural,
/// verb_past` (the snapshot columns, or their aggregates).
pub fn impact_row(r: &rusqlite::Row, approximated: bool) -> rusqlite::Result<Impact> {
    impact_at(r, 0, approximated)
}

/// [`impact_row`] from the columns starting at `at`.
fn impact_at(r: &rusqlite::Row, at: usize, approximated: bool) -> rusqlite::Result<Impact> {
    // Borrowed from the row: `from_parts` copies what it keeps.
    let text = |i| r.get_ref(at + i).and_then(|v| Ok(v.as_str()?));
    let opt_text = |i| r.get_ref(at + i).and_then(|v| Ok(v.as_str_or_null()?));
    Ok(Impact::from_parts(
        text(0)?,
        text(1)?,
        opt_text(2)?,
        opt_text(3)?,
        r.get(at + 4)?,
        text(5)?,
        text(6)?,
        text(7)?,
        approximated,
    ))
}

/// The intents `page_sql` selects (`COLUMNS`, ordered by `created_at {d}, id {d}`), each with its
/// impact snapshot, read in one statement: the page joined with the snapshot rows, instead of one
/// snapshot query per intent.
fn page_with_impact(
    conn: &Connection,
    page_sql: &str,
    d: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Intent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.*, ii.key, ii.name, ii.emoji, ii.icon, ii.quantity_centi, ii.unit_singular,
                ii.unit_plural, ii.verb_past
         FROM ({page_sql}) AS p LEFT JOIN intent_impacts ii ON ii.intent_id = p.id
         ORDER BY p.created_at {d}, p.id {d}, ii.position"
    ))?;
    let mut rows = stmt.query(args)?;
    let mut out: Vec<Intent> = Vec::new();
    let mut approximated = false;
    while let Some(r) = rows.next()? {
        let id = r.get_ref(0)?.as_str()?;
        if out.last().is_none_or(|last| last.id != id) {
            let (intent, approx) = row(r)?;
            out.push(intent);
            approximated = approx;
        }
        if r.get_ref(COLUMN_COUNT)?.as_str_or_null()?.is_some() {
            let impact = impact_at(r, COLUMN_COUNT, approximated)?;
            if let Some(last) = out.last_mut() {
                last.impact.push(impact);
            }
        }
    }
    Ok(out)
}

/// Fills in each intent's stored impact snapshot.
fn with_impact(conn: &Connection, rows: Vec<(Intent, bool)>) -> rusqlite::Result<Vec<Intent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, name, emoji, icon, quantity_centi, unit_singular, unit_plural, verb_past
         FROM intent_impacts WHERE intent_id = ?1 ORDER BY position",
    )?;
    rows.into_iter()
        .map(|(mut intent, approximated)| {
            intent.impact = stmt
                .query_map([&intent.id], |r| impact_row(r, approximated))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(intent)
        })
        .collect()
}

pub fn find(conn: &Connection, org_id: &str, id: &str) -> rusqlite::Result<Option<Intent>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM donation_intents WHERE id = ?1 AND org_id = ?2"
        ))?
        .query_row(params![id, org_id], row)
        .optional()?;
    Ok(with_impact(conn, found.into_iter().collect())?.pop())
}

/// The intents a session's confirm created, in creation order.
pub fn for_session(conn: &Connection, session_id: &str) -> rusqlite::Result<Vec<Intent>> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM donation_intents WHERE session_id = ?1 ORDER BY created_at, id"
        ))?
        .query_map([session_id], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    with_impact(conn, rows)
}

/// Hard delete (cancel); the snapshot rows go with it. Records `donation_intent.cancelled` with
/// the intent's last state. False if not found.
pub fn delete(conn: &Connection, org_id: &str, id: &str, now: i64) -> rusqlite::Result<bool> {
    let Some(intent) = find(conn, org_id, id)? else {
        return Ok(false);
    };
    conn.prepare_cached("DELETE FROM donation_intents WHERE id = ?1 AND org_id = ?2")?
        .execute(params![id, org_id])?;
    events::record(conn, org_id, EventType::IntentCancelled, &intent, now)?;
    Ok(true)
}

/// A page of the organization's intents (every organization's, for the operator, with `None`);
/// the total is the kept count (see schema.sql).
pub fn list(
    conn: &Connection,
    org_id: Option<&str>,
    page: &PageParams,
) -> rusqlite::Result<(Vec<Intent>, i64)> {
    let d = page.direction();
    let filter = if org_id.is_some() {
        "org_id = ?1"
    } else {
        "?1 IS NULL"
    };
    let items = page_with_impact(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM donation_intents WHERE {filter}
             ORDER BY created_at {d}, id {d} LIMIT ?2 OFFSET ?3"
        ),
        d,
        params![org_id, page.per_page, page.offset()],
    )?;
    let total = match org_id {
        Some(org) => crate::store::directory::counted(conn, org, "donation_intents")?,
        None => conn.query_row(
            "SELECT COALESCE(SUM(row_count), 0) FROM org_counts WHERE kind = 'donation_intents'",
            [],
            |r| r.get(0),
        )?,
    };
    Ok((items, total))
}

/// A page of one customer's or vendor's intents within a date range.
pub fn list_for_party(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    party_id: &str,
    range: &DateRange,
    page: &PageParams,
) -> rusqlite::Result<(Vec<Intent>, i64)> {
    let d = page.direction();
    let col = dir.intent_column();
    let filter = format!("{col} = ?1 AND org_id = ?2 AND created_at >= ?3 AND created_at < ?4");
    let items = page_with_impact(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM donation_intents WHERE {filter}
             ORDER BY created_at {d}, id {d} LIMIT ?5 OFFSET ?6"
        ),
        d,
        params![
            party_id,
            org_id,
            range.start_micros(),
            range.end_micros(),
            page.per_page,
            page.offset()
        ],
    )?;
    let spans = crate::store::totals::PartySpans::new(range);
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT COALESCE(SUM(donation_count), 0) FROM ({})",
            spans.union("donation_count", "party_campaign")
        ))?
        .query_row(spans.args(dir, org_id, party_id), |r| r.get(0))?;
    Ok((items, total))
}

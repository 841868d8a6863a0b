//! SQL for donation sessions.

use crate::domain::session::{SessionStatus, SessionType};
use crate::pagination::PageParams;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    pub campaign_identifier: String,
    pub amount: i64,
}

/// A session as stored. `status` is the stored one; read `status.current(expires_at, now)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub org_id: String,
    pub kind: SessionType,
    pub status: SessionStatus,
    pub amount: i64,
    pub available_campaigns: Vec<String>,
    pub selected_campaign: Option<String>,
    pub opted_out: bool,
    /// Stored allocations (`portion_of_sales` only; interactive ones are derived).
    pub allocations: Vec<Allocation>,
    pub customer_id: Option<String>,
    pub vendor_id: Option<String>,
    pub metadata: Map<String, Value>,
    pub approximated: bool,
    pub secret: Option<String>,
    pub expires_at: i64,
    pub processed_at: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SessionRow {
    /// The allocations the session stands for: the merchant's, or the customer's choice.
    pub fn effective_allocations(&self) -> Vec<Allocation> {
        if !self.kind.is_interactive() {
            return self.allocations.clone();
        }
        match (&self.selected_campaign, self.opted_out) {
            (Some(c), false) => vec![Allocation {
                campaign_identifier: c.clone(),
                amount: self.amount,
            }],
            _ => Vec::new(),
        }
    }
}

const COLUMNS: &str = "id, org_id, type, status, amount, available_campaigns, selected_campaign, opted_out,
    allocations, customer_id, vendor_id, metadata, approximated, secret, expires_at, processed_at, confirmed_at,
    created_at, updated_at";

fn bad_enum(i: usize, v: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        format!("unknown value {v}").into(),
    )
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<SessionRow> {
    let kind: String = r.get(2)?;
    let status: String = r.get(3)?;
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(SessionRow {
        id: r.get(0)?,
        org_id: r.get(1)?,
        kind: SessionType::parse(&kind).ok_or_else(|| bad_enum(2, &kind))?,
        status: SessionStatus::parse(&status).ok_or_else(|| bad_enum(3, &status))?,
        amount: r.get(4)?,
        available_campaigns: serde_json::from_str(&json(5)?).unwrap_or_default(),
        selected_campaign: r.get(6)?,
        opted_out: r.get(7)?,
        allocations: serde_json::from_str(&json(8)?).unwrap_or_default(),
        customer_id: r.get(9)?,
        vendor_id: r.get(10)?,
        metadata: serde_json::from_str(&json(11)?).unwrap_or_default(),
        approximated: r.get(12)?,
        secret: r.get(13)?,
        expires_at: r.get(14)?,
        processed_at: r.get(15)?,
        confirmed_at: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
    })
}

fn encode<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

pub fn insert(conn: &Connection, s: &SessionRow) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
         ?16, ?17, ?18, ?19)"
    ))?
    .execute(params![
        s.id,
        s.org_id,
        s.kind.as_str(),
        s.status.as_str(),
        s.amount,
        encode(&s.available_campaigns),
        s.selected_campaign,
        s.opted_out,
        encode(&s.allocations),
        s.customer_id,
        s.vendor_id,
        encode(&s.metadata),
        s.approximated,
        s.secret,
        s.expires_at,
        s.processed_at,
        s.confirmed_at,
        s.created_at,
        s.updated_at
    ])?;
    Ok(())
}

/// Writes back every field a call may change.
pub fn save(conn: &Connection, s: &SessionRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sessions SET status = ?2, amount = ?3, selected_campaign = ?4, opted_out = ?5, allocations = ?6,
             customer_id = ?7, vendor_id = ?8, metadata = ?9, approximated = ?10, expires_at = ?11,
             processed_at = ?12, confirmed_at = ?13, updated_at = ?14
         WHERE id = ?1",
    )?
    .execute(params![
        s.id,
        s.status.as_str(),
        s.amount,
        s.selected_campaign,
        s.opted_out,
        encode(&s.allocations),
        s.customer_id,
        s.vendor_id,
        encode(&s.metadata),
        s.approximated,
        s.expires_at,
        s.processed_at,
        s.confirmed_at,
        s.updated_at
    ])?;
    Ok(())
}

/// A session by id, whatever its organization (the caller checks the credential).
pub fn find(conn: &Connection, id: &str) -> rusqlite::Result<Option<SessionRow>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"))?
        .query_row([id], row)
        .optional()
}

/// A page of sessions for the operator, filtered by organization and stored status. Sessions past
/// `expires_at` that the sweeper has not reached yet count as `expired`.
pub fn list(
    conn: &Connection,
    org_id: Option<&str>,
    status: Option<SessionStatus>,
    now: i64,
    page: &PageParams,
) -> rusqlite::Result<(Vec<SessionRow>, i64)> {
    let status_sql = "(?2 IS NULL
        OR (?2 = 'expired' AND (status = 'expired' OR (status IN ('active', 'processing') AND expires_at <= ?3)))
        OR (?2 IN ('active', 'processing') AND status = ?2 AND expires_at > ?3)
        OR (?2 = 'confirmed' AND status = 'confirmed'))";
    let filter = format!("(?1 IS NULL OR org_id = ?1) AND {status_sql}");
    let d = page.direction();
    let status = status.map(|s| s.as_str());
    let items = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE {filter} ORDER BY created_at {d}, id {d} LIMIT ?4 OFFSET ?5"
        ))?
        .query_map(params![org_id, status, now, page.per_page, page.offset()], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM sessions WHERE {filter}"))?
        .query_row(params![org_id, status, now], |r| r.get(0))?;
    Ok((items, total))
}

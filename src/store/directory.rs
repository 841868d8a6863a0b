//! SQL for customers and vendors: one implementation, two tables of the same shape.

use crate::clock::ser_micros;
use crate::pagination::PageParams;
use crate::store::events;
use crate::webhooks::EventType;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};

/// Which of the two directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directory {
    Customers,
    Vendors,
}

impl Directory {
    pub fn table(self) -> &'static str {
        match self {
            Directory::Customers => "customers",
            Directory::Vendors => "vendors",
        }
    }

    /// The resource name in error codes (`customer.not-found`).
    pub fn resource(self) -> &'static str {
        match self {
            Directory::Customers => "customer",
            Directory::Vendors => "vendor",
        }
    }

    /// The webhook event types of this directory: created, updated, deleted.
    fn events(self) -> [EventType; 3] {
        match self {
            Directory::Customers => [
                EventType::CustomerCreated,
                EventType::CustomerUpdated,
                EventType::CustomerDeleted,
            ],
            Directory::Vendors => [
                EventType::VendorCreated,
                EventType::VendorUpdated,
                EventType::VendorDeleted,
            ],
        }
    }

    /// The intents column naming this party.
    pub fn intent_column(self) -> &'static str {
        match self {
            Directory::Customers => "customer_id",
            Directory::Vendors => "vendor_id",
        }
    }
}

/// A customer or vendor.
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub id: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub metadata: Map<String, Value>,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
    #[serde(serialize_with = "ser_micros")]
    pub updated_at: i64,
}

const COLUMNS: &str = "id, external_id, name, metadata, created_at, updated_at";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Party> {
    let metadata: String = r.get(3)?;
    Ok(Party {
        id: r.get(0)?,
        external_id: r.get(1)?,
        name: r.get(2)?,
        metadata: serde_json::from_str(&metadata).unwrap_or_default(),
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

fn to_json(map: &Map<String, Value>) -> String {
    Value::Object(map.clone()).to_string()
}

/// Stores a new party and records its `created` event.
pub fn insert(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    party: &Party,
) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {} (id, org_id, external_id, name, metadata, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        dir.table()
    ))?
    .execute(params![
        party.id,
        org_id,
        party.external_id,
        party.name,
        to_json(&party.metadata),
        party.created_at,
        party.updated_at
    ])?;
    events::record(conn, org_id, dir.events()[0], party, party.updated_at)?;
    Ok(())
}

pub fn find(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    id: &str,
) -> rusqlite::Result<Option<Party>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM {} WHERE id = ?1 AND org_id = ?2",
        dir.table()
    ))?
    .query_row(params![id, org_id], row)
    .optional()
}

/// Writes every field of `party` back and records its `updated` event.
pub fn update(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    party: &Party,
) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "UPDATE {} SET external_id = ?3, name = ?4, metadata = ?5, updated_at = ?6 WHERE id = ?1 AND org_id = ?2",
        dir.table()
    ))?
    .execute(params![party.id, org_id, party.external_id, party.name, to_json(&party.metadata), party.updated_at])?;
    events::record(conn, org_id, dir.events()[1], party, party.updated_at)?;
    Ok(())
}

/// Hard delete; records the `deleted` event with the party's last state. False if not found.
pub fn delete(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    id: &str,
    now: i64,
) -> rusqlite::Result<bool> {
    let Some(party) = find(conn, dir, org_id, id)? else {
        return Ok(false);
    };
    conn.prepare_cached(&format!(
        "DELETE FROM {} WHERE id = ?1 AND org_id = ?2",
        dir.table()
    ))?
    .execute(params![id, org_id])?;
    events::record(conn, org_id, dir.events()[2], &party, now)?;
    Ok(true)
}

/// A page of the organization's parties, optionally only the one with `external_id`, and the total.
pub fn list(
    conn: &Connection,
    dir: Directory,
    org_id: &str,
    external_id: Option<&str>,
    page: &PageParams,
) -> rusqlite::Result<(Vec<Party>, i64)> {
    let sort = match page.sort_by {
        "name" => "name COLLATE NOCASE",
        "updated_at" => "updated_at",
        _ => "created_at",
    };
    let dir_sql = page.direction();
    let sql = format!(
        "SELECT {COLUMNS} FROM {table} WHERE org_id = ?1 AND (?2 IS NULL OR external_id = ?2)
         ORDER BY {sort} {dir_sql}, id {dir_sql} LIMIT ?3 OFFSET ?4",
        table = dir.table()
    );
    let items = conn
        .prepare_cached(&sql)?
        .query_map(
            params![org_id, external_id, page.per_page, page.offset()],
            row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let total = match external_id {
        Some(ext) => conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM {} WHERE org_id = ?1 AND external_id = ?2",
                dir.table()
            ))?
            .query_row(params![org_id, ext], |r| r.get(0))?,
        None => counted(conn, org_id, dir.table())?,
    };
    Ok((items, total))
}

/// The row count the triggers of schema.sql keep for `(org_id, kind)`.
pub fn counted(conn: &Connection, org_id: &str, kind: &str) -> rusqlite::Result<i64> {
    Ok(conn
        .prepare_cached("SELECT row_count FROM org_counts WHERE org_id = ?1 AND kind = ?2")?
        .query_row(params![org_id, kind], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

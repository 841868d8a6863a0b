//! SQL for organizations, their API keys, and server settings (the admin token hash).

use crate::auth::{hash, new_api_key, SHOWN_PREFIX_LEN};
use crate::clock::{ser_micros, ser_opt_micros};
use crate::domain::new_id;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub is_sandbox: bool,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub org_id: String,
    pub prefix: String,
    #[serde(serialize_with = "ser_micros")]
    pub created_at: i64,
    #[serde(serialize_with = "ser_opt_micros")]
    pub last_used_at: Option<i64>,
    #[serde(serialize_with = "ser_opt_micros")]
    pub revoked_at: Option<i64>,
}

/// A key just created: the only time its secret exists outside the caller's hands.
#[derive(Debug, Clone, Serialize)]
pub struct NewKey {
    pub id: String,
    pub org_id: String,
    pub prefix: String,
    pub api_key: String,
}

pub fn insert(
    conn: &Connection,
    name: &str,
    is_sandbox: bool,
    now: i64,
) -> rusqlite::Result<Organization> {
    let id = new_id(now);
    conn.execute(
        "INSERT INTO organizations (id, name, is_sandbox, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, name, is_sandbox, now],
    )?;
    Ok(Organization {
        id,
        name: name.to_string(),
        is_sandbox,
        created_at: now,
    })
}

pub fn find(conn: &Connection, id: &str) -> rusqlite::Result<Option<Organization>> {
    conn.query_row(
        "SELECT id, name, is_sandbox, created_at FROM organizations WHERE id = ?1",
        [id],
        |r| {
            Ok(Organization {
                id: r.get(0)?,
                name: r.get(1)?,
                is_sandbox: r.get(2)?,
                created_at: r.get(3)?,
            })
        },
    )
    .optional()
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Organization>> {
    let mut stmt = conn.prepare(
        "SELECT id, name, is_sandbox, created_at FROM organizations ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Organization {
            id: r.get(0)?,
            name: r.get(1)?,
            is_sandbox: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

pub fn sandbox(conn: &Connection) -> rusqlite::Result<Option<Organization>> {
    conn.query_row(
        "SELECT id, name, is_sandbox, created_at FROM organizations WHERE is_sandbox = 1 ORDER BY created_at LIMIT 1",
        [],
        |r| Ok(Organization { id: r.get(0)?, name: r.get(1)?, is_sandbox: r.get(2)?, created_at: r.get(3)? }),
    )
    .optional()
}

/// Stores a key for the organization: `secret` as given (`--api-key`) or a new random one.
pub fn insert_key(
    conn: &Connection,
    org_id: &str,
    secret: Option<&str>,
    now: i64,
) -> rusqlite::Result<NewKey> {
    let api_key = secret.map(str::to_string).unwrap_or_else(new_api_key);
    let id = new_id(now);
    let prefix: String = api_key.chars().take(SHOWN_PREFIX_LEN).collect();
    conn.execute(
        "INSERT INTO api_keys (id, org_id, prefix, key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, org_id, prefix, hash(&api_key), now],
    )?;
    Ok(NewKey {
        id,
        org_id: org_id.to_string(),
        prefix,
        api_key,
    })
}

/// The key with this secret, if stored (revoked or not).
pub fn find_key_by_secret(
    conn: &Connection,
    secret: &str,
) -> rusqlite::Result<Option<(String, String, bool)>> {
    conn.query_row(
        "SELECT id, org_id, revoked_at IS NOT NULL FROM api_keys WHERE key_hash = ?1",
        [hash(secret)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// Revokes a key; `None` if no such key, else whether it was already revoked.
pub fn revoke_key(conn: &Connection, key_id: &str, now: i64) -> rusqlite::Result<Option<KeyInfo>> {
    conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![key_id, now],
    )?;
    find_key(conn, key_id)
}

/// Makes a revoked key valid again (the operator named it with `--api-key`).
pub fn unrevoke_key(conn: &Connection, key_id: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE api_keys SET revoked_at = NULL WHERE id = ?1",
        [key_id],
    )?;
    Ok(())
}

const KEY_COLUMNS: &str = "id, org_id, prefix, created_at, last_used_at, revoked_at";

fn key_row(r: &rusqlite::Row) -> rusqlite::Result<KeyInfo> {
    Ok(KeyInfo {
        id: r.get(0)?,
        org_id: r.get(1)?,
        prefix: r.get(2)?,
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

pub fn find_key(conn: &Connection, key_id: &str) -> rusqlite::Result<Option<KeyInfo>> {
    conn.query_row(
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"),
        [key_id],
        key_row,
    )
    .optional()
}

pub fn list_keys(conn: &Connection, org_id: Option<&str>) -> rusqlite::Result<Vec<KeyInfo>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE ?1 IS NULL OR org_id = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([org_id], key_row)?;
    rows.collect()
}

pub fn setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

pub fn set_setting(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// A small real write (a page of the WAL and an fsync), to learn whether the disk takes writes
/// again after it was found full.
pub fn record_storage_probe(conn: &Connection, now: i64) -> rusqlite::Result<()> {
    set_setting(conn, "storage_probe_at", &now.to_string())
}

//! SQL for fixture files: an organization's rows out, and back in with their ids (SPEC 12).

use crate::domain::session::{SessionStatus, SessionType};
use crate::fixtures::format::{Fixtures, Intent, Party, Session, Snapshot};
use crate::pagination::PageParams;
use crate::store::directory::{self, Directory};
use crate::store::sessions::{self, SessionRow};
use rusqlite::{params, Connection, OptionalExtension};

/// Why a load stopped (and wrote nothing: the caller rolls back).
#[derive(Debug)]
pub enum LoadError {
    /// The first record whose id (or external id) is already taken.
    Clash(String),
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for LoadError {
    fn from(e: rusqlite::Error) -> Self {
        LoadError::Sql(e)
    }
}

fn parties(conn: &Connection, dir: Directory, org_id: &str) -> rusqlite::Result<Vec<Party>> {
    conn.prepare(&format!(
        "SELECT id, external_id, name, metadata, created_at, updated_at FROM {}
         WHERE org_id = ?1 ORDER BY created_at, id",
        dir.table()
    ))?
    .query_map([org_id], |r| {
        let metadata: String = r.get(3)?;
        Ok(Party {
            id: r.get(0)?,
            external_id: r.get(1)?,
            name: r.get(2)?,
            metadata: serde_json::from_str(&metadata).unwrap_or_default(),
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
        })
    })?
    .collect()
}

fn session_out(s: SessionRow) -> Session {
    Session {
        id: s.id,
        kind: s.kind.as_str().into(),
        status: s.status.as_str().into(),
        amount: s.amount,
        available_campaigns: s.available_campaigns,
        selected_campaign: s.selected_campaign,
        opted_out: s.opted_out,
        allocations: s.allocations,
        customer_id: s.customer_id,
        vendor_id: s.vendor_id,
        metadata: s.metadata,
        approximated: s.approximated,
        session_secret: s.secret,
        expires_at: s.expires_at,
        processed_at: s.processed_at,
        confirmed_at: s.confirmed_at,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn intents(conn: &Connection, org_id: &str) -> rusqlite::Result<Vec<Intent>> {
    let mut snapshots = conn.prepare(
        "SELECT key, name, emoji, icon, unit_singular, unit_plural, verb_past, quantity_centi
         FROM intent_impacts WHERE intent_id = ?1 ORDER BY position",
    )?;
    let rows = conn
        .prepare(
            "SELECT id, amount, campaign_identifier, campaign_name, customer_id, vendor_id, session_id,
                    approximated, created_at
             FROM donation_intents WHERE org_id = ?1 ORDER BY created_at, id",
        )?
        .query_map([org_id], |r| {
            Ok(Intent {
                id: r.get(0)?,
                amount: r.get(1)?,
                campaign_identifier: r.get(2)?,
                campaign_name: r.get(3)?,
                customer_id: r.get(4)?,
                vendor_id: r.get(5)?,
                session_id: r.get(6)?,
                approximated: r.get(7)?,
                created_at: r.get(8)?,
                impact: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|mut intent| {
            intent.impact = snapshots
                .query_map([&intent.id], |r| {
                    Ok(Snapshot {
                        key: r.get(0)?,
                        name: r.get(1)?,
                        emoji: r.get(2)?,
                        icon: r.get(3)?,
                        unit_singular: r.get(4)?,
                        unit_plural: r.get(5)?,
                        verb_past: r.get(6)?,
                        quantity_centi: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(intent)
        })
        .collect()
}

/// Every record of the organization, oldest first. Run it in one read transaction.
pub fn export(conn: &Connection, org_id: &str, now: i64) -> rusqlite::Result<Fixtures> {
    let mut out = Fixtures::new(org_id, now);
    out.customers = parties(conn, Directory::Customers, org_id)?;
    out.vendors = parties(conn, Directory::Vendors, org_id)?;
    let all = PageParams {
        page: 1,
        per_page: i64::MAX,
        sort_by: "created_at",
        descending: false,
    };
    out.sessions = sessions::list(conn, Some(org_id), None, now, &all)?
        .0
        .into_iter()
        .map(session_out)
        .collect();
    out.donation_intents = intents(conn, org_id)?;
    Ok(out)
}

fn taken(conn: &Connection, table: &str, id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The first record of the file that clashes with a stored one: the same id (in any
/// organization: ids are global), or a customer's or vendor's external id already used in `org_id`.
fn first_clash(conn: &Connection, org_id: &str, f: &Fixtures) -> rusqlite::Result<Option<String>> {
    for (dir, list) in [
        (Directory::Customers, &f.customers),
        (Directory::Vendors, &f.vendors),
    ] {
        for p in list {
            if taken(conn, dir.table(), &p.id)? {
                return Ok(Some(format!("{} {} already exists", dir.resource(), p.id)));
            }
            if let Some(ext) = &p.external_id {
                let holder: Option<String> = conn
                    .prepare_cached(&format!(
                        "SELECT id FROM {} WHERE org_id = ?1 AND external_id = ?2",
                        dir.table()
                    ))?
                    .query_row(params![org_id, ext], |r| r.get(0))
                    .optional()?;
                if let Some(holder) = holder {
                    return Ok(Some(format!(
                        "{} {}: external_id {ext:?} is already taken by {} {holder}",
                        dir.resource(),
                        p.id,
                        dir.resource()
                    )));
                }
            }
        }
    }
    for s in &f.sessions {
        if taken(conn, "sessions", &s.id)? {
            return Ok(Some(format!("session {} already exists", s.id)));
        }
    }
    for i in &f.donation_intents {
        if taken(conn, "donation_intents", &i.id)? {
            return Ok(Some(format!("donation intent {} already exists", i.id)));
        }
    }
    Ok(None)
}

fn session_row(org_id: &str, s: &Session) -> Result<SessionRow, LoadError> {
    let bad = |what: &str| LoadError::Clash(format!("session {}: unknown {what}", s.id));
    Ok(SessionRow {
        id: s.id.clone(),
        org_id: org_id.into(),
        kind: SessionType::parse(&s.kind).ok_or_else(|| bad("type"))?,
        status: SessionStatus::parse(&s.status).ok_or_else(|| bad("status"))?,
        amount: s.amount,
        available_campaigns: s.available_campaigns.clone(),
        selected_campaign: s.selected_campaign.clone(),
        opted_out: s.opted_out,
        allocations: s.allocations.clone(),
        customer_id: s.customer_id.clone(),
        vendor_id: s.vendor_id.clone(),
        metadata: s.metadata.clone(),
        approximated: s.approximated,
        secret: s.session_secret.clone(),
        expires_at: s.expires_at,
        processed_at: s.processed_at,
        confirmed_at: s.confirmed_at,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

/// Stores an intent with the snapshot it was exported with (not one computed from today's
/// catalog). The kept totals follow from the triggers, as for an intent the API creates.
fn insert_intent(conn: &Connection, org_id: &str, i: &Intent) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO donation_intents (id, org_id, amount, campaign_identifier, campaign_name, customer_id,
                                       vendor_id, session_id, approximated, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        i.id,
        org_id,
        i.amount,
        i.campaign_identifier,
        i.campaign_name,
        i.customer_id,
        i.vendor_id,
        i.session_id,
        i.approximated,
        i.created_at
    ])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO intent_impacts (intent_id, position, key, name, emoji, icon, unit_singular, unit_plural,
                                     verb_past, quantity_centi)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (position, m) in i.impact.iter().enumerate() {
        stmt.execute(params![
            i.id,
            position as i64,
            m.key,
            m.name,
            m.emoji,
            m.icon,
            m.unit_singular,
            m.unit_plural,
            m.verb_past,
            m.quantity_centi
        ])?;
    }
    Ok(())
}

/// Loads every record into `org_id`, ids kept. Checks every id first and stops at the first
/// clash; run it in one transaction, so that any failure leaves nothing behind.
pub fn load(conn: &Connection, org_id: &str, f: &Fixtures) -> Result<(), LoadError> {
    if let Some(clash) = first_clash(conn, org_id, f)? {
        return Err(LoadError::Clash(clash));
    }
    for (dir, list) in [
        (Directory::Customers, &f.customers),
        (Directory::Vendors, &f.vendors),
    ] {
        for p in list {
            let party = directory::Party {
                id: p.id.clone(),
                external_id: p.external_id.clone(),
                name: p.name.clone(),
                metadata: p.metadata.clone(),
                created_at: p.created_at,
                updated_at: p.updated_at,
            };
            directory::insert(conn, dir, org_id, &party)
                .map_err(|e| LoadError::Clash(format!("{} {}: {e}", dir.resource(), p.id)))?;
        }
    }
    for s in &f.sessions {
        sessions::insert(conn, &session_row(org_id, s)?)?;
    }
    for i in &f.donation_intents {
        insert_intent(conn, org_id, i)?;
    }
    Ok(())
}

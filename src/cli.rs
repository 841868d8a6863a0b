//! Management commands run against the database file (the server may be running on it).

use crate::clock::Clock;
use crate::config::{CampaignsCommand, Command, KeysCommand, OrgsCommand};
use crate::domain::catalog::parse_campaign;
use crate::error::FieldErrors;
use crate::store::{campaigns, orgs};
use rusqlite::{Connection, TransactionBehavior};
use serde_json::{json, Value};
use std::path::Path;

fn open(db: &Path) -> Result<Connection, String> {
    crate::db::open(db).map_err(|e| format!("cannot open database {}: {e}", db.display()))
}

fn print(json_mode: bool, value: Value, text: String) {
    if json_mode {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// Runs one management command; the error is a message for the operator.
pub fn run(db: &Path, json_mode: bool, command: Command) -> Result<(), String> {
    let now = Clock::new().now_micros();
    let sql = |e: rusqlite::Error| format!("database error: {e}");
    match command {
        Command::Serve => Err("serve is not a management command".into()),
        Command::Orgs(OrgsCommand::Create { name }) => {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 255 {
                return Err("NAME must be 1 to 255 characters".into());
            }
            let mut conn = open(db)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            let org = orgs::insert(&tx, &name, false, now).map_err(sql)?;
            let key = orgs::insert_key(&tx, &org.id, None, now).map_err(sql)?;
            tx.commit().map_err(sql)?;
            print(
                json_mode,
                json!({"id": org.id, "name": org.name, "api_key": key.api_key}),
                format!(
                    "Created organization {} ({})\nAPI key (shown once): {}",
                    org.name, org.id, key.api_key
                ),
            );
            Ok(())
        }
        Command::Orgs(OrgsCommand::List) => {
            let conn = open(db)?;
            let list = orgs::list(&conn).map_err(sql)?;
            let text = list
                .iter()
                .map(|o| format!("{}  {}", o.id, o.name))
                .collect::<Vec<_>>()
                .join("\n");
            print(
                json_mode,
                serde_json::to_value(&list).map_err(|e| e.to_string())?,
                text,
            );
            Ok(())
        }
        Command::Keys(KeysCommand::Create { org }) => {
            let conn = open(db)?;
            let org_id =
                crate::domain::parse_id(&org).ok_or("--org must be an organization id (a ULID)")?;
            if orgs::find(&conn, &org_id).map_err(sql)?.is_none() {
                return Err(format!("no organization {org_id}"));
            }
            let key = orgs::insert_key(&conn, &org_id, None, now).map_err(sql)?;
            print(
                json_mode,
                json!({"id": key.id, "org_id": key.org_id, "prefix": key.prefix, "api_key": key.api_key}),
                format!(
                    "Created key {} for {}\nAPI key (shown once): {}",
                    key.id, key.org_id, key.api_key
                ),
            );
            Ok(())
        }
        Command::Keys(KeysCommand::Revoke { key_id }) => {
            let conn = open(db)?;
            let id = crate::domain::parse_id(&key_id).ok_or("KEY_ID must be a key id (a ULID)")?;
            match orgs::revoke_key(&conn, &id, now).map_err(sql)? {
                Some(_) => {
                    print(
                        json_mode,
                        json!({"id": id, "revoked": true}),
                        format!("Revoked key {id}"),
                    );
                    Ok(())
                }
                None => Err(format!("no key {id}")),
            }
        }
        Command::Campaigns(CampaignsCommand::Export) => {
            let conn = open(db)?;
            let list = campaigns::list(&conn, false).map_err(sql)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::Campaigns(CampaignsCommand::Import { file }) => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| format!("cannot read stdin: {e}"))?
            } else {
                std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            };
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
            let items = value
                .as_array()
                .ok_or("the file must hold a JSON array of campaigns")?;
            let mut inputs = Vec::new();
            let mut errors = FieldErrors::new();
            for (i, item) in items.iter().enumerate() {
                match item
                    .as_object()
                    .map(|m| parse_campaign(m, &format!("{i}.")))
                {
                    Some(Ok(c)) => inputs.push(c),
                    Some(Err(e)) => errors.extend_prefixed("", e),
                    None => errors.add(i.to_string(), "must be an object"),
                }
            }
            if !errors.is_empty() {
                let lines: Vec<String> = errors
                    .0
                    .iter()
                    .map(|(f, m)| format!("  {f}: {}", m.join("; ")))
                    .collect();
                return Err(format!(
                    "nothing imported; invalid campaigns:\n{}",
                    lines.join("\n")
                ));
            }
            let mut conn = open(db)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql)?;
            let (mut created, mut updated) = (0, 0);
            for input in &inputs {
                if campaigns::upsert(&tx, input, now).map_err(sql)?.1 {
                    created += 1;
                } else {
                    updated += 1;
                }
            }
            tx.commit().map_err(sql)?;
            print(
                json_mode,
                json!({"created": created, "updated": updated}),
                format!(
                    "Imported {} campaigns ({created} created, {updated} updated)",
                    inputs.len()
                ),
            );
            Ok(())
        }
        Command::Backup { dest } => backup(db, &dest, json_mode),
        Command::Restore(args) => crate::replication::restore(db, &args, json_mode),
        Command::Orgs(OrgsCommand::Reset { id }) => crate::fixtures::reset_org(db, json_mode, &id),
        Command::Fixtures(command) => crate::fixtures::run(db, json_mode, command),
    }
}

/// A consistent online copy: `VACUUM INTO` reads one snapshot, so it holds every write committed
/// before it began and none half-done, while the server keeps writing. It only reads the live
/// file, so Litestream replicating it is undisturbed.
pub fn backup(db: &Path, dest: &Path, json_mode: bool) -> Result<(), String> {
    if dest.exists() {
        return Err(format!("{} exists; choose a new file", dest.display()));
    }
    let conn = open(db)?;
    let target = dest.to_str().ok_or("DEST must be valid UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(|e| format!("backup failed: {e}"))?;
    drop(conn);
    let check: String = Connection::open(dest)
        .and_then(|c| {
            // Litestream's bookkeeping belongs to the replicated file, not to a copy of the data
            // (the server creates the empty tables again when it serves the copy).
            c.execute_batch(crate::replication::DROP_LITESTREAM_TABLES)?;
            c.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        })
        .map_err(|e| format!("cannot verify the backup: {e}"))?;
    if check != "ok" {
        return Err(format!("backup failed its integrity check: {check}"));
    }
    print(
        json_mode,
        json!({"backup": target, "integrity_check": check}),
        format!("Backed up to {target} (integrity_check: {check})"),
    );
    Ok(())
}

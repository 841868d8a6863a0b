//! First start: the default catalog, the Sandbox organization and its key, the admin token.

use crate::auth::{hash, random_token};
use crate::domain::catalog::default_catalog;
use crate::store::{campaigns, orgs};
use rusqlite::{Connection, TransactionBehavior};

const INITIALIZED: &str = "initialized_at";
const ADMIN_TOKEN_HASH: &str = "admin_token_hash";

#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{0}")]
    Conflict(String),
}

/// What a start did and must tell the operator once.
#[derive(Debug, Clone)]
pub struct Started {
    /// True on the first start of this database.
    pub first_start: bool,
    pub sandbox_org_id: String,
    /// A Sandbox API key to print: generated on first start, or added from `--api-key`.
    pub new_api_key: Option<String>,
    /// A generated admin token to print (first start without `--admin-token`).
    pub new_admin_token: Option<String>,
    pub admin_token_hash: Vec<u8>,
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Brings a database to a usable state, in one transaction. On an empty database: the default
/// catalog, a "Sandbox" organization with one key, an admin token. On any start: `api_key` is added
/// to the Sandbox organization if missing, and `admin_token` replaces the stored one.
pub fn bootstrap(
    conn: &mut Connection,
    api_key: Option<&str>,
    admin_token: Option<&str>,
    now: i64,
) -> Result<Started, BootstrapError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let first_start = orgs::setting(&tx, INITIALIZED)?.is_none();
    let mut new_api_key = None;
    let mut new_admin_token = None;
    if first_start {
        if campaigns::count(&tx)? == 0 {
            for campaign in default_catalog() {
                campaigns::upsert(&tx, &campaign, now)?;
            }
        }
        orgs::insert(&tx, "Sandbox", true, now)?;
        orgs::set_setting(&tx, INITIALIZED, &now.to_string())?;
    }
    let sandbox = match orgs::sandbox(&tx)? {
        Some(org) => org,
        None => orgs::insert(&tx, "Sandbox", true, now)?,
    };
    match api_key.map(|key| (key, orgs::find_key_by_secret(&tx, key))) {
        Some((key, Ok(None))) => {
            new_api_key = Some(orgs::insert_key(&tx, &sandbox.id, Some(key), now)?.api_key);
        }
        Some((_, Ok(Some((_, org_id, _))))) if org_id != sandbox.id => {
            return Err(BootstrapError::Conflict(
                "the --api-key given belongs to another organization, not the Sandbox".into(),
            ));
        }
        // The operator asks for this very key: a revoked one is valid again.
        Some((_, Ok(Some((key_id, _, true))))) => orgs::unrevoke_key(&tx, &key_id)?,
        Some((_, Ok(Some(_)))) => {}
        Some((_, Err(e))) => return Err(e.into()),
        None if first_start => {
            new_api_key = Some(orgs::insert_key(&tx, &sandbox.id, None, now)?.api_key)
        }
        None => {}
    }
    let admin_token_hash = match (admin_token, orgs::setting(&tx, ADMIN_TOKEN_HASH)?) {
        (Some(token), _) => {
            let h = hash(token);
            orgs::set_setting(&tx, ADMIN_TOKEN_HASH, &to_hex(&h))?;
            h
        }
        (None, Some(stored)) => from_hex(&stored),
        (None, None) => {
            let token = format!("ia_admin_{}", random_token(40));
            let h = hash(&token);
            orgs::set_setting(&tx, ADMIN_TOKEN_HASH, &to_hex(&h))?;
            new_admin_token = Some(token);
            h
        }
    };
    tx.commit()?;
    Ok(Started {
        first_start,
        sandbox_org_id: sandbox.id,
        new_api_key,
        new_admin_token,
        admin_token_hash,
    })
}

/// The start of a read replica (`serve --read-only`): what a primary stored, read without writing.
/// `admin_token` replaces the stored token for this process only. Refused on a database no
/// primary has initialized.
pub fn read_only(conn: &Connection, admin_token: Option<&str>) -> Result<Started, BootstrapError> {
    let not_ready = || {
        BootstrapError::Conflict(
            "the database has not been initialized by a primary yet (start `impactapi serve` on \
             the primary once)"
                .into(),
        )
    };
    orgs::setting(conn, INITIALIZED)?.ok_or_else(not_ready)?;
    let sandbox = orgs::sandbox(conn)?.ok_or_else(not_ready)?;
    let admin_token_hash = match admin_token {
        Some(token) => hash(token),
        None => from_hex(&orgs::setting(conn, ADMIN_TOKEN_HASH)?.ok_or_else(not_ready)?),
    };
    Ok(Started {
        first_start: false,
        sandbox_org_id: sandbox.id,
        new_api_key: None,
        new_admin_token: None,
        admin_token_hash,
    })
}

/// The start banner: what the operator needs to use the server, shown once.
pub fn banner(started: &Started, bind: &str) -> Option<String> {
    if started.new_api_key.is_none() && started.new_admin_token.is_none() {
        return None;
    }
    let mut lines = vec![String::new(), "=".repeat(72)];
    if started.first_start {
        lines.push("  impactapi: new database, Sandbox organization created".into());
    }
    if let Some(key) = &started.new_api_key {
        lines.push(format!("  Sandbox API key:  {key}"));
    }
    if let Some(token) = &started.new_admin_token {
        lines.push(format!("  Admin token:      {token}"));
    }
    lines.push("  Shown once: only their hashes are stored.".into());
    lines.push(format!(
        "  Try:  curl -H \"Authorization: Bearer $KEY\" http://{bind}/campaigns"
    ));
    lines.push(format!(
        "  Admin console: http://{bind}/admin   Demo checkout: http://{bind}/demo"
    ));
    lines.push("=".repeat(72));
    lines.push(String::new());
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_then_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = crate::db::open(&dir.path().join("t.db")).expect("open");
        let first = bootstrap(&mut conn, None, None, 1_000).expect("bootstrap");
        assert!(first.first_start);
        assert!(first.new_api_key.is_some() && first.new_admin_token.is_some());
        assert_eq!(campaigns::count(&conn).expect("count"), 5);

        let again = bootstrap(&mut conn, Some("ia_sk_fixed"), None, 2_000).expect("bootstrap");
        assert!(!again.first_start);
        assert_eq!(again.new_api_key.as_deref(), Some("ia_sk_fixed"));
        assert!(again.new_admin_token.is_none());
        assert_eq!(again.admin_token_hash, first.admin_token_hash);
        assert_eq!(again.sandbox_org_id, first.sandbox_org_id);

        let third =
            bootstrap(&mut conn, Some("ia_sk_fixed"), Some("tok"), 3_000).expect("bootstrap");
        assert!(third.new_api_key.is_none());
        assert_eq!(third.admin_token_hash, hash("tok"));
    }

    #[test]
    fn api_key_flag_revives_a_revoked_sandbox_key_and_refuses_another_orgs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = crate::db::open(&dir.path().join("k.db")).expect("open");
        bootstrap(&mut conn, Some("ia_sk_fixed"), None, 1_000).expect("bootstrap");
        let (key_id, _, _) = orgs::find_key_by_secret(&conn, "ia_sk_fixed")
            .expect("query")
            .expect("key");
        orgs::revoke_key(&conn, &key_id, 2_000).expect("revoke");
        bootstrap(&mut conn, Some("ia_sk_fixed"), None, 3_000).expect("bootstrap");
        let (_, _, revoked) = orgs::find_key_by_secret(&conn, "ia_sk_fixed")
            .expect("query")
            .expect("key");
        assert!(!revoked, "naming the key again makes it valid");

        let other = orgs::insert(&conn, "Other", false, 4_000).expect("org");
        orgs::insert_key(&conn, &other.id, Some("ia_sk_theirs"), 4_000).expect("key");
        let refused = bootstrap(&mut conn, Some("ia_sk_theirs"), None, 5_000);
        assert!(matches!(refused, Err(BootstrapError::Conflict(_))));
    }
}

//! Seeds a database for `make bench`: the first start (catalog, Sandbox organization with the given
//! API key and admin token), one customer, and COUNT donation intents in the Sandbox organization,
//! every one with its impact snapshot, CUSTOMER_COUNT of them attributed to the customer. Rows go
//! through the real schema (schema.sql via `impactapi::db::open`), so the triggers keep
//! `org_counts` right. Prints the customer id.
//!
//! `cargo run --release --example seed_intents -- DB API_KEY ADMIN_TOKEN COUNT CUSTOMER_COUNT`

use impactapi::domain::impact::quantity_centi;
use impactapi::store::campaigns;
use impactapi::store::directory::{self, Directory, Party};
use rusqlite::{params, TransactionBehavior};
use std::path::PathBuf;
use std::time::Instant;

/// The intents are spread evenly over the year before now.
const SPAN_MICROS: i64 = 365 * 24 * 3600 * 1_000_000;

/// A ULID for an instant in the past (the API's generator only moves forward).
fn id_at(micros: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_micros(micros.max(0) as u64);
    ulid::Ulid::from_datetime(at).to_string()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, api_key, admin_token, count, customer_count] = args.as_slice() else {
        return Err("usage: seed_intents DB API_KEY ADMIN_TOKEN COUNT CUSTOMER_COUNT".into());
    };
    let count: i64 = count.parse()?;
    let customer_count: i64 = customer_count.parse()?;
    let started = Instant::now();
    let now = chrono::Utc::now().timestamp_micros();
    let mut conn = impactapi::db::open(&PathBuf::from(db))?;
    let org_id = impactapi::bootstrap::bootstrap(&mut conn, Some(api_key), Some(admin_token), now)?
        .sandbox_org_id;
    // A bulk load that is redone from scratch if it fails needs no fsync per page.
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")?;
    let catalog = campaigns::list(&conn, true)?;
    let customer = Party {
        id: id_at(now - SPAN_MICROS - 1),
        external_id: Some("bench-customer".into()),
        name: Some("Bench Customer".into()),
        metadata: Default::default(),
        created_at: now - SPAN_MICROS - 1,
        updated_at: now - SPAN_MICROS - 1,
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    directory::insert(&tx, Directory::Customers, &org_id, &customer)?;
    {
        let mut intent = tx.prepare(
            "INSERT INTO donation_intents (id, org_id, amount, campaign_identifier, campaign_name, customer_id,
                                           vendor_id, session_id, approximated, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, 0, ?7)",
        )?;
        let mut impact = tx.prepare(
            "INSERT INTO intent_impacts (intent_id, position, key, name, emoji, icon, unit_singular,
                                         unit_plural, verb_past, quantity_centi)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let every = if customer_count > 0 {
            (count / customer_count).max(1)
        } else {
            i64::MAX
        };
        for i in 0..count {
            let created_at = now - SPAN_MICROS + i * (SPAN_MICROS / count.max(1));
            let id = id_at(created_at);
            // The customer's share cycles through the campaigns too.
            let campaign = &catalog[(i + i / every.min(count.max(1))) as usize % catalog.len()];
            let amount = 100 + (i * 7919) % 10_000;
            let customer_id =
                (i % every == 0 && i / every < customer_count).then_some(customer.id.as_str());
            intent.execute(params![
                id,
                org_id,
                amount,
                campaign.identifier,
                campaign.name,
                customer_id,
                created_at
            ])?;
            for (position, m) in campaign.impact_metrics.iter().enumerate() {
                impact.execute(params![
                    id,
                    position as i64,
                    m.key,
                    m.name,
                    m.emoji,
                    m.icon,
                    m.unit_singular,
                    m.unit_plural,
                    m.verb_past,
                    quantity_centi(amount, m.impact_per_dollar)
                ])?;
            }
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    let kept: i64 = conn.query_row(
        "SELECT row_count FROM org_counts WHERE org_id = ?1 AND kind = 'donation_intents'",
        [&org_id],
        |r| r.get(0),
    )?;
    if kept != count {
        return Err(format!("org_counts says {kept} intents, {count} were inserted").into());
    }
    eprintln!(
        "seeded {count} intents ({customer_count} for customer {}) in {:.1}s",
        customer.id,
        started.elapsed().as_secs_f64()
    );
    println!("{}", customer.id);
    Ok(())
}

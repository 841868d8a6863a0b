//! Resetting an organization (SPEC 12): every row of its data goes, in one write job; the
//! organization, its API keys (and webhook endpoints) stay.

use rusqlite::{params, Connection};
use serde::Serialize;

/// How many of each thing a reset deleted (the response of `POST .../reset`).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Deleted {
    pub customers: usize,
    pub vendors: usize,
    pub donation_intents: usize,
    pub sessions: usize,
    pub events: usize,
    /// Entries of the in-memory request log; filled in by the caller that holds the log.
    pub requests: usize,
}

/// One step of a reset: delete some of the organization's rows, and which count they add to.
struct Step {
    run: fn(&Connection, &str) -> rusqlite::Result<usize>,
    counts_as: Option<fn(&mut Deleted) -> &mut usize>,
}

/// `DELETE FROM {table} WHERE org_id = ?1`, as a step function.
macro_rules! rows_of {
    ($table:literal) => {
        |conn: &Connection, org_id: &str| -> rusqlite::Result<usize> {
            conn.prepare_cached(concat!("DELETE FROM ", $table, " WHERE org_id = ?1"))?
                .execute(params![org_id])
        }
    };
}

/// The steps in order. The kept totals (schema.sql, migrations/0002) go first, from the top of
/// their roll-up down, so that the intents' delete triggers find nothing left to adjust (one
/// statement per table instead of a trigger cascade per intent); the intents' snapshot rows go
/// with them (ON DELETE CASCADE). Sessions keep no delete trigger for their count, so the
/// organization's counters are dropped last (a missing counter reads as 0). Another kind of data
/// that belongs to an organization is one more entry here.
const STEPS: &[Step] = &[
    Step {
        run: rows_of!("party_campaign_totals"),
        counts_as: None,
    },
    Step {
        run: rows_of!("party_impact_totals"),
        counts_as: None,
    },
    Step {
        run: rows_of!("party_campaign_months"),
        counts_as: None,
    },
    Step {
        run: rows_of!("party_impact_months"),
        counts_as: None,
    },
    Step {
        run: rows_of!("party_campaign_days"),
        counts_as: None,
    },
    Step {
        run: rows_of!("party_impact_days"),
        counts_as: None,
    },
    Step {
        run: rows_of!("donation_intents"),
        counts_as: Some(|d| &mut d.donation_intents),
    },
    Step {
        run: rows_of!("sessions"),
        counts_as: Some(|d| &mut d.sessions),
    },
    Step {
        run: rows_of!("customers"),
        counts_as: Some(|d| &mut d.customers),
    },
    Step {
        run: rows_of!("vendors"),
        counts_as: Some(|d| &mut d.vendors),
    },
    // Webhook events and their deliveries (the endpoints stay).
    Step {
        run: crate::store::events::delete_org_events,
        counts_as: Some(|d| &mut d.events),
    },
    // A replayed Idempotency-Key must not answer with objects that no longer exist.
    Step {
        run: rows_of!("idempotency_keys"),
        counts_as: None,
    },
    Step {
        run: rows_of!("org_counts"),
        counts_as: None,
    },
];

/// Deletes the organization's data; `None` when there is no such organization. Run it inside one
/// transaction (a `Db::write` job, or the CLI's own): an error part-way rolls everything back.
pub fn reset(conn: &Connection, org_id: &str) -> rusqlite::Result<Option<Deleted>> {
    if crate::store::orgs::find(conn, org_id)?.is_none() {
        return Ok(None);
    }
    let mut deleted = Deleted::default();
    for step in STEPS {
        let n = (step.run)(conn, org_id)?;
        if let Some(counter) = step.counts_as {
            *counter(&mut deleted) += n;
        }
    }
    Ok(Some(deleted))
}

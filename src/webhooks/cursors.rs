//! Where the delivery worker reads each endpoint's fresh deliveries from.
//!
//! A fresh delivery (pending, never attempted) is not in the due index: it is found along its
//! endpoint's key, above the last id the worker has passed. An endpoint's delivery ids increase in
//! commit order (`store::events::queue`), so every delivery committed after a read is above what
//! that read saw. The worker passes an id once the delivery is attempted or taken; one taken whose
//! attempt cannot be recorded is read again (`rewind`). Kept in memory: after a restart the worker
//! starts each endpoint again below its first fresh delivery (`attempts::fresh_start`).
//!
//! Shared with the metrics: deliveries waiting for an attempt are the scheduled ones and the fresh
//! ones above an endpoint's cursor.

use super::in_flight::{InFlight, Room};
use crate::error::{ApiError, ApiResult};
use crate::store::attempts::{self, Due};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Deliveries read at a time along an endpoint's ids for fresh ones, and at most this many reads
/// per endpoint per look (past deliveries attempted since are passed over).
const FRESH_CHUNK: i64 = 256;
const FRESH_CHUNKS: usize = 8;

/// Per endpoint, the last delivery id passed (`""`: none yet). Cheap to clone.
#[derive(Clone, Default)]
pub struct FreshCursors(Arc<Mutex<HashMap<String, String>>>);

impl FreshCursors {
    fn map(&self) -> MutexGuard<'_, HashMap<String, String>> {
        // A panic while holding the lock leaves only a cursor, which is still valid.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The endpoint's cursor, if the worker has taken it up.
    pub fn get(&self, endpoint_id: &str) -> Option<String> {
        self.map().get(endpoint_id).cloned()
    }

    /// Takes an endpoint up at `start`, unless it has a cursor already. Returns the cursor.
    pub fn start(&self, endpoint_id: &str, start: String) -> String {
        self.map()
            .entry(endpoint_id.to_string())
            .or_insert(start)
            .clone()
    }

    /// Moves the endpoint's cursor from `from` (what the look read) to `to`, unless it changed
    /// meanwhile (rewound, or dropped): then it stays, and the next look reads from there.
    pub fn advance(&self, endpoint_id: &str, from: &str, to: String) {
        if let Some(cursor) = self.map().get_mut(endpoint_id) {
            if cursor == from {
                *cursor = to;
            }
        }
    }

    /// Makes the fresh delivery `delivery_id` be read again: its attempt was not recorded.
    pub fn rewind(&self, endpoint_id: &str, delivery_id: &str) {
        if let Some(cursor) = self.map().get_mut(endpoint_id) {
            if cursor.as_str() >= delivery_id {
                *cursor = crate::domain::id_before(delivery_id);
            }
        }
    }

    /// Drops the cursors of endpoints not in `enabled` (disabled or deleted): one enabled again
    /// is taken up afresh.
    pub fn keep_only(&self, enabled: &[String]) {
        self.map().retain(|endpoint, _| enabled.contains(endpoint));
    }

    /// Every endpoint's cursor.
    pub fn snapshot(&self) -> Vec<(String, String)> {
        self.map()
            .iter()
            .map(|(e, c)| (e.clone(), c.clone()))
            .collect()
    }
}

/// Takes the endpoint's fresh deliveries into `room`, reading along its ids from its cursor
/// (taking the endpoint up first if need be), and moves the cursor past what it took.
pub(super) fn take_fresh(
    conn: &rusqlite::Connection,
    cursors: &FreshCursors,
    in_flight: &Mutex<InFlight>,
    endpoint: &str,
    now: i64,
    room: &mut Room<'_>,
) -> ApiResult<()> {
    let from = match cursors.get(endpoint) {
        Some(cursor) => cursor,
        None => cursors.start(endpoint, attempts::fresh_start(conn, endpoint)?),
    };
    // `passed`: every delivery up to it is attempted or taken here. One taken elsewhere (a manual
    // retry in flight) holds it until recorded.
    let (mut passed, mut read, mut held) = (from.clone(), from.clone(), false);
    'scan: for _ in 0..FRESH_CHUNKS {
        let rows = attempts::fresh(conn, endpoint, &read, FRESH_CHUNK)?;
        let full = rows.len() as i64 == FRESH_CHUNK;
        for (id, is_fresh) in rows {
            read.clone_from(&id);
            if is_fresh {
                let taken_elsewhere = in_flight
                    .lock()
                    .map_err(|_| ApiError::Internal("in-flight set poisoned".into()))?
                    .deliveries
                    .contains(&id);
                if taken_elsewhere {
                    held = true;
                    continue;
                }
                let d = Due {
                    delivery_id: id.clone(),
                    endpoint_id: endpoint.to_string(),
                    manual: false,
                    fresh: true,
                };
                if !room.take(conn, in_flight, d, now)? {
                    break 'scan; // no room: the next look goes on from here
                }
            }
            if !held {
                passed.clone_from(&id);
            }
            if room.is_full() {
                break 'scan;
            }
        }
        if !full {
            break;
        }
    }
    cursors.advance(endpoint, &from, passed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "01J00000000000000000000001";
    const B: &str = "01J00000000000000000000002";
    const C: &str = "01J00000000000000000000003";

    #[test]
    fn a_look_advances_only_from_what_it_read() {
        let cursors = FreshCursors::default();
        assert_eq!(cursors.start("e", A.into()), A);
        assert_eq!(cursors.start("e", "".into()), A, "taken up once");
        cursors.advance("e", A, C.into());
        assert_eq!(cursors.get("e").as_deref(), Some(C));
        // A record failed for B while a look that read from C was running: B is read again.
        cursors.rewind("e", B);
        assert_eq!(cursors.get("e").as_deref(), Some(A));
        cursors.advance("e", C, "01J00000000000000000000009".into());
        assert_eq!(cursors.get("e").as_deref(), Some(A), "the rewind stands");
        cursors.rewind("e", C);
        assert_eq!(cursors.get("e").as_deref(), Some(A), "already below");
    }

    #[test]
    fn endpoints_no_longer_enabled_are_dropped() {
        let cursors = FreshCursors::default();
        cursors.start("e", A.into());
        cursors.start("f", B.into());
        cursors.keep_only(&["f".to_string()]);
        assert_eq!(cursors.get("e"), None);
        cursors.advance("e", A, C.into());
        assert_eq!(cursors.get("e"), None, "not taken up again by an advance");
        assert_eq!(cursors.snapshot(), vec![("f".to_string(), B.to_string())]);
    }
}

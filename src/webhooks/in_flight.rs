//! What the delivery worker holds between looks: deliveries taken, requests in flight per endpoint
//! (at most `PER_ENDPOINT`), and deliveries read ahead.

use super::PER_ENDPOINT;
use crate::error::{ApiError, ApiResult};
use crate::store::attempts::{self, Due, Request};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

/// Requests in flight over all endpoints.
const MAX_IN_FLIGHT: usize = 256;

/// Deliveries taken (sent or being recorded), requests in flight per endpoint, and deliveries
/// taken per endpoint.
#[derive(Default)]
pub(super) struct InFlight {
    pub(super) deliveries: HashSet<String>,
    pub(super) per_endpoint: HashMap<String, usize>,
    pub(super) taken_per_endpoint: HashMap<String, usize>,
    /// Recorded since the last look: still held, because a look whose read began before the
    /// record committed would see them due again.
    pub(super) settled: Vec<Due>,
    /// Deliveries read ahead, per endpoint, each with its request (taken, not yet sent).
    pub(super) queued: HashMap<String, VecDeque<(Due, Option<Request>)>>,
}

impl InFlight {
    pub(super) fn free_slots(&self, endpoint_id: &str) -> usize {
        let global = MAX_IN_FLIGHT.saturating_sub(self.requests());
        PER_ENDPOINT
            .saturating_sub(self.per_endpoint.get(endpoint_id).copied().unwrap_or(0))
            .min(global)
    }

    /// Requests in flight over all endpoints (deliveries read ahead or being recorded are not).
    pub(super) fn requests(&self) -> usize {
        self.per_endpoint.values().sum()
    }

    pub(super) fn queued_len(&self, endpoint_id: &str) -> usize {
        self.queued.get(endpoint_id).map_or(0, VecDeque::len)
    }

    /// Takes `due` to be sent later from the endpoint's queue (no request slot yet).
    pub(super) fn take_ahead(&mut self, due: &Due) -> bool {
        if !self.deliveries.insert(due.delivery_id.clone()) {
            return false;
        }
        *self
            .taken_per_endpoint
            .entry(due.endpoint_id.clone())
            .or_default() += 1;
        true
    }

    /// The next queued delivery of the endpoint, its request slot taken.
    pub(super) fn next_queued(&mut self, endpoint_id: &str) -> Option<(Due, Option<Request>)> {
        let next = self.queued.get_mut(endpoint_id)?.pop_front()?;
        *self
            .per_endpoint
            .entry(endpoint_id.to_string())
            .or_default() += 1;
        Some(next)
    }

    /// Deliveries of the endpoint taken (in flight, read ahead or awaiting their record).
    pub(super) fn unrecorded(&self, endpoint_id: &str) -> usize {
        self.taken_per_endpoint
            .get(endpoint_id)
            .copied()
            .unwrap_or(0)
    }

    /// How many due rows of the endpoint to read so that its free slots can be filled: its
    /// taken deliveries are still due until recorded.
    pub(super) fn look_ahead(&self, endpoint_id: &str) -> i64 {
        (PER_ENDPOINT + self.unrecorded(endpoint_id)) as i64
    }

    /// Takes `due` if neither it nor its endpoint's quota nor the global one is in use.
    pub(super) fn take(&mut self, due: &Due) -> bool {
        if self.requests() >= MAX_IN_FLIGHT || self.deliveries.contains(&due.delivery_id) {
            return false;
        }
        let count = self
            .per_endpoint
            .entry(due.endpoint_id.clone())
            .or_default();
        if *count >= PER_ENDPOINT {
            return false;
        }
        *count += 1;
        self.deliveries.insert(due.delivery_id.clone());
        *self
            .taken_per_endpoint
            .entry(due.endpoint_id.clone())
            .or_default() += 1;
        true
    }

    /// The request of `due` has ended: its endpoint may take another one. The delivery stays
    /// taken until its attempt is recorded, so that it is not sent again meanwhile.
    pub(super) fn request_ended(&mut self, due: &Due) {
        if let Some(count) = self.per_endpoint.get_mut(&due.endpoint_id) {
            *count -= 1;
            if *count == 0 {
                self.per_endpoint.remove(&due.endpoint_id);
            }
        }
    }

    /// The attempt of `due` is recorded (or given up); it is let go by the next look.
    pub(super) fn recorded(&mut self, due: &Due) {
        self.settled.push(due.clone());
    }

    /// Lets go of the deliveries recorded so far; called before a look's read begins, so that
    /// the read sees their records.
    pub(super) fn let_go(&mut self) {
        for due in std::mem::take(&mut self.settled) {
            self.deliveries.remove(&due.delivery_id);
            if let Some(count) = self.taken_per_endpoint.get_mut(&due.endpoint_id) {
                *count -= 1;
                if *count == 0 {
                    self.taken_per_endpoint.remove(&due.endpoint_id);
                }
            }
        }
    }
}

/// What a look may still take for one endpoint: request slots free now (each starts a lane),
/// and deliveries to read ahead into its queue.
pub(super) struct Room<'a> {
    pub(super) free: usize,
    pub(super) ahead: usize,
    pub(super) lanes: &'a mut Vec<(Due, Option<Request>)>,
    pub(super) queue: Vec<(Due, Option<Request>)>,
}

impl Room<'_> {
    pub(super) fn is_full(&self) -> bool {
        self.free == 0 && self.ahead == 0
    }

    /// Takes `d` into a free slot, or else into the read-ahead queue, with its request. False
    /// when it is taken already or there is no room.
    pub(super) fn take(
        &mut self,
        conn: &rusqlite::Connection,
        in_flight: &Mutex<InFlight>,
        d: Due,
        now: i64,
    ) -> ApiResult<bool> {
        let mut f = in_flight
            .lock()
            .map_err(|_| ApiError::Internal("in-flight set poisoned".into()))?;
        if self.free > 0 && f.take(&d) {
            drop(f);
            self.free -= 1;
            let request = attempts::request(conn, &d, now)?;
            self.lanes.push((d, request));
        } else if self.free == 0 && self.ahead > 0 && f.take_ahead(&d) {
            drop(f);
            self.ahead -= 1;
            let request = attempts::request(conn, &d, now)?;
            self.queue.push((d, request));
        } else {
            return Ok(false);
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(id: &str, endpoint: &str) -> Due {
        Due {
            delivery_id: id.into(),
            endpoint_id: endpoint.into(),
            manual: false,
            fresh: false,
        }
    }

    #[test]
    fn at_most_four_in_flight_per_endpoint() {
        let mut f = InFlight::default();
        let taken = (0..6).filter(|i| f.take(&due(&i.to_string(), "a"))).count();
        assert_eq!(taken, PER_ENDPOINT);
        assert!(f.take(&due("x", "b")), "another endpoint is not held up");
        assert!(
            !f.take(&due("x", "b")),
            "a delivery in flight is not taken twice"
        );
        f.request_ended(&due("0", "a"));
        assert!(
            !f.take(&due("0", "a")),
            "taken until its attempt is recorded"
        );
        assert!(
            f.take(&due("5", "a")),
            "the endpoint's slot is free once its request ended"
        );
        f.recorded(&due("0", "a"));
        assert!(!f.take(&due("0", "a")), "held until the next look begins");
        f.let_go();
        f.request_ended(&due("1", "a"));
        assert!(f.take(&due("0", "a")));
    }
}

//! Attempt outcomes waiting to be recorded. The outcomes that end while one write job is being
//! committed go together into the next one, so a busy endpoint costs the database writer one job
//! per batch instead of one per attempt. Each outcome's sender learns when its batch is committed
//! (or has failed: the delivery then stays pending and is attempted again).

use crate::store::attempts::{Due, Outcome};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// Outcomes recorded per write job at most.
const BATCH: usize = 256;

/// One outcome waiting, and who waits for its record.
pub(super) struct Pending {
    pub(super) due: Due,
    pub(super) outcome: Outcome,
    pub(super) recorded: oneshot::Sender<()>,
}

#[derive(Default)]
struct State {
    pending: Vec<Pending>,
    /// A task is writing batches: new outcomes join its next batch.
    flushing: bool,
}

#[derive(Default)]
pub(super) struct Recorder {
    state: Mutex<State>,
}

impl Recorder {
    /// Queues an outcome. Returns the receiver told when it is recorded, and whether the caller
    /// must start the task that writes batches (none is running).
    pub(super) fn push(&self, due: Due, outcome: Outcome) -> (oneshot::Receiver<()>, bool) {
        let (recorded, receiver) = oneshot::channel();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending.push(Pending {
            due,
            outcome,
            recorded,
        });
        let start = !std::mem::replace(&mut state.flushing, true);
        (receiver, start)
    }

    /// The next batch to write, oldest first; `None` (and the writing task ends) when nothing waits.
    pub(super) fn next_batch(&self) -> Option<Vec<Pending>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.pending.is_empty() {
            state.flushing = false;
            return None;
        }
        let take = state.pending.len().min(BATCH);
        Some(state.pending.drain(..take).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(id: &str) -> Due {
        Due {
            delivery_id: id.into(),
            endpoint_id: "e".into(),
            manual: false,
            fresh: false,
        }
    }

    fn outcome() -> Outcome {
        Outcome {
            attempted_at: 0,
            status_code: Some(204),
            duration_ms: 1,
            error: None,
            request_headers: "{}".into(),
            response_body: None,
        }
    }

    #[test]
    fn one_writing_task_takes_what_waits_in_batches() {
        let r = Recorder::default();
        let (_a, start) = r.push(due("a"), outcome());
        assert!(start, "the first outcome starts the writing task");
        let (_b, start) = r.push(due("b"), outcome());
        assert!(!start, "the running task takes it");
        let batch = r.next_batch().expect("two waiting");
        let ids: Vec<_> = batch.iter().map(|p| p.due.delivery_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        for i in 0..BATCH + 1 {
            r.push(due(&i.to_string()), outcome());
        }
        assert_eq!(r.next_batch().map(|b| b.len()), Some(BATCH));
        assert_eq!(r.next_batch().map(|b| b.len()), Some(1));
        assert!(r.next_batch().is_none(), "nothing left: the task ends");
        let (_c, start) = r.push(due("c"), outcome());
        assert!(
            start,
            "after the task ended, the next outcome starts another"
        );
    }
}

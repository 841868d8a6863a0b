//! The delivery worker: woken after each commit and on a short tick, it reads the due deliveries,
//! calls out (never holding the database writer while it does), and records the attempts in
//! batches (`recorder`). Deliveries in flight at a crash are still pending, so they are attempted
//! again after a restart.
//!
//! It runs on a thread of its own at a lower CPU priority (`--webhook-nice`): deliveries are
//! background work with no latency promise, so when the API and the worker compete for the
//! cores, API requests go first and deliveries use what is left (and all of it once the load
//! eases). The outbox rows are written with each change either way.

use super::attempt::Sender;
use super::cursors::{take_fresh, FreshCursors};
use super::in_flight::{InFlight, Room};
use super::recorder::Recorder;
use super::{Settings, RETENTION_MICROS};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::store::attempts::{self, Due, Outcome, Request};
use crate::store::events;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How often the worker looks for due deliveries without being woken.
const TICK: Duration = Duration::from_millis(500);
/// How often events past their retention are deleted.
const CLEANUP_EVERY: Duration = Duration::from_secs(60);
/// The shortest time between two looks: wake-ups in between (a commit, an ended request) are
/// served by one look, so that a busy API does not cost a read per commit.
const MIN_GAP: Duration = Duration::from_millis(5);
/// Due deliveries read ahead per endpoint: a request that ends goes on with the next of its
/// endpoint at once, without waiting for a look.
const PREFETCH: usize = 64;
/// Deliveries of one endpoint taken and not yet recorded, at most: past it, the endpoint gets
/// no more attempts until records catch up.
const MAX_UNRECORDED: usize = 1024;
/// Manual retries read per look.
const RETRIES_PER_LOOK: i64 = 100;

struct Inner {
    db: Db,
    clock: Clock,
    settings: Settings,
    sender: Sender,
    in_flight: Mutex<InFlight>,
    /// Notified when an attempt ends and frees its slot.
    freed: tokio::sync::Notify,
    /// `impactapi_webhook_deliveries_total{outcome}`, when metrics are kept.
    outcomes: Option<prometheus::IntCounterVec>,
    recorder: Recorder,
    /// Where each endpoint's fresh deliveries are read from.
    cursors: FreshCursors,
}

/// The delivery worker; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

impl Worker {
    /// `outcomes` counts each attempt as `succeeded` or `failed` (the metrics family); `cursors`
    /// are shared with the metrics.
    pub fn new(
        db: Db,
        clock: Clock,
        settings: Settings,
        outcomes: Option<prometheus::IntCounterVec>,
        cursors: FreshCursors,
    ) -> Result<Worker, String> {
        let sender = Sender::new(settings.clone())?;
        Ok(Worker {
            inner: Arc::new(Inner {
                db,
                clock,
                settings,
                sender,
                in_flight: Mutex::new(InFlight::default()),
                freed: tokio::sync::Notify::new(),
                outcomes,
                recorder: Recorder::default(),
                cursors,
            }),
        })
    }

    /// Starts the due attempts and returns at once. Each endpoint gets up to `PER_ENDPOINT`
    /// lanes; a lane sends one delivery after another from its endpoint's queue, read ahead.
    /// Scheduled deliveries (retries, recovered ones) come from the due index, then fresh ones
    /// along the endpoint's ids (`cursors`).
    async fn dispatch(&self, now: i64) -> ApiResult<Vec<tokio::task::JoinHandle<()>>> {
        if let Ok(mut in_flight) = self.inner.in_flight.lock() {
            in_flight.let_go();
        }
        let inner = self.inner.clone();
        let lanes: Vec<(Due, Option<Request>)> = self
            .inner
            .db
            .read(move |conn| {
                let lock = || {
                    inner
                        .in_flight
                        .lock()
                        .map_err(|_| ApiError::Internal("in-flight set poisoned".into()))
                };
                let mut lanes: Vec<(Due, Option<Request>)> = Vec::new();
                for d in attempts::retries(conn, RETRIES_PER_LOOK)? {
                    if lock()?.take(&d) {
                        let request = attempts::request(conn, &d, now)?;
                        lanes.push((d, request));
                    }
                }
                let enabled = attempts::enabled_endpoints(conn)?;
                inner.cursors.keep_only(&enabled);
                {
                    // What was read ahead for an endpoint since disabled or deleted is not sent.
                    let mut f = lock()?;
                    let stale: Vec<String> = f
                        .queued
                        .keys()
                        .filter(|k| !enabled.contains(k))
                        .cloned()
                        .collect();
                    for endpoint in stale {
                        let dropped = f.queued.remove(&endpoint).unwrap_or_default();
                        f.settled.extend(dropped.into_iter().map(|(d, _)| d));
                    }
                }
                // Each endpoint apart: one endpoint's backlog never hides another's.
                for endpoint in enabled {
                    let (free, ahead, look_ahead) = {
                        let mut f = lock()?;
                        let mut free = f.free_slots(&endpoint);
                        while free > 0 {
                            match f.next_queued(&endpoint) {
                                Some(next) => lanes.push(next),
                                None => break,
                            }
                            free -= 1;
                        }
                        let ahead = PREFETCH.saturating_sub(f.queued_len(&endpoint));
                        if f.unrecorded(&endpoint) >= MAX_UNRECORDED {
                            // Records wait for the writer (it serves the API first): send no
                            // more until they are made.
                            continue;
                        }
                        (free, ahead, f.look_ahead(&endpoint) + ahead as i64)
                    };
                    if free == 0 && ahead == 0 {
                        continue;
                    }
                    let mut room = Room {
                        free,
                        ahead,
                        lanes: &mut lanes,
                        queue: Vec::new(),
                    };
                    for d in attempts::due(conn, &endpoint, now, look_ahead)? {
                        room.take(conn, &inner.in_flight, d, now)?;
                    }
                    if !room.is_full() {
                        take_fresh(
                            conn,
                            &inner.cursors,
                            &inner.in_flight,
                            &endpoint,
                            now,
                            &mut room,
                        )?;
                    }
                    let queue = room.queue;
                    lock()?.queued.entry(endpoint).or_default().extend(queue);
                }
                Ok(lanes)
            })
            .await?;
        Ok(lanes
            .into_iter()
            .map(|first| {
                let inner = self.inner.clone();
                tokio::spawn(lane(inner, first))
            })
            .collect())
    }

    /// Deletes events past their retention (and their deliveries).
    async fn clean_up(&self) -> ApiResult<usize> {
        let cutoff = self.inner.clock.now_micros() - RETENTION_MICROS;
        self.inner
            .db
            .write(move |conn| Ok(events::delete_older_than(conn, cutoff, 5_000)?))
            .await
    }

    /// Runs the worker on a thread of its own (its CPU priority lowered by the `nice` setting)
    /// until `stop`.
    pub fn spawn(self) -> std::io::Result<DeliveryWorker> {
        let (stop, stopped) = oneshot::channel::<()>();
        let nice = self.inner.settings.nice;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || {
                lower_priority(nice);
                runtime.block_on(self.run(stopped));
                // Attempts still in flight are dropped: they stay pending and are made again.
                runtime.shutdown_timeout(Duration::from_secs(5));
                tracing::info!("webhook worker stopped");
            })?;
        Ok(DeliveryWorker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The worker's loop until `stopped`: woken by commits, by ended requests and by the tick.
    async fn run(self, mut stopped: oneshot::Receiver<()>) {
        let committed = self.inner.db.committed();
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut cleaned = Instant::now();
        let mut looked = Instant::now();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = committed.notified() => {},
                _ = self.inner.freed.notified() => {},
                _ = ticks.tick() => {},
            }
            if let Some(rest) = MIN_GAP.checked_sub(looked.elapsed()) {
                tokio::time::sleep(rest).await;
            }
            looked = Instant::now();
            let now = self.inner.clock.now_micros();
            if let Err(e) = self.dispatch(now).await {
                tracing::error!(error = %e, "webhook dispatch failed");
            }
            if cleaned.elapsed() >= CLEANUP_EVERY {
                cleaned = Instant::now();
                match self.clean_up().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "events past retention deleted"),
                    Err(e) => tracing::error!(error = %e, "event retention cleanup failed"),
                }
            }
        }
    }
}

/// Lowers the calling thread's CPU priority to `nice` (0 leaves it as it is). Linux keeps a nice
/// value per thread, so the API's threads keep theirs.
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(thread), nice) {
            tracing::warn!(nice, error = %e, "cannot lower the webhook worker's CPU priority");
        }
    }
}

/// One request slot of an endpoint: sends `first`, then the endpoint's queued deliveries one
/// after another; each outcome goes to the recorder. Ends when the queue is empty, after its
/// records are made.
async fn lane(inner: Arc<Inner>, first: (Due, Option<Request>)) {
    let (mut due, mut request) = first;
    let endpoint = due.endpoint_id.clone();
    let mut records = Vec::new();
    loop {
        match request {
            Some(request) => {
                let outcome = inner.sender.send(&request, inner.clock.now_micros()).await;
                if let Some(outcomes) = &inner.outcomes {
                    let label = if outcome.succeeded() {
                        "succeeded"
                    } else {
                        "failed"
                    };
                    outcomes.with_label_values(&[label]).inc();
                }
                records.push(Inner::record_soon(&inner, due.clone(), outcome));
            }
            // Gone meanwhile (its endpoint was deleted): nothing to record.
            None => {
                if let Ok(mut in_flight) = inner.in_flight.lock() {
                    in_flight.recorded(&due);
                }
            }
        }
        let next = inner.in_flight.lock().ok().and_then(|mut f| {
            // The slot is handed from this request to the next one.
            f.request_ended(&due);
            f.next_queued(&endpoint)
        });
        match next {
            Some((d, r)) => (due, request) = (d, r),
            None => break,
        }
    }
    inner.freed.notify_one();
    for record in records {
        let _ = record.await;
    }
}

impl Inner {
    /// Hands an outcome to the recorder; the receiver is told once it is recorded.
    fn record_soon(inner: &Arc<Inner>, due: Due, outcome: Outcome) -> oneshot::Receiver<()> {
        let (recorded, start) = inner.recorder.push(due, outcome);
        if start {
            tokio::spawn(Inner::record_batches(inner.clone()));
        }
        recorded
    }

    /// Writes the waiting outcomes, a batch per write job, until none waits. A batch that cannot
    /// be written leaves its deliveries pending: they are attempted again.
    async fn record_batches(inner: Arc<Inner>) {
        while let Some(batch) = inner.recorder.next_batch() {
            let (dues, outcomes): (Vec<Due>, Vec<Outcome>) = batch
                .iter()
                .map(|p| (p.due.clone(), p.outcome.clone()))
                .unzip();
            let settings = inner.settings.clone();
            let now = inner.clock.now_micros();
            let written = inner
                .db
                .write_background(move |conn| {
                    for (due, outcome) in dues.iter().zip(&outcomes) {
                        attempts::record(conn, due, outcome, &settings, now)?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = written {
                tracing::error!(error = %e, attempts = batch.len(), "could not record webhook attempts");
                // Still pending: scheduled ones are due again, fresh ones are read again.
                for pending in batch.iter().filter(|p| p.due.fresh) {
                    inner
                        .cursors
                        .rewind(&pending.due.endpoint_id, &pending.due.delivery_id);
                }
            }
            if let Ok(mut in_flight) = inner.in_flight.lock() {
                for pending in &batch {
                    in_flight.recorded(&pending.due);
                }
            }
            for pending in batch {
                let _ = pending.recorded.send(());
            }
        }
    }
}

/// A running worker; `stop` ends it cleanly (attempts in flight stay pending and are made again).
pub struct DeliveryWorker {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DeliveryWorker {
    /// Stops the worker and waits for its thread to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = actix_web::web::block(move || thread.join()).await;
        }
    }
}

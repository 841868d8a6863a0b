//! The expiry sweeper (SPEC 6): stores `expired` on open sessions past `expires_at`.

use crate::api::session_view::record_event;
use crate::clock::Clock;
use crate::db::Db;
use crate::state::Catalog;
use crate::store::{campaigns, sessions};
use crate::webhooks::EventType;
use rusqlite::Connection;
use std::time::Duration;
use tokio::sync::oneshot;

/// Marks every `active`/`processing` session whose `expires_at` is at or before `now` as expired,
/// and records one `donation_session.expired` event for each, in the caller's transaction.
/// Returns how many.
pub fn sweep_once(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    let expired: Vec<String> = conn
        .prepare_cached(
            "UPDATE sessions SET status = 'expired', updated_at = expires_at
             WHERE status IN ('active', 'processing') AND expires_at <= ?1 RETURNING id",
        )?
        .query_map([now], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if expired.is_empty() {
        return Ok(0);
    }
    let catalog = Catalog::new(campaigns::list(conn, false)?);
    for id in &expired {
        if let Some(s) = sessions::find(conn, id)? {
            record_event(conn, EventType::SessionExpired, &s, &[], &catalog, now)?;
        }
    }
    Ok(expired.len())
}

/// Runs the sweep through the writer and logs the count.
pub async fn sweep(db: &Db, clock: &Clock) -> crate::error::ApiResult<usize> {
    let now = clock.now_micros();
    let expired = db.write(move |conn| Ok(sweep_once(conn, now)?)).await?;
    if expired > 0 {
        tracing::info!(expired, "expired sessions swept");
    } else {
        tracing::debug!(expired, "expiry sweep found nothing to expire");
    }
    Ok(expired)
}

/// A running sweeper; `stop` ends it cleanly.
pub struct Sweeper {
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Sweeper {
    pub fn spawn(db: Db, clock: Clock, every: Duration) -> Sweeper {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let handle = actix_web::rt::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticks.tick() => {
                        if let Err(e) = sweep(&db, &clock).await {
                            tracing::error!(error = %e, "sweep failed");
                        }
                    }
                }
            }
            tracing::info!("sweeper stopped");
        });
        Sweeper {
            stop: Some(stop),
            handle: Some(handle),
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = handle.await;
        }
    }
}

//! Webhooks (SPEC 11): the event catalog, delivery settings, Standard Webhooks signing, destination
//! checks, and the delivery worker. The outbox itself (events and deliveries written with each
//! change) is in `store::events`; endpoints and deliveries as stored are in `store::webhooks`.

mod attempt;
mod cursors;
pub mod destination;
mod in_flight;
mod recorder;
pub mod sign;
pub mod worker;

pub use cursors::FreshCursors;

use std::str::FromStr;
use std::time::Duration;

/// Every event type the server emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    SessionCreated,
    SessionUpdated,
    SessionProcessing,
    SessionConfirmed,
    SessionExpired,
    IntentCreated,
    IntentCancelled,
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
    VendorCreated,
    VendorUpdated,
    VendorDeleted,
    EndpointTest,
}

impl EventType {
    pub const ALL: [EventType; 14] = [
        EventType::SessionCreated,
        EventType::SessionUpdated,
        EventType::SessionProcessing,
        EventType::SessionConfirmed,
        EventType::SessionExpired,
        EventType::IntentCreated,
        EventType::IntentCancelled,
        EventType::CustomerCreated,
        EventType::CustomerUpdated,
        EventType::CustomerDeleted,
        EventType::VendorCreated,
        EventType::VendorUpdated,
        EventType::VendorDeleted,
        EventType::EndpointTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SessionCreated => "donation_session.created",
            EventType::SessionUpdated => "donation_session.updated",
            EventType::SessionProcessing => "donation_session.processing",
            EventType::SessionConfirmed => "donation_session.confirmed",
            EventType::SessionExpired => "donation_session.expired",
            EventType::IntentCreated => "donation_intent.created",
            EventType::IntentCancelled => "donation_intent.cancelled",
            EventType::CustomerCreated => "customer.created",
            EventType::CustomerUpdated => "customer.updated",
            EventType::CustomerDeleted => "customer.deleted",
            EventType::VendorCreated => "vendor.created",
            EventType::VendorUpdated => "vendor.updated",
            EventType::VendorDeleted => "vendor.deleted",
            EventType::EndpointTest => "webhook_endpoint.test",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The attempt schedule after the immediate first attempt (SPEC 11).
pub const DEFAULT_SCHEDULE: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// `--webhook-retry-schedule`: delays in whole seconds after the first attempt, comma-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<u64>);

impl FromStr for RetrySchedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let delays = s
            .split(',')
            .map(|part| part.trim().parse::<u64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| format!("`{s}` is not a comma-separated list of whole seconds"))?;
        if delays.len() > 50 || delays.iter().any(|d| *d > 30 * 86_400) {
            return Err("at most 50 delays, each at most 30 days".into());
        }
        Ok(RetrySchedule(delays))
    }
}

/// How the worker delivers.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Delays after the first attempt, in seconds.
    pub schedule: Vec<u64>,
    /// ±20% jitter on each delay (the built-in schedule; a schedule given for tests is exact).
    pub jitter: bool,
    pub timeout: Duration,
    /// Refuse loopback and private destinations too.
    pub block_private: bool,
    /// The nice value of the worker's thread (0 to 19): how far its deliveries yield the cores to
    /// API requests when both want them.
    pub nice: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            schedule: DEFAULT_SCHEDULE.to_vec(),
            jitter: true,
            timeout: Duration::from_secs(15),
            block_private: false,
            nice: DEFAULT_NICE,
        }
    }
}

impl Settings {
    /// The delay (microseconds) before automatic attempt `made + 1`, after `made` attempts, or
    /// `None` when the schedule is spent.
    pub fn delay_after(&self, made: i64) -> Option<i64> {
        let index = usize::try_from(made).ok()?.checked_sub(1)?;
        let seconds = *self.schedule.get(index)? as f64;
        let factor = if self.jitter {
            rand::Rng::gen_range(&mut rand::thread_rng(), 0.8..=1.2)
        } else {
            1.0
        };
        Some((seconds * factor * 1_000_000.0) as i64)
    }
}

/// `--webhook-nice` by default: under full load the worker's thread gets about a tenth of the share
/// of an API thread, and all of an idle core.
pub const DEFAULT_NICE: i32 = 10;

/// Events are kept this long (server clock), then deleted with their deliveries.
pub const RETENTION_MICROS: i64 = 30 * 86_400 * 1_000_000;
/// An endpoint whose attempts have all failed for this long is disabled (`failing`).
pub const FAILING_FOR_MICROS: i64 = 5 * 86_400 * 1_000_000;
/// Requests in flight per endpoint.
pub const PER_ENDPOINT: usize = 4;
/// The response body kept per attempt.
pub const RESPONSE_KEPT: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_parses_back() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("donation_session.deleted"), None);
    }

    #[test]
    fn schedule_parses_whole_seconds_only() {
        assert_eq!("1,1,1".parse(), Ok(RetrySchedule(vec![1, 1, 1])));
        assert!("1,x".parse::<RetrySchedule>().is_err());
        assert!("1.5".parse::<RetrySchedule>().is_err());
    }

    #[test]
    fn delays_follow_the_schedule_then_stop() {
        let exact = Settings {
            schedule: vec![1, 2],
            jitter: false,
            ..Settings::default()
        };
        assert_eq!(exact.delay_after(1), Some(1_000_000));
        assert_eq!(exact.delay_after(2), Some(2_000_000));
        assert_eq!(exact.delay_after(3), None);
        let jittered = Settings::default();
        for _ in 0..100 {
            let d = jittered.delay_after(2).expect("second delay");
            assert!((240_000_000..=360_000_000).contains(&d), "{d}");
        }
    }
}

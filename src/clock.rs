//! The one place that reads the time: system time plus an offset that tests and the sandbox can move.

use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A shared clock. `now()` is the system time shifted by an offset; `advance` moves it forward and
/// `set` pins "now" to a given instant (the offset is recomputed, so time keeps flowing from there).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        let offset = self.offset_micros.load(Ordering::Relaxed);
        Utc::now() + chrono::Duration::microseconds(offset)
    }

    /// Microseconds since the Unix epoch: the form every timestamp is stored in.
    pub fn now_micros(&self) -> i64 {
        self.now().timestamp_micros()
    }

    pub fn advance(&self, seconds: i64) {
        self.offset_micros
            .fetch_add(seconds.saturating_mul(1_000_000), Ordering::Relaxed);
    }

    pub fn set(&self, at: DateTime<Utc>) {
        let offset = at.timestamp_micros() - Utc::now().timestamp_micros();
        self.offset_micros.store(offset, Ordering::Relaxed);
    }
}

/// Formats stored microseconds as RFC 3339 UTC with microseconds: `2026-11-24T12:34:56.123456Z`.
pub fn format_micros(micros: i64) -> String {
    use chrono::{Datelike, Timelike};
    // Written field by field: every response formats timestamps, and chrono's `format` parses
    // its pattern string each time.
    match Utc.timestamp_micros(micros).single() {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            micros.rem_euclid(1_000_000)
        ),
        None => String::new(),
    }
}

/// serde helper: serializes stored microseconds as an RFC 3339 timestamp.
pub fn ser_micros<S: serde::Serializer>(micros: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_micros(*micros))
}

/// serde helper for optional timestamps.
pub fn ser_opt_micros<S: serde::Serializer>(micros: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match micros {
        Some(m) => s.serialize_str(&format_micros(*m)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let clock = Clock::new();
        let before = clock.now();
        clock.advance(3600);
        let moved = clock.now() - before;
        assert!(moved >= chrono::Duration::seconds(3600));
        assert!(moved < chrono::Duration::seconds(3660));
    }

    #[test]
    fn set_pins_now() {
        let clock = Clock::new();
        let at = Utc
            .with_ymd_and_hms(2024, 2, 29, 12, 0, 0)
            .single()
            .expect("valid date");
        clock.set(at);
        let drift = clock.now() - at;
        assert!(drift >= chrono::Duration::zero() && drift < chrono::Duration::seconds(5));
    }

    #[test]
    fn formats_with_microseconds() {
        assert_eq!(
            format_micros(1_700_000_000_123_456),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(format_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_micros(-1), "1969-12-31T23:59:59.999999Z");
        assert_eq!(
            format_micros(1_709_208_000_000_001),
            "2024-02-29T12:00:00.000001Z"
        );
    }
}

//! A calendar month (UTC) named `YYYY-MM`, as the statements take it (SPEC 13).

use chrono::{Datelike, Months, NaiveDate};

/// One UTC calendar month, with the microsecond bounds `[start, end)` of its intents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// `YYYY-MM`, month 01-12; anything else (`2024-1`, `2024-13`, `2024-01-01`) is `None`.
    pub fn parse(raw: &str) -> Option<Month> {
        let b = raw.as_bytes();
        let shaped = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        if !shaped {
            return None;
        }
        let year: i32 = raw[..4].parse().ok()?;
        let month: u32 = raw[5..].parse().ok()?;
        NaiveDate::from_ymd_opt(year, month, 1).map(|first| Month { first })
    }

    /// The month holding `date`.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            first: date.with_day(1).unwrap_or(date),
        }
    }

    /// First microsecond of the month.
    pub fn start_micros(&self) -> i64 {
        micros(self.first)
    }

    /// First microsecond of the next month.
    pub fn end_micros(&self) -> i64 {
        self.first
            .checked_add_months(Months::new(1))
            .map_or(i64::MAX, micros)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.first.year(), self.first.month())
    }
}

fn micros(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map_or(i64::MAX, |t| t.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_yyyy_mm() {
        let m = Month::parse("2024-02").expect("valid");
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!(m.end_micros() - m.start_micros(), 29 * 86_400_000_000);
        assert_eq!(
            Month::parse("2024-12").expect("valid").to_string(),
            "2024-12"
        );
        for bad in [
            "2024-13",
            "2024-00",
            "2024-1",
            "24-01",
            "2024-01-01",
            "2024/01",
            "",
            "+024-01",
            "２０２４-01",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn of_a_date_and_year_end() {
        let d = NaiveDate::from_ymd_opt(2025, 12, 31).expect("date");
        let m = Month::of(d);
        assert_eq!(m.to_string(), "2025-12");
        assert_eq!(
            m.end_micros(),
            micros(NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"))
        );
    }
}

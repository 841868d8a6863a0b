//! Pagination (SPEC 4): page parameters, date filters, and the paginated envelope.

use crate::error::FieldErrors;
use crate::extract::QueryMap;
use chrono::NaiveDate;
use serde::Serialize;

/// A validated page request. `sort_by` is one of the names the endpoint allows.
#[derive(Debug, Clone, PartialEq)]
pub struct PageParams {
    pub page: i64,
    pub per_page: i64,
    pub sort_by: &'static str,
    pub descending: bool,
}

impl PageParams {
    /// Parses `per_page`, `page`, `sort_by`, `sort_order`; every bad value is a 422 on its name,
    /// never clamped.
    pub fn parse(
        query: &QueryMap,
        sortable: &[&'static str],
        errors: &mut FieldErrors,
    ) -> PageParams {
        let mut params = PageParams {
            page: 1,
            per_page: 10,
            sort_by: sortable[0],
            descending: true,
        };
        if let Some(raw) = query.get("per_page") {
            match raw.parse::<i64>() {
                Ok(n) if (1..=100).contains(&n) => params.per_page = n,
                _ => errors.add("per_page", "must be an integer between 1 and 100"),
            }
        }
        if let Some(raw) = query.get("page") {
            match raw.parse::<i64>() {
                Ok(n) if n >= 1 => params.page = n,
                _ => errors.add("page", "must be an integer of at least 1"),
            }
        }
        if let Some(raw) = query.get("sort_by") {
            match sortable.iter().find(|s| **s == raw) {
                Some(s) => params.sort_by = s,
                None => errors.add(
                    "sort_by",
                    format!("must be one of: {}", sortable.join(", ")),
                ),
            }
        }
        match query.get("sort_order") {
            None | Some("desc") => {}
            Some("asc") => params.descending = false,
            Some(_) => errors.add("sort_order", "must be asc or desc"),
        }
        params
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn direction(&self) -> &'static str {
        if self.descending {
            "DESC"
        } else {
            "ASC"
        }
    }
}

/// Inclusive UTC date range as microsecond bounds `[from, to)`, plus the dates as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRange {
    pub fn parse(query: &QueryMap, errors: &mut FieldErrors) -> DateRange {
        let mut range = DateRange::default();
        for (name, slot) in [("date_from", &mut range.from), ("date_to", &mut range.to)] {
            if let Some(raw) = query.get(name) {
                // Exactly `YYYY-MM-DD`: chrono alone also takes a signed or 5-digit year and a
                // 1-digit month (`02024-1-01`), which the documented `format: date` does not.
                let shaped = raw.len() == 10
                    && raw.bytes().enumerate().all(|(i, b)| match i {
                        4 | 7 => b == b'-',
                        _ => b.is_ascii_digit(),
                    });
                match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                    Ok(d) if shaped => *slot = Some(d),
                    _ => errors.add(name, "must be a date in YYYY-MM-DD format"),
                }
            }
        }
        // `date_from` after `date_to` is an empty range, not an error: a report over a window
        // that happens to be inverted simply finds nothing.
        range
    }

    /// First microsecond included (start of `date_from`), or the smallest value.
    pub fn start_micros(&self) -> i64 {
        self.from
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_micros())
            .unwrap_or(i64::MIN)
    }

    /// First microsecond excluded (start of the day after `date_to`), or the largest value.
    pub fn end_micros(&self) -> i64 {
        self.to
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_micros())
            .unwrap_or(i64::MAX)
    }
}

/// The paginated envelope: `{"data", "current_page", "from", "to", "per_page", "last_page", "total"}`,
/// serialized straight from the items (no JSON tree is built in between).
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub current_page: i64,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub per_page: i64,
    pub last_page: i64,
    pub total: i64,
}

pub fn envelope<T: Serialize>(data: Vec<T>, params: &PageParams, total: i64) -> Page<T> {
    let len = data.len() as i64;
    let (from, to) = if len == 0 {
        (None, None)
    } else {
        (
            Some(params.offset().saturating_add(1)),
            Some(params.offset().saturating_add(len)),
        )
    };
    Page {
        data,
        current_page: params.page,
        from,
        to,
        per_page: params.per_page,
        last_page: (total.saturating_add(params.per_page - 1) / params.per_page).max(1),
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn query(pairs: &[(&str, &str)]) -> QueryMap {
        QueryMap(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[test]
    fn defaults() {
        let mut errors = FieldErrors::new();
        let p = PageParams::parse(&query(&[]), &["created_at"], &mut errors);
        assert!(errors.is_empty());
        assert_eq!(
            p,
            PageParams {
                page: 1,
                per_page: 10,
                sort_by: "created_at",
                descending: true
            }
        );
    }

    #[test]
    fn rejects_out_of_range_without_clamping() {
        let mut errors = FieldErrors::new();
        PageParams::parse(
            &query(&[
                ("per_page", "0"),
                ("page", "0"),
                ("sort_by", "bogus"),
                ("sort_order", "up"),
            ]),
            &["created_at"],
            &mut errors,
        );
        assert_eq!(errors.0.len(), 4);
        let mut errors = FieldErrors::new();
        PageParams::parse(&query(&[("per_page", "101")]), &["created_at"], &mut errors);
        assert_eq!(errors.0.len(), 1);
    }

    #[test]
    fn envelope_positions() {
        let p = PageParams {
            page: 2,
            per_page: 10,
            sort_by: "created_at",
            descending: true,
        };
        let json = |page| serde_json::to_value(page).expect("serializes");
        let v = json(envelope(vec![1; 10], &p, 64));
        assert_eq!(
            (
                v["from"].as_i64(),
                v["to"].as_i64(),
                v["last_page"].as_i64()
            ),
            (Some(11), Some(20), Some(7))
        );
        let past = PageParams {
            page: 9,
            ..p.clone()
        };
        let v = json(envelope(Vec::<i64>::new(), &past, 64));
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        let order = [
            "data",
            "current_page",
            "from",
            "to",
            "per_page",
            "last_page",
            "total",
        ];
        assert_eq!(keys, order);
        assert!(v["from"].is_null() && v["to"].is_null());
        assert_eq!(v["current_page"], 9);
        assert_eq!(v["total"], 64);
        let v = json(envelope(Vec::<i64>::new(), &p, 0));
        assert_eq!(v["last_page"], 1);
    }

    #[test]
    fn dates_are_inclusive_days() {
        let mut errors = FieldErrors::new();
        let r = DateRange::parse(
            &query(&[("date_from", "2024-01-01"), ("date_to", "2024-01-01")]),
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(r.end_micros() - r.start_micros(), 86_400_000_000);
        DateRange::parse(&query(&[("date_from", "2024-13-01")]), &mut errors);
        assert_eq!(errors.0.len(), 1);
        for odd in [
            "02024-1-01",
            "-001-01-01",
            "+001-01-01",
            "2024-02-30",
            " 024-01-01",
        ] {
            let mut errors = FieldErrors::new();
            DateRange::parse(&query(&[("date_to", odd)]), &mut errors);
            assert_eq!(errors.0.len(), 1, "{odd} is not YYYY-MM-DD");
        }
    }
}

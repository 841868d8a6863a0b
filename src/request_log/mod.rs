//! The request log of the developer sandbox (SPEC 12): the last N API requests of each
//! organization with their bodies, credentials redacted, kept in memory.
//!
//! Recording must not slow the API down, so nothing here touches the database on the way: each
//! organization has a bounded ring behind its own mutex, an entry is a few owned strings built
//! from the request and response the server already holds, and redaction is one pass over the
//! body's quotes that allocates only when it finds a secret. The log does not survive a restart.

mod capture;
mod entry;
mod redact;

use actix_web::web;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

pub use capture::record;
pub use entry::{Body, Entry};
pub use redact::{redact_json, REDACTED};

/// Entries kept per organization unless `--request-log` says otherwise.
pub const DEFAULT_CAPACITY: usize = 1000;
/// The most of a request or response body that is kept.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The organization a request acted for, set by the credential that named it.
#[derive(Debug, Clone)]
pub struct Org(pub String);

/// The raw request body, set by the JSON body extractor once it has read it.
#[derive(Debug, Clone)]
pub struct RawBody(pub web::Bytes);

type Ring = Arc<Mutex<VecDeque<Arc<Entry>>>>;

/// Which entries a listing wants.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub org_id: Option<String>,
    /// An exact status, or a class (`4` for `4xx`).
    pub status: Option<StatusFilter>,
    pub path_prefix: Option<String>,
    pub method: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
}

impl StatusFilter {
    /// `404`, or `4xx` (any case).
    pub fn parse(raw: &str) -> Option<StatusFilter> {
        let lower = raw.to_ascii_lowercase();
        if let Some(class) = lower.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(c) if (1..=5).contains(&c) && class.len() == 1 => Some(StatusFilter::Class(c)),
                _ => None,
            };
        }
        match lower.parse::<u16>() {
            Ok(s) if (100..=599).contains(&s) && lower.len() == 3 => Some(StatusFilter::Exact(s)),
            _ => None,
        }
    }

    fn matches(self, status: u16) -> bool {
        match self {
            StatusFilter::Exact(s) => status == s,
            StatusFilter::Class(c) => status / 100 == c,
        }
    }
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.status.is_none_or(|s| s.matches(e.status))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| e.path.starts_with(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| e.method.eq_ignore_ascii_case(m))
    }
}

/// The log: a bounded ring per organization.
pub struct RequestLog {
    capacity: usize,
    rings: RwLock<HashMap<String, Ring>>,
    seq: AtomicU64,
}

impl RequestLog {
    /// A log keeping `capacity` entries per organization; 0 turns logging off.
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity,
            rings: RwLock::default(),
            seq: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    fn ring(&self, org_id: &str) -> Option<Ring> {
        self.rings.read().ok()?.get(org_id).cloned()
    }

    fn push(&self, mut entry: Entry) {
        entry.seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let ring = match self.ring(&entry.org_id) {
            Some(r) => r,
            None => {
                let Ok(mut rings) = self.rings.write() else {
                    return;
                };
                rings.entry(entry.org_id.clone()).or_default().clone()
            }
        };
        let entry = Arc::new(entry);
        // The evicted entry is freed after the lock is released.
        let _evicted = match ring.lock() {
            Ok(mut ring) => {
                let evicted = (ring.len() >= self.capacity)
                    .then(|| ring.pop_front())
                    .flatten();
                ring.push_back(entry);
                evicted
            }
            Err(_) => None,
        };
    }

    fn all_rings(&self, org_id: Option<&str>) -> Vec<Ring> {
        let Ok(rings) = self.rings.read() else {
            return Vec::new();
        };
        match org_id {
            Some(id) => rings.get(id).cloned().into_iter().collect(),
            None => rings.values().cloned().collect(),
        }
    }

    /// The entries `filter` selects, newest first (oldest first with `newest_first` false).
    pub fn list(&self, filter: &Filter, newest_first: bool) -> Vec<Arc<Entry>> {
        let mut found: Vec<Arc<Entry>> = Vec::new();
        for ring in self.all_rings(filter.org_id.as_deref()) {
            if let Ok(ring) = ring.lock() {
                found.extend(ring.iter().filter(|e| filter.matches(e)).cloned());
            }
        }
        found.sort_by_key(|e| e.seq);
        if newest_first {
            found.reverse();
        }
        found
    }

    /// The newest entry with this correlation id (a client may reuse one).
    pub fn find(&self, correlation_id: &str) -> Option<Arc<Entry>> {
        self.all_rings(None)
            .iter()
            .filter_map(|ring| {
                let ring = ring.lock().ok()?;
                ring.iter()
                    .rev()
                    .find(|e| e.correlation_id == correlation_id)
                    .cloned()
            })
            .max_by_key(|e| e.seq)
    }

    /// Forgets an organization's entries (a reset); returns how many there were.
    pub fn clear(&self, org_id: &str) -> usize {
        let removed = self.rings.write().ok().and_then(|mut r| r.remove(org_id));
        removed
            .and_then(|ring| ring.lock().ok().map(|r| r.len()))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(org: &str, path: &str, status: u16) -> Entry {
        Entry {
            seq: 0,
            org_id: org.into(),
            correlation_id: format!("{org}{path}{status}"),
            method: "GET".into(),
            path: path.into(),
            query: String::new(),
            status,
            duration_micros: 1,
            at: 0,
            idempotency_key: None,
            request_headers: "authorization: [redacted]\n".into(),
            request_body: Body::capture(b""),
            response_headers: String::new(),
            response_body: None,
        }
    }

    #[test]
    fn each_organization_keeps_its_newest_entries() {
        let log = RequestLog::new(3);
        for i in 0..5 {
            log.push(entry("a", &format!("/customers/{i}"), 200));
        }
        log.push(entry("b", "/campaigns", 404));
        let a = Filter {
            org_id: Some("a".into()),
            ..Filter::default()
        };
        let paths: Vec<_> = log.list(&a, true).iter().map(|e| e.path.clone()).collect();
        assert_eq!(paths, ["/customers/4", "/customers/3", "/customers/2"]);
        let b404 = Filter {
            status: StatusFilter::parse("4xx"),
            ..Filter::default()
        };
        assert_eq!(log.list(&b404, true).len(), 1);
        assert_eq!(log.clear("a"), 3);
        assert!(log.list(&a, true).is_empty());
    }

    #[test]
    fn the_flag_sets_the_capacity_and_zero_turns_the_log_off() {
        use crate::config::Cli;
        use clap::Parser;
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["impactapi"].iter().chain(args)).map(|c| c.serve.request_log)
        };
        assert_eq!(parse(&[]).ok(), Some(DEFAULT_CAPACITY));
        assert_eq!(parse(&["serve", "--request-log", "0"]).ok(), Some(0));
        assert_eq!(parse(&["--request-log=25"]).ok(), Some(25));
        for bad in ["-1", "100001", "lots"] {
            assert!(parse(&["--request-log", bad]).is_err(), "{bad}");
        }
        assert!(!RequestLog::new(0).enabled() && RequestLog::new(1).enabled());
    }

    #[test]
    fn status_filters() {
        assert_eq!(StatusFilter::parse("404"), Some(StatusFilter::Exact(404)));
        assert_eq!(StatusFilter::parse("2XX"), Some(StatusFilter::Class(2)));
        for bad in ["", "4", "6xx", "1000", "abc", "44xx"] {
            assert_eq!(StatusFilter::parse(bad), None, "{bad}");
        }
    }
}

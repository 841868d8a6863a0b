//! The request log of the developer sandbox (SPEC 12): the last N API requests of each
//! organization with their bodies, credentials redacted, kept in memory.
//!
//! Recording must not slow the API down, so nothing here touches the database on the way: each
//! organization has a bounded ring behind its own mutex, an entry is a few owned strings built
//! from the request and response the server already holds, and redaction is one pass over the
//! body's quotes that allocates only when it finds a secret. The log does not survive a restart.

mod redact;

use crate::clock::format_micros;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

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

/// A body as kept: redacted, then cut to [`BODY_LIMIT`] on a character boundary.
#[derive(Debug, Clone)]
pub struct Body {
    pub text: web::Bytes,
    /// The size of the whole body, in bytes.
    pub size: usize,
    pub truncated: bool,
}

impl Body {
    /// Copies what is kept of `raw` (a request body may be a slice of the connection's read
    /// buffer, which must not stay pinned in memory by the log).
    fn capture(raw: &[u8]) -> Body {
        let redacted = redact_json(raw);
        let bytes = redacted.as_deref().unwrap_or(raw);
        let cut = cut_point(bytes);
        Body {
            text: web::Bytes::copy_from_slice(&bytes[..cut]),
            size: raw.len(),
            truncated: cut < bytes.len(),
        }
    }

    /// A response body the server serialized into a buffer of its own: kept by reference, without
    /// a copy, when it holds no secret and fits.
    fn capture_owned(raw: &web::Bytes) -> Body {
        if raw.len() <= BODY_LIMIT && redact_json(raw).is_none() {
            return Body {
                text: raw.clone(),
                size: raw.len(),
                truncated: false,
            };
        }
        Body::capture(raw)
    }

    fn to_json(&self) -> Value {
        json!({
            "body": if self.size == 0 { Value::Null } else { json!(String::from_utf8_lossy(&self.text)) },
            "body_size": self.size,
            "body_truncated": self.truncated,
        })
    }
}

/// Where to cut `bytes` to keep at most [`BODY_LIMIT`] of them, on a UTF-8 character boundary.
fn cut_point(bytes: &[u8]) -> usize {
    let mut cut = bytes.len().min(BODY_LIMIT);
    while cut < bytes.len() && cut > 0 && (bytes[cut] & 0b1100_0000) == 0b1000_0000 {
        cut -= 1;
    }
    cut
}

/// One logged request.
#[derive(Debug)]
pub struct Entry {
    /// Order of arrival across the server (newest first sorts by it).
    pub seq: u64,
    pub org_id: String,
    pub correlation_id: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub duration_micros: u64,
    /// When the request arrived, by the server clock (moved by time travel).
    pub at: i64,
    pub idempotency_key: Option<String>,
    /// `name: value` lines, credentials already redacted.
    pub request_headers: String,
    pub request_body: Body,
    pub response_headers: String,
    pub response_body: Option<Body>,
}

fn header_lines(headers: &HeaderMap) -> String {
    let mut out = String::with_capacity(256);
    for (name, value) in headers {
        out.push_str(name.as_str());
        out.push_str(": ");
        if redact::is_secret_header(name.as_str()) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        }
        out.push('\n');
    }
    out
}

fn headers_json(lines: &str) -> Value {
    let mut map = serde_json::Map::new();
    for line in lines.lines() {
        if let Some((name, value)) = line.split_once(": ") {
            match map.get_mut(name) {
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(value);
                }
                _ => {
                    map.insert(name.to_string(), json!(value));
                }
            }
        }
    }
    Value::Object(map)
}

impl Entry {
    /// The list view: everything but headers and bodies.
    pub fn summary(&self) -> Value {
        json!({
            "correlation_id": self.correlation_id,
            "organization_id": self.org_id,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": self.duration_micros as f64 / 1000.0,
            "idempotency_key": self.idempotency_key,
            "created_at": format_micros(self.at),
        })
    }

    /// The full view: the summary plus both sides' headers and bodies.
    pub fn detail(&self) -> Value {
        let mut v = self.summary();
        let mut request = self.request_body.to_json();
        request["headers"] = headers_json(&self.request_headers);
        let mut response = match &self.response_body {
            Some(b) => b.to_json(),
            None => {
                json!({"body": null, "body_size": null, "body_truncated": false, "streamed": true})
            }
        };
        response["headers"] = headers_json(&self.response_headers);
        v["request"] = request;
        v["response"] = response;
        v
    }
}

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
        if let Ok(mut ring) = ring.lock() {
            if ring.len() >= self.capacity {
                ring.pop_front();
            }
            ring.push_back(Arc::new(entry));
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

/// `/sessions/{id}` and `/sessions/{id}/...`: the session a secret-holding caller acted on.
fn session_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/sessions/")?;
    let id = rest.split('/').next()?;
    crate::domain::parse_id(id).is_some().then_some(id)
}

/// The organization a finished request belongs to: the one its API key named, or (for a
/// session-secret call, or a replayed idempotent response that never reached a handler) looked up.
async fn organization(res: &ServiceResponse<BoxBody>, state: Option<&AppState>) -> Option<String> {
    if let Some(org) = res.request().extensions().get::<Org>() {
        return Some(org.0.clone());
    }
    let state = state?;
    let req = res.request();
    if let Some(token) = crate::auth::bearer(req) {
        if res.status().as_u16() == 401 {
            return None;
        }
        let key = state
            .keys
            .authenticate(&state.db, &state.clock, &token)
            .await;
        return key.ok().map(|k| k.org_id);
    }
    if req.headers().contains_key("x-session-secret") {
        let id = session_of(req.path())?.to_string();
        return state
            .db
            .read_statement(move |conn| {
                use rusqlite::OptionalExtension;
                Ok(conn
                    .prepare_cached("SELECT org_id FROM sessions WHERE id = ?1")?
                    .query_row([&id], |r| r.get::<_, String>(0))
                    .optional()?)
            })
            .ok()
            .flatten();
    }
    None
}

/// The middleware (registered outside `outermost`, so it sees the final status, body and
/// correlation id). Requests that name no organization (the console, `/healthz`, a bad key) are
/// not logged.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let log = req
        .app_data::<web::Data<RequestLog>>()
        .filter(|l| l.enabled())
        .cloned();
    let Some(log) = log else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if req.path().starts_with("/admin") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let at = state.as_ref().map_or(0, |s| s.clock.now_micros());
    let method = req.method().as_str().to_string();
    let path = req.path().to_string();
    let query = redact::redact_query(req.query_string());
    let request_headers = header_lines(req.headers());
    let idempotency_key = req
        .headers()
        .get(crate::idempotency::HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());

    let res = next.call(req).await?.map_into_boxed_body();
    let Some(org_id) = organization(&res, state.as_ref().map(|s| s.get_ref())).await else {
        return Ok(res);
    };
    let request_body = res
        .request()
        .extensions()
        .get::<RawBody>()
        .map(|b| Body::capture(&b.0))
        .unwrap_or_else(|| Body::capture(b""));
    let (http_req, response) = res.into_parts();
    let status = response.status().as_u16();
    let response_headers = header_lines(response.headers());
    let (head, body) = response.into_parts();
    let (response, response_body) = match body.try_into_bytes() {
        Ok(bytes) => {
            let kept = Body::capture_owned(&bytes);
            (head.set_body(BoxBody::new(bytes)), Some(kept))
        }
        // A streamed body (an export) is passed on untouched and not kept.
        Err(body) => (head.set_body(body), None),
    };
    let correlation_id = response
        .headers()
        .get(crate::middleware::CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    log.push(Entry {
        seq: 0,
        org_id,
        correlation_id,
        method,
        path,
        query,
        status,
        duration_micros: started.elapsed().as_micros() as u64,
        at,
        idempotency_key,
        request_headers,
        request_body,
        response_headers,
        response_body,
    });
    Ok(ServiceResponse::new(http_req, response))
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
    fn bodies_are_redacted_then_cut_on_a_character_boundary() {
        let mut big = String::from(r#"{"session_secret":"s3cr3t","pad":""#);
        while big.len() < BODY_LIMIT + 10 {
            big.push('é');
        }
        let body = Body::capture(big.as_bytes());
        assert!(body.truncated && body.size == big.len());
        let text = String::from_utf8(body.text.to_vec()).expect("cut on a character boundary");
        assert!(text.len() <= BODY_LIMIT && !text.contains("s3cr3t"));
        assert!(text.starts_with(r#"{"session_secret":"[redacted]""#));
        let owned = web::Bytes::from(big.clone());
        assert_eq!(Body::capture_owned(&owned).text, body.text);
        let small = web::Bytes::from_static(br#"{"data":{"id":"c1"}}"#);
        let kept = Body::capture_owned(&small);
        assert_eq!(kept.text.as_ptr(), small.as_ptr(), "kept without a copy");
        assert!(!kept.truncated);
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

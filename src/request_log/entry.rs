//! One logged request: its summary and full views, and how its bodies are kept.

use super::{redact, redact_json, BODY_LIMIT, REDACTED};
use crate::clock::format_micros;
use actix_web::http::header::HeaderMap;
use actix_web::web;
use serde_json::{json, Value};

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
    pub(super) fn capture(raw: &[u8]) -> Body {
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
    pub(super) fn capture_owned(raw: &web::Bytes) -> Body {
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

pub(super) fn header_lines(headers: &HeaderMap) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}

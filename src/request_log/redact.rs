//! Redaction for the request log: credential headers, and every `secret` / `session_secret` /
//! `api_key` field of a JSON body (at any depth), replaced by `"[redacted]"` before anything is kept.

use memchr::{memchr, memchr2};

pub const REDACTED: &str = "[redacted]";

/// Headers whose values are credentials.
pub fn is_secret_header(name: &str) -> bool {
    [
        "authorization",
        "x-session-secret",
        "cookie",
        "proxy-authorization",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Field and query-parameter names whose values are credentials (ASCII case-insensitive).
pub fn is_secret_name(name: &str) -> bool {
    ["secret", "session_secret", "api_key"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// The index after the string starting with the quote at `start` (or the end of a cut-off input).
fn string_end(input: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(at) = memchr2(b'"', b'\\', &input[i.min(input.len())..]) {
        let at = i + at;
        if input[at] == b'\\' {
            i = at + 2;
        } else {
            return at + 1;
        }
    }
    input.len()
}

fn skip_space(input: &[u8], mut i: usize) -> usize {
    while i < input.len() && input[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The index after the JSON value starting at `start`: a string, a balanced object or array, or a
/// bare literal; the end of the input when it is cut off.
fn value_end(input: &[u8], start: usize) -> usize {
    match input.get(start) {
        None => start,
        Some(b'"') => string_end(input, start),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut i = start;
            while i < input.len() {
                match input[i] {
                    b'"' => {
                        i = string_end(input, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            input.len()
        }
        Some(_) => {
            let mut i = start;
            while i < input.len() && !matches!(input[i], b',' | b'}' | b']') {
                i += 1;
            }
            // Trailing spaces belong to what follows.
            while i > start && input[i - 1].is_ascii_whitespace() {
                i -= 1;
            }
            i
        }
    }
}

/// Whether the quoted string `token` (quotes included) names a secret field. Escapes are decoded,
/// so `"secr\u0065t"` counts too.
fn is_secret_key(token: &[u8]) -> bool {
    if token.len() < 2 || token[token.len() - 1] != b'"' {
        return false;
    }
    let inner = &token[1..token.len() - 1];
    if memchr(b'\\', inner).is_some() {
        return serde_json::from_slice::<String>(token).is_ok_and(|k| is_secret_name(&k));
    }
    std::str::from_utf8(inner).is_ok_and(is_secret_name)
}

/// `input` with the value of every secret field replaced by `"[redacted]"`, or `None` when it has
/// none (the common case: one pass over the quotes, no allocation). Works on any text: a JSON
/// body cut short, or one that does not parse, is redacted as far as it goes.
pub fn redact_json(input: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while let Some(at) = memchr(b'"', &input[i..]) {
        let start = i + at;
        let end = string_end(input, start);
        i = end;
        let colon = skip_space(input, end);
        if input.get(colon) != Some(&b':') || !is_secret_key(&input[start..end]) {
            continue;
        }
        let value = skip_space(input, colon + 1);
        let after = value_end(input, value);
        if &input[value..after] == b"null" {
            // Nothing to hide, and `null` says something (a secret caller sees no secret).
            i = after;
            continue;
        }
        let buf = out.get_or_insert_with(|| Vec::with_capacity(input.len()));
        buf.extend_from_slice(&input[copied..value]);
        buf.extend_from_slice(b"\"[redacted]\"");
        copied = after;
        i = after;
    }
    out.map(|mut buf| {
        buf.extend_from_slice(&input[copied..]);
        buf
    })
}

/// A query string with the values of secret parameters replaced.
pub fn redact_query(query: &str) -> String {
    if !query
        .split('&')
        .any(|pair| is_secret_name(pair.split('=').next().unwrap_or_default()))
    {
        return query.to_string();
    }
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn redacted(v: &Value) -> Value {
        let text = v.to_string();
        let out = redact_json(text.as_bytes()).expect("something redacted");
        serde_json::from_slice(&out).expect("still JSON")
    }

    #[test]
    fn secret_fields_at_any_depth_are_replaced() {
        let body = json!({
            "data": {"id": "s1", "session_secret": "abc", "nested": [{"Secret": {"a": [1, "}"]}},
                     {"api_key": 12}], "secrets": "kept"},
            "secret": null
        });
        assert_eq!(
            redacted(&body),
            json!({
                "data": {"id": "s1", "session_secret": REDACTED,
                         "nested": [{"Secret": REDACTED}, {"api_key": REDACTED}], "secrets": "kept"},
                "secret": null
            })
        );
    }

    #[test]
    fn values_that_look_like_keys_and_escaped_keys() {
        // A string value "secret" is not a key; an escaped key is still one.
        let text = br#"{"name":"secret","x":["secret", "api_key"],"secr\u0065t" : "zz", "q":"a\"secret\":1"}"#;
        let out = String::from_utf8(redact_json(text).expect("redacted")).expect("utf-8");
        assert_eq!(
            out,
            r#"{"name":"secret","x":["secret", "api_key"],"secr\u0065t" : "[redacted]", "q":"a\"secret\":1"}"#
        );
        assert!(redact_json(br#"{"id":"c1","name":"Ada"}"#).is_none());
    }

    #[test]
    fn a_body_cut_short_is_redacted_to_its_end() {
        let out = redact_json(br#"{"a":1,"session_secret":"abcdef"#).expect("redacted");
        assert_eq!(out, br#"{"a":1,"session_secret":"[redacted]""#);
        let out = redact_json(br#"[{"secret": {"deep": ["x"#).expect("redacted");
        assert_eq!(out, br#"[{"secret": "[redacted]""#);
    }

    #[test]
    fn query_parameters_and_headers() {
        assert_eq!(
            redact_query("a=1&api_key=xyz&b=2"),
            "a=1&api_key=[redacted]&b=2"
        );
        assert_eq!(redact_query("page=2"), "page=2");
        assert!(is_secret_header("Authorization") && is_secret_header("x-session-secret"));
        assert!(!is_secret_header("content-type"));
    }
}

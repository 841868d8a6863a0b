//! The outermost middleware: correlation ids, the error envelope for every failure (ours and
//! actix's own), panic containment, CORS, and one log line per request.

use crate::error::ErrorEnvelope;
use crate::metrics::Metrics;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Marks a 4xx/5xx response whose body is its own, not the error envelope (`/healthz` degraded).
#[derive(Debug, Clone, Copy)]
pub struct OwnBody;

/// The correlation id of the request being served, for handlers that want to log it.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    ["x-correlation-id", "x-request-id"]
        .iter()
        .find_map(|name| {
            let raw = req.headers().get(*name)?.to_str().ok()?;
            uuid::Uuid::parse_str(raw).ok().map(|_| raw.to_string())
        })
}

/// Origins allowed on API-key endpoints (`--cors-origins`); any origin may read a session and
/// choose its campaign with the session secret.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    pub origins: Arc<Vec<String>>,
}

/// What a cross-origin request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    None,
    /// A listed origin: every method and header.
    Full,
    /// Any origin, on the session-secret calls only, with `X-Session-Secret` and `Content-Type`.
    SecretOnly,
}

impl CorsPolicy {
    /// `GET /sessions/{id}` and `POST /sessions/{id}/choose_campaign`: the calls a browser makes
    /// with the session secret.
    fn is_secret_call(method: &str, path: &str) -> bool {
        let mut parts = path.trim_matches('/').split('/');
        matches!(
            (
                method,
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next()
            ),
            ("GET", Some("sessions"), Some(_), None, None)
                | (
                    "POST",
                    Some("sessions"),
                    Some(_),
                    Some("choose_campaign"),
                    None
                )
        )
    }

    /// `uses_key`: the request carries (or, in a preflight, asks to send) `Authorization`.
    fn grant(&self, origin: &str, method: &str, path: &str, uses_key: bool) -> Grant {
        if self.origins.iter().any(|o| o == "*" || o == origin) {
            Grant::Full
        } else if Self::is_secret_call(method, path) && !uses_key {
            Grant::SecretOnly
        } else {
            Grant::None
        }
    }

    fn decorate(&self, origin: &str, headers: &mut header::HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("X-Correlation-Id"),
        );
    }
}

fn preflight(policy: &CorsPolicy, origin: &str, path: &str, req: &ServiceRequest) -> HttpResponse {
    let header_str = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let method = header_str("access-control-request-method").to_ascii_uppercase();
    let asks_key = header_str("access-control-request-headers")
        .to_ascii_lowercase()
        .contains("authorization");
    let (methods, allowed_headers) = match policy.grant(origin, &method, path, asks_key) {
        Grant::None => return HttpResponse::NoContent().finish(),
        Grant::Full => (
            "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            "Authorization, Content-Type, X-Session-Secret, Idempotency-Key, X-Correlation-Id",
        ),
        Grant::SecretOnly => ("GET, POST, OPTIONS", "X-Session-Secret, Content-Type"),
    };
    let mut response = HttpResponse::NoContent().finish();
    let headers = response.headers_mut();
    policy.decorate(origin, headers);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(allowed_headers),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// A failure with no request left to answer through (a panic, or an error from below): the full
/// response is built here and handed to actix as an error that renders exactly it.
fn standalone(response: HttpResponse, correlation_id: &str) -> Error {
    let envelope = response
        .extensions()
        .get::<ErrorEnvelope>()
        .cloned()
        .unwrap_or_else(|| ErrorEnvelope::for_status(response.status()));
    if let Some(cause) = &envelope.cause {
        tracing::error!(correlation_id = %correlation_id, %cause, "request failed");
    }
    let mut built = HttpResponse::build(response.status());
    built.insert_header((CORRELATION_HEADER, correlation_id.to_string()));
    let full = built.json(envelope.body(correlation_id));
    actix_web::error::InternalError::from_response(envelope.code.clone(), full).into()
}

/// A random (v4) UUID from the thread's CSPRNG, which needs no system call per request.
fn new_correlation_id() -> String {
    let bytes: [u8; 16] = rand::random();
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The one log line per request (method, path, status, duration, correlation id, as fields that
/// the JSON log format writes at the top level), and its metrics: by route template, never by path.
fn log_request(
    metrics: Option<&Metrics>,
    route: Option<&str>,
    method: &Method,
    path: &str,
    status: u16,
    started: Instant,
    correlation_id: &str,
) {
    let took = started.elapsed();
    if let Some(metrics) = metrics {
        metrics.observe_request(method, route, status, took);
    }
    tracing::info!(
        target: "impactapi::request",
        method = %method,
        path,
        status,
        duration_ms = (took.as_secs_f64() * 10_000.0).round() / 10.0,
        correlation_id,
        "request"
    );
}

/// See the module doc. Registered with `actix_web::middleware::from_fn`.
pub async fn outermost(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let correlation_id = incoming_id(&req).unwrap_or_else(new_correlation_id);
    req.extensions_mut()
        .insert(CorrelationId(correlation_id.clone()));
    let method = req.method().clone();
    let path = req.path().to_string();
    let policy = req
        .app_data::<actix_web::web::Data<CorsPolicy>>()
        .map(|p| p.get_ref().clone())
        .unwrap_or_default();
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let uses_key = req.headers().contains_key(header::AUTHORIZATION);
    let metrics = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .and_then(|state| state.metrics.clone());
    let metrics = metrics.as_deref();
    let is_preflight =
        method == Method::OPTIONS && req.headers().contains_key("access-control-request-method");

    let mut response = match &origin {
        Some(o) if is_preflight => {
            let answer = preflight(&policy, o, &path, &req);
            req.into_response(answer)
        }
        // No clone of the request may outlive this call: the router needs it unshared.
        _ => match AssertUnwindSafe(next.call(req)).catch_unwind().await {
            Ok(Ok(res)) => res.map_into_boxed_body(),
            Ok(Err(e)) => {
                let response = e.error_response();
                log_request(
                    metrics,
                    None,
                    &method,
                    &path,
                    response.status().as_u16(),
                    started,
                    &correlation_id,
                );
                return Err(standalone(response, &correlation_id));
            }
            Err(_) => {
                let e = crate::error::ApiError::Internal("handler panicked".into());
                log_request(metrics, None, &method, &path, 500, started, &correlation_id);
                return Err(standalone(e.error_response(), &correlation_id));
            }
        },
    };

    let status = response.status();
    let own_body = response.response().extensions().get::<OwnBody>().is_some();
    if (status.is_client_error() || status.is_server_error()) && !own_body {
        let envelope = response
            .response()
            .extensions()
            .get::<ErrorEnvelope>()
            .cloned()
            .unwrap_or_else(|| ErrorEnvelope::for_status(status));
        if let Some(cause) = &envelope.cause {
            tracing::error!(correlation_id = %correlation_id, %cause, "request failed");
        }
        let body = envelope.body(&correlation_id).to_string();
        response = response.map_body(|head, _| {
            head.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            BoxBody::new(body)
        });
    }
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&correlation_id) {
        headers.insert(HeaderName::from_static(CORRELATION_HEADER), v);
    }
    if let Some(o) = &origin {
        if !is_preflight && policy.grant(o, method.as_str(), &path, uses_key) != Grant::None {
            policy.decorate(o, headers);
        }
    }
    let request = response.request();
    let route = match request.app_data::<crate::metrics::RouteTemplate>() {
        Some(template) => Some(std::borrow::Cow::Borrowed(&*template.0)),
        None if metrics.is_some() => request.match_pattern().map(std::borrow::Cow::Owned),
        None => None,
    };
    log_request(
        metrics,
        route.as_deref(),
        &method,
        &path,
        response.status().as_u16(),
        started,
        &correlation_id,
    );
    Ok(response)
}

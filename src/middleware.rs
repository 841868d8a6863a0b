//! The outermost middleware: correlation ids, the error envelope for every failure (ours and
//! actix's own), panic containment, CORS, and one log line per request.

use crate::error::ErrorEnvelope;
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

/// The correlation id of the request being served, for handlers that want to log it.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

fn incoming_id(req: &ServiceRequest) -> Option<String> {
    ["x-correlation-id", "x-request-id"]
        .iter()
        .find_map(|name| {
            let raw = req.headers().get(*name)?.to_str().ok()?;
            uuid::Uuid::parse_str(raw).ok().map(|u| u.to_string())
        })
}

/// Origins allowed on API-key endpoints; session-secret endpoints allow any origin.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    pub origins: Arc<Vec<String>>,
}

impl CorsPolicy {
    /// The session endpoints a browser may call with the session secret.
    fn is_secret_path(path: &str) -> bool {
        let mut parts = path.trim_matches('/').split('/');
        matches!(
            (parts.next(), parts.next(), parts.next(), parts.next()),
            (Some("sessions"), Some(_), None, None)
                | (Some("sessions"), Some(_), Some("choose_campaign"), None)
        )
    }

    fn allows(&self, origin: &str, path: &str) -> bool {
        Self::is_secret_path(path) || self.origins.iter().any(|o| o == "*" || o == origin)
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

fn preflight(policy: &CorsPolicy, origin: &str, path: &str) -> HttpResponse {
    let mut response = HttpResponse::NoContent().finish();
    if policy.allows(origin, path) {
        let headers = response.headers_mut();
        policy.decorate(origin, headers);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "Authorization, Content-Type, X-Session-Secret, Idempotency-Key, X-Correlation-Id",
            ),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
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

/// See the module doc. Registered with `actix_web::middleware::from_fn`.
pub async fn outermost(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let correlation_id = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
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
    let is_preflight =
        method == Method::OPTIONS && req.headers().contains_key("access-control-request-method");

    let mut response = match &origin {
        Some(o) if is_preflight => req.into_response(preflight(&policy, o, &path)),
        // No clone of the request may outlive this call: the router needs it unshared.
        _ => match AssertUnwindSafe(next.call(req)).catch_unwind().await {
            Ok(Ok(res)) => res.map_into_boxed_body(),
            Ok(Err(e)) => return Err(standalone(e.error_response(), &correlation_id)),
            Err(_) => {
                let e = crate::error::ApiError::Internal("handler panicked".into());
                return Err(standalone(e.error_response(), &correlation_id));
            }
        },
    };

    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
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
        if policy.allows(o, &path) {
            policy.decorate(o, headers);
        }
    }
    tracing::info!(
        target: "impactapi::request",
        "{} {} {} {:.1}ms {}",
        method,
        path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0,
        correlation_id
    );
    Ok(response)
}

//! `ApiError`: every failure, rendered as the ImpactAPI error envelope with one exhaustive status match.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub type ApiResult<T> = Result<T, ApiError>;

/// Field path -> messages, as reported in `details.fields` of a 422.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every error of `other` with its paths prefixed (`"3."` for batch item 3).
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldErrors) {
        for (field, messages) in other.0 {
            for m in messages {
                self.add(format!("{prefix}{field}"), m);
            }
        }
    }

    /// `Ok(())` when empty, else the 422.
    pub fn into_result(self) -> ApiResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidJson(String),
    /// A well-formed request the business rules refuse (SPEC 5.6): 400 with its own code.
    #[error("{message}")]
    Business {
        code: &'static str,
        message: &'static str,
    },
    #[error("Unauthorized")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    /// The resource name as it appears in the code: `campaign`, `customer`, `donation-intent`...
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("Route not found")]
    RouteNotFound,
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("Request body too large")]
    TooLarge,
    #[error("The request was not received in time")]
    Timeout,
    #[error("Validation failed")]
    Validation(FieldErrors),
    /// 422 with a code of its own (e.g. `idempotency.key-reused`).
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: &'static str,
    },
    /// A write failed because the disk is full (507, with `Retry-After`).
    #[error("The server's storage is full; try again later")]
    StorageFull,
    /// Anything unexpected. The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// A write sent to a read replica (`serve --read-only`).
    #[error("This server is a read-only replica; send writes to the primary")]
    ReadOnly,
}

impl ApiError {
    pub fn business(code: &'static str, message: &'static str) -> Self {
        ApiError::Business { code, message }
    }

    pub fn field(field: &str, message: &str) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        ApiError::Validation(errors)
    }

    pub fn code(&self) -> String {
        match self {
            ApiError::InvalidJson(_) => "request.invalid-json".into(),
            ApiError::Business { code, .. } | ApiError::Unprocessable { code, .. } => {
                (*code).into()
            }
            ApiError::Unauthorized => "auth.unauthorized".into(),
            ApiError::Forbidden(_) => "auth.forbidden".into(),
            ApiError::NotFound(resource) => format!("{resource}.not-found"),
            ApiError::RouteNotFound => "route.not-found".into(),
            ApiError::MethodNotAllowed => "request.method-not-allowed".into(),
            ApiError::TooLarge => "request.too-large".into(),
            ApiError::Timeout => "request.timeout".into(),
            ApiError::Validation(_) => "validation.failed".into(),
            ApiError::StorageFull => "server.storage-full".into(),
            ApiError::Internal(_) => "server.error".into(),
            ApiError::ReadOnly => "server.read-only".into(),
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::NotFound(resource) => {
                let readable = resource.replace('-', " ");
                let mut chars = readable.chars();
                match chars.next() {
                    Some(first) => format!("{}{} not found", first.to_uppercase(), chars.as_str()),
                    None => "Not found".into(),
                }
            }
            ApiError::Internal(_) => "An unexpected error occurred".into(),
            other => other.to_string(),
        }
    }

    fn details(&self) -> Option<Value> {
        match self {
            ApiError::Validation(fields) => Some(json!({ "fields": fields.0 })),
            _ => None,
        }
    }
}

/// What an error response carries until the correlation middleware writes the body with its id.
#[derive(Debug, Clone)]
pub struct ErrorEnvelope {
    pub code: String,
    pub message: String,
    pub details: Option<Value>,
    /// The logged cause of a 5xx.
    pub cause: Option<String>,
}

impl ErrorEnvelope {
    pub fn body(&self, correlation_id: &str) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "correlation_id": correlation_id,
        });
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        json!({ "error": error })
    }

    /// The envelope for a status produced outside our handlers (actix's own 404/405/413...).
    pub fn for_status(status: StatusCode) -> ErrorEnvelope {
        let error = match status.as_u16() {
            400 => ApiError::InvalidJson("Request body is not valid JSON".into()),
            401 => ApiError::Unauthorized,
            404 => ApiError::RouteNotFound,
            405 => ApiError::MethodNotAllowed,
            408 => ApiError::Timeout,
            413 => ApiError::TooLarge,
            s if s < 500 => {
                return ErrorEnvelope {
                    code: "request.invalid".into(),
                    message: status.canonical_reason().unwrap_or("Bad request").into(),
                    details: None,
                    cause: None,
                }
            }
            _ => ApiError::Internal(format!("unhandled status {status}")),
        };
        error.envelope()
    }
}

impl ApiError {
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            code: self.code(),
            message: self.message(),
            details: self.details(),
            cause: match self {
                ApiError::Internal(cause) => Some(cause.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson(_) | ApiError::Business { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The body is written by `middleware::Correlation`, which knows the correlation id; the
    /// placeholder below only shows when a response escapes it.
    fn error_response(&self) -> HttpResponse {
        let envelope = self.envelope();
        let mut builder = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::StorageFull) {
            builder.insert_header((actix_web::http::header::RETRY_AFTER, STORAGE_RETRY_AFTER));
        }
        let mut response = builder.json(envelope.body(""));
        response.extensions_mut().insert(envelope);
        response
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the disk is full.
pub const STORAGE_RETRY_AFTER: &str = "30";

/// True when `e` is a UNIQUE (or primary key) constraint violation.
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Turns a unique violation into a 422 on `field`, at the call site that knows which field it is.
pub trait ResultExt<T> {
    fn on_unique(self, field: &str, message: &str) -> ApiResult<T>;
}

impl<T> ResultExt<T> for rusqlite::Result<T> {
    fn on_unique(self, field: &str, message: &str) -> ApiResult<T> {
        self.map_err(|e| {
            if is_unique_violation(&e) {
                ApiError::field(field, message)
            } else {
                e.into()
            }
        })
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        if crate::db::is_storage_full(&e) {
            return ApiError::StorageFull;
        }
        ApiError::Internal(format!("database: {e}"))
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Internal(format!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking task: {e}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(format!("json: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (
                ApiError::InvalidJson("x".into()),
                400,
                "request.invalid-json",
            ),
            (ApiError::Unauthorized, 401, "auth.unauthorized"),
            (ApiError::Forbidden("no"), 403, "auth.forbidden"),
            (
                ApiError::NotFound("donation-intent"),
                404,
                "donation-intent.not-found",
            ),
            (
                ApiError::MethodNotAllowed,
                405,
                "request.method-not-allowed",
            ),
            (ApiError::TooLarge, 413, "request.too-large"),
            (ApiError::field("amount", "bad"), 422, "validation.failed"),
            (ApiError::StorageFull, 507, "server.storage-full"),
            (ApiError::Internal("boom".into()), 500, "server.error"),
            (ApiError::ReadOnly, 503, "server.read-only"),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status_code().as_u16(), status);
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn not_found_message_is_readable_and_internal_is_generic() {
        assert_eq!(
            ApiError::NotFound("donation-intent").message(),
            "Donation intent not found"
        );
        let envelope = ApiError::Internal("secret cause".into()).envelope();
        assert!(!envelope.message.contains("secret"));
        assert_eq!(envelope.cause.as_deref(), Some("secret cause"));
    }
}

//! Credentials: API keys (organization), session secrets, and the admin token, as extractors.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every API key, so a leaked key is recognisable in logs and scanners.
pub const KEY_PREFIX: &str = "ia_sk_";
/// Characters of a key shown in listings (the prefix plus a few random ones).
pub const SHOWN_PREFIX_LEN: usize = 12;

/// `n` random characters of `[A-Za-z0-9]` from the OS-seeded CSPRNG (~5.95 bits each).
pub fn random_token(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A new API key: 40 random characters, about 238 bits.
pub fn new_api_key() -> String {
    format!("{KEY_PREFIX}{}", random_token(40))
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Constant-time comparison of two secrets.
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))
}

/// The organization an API key belongs to.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub org_id: String,
    pub key_id: String,
}

impl ApiKey {
    async fn authenticate(req: &HttpRequest) -> Result<ApiKey, ApiError> {
        let token = bearer(req).ok_or(ApiError::Unauthorized)?;
        let state = state(req)?;
        let key = state
            .keys
            .authenticate(&state.db, &state.clock, &token)
            .await?;
        // The request log files the request under this organization.
        req.extensions_mut()
            .insert(crate::request_log::Org(key.org_id.clone()));
        Ok(key)
    }
}

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { ApiKey::authenticate(&req).await })
    }
}

/// A caller of the session-secret endpoints: an API key, or the `X-Session-Secret` header (checked
/// against the session by the store, in constant time).
#[derive(Debug, Clone)]
pub enum SessionCaller {
    Key(ApiKey),
    Secret(String),
}

impl FromRequest for SessionCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if req.headers().contains_key("authorization") {
                return ApiKey::authenticate(&req).await.map(SessionCaller::Key);
            }
            match req
                .headers()
                .get("x-session-secret")
                .and_then(|v| v.to_str().ok())
            {
                Some(secret) if !secret.is_empty() => Ok(SessionCaller::Secret(secret.to_string())),
                _ => Err(ApiError::Unauthorized),
            }
        })
    }
}

/// The operator, holding the admin token.
#[derive(Debug, Clone)]
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = (|| {
            let token = bearer(req).ok_or(ApiError::Unauthorized)?;
            let state = state(req)?;
            if secrets_equal(&hash(&token), &state.admin_token_hash) {
                Ok(Admin)
            } else {
                Err(ApiError::Unauthorized)
            }
        })();
        std::future::ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_hashed() {
        let a = new_api_key();
        let b = new_api_key();
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX));
        assert_eq!(a.len(), KEY_PREFIX.len() + 40);
        assert_eq!(hash(&a).len(), 32);
        assert!(secrets_equal(&hash(&a), &hash(&a)));
        assert!(!secrets_equal(&hash(&a), &hash(&b)));
    }
}

//! One delivery attempt over HTTP: the signed request (Standard Webhooks headers, real-time
//! timestamp), the destination checks, and the first `RESPONSE_KEPT` bytes of the answer.

use super::destination::{describe, literal_host, refused, Guarded, REFUSED};
use super::{sign, Settings, PER_ENDPOINT, RESPONSE_KEPT};
use crate::store::attempts::{Outcome, Request};
use std::sync::Arc;
use std::time::Instant;

/// The worker's HTTP client: no redirects, no proxy, the timeout of the settings, and a resolver
/// that refuses forbidden destinations after DNS resolution.
pub(super) struct Sender {
    client: reqwest::Client,
    settings: Settings,
}

impl Sender {
    pub(super) fn new(settings: Settings) -> Result<Sender, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .pool_max_idle_per_host(PER_ENDPOINT)
            .user_agent(concat!("impactapi/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Guarded {
                block_private: settings.block_private,
            }))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        Ok(Sender { client, settings })
    }

    /// Makes one attempt: never fails, the outcome says how it went.
    pub(super) async fn send(&self, request: &Request, attempted_at: i64) -> Outcome {
        // Real time, even when the server clock is moved: receivers check it against theirs.
        let timestamp = chrono::Utc::now().timestamp();
        let secrets: Vec<&str> = request.secrets.iter().map(String::as_str).collect();
        let headers = [
            ("content-type", "application/json".to_string()),
            (
                "user-agent",
                concat!("impactapi/", env!("CARGO_PKG_VERSION")).to_string(),
            ),
            ("webhook-id", request.event_id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
            (
                "webhook-signature",
                sign::header(&secrets, &request.event_id, timestamp, &request.body),
            ),
        ];
        let request_headers = serde_json::to_string(
            &headers
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect::<serde_json::Map<_, _>>(),
        )
        .unwrap_or_default();
        let mut outcome = Outcome {
            attempted_at,
            status_code: None,
            duration_ms: 0,
            error: None,
            request_headers,
            response_body: None,
        };
        let url = match reqwest::Url::parse(&request.url) {
            Ok(url) => url,
            Err(e) => {
                outcome.error = Some(format!("invalid url: {e}"));
                return outcome;
            }
        };
        if literal_host(&url).is_some_and(|ip| refused(ip, self.settings.block_private)) {
            outcome.error = Some(REFUSED.into());
            return outcome;
        }
        let mut builder = self.client.post(url).body(request.body.clone());
        for (name, value) in &headers {
            builder = builder.header(*name, value);
        }
        let started = Instant::now();
        match builder.send().await {
            Ok(mut response) => {
                outcome.status_code = Some(response.status().as_u16());
                let mut kept: Vec<u8> = Vec::new();
                loop {
                    match response.chunk().await {
                        Ok(Some(chunk)) => {
                            let room = RESPONSE_KEPT - kept.len();
                            kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                            if kept.len() >= RESPONSE_KEPT {
                                break;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            outcome.error = Some(describe(&e, self.settings.timeout));
                            break;
                        }
                    }
                }
                outcome.response_body = Some(String::from_utf8_lossy(&kept).into_owned());
            }
            Err(e) => outcome.error = Some(describe(&e, self.settings.timeout)),
        }
        outcome.duration_ms = started.elapsed().as_millis() as i64;
        outcome
    }
}

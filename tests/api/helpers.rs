//! Test harness: the real application on port 0 with a temp-file database and a settable clock.

use impactapi::app::Application;
use impactapi::clock::Clock;
use impactapi::config::Config;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;

pub const API_KEY: &str = "ia_sk_testkey0000000000000000000000000001";
pub const ADMIN_TOKEN: &str = "ia_admin_testtoken000000000000000000001";

pub struct TestApp {
    pub address: String,
    pub clock: Clock,
    pub client: reqwest::Client,
    pub state: actix_web::web::Data<impactapi::state::AppState>,
    pub handle: actix_web::dev::ServerHandle,
    pub db_path: std::path::PathBuf,
    _dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application with the test key and admin token, time travel on, after `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("test.db");
    let mut config = Config::for_path(db_path.clone());
    config.serve.api_key = Some(API_KEY.into());
    config.serve.admin_token = Some(ADMIN_TOKEN.into());
    config.serve.time_travel = true;
    config.serve.workers = Some(1);
    tweak(&mut config);
    let clock = Clock::new();
    let app = Application::build(config, clock.clone()).expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        clock,
        client: reqwest::Client::new(),
        state,
        handle,
        db_path,
        _dir: dir,
    }
}

impl Drop for TestApp {
    /// Stops the server (its workers run on their own threads) when the test ends.
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request with the Sandbox API key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(API_KEY)
    }

    /// A request with the admin token.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.req(Method::GET, path).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.req(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.req(Method::PATCH, path)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.req(Method::PUT, path)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.req(Method::DELETE, path)
            .send()
            .await
            .expect("request")
    }

    /// Creates an organization through the admin API and returns (org id, its API key).
    pub async fn new_org(&self, name: &str) -> (String, String) {
        let org = json_ok(
            self.admin(Method::POST, "/admin/api/organizations")
                .json(&serde_json::json!({"name": name}))
                .send()
                .await
                .expect("request"),
            201,
        )
        .await;
        let id = org["data"]["id"].as_str().expect("org id").to_string();
        let key = org["data"]["api_key"]
            .as_str()
            .expect("api key")
            .to_string();
        (id, key)
    }

    /// Runs the expiry sweep now, as the background task would.
    pub async fn sweep(&self) -> usize {
        impactapi::sweeper::sweep(&self.state.db, &self.clock)
            .await
            .expect("sweep")
    }

    pub async fn create_session(&self, body: Value) -> Value {
        json_ok(self.post("/sessions", &body).await, 201).await["data"].clone()
    }

    /// Creates intents; returns the created list.
    pub async fn create_intents(&self, body: Value) -> Vec<Value> {
        json_ok(self.post("/donation_intents", &body).await, 201).await["data"]
            .as_array()
            .expect("array")
            .clone()
    }
}

/// Asserts the status and returns the JSON body.
#[track_caller]
pub fn check_status(status: StatusCode, expected: u16, body: &Value) {
    assert_eq!(status.as_u16(), expected, "unexpected status; body: {body}");
}

pub async fn json_ok(resp: Response, expected: u16) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON body");
    check_status(status, expected, &body);
    body
}

/// Asserts an error envelope with `status` and `code`, its correlation id matching the header.
pub async fn assert_error(resp: Response, status: u16, code: &str) -> Value {
    let got = resp.status().as_u16();
    let header = resp
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = resp.json().await.expect("JSON error body");
    assert_eq!(got, status, "status; body: {body}");
    assert_eq!(body["error"]["code"], code, "code; body: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message; body: {body}"
    );
    let id = body["error"]["correlation_id"]
        .as_str()
        .expect("correlation_id");
    assert_eq!(
        Some(id.to_string()),
        header,
        "correlation id in body and header"
    );
    body
}

/// The field paths of a 422 body.
pub fn fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

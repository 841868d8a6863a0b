//! impactapi: a self-hosted, single-binary implementation of the ImpactAPI donations API.

// The OpenAPI schemas are one large `json!` literal.
#![recursion_limit = "512"]

pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod fixtures;
pub mod idempotency;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod openapi_schemas;
pub mod openapi_webhooks;
pub mod pagination;
pub mod replica;
pub mod replication;
pub mod request_log;
pub mod state;
pub mod store;
pub mod sweeper;
pub mod validate;
pub mod webhooks;
pub mod widget;

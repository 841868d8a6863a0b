//! Integration tests: the real server on port 0 with a temp-file database per test.

mod admin;
mod contract;
mod contract_bounds;
mod directory;
mod durability;
mod foundation;
mod hardening;
mod helpers;
mod intents;
mod operations;
mod process;
mod read_replica;
mod reports;
mod sandbox;
mod session_rules;
mod sessions;
mod webhooks;
mod widget;

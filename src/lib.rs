//! impactapi: a self-hosted, single-binary implementation of the ImpactAPI donations API.

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
pub mod middleware;
pub mod pagination;
pub mod state;
pub mod store;
pub mod sweeper;
pub mod validate;

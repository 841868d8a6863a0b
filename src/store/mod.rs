//! SQL only: synchronous functions over a connection, knowing nothing of HTTP.

pub mod attempts;
pub mod campaigns;
pub mod daily;
pub mod directory;
pub mod events;
pub mod export;
pub mod fixtures;
pub mod intents;
pub mod orgs;
pub mod reports;
pub mod reset;
pub mod sessions;
pub mod statements;
pub mod totals;
pub mod webhooks;

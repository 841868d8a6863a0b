//! SQL only: synchronous functions over a connection, knowing nothing of HTTP.

pub mod campaigns;
pub mod directory;
pub mod intents;
pub mod orgs;
pub mod reports;
pub mod sessions;
pub mod totals;

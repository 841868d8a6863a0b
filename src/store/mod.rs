//! SQL only: synchronous functions over a connection, knowing nothing of HTTP.

pub mod campaigns;
pub mod orgs;

//! Integration tests: the real server on port 0 with a temp-file database per test.

mod foundation;
mod helpers;

//! What the writer counts for `/metrics`, and whether the disk was found full.

use std::sync::atomic::AtomicBool;

/// What the writer counts, for `/metrics`, and whether the disk was found full.
pub struct DbStats {
    pub write_jobs: prometheus::IntCounter,
    pub group_commits: prometheus::IntCounter,
    pub commit_seconds: prometheus::Histogram,
    /// Raised when a write fails because the disk is full; lowered by the next successful commit.
    pub storage_full: AtomicBool,
}

impl DbStats {
    pub(super) fn new() -> rusqlite::Result<DbStats> {
        let failed = |e: prometheus::Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
        Ok(DbStats {
            write_jobs: prometheus::IntCounter::new(
                "impactapi_db_write_jobs_total",
                "Write jobs run by the database writer (each in its own savepoint).",
            )
            .map_err(failed)?,
            group_commits: prometheus::IntCounter::new(
                "impactapi_db_group_commits_total",
                "Group commits: transactions committed by the writer, each holding one or more jobs.",
            )
            .map_err(failed)?,
            commit_seconds: prometheus::Histogram::with_opts(
                prometheus::HistogramOpts::new(
                    "impactapi_db_commit_duration_seconds",
                    "Time to commit one group (WAL frames and fsync).",
                )
                .buckets(vec![
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    1.0,
                ]),
            )
            .map_err(failed)?,
            storage_full: AtomicBool::new(false),
        })
    }
}

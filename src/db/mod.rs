//! The database: PRAGMAs per connection, schema migration, a read pool and one group-committing writer.
//!
//! SQLite runs one writer at a time, so writes are not spread over pooled connections that would
//! fight for the lock. They go to a single writer thread that takes every job waiting in its queue,
//! runs each inside its own SAVEPOINT of one transaction (a lone job needs none), commits once
//! (`synchronous=FULL`, so the commit is durable), and only then answers each caller. A job that fails rolls back its savepoint
//! alone; the others in the batch still commit. Reads run on a pool of `query_only` connections,
//! except the bounded ones (a row by its key, a party's kept totals), which run inline on the
//! calling thread over a `query_only` connection of that thread's own: handing a 20 µs read to the
//! blocking pool and back cost more than the read (futex wake-ups on both sides).

use crate::error::{ApiError, ApiResult};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
pub(crate) use writer::is_storage_full;
use writer::{exec, writer_loop, Done, Job, Msg, Summary};

pub mod follower;
mod migrate;
mod stats;
mod writer;

pub use migrate::migrate;
#[cfg(test)]
use migrate::migrate_to;
use migrate::MIGRATIONS;
pub use stats::DbStats;

#[cfg(test)]
mod tests;

/// The oldest SQLite this server runs on: 3.51.3 fixed the WAL-reset bug, in which two
/// connections writing or checkpointing at once (a second process, the CLI beside a running server,
/// Litestream's checkpointer) could corrupt the database.
pub const MIN_SQLITE: (i32, &str) = (3_051_003, "3.51.3");

/// Refuses a SQLite library older than [`MIN_SQLITE`], saying why. `version_number` is SQLite's
/// `X*1000000 + Y*1000 + Z`, as `sqlite3_libversion_number()` gives it.
pub fn check_library(version_number: i32, version: &str) -> Result<(), String> {
    if version_number >= MIN_SQLITE.0 {
        return Ok(());
    }
    Err(format!(
        "SQLite {version} is too old: impactapi needs {} or later. Older versions have the \
         WAL-reset corruption bug, which two connections writing or checkpointing at once (the CLI \
         beside a running server, Litestream's checkpointer) can trigger. Rebuild with the bundled \
         library (rusqlite's `bundled` feature).",
        MIN_SQLITE.1
    ))
}

/// [`check_library`] for the library this process is linked with.
pub fn check_linked_library() -> Result<(), String> {
    check_library(rusqlite::version_number(), rusqlite::version())
}

/// The most jobs one group commit takes.
const MAX_BATCH: usize = 512;
/// How often the writer logs its activity summary (debug level, target `impactapi::db`).
const SUMMARY_EVERY: Duration = Duration::from_secs(1);

/// Prepared statements each connection keeps (rusqlite's default of 16 is fewer than the distinct
/// queries the API runs, and a miss costs a parse).
const STATEMENT_CACHE: usize = 128;

/// How long a statement waits for a lock another connection or process holds (Litestream's
/// checkpoints, the CLI beside the server) before it fails: set on every connection.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Without the query-planner stability guarantee, SQLite (3.47+) lets the value bound to
    // `LIMIT ?` steer the plan, so rebinding it expires the statement: every cached paginated
    // query was parsed and planned again on every call. No plan here depends on a bound value
    // (no ANALYZE statistics, no LIKE).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -8000;",
    )?;
    Ok(())
}

/// Opens a read-write connection with the PRAGMAs, WAL, and the schema brought up to date.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "database is not in WAL mode");
    }
    migrate(&mut conn)?;
    conn.execute_batch(crate::replication::LITESTREAM_TABLES)?;
    Ok(conn)
}

/// r2d2 manager for read-only connections (a small hand-written manager keeps rusqlite current:
/// the `r2d2_sqlite` release pins an older rusqlite).
#[derive(Debug)]
pub struct ReadManager {
    path: PathBuf,
}

impl r2d2::ManageConnection for ReadManager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        conn.execute_batch("PRAGMA query_only = ON;")?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _conn: &mut Connection) -> bool {
        false
    }
}

/// A read transaction on cached `BEGIN` / `COMMIT` statements (parsed once per connection, not
/// per request). Dropped without `end` (a panic in the read), it rolls back, so the connection
/// goes back to the pool with no transaction open.
struct Snapshot<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> Snapshot<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Snapshot<'c>> {
        exec(conn, "BEGIN")?;
        Ok(Snapshot { conn, open: true })
    }

    fn end(mut self) -> rusqlite::Result<()> {
        exec(self.conn, "COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            let _ = exec(self.conn, "ROLLBACK");
        }
    }
}

/// Distinguishes the databases a process opens (tests run many), for the per-thread connections.
static NEXT_DB: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's read connection to each open database, by [`Db`] number; dropped with the
    /// thread (an actix worker lives as long as its server).
    static INLINE: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// Handle to the database, cheap to clone.
#[derive(Clone)]
pub struct Db {
    number: u64,
    pool: r2d2::Pool<ReadManager>,
    writer: mpsc::Sender<Msg>,
    writer_thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    /// Read transactions run, for the writer's activity summary.
    reads: Arc<AtomicU64>,
    stats: Arc<DbStats>,
    path: PathBuf,
    /// Set on a read replica (`serve --read-only`): every read goes through this gate, on its
    /// read-only connections (see `follower`), and there is no writer.
    replica: Option<Arc<follower::Gate>>,
    /// Notified after every group commit that kept something (the webhook worker waits on it).
    committed: Arc<tokio::sync::Notify>,
}

impl Db {
    /// Opens (and migrates) the database file, starts the writer thread and the read pool.
    pub fn open(path: &Path, readers: u32) -> rusqlite::Result<Db> {
        let conn = open(path)?;
        let (sender, receiver) = mpsc::channel::<Msg>();
        let reads = Arc::new(AtomicU64::new(0));
        let stats = Arc::new(DbStats::new()?);
        let summary = Summary::new(reads.clone(), stats.clone());
        let committed = Arc::new(tokio::sync::Notify::new());
        let on_commit = committed.clone();
        let thread = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || writer_loop(conn, receiver, summary, on_commit))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let pool = r2d2::Pool::builder()
            .max_size(readers.max(1))
            .min_idle(Some(1))
            .build(ReadManager {
                path: path.to_path_buf(),
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Db {
            number: NEXT_DB.fetch_add(1, Ordering::Relaxed),
            pool,
            writer: sender,
            writer_thread: Arc::new(Mutex::new(Some(thread))),
            reads,
            stats,
            path: path.to_path_buf(),
            replica: None,
            committed,
        })
    }

    /// A read replica's handle on a file another process keeps current: no writer thread, the
    /// gate's connections instead of the pool (the pool below is never used), and `write` answers
    /// [`ApiError::ReadOnly`].
    pub fn open_replica(path: &Path) -> Result<Db, String> {
        let gate = follower::Gate::start().map_err(|e| format!("cannot start: {e}"))?;
        let pool = r2d2::Pool::builder()
            .max_size(1)
            .min_idle(Some(0))
            .build_unchecked(ReadManager {
                path: path.to_path_buf(),
            });
        let (writer, _) = mpsc::channel::<Msg>();
        Ok(Db {
            number: NEXT_DB.fetch_add(1, Ordering::Relaxed),
            pool,
            writer,
            writer_thread: Arc::new(Mutex::new(None)),
            reads: Arc::new(AtomicU64::new(0)),
            stats: Arc::new(DbStats::new().map_err(|e| format!("cannot start: {e}"))?),
            path: path.to_path_buf(),
            replica: Some(gate),
            committed: Arc::new(tokio::sync::Notify::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer's counters, for `/metrics`.
    pub fn stats(&self) -> &DbStats {
        &self.stats
    }

    /// True since a write failed for a full disk, until a commit succeeds again.
    pub fn storage_full(&self) -> bool {
        self.stats.storage_full.load(Ordering::Relaxed)
    }

    /// True on a read replica.
    pub fn is_read_only(&self) -> bool {
        self.replica.is_some()
    }

    /// Notified after each commit that kept a write: a background worker waits on it instead of
    /// polling for what the commit made due.
    pub fn committed(&self) -> Arc<tokio::sync::Notify> {
        self.committed.clone()
    }

    /// Runs `f` on a pooled read connection, inside one read transaction (a consistent snapshot),
    /// off the async workers.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.reads.fetch_add(1, Ordering::Relaxed);
        if let Some(gate) = &self.replica {
            let (gate, path) = (gate.clone(), self.path.clone());
            return actix_web::web::block(move || gate.read(&path, f)).await?;
        }
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let conn = pool.get()?;
            let snapshot = Snapshot::begin(&conn)?;
            let out = f(&conn);
            snapshot.end()?;
            out
        })
        .await?
    }

    /// Runs `f` inside one read transaction on this thread's own connection, without leaving the
    /// thread. Only for reads of bounded cost (a row by its key, kept totals): an async worker
    /// serves other requests only once `f` returns. Anything that scans goes through [`Db::read`].
    /// `f` must not read inline again (the thread's connections are borrowed while it runs).
    pub fn read_inline<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        if let Some(gate) = &self.replica {
            self.reads.fetch_add(1, Ordering::Relaxed);
            return gate.read(&self.path, f);
        }
        self.on_own_connection(|conn| {
            let snapshot = Snapshot::begin(conn)?;
            let out = f(conn);
            snapshot.end()?;
            out
        })
    }

    /// [`Db::read_inline`] for a read of exactly one statement, which SQLite already runs as its
    /// own read transaction: no `BEGIN` / `COMMIT` around it.
    pub fn read_statement<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        if let Some(gate) = &self.replica {
            self.reads.fetch_add(1, Ordering::Relaxed);
            return gate.read(&self.path, f);
        }
        self.on_own_connection(f)
    }

    fn on_own_connection<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        INLINE.with(|cell| {
            let mut conns = cell.borrow_mut();
            let at = match conns.iter().position(|(n, _)| *n == self.number) {
                Some(at) => at,
                None => {
                    let manager = ReadManager {
                        path: self.path.clone(),
                    };
                    conns.push((self.number, r2d2::ManageConnection::connect(&manager)?));
                    conns.len() - 1
                }
            };
            f(&conns[at].1)
        })
    }

    /// Runs `f` in the writer's transaction (its own savepoint) and answers after the commit.
    /// An `Err` from `f` rolls back everything `f` wrote.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f, Msg::Job).await
    }

    async fn submit<T, F>(&self, f: F, kind: fn(Job) -> Msg) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.replica.is_some() {
            return Err(ApiError::ReadOnly);
        }
        let (sender, receiver) = oneshot::channel::<ApiResult<T>>();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            Done {
                keep: result.is_ok(),
                full: matches!(result, Err(ApiError::StorageFull)),
                answer: Box::new(move |commit_error| {
                    let result = match commit_error {
                        None => result,
                        Some(e) if e.storage_full => Err(ApiError::StorageFull),
                        Some(e) => Err(ApiError::Internal(e.message)),
                    };
                    let _ = sender.send(result);
                }),
            }
        });
        self.writer
            .send(kind(job))
            .map_err(|_| ApiError::Internal("database writer is stopped".into()))?;
        receiver
            .await
            .map_err(|_| ApiError::Internal("database writer dropped the job".into()))?
    }

    /// [`Db::write`] for background work (the webhook worker's records): it yields the writer to
    /// API jobs, waiting for a pause in them, or at most about `BACKGROUND_EVERY` under full load.
    pub async fn write_background<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(f, Msg::Background).await
    }

    /// Stops the writer after the jobs already queued, and waits for it: the database is closed.
    pub fn shutdown(&self) {
        let _ = self.writer.send(Msg::Stop);
        let handle = self.writer_thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

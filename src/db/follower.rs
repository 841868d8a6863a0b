//! Read-only access to a database that another process rewrites: the read replica
//! (`serve --read-only`) over a copy kept current by `litestream restore -f`.
//!
//! Litestream's follower does not write through SQLite: it writes the replicated pages straight
//! into the database file, under SQLite's own EXCLUSIVE file lock (the PENDING byte and the SHARED
//! range, by `fcntl`, waiting for them). Page 1 is rewritten only when a transaction changed it,
//! so SQLite's usual change detection (the file change counter, or the WAL index when the file is
//! in WAL mode, as a fresh restore is) does not see most updates, and a connection to a WAL-mode
//! file holds a SHARED lock for as long as it is open, which locks the follower out. The rules:
//!
//! - **Read-only opens** (`SQLITE_OPEN_READONLY`, no checkpoint on close): this process never
//!   writes the file, its journal mode or its WAL.
//! - **A gate the follower can get through**: every `DRAIN_EVERY`, the gate waits for the reads in
//!   flight, lets none start until they have ended, and closes every idle connection. With none
//!   open, this process holds no lock: the follower, already waiting for the lock (and holding
//!   PENDING, so that no new reader gets in first), applies its changes, and the next readers
//!   wait for it through `busy_timeout`. Connections live from one drain to the next only.
//! - **No page cached from one read transaction to the next**: each read starts by dropping the
//!   connection's page cache (`sqlite3_db_release_memory`). On a WAL-mode file that is belt and
//!   braces (an open connection keeps the follower out, so the file cannot change under it); on a
//!   rollback-mode file (Litestream's follower may mark page 1 so when it rewrites it) a connection holds
//!   SHARED only during a transaction, so the follower may write between two of them, unseen.

use super::{Snapshot, BUSY_TIMEOUT, MIGRATIONS};
use crate::error::ApiResult;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Duration;

/// How often the replica lets the follower in (it waits at most this long, plus the reads in
/// flight). Litestream's follower polls once a second by default.
const DRAIN_EVERY: Duration = Duration::from_millis(100);

/// Reads hold `lock` shared; the drain thread takes it exclusively for an instant, and closes the
/// idle connections meanwhile.
pub(super) struct Gate {
    lock: RwLock<()>,
    idle: Mutex<Vec<Connection>>,
}

impl Gate {
    /// A gate and its drain thread, which ends when the last handle to the gate is dropped.
    pub(super) fn start() -> std::io::Result<Arc<Gate>> {
        let gate = Arc::new(Gate {
            lock: RwLock::new(()),
            idle: Mutex::new(Vec::new()),
        });
        let weak: Weak<Gate> = Arc::downgrade(&gate);
        std::thread::Builder::new()
            .name("db-read-gate".into())
            .spawn(move || loop {
                std::thread::sleep(DRAIN_EVERY);
                match weak.upgrade() {
                    Some(gate) => gate.drain(),
                    None => break,
                }
            })?;
        Ok(gate)
    }

    /// Waits for the reads in flight, then closes every connection: this process holds no lock.
    fn drain(&self) {
        let _closed = self.lock.write().unwrap_or_else(PoisonError::into_inner);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Runs `f` in one read transaction, with no page cached from before it.
    pub(super) fn read<T>(
        &self,
        path: &Path,
        f: impl FnOnce(&Connection) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let _open = self.lock.read().unwrap_or_else(PoisonError::into_inner);
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(path)?,
        };
        conn.release_memory()?;
        let out = {
            let snapshot = Snapshot::begin(&conn)?;
            let out = f(&conn);
            snapshot.end()?;
            out
        };
        if conn.is_autocommit() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
        out
    }
}

/// A read-only connection that neither checkpoints nor changes the file.
pub fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.execute_batch(
        "PRAGMA query_only = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(conn)
}

/// Opens `path` read-only after checking that it is an impactapi database this version can serve
/// as it is (a replica never migrates). The error is a message for the operator.
pub fn open_replica(path: &Path) -> Result<Connection, String> {
    if !path.is_file() {
        return Err(format!(
            "{} does not exist: a read replica serves a copy another process keeps, e.g. \
             `litestream restore -f -o {} ...`; start it first (the file appears when its first \
             restore completes)",
            path.display(),
            path.display()
        ));
    }
    let fail = |e: rusqlite::Error| format!("cannot read {}: {e}", path.display());
    let conn = open_reader(path).map_err(fail)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    let expected = MIGRATIONS.len() as i64;
    if version != expected {
        return Err(format!(
            "{} is at schema version {version}, this impactapi serves version {expected}: run \
             the same impactapi version as the primary (a read replica never migrates)",
            path.display()
        ));
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::super::Db;
    use crate::error::ApiError;

    fn count(db: &Db) -> i64 {
        db.read_inline(|conn| Ok(conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?))
            .expect("read")
    }

    /// Every read sees the file as it is now (nothing cached from an earlier read), whichever
    /// journal mode the file is in, and the replica never writes.
    #[test]
    fn a_replica_reads_the_current_file_and_refuses_writes() {
        for mode in ["WAL", "DELETE"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("follower.db");
            let writer = rusqlite::Connection::open(&path).expect("open");
            writer
                .execute_batch(&format!(
                    "PRAGMA journal_mode = {mode}; CREATE TABLE t (x); INSERT INTO t VALUES (1);"
                ))
                .expect("setup");
            let replica = Db::open_replica(&path).expect("replica");
            assert!(replica.is_read_only());
            assert_eq!(count(&replica), 1);
            writer
                .execute("INSERT INTO t VALUES (2)", [])
                .expect("insert");
            assert_eq!(count(&replica), 2, "{mode}: the next read sees the change");
            let refused = actix_web::rt::System::new()
                .block_on(replica.write(|conn| Ok(conn.execute("DELETE FROM t", [])?)));
            assert!(matches!(refused, Err(ApiError::ReadOnly)));
            let inline_write = replica.read_inline(|conn| Ok(conn.execute("DELETE FROM t", [])?));
            assert!(
                inline_write.is_err(),
                "{mode}: a replica connection cannot write"
            );
            assert_eq!(count(&replica), 2);
        }
    }
}

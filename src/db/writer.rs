//! The writer thread: group commits of queued write jobs, each in its own savepoint.
//!
//! Background jobs (`Db::write_background`: the webhook worker's attempt records) yield to the
//! API's: they run in a pause between API jobs (none for `LULL`), and otherwise one per
//! `BACKGROUND_EVERY` at least, so that under full load the API keeps the writer and background
//! work waits, bounded, instead of lengthening every request's group commit.

use super::*;

/// The outcome of one job inside a group commit: whether to keep its savepoint, and how to answer
/// its caller once the commit's fate is known (`Some(error)` if the commit failed).
pub(super) struct Done {
    pub(super) keep: bool,
    /// The job failed because the disk is full.
    pub(super) full: bool,
    pub(super) answer: Box<dyn FnOnce(Option<CommitFailure>) + Send>,
}

/// Why a group commit failed, as told to every caller in it.
#[derive(Debug, Clone)]
pub(super) struct CommitFailure {
    pub(super) message: String,
    /// SQLite could not write because the disk is full (`SQLITE_FULL`).
    pub(super) storage_full: bool,
}

impl CommitFailure {
    fn new(what: &str, e: &rusqlite::Error) -> CommitFailure {
        CommitFailure {
            message: format!("{what}: {e}"),
            storage_full: is_storage_full(e),
        }
    }
}

pub(super) type Job = Box<dyn FnOnce(&Connection) -> Done + Send>;

pub(super) enum Msg {
    Job(Job),
    Background(Job),
    Stop,
}

/// A pause in API jobs this long lets a background job run.
const LULL: Duration = Duration::from_millis(2);
/// Under constant API load, a background job still runs this often.
const BACKGROUND_EVERY: Duration = Duration::from_millis(100);

/// Background jobs waiting, and when the writer last ran one or saw an API job.
struct Background {
    waiting: std::collections::VecDeque<Job>,
    last_run: Instant,
    last_api_job: Instant,
}

impl Background {
    /// How long the writer may wait for an API job before a background job is due; `None` when
    /// none waits.
    fn due_in(&self) -> Option<Duration> {
        if self.waiting.is_empty() {
            return None;
        }
        let lull = LULL.saturating_sub(self.last_api_job.elapsed());
        let overdue = BACKGROUND_EVERY.saturating_sub(self.last_run.elapsed());
        Some(lull.min(overdue))
    }

    fn take(&mut self) -> Option<Job> {
        let job = self.waiting.pop_front()?;
        self.last_run = Instant::now();
        Some(job)
    }
}

/// What the writer did since its last summary: read transactions (counted by `Db::read`), write
/// jobs, group commits, the largest one, and the time spent running jobs and committing. Logged
/// at debug level at most once per `SUMMARY_EVERY`, and only when something happened, so that
/// batching can be checked under load.
pub(super) struct Summary {
    reads: Arc<AtomicU64>,
    stats: Arc<DbStats>,
    jobs: u64,
    batches: u64,
    max_batch: usize,
    run: Duration,
    commit: Duration,
    since: Instant,
}

impl Summary {
    pub(super) fn new(reads: Arc<AtomicU64>, stats: Arc<DbStats>) -> Summary {
        Summary {
            reads,
            stats,
            jobs: 0,
            batches: 0,
            max_batch: 0,
            run: Duration::ZERO,
            commit: Duration::ZERO,
            since: Instant::now(),
        }
    }

    fn batch(&mut self, jobs: usize, timing: BatchTiming) {
        self.jobs += jobs as u64;
        self.batches += 1;
        self.max_batch = self.max_batch.max(jobs);
        self.run += timing.run;
        self.commit += timing.commit;
    }

    fn log_if_due(&mut self) {
        if self.since.elapsed() < SUMMARY_EVERY {
            return;
        }
        let reads = self.reads.swap(0, Ordering::Relaxed);
        if reads > 0 || self.batches > 0 {
            tracing::debug!(
                "database activity: reads={reads} jobs={} batches={} max_batch={} run_ms={} commit_ms={}",
                self.jobs,
                self.batches,
                self.max_batch,
                self.run.as_millis(),
                self.commit.as_millis()
            );
        }
        (self.jobs, self.batches, self.max_batch) = (0, 0, 0);
        (self.run, self.commit) = (Duration::ZERO, Duration::ZERO);
        self.since = Instant::now();
    }
}

pub(super) fn writer_loop(
    conn: Connection,
    receiver: mpsc::Receiver<Msg>,
    mut summary: Summary,
    committed: Arc<tokio::sync::Notify>,
) {
    let mut stop = false;
    let mut background = Background {
        waiting: std::collections::VecDeque::new(),
        last_run: Instant::now(),
        last_api_job: Instant::now(),
    };
    while !stop {
        let mut batch: Vec<Job> = Vec::new();
        let wait = background.due_in().unwrap_or(SUMMARY_EVERY);
        match receiver.recv_timeout(wait) {
            Ok(Msg::Job(job)) => batch.push(job),
            Ok(Msg::Background(job)) => background.waiting.push_back(job),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(Msg::Job(job)) => batch.push(job),
                Ok(Msg::Background(job)) => background.waiting.push_back(job),
                Ok(Msg::Stop) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            background.last_api_job = Instant::now();
        }
        if background.due_in() == Some(Duration::ZERO) {
            batch.extend(background.take());
        }
        if batch.is_empty() {
            summary.log_if_due();
            continue;
        }
        let jobs = batch.len();
        let (timing, kept) = run_batch(&conn, batch, &summary.stats);
        if kept {
            committed.notify_one();
        }
        summary.batch(jobs, timing);
        summary.log_if_due();
    }
    // Background jobs still waiting at a stop are run, each in its own commit.
    while let Some(job) = background.take() {
        run_batch(&conn, vec![job], &summary.stats);
    }
    tracing::info!("database writer stopped");
}

/// Where a group commit's time went: running its jobs, and committing (the fsync).
#[derive(Default)]
pub(super) struct BatchTiming {
    run: Duration,
    commit: Duration,
}

/// Runs a transaction-control statement, prepared once per connection and cached.
pub(super) fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Runs every job of `batch` in one IMMEDIATE transaction, each in its own savepoint (a lone job
/// needs none: the transaction is its savepoint), commits once, then answers the callers whose
/// jobs succeeded and were kept; also says whether a commit kept anything. If a savepoint cannot be released or rolled back, the state of
/// the transaction is unknown: everything is rolled back and every caller told so.
///
/// The counters of `stats` move before any caller is answered. Its `storage_full` is raised when a
/// job or the commit fails because the disk is full, and lowered by the next commit that succeeds.
pub(super) fn run_batch(
    conn: &Connection,
    batch: Vec<Job>,
    stats: &DbStats,
) -> (BatchTiming, bool) {
    let storage_full = &stats.storage_full;
    stats.write_jobs.inc_by(batch.len() as u64);
    let started = Instant::now();
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "could not begin write transaction");
        let failure = CommitFailure::new("could not begin write transaction", &e);
        if failure.storage_full {
            storage_full.store(true, Ordering::Relaxed);
        }
        // Dropping the jobs drops their senders: each caller gets an internal error.
        return (BatchTiming::default(), false);
    }
    let isolate = batch.len() > 1;
    let mut answers = Vec::with_capacity(batch.len());
    let mut kept = false;
    let mut full = false;
    let mut broken: Option<CommitFailure> = None;
    for job in batch {
        if isolate {
            if let Err(e) = exec(conn, "SAVEPOINT job") {
                broken = Some(CommitFailure::new("could not open savepoint", &e));
                break;
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| job(conn)));
        let keep = matches!(&outcome, Ok(done) if done.keep);
        if isolate {
            let end = if keep {
                exec(conn, "RELEASE job")
            } else {
                exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
            };
            if let Err(e) = end {
                broken = Some(CommitFailure::new("could not end savepoint", &e));
            }
        }
        kept |= keep;
        full |= matches!(&outcome, Ok(done) if done.full);
        match outcome {
            Ok(done) => answers.push(done.answer),
            Err(_) => tracing::error!("a write job panicked; its writes were rolled back"),
        }
        if broken.is_some() {
            break;
        }
    }
    let committing = Instant::now();
    let commit_error = match broken {
        Some(e) => Some(e),
        // Nothing to keep (a lone job that failed): roll back instead of an empty commit.
        None if !kept => exec(conn, "ROLLBACK")
            .err()
            .map(|e| CommitFailure::new("rollback failed", &e)),
        None => exec(conn, "COMMIT")
            .err()
            .map(|e| CommitFailure::new("commit failed", &e)),
    };
    let committed = kept && commit_error.is_none();
    if commit_error.as_ref().is_some_and(|f| f.storage_full) || (full && !committed) {
        if !storage_full.swap(true, Ordering::Relaxed) {
            tracing::error!("the disk is full: writes answer 507 until space is freed");
        }
    } else if committed && storage_full.swap(false, Ordering::Relaxed) {
        tracing::warn!("writes succeed again: storage is no longer full");
    }
    if commit_error.is_some() && !conn.is_autocommit() {
        if let Err(e) = exec(conn, "ROLLBACK") {
            tracing::error!(error = %e, "could not roll back a failed group commit");
        }
    }
    let timing = BatchTiming {
        run: committing - started,
        commit: committing.elapsed(),
    };
    if let Some(e) = &commit_error {
        tracing::error!(error = %e.message, "group commit failed");
    }
    if committed {
        stats.group_commits.inc();
        stats.commit_seconds.observe(timing.commit.as_secs_f64());
    }
    for answer in answers {
        answer(commit_error.clone());
    }
    (timing, committed)
}

/// True when SQLite failed because the disk (or the file system's quota) is full.
pub(crate) fn is_storage_full(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> Job {
        Box::new(|_| Done {
            keep: true,
            full: false,
            answer: Box::new(|_| {}),
        })
    }

    fn background(api_job_ago: Duration, run_ago: Duration, waiting: usize) -> Background {
        let now = Instant::now();
        Background {
            waiting: (0..waiting).map(|_| job()).collect(),
            last_run: now - run_ago,
            last_api_job: now - api_job_ago,
        }
    }

    #[test]
    fn background_jobs_wait_for_a_lull_or_their_turn() {
        let ms = Duration::from_millis;
        assert!(background(ms(0), ms(0), 0).due_in().is_none(), "none waits");
        let busy = background(ms(0), ms(0), 1).due_in().expect("one waits");
        assert!(busy > Duration::ZERO, "API jobs just ran: it waits");
        assert_eq!(
            background(LULL + ms(1), ms(0), 1).due_in(),
            Some(Duration::ZERO),
            "a pause in API jobs lets it run"
        );
        assert_eq!(
            background(ms(0), BACKGROUND_EVERY + ms(1), 1).due_in(),
            Some(Duration::ZERO),
            "under constant API load it still runs once per BACKGROUND_EVERY"
        );
        let mut b = background(ms(0), BACKGROUND_EVERY + ms(1), 2);
        assert!(b.take().is_some());
        assert!(
            b.due_in().expect("one left") > Duration::ZERO,
            "one at a time under load"
        );
    }
}

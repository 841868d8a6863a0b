//! The command line: `serve` (the default) and the management commands; every flag is also an
//! `IMPACTAPI_*` environment variable.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "impactapi",
    version,
    about = "Self-hosted ImpactAPI donations server"
)]
pub struct Cli {
    /// SQLite database file (created on first start).
    #[arg(
        long,
        env = "IMPACTAPI_DB",
        default_value = "impactapi.db",
        global = true
    )]
    pub db: PathBuf,

    /// Print machine-readable JSON instead of text (management commands).
    #[arg(long, global = true)]
    pub json: bool,

    /// Log format on stderr: `text` (colours only on a terminal) or `json` (one object per line).
    #[arg(long, env = "IMPACTAPI_LOG_FORMAT", global = true, value_enum,
          default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "IMPACTAPI_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Admin token for /admin (replaces the stored one); generated and printed on first start if unset.
    #[arg(
        long,
        env = "IMPACTAPI_ADMIN_TOKEN",
        global = true,
        hide_env_values = true,
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub admin_token: Option<String>,

    /// An API key the Sandbox organization must have (added if missing).
    #[arg(long, env = "IMPACTAPI_API_KEY", global = true, hide_env_values = true,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub api_key: Option<String>,

    /// Seconds between expiry sweeps.
    #[arg(long, env = "IMPACTAPI_SWEEP_INTERVAL", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub sweep_interval: u64,

    /// Comma-separated origins allowed to call the API-key endpoints from a browser.
    #[arg(
        long,
        env = "IMPACTAPI_CORS_ORIGINS",
        default_value = "",
        global = true
    )]
    pub cors_origins: String,

    /// Enable the sandbox clock endpoints (/admin/api/clock).
    #[arg(long, env = "IMPACTAPI_TIME_TRAVEL", global = true,
          value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub time_travel: bool,

    /// Seconds a client has to send a request's head, and again its body (slow clients are cut off).
    #[arg(long, env = "IMPACTAPI_REQUEST_TIMEOUT", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub request_timeout: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "IMPACTAPI_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Keep Prometheus metrics and serve them at /metrics (`--metrics=false` turns both off).
    #[arg(long, env = "IMPACTAPI_METRICS", global = true,
          value_parser = clap::builder::BoolishValueParser::new(), default_value_t = true,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub metrics: bool,

    /// Serve /metrics without the admin token (for a scraper on a trusted network).
    #[arg(long, env = "IMPACTAPI_METRICS_PUBLIC", global = true,
          value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub metrics_public: bool,

    /// Serve reads only, from a database another process keeps current (a read replica over
    /// `litestream restore -f`): every write answers 503 `server.read-only`.
    #[arg(long, env = "IMPACTAPI_READ_ONLY", global = true,
          value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub read_only: bool,

    /// API requests kept per organization in the in-memory request log (0 turns it off).
    #[arg(long, env = "IMPACTAPI_REQUEST_LOG", global = true,
          default_value_t = crate::request_log::DEFAULT_CAPACITY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=100_000))]
    pub request_log: usize,

    /// Webhook retry delays in whole seconds after the first attempt, comma-separated (default:
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h with ±20% jitter).
    #[arg(long, env = "IMPACTAPI_WEBHOOK_RETRY_SCHEDULE", global = true)]
    pub webhook_retry_schedule: Option<crate::webhooks::RetrySchedule>,

    /// Seconds a webhook receiver has to answer.
    #[arg(long, env = "IMPACTAPI_WEBHOOK_TIMEOUT", default_value_t = 15, global = true,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub webhook_timeout: u64,

    /// Refuse webhook destinations on loopback and private networks too (link-local and cloud
    /// metadata addresses are always refused).
    #[arg(long, env = "IMPACTAPI_WEBHOOK_BLOCK_PRIVATE", global = true,
          value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub webhook_block_private: bool,

    /// Nice value of the webhook delivery thread, 0 (the API's priority) to 19: how far deliveries
    /// yield the CPU to API requests when both want it.
    #[arg(long, env = "IMPACTAPI_WEBHOOK_NICE", global = true,
          default_value_t = crate::webhooks::DEFAULT_NICE,
          value_parser = clap::value_parser!(i32).range(0..=19))]
    pub webhook_nice: i32,
}

impl ServeArgs {
    pub fn cors_origin_list(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// How the webhook worker delivers, from the `--webhook-*` flags.
    pub fn webhook_settings(&self) -> crate::webhooks::Settings {
        let mut settings = crate::webhooks::Settings {
            timeout: std::time::Duration::from_secs(self.webhook_timeout),
            block_private: self.webhook_block_private,
            nice: self.webhook_nice,
            ..crate::webhooks::Settings::default()
        };
        if let Some(schedule) = &self.webhook_retry_schedule {
            settings.schedule = schedule.0.clone();
            settings.jitter = false;
        }
        settings
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Manage organizations.
    #[command(subcommand)]
    Orgs(OrgsCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Import or export the campaign catalog.
    #[command(subcommand)]
    Campaigns(CampaignsCommand),
    /// Write a consistent copy of the database to DEST while the server runs.
    Backup { dest: PathBuf },
    /// Rebuild the database file (--db, which must not exist) from a Litestream replica.
    Restore(RestoreArgs),
    /// Export, load or generate an organization's data (the developer sandbox).
    #[command(subcommand)]
    Fixtures(FixturesCommand),
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The litestream.yml that replicates the database, or a replica URL (s3://..., file://...).
    #[arg(long, value_name = "CONFIG")]
    pub from: PathBuf,

    /// The litestream executable (default: `litestream` on PATH).
    #[arg(long, env = "IMPACTAPI_LITESTREAM", value_name = "PATH")]
    pub litestream: Option<PathBuf>,

    /// Succeed without restoring when the replica holds no backup yet (a first deployment).
    #[arg(long)]
    pub if_replica_exists: bool,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Create an organization and its first API key.
    Create { name: String },
    /// List organizations.
    List,
    /// Delete an organization's customers, vendors, sessions and donation intents (keys stay).
    Reset { id: String },
}

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Print the organization's data as a fixture file (JSON) on stdout.
    Export {
        #[arg(long)]
        org: String,
    },
    /// Load a fixture file into the organization, all or nothing; `-` reads stdin.
    Load {
        #[arg(long)]
        org: String,
        file: PathBuf,
    },
    /// Generate a realistic history: customers, vendors, sessions in every status, intents.
    Demo {
        #[arg(long)]
        org: String,
        /// How many customers to create.
        #[arg(long, default_value_t = 25,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
        customers: usize,
        /// How many days of history, ending now.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// Seed for the generator (the same seed, the same history).
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key for an organization.
    Create {
        #[arg(long)]
        org: String,
    },
    /// Revoke an API key by its id.
    Revoke { key_id: String },
}

#[derive(Debug, Subcommand)]
pub enum CampaignsCommand {
    /// Upsert campaigns (by identifier) from a JSON array of Campaign objects; `-` reads stdin.
    Import { file: PathBuf },
    /// Print every campaign as a JSON array.
    Export,
}

/// What `Application::build` needs: the serve flags plus the database path.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    pub serve: ServeArgs,
}

impl Config {
    /// A configuration for tests and tools: the given database, an ephemeral port, defaults otherwise.
    pub fn for_path(db: PathBuf) -> Config {
        Config {
            db,
            serve: ServeArgs {
                bind: "127.0.0.1:0".into(),
                admin_token: None,
                api_key: None,
                sweep_interval: 30,
                cors_origins: String::new(),
                time_travel: false,
                request_timeout: 10,
                workers: None,
                metrics: true,
                metrics_public: false,
                read_only: false,
                request_log: crate::request_log::DEFAULT_CAPACITY,
                webhook_retry_schedule: None,
                webhook_timeout: 15,
                webhook_block_private: false,
                webhook_nice: crate::webhooks::DEFAULT_NICE,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_go_before_or_after_the_subcommand() {
        let cli = Cli::try_parse_from(["impactapi", "--time-travel", "serve", "--db", "x.db"])
            .expect("parses");
        assert!(cli.serve.time_travel);
        assert!(matches!(cli.command, Some(Command::Serve)));
        assert_eq!(cli.db, std::path::Path::new("x.db"));
        let cli = Cli::try_parse_from([
            "impactapi",
            "--db",
            "y.db",
            "orgs",
            "create",
            "Acme",
            "--json",
        ])
        .expect("parses");
        assert!(cli.json && cli.db == std::path::Path::new("y.db"));
        let cli = Cli::try_parse_from(["impactapi", "--time-travel=false"]).expect("parses");
        assert!(!cli.serve.time_travel);
    }

    #[test]
    fn empty_credentials_are_refused() {
        assert!(Cli::try_parse_from(["impactapi", "--admin-token", ""]).is_err());
        assert!(Cli::try_parse_from(["impactapi", "--api-key", ""]).is_err());
    }
}

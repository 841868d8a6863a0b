//! The `impactapi` executable: parse the command line, start logging, serve or run a command.

use clap::Parser;
use impactapi::app::Application;
use impactapi::clock::Clock;
use impactapi::config::{Cli, Command, Config, LogFormat};
use std::io::IsTerminal;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    if let Err(message) = impactapi::db::check_linked_library() {
        eprintln!("impactapi: {message}");
        return std::process::ExitCode::FAILURE;
    }
    let result = match cli.command {
        None | Some(Command::Serve) => serve(Config {
            db: cli.db,
            serve: cli.serve,
        }),
        Some(command) => impactapi::cli::run(&cli.db, cli.json, command),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("impactapi: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config.clone(), Clock::new())?;
        tracing::info!(bind = %config.serve.bind, port = app.port(), db = %config.db.display(), "serving");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// Logs to stderr: `IMPACTAPI_LOG` filters (default `info`); text carries colour codes only when
/// stderr is a terminal, JSON is one object per line with the event's fields at the top level.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("IMPACTAPI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
    }
}

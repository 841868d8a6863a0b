//! The `impactapi` executable: parse the command line, start logging, serve or run a command.

use clap::Parser;
use impactapi::app::Application;
use impactapi::clock::Clock;
use impactapi::config::{Cli, Command, Config};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IMPACTAPI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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

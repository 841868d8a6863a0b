//! `Application::build(config)`: the database, first start, the HTTP server and the sweeper, used by
//! `main` and by the integration tests alike.

use crate::bootstrap::{banner, bootstrap, Started};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::extract::BODY_LIMIT;
use crate::middleware::{outermost, CorsPolicy};
use crate::request_log::RequestLog;
use crate::state::{AppState, CatalogCache, KeyCache};
use crate::sweeper::Sweeper;
use actix_web::dev::Server;
use actix_web::{middleware::from_fn, web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

pub struct Application {
    port: u16,
    server: Server,
    pub state: web::Data<AppState>,
    pub started: Started,
    sweep_every: Duration,
}

impl Application {
    /// Opens the database (creating and bootstrapping it if new), binds the listener, and builds
    /// the server. Nothing is served until `run`.
    pub fn build(config: Config, clock: Clock) -> Result<Application, String> {
        // Bind first: a start that cannot listen must not create credentials it never shows.
        let listener = TcpListener::bind(&config.serve.bind).map_err(|e| {
            format!(
                "cannot listen on {} (IMPACTAPI_BIND): {e}",
                config.serve.bind
            )
        })?;
        let workers = config
            .serve
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let (started, db) = if config.serve.read_only {
            crate::replica::start(&config)?
        } else {
            let mut conn = crate::db::open(&config.db)
                .map_err(|e| format!("cannot open database {}: {e}", config.db.display()))?;
            let started = bootstrap(
                &mut conn,
                config.serve.api_key.as_deref(),
                config.serve.admin_token.as_deref(),
                clock.now_micros(),
            )
            .map_err(|e| format!("cannot initialize database: {e}"))?;
            drop(conn);
            let db = Db::open(&config.db, (workers as u32 * 2).max(4))
                .map_err(|e| format!("cannot open database: {e}"))?;
            (started, db)
        };
        let metrics = if config.serve.metrics {
            let metrics = crate::metrics::Metrics::new(&db, config.serve.metrics_public)
                .map_err(|e| format!("cannot set up metrics: {e}"))?;
            Some(Arc::new(metrics))
        } else {
            None
        };
        let state = web::Data::new(AppState {
            db,
            clock,
            catalog: CatalogCache::default(),
            keys: KeyCache::default(),
            admin_token_hash: started.admin_token_hash.clone(),
            time_travel: config.serve.time_travel,
            sandbox_org_id: started.sandbox_org_id.clone(),
            metrics,
            webhooks: config.serve.webhook_settings(),
            webhook_cursors: crate::webhooks::FreshCursors::default(),
        });

        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let cors = web::Data::new(CorsPolicy {
            origins: Arc::new(config.serve.cors_origin_list()),
        });
        let app_state = state.clone();
        let in_flight = web::Data::new(crate::idempotency::InFlight::default());
        let request_log = web::Data::new(RequestLog::new(config.serve.request_log));
        let request_timeout = Duration::from_secs(config.serve.request_timeout);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(cors.clone())
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .app_data(crate::extract::BodyTimeout(request_timeout))
                .app_data(in_flight.clone())
                .app_data(request_log.clone())
                .configure(crate::api::configure)
                .wrap(from_fn(crate::idempotency::idempotency))
                .wrap(from_fn(crate::replica::refuse_writes))
                .wrap(from_fn(outermost))
                .wrap(from_fn(crate::request_log::record))
        })
        .workers(workers)
        .client_request_timeout(request_timeout)
        .client_disconnect_timeout(Duration::from_secs(2))
        .keep_alive(Duration::from_secs(30))
        .shutdown_timeout(30)
        .disable_signals()
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        if let Some(text) = banner(&started, &config.serve.bind) {
            println!("{text}");
        }
        Ok(Application {
            port,
            server,
            state,
            started,
            sweep_every: Duration::from_secs(config.serve.sweep_interval),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM (or the server is stopped through its handle): stops accepting,
    /// lets in-flight requests finish, stops the sweeper, closes the database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // A read replica writes nothing: no sweeper, no webhook deliveries (SPEC 14).
        let read_only = self.state.db.is_read_only();
        let sweeper = (!read_only).then(|| {
            Sweeper::spawn(
                self.state.db.clone(),
                self.state.clock.clone(),
                self.sweep_every,
            )
        });
        // The webhook delivery worker (SPEC 11), also a writer: not on a read replica.
        let deliveries = if read_only {
            None
        } else {
            let worker = crate::webhooks::worker::Worker::new(
                self.state.db.clone(),
                self.state.clock.clone(),
                self.state.webhooks.clone(),
                self.state
                    .metrics
                    .as_ref()
                    .map(|m| m.webhook_deliveries.clone()),
                self.state.webhook_cursors.clone(),
            )
            .map_err(std::io::Error::other)?;
            Some(worker.spawn()?)
        };
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        let result = self.server.await;
        if let Some(sweeper) = sweeper {
            sweeper.stop().await;
        }
        if let Some(deliveries) = deliveries {
            deliveries.stop().await;
        }
        self.state.db.shutdown();
        tracing::info!("stopped");
        result
    }

    /// The server's handle, for tests that stop it.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

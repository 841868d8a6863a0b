//! Shared application state: the database, the clock, and the in-memory caches in front of them.

use crate::auth::{hash, ApiKey};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::store::campaigns::{self, Campaign};
use rusqlite::OptionalExtension;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long cached catalog and key lookups are trusted. Changes made through the admin API
/// invalidate at once; changes made by the CLI on the same file are seen within this time.
pub const CACHE_TTL: Duration = Duration::from_millis(500);
/// A key's `last_used_at` is written at most this often.
const LAST_USE_EVERY: Duration = Duration::from_secs(60);

pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub catalog: CatalogCache,
    pub keys: KeyCache,
    pub admin_token_hash: Vec<u8>,
    pub time_travel: bool,
    /// The organization the demo checkout works in.
    pub sandbox_org_id: String,
    /// `None` with `--metrics=false`.
    pub metrics: Option<Arc<crate::metrics::Metrics>>,
    /// How webhooks are delivered (`--webhook-*`); endpoint urls are checked against it.
    pub webhooks: crate::webhooks::Settings,
    /// Where the delivery worker reads fresh deliveries from (the metrics count those above).
    pub webhook_cursors: crate::webhooks::FreshCursors,
}

/// Every campaign (active or not), ordered by name, with an index by identifier.
#[derive(Debug, Default)]
pub struct Catalog {
    pub campaigns: Vec<Campaign>,
    by_identifier: HashMap<String, usize>,
}

impl Catalog {
    pub fn new(campaigns: Vec<Campaign>) -> Catalog {
        let by_identifier = campaigns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.identifier.clone(), i))
            .collect();
        Catalog {
            campaigns,
            by_identifier,
        }
    }

    pub fn get(&self, identifier: &str) -> Option<&Campaign> {
        self.by_identifier
            .get(identifier)
            .map(|&i| &self.campaigns[i])
    }

    /// A campaign that donations can go to now.
    pub fn active(&self, identifier: &str) -> Option<&Campaign> {
        self.get(identifier).filter(|c| c.active)
    }
}

/// The catalog, read from the database at most once per `CACHE_TTL`: `GET /campaigns` and every
/// impact computation are served from memory.
#[derive(Default)]
pub struct CatalogCache {
    inner: RwLock<Option<(Instant, Arc<Catalog>)>>,
}

impl CatalogCache {
    pub async fn get(&self, db: &Db) -> ApiResult<Arc<Catalog>> {
        if let Ok(guard) = self.inner.read() {
            if let Some((at, catalog)) = guard.as_ref() {
                if at.elapsed() < CACHE_TTL {
                    return Ok(catalog.clone());
                }
            }
        }
        let campaigns = db.read(|conn| Ok(campaigns::list(conn, false)?)).await?;
        let catalog = Arc::new(Catalog::new(campaigns));
        if let Ok(mut guard) = self.inner.write() {
            *guard = Some((Instant::now(), catalog.clone()));
        }
        Ok(catalog)
    }

    pub fn invalidate(&self) {
        if let Ok(mut guard) = self.inner.write() {
            *guard = None;
        }
    }
}

struct CachedKey {
    key: ApiKey,
    checked_at: Instant,
    last_use_written: Option<Instant>,
}

/// Valid API keys by hash, re-checked against the database after `CACHE_TTL`.
#[derive(Default)]
pub struct KeyCache {
    inner: Mutex<HashMap<Vec<u8>, CachedKey>>,
}

impl KeyCache {
    pub async fn authenticate(&self, db: &Db, clock: &Clock, token: &str) -> ApiResult<ApiKey> {
        let digest = hash(token);
        let mut record_use = false;
        if let Ok(mut map) = self.inner.lock() {
            if let Some(entry) = map.get_mut(&digest) {
                if entry.checked_at.elapsed() < CACHE_TTL {
                    if entry
                        .last_use_written
                        .is_none_or(|t| t.elapsed() >= LAST_USE_EVERY)
                    {
                        entry.last_use_written = Some(Instant::now());
                        record_use = true;
                    }
                    let key = entry.key.clone();
                    drop(map);
                    if record_use {
                        self.record_use(db, clock, &key);
                    }
                    return Ok(key);
                }
            }
        }
        let lookup = digest.clone();
        let found = db.read_statement(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT id, org_id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
                )?
                .query_row([&lookup], |r| {
                    Ok(ApiKey {
                        key_id: r.get(0)?,
                        org_id: r.get(1)?,
                    })
                })
                .optional()?)
        })?;
        let key = match found {
            Some(key) => key,
            None => {
                if let Ok(mut map) = self.inner.lock() {
                    map.remove(&digest);
                }
                return Err(ApiError::Unauthorized);
            }
        };
        if let Ok(mut map) = self.inner.lock() {
            let previous = map.get(&digest).and_then(|e| e.last_use_written);
            record_use = previous.is_none_or(|t| t.elapsed() >= LAST_USE_EVERY);
            let last_use_written = if record_use {
                Some(Instant::now())
            } else {
                previous
            };
            map.insert(
                digest,
                CachedKey {
                    key: key.clone(),
                    checked_at: Instant::now(),
                    last_use_written,
                },
            );
        }
        if record_use {
            self.record_use(db, clock, &key);
        }
        Ok(key)
    }

    /// Forgets every cached key (after a revocation through the admin API).
    pub fn invalidate(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.clear();
        }
    }

    fn record_use(&self, db: &Db, clock: &Clock, key: &ApiKey) {
        if db.is_read_only() {
            return; // a read replica writes nothing; the primary records its own key uses
        }
        let db = db.clone();
        let key_id = key.key_id.clone();
        let now = clock.now_micros();
        actix_web::rt::spawn(async move {
            let result = db
                .write(move |conn| {
                    conn.execute(
                        "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2",
                        rusqlite::params![now, key_id],
                    )?;
                    Ok(())
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not record API key use");
            }
        });
    }
}

//! The read replica (`serve --read-only`, SPEC 14): serves every GET from a database another
//! process keeps current (`litestream restore -f`), and writes nothing. Its start reads what a
//! primary stored (no bootstrap, no migration); every write answers 503 `server.read-only`; the
//! sweeper, API-key use stamps and webhook deliveries do not run. How reads stay correct while the
//! follower rewrites the file is in `db::follower`.

use crate::bootstrap::{read_only, Started};
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};

/// Opens the replica's database read-only, checks it, and reads what the server needs.
pub fn start(config: &Config) -> Result<(Started, Db), String> {
    let conn = crate::db::follower::open_replica(&config.db)?;
    let started = read_only(&conn, config.serve.admin_token.as_deref())
        .map_err(|e| format!("cannot serve {} read-only: {e}", config.db.display()))?;
    if let Some(key) = config.serve.api_key.as_deref() {
        let known = crate::store::orgs::find_key_by_secret(&conn, key)
            .map_err(|e| format!("cannot read {}: {e}", config.db.display()))?;
        if known.is_none() {
            tracing::warn!(
                "--api-key is not in the replicated database and a read replica cannot add it: \
                 start the primary with it"
            );
        }
    }
    drop(conn);
    let db = Db::open_replica(&config.db)?;
    tracing::info!(db = %config.db.display(), "read-only: serving reads, refusing writes");
    Ok((started, db))
}

/// Methods that only read.
fn reads_only(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// On a read replica, every request that could write (any method but GET, HEAD and OPTIONS, on
/// any path) answers 503 `server.read-only` before authentication or routing.
pub async fn refuse_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let read_only = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.db.is_read_only());
    if read_only && !reads_only(req.method()) {
        return Ok(req.into_response(ApiError::ReadOnly.error_response()));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

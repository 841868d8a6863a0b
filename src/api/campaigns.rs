//! `GET /campaigns` and `GET /campaigns/{identifier}`, served from the catalog cache.

use crate::api::{ok, Endpoint};
use crate::auth::ApiKey;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};

/// The active campaigns, ordered by name.
async fn list(_key: ApiKey, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.get(&state.db).await?;
    let active: Vec<_> = catalog.campaigns.iter().filter(|c| c.active).collect();
    Ok(ok(active))
}

/// One campaign, active or not.
async fn get(
    _key: ApiKey,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let catalog = state.catalog.get(&state.db).await?;
    let campaign = catalog
        .get(&identifier)
        .ok_or(ApiError::NotFound("campaign"))?;
    Ok(ok(campaign))
}

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/campaigns", || web::get().to(list)),
        Endpoint::new(Method::GET, "/campaigns/{identifier}", || {
            web::get().to(get)
        }),
    ]
}

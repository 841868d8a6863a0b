//! The developer sandbox's admin endpoints (SPEC 12): the request log and the reset of an
//! organization's data.

use crate::api::ok;
use crate::auth::Admin;
use crate::domain::parse_id;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::pagination::{envelope, PageParams};
use crate::request_log::{Filter, RequestLog, StatusFilter};
use crate::state::AppState;
use crate::store::{orgs, reset};
use actix_web::{web, HttpResponse};

/// `GET /admin/api/requests?org=&status=&path_prefix=&method=`: newest first, paginated (SPEC 4).
/// `status` is a code (`404`) or a class (`4xx`); `org` (or `organization_id`) must name an
/// organization.
async fn list(
    _: Admin,
    state: web::Data<AppState>,
    log: web::Data<RequestLog>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let org_param = ["org", "organization_id"]
        .into_iter()
        .find_map(|name| query.get(name).filter(|v| !v.is_empty()).map(|v| (name, v)));
    let org_id = org_param.and_then(|(name, raw)| {
        let id = parse_id(raw);
        if id.is_none() {
            errors.add(name, "must be an organization id");
        }
        id
    });
    let status = query
        .get("status")
        .filter(|s| !s.is_empty())
        .and_then(|raw| {
            let parsed = StatusFilter::parse(raw);
            if parsed.is_none() {
                errors.add("status", "must be a status code (404) or a class (4xx)");
            }
            parsed
        });
    errors.into_result()?;
    if let Some(id) = org_id.clone() {
        let found = state
            .db
            .read(move |conn| Ok(orgs::find(conn, &id)?))
            .await?;
        found.ok_or(ApiError::NotFound("organization"))?;
    }
    let filter = Filter {
        org_id,
        status,
        path_prefix: query
            .get("path_prefix")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        method: query
            .get("method")
            .filter(|m| !m.is_empty())
            .map(str::to_string),
    };
    let found = log.list(&filter, page.descending);
    let items: Vec<_> = found
        .iter()
        .skip(page.offset().max(0) as usize)
        .take(page.per_page as usize)
        .map(|e| e.summary())
        .collect();
    Ok(HttpResponse::Ok().json(envelope(items, &page, found.len() as i64)))
}

/// `GET /admin/api/requests/{correlation_id}`: one request with both sides' headers and bodies.
async fn find(
    _: Admin,
    log: web::Data<RequestLog>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let entry = log.find(&id).ok_or(ApiError::NotFound("request"))?;
    Ok(ok(entry.detail()))
}

/// `POST /admin/api/organizations/{id}/reset`: one write job; then the organization's request log.
async fn reset_org(
    _: Admin,
    state: web::Data<AppState>,
    log: web::Data<RequestLog>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let org_id = parse_id(&id).ok_or(ApiError::NotFound("organization"))?;
    let target = org_id.clone();
    let mut deleted = state
        .db
        .write(move |conn| reset::reset(conn, &target)?.ok_or(ApiError::NotFound("organization")))
        .await?;
    deleted.requests = log.clear(&org_id);
    tracing::info!(org = %org_id, ?deleted, "organization reset");
    Ok(ok(serde_json::json!({ "deleted": deleted })))
}

/// Mounted before the `/admin/api` scope of `admin::api` (a scope answers 404 for paths it lacks
/// instead of passing them on).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/api/requests").route(web::get().to(list)))
        .service(web::resource("/admin/api/requests/{correlation_id}").route(web::get().to(find)))
        .service(
            web::resource("/admin/api/organizations/{id}/reset").route(web::post().to(reset_org)),
        );
}

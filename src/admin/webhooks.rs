//! The operator's view of webhooks (`/admin/api/webhook_*`): endpoints of every organization, their
//! deliveries with each attempt's request and response, manual retry and test events. Writes go
//! through the same store functions as the public API.

use crate::admin::api::org_filter;
use crate::api::webhooks::NOT_FOUND;
use crate::auth::Admin;
use crate::domain::parse_id;
use crate::error::{ApiResult, FieldErrors};
use crate::extract::QueryMap;
use crate::pagination::{envelope, PageParams};
use crate::state::AppState;
use crate::store::events;
use crate::store::webhooks as store;
use crate::webhooks::EventType;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

async fn list_endpoints(
    _: Admin,
    state: web::Data<AppState>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let org = org_filter(&query, &mut errors);
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| Ok(store::list(conn, org.as_deref(), &p)?))
        .await?;
    let items: Vec<Value> = items
        .into_iter()
        .map(|e| {
            let mut v = serde_json::to_value(&e).unwrap_or_default();
            v["organization_id"] = json!(e.org_id);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

/// Deliveries of an endpoint, each with the request it sends (url, and the body as the exact text
/// signed) and every attempt
/// with its request headers and response.
async fn deliveries(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id).ok_or(NOT_FOUND)?;
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let status = query
        .get("status")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if status
        .as_deref()
        .is_some_and(|s| !matches!(s, "pending" | "succeeded" | "failed"))
    {
        errors.add("status", "must be one of pending, succeeded, failed");
    }
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| {
            let endpoint = store::find_any(conn, &id)?.ok_or(NOT_FOUND)?;
            let (items, total) = store::list_deliveries(conn, &id, status.as_deref(), &p, true)?;
            let mut out = Vec::with_capacity(items.len());
            for d in items {
                let body = events::find_raw(conn, &endpoint.org_id, &d.event_id)?;
                let mut v = serde_json::to_value(&d).unwrap_or_default();
                v["request"] = json!({"method": "POST", "url": endpoint.url, "body": body});
                out.push(v);
            }
            Ok((out, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn retry(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    crate::api::webhooks::request_retry(&state, None, &id).await
}

async fn test(
    _: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id).ok_or(NOT_FOUND)?;
    let now = state.clock.now_micros();
    let event = state
        .db
        .write(move |conn| {
            let e = store::find_any(conn, &id)?.ok_or(NOT_FOUND)?;
            let event_id = events::record_for_endpoint(
                conn,
                &e.org_id,
                &e.id,
                EventType::EndpointTest,
                &e,
                now,
            )?;
            Ok(events::find(conn, &e.org_id, &event_id)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({ "data": event })))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api/webhook_endpoints")
            .service(web::resource("").route(web::get().to(list_endpoints)))
            .service(web::resource("/{id}/deliveries").route(web::get().to(deliveries)))
            .service(web::resource("/{id}/test").route(web::post().to(test))),
    )
    .service(
        web::resource("/admin/api/webhook_deliveries/{id}/retry").route(web::post().to(retry)),
    );
}

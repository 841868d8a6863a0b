//! `/customers` and `/vendors`: one set of handlers, registered twice with its `Directory`.

use crate::api::{created, ok};
use crate::auth::ApiKey;
use crate::domain::{new_id, parse_id};
use crate::error::{ApiError, ApiResult, FieldErrors, ResultExt};
use crate::extract::{JsonBody, QueryMap};
use crate::pagination::{envelope, DateRange, PageParams};
use crate::state::AppState;
use crate::store::directory::{self, Directory, Party};
use crate::store::{intents, totals};
use crate::validate::{Input, Patch};
use actix_web::{web, HttpResponse};

const TAKEN: &str = "has already been taken";
const SORTABLE: &[&str] = &["created_at", "name", "updated_at"];

fn path_id(dir: Directory, raw: &str) -> ApiResult<String> {
    parse_id(raw).ok_or(ApiError::NotFound(dir.resource()))
}

async fn list(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, SORTABLE, &mut errors);
    errors.into_result()?;
    let external_id = query.get("external_id").map(str::to_string);
    let dir = **dir;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| {
            Ok(directory::list(
                conn,
                dir,
                &key.org_id,
                external_id.as_deref(),
                &p,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

async fn create(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let body = body.object_or_empty()?;
    let mut input = Input::new(&body);
    let external_id = input.string("external_id", 255);
    let name = input.string("name", 255);
    let metadata = input.new_metadata("metadata");
    input.finish()?;
    let now = state.clock.now_micros();
    let party = Party {
        id: new_id(now),
        external_id: match external_id {
            Patch::Set(s) => Some(s),
            _ => None,
        },
        name: match name {
            Patch::Set(s) => Some(s),
            _ => None,
        },
        metadata,
        created_at: now,
        updated_at: now,
    };
    let dir = **dir;
    let party = state
        .db
        .write(move |conn| {
            directory::insert(conn, dir, &key.org_id, &party).on_unique("external_id", TAKEN)?;
            Ok(party)
        })
        .await?;
    Ok(created(party))
}

async fn get(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let dir = **dir;
    let id = path_id(dir, &id)?;
    let party = state
        .db
        .read_statement(|conn| Ok(directory::find(conn, dir, &key.org_id, &id)?))?;
    Ok(ok(party.ok_or(ApiError::NotFound(dir.resource()))?))
}

async fn update(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    id: web::Path<String>,
    body: JsonBody,
) -> ApiResult<HttpResponse> {
    let dir = **dir;
    let id = path_id(dir, &id)?;
    let body = body.object_or_empty()?;
    let now = state.clock.now_micros();
    let party = state
        .db
        .write(move |conn| {
            let mut party = directory::find(conn, dir, &key.org_id, &id)?
                .ok_or(ApiError::NotFound(dir.resource()))?;
            let mut input = Input::new(&body);
            match input.string("external_id", 255) {
                Patch::Set(s) => party.external_id = Some(s),
                Patch::Null => party.external_id = None,
                Patch::Absent => {}
            }
            match input.string("name", 255) {
                Patch::Set(s) => party.name = Some(s),
                Patch::Null => party.name = None,
                Patch::Absent => {}
            }
            input.patch_metadata("metadata", &mut party.metadata);
            input.finish()?;
            party.updated_at = now;
            directory::update(conn, dir, &key.org_id, &party).on_unique("external_id", TAKEN)?;
            Ok(party)
        })
        .await?;
    Ok(ok(party))
}

async fn delete(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let dir = **dir;
    let id = path_id(dir, &id)?;
    let deleted_id = id.clone();
    let now = state.clock.now_micros();
    let deleted = state
        .db
        .write(move |conn| Ok(directory::delete(conn, dir, &key.org_id, &id, now)?))
        .await?;
    if !deleted {
        return Err(ApiError::NotFound(dir.resource()));
    }
    Ok(ok(serde_json::json!({ "id": deleted_id, "deleted": true })))
}

async fn impact_metrics(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    id: web::Path<String>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let dir = **dir;
    let id = path_id(dir, &id)?;
    let mut errors = FieldErrors::new();
    let range = DateRange::parse(&query, &mut errors);
    errors.into_result()?;
    // Bounded: a row per month and campaign or wording, plus the days at the edges of the range.
    let totals = state.db.read_inline(|conn| {
        directory::find(conn, dir, &key.org_id, &id)?.ok_or(ApiError::NotFound(dir.resource()))?;
        Ok(totals::impact_totals(conn, dir, &key.org_id, &id, &range)?)
    })?;
    Ok(ok(totals))
}

async fn donation_intents(
    key: ApiKey,
    state: web::Data<AppState>,
    dir: web::Data<Directory>,
    id: web::Path<String>,
    query: QueryMap,
) -> ApiResult<HttpResponse> {
    let dir = **dir;
    let id = path_id(dir, &id)?;
    let mut errors = FieldErrors::new();
    let page = PageParams::parse(&query, &["created_at"], &mut errors);
    let range = DateRange::parse(&query, &mut errors);
    errors.into_result()?;
    let p = page.clone();
    let (items, total) = state
        .db
        .read(move |conn| {
            directory::find(conn, dir, &key.org_id, &id)?
                .ok_or(ApiError::NotFound(dir.resource()))?;
            Ok(intents::list_for_party(
                conn,
                dir,
                &key.org_id,
                &id,
                &range,
                &p,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(envelope(items, &page, total)))
}

/// Both directories' routes; each resource carries its `Directory` as app data.
pub fn endpoints() -> Vec<crate::api::Endpoint> {
    use crate::api::Endpoint;
    use actix_web::http::Method;
    fn customers(r: actix_web::Resource) -> actix_web::Resource {
        r.app_data(web::Data::new(Directory::Customers))
    }
    fn vendors(r: actix_web::Resource) -> actix_web::Resource {
        r.app_data(web::Data::new(Directory::Vendors))
    }
    let mut out = Vec::new();
    for (base, setup) in [
        ("/customers", customers as fn(_) -> _),
        ("/vendors", vendors as fn(_) -> _),
    ] {
        out.extend([
            Endpoint::new(Method::GET, base, || web::get().to(list)).with_setup(setup),
            Endpoint::new(Method::POST, base, || web::post().to(create)).with_setup(setup),
            Endpoint::new(Method::GET, format!("{base}/{{id}}"), || web::get().to(get))
                .with_setup(setup),
            Endpoint::new(Method::PATCH, format!("{base}/{{id}}"), || {
                web::patch().to(update)
            })
            .with_setup(setup),
            Endpoint::new(Method::DELETE, format!("{base}/{{id}}"), || {
                web::delete().to(delete)
            })
            .with_setup(setup),
            Endpoint::new(Method::GET, format!("{base}/{{id}}/impact_metrics"), || {
                web::get().to(impact_metrics)
            })
            .with_setup(setup),
            Endpoint::new(
                Method::GET,
                format!("{base}/{{id}}/donation_intents"),
                || web::get().to(donation_intents),
            )
            .with_setup(setup),
        ]);
    }
    out
}

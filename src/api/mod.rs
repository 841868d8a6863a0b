//! The HTTP surface. The public API is one route table (`endpoints`): the server mounts it and the
//! OpenAPI document is generated from it. The operator surface (`/admin`, `/demo`) mounts after.

pub mod campaigns;
pub mod csv_body;
pub mod directory;
pub mod events;
pub mod health;
pub mod intents;
pub mod reports;
pub mod session_input;
pub mod session_view;
pub mod sessions;
pub mod webhooks;

use crate::error::ApiError;
use actix_web::http::Method;
use actix_web::{web, HttpResponse, Resource, Route};

/// One public route: method, path template, and how to build its actix route.
pub struct Endpoint {
    pub method: Method,
    pub path: String,
    pub route: fn() -> Route,
    /// Applied to the path's resource (e.g. to attach app data its handlers read).
    pub setup: Option<fn(Resource) -> Resource>,
}

impl Endpoint {
    pub fn new(method: Method, path: impl Into<String>, route: fn() -> Route) -> Endpoint {
        Endpoint {
            method,
            path: path.into(),
            route,
            setup: None,
        }
    }

    pub fn with_setup(mut self, setup: fn(Resource) -> Resource) -> Endpoint {
        self.setup = Some(setup);
        self
    }
}

/// Every public route, in mounting order.
pub fn endpoints() -> Vec<Endpoint> {
    [
        health::endpoints(),
        campaigns::endpoints(),
        directory::endpoints(),
        // Before intents: `/donation_intents/export.csv` must be tried before `/donation_intents/{id}`.
        reports::endpoints(),
        intents::endpoints(),
        sessions::endpoints(),
        crate::widget::endpoints(),
        webhooks::endpoints(),
        events::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Mounts every route, one resource per path (so a known path with another method is a 405).
/// Paths that share a first segment are mounted in a scope of that segment: actix tries resources
/// in order and matches each `{id}` template with a regex, so a flat table cost a regex run per
/// template tried (8% of `GET /customers/{id}`); a scope is a plain prefix comparison. The tests
/// mount this very map.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let table = endpoints();
    let mut paths: Vec<&str> = Vec::new();
    for e in &table {
        if !paths.contains(&e.path.as_str()) {
            paths.push(&e.path);
        }
    }
    let mut prefixes: Vec<&str> = Vec::new();
    for path in &paths {
        if !prefixes.contains(&first_segment(path)) {
            prefixes.push(first_segment(path));
        }
    }
    for prefix in prefixes {
        let mut scope = web::scope(prefix);
        for path in paths.iter().filter(|p| first_segment(p) == prefix) {
            scope = scope.service(resource(&table, path, &path[prefix.len()..]));
        }
        cfg.service(scope);
    }
    crate::admin::configure(cfg);
    cfg.default_service(web::to(|| async {
        Err::<HttpResponse, _>(ApiError::RouteNotFound)
    }));
}

/// `/customers` of `/customers/{id}/impact_metrics`.
fn first_segment(path: &str) -> &str {
    let end = path[1..].find('/').map_or(path.len(), |i| i + 1);
    &path[..end]
}

/// The resource of one path (mounted at `rest`, the path after its scope), with every method the
/// table routes there.
fn resource(table: &[Endpoint], path: &str, rest: &str) -> Resource {
    let routes: Vec<&Endpoint> = table.iter().filter(|e| e.path == path).collect();
    let mut resource =
        web::resource(rest).app_data(crate::metrics::RouteTemplate(std::sync::Arc::from(path)));
    if let Some(setup) = routes.iter().find_map(|e| e.setup) {
        resource = setup(resource);
    }
    routes
        .iter()
        .fold(resource, |resource, e| resource.route((e.route)()))
}

/// The success envelope, serialized straight from `T` (no intermediate JSON tree).
#[derive(serde::Serialize)]
struct Data<T> {
    data: T,
}

/// `{"data": value}` with 200.
pub fn ok<T: serde::Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Data { data })
}

/// `{"data": value}` with 201.
pub fn created<T: serde::Serialize>(data: T) -> HttpResponse {
    HttpResponse::Created().json(Data { data })
}

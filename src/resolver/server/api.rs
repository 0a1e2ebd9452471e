//! The resolver's HTTP API: the routes, the bearer-token check, the handlers and their
//! `{"error": ...}` answers.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};

use super::state::Shared;
use super::Health;
use crate::resolver::table::{Claim, Entry, ProjectTable};

/// The largest request body: 100 projects of 100 services fit many times over.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// A failed request: its status and `{"error": ...}`.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// Bad JSON is 400 whatever axum would say (it says 422 for a well-formed body of
    /// the wrong shape); a body too large keeps its 413.
    fn from_json(rejection: JsonRejection) -> ApiError {
        let status = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, rejection.body_text())
    }

    pub(super) fn retired() -> ApiError {
        ApiError::new(
            StatusCode::GONE,
            "this resolver served its last project and is being removed: start another",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"msctl resolver\""),
            );
        }
        response
    }
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    let guarded = Router::new()
        .route(
            "/v1/projects/{project}",
            put(put_project).delete(delete_project).get(get_project),
        )
        .route(
            "/v1/projects/{project}/replicas/{container}",
            put(put_replica).delete(delete_replica),
        )
        .route("/v1/projects/{project}/gateways", put(put_gateways))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            require_token,
        ));
    Router::new()
        .route("/v1/health", get(health))
        .merge(guarded)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such path") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn require_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = crate::apiclient::bearer(request.headers().get(header::AUTHORIZATION));
    match given {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing bearer token: send `Authorization: Bearer <token>`",
        )),
        Some(token) if crate::apiclient::same_secret(token.as_bytes(), shared.token.as_bytes()) => {
            Ok(next.run(request).await)
        }
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong bearer token",
        )),
    }
}

fn check_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<(), ApiError> {
    for entry in entries {
        entry
            .check()
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    }
    Ok(())
}

async fn health(State(shared): State<Arc<Shared>>) -> Result<Json<Health>, ApiError> {
    if shared.retired.load(Ordering::SeqCst) {
        return Err(ApiError::retired());
    }
    Ok(Json(shared.health().await))
}

async fn put_project(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
    body: Result<Json<ProjectTable>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(table) = body.map_err(ApiError::from_json)?;
    check_entries(table.replicas.values().flatten())?;
    shared.change_served(|tables| tables.set_project(&project, table))?;
    shared.reconcile().await;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_project(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
) -> Json<ProjectTable> {
    Json(
        shared
            .read_tables()
            .project(&project)
            .cloned()
            .unwrap_or_default(),
    )
}

async fn delete_project(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
) -> Json<serde_json::Value> {
    let remaining = shared.remove_project(&project);
    shared.reconcile().await;
    Json(serde_json::json!({ "projects": remaining }))
}

async fn put_replica(
    State(shared): State<Arc<Shared>>,
    Path((project, container)): Path<(String, String)>,
    body: Result<Json<Vec<Entry>>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(entries) = body.map_err(ApiError::from_json)?;
    check_entries(&entries)?;
    let changed =
        shared.change_served(|tables| tables.set_replica(&project, &container, entries))?;
    shared.reconcile().await;
    // 201: it answers with these now; 204: it already did.
    Ok(if changed {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    })
}

async fn put_gateways(
    State(shared): State<Arc<Shared>>,
    Path(project): Path<String>,
    body: Result<Json<Vec<Claim>>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(claims) = body.map_err(ApiError::from_json)?;
    shared.change_served(|tables| {
        for claim in &claims {
            tables.claim(&project, claim.gateway, claim.fresh);
        }
    })?;
    shared.reconcile().await;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_replica(
    State(shared): State<Arc<Shared>>,
    Path((project, container)): Path<(String, String)>,
) -> StatusCode {
    shared.change_tables(|tables| tables.remove_replica(&project, &container));
    shared.reconcile().await;
    StatusCode::NO_CONTENT
}

//! The control plane's HTTP API: JSON over HTTP/1.1, on 127.0.0.1 unless told otherwise.
//!
//! Every path but `/healthz` needs `Authorization: Bearer <token>`, the token in
//! `api-token` in the state directory (see [`super::process`]); without it, or with
//! another, the answer is 401 with a JSON error. Errors are always
//! `{"error": "<what is wrong>"}`.
//!
//! | method and path | answer |
//! |---|---|
//! | `GET /healthz` | `{"status":"ok"}`, no token needed |
//! | `GET /metrics` | Prometheus text: replicas desired and ready, restarts, reconcile durations |
//! | `GET /v1/projects` | the projects with a desired state |
//! | `PUT /v1/projects/{project}/desired` | [`Handoff`]: another state directory's `up` gives this control plane the project to keep; 204 |
//! | `DELETE /v1/projects/{project}` | forgets the project and waits for its pass under way to end; `{"kept": bool}` (whether it kept it) |
//! | `GET /v1/projects/{project}/services` | each service: desired and ready counts, backoff, replicas (read from the engine) |
//! | `POST /v1/projects/{project}/services/{service}/scale` | `{"replicas": N}`: what `msctl scale` does, then a round |
//! | `GET /v1/events?project=&after=&limit=` | events after an id, oldest first |
//! | `GET /v1/events/stream?project=&after=` | the same as server-sent events, then new ones as they come |

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::engine::{Engine, LabelFilter};
use crate::manifest::validate::MAX_REPLICAS;
use crate::plan::{labels, ContainerState};
use crate::state::{ScaleOverride, ServiceBackoff, StateStore, StoredEvent};

use super::{format_ms, Handle, RoundOutcome, Status};
use crate::clock::now_ms;

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    token: Arc<str>,
    state_dir: PathBuf,
    store: Arc<Mutex<StateStore>>,
    engine: Arc<dyn Engine>,
    status: Status,
    handle: Handle,
}

impl ApiState {
    pub fn new(
        token: &str,
        state_dir: PathBuf,
        engine: Arc<dyn Engine>,
        status: Status,
        handle: Handle,
    ) -> Result<ApiState, crate::state::StateError> {
        Ok(ApiState {
            token: token.into(),
            store: Arc::new(Mutex::new(StateStore::open(&state_dir)?)),
            state_dir,
            engine,
            status,
            handle,
        })
    }
}

/// A failed request: its status and `{"error": ...}`.
#[derive(Debug)]
pub struct ApiError {
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

    fn internal(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message.to_string())
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
                header::HeaderValue::from_static("Bearer realm=\"msctl\""),
            );
        }
        response
    }
}

/// The largest body a hand-over may have: a project as large as a manifest may be.
const MAX_HANDOFF_BYTES: usize = crate::manifest::yaml::MAX_DOCUMENT_BYTES;
/// The largest body a scale request may have (`{"replicas": N}`).
const MAX_SCALE_BYTES: usize = 4096;

/// The API's routes, with the token check in front of all but `/healthz`. Bodies are
/// bounded (413 past the bound) and parsed with serde_json's nesting limit.
pub fn router(state: ApiState) -> Router {
    let guarded = Router::new()
        .route("/metrics", get(metrics))
        .route("/v1/projects", get(projects))
        .route("/v1/projects/{project}", axum::routing::delete(take_back))
        .route(
            "/v1/projects/{project}/desired",
            axum::routing::put(hand_over)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_HANDOFF_BYTES)),
        )
        .route("/v1/projects/{project}/services", get(services))
        .route(
            "/v1/projects/{project}/services/{service}/scale",
            post(scale).layer(axum::extract::DefaultBodyLimit::max(MAX_SCALE_BYTES)),
        )
        .route("/v1/events", get(events))
        .route("/v1/events/stream", get(event_stream))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(guarded)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such path") })
        .with_state(state)
}

/// A body refused: too large (413), else not what the path takes (400).
fn rejected(rejection: &axum::extract::rejection::JsonRejection) -> StatusCode {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn require_token(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = crate::apiclient::bearer(request.headers().get(header::AUTHORIZATION));
    match given {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing bearer token: send `Authorization: Bearer <token>`, the token in the state directory's `api-token`",
        )),
        Some(token) if crate::apiclient::same_secret(token.as_bytes(), state.token.as_bytes()) => {
            Ok(next.run(request).await)
        }
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong bearer token")),
    }
}

/// Runs `work` on the store away from the async threads (SQLite blocks).
async fn with_store<T: Send + 'static>(
    state: &ApiState,
    work: impl FnOnce(&mut StateStore) -> Result<T, crate::state::StateError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        work(&mut store)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// What `up` or `scale` from another state directory hands over: the desired state it
/// recorded there, and the counts `scale` set, which replace this control plane's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handoff {
    pub project: crate::manifest::model::Project,
    #[serde(default)]
    pub scale: BTreeMap<String, ScaleOverride>,
    /// Services stopped on purpose (`msctl stop`, `kill`), with how: left as they are.
    #[serde(default)]
    pub held: BTreeMap<String, String>,
    /// The state directory it comes from, for the event.
    pub from: String,
}

async fn hand_over(
    State(state): State<ApiState>,
    Path(project): Path<String>,
    body: Result<Json<Handoff>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(handoff) = body.map_err(|e| ApiError::new(rejected(&e), e.body_text()))?;
    if handoff.project.name != project {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "the body is project `{}`, the path `{project}`",
                handoff.project.name
            ),
        ));
    }
    with_store(&state, move |store| {
        let now = now_ms();
        store.save_desired(&handoff.project, true, now)?;
        store.reset_scale(&project)?;
        store.set_scale(&project, &handoff.scale)?;
        store.set_held(&project, &handoff.held)?;
        store.record_event(&StoredEvent {
            id: 0,
            at_ms: now,
            project: project.clone(),
            service: String::new(),
            replica: String::new(),
            kind: "up".to_string(),
            message: format!(
                "desired state handed over by `up` in state directory `{}`, self-heal on",
                handoff.from
            ),
        })?;
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgets the project (another state directory's `down`, or its `up` about to change
/// it), then waits until no round or serving pass of it is under way, so the caller
/// works on the engine alone.
async fn take_back(
    State(state): State<ApiState>,
    Path(project): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let name = project.clone();
    let kept = with_store(&state, move |store| {
        let kept = store.desired(&name)?.is_some_and(|d| d.self_heal);
        store.forget_project(&name)?;
        store.reset_scale(&name)?;
        Ok(kept)
    })
    .await?;
    let wait = Duration::from_secs(30);
    for lock in [project.clone(), crate::lock::serving_lock(&project)] {
        crate::lock::ProjectLock::acquire(&state.state_dir, &lock, wait, || {})
            .await
            .map_err(|e| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("project `{project}` forgotten, but its pass did not end: {e}"),
                )
            })?;
    }
    Ok(Json(serde_json::json!({ "kept": kept })))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(state): State<ApiState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.status.prometheus(),
    )
        .into_response()
}

#[derive(Debug, Serialize)]
struct ProjectView {
    name: String,
    self_heal: bool,
    /// Whether this control plane is keeping it now.
    kept: bool,
    services: Vec<String>,
    updated_at: String,
}

async fn projects(State(state): State<ApiState>) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let kept = state.handle.projects();
    let desired = with_store(&state, |store| {
        store
            .desired_projects()?
            .into_iter()
            .filter_map(|name| store.desired(&name).transpose())
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    Ok(Json(
        desired
            .into_iter()
            .map(|d| ProjectView {
                kept: kept.contains(&d.project.name),
                name: d.project.name,
                self_heal: d.self_heal,
                services: d.project.services.keys().cloned().collect(),
                updated_at: format_ms(d.updated_at_ms),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize)]
struct ReplicaView {
    replica: u32,
    name: String,
    id: String,
    state: String,
    health: String,
    exit_code: Option<i64>,
}

#[derive(Debug, Serialize)]
struct BackoffView {
    failures: u32,
    next_attempt: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct ServiceView {
    service: String,
    desired: u32,
    ready: u32,
    backoff: Option<BackoffView>,
    replicas: Vec<ReplicaView>,
}

async fn services(
    State(state): State<ApiState>,
    Path(project): Path<String>,
) -> Result<Json<Vec<ServiceView>>, ApiError> {
    let name = project.clone();
    let (desired, backoffs, overrides) = with_store(&state, move |store| {
        let desired = store.desired(&name)?;
        let backoffs = store.backoffs(&name)?;
        let mut overrides = BTreeMap::new();
        if let Some(desired) = &desired {
            for service in desired.project.services.keys() {
                if let Some(found) = store.scale_override(&name, service)? {
                    overrides.insert(service.clone(), found);
                }
            }
        }
        Ok((desired, backoffs, overrides))
    })
    .await?;
    let Some(desired) = desired else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("project `{project}` has no desired state: `msctl up` records one"),
        ));
    };
    let containers = state
        .engine
        .list_containers(&LabelFilter::project(&project))
        .await
        .map_err(ApiError::internal)?;
    let mut views = Vec::new();
    for (service_name, service) in &desired.project.services {
        let mut replicas: Vec<ReplicaView> = containers
            .iter()
            .filter(|c| c.labels.get(labels::SERVICE) == Some(service_name))
            .filter(|c| c.labels.get(labels::ONEOFF).map(String::as_str) != Some("true"))
            .filter_map(|c| {
                Some(ReplicaView {
                    replica: c.labels.get(labels::REPLICA)?.parse().ok()?,
                    name: c.name.clone(),
                    id: c.id.clone(),
                    state: match c.state {
                        ContainerState::Exited { .. } => "exited".to_string(),
                        other => other.to_string(),
                    },
                    health: c.health.to_string(),
                    exit_code: match c.state {
                        ContainerState::Exited { code } => Some(code),
                        _ => None,
                    },
                })
            })
            .collect();
        replicas.sort_by(|a, b| (a.replica, &a.name).cmp(&(b.replica, &b.name)));
        let ready = containers
            .iter()
            .filter(|c| c.labels.get(labels::SERVICE) == Some(service_name))
            .filter(|c| {
                c.state == ContainerState::Running
                    && matches!(
                        c.health,
                        crate::plan::Health::Healthy | crate::plan::Health::None
                    )
            })
            .count() as u32;
        let desired_count = overrides
            .get(service_name)
            .filter(|o| o.manifest_replicas == service.replicas())
            .map_or(service.replicas(), |o| o.replicas);
        views.push(ServiceView {
            service: service_name.clone(),
            desired: desired_count,
            ready,
            backoff: backoffs.get(service_name).map(backoff_view),
            replicas,
        });
    }
    Ok(Json(views))
}

fn backoff_view(backoff: &ServiceBackoff) -> BackoffView {
    BackoffView {
        failures: backoff.failures,
        next_attempt: format_ms(backoff.next_attempt_ms),
        reason: backoff.reason.clone(),
    }
}

#[derive(Debug, Deserialize)]
struct ScaleRequest {
    replicas: i64,
}

async fn scale(
    State(state): State<ApiState>,
    Path((project, service)): Path<(String, String)>,
    body: Result<Json<ScaleRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(request) = body.map_err(|rejection| {
        ApiError::new(
            rejected(&rejection),
            format!(
                "the body must be {{\"replicas\": N}}: {}",
                rejection.body_text()
            ),
        )
    })?;
    if !(0..=MAX_REPLICAS).contains(&request.replicas) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("`replicas` must be from 0 to {MAX_REPLICAS}"),
        ));
    }
    let replicas = request.replicas as u32;
    let (name, wanted) = (project.clone(), service.clone());
    with_store(&state, move |store| {
        let Some(desired) = store.desired(&name)? else {
            return Ok(Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("project `{name}` has no desired state: `msctl up` records one"),
            )));
        };
        let Some(found) = desired.project.services.get(&wanted) else {
            return Ok(Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("`{wanted}` is not a service of project `{name}`"),
            )));
        };
        if let (Some(fixed), true) = (&found.container_name, replicas > 1) {
            return Ok(Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "service `{wanted}` cannot have {replicas} replicas: its container is named `{fixed}`, and a name is unique"
                ),
            )));
        }
        if let (Some(port), true) = (
            crate::ingress::plan::bound_ports(found).first(),
            replicas > 1,
        ) {
            return Ok(Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "service `{wanted}` cannot have {replicas} replicas: its container binds host port {}, and only one container can; give the port `mode: ingress` or `replicas` above 1 in the manifest",
                    port.published.unwrap_or_default()
                ),
            )));
        }
        let before = store
            .scale_override(&name, &wanted)?
            .filter(|o| o.manifest_replicas == found.replicas())
            .map_or(found.replicas(), |o| o.replicas);
        store.set_scale(
            &name,
            &BTreeMap::from([(
                wanted.clone(),
                ScaleOverride {
                    replicas,
                    manifest_replicas: found.replicas(),
                },
            )]),
        )?;
        store.record_event(&StoredEvent {
            id: 0,
            at_ms: now_ms(),
            project: name.clone(),
            service: wanted.clone(),
            replica: String::new(),
            kind: "scaled".to_string(),
            message: format!("service `{wanted}`: {before} -> {replicas} replicas (API)"),
        })?;
        Ok(Ok(()))
    })
    .await??;
    // The round converges the service now, as `msctl scale` would; a project the
    // control plane does not keep (self-heal off) converges at its next `up` or `scale`.
    let reconciled = state.handle.reconcile(&project).await == Some(RoundOutcome::Done);
    Ok(Json(serde_json::json!({
        "project": project,
        "service": service,
        "replicas": replicas,
        "reconciled": reconciled,
    })))
}

#[derive(Debug, Default, Deserialize)]
struct EventsQuery {
    project: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
}

/// An event as the API and `msctl events --format json` show it.
#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    pub id: i64,
    pub time: String,
    pub project: &'a str,
    pub service: &'a str,
    pub replica: &'a str,
    pub kind: &'a str,
    pub message: &'a str,
}

impl<'a> From<&'a StoredEvent> for EventView<'a> {
    fn from(event: &'a StoredEvent) -> Self {
        EventView {
            id: event.id,
            time: format_ms(event.at_ms),
            project: &event.project,
            service: &event.service,
            replica: &event.replica,
            kind: &event.kind,
            message: &event.message,
        }
    }
}

async fn events(
    State(state): State<ApiState>,
    Query(query): Query<EventsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = query.limit.unwrap_or(1000).clamp(1, 10_000);
    let after = query.after.unwrap_or(0);
    let project = query.project.filter(|p| !p.is_empty());
    let found = with_store(&state, move |store| {
        store.events(project.as_deref(), after, limit)
    })
    .await?;
    let views: Vec<EventView> = found.iter().map(EventView::from).collect();
    serde_json::to_value(views)
        .map(Json)
        .map_err(ApiError::internal)
}

async fn event_stream(
    State(state): State<ApiState>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    // A client that reconnects says where it was.
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let after: i64 = resumed.or(query.after).unwrap_or(0);
    let project = query.project.filter(|p| !p.is_empty());
    let pending: std::collections::VecDeque<StoredEvent> = Default::default();
    let stream = futures_util::stream::unfold(
        (state, project, after, pending),
        |(state, project, mut after, mut pending)| async move {
            loop {
                if let Some(event) = pending.pop_front() {
                    after = event.id;
                    let data = serde_json::to_string(&EventView::from(&event)).unwrap_or_default();
                    let sse = SseEvent::default()
                        .id(event.id.to_string())
                        .event(event.kind.clone())
                        .data(data);
                    return Some((Ok(sse), (state, project, after, pending)));
                }
                let wanted = project.clone();
                match with_store(&state, move |store| {
                    store.events(wanted.as_deref(), after, 500)
                })
                .await
                {
                    Ok(found) if !found.is_empty() => pending.extend(found),
                    _ => tokio::time::sleep(Duration::from_millis(250)).await,
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn app(dir: &std::path::Path) -> Router {
        let state = ApiState::new(
            TOKEN,
            dir.to_path_buf(),
            Arc::new(FakeEngine::new()),
            Status::default(),
            Handle::default(),
        )
        .expect("state");
        router(state)
    }

    async fn call(
        app: &Router,
        method: &str,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, String) {
        call_with(app, method, path, token, None).await
    }

    /// [`call`], with a JSON body when given.
    async fn call_with(
        app: &Router,
        method: &str,
        path: &str,
        token: Option<&str>,
        json: Option<String>,
    ) -> (StatusCode, String) {
        let mut request = axum::http::Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match json {
            Some(json) => {
                request = request.header("content-type", "application/json");
                axum::body::Body::from(json)
            }
            None => axum::body::Body::empty(),
        };
        let response = app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("response");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn every_path_but_healthz_needs_the_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = app(dir.path());
        assert_eq!(call(&app, "GET", "/healthz", None).await.0, StatusCode::OK);
        for path in [
            "/metrics",
            "/v1/projects",
            "/v1/events",
            "/v1/projects/shop/services",
        ] {
            let (status, body) = call(&app, "GET", path, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            let json: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
            assert!(
                json["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("missing bearer token")),
                "{body}"
            );
            let wrong = format!("{}0", &TOKEN[..63]);
            let (status, body) = call(&app, "GET", path, Some(&wrong)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(body, r#"{"error":"wrong bearer token"}"#);
            let (status, _) = call(&app, "GET", path, Some(&TOKEN[..10])).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "a prefix of the token is not it"
            );
        }
        let (status, body) = call(&app, "POST", "/v1/projects/shop/services/web/scale", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, body) = call(&app, "GET", "/v1/projects", Some(TOKEN)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "[]"));
        let (status, body) = call(&app, "GET", "/v1/projects/shop/services", Some(TOKEN)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = call(&app, "GET", "/metrics", Some(TOKEN)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains("# TYPE msctl_reconcile_duration_seconds histogram"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn bodies_are_bounded_in_size_and_nesting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = app(dir.path());
        let send = |path: &'static str, method: &'static str, body: String| {
            call_with(&app, method, path, Some(TOKEN), Some(body))
        };
        let scale = "/v1/projects/shop/services/web/scale";
        let padded = format!("{{\"replicas\": 1, \"pad\": \"{}\"}}", "x".repeat(8192));
        let (status, body) = send(scale, "POST", padded).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        let deep = format!("{}1{}", "[".repeat(20_000), "]".repeat(20_000));
        let (status, body) = send(scale, "POST", deep).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        let deep = format!(
            "{{\"replicas\": {}1{}}}",
            "[".repeat(1000),
            "]".repeat(1000)
        );
        let (status, body) = send(scale, "POST", deep).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("the body must be"), "{body}");
        let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_HANDOFF_BYTES + 1));
        let (status, body) = send("/v1/projects/shop/desired", "PUT", huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    }

    #[tokio::test]
    async fn the_event_stream_sends_what_is_recorded_then_what_comes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("store");
        let event = |message: &str| StoredEvent {
            id: 0,
            at_ms: 1,
            project: "shop".to_string(),
            service: "web".to_string(),
            replica: String::new(),
            kind: "died".to_string(),
            message: message.to_string(),
        };
        store.record_event(&event("first")).expect("record");
        let request = axum::http::Request::get("/v1/events/stream?project=shop")
            .header("authorization", format!("Bearer {TOKEN}"))
            .body(axum::body::Body::empty())
            .expect("request");
        let response = app(dir.path()).oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        let mut body = response.into_body();
        let mut text = String::new();
        let mut recorded_second = false;
        while !text.contains("second") {
            let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
                .await
                .expect("a frame within 5 s")
                .expect("a frame")
                .expect("data");
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
            if text.contains("first") && !recorded_second {
                store.record_event(&event("second")).expect("record");
                recorded_second = true;
            }
        }
        assert!(text.contains("id: 1\nevent: died\ndata: {"), "{text}");
        assert!(text.contains("\"message\":\"second\""), "{text}");
    }

    #[tokio::test]
    async fn scale_records_the_count_and_checks_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("store");
        let web = crate::manifest::model::Service {
            name: "web".to_string(),
            image: Some("web:1".to_string()),
            ..Default::default()
        };
        let bound = crate::manifest::model::Service {
            name: "bound".to_string(),
            image: Some("web:1".to_string()),
            ports: vec![crate::manifest::model::Port {
                target: 80,
                published: Some(8080),
                host_ip: None,
                protocol: crate::manifest::model::Protocol::Tcp,
                mode: None,
            }],
            ..Default::default()
        };
        let project = crate::manifest::model::Project {
            registry: None,
            target: Default::default(),
            name: "shop".to_string(),
            working_dir: dir.path().to_path_buf(),
            services: BTreeMap::from([("web".to_string(), web), ("bound".to_string(), bound)]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        store.save_desired(&project, true, 1).expect("save");
        let app = app(dir.path());
        let post = |body: &'static str, path: &'static str| {
            call_with(&app, "POST", path, Some(TOKEN), Some(body.to_string()))
        };
        let path = "/v1/projects/shop/services/web/scale";
        let (status, body) = post(r#"{"replicas": 3}"#, path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            store.scale_override("shop", "web").expect("read"),
            Some(ScaleOverride {
                replicas: 3,
                manifest_replicas: 1
            })
        );
        let scaled = store.events(Some("shop"), 0, 10).expect("events");
        assert_eq!(scaled.last().map(|e| e.kind.as_str()), Some("scaled"));
        assert_eq!(
            post(r#"{"replicas": -1}"#, path).await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            post(r#"{"count": 2}"#, path).await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            post(
                r#"{"replicas": 2}"#,
                "/v1/projects/shop/services/bound/scale"
            )
            .await
            .0,
            StatusCode::CONFLICT,
            "its container binds a host port: a second replica could not"
        );
        assert_eq!(
            post(r#"{"replicas": 2}"#, "/v1/projects/shop/services/db/scale")
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(
                r#"{"replicas": 2}"#,
                "/v1/projects/other/services/web/scale"
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
    }
}

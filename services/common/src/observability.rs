//! `/healthz`, `/readyz`, `/metrics`, the request body limit, and a span, a log line and
//! a metrics sample per request.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http_body_util::{BodyExt, Limited};
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;

use crate::error::{error_response, ApiError};
use crate::metrics::Metrics;
use crate::server::service_name;

/// The largest request body a service reads: 64 KiB. Larger ones get a 413 JSON error.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The largest error body rewritten into the JSON error shape.
const ERROR_BODY_LIMIT: usize = 4096;

/// `router` with what every service has:
///
/// - `GET /healthz`: 200 `{"status":"ok"}` while the process serves;
/// - `GET /readyz`: 200 `{"status":"ready"}` when `ready()` (database open, migrations
///   applied), else 503 with a JSON error;
/// - `GET /metrics`: [`Metrics::render`];
/// - request bodies limited to [`BODY_LIMIT`] (413 JSON error);
/// - every error response that is not JSON (axum's 404, 405, path and query rejections)
///   rewritten into the JSON error shape, and a panicking handler answered with a 500
///   JSON error instead of a dropped connection;
/// - per request: a tracing span (`method`, `route`, `path`), a log line with status and
///   latency, and a sample in `metrics` labelled with the route template
///   ([`MatchedPath`]; `unmatched` for requests no route matched).
///
/// Call it last, on the finished router (after `with_state`): layers apply to the routes
/// already added. The router must not have routes of its own at these three paths.
pub fn with_observability(
    router: Router,
    metrics: Arc<Metrics>,
    ready: Arc<dyn Fn() -> bool + Send + Sync>,
) -> Router {
    let metrics_route = Arc::clone(&metrics);
    router
        .route(
            "/healthz",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route(
            "/readyz",
            get(move || async move {
                if ready() {
                    axum::Json(json!({"status": "ready"})).into_response()
                } else {
                    ApiError::Unavailable("not ready".into()).into_response()
                }
            }),
        )
        .route(
            "/metrics",
            get(move || async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    )],
                    metrics_route.render(),
                )
            }),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(limit_body))
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("handler panicked");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        }))
        .layer(middleware::from_fn_with_state(metrics, observe))
}

/// Refuses a declared length over the limit at once, and caps what is read of any other.
async fn limit_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    let request = request.map(|body| Body::new(Limited::new(body, BODY_LIMIT)));
    next.run(request).await
}

async fn observe(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let span = tracing::info_span!(
        "request",
        service = service_name(),
        method = %method,
        route = %route,
        path = %request.uri().path(),
    );
    let response = next.run(request).instrument(span.clone()).await;
    let response = json_errors(response).await;
    let status = response.status().as_u16();
    let elapsed = start.elapsed();
    metrics.record(method.as_str(), &route, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if matches!(route.as_str(), "/healthz" | "/readyz" | "/metrics") && status < 400 {
            tracing::debug!(status, latency_ms, "request");
        } else if status >= 500 {
            tracing::warn!(status, latency_ms, "request");
        } else {
            tracing::info!(status, latency_ms, "request");
        }
    });
    response
}

/// An error response that is not JSON, in the JSON error shape (its text as the message).
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = match Limited::new(body, ERROR_BODY_LIMIT).collect().await {
        Ok(collected) => String::from_utf8_lossy(&collected.to_bytes())
            .trim()
            .to_string(),
        Err(_) => String::new(),
    };
    let reason = status.canonical_reason().unwrap_or("error");
    let message = if text.is_empty() {
        reason.to_ascii_lowercase()
    } else {
        text
    };
    let code = match status {
        StatusCode::SERVICE_UNAVAILABLE => "unavailable".to_string(),
        StatusCode::INTERNAL_SERVER_ERROR => "internal".to_string(),
        _ => reason.to_ascii_lowercase().replace([' ', '-'], "_"),
    };
    let rewritten = error_response(status, &code, &message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    let (new_parts, new_body) = rewritten.into_parts();
    parts.headers.extend(new_parts.headers);
    Response::from_parts(parts, new_body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;
    use axum::routing::post;
    use tower::ServiceExt;

    fn app(ready: bool) -> (Router, Arc<Metrics>) {
        let metrics = Arc::new(Metrics::new());
        let router = Router::new()
            .route(
                "/items/{id}",
                get(
                    |axum::extract::Path(id): axum::extract::Path<u32>| async move {
                        Json(json!({ "id": id }))
                    },
                ),
            )
            .route(
                "/echo",
                post(|Json(v): Json<serde_json::Value>| async move { Json(v) }),
            )
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("boom");
                    }
                }),
            );
        (
            with_observability(router, Arc::clone(&metrics), Arc::new(move || ready)),
            metrics,
        )
    }

    async fn send(router: &Router, request: axum::http::Request<Body>) -> (u16, String) {
        let response = router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn get_req(path: &str) -> axum::http::Request<Body> {
        axum::http::Request::get(path)
            .body(Body::empty())
            .unwrap_or_default()
    }

    fn code(body: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        value["error"]["code"]
            .as_str()
            .unwrap_or("not json")
            .to_string()
    }

    #[tokio::test]
    async fn health_readiness_and_metrics() {
        let (router, metrics) = app(true);
        assert_eq!(
            send(&router, get_req("/healthz")).await,
            (200, r#"{"status":"ok"}"#.into())
        );
        assert_eq!(
            send(&router, get_req("/readyz")).await,
            (200, r#"{"status":"ready"}"#.into())
        );
        assert_eq!(send(&router, get_req("/items/3")).await.0, 200);
        assert_eq!(send(&router, get_req("/items/4")).await.0, 200);
        let (status, text) = send(&router, get_req("/metrics")).await;
        assert_eq!(status, 200);
        assert!(
            text.contains(
                r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
            "{text}"
        );
        assert_eq!(metrics.requests_for("/items/{id}"), 2);

        let (not_ready, _) = app(false);
        let (status, body) = send(&not_ready, get_req("/readyz")).await;
        assert_eq!((status, code(&body).as_str()), (503, "unavailable"));
    }

    #[tokio::test]
    async fn axum_errors_become_json() {
        let (router, metrics) = app(true);
        let (status, body) = send(&router, get_req("/nowhere")).await;
        assert_eq!((status, code(&body).as_str()), (404, "not_found"), "{body}");
        let (status, body) = send(&router, get_req("/items/minus-one")).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (400, "bad_request"),
            "{body}"
        );
        let (status, body) = send(
            &router,
            axum::http::Request::delete("/items/3")
                .body(Body::empty())
                .unwrap_or_default(),
        )
        .await;
        assert_eq!(
            (status, code(&body).as_str()),
            (405, "method_not_allowed"),
            "{body}"
        );
        let (status, body) = send(&router, get_req("/panic")).await;
        assert_eq!((status, code(&body).as_str()), (500, "internal"), "{body}");
        assert_eq!(metrics.requests_for("unmatched"), 1);
    }

    fn post_json(body: impl Into<Body>, length: Option<usize>) -> axum::http::Request<Body> {
        let mut request =
            axum::http::Request::post("/echo").header(header::CONTENT_TYPE, "application/json");
        if let Some(length) = length {
            request = request.header(header::CONTENT_LENGTH, length);
        }
        request.body(body.into()).unwrap_or_default()
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_413_json() {
        let (router, _) = app(true);
        let small = format!("\"{}\"", "a".repeat(1000));
        assert_eq!(
            send(&router, post_json(small.clone(), Some(small.len())))
                .await
                .0,
            200
        );
        let big = format!("\"{}\"", "a".repeat(BODY_LIMIT + 10));
        // Declared too long: refused before reading.
        let (status, body) = send(&router, post_json(big.clone(), Some(big.len()))).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (413, "payload_too_large"),
            "{body}"
        );
        // Sent without a length: refused when reading passes the limit.
        let (status, body) = send(&router, post_json(big, None)).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (413, "payload_too_large"),
            "{body}"
        );
    }
}

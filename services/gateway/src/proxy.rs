//! Forwarding one request to one replica of a service, with round robin over the replicas'
//! addresses and a retry on another replica when a connection cannot be made and resending
//! is safe.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use shop_common::Metrics;

use crate::private::PrivatePaths;
use crate::resolve::Resolver;
use crate::routes::{Routes, Upstream};

/// Bodies are buffered so that a request can be sent again to another replica; the
/// observability layer already caps them at 64 KiB.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Headers that describe one hop's connection and must not be forwarded (RFC 9110 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How long a replica has to accept a TCP connection before the next one is tried.
    pub connect_timeout: Duration,
    /// How long a replica has to answer with a status line once the request is sent.
    pub response_timeout: Duration,
    /// How long a replica has to answer a GET or HEAD before it goes to another replica
    /// instead (the last one tried gets `response_timeout`): a replica that left the
    /// network (taken out of service, or gone) never answers on a kept-alive connection.
    pub retry_timeout: Duration,
    /// What is never forwarded.
    pub private_paths: PrivatePaths,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(30),
            retry_timeout: Duration::from_secs(2),
            private_paths: PrivatePaths::default(),
        }
    }
}

pub struct Gateway {
    routes: Routes,
    resolver: Arc<dyn Resolver>,
    client: Client<HttpConnector, Full<Bytes>>,
    /// One round-robin position per service.
    next: HashMap<String, AtomicUsize>,
    config: GatewayConfig,
    metrics: Arc<Metrics>,
}

impl Gateway {
    pub fn new(routes: Routes, resolver: Arc<dyn Resolver>, config: GatewayConfig) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        let next = routes
            .iter()
            .map(|(name, _)| (name.clone(), AtomicUsize::new(0)))
            .collect();
        Gateway {
            routes,
            resolver,
            client,
            next,
            config,
            metrics: Arc::new(Metrics::new()),
        }
    }

    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// Why a request got no upstream answer. Rendered as the same JSON error shape as every
/// other shop error.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("no service `{0}` behind /api")]
    UnknownService(String),
    #[error("`{0}` is not a path the gateway forwards")]
    NotForwarded(String),
    #[error("request body is larger than {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
    #[error("could not read the request body")]
    BadBody,
    #[error("service `{service}` has no address: {reason}")]
    NoAddress { service: String, reason: String },
    #[error(
        "service `{service}` is down: none of its {replicas} replica(s) accepted a connection"
    )]
    AllDown { service: String, replicas: usize },
    #[error(
        "could not connect to a replica of `{service}`, and the request is not safe to send again"
    )]
    ConnectFailed { service: String },
    #[error("bad answer from a replica of `{service}`")]
    BadAnswer { service: String },
    #[error("a replica of `{service}` did not answer within {timeout:?}")]
    Timeout { service: String, timeout: Duration },
}

impl ProxyError {
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::UnknownService(_) | ProxyError::NotForwarded(_) => StatusCode::NOT_FOUND,
            ProxyError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProxyError::BadBody => StatusCode::BAD_REQUEST,
            ProxyError::NoAddress { .. } | ProxyError::AllDown { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ProxyError::ConnectFailed { .. } | ProxyError::BadAnswer { .. } => {
                StatusCode::BAD_GATEWAY
            }
            ProxyError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

impl ProxyError {
    /// The `code` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            ProxyError::UnknownService(_) | ProxyError::NotForwarded(_) => "not_found",
            ProxyError::BodyTooLarge => "payload_too_large",
            ProxyError::BadBody => "bad_request",
            ProxyError::NoAddress { .. } | ProxyError::AllDown { .. } => "unavailable",
            ProxyError::ConnectFailed { .. } | ProxyError::BadAnswer { .. } => "bad_gateway",
            ProxyError::Timeout { .. } => "gateway_timeout",
        }
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        shop_common::error_response(self.status(), self.code(), &self.to_string())
    }
}

/// The handler behind `/api/{service}` and `/api/{service}/{*rest}`.
pub async fn forward(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    match forward_inner(&gateway, request).await {
        Ok(response) => response,
        Err(error) => {
            if error.status().is_server_error() {
                tracing::warn!(%error, "request not forwarded");
            }
            error.into_response()
        }
    }
}

async fn forward_inner(gateway: &Gateway, request: Request) -> Result<Response, ProxyError> {
    let (parts, body) = request.into_parts();
    let (service_name, rest) = split_path(parts.uri.path())
        .ok_or_else(|| ProxyError::NotForwarded(parts.uri.path().to_string()))?;
    let upstream = gateway
        .routes
        .get(service_name)
        .ok_or_else(|| ProxyError::UnknownService(service_name.to_string()))?;
    if gateway.config.private_paths.is_private(service_name, rest) {
        return Err(ProxyError::NotForwarded(parts.uri.path().to_string()));
    }
    let body = read_body(body).await?;

    let addrs = gateway
        .resolver
        .resolve(&upstream.host, upstream.port)
        .await
        .map_err(|e| ProxyError::NoAddress {
            service: service_name.to_string(),
            reason: e.to_string(),
        })?;
    if addrs.is_empty() {
        return Err(ProxyError::NoAddress {
            service: service_name.to_string(),
            reason: "the name resolved to nothing".to_string(),
        });
    }

    let resendable = is_resendable(&parts.method, &parts.headers);
    let start = gateway
        .next
        .get(service_name)
        .map_or(0, |n| n.fetch_add(1, Ordering::Relaxed));
    let path_and_query = match parts.uri.query() {
        Some(query) => format!("{}{rest}?{query}", upstream.base_path),
        None => format!("{}{rest}", upstream.base_path),
    };
    let headers = forwarded_headers(&parts.headers, upstream);

    // Reading changes nothing: a GET or HEAD that gets no answer in time is asked of
    // another replica. A request with an Idempotency-Key is sent again when it could not
    // be sent or its answer broke off, not when it is slow (its first try may still be
    // running: the service would answer the second with 409).
    let reading = parts.method == Method::GET || parts.method == Method::HEAD;
    let mut refused = 0;
    for attempt in 0..addrs.len() {
        let addr = addrs[(start + attempt) % addrs.len()];
        let last = attempt + 1 == addrs.len();
        let upstream_request = build_request(&parts.method, addr, &path_and_query, &headers, &body)
            .map_err(|_| ProxyError::NotForwarded(parts.uri.path().to_string()))?;
        let wait = if reading && !last {
            gateway
                .config
                .retry_timeout
                .min(gateway.config.response_timeout)
        } else {
            gateway.config.response_timeout
        };
        let sent = tokio::time::timeout(wait, gateway.client.request(upstream_request)).await;
        match sent {
            Ok(Ok(response)) => return Ok(into_response(response)),
            Ok(Err(error)) if error.is_connect() => {
                refused += 1;
                gateway.metrics.add(
                    "gateway_upstream_connect_failures_total",
                    "Connections to a replica that could not be made.",
                    1,
                );
                if resendable && !last {
                    count_retry(gateway);
                }
                tracing::warn!(service = service_name, %addr, error = %error_chain(&error), resendable, "replica refused a connection");
                if !resendable {
                    break;
                }
            }
            // A broken answer: the replica closed the connection (a replica shutting down
            // closes its kept-alive connections). A keyed request is safe to send again:
            // the service answers a key it has seen with the same result.
            Ok(Err(error)) if resendable && !last => {
                count_retry(gateway);
                tracing::warn!(service = service_name, %addr, error = %error_chain(&error), "bad answer from a replica: asking another");
            }
            Ok(Err(error)) => {
                tracing::warn!(service = service_name, %addr, error = %error_chain(&error), "bad answer from a replica");
                return Err(ProxyError::BadAnswer {
                    service: service_name.to_string(),
                });
            }
            Err(_) if reading && !last => {
                count_retry(gateway);
                tracing::warn!(service = service_name, %addr, timeout = ?wait, "no answer from a replica: asking another");
            }
            Err(_) => {
                return Err(ProxyError::Timeout {
                    service: service_name.to_string(),
                    timeout: wait,
                })
            }
        }
    }
    if refused == addrs.len() {
        Err(ProxyError::AllDown {
            service: service_name.to_string(),
            replicas: addrs.len(),
        })
    } else {
        Err(ProxyError::ConnectFailed {
            service: service_name.to_string(),
        })
    }
}

fn count_retry(gateway: &Gateway) {
    gateway.metrics.add(
        "gateway_retries_total",
        "Requests sent again to another replica after a refused connection, a broken answer or none in time.",
        1,
    );
}

/// `/api/orders/orders/7` -> (`orders`, `/orders/7`); `/api/orders` -> (`orders`, `/`).
/// The rest stays percent-encoded exactly as the client sent it.
pub fn split_path(path: &str) -> Option<(&str, &str)> {
    let after = path.strip_prefix("/api/")?;
    match after.find('/') {
        Some(i) => Some((&after[..i], &after[i..])),
        None => Some((after, "/")),
    }
    .filter(|(service, _)| !service.is_empty())
}

/// GET and HEAD change nothing, and a request with an `Idempotency-Key` is deduplicated by
/// the service, so sending either again to another replica cannot do anything twice.
fn is_resendable(method: &Method, headers: &HeaderMap) -> bool {
    *method == Method::GET || *method == Method::HEAD || headers.contains_key("idempotency-key")
}

async fn read_body(body: Body) -> Result<Bytes, ProxyError> {
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => Ok(bytes),
        Err(error) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
            while let Some(e) = source {
                if e.is::<http_body_util::LengthLimitError>() {
                    return Err(ProxyError::BodyTooLarge);
                }
                source = e.source();
            }
            Err(ProxyError::BadBody)
        }
    }
}

fn forwarded_headers(incoming: &HeaderMap, upstream: &Upstream) -> HeaderMap {
    let mut headers = strip_hop_by_hop(incoming);
    headers.remove(header::HOST);
    // Content-Length is set again from the buffered body.
    headers.remove(header::CONTENT_LENGTH);
    if let Ok(host) = HeaderValue::from_str(&upstream.authority()) {
        headers.insert(header::HOST, host);
    }
    headers
}

fn strip_hop_by_hop(incoming: &HeaderMap) -> HeaderMap {
    let mut headers = incoming.clone();
    // Headers the Connection header names are hop-by-hop too.
    let named: Vec<HeaderName> = incoming
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers
}

fn build_request(
    method: &Method,
    addr: SocketAddr,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<hyper::Request<Full<Bytes>>, axum::http::Error> {
    let uri: Uri = format!("http://{addr}{path_and_query}").parse()?;
    let mut request = hyper::Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(Full::new(body.clone()))?;
    *request.headers_mut() = headers.clone();
    if !body.is_empty() || !matches!(*method, Method::GET | Method::HEAD) {
        request
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    Ok(request)
}

fn into_response(response: hyper::Response<hyper::body::Incoming>) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers = strip_hop_by_hop(&parts.headers);
    Response::from_parts(parts, Body::new(body))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn splits_service_and_rest() {
        assert_eq!(
            split_path("/api/orders/orders/7"),
            Some(("orders", "/orders/7"))
        );
        assert_eq!(split_path("/api/orders"), Some(("orders", "/")));
        assert_eq!(split_path("/api/orders/"), Some(("orders", "/")));
        assert_eq!(split_path("/api/"), None);
        assert_eq!(split_path("/api//x"), None);
        assert_eq!(split_path("/other"), None);
    }

    #[test]
    fn only_safe_requests_are_resent() {
        let mut headers = HeaderMap::new();
        assert!(is_resendable(&Method::GET, &headers));
        assert!(is_resendable(&Method::HEAD, &headers));
        assert!(!is_resendable(&Method::POST, &headers));
        assert!(!is_resendable(&Method::DELETE, &headers));
        headers.insert("idempotency-key", HeaderValue::from_static("k"));
        assert!(is_resendable(&Method::POST, &headers));
    }

    #[test]
    fn hop_by_hop_headers_are_dropped() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        headers.insert(header::HOST, HeaderValue::from_static("gateway:8080"));
        let upstream = Upstream {
            host: "orders".into(),
            port: 8080,
            base_path: String::new(),
        };
        let forwarded = forwarded_headers(&headers, &upstream);
        assert_eq!(
            forwarded.get(header::AUTHORIZATION),
            headers.get(header::AUTHORIZATION)
        );
        assert_eq!(
            forwarded.get(header::HOST).map(|v| v.as_bytes()),
            Some(&b"orders:8080"[..])
        );
        assert!(forwarded.get("x-secret").is_none());
        assert!(forwarded.get(header::CONNECTION).is_none());
        assert!(forwarded.get(header::TRANSFER_ENCODING).is_none());
    }
}

//! The gateway in process, in front of fake upstream servers on port 0.

#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{json, Value};
use shop_common::reqwest;
use shop_gateway::{app, DnsResolver, Gateway, GatewayConfig, Resolver, Routes, StaticResolver};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A fake replica: echoes what it received, names itself, and counts its requests.
#[derive(Clone)]
struct Replica {
    name: &'static str,
    hits: Arc<AtomicUsize>,
}

async fn echo(State(replica): State<Replica>, headers: HeaderMap, request: Request) -> Response {
    replica.hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    (
        [("x-replica", replica.name)],
        Json(json!({
            "replica": replica.name,
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
            "host": header("host"),
            "authorization": header("authorization"),
            "idempotency_key": header("idempotency-key"),
            "x_custom": header("x-custom"),
            "connection_secret": header("x-hop-secret"),
            "body": String::from_utf8_lossy(&body),
        })),
    )
        .into_response()
}

async fn status(State(replica): State<Replica>, Path(code): Path<u16>) -> Response {
    replica.hits.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::from_u16(code).unwrap(),
        [("x-upstream-header", "kept")],
        Json(json!({"error": {"code": "teapot", "message": "from upstream"}})),
    )
        .into_response()
}

async fn slow(State(replica): State<Replica>) -> &'static str {
    replica.hits.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(5)).await;
    "late"
}

async fn start_replica(name: &'static str) -> (SocketAddr, Replica) {
    let replica = Replica {
        name,
        hits: Arc::new(AtomicUsize::new(0)),
    };
    let router = Router::new()
        .route("/status/{code}", get(status))
        .route("/slow", get(slow))
        .fallback(any(echo))
        .with_state(replica.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, replica)
}

/// An address nothing listens on.
async fn down_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A server that answers every connection with bytes that are not HTTP.
async fn garbage_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            let _ = stream.write_all(b"this is not HTTP\r\n\r\n").await;
        }
    });
    addr
}

/// A server that accepts connections and never answers: a replica that left the network
/// while a connection to it was kept alive looks like this.
async fn silent_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

struct TestGateway {
    base: String,
    http: reqwest::Client,
}

impl TestGateway {
    async fn start(routes: &str, resolver: impl Resolver, config: GatewayConfig) -> TestGateway {
        let routes: Routes = routes.parse().unwrap();
        let gateway = Gateway::new(routes, Arc::new(resolver), config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app(Arc::new(gateway));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        TestGateway {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
        }
    }

    /// `shop` routed to the given replica addresses, in this order.
    async fn over(addrs: &[SocketAddr]) -> TestGateway {
        TestGateway::start(
            "shop=http://shop:8080",
            StaticResolver::new().with("shop", addrs.to_vec()),
            GatewayConfig::default(),
        )
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(self.http.get(self.url(path))).await
    }

    async fn post(&self, path: &str, key: Option<&str>) -> (u16, Value) {
        let mut request = self.http.post(self.url(path)).body("{}");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        self.send(request).await
    }
}

fn assert_json_error(what: &str, (status, body): &(u16, Value), expected: u16) {
    assert_eq!(*status, expected, "{what}: {body}");
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{what}: not a JSON error: {body}"
    );
}

#[tokio::test]
async fn round_robin_reaches_every_replica() {
    let (a, replica_a) = start_replica("a").await;
    let (b, replica_b) = start_replica("b").await;
    let gateway = TestGateway::over(&[a, b]).await;
    let mut seen = BTreeMap::new();
    for _ in 0..10 {
        let (status, body) = gateway.get("/api/shop/items").await;
        assert_eq!(status, 200, "{body}");
        *seen
            .entry(body["replica"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(seen, BTreeMap::from([("a".into(), 5), ("b".into(), 5)]));
    assert_eq!(replica_a.hits.load(Ordering::SeqCst), 5);
    assert_eq!(replica_b.hits.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn method_path_query_headers_and_body_are_forwarded() {
    let (a, _) = start_replica("a").await;
    let gateway = TestGateway::over(&[a]).await;
    let request = gateway
        .http
        .put(gateway.url("/api/shop/orders/7/items?x=1&y=a%20b"))
        .header("authorization", "Bearer t0ken")
        .header("idempotency-key", "key-1")
        .header("x-custom", "yes")
        .header("connection", "x-hop-secret")
        .header("x-hop-secret", "not for the upstream")
        .body(r#"{"quantity": 2}"#);
    let (status, body) = gateway.send(request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "replica": "a",
            "method": "PUT",
            "path": "/orders/7/items",
            "query": "x=1&y=a%20b",
            "host": "shop:8080",
            "authorization": "Bearer t0ken",
            "idempotency_key": "key-1",
            "x_custom": "yes",
            "connection_secret": null,
            "body": r#"{"quantity": 2}"#,
        })
    );
    // The service's root, with and without the trailing slash.
    for path in ["/api/shop", "/api/shop/"] {
        let (status, body) = gateway.get(path).await;
        assert_eq!((status, &body["path"]), (200, &json!("/")), "{path}");
    }
    let response = gateway
        .http
        .head(gateway.url("/api/shop/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn upstream_statuses_headers_and_bodies_come_back_as_they_are() {
    let (a, _) = start_replica("a").await;
    let gateway = TestGateway::over(&[a]).await;
    let response = gateway
        .http
        .get(gateway.url("/api/shop/status/418"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 418);
    assert_eq!(response.headers()["x-upstream-header"], "kept");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["message"], "from upstream");
}

#[tokio::test]
async fn a_get_to_a_replica_that_is_down_is_retried_on_another() {
    let (up, replica) = start_replica("up").await;
    let gateway = TestGateway::over(&[down_addr().await, up]).await;
    for _ in 0..6 {
        let (status, body) = gateway.get("/api/shop/items").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["replica"], "up");
    }
    assert_eq!(replica.hits.load(Ordering::SeqCst), 6);
    let metrics = gateway
        .http
        .get(gateway.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("gateway_retries_total 3"), "{metrics}");
}

#[tokio::test]
async fn a_post_without_idempotency_key_is_not_retried() {
    let (up, replica) = start_replica("up").await;
    let gateway = TestGateway::over(&[down_addr().await, up]).await;
    // Round robin starts at the replica that is down.
    let response = gateway.post("/api/shop/orders", None).await;
    assert_json_error("POST to a down replica", &response, 502);
    assert_eq!(response.1["error"]["code"], "bad_gateway");
    assert_eq!(replica.hits.load(Ordering::SeqCst), 0);
    // The next one goes to the replica that is up.
    let (status, _) = gateway.post("/api/shop/orders", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_post_with_idempotency_key_is_retried() {
    let (up, replica) = start_replica("up").await;
    let gateway = TestGateway::over(&[down_addr().await, up]).await;
    for n in 0..4 {
        let (status, body) = gateway
            .post("/api/shop/orders", Some(&format!("k{n}")))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["idempotency_key"], format!("k{n}"));
    }
    assert_eq!(replica.hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_get_without_an_answer_in_time_goes_to_another_replica_but_a_keyed_post_does_not() {
    let (up, replica) = start_replica("up").await;
    let gateway = TestGateway::start(
        "shop=http://shop:8080",
        StaticResolver::new().with("shop", vec![silent_addr().await, up]),
        GatewayConfig {
            retry_timeout: Duration::from_millis(200),
            response_timeout: Duration::from_millis(800),
            ..GatewayConfig::default()
        },
    )
    .await;
    // Round robin starts at the silent replica.
    let started = std::time::Instant::now();
    let (status, body) = gateway.get("/api/shop/items").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["replica"], "up");
    assert!(started.elapsed() < Duration::from_millis(800));
    assert_eq!(replica.hits.load(Ordering::SeqCst), 1);
    // Its first try may still be running: a keyed POST waits for the silent replica.
    let _ = gateway.get("/api/shop/items").await;
    let response = gateway.post("/api/shop/orders", Some("k1")).await;
    assert_json_error("POST to a silent replica", &response, 504);
    assert_eq!(replica.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn every_replica_down_is_503() {
    let gateway = TestGateway::over(&[down_addr().await, down_addr().await]).await;
    let response = gateway.get("/api/shop/items").await;
    assert_json_error("GET, all down", &response, 503);
    assert_eq!(response.1["error"]["code"], "unavailable");
    let response = gateway.post("/api/shop/orders", Some("k")).await;
    assert_json_error("POST with key, all down", &response, 503);
    // One replica, down: nothing else could have been tried.
    let gateway = TestGateway::over(&[down_addr().await]).await;
    let response = gateway.post("/api/shop/orders", None).await;
    assert_json_error("POST, the only replica down", &response, 503);
}

#[tokio::test]
async fn a_service_without_addresses_is_503() {
    let gateway = TestGateway::start(
        "shop=http://shop:8080,gone=http://no-such-host.invalid:8080",
        StaticResolver::new().with("shop", vec![]),
        GatewayConfig::default(),
    )
    .await;
    let response = gateway.get("/api/shop/items").await;
    assert_json_error("no address", &response, 503);
    let response = gateway.get("/api/gone/items").await;
    assert_json_error("unknown host", &response, 503);

    let gateway = TestGateway::start(
        "gone=http://no-such-host.invalid:8080",
        DnsResolver::default(),
        GatewayConfig::default(),
    )
    .await;
    let response = gateway.get("/api/gone/items").await;
    assert_json_error("DNS finds nothing", &response, 503);
}

#[tokio::test]
async fn a_bad_answer_is_502_and_a_slow_one_504() {
    let garbage = garbage_addr().await;
    let gateway = TestGateway::over(&[garbage]).await;
    let response = gateway.get("/api/shop/items").await;
    assert_json_error("not HTTP", &response, 502);

    let (a, _) = start_replica("a").await;
    let gateway = TestGateway::start(
        "shop=http://shop:8080",
        StaticResolver::new().with("shop", vec![a]),
        GatewayConfig {
            response_timeout: Duration::from_millis(200),
            ..GatewayConfig::default()
        },
    )
    .await;
    let response = gateway.get("/api/shop/slow").await;
    assert_json_error("slow upstream", &response, 504);
}

#[tokio::test]
async fn unknown_services_and_paths_are_404() {
    let (a, replica) = start_replica("a").await;
    let gateway = TestGateway::over(&[a]).await;
    for path in [
        "/api/nope/items",
        "/api/nope",
        "/api/",
        "/api",
        "/elsewhere",
        "/",
    ] {
        let response = gateway.get(path).await;
        assert_json_error(path, &response, 404);
    }
    assert_eq!(replica.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn internal_endpoints_are_not_published() {
    let (a, replica) = start_replica("a").await;
    let gateway = TestGateway::over(&[a]).await;
    for path in [
        "/api/shop/internal/payments",
        "/api/shop/internal",
        "/api/shop//internal/payments",
        "/api/shop/%69nternal/payments",
        "/api/shop/x/%2e%2e/internal/payments",
    ] {
        let response = gateway.post(path, None).await;
        assert_json_error(path, &response, 404);
    }
    assert_eq!(replica.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_services_calls_to_each_other_are_not_published() {
    let (a, replica) = start_replica("a").await;
    let gateway = TestGateway::start(
        "products=http://shop:8080,payments=http://shop:8080,orders=http://shop:8080",
        StaticResolver::new().with("shop", vec![a]),
        GatewayConfig::default(),
    )
    .await;
    for path in [
        "/api/products/reservations",
        "/api/products/reservations/abc/release",
        "/api/payments/charges",
        "/api/payments/charges/abc",
        "/api/orders/internal/payments",
    ] {
        let response = gateway.post(path, None).await;
        assert_json_error(path, &response, 404);
    }
    assert_eq!(replica.hits.load(Ordering::SeqCst), 0);
    // The public parts of the same services are forwarded.
    for path in [
        "/api/products/products/1",
        "/api/orders/orders",
        "/api/payments/metrics",
    ] {
        let (status, _) = gateway.get(path).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let (a, replica) = start_replica("a").await;
    let gateway = TestGateway::over(&[a]).await;
    let request = gateway
        .http
        .post(gateway.url("/api/shop/orders"))
        .body(vec![b'x'; 100 * 1024]);
    let response = gateway.send(request).await;
    assert_json_error("100 KiB body", &response, 413);
    // Chunked, without a length: cut at the limit while reading.
    let addr = gateway.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/shop/orders HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    let chunk = format!("400\r\n{}\r\n", "y".repeat(1024));
    for _ in 0..100 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break; // the gateway answered and closed early
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    assert_eq!(replica.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_gateway_has_its_own_health_readiness_and_per_service_metrics() {
    let (a, _) = start_replica("a").await;
    let gateway = TestGateway::over(&[a]).await;
    assert_eq!(
        gateway.get("/healthz").await,
        (200, json!({"status": "ok"}))
    );
    assert_eq!(
        gateway.get("/readyz").await,
        (200, json!({"status": "ready"}))
    );
    gateway.get("/api/shop/items").await;
    let metrics = gateway
        .http
        .get(gateway.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            r#"http_requests_total{method="GET",route="/api/shop/{*rest}",status="200"} 1"#
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_service_name_resolved_by_dns_is_reached() {
    let (a, replica) = start_replica("a").await;
    let gateway = TestGateway::start(
        &format!("local=http://localhost:{}", a.port()),
        DnsResolver::default(),
        GatewayConfig::default(),
    )
    .await;
    // `localhost` may also resolve to ::1, where nothing listens: GETs go on to 127.0.0.1.
    for _ in 0..4 {
        let (status, body) = gateway.get("/api/local/x").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["host"], format!("localhost:{}", a.port()));
    }
    assert_eq!(replica.hits.load(Ordering::SeqCst), 4);
}

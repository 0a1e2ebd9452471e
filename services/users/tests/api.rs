//! The users API in process (tower `oneshot`), each test on a fresh database, plus the
//! binary's `healthcheck` subcommand and SIGTERM against real servers.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shop_common::{Claims, Db, TokenKey, BODY_LIMIT};
use tower::ServiceExt;
use users::{app, AppState, Passwords, MIGRATIONS};

const KEY: &[u8] = b"test-key-test-key-test-key-test!";

struct TestApp {
    router: Router,
    _dir: tempfile::TempDir,
}

fn spawn_app() -> TestApp {
    spawn_app_with_ttl(Duration::from_secs(3600))
}

fn spawn_app_with_ttl(ttl: Duration) -> TestApp {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db =
        Db::open(&dir.path().join("users.db"), MIGRATIONS).unwrap_or_else(|e| panic!("db: {e}"));
    let key = TokenKey::from_bytes(KEY).unwrap_or_else(|e| panic!("key: {e}"));
    let passwords = Passwords::fast_insecure().unwrap_or_else(|e| panic!("passwords: {e}"));
    let state = AppState::new(db, key, ttl, "admin@shop.test, Boss@Shop.test", passwords);
    TestApp {
        router: app(state),
        _dir: dir,
    }
}

struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

impl TestApp {
    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status().as_u16();
        let is_json = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let body = if is_json {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("bad JSON: {e}"))
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        assert!(status < 500, "a 500: {body}");
        if status >= 400 {
            assert!(is_json, "a {status} without a JSON body: {body}");
        }
        Reply { status, body }
    }

    async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Reply {
        let mut request = Request::builder().method(Method::POST).uri(path);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        self.send(request.body(body.into()).unwrap_or_default())
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.post_raw(path, Some("application/json"), body.to_string())
            .await
    }

    async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        let mut request = Request::get(path);
        if let Some(token) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).unwrap_or_default())
            .await
    }

    async fn register(&self, email: &str, password: &str) -> Reply {
        self.post("/register", json!({"email": email, "password": password}))
            .await
    }

    async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/login", json!({"email": email, "password": password}))
            .await
    }

    async fn token_for(&self, email: &str) -> String {
        assert_eq!(self.register(email, "password123").await.status, 201);
        let reply = self.login(email, "password123").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["token"].as_str().unwrap_or_default().to_string()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[tokio::test]
async fn register_login_me() {
    let app = spawn_app();
    let reply = app
        .post(
            "/register",
            json!({"email": " Ann@Example.com ", "password": "password123", "name": "Ann"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["email"], "ann@example.com");
    let id = reply.body["id"].as_i64().unwrap_or(-1);
    assert!(id > 0);

    // Any case of the email logs in.
    let reply = app.login("ANN@example.com", "password123").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = reply.body["token"].as_str().unwrap_or_default().to_string();
    let expires_at = reply.body["expires_at"].as_u64().unwrap_or(0);
    assert!(
        expires_at >= now() + 3599 && expires_at <= now() + 3600,
        "{expires_at}"
    );

    // The token is one every service can check with the shared key.
    let key = TokenKey::from_bytes(KEY).unwrap_or_else(|e| panic!("{e}"));
    let claims = key.verify(&token).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        claims,
        Claims {
            sub: id,
            email: "ann@example.com".into(),
            role: "customer".into(),
            exp: expires_at
        }
    );

    let reply = app.get("/me", Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"id": id, "email": "ann@example.com", "name": "Ann", "role": "customer"})
    );
}

#[tokio::test]
async fn admins_are_the_listed_emails() {
    let app = spawn_app();
    for (email, role) in [
        ("admin@shop.test", "admin"),
        ("boss@shop.test", "admin"),
        ("someone@shop.test", "customer"),
    ] {
        let token = app.token_for(email).await;
        let reply = app.get("/me", Some(&token)).await;
        assert_eq!(reply.body["role"], role, "{email}");
    }
}

#[tokio::test]
async fn a_taken_email_is_409_in_any_case() {
    let app = spawn_app();
    assert_eq!(
        app.register("bo@shop.test", "password123").await.status,
        201
    );
    let again = app.register("BO@shop.test", "another-password").await;
    assert_eq!(
        (again.status, again.code()),
        (409, "conflict"),
        "{}",
        again.body
    );
    assert_eq!(again.message(), "email already registered");
    // The first password still holds.
    assert_eq!(app.login("bo@shop.test", "password123").await.status, 200);
    assert_eq!(
        app.login("bo@shop.test", "another-password").await.status,
        401
    );
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_make_one_user() {
    let app = spawn_app();
    let attempts = (0..8).map(|_| app.register("race@shop.test", "password123"));
    let statuses: Vec<u16> = join_statuses(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

/// The statuses of `replies`, polled together in this task (their database work runs
/// on blocking threads, so it overlaps).
async fn join_statuses<F: std::future::Future<Output = Reply>>(
    replies: impl Iterator<Item = F>,
) -> Vec<u16> {
    let mut pending: Vec<_> = replies.map(Box::pin).collect();
    let mut statuses = vec![None; pending.len()];
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (future, status) in pending.iter_mut().zip(statuses.iter_mut()) {
            if status.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(reply) => *status = Some(reply.status),
                    std::task::Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    statuses.into_iter().flatten().collect()
}

#[tokio::test]
async fn invalid_registrations_are_400() {
    let app = spawn_app();
    for (body, needle) in [
        (
            json!({"email": "not-an-email", "password": "password123"}),
            "valid email",
        ),
        (
            json!({"email": "a@b", "password": "password123"}),
            "valid email",
        ),
        (
            json!({"email": "", "password": "password123"}),
            "valid email",
        ),
        (
            json!({"email": "a b@shop.test", "password": "password123"}),
            "valid email",
        ),
        (
            json!({"email": "ok@shop.test", "password": "short"}),
            "at least 8",
        ),
        (
            json!({"email": "ok@shop.test", "password": ""}),
            "at least 8",
        ),
        (
            json!({"email": "ok@shop.test", "password": "x".repeat(2000)}),
            "at most",
        ),
        (
            json!({"email": "ok@shop.test", "password": "password123", "name": "x".repeat(101)}),
            "name",
        ),
    ] {
        let reply = app.post("/register", body.clone()).await;
        assert_eq!((reply.status, reply.code()), (400, "bad_request"), "{body}");
        assert!(
            reply.message().contains(needle),
            "{body}: {}",
            reply.message()
        );
    }
    // None of them was stored.
    assert_eq!(
        app.register("ok@shop.test", "password123").await.status,
        201
    );
}

#[tokio::test]
async fn malformed_bodies_are_4xx_json() {
    let app = spawn_app();
    for path in ["/register", "/login"] {
        let cases: [(Option<&str>, String, u16, &str); 9] = [
            (
                Some("application/json"),
                "{\"email\":".into(),
                400,
                "bad_request",
            ),
            (
                Some("application/json"),
                "not json".into(),
                400,
                "bad_request",
            ),
            (Some("application/json"), "".into(), 400, "bad_request"),
            (
                Some("application/json"),
                "[]".into(),
                422,
                "unprocessable_entity",
            ),
            (
                Some("application/json"),
                "{}".into(),
                422,
                "unprocessable_entity",
            ),
            (
                Some("application/json"),
                r#"{"email":"a@shop.test"}"#.into(),
                422,
                "unprocessable_entity",
            ),
            (
                Some("application/json"),
                r#"{"email":5,"password":"password123"}"#.into(),
                422,
                "unprocessable_entity",
            ),
            (
                Some("text/plain"),
                r#"{"email":"a@shop.test","password":"password123"}"#.into(),
                415,
                "unsupported_media_type",
            ),
            (
                None,
                r#"{"email":"a@shop.test","password":"password123"}"#.into(),
                415,
                "unsupported_media_type",
            ),
        ];
        for (content_type, body, status, code) in cases {
            let reply = app.post_raw(path, content_type, body.clone()).await;
            assert_eq!(
                (reply.status, reply.code()),
                (status, code),
                "{path} {body}: {}",
                reply.body
            );
            assert!(!reply.message().is_empty());
        }
    }
    let wrong_name = app
        .post(
            "/register",
            json!({"email": "a@shop.test", "password": "password123", "name": 7}),
        )
        .await;
    assert_eq!(wrong_name.status, 422, "{}", wrong_name.body);
    assert!(
        wrong_name.message().contains("invalid type"),
        "{}",
        wrong_name.message()
    );
    let missing = app
        .post("/register", json!({"password": "password123"}))
        .await;
    assert!(
        missing.message().contains("missing field `email`"),
        "{}",
        missing.message()
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_json() {
    let app = spawn_app();
    let big = json!({"email": "a@shop.test", "password": "p".repeat(BODY_LIMIT)}).to_string();
    let request = Request::post("/register")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big.clone()))
        .unwrap_or_default();
    let declared = app.send(request).await;
    assert_eq!(
        (declared.status, declared.code()),
        (413, "payload_too_large")
    );
    // Without a declared length, refused once reading passes the limit.
    let undeclared = app.post_raw("/login", Some("application/json"), big).await;
    assert_eq!(
        (undeclared.status, undeclared.code()),
        (413, "payload_too_large")
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_look_the_same() {
    let app = spawn_app();
    assert_eq!(
        app.register("cy@shop.test", "password123").await.status,
        201
    );
    let wrong = app.login("cy@shop.test", "password124").await;
    let unknown = app.login("nobody@shop.test", "password123").await;
    let malformed = app.login("not an email", "").await;
    for reply in [&wrong, &unknown, &malformed] {
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.body,
            json!({"error": {"code": "unauthorized", "message": "invalid email or password"}})
        );
    }
}

#[tokio::test]
async fn me_needs_a_good_token() {
    let app = spawn_app();
    let token = app.token_for("di@shop.test").await;
    let key = TokenKey::from_bytes(KEY).unwrap_or_else(|e| panic!("{e}"));
    let other =
        TokenKey::from_bytes(b"another-key-another-key-another!").unwrap_or_else(|e| panic!("{e}"));
    let claims = key.verify(&token).unwrap_or_else(|e| panic!("{e:?}"));
    let expired = key.sign(&Claims {
        exp: now() - 1,
        ..claims.clone()
    });
    let forged = other.sign(&claims);
    let ghost = key.sign(&Claims {
        sub: 999,
        ..claims.clone()
    });
    let truncated = &token[..token.len() - 3];

    let reply = app.get("/me", None).await;
    assert_eq!(
        (reply.status, reply.message()),
        (401, "missing bearer token")
    );
    let reply = app.get("/me", Some(&expired)).await;
    assert_eq!((reply.status, reply.message()), (401, "token expired"));
    for bad in [forged.as_str(), truncated, "garbage", ""] {
        let reply = app.get("/me", Some(bad)).await;
        assert_eq!((reply.status, reply.code()), (401, "unauthorized"), "{bad}");
    }
    let reply = app.get("/me", Some(&ghost)).await;
    assert_eq!(reply.status, 401);
    let basic = app
        .send(
            Request::get("/me")
                .header(header::AUTHORIZATION, format!("Basic {token}"))
                .body(Body::empty())
                .unwrap_or_default(),
        )
        .await;
    assert_eq!(basic.status, 401);
    assert_eq!(app.get("/me", Some(&token)).await.status, 200);
}

#[tokio::test]
async fn tokens_expire_after_the_ttl() {
    let app = spawn_app_with_ttl(Duration::from_secs(1));
    let token = app.token_for("ed@shop.test").await;
    assert_eq!(app.get("/me", Some(&token)).await.status, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let reply = app.get("/me", Some(&token)).await;
    assert_eq!((reply.status, reply.message()), (401, "token expired"));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_errors() {
    let app = spawn_app();
    let reply = app.get("/nowhere", None).await;
    assert_eq!((reply.status, reply.code()), (404, "not_found"));
    let reply = app.get("/register", None).await;
    assert_eq!((reply.status, reply.code()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app();
    let reply = app.get("/healthz", None).await;
    assert_eq!((reply.status, reply.body), (200, json!({"status": "ok"})));
    let reply = app.get("/readyz", None).await;
    assert_eq!(
        (reply.status, reply.body),
        (200, json!({"status": "ready"}))
    );
    app.register("fi@shop.test", "password123").await;
    app.register("fi@shop.test", "password123").await;
    let reply = app.get("/metrics", None).await;
    assert_eq!(reply.status, 200);
    let text = reply.body.as_str().unwrap_or_default();
    for line in [
        r#"http_requests_total{method="POST",route="/register",status="201"} 1"#,
        r#"http_requests_total{method="POST",route="/register",status="409"} 1"#,
        r#"http_request_duration_seconds_count{method="POST",route="/register"} 2"#,
        "users_registered_total 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
}

// The binary, as Compose runs it.

async fn run_healthcheck(port: u16) -> bool {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_users"))
        .arg("healthcheck")
        .env("LISTEN_ADDR", format!("0.0.0.0:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .map(|s| s.success())
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_healthcheck_subcommand_probes_readyz() {
    let app = spawn_app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(shop_common::serve_listener(
        app.router.clone(),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    assert!(
        run_healthcheck(port).await,
        "healthy server reported unhealthy"
    );
    let _ = stop.send(());
    assert!(matches!(server.await, Ok(Ok(()))));
    assert!(!run_healthcheck(port).await, "nothing listens, yet healthy");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a: SocketAddr| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let key_file = dir.path().join("token-key");
    std::fs::write(&key_file, [KEY, b"\n"].concat()).unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_users"))
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_PATH", dir.path().join("data").join("users.db"))
        .env("TOKEN_KEY_FILE", &key_file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let started = Instant::now();
    while !run_healthcheck(port).await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never became healthy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().unwrap_or_default().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .map(|s| s.success());
    assert!(matches!(killed, Ok(true)));
    let stopping = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    assert!(matches!(status, Ok(Ok(s)) if s.success()), "{status:?}");
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopping.elapsed()
    );
}

#[tokio::test]
async fn the_binary_refuses_to_start_without_its_key_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_users"))
        .env("LISTEN_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("DATABASE_PATH", dir.path().join("users.db"))
        .env_remove("TOKEN_KEY_FILE")
        .env("TOKEN_KEY", "an-environment-variable-is-not-read")
        .output()
        .await
        .unwrap_or_else(|e| panic!("run: {e}"));
    assert!(!output.status.success());
    let logs = String::from_utf8_lossy(&output.stdout);
    assert!(logs.contains("TOKEN_KEY_FILE is required"), "{logs}");
}

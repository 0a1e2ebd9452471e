//! The payments API, in process: every endpoint, the bad inputs, one charge per order
//! under concurrent duplicates on two replicas, and the callback to orders through the
//! outbox, with orders failing, down, and payments restarted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::post;
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shop_common::testing::send;
use shop_common::{identity_digest, ServiceCallers, ServiceIdentity, SERVICE_CREDENTIAL_HEADER};
use shop_payments::domain::{Amount, FailureRate, OrderId, ProcessorSettings};
use shop_payments::{app, spawn_callback_worker, store, AppState, CallbackSettings, Settings};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tower::ServiceExt;

fn settings(latency: Duration, failure_rate: FailureRate, orders_url: &str) -> Settings {
    Settings {
        processor: ProcessorSettings {
            latency,
            failure_rate,
        },
        callbacks: CallbackSettings {
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            poll_interval: Duration::from_millis(20),
            lease: Duration::from_secs(10),
            stale_charge_after: Duration::from_millis(300),
            ..CallbackSettings::new(orders_url)
        },
    }
}

const ORDERS_TOKEN: &str = "orders-identity-0123456789abcdef";
const PAYMENTS_TOKEN: &str = "payments-identity-0123456789abcdef";

fn identity(name: &str, token: &str) -> ServiceIdentity {
    ServiceIdentity::new(name, token).unwrap_or_else(|e| panic!("identity: {e}"))
}

/// `request` with `identity`'s credential.
fn with_credential(mut request: Request<Body>, identity: &ServiceIdentity) -> Request<Body> {
    let (name, value) = identity.header();
    request.headers_mut().insert(name, value);
    request
}

/// `request` as orders sends it.
fn from_orders(request: Request<Body>) -> Request<Body> {
    with_credential(request, &identity("orders", ORDERS_TOKEN))
}

/// No orders listens here: callbacks to it fail at once.
const NOWHERE: &str = "http://127.0.0.1:9";

struct Payments {
    dir: TempDir,
    state: AppState,
    app: Router,
}

impl Payments {
    fn new(settings: Settings) -> Payments {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let (state, app) = replica(&dir, settings);
        Payments { dir, state, app }
    }

    fn quick() -> Payments {
        Payments::new(settings(Duration::ZERO, FailureRate::NEVER, NOWHERE))
    }
}

/// Another payments process on the same database file: a replica, or a restart.
fn replica(dir: &TempDir, settings: Settings) -> (AppState, Router) {
    let callers = ServiceCallers::none()
        .with_digest("orders", &identity_digest(ORDERS_TOKEN))
        .unwrap_or_else(|e| panic!("{e}"));
    let state = AppState::open(
        &dir.path().join("payments.db"),
        settings,
        identity("payments", PAYMENTS_TOKEN),
        callers,
    )
    .unwrap_or_else(|e| panic!("open: {e}"));
    let app = app(state.clone());
    (state, app)
}

/// `POST path` with a JSON body, as orders sends it (no user token, orders' credential).
fn post_raw(path: &str, body: impl Into<Body>) -> Request<Body> {
    from_orders(shop_common::testing::post_raw(path, None, body))
}

/// `GET path` as orders sends it.
fn get(path: &str) -> Request<Body> {
    from_orders(shop_common::testing::get(path))
}

fn charge(order_id: &str, amount_cents: i64) -> Request<Body> {
    post_raw(
        "/charges",
        json!({"order_id": order_id, "amount_cents": amount_cents}).to_string(),
    )
}

/// A stand-in for orders' `POST /internal/payments`: records every callback and answers
/// the scripted statuses in turn, then 200; like orders, it answers 401 to a callback
/// without payments' credential (and records none of those).
#[derive(Clone, Default)]
struct FakeOrders {
    received: Arc<Mutex<Vec<Value>>>,
    script: Arc<Mutex<Vec<StatusCode>>>,
    unauthenticated: Arc<Mutex<usize>>,
}

impl FakeOrders {
    fn failing_first(statuses: &[StatusCode]) -> FakeOrders {
        let fake = FakeOrders::default();
        *fake.script.lock().unwrap_or_else(PoisonError::into_inner) =
            statuses.iter().rev().copied().collect();
        fake
    }

    fn received(&self) -> Vec<Value> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Serves on `addr` (port 0 for any) until the test ends; returns its URL.
    async fn serve(&self, addr: SocketAddr) -> String {
        let listener = TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("bind {addr}: {e}"));
        let url = format!(
            "http://{}",
            listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
        );
        let router = Router::new()
            .route("/internal/payments", post(fake_callback))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    }
}

async fn fake_callback(
    State(fake): State<FakeOrders>,
    headers: HeaderMap,
    body: axum::Json<Value>,
) -> StatusCode {
    let expected = format!("payments:{PAYMENTS_TOKEN}");
    if headers
        .get(SERVICE_CREDENTIAL_HEADER)
        .is_none_or(|v| v.as_bytes() != expected.as_bytes())
    {
        *fake
            .unauthenticated
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += 1;
        return StatusCode::UNAUTHORIZED;
    }
    fake.received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(body.0);
    fake.script
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .unwrap_or(StatusCode::OK)
}

/// Waits up to 10 s for `done`, checking every 20 ms.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Where the order's callback stands in the outbox.
async fn callback_state(state: &AppState, order_id: &str) -> store::CallbackState {
    let order_id = order_id.to_owned();
    state
        .db()
        .call(move |conn| Ok(store::callback_state(conn, &order_id)?))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no outbox row"))
}

/// (attempts, delivered, rejected).
async fn delivery(state: &AppState, order_id: &str) -> (i64, bool, bool) {
    let row = callback_state(state, order_id).await;
    (row.attempts, row.delivered, row.rejected)
}

#[tokio::test]
async fn a_charge_is_decided_once_and_a_repeat_returns_it() {
    let payments = Payments::quick();
    let (status, created) = send(&payments.app, charge("ord-1", 4990)).await;
    assert_eq!(status, 201, "{created}");
    assert!(created["charge_id"].is_string(), "{created}");
    assert_eq!(created["order_id"], "ord-1");
    assert_eq!(created["amount_cents"], 4990);
    assert_eq!(created["status"], "succeeded");

    let (status, repeated) = send(&payments.app, charge("ord-1", 4990)).await;
    assert_eq!((status, &repeated), (200, &created));
    assert_eq!(
        send(&payments.app, get("/charges/ord-1")).await,
        (200, created)
    );
    assert_eq!(payments.state.charges_attempted(), 1);
}

#[tokio::test]
async fn a_decline_is_stored_and_never_decided_again() {
    let payments = Payments::new(settings(Duration::ZERO, FailureRate::ALWAYS, NOWHERE));
    let (status, declined) = send(&payments.app, charge("ord-no", 100)).await;
    assert_eq!(
        (status, declined["status"].as_str()),
        (201, Some("declined"))
    );
    // A restart with a processor that never declines keeps the stored outcome.
    let (restarted, app) = replica(
        &payments.dir,
        settings(Duration::ZERO, FailureRate::NEVER, NOWHERE),
    );
    let (status, again) = send(&app, charge("ord-no", 100)).await;
    assert_eq!((status, &again), (200, &declined));
    assert_eq!(payments.state.charges_attempted(), 1);
    assert_eq!(restarted.charges_attempted(), 0);
}

#[tokio::test]
async fn the_same_order_for_another_amount_is_a_conflict() {
    let payments = Payments::quick();
    assert_eq!(send(&payments.app, charge("ord-2", 500)).await.0, 201);
    let (status, error) = send(&payments.app, charge("ord-2", 700)).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    let (_, stored) = send(&payments.app, get("/charges/ord-2")).await;
    assert_eq!(stored["amount_cents"], 500);
    assert_eq!(payments.state.charges_attempted(), 1);
}

/// Charges are orders' alone: no credential, a wrong one, another service's, or a user's
/// token is refused before the body is read, and nothing is charged.
#[tokio::test]
async fn only_orders_asks_for_or_reads_charges() {
    let payments = Payments::quick();
    let body = json!({"order_id": "ord-who", "amount_cents": 100}).to_string();
    let bare = || shop_common::testing::post_raw("/charges", None, body.clone());
    let user_token = shop_common::TokenKey::from_bytes(b"a-user-token-key-0123456789")
        .unwrap_or_else(|e| panic!("{e}"))
        .issue(1, "a@shop.test", "admin", Duration::from_secs(60));
    let refused = [
        ("no credential", bare(), 401),
        (
            "a user's token",
            shop_common::testing::post_raw("/charges", Some(&user_token), body.clone()),
            401,
        ),
        (
            "orders' name with another token",
            with_credential(bare(), &identity("orders", PAYMENTS_TOKEN)),
            401,
        ),
        (
            "products' credential",
            with_credential(bare(), &identity("products", ORDERS_TOKEN)),
            401,
        ),
        (
            "payments' own credential",
            with_credential(bare(), &identity("payments", PAYMENTS_TOKEN)),
            403,
        ),
        (
            "reading a charge without a credential",
            shop_common::testing::get("/charges/ord-who"),
            401,
        ),
    ];
    for (what, request, expected) in refused {
        let (status, error) = send(&payments.app, request).await;
        assert_eq!(status, expected, "{what}: {error}");
    }
    assert_eq!(payments.state.charges_attempted(), 0);
    assert_eq!(send(&payments.app, post_raw("/charges", body)).await.0, 201);
}

#[tokio::test]
async fn bad_inputs_are_4xx_json_and_charge_nothing() {
    let payments = Payments::quick();
    let cases: Vec<(String, u16)> = vec![
        (r#"{"order_id":"o","amount_cents":1"#.into(), 400),
        ("not json".into(), 400),
        ("".into(), 400),
        (r#"{"order_id":"o"}"#.into(), 422),
        (r#"{"amount_cents":100}"#.into(), 422),
        (r#"{"order_id":"o","amount_cents":"100"}"#.into(), 422),
        (r#"{"order_id":"o","amount_cents":10.5}"#.into(), 422),
        (r#"{"order_id":5,"amount_cents":100}"#.into(), 422),
        (
            r#"{"order_id":"o","amount_cents":99999999999999999999}"#.into(),
            422,
        ),
        ("[]".into(), 422),
        (r#"{"order_id":"o","amount_cents":0}"#.into(), 400),
        (r#"{"order_id":"o","amount_cents":-100}"#.into(), 400),
        (r#"{"order_id":"","amount_cents":100}"#.into(), 400),
        (
            json!({"order_id": "o".repeat(129), "amount_cents": 100}).to_string(),
            400,
        ),
        (
            json!({"order_id": "o", "amount_cents": 100, "note": "x".repeat(70 * 1024)})
                .to_string(),
            413,
        ),
    ];
    for (body, expected) in cases {
        let (status, error) = send(&payments.app, post_raw("/charges", body.clone())).await;
        assert_eq!(status, expected, "{body:.100}: {error}");
    }
    let text = from_orders(
        Request::post("/charges")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(r#"{"order_id":"o","amount_cents":1}"#))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(send(&payments.app, text).await.0, 415);
    for (path, expected) in [
        ("/charges/unknown".to_string(), 404),
        (format!("/charges/{}", "x".repeat(200)), 400),
        ("/charges".to_string(), 405),
        ("/nowhere".to_string(), 404),
    ] {
        let (status, error) = send(&payments.app, get(&path)).await;
        assert_eq!(status, expected, "{path}: {error}");
    }
    assert_eq!(payments.state.charges_attempted(), 0);
}

/// Duplicates of one order sent at once to two replicas sharing the database (orders'
/// outbox retrying while the first try is still in flight): the processor is asked once,
/// every answer is the same charge, and every answer carries the outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_on_two_replicas_charge_once() {
    let slow = settings(Duration::from_millis(150), FailureRate::NEVER, NOWHERE);
    let payments = Payments::new(slow.clone());
    let (second_state, second) = replica(&payments.dir, slow);
    let mut tasks = Vec::new();
    for n in 0..20 {
        let app = if n % 2 == 0 {
            payments.app.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            send(&app, charge("ord-dup", 2500)).await
        }));
    }
    let mut statuses = Vec::new();
    let mut charges = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap_or_else(|e| panic!("{e}"));
        statuses.push(status);
        charges.insert(body.to_string());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(charges.len(), 1, "{charges:?}");
    let only = charges.first().cloned().unwrap_or_default();
    assert!(only.contains(r#""status":"succeeded""#), "{only}");
    assert_eq!(
        payments.state.charges_attempted() + second_state.charges_attempted(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outcome_is_called_back_to_orders_once() {
    let orders = FakeOrders::default();
    let url = orders.serve(([127, 0, 0, 1], 0).into()).await;
    let payments = Payments::new(settings(Duration::ZERO, FailureRate::ALWAYS, &url));
    let worker = spawn_callback_worker(payments.state.clone());

    assert_eq!(send(&payments.app, charge("ord-cb", 1500)).await.0, 201);
    eventually("the callback", || !orders.received().is_empty()).await;
    assert_eq!(
        orders.received(),
        vec![json!({"order_id": "ord-cb", "status": "declined"})]
    );
    // Delivered means done: no second callback however long the worker runs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(orders.received().len(), 1);
    // Every callback carried payments' credential.
    assert_eq!(
        *orders
            .unauthenticated
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
        0
    );
    assert_eq!(delivery(&payments.state, "ord-cb").await, (1, true, false));
    // A repeated charge request queues no second callback either.
    assert_eq!(send(&payments.app, charge("ord-cb", 1500)).await.0, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(orders.received().len(), 1);
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_orders_gets_the_callback_again_until_it_answers_2xx() {
    // 401 and 403: orders did not accept payments' credential (a secret changed on one
    // side only); the outcome waits until the secrets agree again.
    let orders = FakeOrders::failing_first(&[
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::UNAUTHORIZED,
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::FORBIDDEN,
        StatusCode::TOO_MANY_REQUESTS,
    ]);
    let url = orders.serve(([127, 0, 0, 1], 0).into()).await;
    let payments = Payments::new(settings(Duration::ZERO, FailureRate::NEVER, &url));
    let worker = spawn_callback_worker(payments.state.clone());

    assert_eq!(send(&payments.app, charge("ord-retry", 990)).await.0, 201);
    eventually("six tries", || orders.received().len() >= 6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = orders.received();
    assert_eq!(received.len(), 6, "{received:?}");
    assert!(received
        .iter()
        .all(|r| *r == json!({"order_id": "ord-retry", "status": "succeeded"})));
    assert_eq!(
        delivery(&payments.state, "ord-retry").await,
        (6, true, false)
    );
    worker.abort();
}

/// orders answering 404 (no such order: a charge made without it) or 409 says no for
/// good: the callback is kept as rejected, with the answer, and not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_orders_refuses_is_kept_as_rejected_and_not_retried() {
    let orders = FakeOrders::failing_first(&[StatusCode::NOT_FOUND]);
    let url = orders.serve(([127, 0, 0, 1], 0).into()).await;
    let payments = Payments::new(settings(Duration::ZERO, FailureRate::NEVER, &url));
    let worker = spawn_callback_worker(payments.state.clone());

    assert_eq!(send(&payments.app, charge("ord-unknown", 300)).await.0, 201);
    eventually("the callback", || !orders.received().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(orders.received().len(), 1);
    let row = callback_state(&payments.state, "ord-unknown").await;
    assert_eq!(
        (row.attempts, row.delivered, row.rejected),
        (1, false, true)
    );
    assert!(
        row.last_error.as_deref().is_some_and(|e| e.contains("404")),
        "{row:?}"
    );
    worker.abort();
}

/// orders is down when the charge is made, then payments restarts, then orders comes
/// back: the outcome waits in payments' database and reaches orders exactly then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_outlives_orders_being_down_and_a_payments_restart() {
    // A port nothing listens on yet: orders is down.
    let addr = {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    };
    let url = format!("http://{addr}");
    let payments = Payments::new(settings(Duration::ZERO, FailureRate::NEVER, &url));
    let worker = spawn_callback_worker(payments.state.clone());
    assert_eq!(send(&payments.app, charge("ord-down", 1200)).await.0, 201);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (attempts, delivered, _) = delivery(&payments.state, "ord-down").await;
        assert!(!delivered, "delivered with nothing listening");
        if attempts >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no failed tries");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // payments stops; a new process on the same database starts its own worker.
    worker.abort();
    let (restarted, _) = replica(
        &payments.dir,
        settings(Duration::ZERO, FailureRate::NEVER, &url),
    );
    let worker = spawn_callback_worker(restarted.clone());
    let orders = FakeOrders::default();
    orders.serve(addr).await;
    eventually("the callback after orders is back", || {
        !orders.received().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        orders.received(),
        vec![json!({"order_id": "ord-down", "status": "succeeded"})]
    );
    let (_, delivered, _) = delivery(&restarted, "ord-down").await;
    assert!(delivered);
    assert_eq!(
        restarted.charges_attempted(),
        0,
        "the charge was not redone"
    );
    worker.abort();
}

/// A process that died after claiming a charge and before storing the processor's answer
/// leaves it pending; the worker decides it (once) and calls orders back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_left_pending_by_a_dead_process_is_finished() {
    let orders = FakeOrders::default();
    let url = orders.serve(([127, 0, 0, 1], 0).into()).await;
    let payments = Payments::new(settings(Duration::ZERO, FailureRate::NEVER, &url));
    let order_id = OrderId::parse("ord-stale".into()).unwrap_or_else(|e| panic!("{e}"));
    let amount = Amount::parse(700).unwrap_or_else(|e| panic!("{e}"));
    let claim = payments
        .state
        .db()
        .call(move |conn| {
            Ok(store::claim_charge(conn, &order_id, amount, 1_000)
                .map_err(|e| shop_common::ApiError::Internal(e.to_string()))?)
        })
        .await;
    assert!(matches!(claim, Ok(store::Claim::New(_))), "{claim:?}");
    let (status, pending) = send(&payments.app, get("/charges/ord-stale")).await;
    assert_eq!((status, pending["status"].as_str()), (200, Some("pending")));

    let worker = spawn_callback_worker(payments.state.clone());
    eventually("the stale charge's callback", || {
        !orders.received().is_empty()
    })
    .await;
    assert_eq!(
        orders.received(),
        vec![json!({"order_id": "ord-stale", "status": "succeeded"})]
    );
    let (_, decided) = send(&payments.app, get("/charges/ord-stale")).await;
    assert_eq!(decided["status"], "succeeded");
    assert_eq!(payments.state.charges_attempted(), 1);
    worker.abort();
}

#[tokio::test]
async fn health_readiness_and_the_attempted_counter_are_served() {
    let payments = Payments::quick();
    assert_eq!(
        send(&payments.app, get("/healthz")).await,
        (200, json!({"status": "ok"}))
    );
    assert_eq!(
        send(&payments.app, get("/readyz")).await,
        (200, json!({"status": "ready"}))
    );
    let metrics = || async {
        let response = payments
            .app
            .clone()
            .oneshot(get("/metrics"))
            .await
            .unwrap_or_else(|e| match e {});
        let bytes = response
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    assert!(metrics()
        .await
        .lines()
        .any(|l| l == "payments_charges_attempted_total 0"));
    send(&payments.app, charge("ord-m", 10)).await;
    send(&payments.app, charge("ord-m", 10)).await;
    let text = metrics().await;
    assert!(
        text.lines()
            .any(|l| l == "payments_charges_attempted_total 1"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "payments_charges_succeeded_total 1"),
        "{text}"
    );
}

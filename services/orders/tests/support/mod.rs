//! A running orders service on port 0 with a fresh database, and fake products and
//! payments servers it talks to.

#![allow(dead_code)] // each test binary uses a part

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use shop_common::reqwest;
use shop_common::{
    identity_digest, Claims, Db, ServiceCallers, ServiceIdentity, TokenKey,
    SERVICE_CREDENTIAL_HEADER,
};
use shop_orders::upstream::{Payments, Products};
use shop_orders::{app, outbox, AppState, OutboxSettings};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const KEY: &[u8] = b"orders-test-key-0123456789";
pub const ORDERS_TOKEN: &str = "orders-identity-0123456789abcdef";
pub const PAYMENTS_TOKEN: &str = "payments-identity-0123456789abcdef";

pub fn identity(name: &str, token: &str) -> ServiceIdentity {
    ServiceIdentity::new(name, token).unwrap_or_else(|e| panic!("identity: {e}"))
}

/// orders' credential.
pub fn orders_identity() -> ServiceIdentity {
    identity("orders", ORDERS_TOKEN)
}

/// payments' credential, which orders' `/internal/payments` takes.
pub fn payments_identity() -> ServiceIdentity {
    identity("payments", PAYMENTS_TOKEN)
}

/// What a service verifying `name` holds: the digest of its token.
pub fn verifying(name: &str, token: &str) -> ServiceCallers {
    ServiceCallers::none()
        .with_digest(name, &identity_digest(token))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Whether `headers` carry orders' credential, as the real products and payments check.
fn from_orders(headers: &HeaderMap) -> bool {
    let expected = format!("orders:{ORDERS_TOKEN}");
    headers
        .get(SERVICE_CREDENTIAL_HEADER)
        .is_some_and(|v| v.as_bytes() == expected.as_bytes())
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "invalid service credential",
    )
}

/// Starts `router` on 127.0.0.1:0 and returns its address.
pub async fn spawn_server(router: Router) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    serve_on(listener, router)
}

pub fn serve_on(listener: TcpListener, router: Router) -> (SocketAddr, JoinHandle<()>) {
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, handle)
}

/// A port nothing listens on (bound, then let go).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------
// Fake products: a catalogue with stock, and reservations that take and give back stock.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeReservation {
    pub items: Vec<(i64, i64)>,
    pub status: &'static str,
}

#[derive(Default)]
pub struct ProductsState {
    /// id -> (price_cents, stock)
    pub catalogue: HashMap<i64, (i64, i64)>,
    pub reservations: HashMap<String, FakeReservation>,
    /// How many POST /reservations arrived.
    pub reserve_calls: usize,
    /// Delay before answering a reservation.
    pub reserve_delay: Duration,
}

#[derive(Clone, Default)]
pub struct FakeProducts(pub Arc<Mutex<ProductsState>>);

impl FakeProducts {
    pub fn with_catalogue(products: &[(i64, i64, i64)]) -> Self {
        let fake = FakeProducts::default();
        for &(id, price, stock) in products {
            lock(&fake.0).catalogue.insert(id, (price, stock));
        }
        fake
    }

    pub fn stock(&self, id: i64) -> i64 {
        lock(&self.0).catalogue.get(&id).map_or(-1, |p| p.1)
    }

    pub fn reservation(&self, order_id: &str) -> Option<FakeReservation> {
        lock(&self.0).reservations.get(order_id).cloned()
    }

    pub fn reserve_calls(&self) -> usize {
        lock(&self.0).reserve_calls
    }

    pub fn set_reserve_delay(&self, delay: Duration) {
        lock(&self.0).reserve_delay = delay;
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/products/{id}", get(product))
            .route("/reservations", post(reserve))
            .route("/reservations/{order_id}/release", post(release))
            .route("/reservations/{order_id}/commit", post(commit))
            .with_state(self.clone())
    }

    pub async fn start(&self) -> SocketAddr {
        spawn_server(self.router()).await.0
    }
}

async fn product(State(fake): State<FakeProducts>, Path(id): Path<String>) -> Response {
    let found = id
        .parse::<i64>()
        .ok()
        .and_then(|id| lock(&fake.0).catalogue.get(&id).map(|p| (id, *p)));
    match found {
        Some((id, (price, stock))) => Json(json!({
            "id": id, "name": format!("product {id}"), "price_cents": price, "stock": stock
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "no such product"),
    }
}

async fn reserve(
    State(fake): State<FakeProducts>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !from_orders(&headers) {
        return unauthorized();
    }
    let delay = {
        let mut state = lock(&fake.0);
        state.reserve_calls += 1;
        state.reserve_delay
    };
    tokio::time::sleep(delay).await;
    let order_id = body["order_id"].as_str().unwrap_or_default().to_string();
    let items: Vec<(i64, i64)> = body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["product_id"].as_i64().unwrap_or(0),
                        i["quantity"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut state = lock(&fake.0);
    if let Some(existing) = state.reservations.get(&order_id) {
        if existing.items == items {
            return (StatusCode::OK, Json(json!({"reservation_id": 1}))).into_response();
        }
        return error(StatusCode::CONFLICT, "conflict", "different items");
    }
    for &(id, quantity) in &items {
        match state.catalogue.get(&id) {
            None => return error(StatusCode::NOT_FOUND, "not_found", "no such product"),
            Some(&(_, stock)) if stock < quantity => {
                return error(
                    StatusCode::CONFLICT,
                    "conflict",
                    &format!("only {stock} of product {id} left"),
                )
            }
            Some(_) => {}
        }
    }
    for &(id, quantity) in &items {
        if let Some(product) = state.catalogue.get_mut(&id) {
            product.1 -= quantity;
        }
    }
    state.reservations.insert(
        order_id,
        FakeReservation {
            items,
            status: "reserved",
        },
    );
    (StatusCode::CREATED, Json(json!({"reservation_id": 1}))).into_response()
}

async fn release(
    State(fake): State<FakeProducts>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if !from_orders(&headers) {
        return unauthorized();
    }
    let mut state = lock(&fake.0);
    let Some(reservation) = state.reservations.get(&order_id).cloned() else {
        return error(StatusCode::NOT_FOUND, "not_found", "no reservation");
    };
    match reservation.status {
        "released" => {}
        "committed" => return error(StatusCode::CONFLICT, "conflict", "committed"),
        _ => {
            for &(id, quantity) in &reservation.items {
                if let Some(product) = state.catalogue.get_mut(&id) {
                    product.1 += quantity;
                }
            }
            if let Some(r) = state.reservations.get_mut(&order_id) {
                r.status = "released";
            }
        }
    }
    Json(json!({"order_id": order_id, "status": "released"})).into_response()
}

async fn commit(
    State(fake): State<FakeProducts>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if !from_orders(&headers) {
        return unauthorized();
    }
    let mut state = lock(&fake.0);
    match state.reservations.get_mut(&order_id) {
        None => error(StatusCode::NOT_FOUND, "not_found", "no reservation"),
        Some(r) if r.status == "released" => error(StatusCode::CONFLICT, "conflict", "released"),
        Some(r) => {
            r.status = "committed";
            Json(json!({"order_id": order_id, "status": "committed"})).into_response()
        }
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Fake payments: records charges; answers as its mode says.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentsMode {
    /// 201 `{"status": "pending"}`: the outcome comes later, by the callback.
    Accept,
    /// 503 to every charge.
    Unavailable,
    /// 201 with the outcome in the answer.
    Decide(&'static str),
}

pub struct PaymentsState {
    pub mode: PaymentsMode,
    /// order id -> amounts of the charges that were accepted.
    pub charges: HashMap<String, Vec<i64>>,
    pub refused: usize,
}

#[derive(Clone)]
pub struct FakePayments(pub Arc<Mutex<PaymentsState>>);

impl Default for FakePayments {
    fn default() -> Self {
        FakePayments(Arc::new(Mutex::new(PaymentsState {
            mode: PaymentsMode::Accept,
            charges: HashMap::new(),
            refused: 0,
        })))
    }
}

impl FakePayments {
    pub fn set_mode(&self, mode: PaymentsMode) {
        lock(&self.0).mode = mode;
    }

    pub fn charges(&self, order_id: &str) -> Vec<i64> {
        lock(&self.0)
            .charges
            .get(order_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn charged_orders(&self) -> usize {
        lock(&self.0).charges.len()
    }

    pub fn total_charges(&self) -> usize {
        lock(&self.0).charges.values().map(Vec::len).sum()
    }

    pub fn refused(&self) -> usize {
        lock(&self.0).refused
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/charges", post(charge))
            .with_state(self.clone())
    }

    pub async fn start(&self) -> SocketAddr {
        spawn_server(self.router()).await.0
    }
}

async fn charge(
    State(fake): State<FakePayments>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !from_orders(&headers) {
        return unauthorized();
    }
    let mut state = lock(&fake.0);
    let order_id = body["order_id"].as_str().unwrap_or_default().to_string();
    let amount = body["amount_cents"].as_i64().unwrap_or(-1);
    match state.mode {
        PaymentsMode::Unavailable => {
            state.refused += 1;
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "down")
        }
        mode => {
            state
                .charges
                .entry(order_id.clone())
                .or_default()
                .push(amount);
            let status = match mode {
                PaymentsMode::Decide(status) => status,
                _ => "pending",
            };
            (
                StatusCode::CREATED,
                Json(json!({"order_id": order_id, "amount_cents": amount, "status": status})),
            )
                .into_response()
        }
    }
}

// ---------------------------------------------------------------------------------------
// The orders service under test.

pub struct Orders {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    pub key: TokenKey,
    pub db_path: PathBuf,
    worker: Option<JoinHandle<()>>,
    _dir: Arc<tempfile::TempDir>,
}

pub fn fast_outbox() -> OutboxSettings {
    OutboxSettings {
        poll_interval: Duration::from_millis(50),
        lease: Duration::from_secs(5),
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        batch: 16,
        claim_timeout: Duration::from_secs(60),
    }
}

impl Orders {
    /// orders on a fresh database, talking to `products_url` and `payments_url`, its
    /// outbox worker running when `worker`.
    pub async fn start(products_url: &str, payments_url: &str, worker: bool) -> Orders {
        let dir = Arc::new(tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")));
        let db_path = dir.path().join("orders.db");
        Orders::start_on(dir, db_path, None, products_url, payments_url, worker).await
    }

    /// [`Orders::start`] on a listener bound beforehand, so that a service calling orders
    /// back can be given its address first.
    pub async fn start_on_listener(
        listener: TcpListener,
        products_url: &str,
        payments_url: &str,
        worker: bool,
    ) -> Orders {
        let dir = Arc::new(tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}")));
        let db_path = dir.path().join("orders.db");
        Orders::start_on(
            dir,
            db_path,
            Some(listener),
            products_url,
            payments_url,
            worker,
        )
        .await
    }

    /// A second replica sharing this one's database file.
    pub async fn replica(&self, worker: bool) -> Orders {
        Orders::start_on(
            Arc::clone(&self._dir),
            self.db_path.clone(),
            None,
            self.state.products.base_url(),
            self.state.payments.base_url(),
            worker,
        )
        .await
    }

    async fn start_on(
        dir: Arc<tempfile::TempDir>,
        db_path: PathBuf,
        listener: Option<TcpListener>,
        products_url: &str,
        payments_url: &str,
        worker: bool,
    ) -> Orders {
        let db = Db::open(&db_path, shop_orders::store::MIGRATIONS)
            .unwrap_or_else(|e| panic!("db: {e}"));
        let key = TokenKey::from_bytes(KEY).unwrap_or_else(|e| panic!("key: {e}"));
        let client = reqwest::Client::new();
        let timeout = Duration::from_secs(2);
        let callers = verifying("payments", PAYMENTS_TOKEN).with_identity(&orders_identity());
        let mut state = AppState::new(
            db,
            Arc::new(key.clone()),
            callers,
            Products::new(client.clone(), products_url, timeout, orders_identity()),
            Payments::new(client, payments_url, timeout, orders_identity()),
        );
        state.outbox = Arc::new(fast_outbox());
        let (addr, _) = match listener {
            Some(listener) => serve_on(listener, app(state.clone())),
            None => spawn_server(app(state.clone())).await,
        };
        let worker = worker.then(|| outbox::spawn(state.clone()));
        Orders {
            base: format!("http://{addr}"),
            state,
            http: reqwest::Client::new(),
            key,
            db_path,
            worker,
            _dir: dir,
        }
    }

    pub fn start_worker(&mut self) {
        if self.worker.is_none() {
            self.worker = Some(outbox::spawn(self.state.clone()));
        }
    }

    pub fn stop_worker(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.abort();
        }
    }

    pub fn token(&self, user_id: i64) -> String {
        self.key.issue(
            user_id,
            &format!("user{user_id}@example.com"),
            "customer",
            Duration::from_secs(3600),
        )
    }

    pub fn expired_token(&self, user_id: i64) -> String {
        self.key.sign(&Claims {
            sub: user_id,
            email: "late@example.com".into(),
            role: "customer".into(),
            exp: 1,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /orders` as `user_id` with `key` and a JSON body.
    pub async fn place(&self, user_id: i64, key: &str, body: Value) -> (u16, Value) {
        let request = self
            .http
            .post(self.url("/orders"))
            .bearer_auth(self.token(user_id))
            .header("idempotency-key", key)
            .json(&body);
        send(request).await
    }

    pub async fn get(&self, user_id: i64, path: &str) -> (u16, Value) {
        send(
            self.http
                .get(self.url(path))
                .bearer_auth(self.token(user_id)),
        )
        .await
    }

    /// payments' callback `POST /internal/payments`, with payments' credential.
    pub async fn notify(&self, order_id: &str, status: &str) -> (u16, Value) {
        self.notify_as(Some(&payments_identity()), order_id, status)
            .await
    }

    /// `POST /internal/payments` with `identity`'s credential, or none.
    pub async fn notify_as(
        &self,
        identity: Option<&ServiceIdentity>,
        order_id: &str,
        status: &str,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.url("/internal/payments"))
            .json(&json!({"order_id": order_id, "status": status}));
        if let Some(identity) = identity {
            request = identity.authenticate(request);
        }
        send(request).await
    }

    /// Rows of one SQL count query on the database, read from a separate connection.
    pub fn count(&self, sql: &str) -> i64 {
        let conn = shop_common::rusqlite::Connection::open(&self.db_path)
            .unwrap_or_else(|e| panic!("open: {e}"));
        conn.query_row(sql, [], |row| row.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for Orders {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

/// Sends and returns the status and the JSON body (`Value::Null` when the body is not
/// JSON).
pub async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Polls `check` until it returns `Some`, or panics naming `what` after `within`.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts a shop JSON error: `status` and a body `{"error":{"code","message"}}`.
pub fn assert_json_error(what: &str, (status, body): &(u16, Value), expected: u16) {
    assert_eq!(*status, expected, "{what}: {body}");
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{what}: not a JSON error: {body}"
    );
}

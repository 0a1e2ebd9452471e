//! orders: places orders, reserving stock at products synchronously and asking payments
//! through an outbox in this service's own database.
//!
//! - `POST /orders` (token, `Idempotency-Key`): 201 with a new `pending` order, 200 with
//!   the order a previous request with the same key made; 409 when stock is short; 503
//!   when products cannot be reached (no order is kept).
//! - `GET /orders`, `GET /orders/{id}`: the caller's own orders only.
//! - `POST /internal/payments` `{order_id, status: succeeded|declined}`: payments' callback,
//!   with payments' service credential (`X-Service-Credential`, see
//!   [`shop_common::only_from`]): 401 without one or with one that does not verify, 403
//!   from another service orders knows (itself); `pending` -> `paid` (reservation
//!   committed) or -> `failed` (stock released).
//!
//! orders' own calls to products' reservations and payments' charges carry orders'
//! credential (the secret `orders_identity`); it checks payments' with the secret
//! `payments_identity_digest`, both under `SECRETS_DIR` (default `/run/secrets`).
//!
//! Architecture invariant: an order answered 201 is in the database together with its
//! charge in the outbox; the outbox worker ([`outbox`]) sends it until payments answers,
//! however long payments is down.

pub mod api;
pub mod domain;
pub mod outbox;
pub mod store;
pub mod upstream;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use shop_common::{only_from, with_observability, Db, Metrics, ServiceCallers, TokenKey};

pub use outbox::OutboxSettings;

/// This service's name, for its credential.
pub const SERVICE_NAME: &str = "orders";
/// The only service that may tell orders a payment's outcome.
pub const PAYMENT_NOTICE_CALLERS: &[&str] = &["payments"];
use upstream::{Payments, Products};

/// How `POST /orders` paces itself.
#[derive(Debug, Clone)]
pub struct PlacingSettings {
    /// How long a claimed key may stay in `reserving` before the worker decides its
    /// request died and releases its stock. Far longer than placing an order takes.
    pub claim_timeout: Duration,
    /// How long a request waits for a concurrent request with the same key to finish
    /// before answering 409.
    pub duplicate_wait: Duration,
    /// When products did not answer a reservation, its release is queued this much later,
    /// after a reservation still on its way has arrived.
    pub uncertain_release_delay: Duration,
}

impl Default for PlacingSettings {
    fn default() -> Self {
        PlacingSettings {
            claim_timeout: Duration::from_secs(60),
            duplicate_wait: Duration::from_secs(10),
            uncertain_release_delay: Duration::from_secs(10),
        }
    }
}

/// Everything handlers and the outbox worker share. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub token_key: Arc<TokenKey>,
    /// The services whose calls orders can verify.
    pub callers: Arc<ServiceCallers>,
    pub products: Products,
    pub payments: Payments,
    pub metrics: Arc<Metrics>,
    pub wakeup: Arc<outbox::Wakeup>,
    pub outbox: Arc<OutboxSettings>,
    pub placing: Arc<PlacingSettings>,
}

impl AppState {
    pub fn new(
        db: Db,
        token_key: Arc<TokenKey>,
        callers: ServiceCallers,
        products: Products,
        payments: Payments,
    ) -> Self {
        AppState {
            db,
            token_key,
            callers: Arc::new(callers),
            products,
            payments,
            metrics: Arc::new(Metrics::new()),
            wakeup: Arc::new(outbox::Wakeup::default()),
            outbox: Arc::new(OutboxSettings::default()),
            placing: Arc::new(PlacingSettings::default()),
        }
    }
}

impl FromRef<AppState> for Arc<TokenKey> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.token_key)
    }
}

/// The service's router, with `/healthz`, `/readyz` (database open and migrated) and
/// `/metrics`. The outbox worker is separate: [`outbox::spawn`].
pub fn app(state: AppState) -> Router {
    let metrics = Arc::clone(&state.metrics);
    let db = state.db.clone();
    let internal = only_from(
        Router::new().route("/internal/payments", post(api::payment_notice)),
        Arc::clone(&state.callers),
        PAYMENT_NOTICE_CALLERS,
    );
    let router = Router::new()
        .route("/orders", post(api::create_order).get(api::list_orders))
        .route("/orders/{id}", get(api::get_order))
        .merge(internal)
        .with_state(state);
    with_observability(router, metrics, Arc::new(move || db.is_ready()))
}

/// Milliseconds since the Unix epoch: the unit of every time in the database.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

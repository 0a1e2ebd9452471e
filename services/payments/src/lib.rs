//! payments: charges per order, a simulated processor, and outcomes called back to orders.
//!
//! # Endpoints
//!
//! | method and path            | answers |
//! |----------------------------|---------|
//! | `POST /charges`            | 201 a new charge, 200 the order's existing one; 409 if it was charged another amount |
//! | `GET /charges/{order_id}`  | 200 the charge, 404 |
//!
//! `POST /charges` takes `{order_id, amount_cents > 0}`; a charge is
//! `{charge_id, order_id, amount_cents, status}` with `status` one of `succeeded`,
//! `declined` or (only while the processor is deciding) `pending`. Both endpoints are
//! service-to-service calls from orders only: they take no user token but orders'
//! service credential (`X-Service-Credential`, see [`shop_common::only_from`]), checked
//! before anything else: 401 without one or with one that does not verify, 403 for
//! another service payments knows (itself). The manifest also keeps payments on a
//! network only orders shares, and the gateway has no route to it.
//!
//! # A charge happens once per order
//!
//! `charges.order_id` is UNIQUE. A request first inserts the charge as `pending`, in a
//! `BEGIN IMMEDIATE` transaction that looks for an existing one first: of any number of
//! concurrent requests for an order, in any replica, exactly one inserts it, and only that
//! one asks the processor. The others answer 200 with the same charge, after waiting (up to
//! `LATENCY` + 2 s) for the processor's answer. The processor runs in a task of its own, so
//! a caller hanging up does not leave the charge half done; a charge left pending by a
//! process that died is finished by the background worker after 30 s. The outcome is
//! decided once and stored: a repeat never changes it.
//!
//! # Telling orders the outcome: a callback through an outbox
//!
//! The transaction that stores an outcome also queues
//! `POST {ORDERS_URL}/internal/payments {"order_id": ..., "status": "succeeded"|"declined"}`
//! in this database's `callback_outbox`; it carries payments' own credential, which
//! orders verifies. A background worker ([`spawn_callback_worker`])
//! sends it and keeps the row until orders answers 2xx, retrying with exponential backoff
//! (0.5 s doubling to 30 s, jittered) while orders is down or answers 5xx, 408, 429, 401
//! or 403 (it does not take payments' credential: a secret to fix, not news refused); the
//! row survives restarts of either service, so an outcome is never lost. A callback orders
//! refuses for good (another 4xx: no such order, or its order says otherwise) is kept
//! as rejected with the answer, and logged as an error. Delivery is at least once: orders
//! treats a repeated callback as the same news. See [`callbacks`].
//!
//! # Environment
//!
//! `LISTEN_ADDR` (default `0.0.0.0:8080`), `DATABASE_PATH` (required), `LATENCY` (the
//! processor's answer time, default `50ms`), `FAILURE_RATE` (the probability of a decline,
//! `0.0..=1.0`, default `0`), `ORDERS_URL` (default `http://orders:8080`), `SECRETS_DIR`
//! (default `/run/secrets`: where `payments_identity`, payments' credential, and
//! `orders_identity_digest`, the check of orders', are), `RUST_LOG`.
//!
//! `/metrics` counts `payments_charges_attempted_total` (charges sent to the processor:
//! one per order), succeeded and declined charges, and delivered, failed and rejected
//! callbacks.

pub mod callbacks;
pub mod domain;
pub mod processor;
pub mod store;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use shop_common::{
    only_from, with_observability, ApiError, ApiResult, Db, DbError, Json, Metrics, ServiceCallers,
    ServiceIdentity,
};
use tokio::sync::Notify;

pub use crate::callbacks::{spawn_callback_worker, CallbackSettings};
use crate::domain::{Amount, FailureRate, OrderId, ProcessorSettings};
use crate::processor::Processor;
use crate::store::{Charge, ChargeStatus, Claim, ClaimError};

/// How long a duplicate request waits, beyond the processor's latency, for the first
/// request's outcome before answering with the charge still pending.
const DUPLICATE_WAIT_SLACK: Duration = Duration::from_secs(2);
const DUPLICATE_POLL: Duration = Duration::from_millis(10);

/// This service's name, for its credential.
pub const SERVICE_NAME: &str = "payments";
/// The only service that may ask for or read charges.
pub const CHARGE_CALLERS: &[&str] = &["orders"];

/// Everything payments is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub processor: ProcessorSettings,
    pub callbacks: CallbackSettings,
}

impl Settings {
    /// `LATENCY`, `FAILURE_RATE` and `ORDERS_URL`, checked.
    pub fn from_env() -> Result<Settings, String> {
        let latency = shop_common::env_duration("LATENCY", Duration::from_millis(50))?;
        let failure_rate = FailureRate::parse(&shop_common::env_or("FAILURE_RATE", "0"))?;
        let orders_url = shop_common::env_or("ORDERS_URL", "http://orders:8080");
        let parsed = reqwest::Url::parse(&orders_url)
            .map_err(|e| format!("ORDERS_URL={orders_url:?} is not a URL: {e}"))?;
        if parsed.scheme() != "http" || parsed.host().is_none() {
            return Err(format!(
                "ORDERS_URL={orders_url:?} must be an http:// URL with a host"
            ));
        }
        Ok(Settings {
            processor: ProcessorSettings {
                latency,
                failure_rate,
            },
            callbacks: CallbackSettings::new(orders_url),
        })
    }
}

/// What every handler and the callback worker share. Cloning shares all of it.
#[derive(Clone)]
pub struct AppState {
    db: Db,
    metrics: Arc<Metrics>,
    processor: Arc<Processor>,
    callbacks: Arc<CallbackSettings>,
    /// Payments' credential, sent with every callback.
    identity: ServiceIdentity,
    /// The services whose calls payments can verify.
    callers: Arc<ServiceCallers>,
    /// Wakes the callback worker when an outcome is queued.
    wake: Arc<Notify>,
}

impl AppState {
    /// A service on `db` (opened with [`store::MIGRATIONS`]) calling orders back as
    /// `identity` and taking charges from the [`CHARGE_CALLERS`] among `callers`.
    pub fn new(
        db: Db,
        settings: Settings,
        identity: ServiceIdentity,
        callers: ServiceCallers,
    ) -> AppState {
        let metrics = Arc::new(Metrics::new());
        AppState {
            db,
            processor: Arc::new(Processor::new(settings.processor, Arc::clone(&metrics))),
            metrics,
            callbacks: Arc::new(settings.callbacks),
            callers: Arc::new(callers.with_identity(&identity)),
            identity,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Opens (creating and migrating) the database at `path`.
    pub fn open(
        path: &std::path::Path,
        settings: Settings,
        identity: ServiceIdentity,
        callers: ServiceCallers,
    ) -> Result<AppState, DbError> {
        Ok(AppState::new(
            Db::open(path, store::MIGRATIONS)?,
            settings,
            identity,
            callers,
        ))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn callbacks(&self) -> &CallbackSettings {
        &self.callbacks
    }

    /// How many charges this process has sent to the processor: with one process, the
    /// number of orders ever charged through it.
    pub fn charges_attempted(&self) -> u64 {
        self.processor.attempted()
    }
}

/// The whole service: the routes above plus `/healthz`, `/readyz` (the database is open
/// and migrated), `/metrics`, the body limit and JSON errors for every 4xx. The callback
/// worker is separate: [`spawn_callback_worker`].
pub fn app(state: AppState) -> Router {
    let metrics = Arc::clone(&state.metrics);
    let db = state.db.clone();
    let charges = Router::new()
        .route("/charges", post(create_charge))
        .route("/charges/{order_id}", get(get_charge));
    let routes = only_from(charges, Arc::clone(&state.callers), CHARGE_CALLERS).with_state(state);
    with_observability(routes, metrics, Arc::new(move || db.is_ready()))
}

/// Milliseconds since the Unix epoch: the database's clock.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[derive(Debug, Deserialize)]
struct ChargeRequest {
    order_id: String,
    amount_cents: i64,
}

async fn create_charge(
    State(state): State<AppState>,
    Json(body): Json<ChargeRequest>,
) -> ApiResult<(StatusCode, Json<Charge>)> {
    let order_id = OrderId::parse(body.order_id).map_err(ApiError::BadRequest)?;
    let amount = Amount::parse(body.amount_cents).map_err(ApiError::BadRequest)?;
    let claim = state
        .db
        .call(move |conn| Ok(store::claim_charge(conn, &order_id, amount, now_ms())))
        .await??;
    match claim {
        Claim::New(charge) => {
            // In a task of its own: a caller hanging up must not cancel a charge between
            // the processor's answer and storing it.
            let task_state = state.clone();
            let decided = tokio::spawn(async move { process_charge(&task_state, charge).await })
                .await
                .map_err(|e| ApiError::Internal(format!("charge task failed: {e}")))??;
            Ok((StatusCode::CREATED, Json(decided)))
        }
        Claim::Existing(charge) => Ok((StatusCode::OK, Json(await_outcome(&state, charge).await?))),
    }
}

impl From<ClaimError> for ApiError {
    fn from(error: ClaimError) -> Self {
        match error {
            ClaimError::DifferentAmount { .. } => ApiError::Conflict(error.to_string()),
            ClaimError::Database(error) => DbError::from(error).into(),
        }
    }
}

/// Asks the processor about a pending charge this caller claimed, stores the outcome with
/// its callback, and wakes the callback worker.
pub(crate) async fn process_charge(state: &AppState, charge: Charge) -> Result<Charge, DbError> {
    let outcome = state.processor.charge(&charge).await;
    let order_id = charge.order_id;
    let decided = state
        .db
        .call(move |conn| Ok(store::decide_charge(conn, &order_id, outcome, now_ms())?))
        .await?;
    state.wake.notify_one();
    Ok(decided)
}

/// A duplicate of a charge being decided waits for the outcome, so that every answer for
/// an order carries it; past the wait it answers with the charge still pending.
async fn await_outcome(state: &AppState, mut charge: Charge) -> ApiResult<Charge> {
    let deadline = Instant::now() + state.processor.settings().latency + DUPLICATE_WAIT_SLACK;
    while charge.status == ChargeStatus::Pending && Instant::now() < deadline {
        tokio::time::sleep(DUPLICATE_POLL).await;
        let order_id = charge.order_id.clone();
        match state
            .db
            .call(move |conn| Ok(store::get_charge(conn, &order_id)?))
            .await?
        {
            Some(latest) => charge = latest,
            None => return Err(ApiError::Internal("a claimed charge vanished".into())),
        }
    }
    Ok(charge)
}

async fn get_charge(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> ApiResult<Json<Charge>> {
    let order_id = OrderId::parse(order_id).map_err(ApiError::BadRequest)?;
    let missing = format!("order `{order_id}` has no charge");
    let charge = state
        .db
        .call(move |conn| Ok(store::get_charge(conn, order_id.as_str())?))
        .await?;
    charge.map(Json).ok_or(ApiError::NotFound(missing))
}

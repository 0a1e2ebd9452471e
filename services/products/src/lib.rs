//! products: the shop's catalogue and its stock.
//!
//! # Endpoints
//!
//! | method and path                        | who            | answers |
//! |----------------------------------------|----------------|---------|
//! | `GET /products`                        | anyone         | 200 `[product]` |
//! | `GET /products/{id}`                   | anyone         | 200 `product`, 404 |
//! | `POST /products`                       | admin token    | 201 `product`; 401 without a valid token, 403 for a non-admin |
//! | `POST /reservations`                   | orders         | 201 new, 200 repeat; 404 unknown product, 409 short of stock |
//! | `GET /reservations/{order_id}`         | orders         | 200 `reservation`, 404 |
//! | `POST /reservations/{order_id}/release`| orders         | 200 `reservation`; 404, 409 if committed |
//! | `POST /reservations/{order_id}/commit` | orders         | 200 `reservation`; 404, 409 if released |
//!
//! A product is `{id, name, price_cents, stock}`; `POST /products` takes
//! `{name, price_cents >= 0, stock >= 0}`. A reservation is
//! `{reservation_id, order_id, status, items: [{product_id, quantity}]}` with `status`
//! one of `reserved`, `released`, `committed`; `POST /reservations` takes
//! `{order_id, items: [{product_id, quantity >= 1}]}`.
//!
//! The reservation endpoints are service-to-service calls from orders only: they take no
//! user token (orders has already checked the customer's) but orders' service credential
//! (`X-Service-Credential`, see [`shop_common::only_from`]), checked before anything else:
//! 401 without one or with one that does not verify, 403 for a known service that is not
//! orders. The gateway does not forward them either.
//!
//! # Stock never oversells
//!
//! A reservation takes every item's stock in one `BEGIN IMMEDIATE` transaction, or
//! nothing: `UPDATE ... SET stock = stock - q WHERE id = ? AND stock >= q` for each item,
//! rolled back whole when any item is short. Replicas share the SQLite file in WAL mode,
//! and the immediate transaction takes its write lock before reading the stock, so two
//! replicas never both sell the last unit. `CHECK (stock >= 0)` guards the column too.
//!
//! # Idempotency
//!
//! `order_id` is the key of a reservation: repeating `POST /reservations` for an order
//! returns its reservation (200) without taking stock again, whatever its status; the
//! same order with different items is a 409. Release gives the stock back once; commit
//! makes the reservation final; repeating either returns the reservation unchanged.
//!
//! Every error is the shop's JSON error body; a shortage also says which product:
//! `{"error":{"code":"insufficient_stock","message":"...","product_id":3,"requested":5,"available":2}}`.
//!
//! # Environment
//!
//! `LISTEN_ADDR` (default `0.0.0.0:8080`), `DATABASE_PATH` (required), `TOKEN_KEY_FILE`
//! (required: the file holding the key that checks admin tokens), `SECRETS_DIR` (default
//! `/run/secrets`: where `orders_identity_digest`, the check of orders' credential, is),
//! `RUST_LOG`.

pub mod domain;
pub mod store;

use std::sync::Arc;

use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use shop_common::{
    only_from, with_observability, ApiError, ApiResult, AuthUser, Db, DbError, Json, Metrics,
    ServiceCallers, TokenKey,
};

use crate::domain::{NewProduct, OrderId, ReservationItem, ReservationItems};
use crate::store::{Product, Reservation, ReserveError, TransitionError};

/// What every handler shares. Cloning shares the database connection and the metrics.
#[derive(Clone)]
pub struct AppState {
    db: Db,
    token_key: Arc<TokenKey>,
    callers: Arc<ServiceCallers>,
    metrics: Arc<Metrics>,
}

/// The only service that may reserve stock.
pub const RESERVATION_CALLERS: &[&str] = &["orders"];

impl AppState {
    /// A service on `db` (opened with [`store::MIGRATIONS`]) checking admin tokens with
    /// `token_key` and reservation calls with `callers` (orders').
    pub fn new(db: Db, token_key: TokenKey, callers: ServiceCallers) -> AppState {
        AppState {
            db,
            token_key: Arc::new(token_key),
            callers: Arc::new(callers),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// Opens (creating and migrating) the database at `path`.
    pub fn open(
        path: &std::path::Path,
        token_key: TokenKey,
        callers: ServiceCallers,
    ) -> Result<AppState, DbError> {
        Ok(AppState::new(
            Db::open(path, store::MIGRATIONS)?,
            token_key,
            callers,
        ))
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

impl FromRef<AppState> for Arc<TokenKey> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.token_key)
    }
}

/// The whole service: the routes above plus `/healthz`, `/readyz` (the database is open
/// and migrated), `/metrics`, the body limit and JSON errors for every 4xx.
pub fn app(state: AppState) -> Router {
    let metrics = Arc::clone(&state.metrics);
    let db = state.db.clone();
    let reservations = Router::new()
        .route("/reservations", post(reserve))
        .route("/reservations/{order_id}", get(get_reservation))
        .route("/reservations/{order_id}/release", post(release))
        .route("/reservations/{order_id}/commit", post(commit));
    let reservations = only_from(
        reservations,
        Arc::clone(&state.callers),
        RESERVATION_CALLERS,
    );
    let routes = Router::new()
        .route("/products", get(list_products).post(create_product))
        .route("/products/{id}", get(get_product))
        .merge(reservations)
        .with_state(state);
    with_observability(routes, metrics, Arc::new(move || db.is_ready()))
}

async fn list_products(State(state): State<AppState>) -> ApiResult<Json<Vec<Product>>> {
    let products = state
        .db
        .call(|conn| Ok(store::list_products(conn)?))
        .await?;
    Ok(Json(products))
}

async fn get_product(
    State(state): State<AppState>,
    Path(product_id): Path<i64>,
) -> ApiResult<Json<Product>> {
    let product = state
        .db
        .call(move |conn| Ok(store::get_product(conn, product_id)?))
        .await?;
    product
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("product {product_id} does not exist")))
}

#[derive(Debug, Deserialize)]
struct CreateProduct {
    name: String,
    price_cents: i64,
    stock: i64,
}

/// The token is checked before the body is read: an anonymous caller learns nothing
/// about what a valid body looks like.
async fn create_product(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<CreateProduct>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    user.require_admin()?;
    let new =
        NewProduct::parse(body.name, body.price_cents, body.stock).map_err(ApiError::BadRequest)?;
    let product = state
        .db
        .call(move |conn| Ok(store::create_product(conn, &new)?))
        .await?;
    tracing::info!(
        product_id = product.id,
        admin = user.0.sub,
        "product created"
    );
    Ok((StatusCode::CREATED, Json(product)))
}

#[derive(Debug, Deserialize)]
struct ReserveRequest {
    order_id: String,
    items: Vec<ReservationItemRequest>,
}

#[derive(Debug, Deserialize)]
struct ReservationItemRequest {
    product_id: i64,
    quantity: i64,
}

async fn reserve(
    State(state): State<AppState>,
    Json(body): Json<ReserveRequest>,
) -> Result<Response, ReserveFailure> {
    let order_id = OrderId::parse(body.order_id).map_err(ApiError::BadRequest)?;
    let items = ReservationItems::parse(body.items.into_iter().map(|item| ReservationItem {
        product_id: item.product_id,
        quantity: item.quantity,
    }))
    .map_err(ApiError::BadRequest)?;
    let (reservation, created) = state
        .db
        .call(move |conn| Ok(store::reserve(conn, &order_id, &items)))
        .await
        .map_err(ApiError::from)??;
    if created {
        tracing::info!(
            order_id = %reservation.order_id,
            reservation_id = %reservation.reservation_id,
            "stock reserved"
        );
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(reservation)).into_response())
}

/// A failed reservation: an ordinary API error, or a shortage, whose body names the
/// product so that orders can tell the customer which item ran out.
#[derive(Debug)]
enum ReserveFailure {
    Api(ApiError),
    InsufficientStock {
        product_id: i64,
        requested: i64,
        available: i64,
    },
}

impl From<ApiError> for ReserveFailure {
    fn from(error: ApiError) -> Self {
        ReserveFailure::Api(error)
    }
}

impl From<ReserveError> for ReserveFailure {
    fn from(error: ReserveError) -> Self {
        match error {
            ReserveError::InsufficientStock {
                product_id,
                requested,
                available,
            } => ReserveFailure::InsufficientStock {
                product_id,
                requested,
                available,
            },
            ReserveError::UnknownProduct { .. } => {
                ReserveFailure::Api(ApiError::NotFound(error.to_string()))
            }
            ReserveError::DifferentItems { .. } => {
                ReserveFailure::Api(ApiError::Conflict(error.to_string()))
            }
            // A busy database stays a 503 (retry), anything else a 500.
            ReserveError::Database(error) => ReserveFailure::Api(DbError::from(error).into()),
        }
    }
}

impl IntoResponse for ReserveFailure {
    fn into_response(self) -> Response {
        match self {
            ReserveFailure::Api(error) => error.into_response(),
            ReserveFailure::InsufficientStock {
                product_id,
                requested,
                available,
            } => {
                let message = ReserveError::InsufficientStock {
                    product_id,
                    requested,
                    available,
                }
                .to_string();
                let body = json!({"error": {
                    "code": "insufficient_stock",
                    "message": message,
                    "product_id": product_id,
                    "requested": requested,
                    "available": available,
                }});
                (StatusCode::CONFLICT, axum::Json(body)).into_response()
            }
        }
    }
}

fn order_id_from_path(text: String) -> ApiResult<OrderId> {
    OrderId::parse(text).map_err(ApiError::BadRequest)
}

async fn get_reservation(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> ApiResult<Json<Reservation>> {
    let order_id = order_id_from_path(order_id)?;
    let missing = format!("order `{order_id}` has no reservation");
    let reservation = state
        .db
        .call(move |conn| Ok(store::get_reservation(conn, &order_id)?))
        .await?;
    reservation.map(Json).ok_or(ApiError::NotFound(missing))
}

async fn release(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> ApiResult<Json<Reservation>> {
    let order_id = order_id_from_path(order_id)?;
    let reservation = state
        .db
        .call(move |conn| Ok(store::release(conn, &order_id)))
        .await??;
    tracing::info!(order_id = %reservation.order_id, "reservation released");
    Ok(Json(reservation))
}

async fn commit(
    State(state): State<AppState>,
    Path(order_id): Path<String>,
) -> ApiResult<Json<Reservation>> {
    let order_id = order_id_from_path(order_id)?;
    let reservation = state
        .db
        .call(move |conn| Ok(store::commit(conn, &order_id)))
        .await??;
    tracing::info!(order_id = %reservation.order_id, "reservation committed");
    Ok(Json(reservation))
}

impl From<TransitionError> for ApiError {
    fn from(error: TransitionError) -> Self {
        match error {
            TransitionError::NotFound { .. } => ApiError::NotFound(error.to_string()),
            TransitionError::Final { .. } => ApiError::Conflict(error.to_string()),
            TransitionError::Database(error) => DbError::from(error).into(),
        }
    }
}

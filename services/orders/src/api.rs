//! The HTTP handlers.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use shop_common::{ApiError, ApiResult, AuthUser, Json, JsonRejection};

use crate::domain::{
    IdempotencyKey, OrderLines, OrderRequest, OrderStatus, PaymentNotice, PaymentOutcome,
};
use crate::store::{self, Claim, Order, OrderItem, PaymentApplied};
use crate::upstream::UpstreamError;
use crate::{now_ms, AppState};

/// How many prices are asked of products at once.
const PRICE_LOOKUPS_AT_ONCE: usize = 8;
/// How often a request waiting on a duplicate looks again.
const DUPLICATE_POLL: Duration = Duration::from_millis(25);
/// Order ids are 32 hex characters; anything much longer is no order.
const MAX_ORDER_ID_LEN: usize = 128;

/// `POST /orders`.
pub async fn create_order(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    headers: HeaderMap,
    body: Result<Json<OrderRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Order>), ApiError> {
    let key = IdempotencyKey::parse(headers.get("idempotency-key").map(|v| v.as_bytes()))
        .map_err(ApiError::BadRequest)?;
    let Json(request) = body.map_err(ApiError::from)?;
    let lines = OrderLines::parse(&request).map_err(ApiError::BadRequest)?;
    let user_id = claims.sub;

    // Once the key is claimed, the claim must end in an order or be given up, even if
    // the client goes away (which drops this future). So the claim and what follows run
    // in a task of their own: a client hanging up while the claim is being written
    // cannot leave the key claimed with no one placing its order.
    let placing = tokio::spawn({
        let state = state.clone();
        async move {
            match claim_key(&state, user_id, &key, &lines).await? {
                Ok(order_id) => place(state, order_id, lines).await.map(|o| (true, o)),
                Err(existing) => Ok((false, existing)),
            }
        }
    });
    let (created, order) = placing
        .await
        .map_err(|e| ApiError::Internal(format!("placing an order: {e}")))??;
    if !created {
        return Ok((StatusCode::OK, Json(order)));
    }
    state
        .metrics
        .add("orders_created_total", "Orders placed (201).", 1);
    tracing::info!(order_id = %order.id, user_id, total_cents = order.total_cents, "order placed");
    Ok((StatusCode::CREATED, Json(order)))
}

/// Claims the key for a new order (`Ok(Ok(order_id))`), or finds the order it already
/// made (`Ok(Err(order))`), waiting while a concurrent request with the key is placing it.
async fn claim_key(
    state: &AppState,
    user_id: i64,
    key: &IdempotencyKey,
    lines: &OrderLines,
) -> ApiResult<Result<String, Order>> {
    let deadline = Instant::now() + state.placing.duplicate_wait;
    let claim_ms = state.placing.claim_timeout.as_millis() as i64;
    loop {
        let (key_text, claimed_lines) = (key.as_str().to_string(), lines.clone());
        let claim = state
            .db
            .call(move |conn| {
                store::claim(conn, user_id, &key_text, &claimed_lines, now_ms(), claim_ms)
            })
            .await?;
        match claim {
            Claim::New { order_id } => return Ok(Ok(order_id)),
            Claim::Existing { fingerprint, .. } if fingerprint != lines.fingerprint() => {
                return Err(ApiError::Conflict(format!(
                    "Idempotency-Key `{}` was already used for an order with other items",
                    key.as_str()
                )));
            }
            Claim::Existing { order, .. } if order.status != OrderStatus::Reserving => {
                return Ok(Err(order));
            }
            Claim::Existing { .. } if Instant::now() >= deadline => {
                return Err(ApiError::Conflict(format!(
                    "an order with Idempotency-Key `{}` is still being placed; retry later",
                    key.as_str()
                )));
            }
            Claim::Existing { .. } => tokio::time::sleep(DUPLICATE_POLL).await,
        }
    }
}

/// Prices the lines, reserves the stock and stores the order with its charge queued; on
/// any failure the claim is given up (with the stock's release queued when a reservation
/// may exist).
async fn place(state: AppState, order_id: String, lines: OrderLines) -> ApiResult<Order> {
    let result = price_and_reserve(&state, &order_id, &lines).await;
    let items = match result {
        Ok(items) => items,
        Err((error, maybe_reserved)) => {
            let release_at = maybe_reserved
                .then(|| now_ms() + state.placing.uncertain_release_delay.as_millis() as i64);
            let abandoned = order_id.clone();
            if let Err(db_error) = state
                .db
                .call(move |conn| store::abandon(conn, &abandoned, release_at))
                .await
            {
                // The claim expires and the sweeper releases it.
                tracing::warn!(%db_error, %order_id, "could not give up a failed order's claim");
            }
            return Err(error);
        }
    };
    let finalized_id = order_id.clone();
    let finalized = state
        .db
        .call(move |conn| store::finalize(conn, &finalized_id, &items, now_ms()))
        .await?;
    match finalized {
        Some(order) => {
            state.wakeup.wake();
            Ok(order)
        }
        None => Err(ApiError::Unavailable(
            "placing the order took too long; retry with the same Idempotency-Key".into(),
        )),
    }
}

/// The error to answer, and whether stock may be reserved for the order.
type PlaceFailure = (ApiError, bool);

async fn price_and_reserve(
    state: &AppState,
    order_id: &str,
    lines: &OrderLines,
) -> Result<Vec<OrderItem>, PlaceFailure> {
    let products = &state.products;
    let product_ids: Vec<i64> = lines.lines().iter().map(|line| line.product_id).collect();
    let prices: Vec<(i64, i64)> = stream::iter(product_ids)
        .map(|product_id| async move {
            match products.product(product_id).await {
                Ok(Some(product)) => Ok((product_id, product.price_cents)),
                Ok(None) => Err(ApiError::NotFound(format!(
                    "product {product_id} does not exist"
                ))),
                Err(error) => Err(unavailable(&error)),
            }
        })
        .buffered(PRICE_LOOKUPS_AT_ONCE)
        .try_collect()
        .await
        .map_err(|error| (error, false))?;
    let items: Vec<OrderItem> = lines
        .lines()
        .iter()
        .zip(prices)
        .map(|(line, (_, price_cents))| OrderItem {
            product_id: line.product_id,
            quantity: line.quantity,
            price_cents,
        })
        .collect();
    let total = items.iter().try_fold(0i64, |total, item| {
        item.price_cents
            .checked_mul(item.quantity)
            .and_then(|line| total.checked_add(line))
    });
    if total.is_none() {
        return Err((
            ApiError::BadRequest("the order's total is too large".into()),
            false,
        ));
    }

    match products.reserve(order_id, lines.lines()).await {
        Ok(()) => Ok(items),
        Err(UpstreamError::Refused {
            status: 409,
            message,
            ..
        }) => Err((ApiError::Conflict(message), false)),
        Err(UpstreamError::Refused {
            status: 404,
            message,
            ..
        }) => Err((ApiError::NotFound(message), false)),
        Err(UpstreamError::Refused {
            status: 400 | 422,
            message,
            ..
        }) => Err((ApiError::BadRequest(message), false)),
        Err(error @ UpstreamError::Unreachable { .. }) => Err((unavailable(&error), false)),
        // products refused orders' credential: nothing was reserved.
        Err(
            error @ UpstreamError::Refused {
                status: 401 | 403, ..
            },
        ) => Err((unavailable(&error), false)),
        Err(error) => Err((unavailable(&error), true)),
    }
}

fn unavailable(error: &UpstreamError) -> ApiError {
    tracing::warn!(%error, "products call failed");
    ApiError::Unavailable("products is unavailable; no order was placed, retry later".into())
}

#[derive(Debug, Serialize)]
pub struct OrderList {
    pub orders: Vec<Order>,
}

/// `GET /orders`: the caller's orders, newest first.
pub async fn list_orders(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> ApiResult<Json<OrderList>> {
    let user_id = claims.sub;
    let orders = state
        .db
        .call(move |conn| store::list_for_user(conn, user_id))
        .await?;
    Ok(Json(OrderList { orders }))
}

/// `GET /orders/{id}`: one of the caller's orders; anyone else's is not found.
pub async fn get_order(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(order_id): Path<String>,
) -> ApiResult<Json<Order>> {
    let not_found = || ApiError::NotFound(format!("order `{order_id}` not found"));
    if order_id.len() > MAX_ORDER_ID_LEN {
        return Err(not_found());
    }
    let user_id = claims.sub;
    let id = order_id.clone();
    let order = state
        .db
        .call(move |conn| store::get_for_user(conn, user_id, &id))
        .await?;
    order.map(Json).ok_or_else(not_found)
}

#[derive(Debug, Serialize)]
pub struct PaymentNoticeAnswer {
    pub order_id: String,
    pub status: OrderStatus,
}

/// `POST /internal/payments`: payments tells a charge's outcome (only payments may: see
/// [`crate::app`]). Idempotent; a notice that contradicts the recorded outcome is a 409.
pub async fn payment_notice(
    State(state): State<AppState>,
    Json(notice): Json<PaymentNotice>,
) -> ApiResult<Json<PaymentNoticeAnswer>> {
    if notice.order_id.is_empty() || notice.order_id.len() > MAX_ORDER_ID_LEN {
        return Err(ApiError::NotFound(format!(
            "order `{}` not found",
            notice.order_id
        )));
    }
    let order_id = notice.order_id.clone();
    let outcome = notice.status;
    let applied = state
        .db
        .call(move |conn| store::apply_payment(conn, &order_id, outcome, now_ms()))
        .await?;
    let status = match applied {
        PaymentApplied::Moved(status) => {
            state.wakeup.wake();
            let counter = match outcome {
                PaymentOutcome::Succeeded => "orders_paid_total",
                PaymentOutcome::Declined => "orders_failed_total",
            };
            state
                .metrics
                .add(counter, "Orders that reached this status.", 1);
            tracing::info!(order_id = %notice.order_id, %status, "payment recorded");
            status
        }
        PaymentApplied::Already(status) => status,
        PaymentApplied::Contradicts(status) => {
            return Err(ApiError::Conflict(format!(
                "order `{}` is already {status}; payment {} contradicts it",
                notice.order_id,
                outcome.as_str()
            )))
        }
        PaymentApplied::NotFound => {
            return Err(ApiError::NotFound(format!(
                "order `{}` not found",
                notice.order_id
            )))
        }
    };
    Ok(Json(PaymentNoticeAnswer {
        order_id: notice.order_id,
        status,
    }))
}

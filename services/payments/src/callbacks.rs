//! The background worker that tells orders each charge's outcome, and finishes charges a
//! dead process left pending.
//!
//! A decided charge has a row in `callback_outbox`, written in the same transaction as
//! the outcome. The worker sends `POST {ORDERS_URL}/internal/payments {order_id, status}`
//! for every due row and marks it delivered on a 2xx. No answer (orders down, a timeout),
//! a 5xx, 408 or 429 schedules the next try with exponential backoff and jitter, capped at
//! `max_backoff`; the row stays until orders has the outcome, across restarts of either
//! service. Any other 4xx is orders refusing the news for good (404: it has no such order,
//! as for a charge made without it; 409: its order says otherwise): retrying would change
//! nothing, so the row is marked rejected with orders' answer in `last_error`, and logged
//! as an error. Delivery is at least once: orders treats a repeated callback for an order
//! as the same news. Each callback carries payments' credential; a 401 or 403 from orders
//! means orders does not accept it (a secret changed on one side only): the row is kept
//! and retried, as for orders being down, until the secrets agree again.

use std::time::Duration;

use serde_json::json;
use shop_common::DbError;

use crate::store::{self, Callback};
use crate::{now_ms, process_charge, AppState};

/// How many rows one database call leases.
const BATCH: usize = 16;
/// The most of orders' error body kept in `last_error`.
const ERROR_TEXT_LIMIT: usize = 300;

/// Timing of the worker. The defaults suit production; tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSettings {
    /// The orders service, e.g. `http://orders:8080` (`ORDERS_URL`).
    pub orders_url: String,
    /// The wait after the first failed try; it doubles per try.
    pub initial_backoff: Duration,
    /// The longest wait between two tries.
    pub max_backoff: Duration,
    /// How often the worker looks for due callbacks when nothing woke it.
    pub poll_interval: Duration,
    /// How long a leased callback is hidden from other replicas' workers: longer than one
    /// delivery can take (the HTTP client gives up after 5 s).
    pub lease: Duration,
    /// A charge pending longer than this was abandoned by a process that died while the
    /// processor was deciding it.
    pub stale_charge_after: Duration,
}

impl CallbackSettings {
    pub fn new(orders_url: impl Into<String>) -> CallbackSettings {
        CallbackSettings {
            orders_url: orders_url.into(),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(30),
            stale_charge_after: Duration::from_secs(30),
        }
    }

    /// The wait before try `attempts + 1`: `initial * 2^attempts`, capped, with the upper
    /// half jittered so that callbacks failing together do not retry together.
    pub fn backoff(&self, attempts: i64, jitter: f64) -> Duration {
        let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
        let full = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.max_backoff);
        full / 2 + (full / 2).mul_f64(jitter.clamp(0.0, 1.0))
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/internal/payments",
            self.orders_url.trim_end_matches('/')
        )
    }
}

/// Starts the worker on the current Tokio runtime; it runs until the runtime stops (or
/// the handle is aborted). Several replicas may each run one: leases keep them apart.
pub fn spawn_callback_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = shop_common::http_client().await;
        run(state, client).await;
    })
}

async fn run(state: AppState, client: reqwest::Client) {
    tracing::info!(orders = %state.callbacks().orders_url, "callback worker started");
    loop {
        if let Err(error) = finish_stale_charges(&state).await {
            tracing::warn!(%error, "finishing stale charges failed");
        }
        if let Err(error) = deliver_due(&state, &client).await {
            tracing::warn!(%error, "delivering callbacks failed");
        }
        tokio::select! {
            () = state.wake.notified() => {}
            () = tokio::time::sleep(state.callbacks().poll_interval) => {}
        }
    }
}

/// Decides the charges left pending past `stale_charge_after` (each is re-claimed first,
/// so only one replica decides it).
async fn finish_stale_charges(state: &AppState) -> Result<(), DbError> {
    let stale_after = duration_ms(state.callbacks().stale_charge_after);
    let now = now_ms();
    let stale = state
        .db
        .call(move |conn| {
            Ok(store::reclaim_stale_charges(
                conn,
                now - stale_after,
                now,
                BATCH,
            )?)
        })
        .await?;
    for charge in stale {
        tracing::warn!(order_id = %charge.order_id, "finishing a charge left pending");
        process_charge(state, charge).await?;
    }
    Ok(())
}

/// Sends every due callback, a leased batch at a time, until none is due.
async fn deliver_due(state: &AppState, client: &reqwest::Client) -> Result<(), DbError> {
    let lease = duration_ms(state.callbacks().lease);
    loop {
        let now = now_ms();
        let batch = state
            .db
            .call(move |conn| Ok(store::lease_due_callbacks(conn, now, now + lease, BATCH)?))
            .await?;
        if batch.is_empty() {
            return Ok(());
        }
        for callback in batch {
            deliver(state, client, callback).await?;
        }
    }
}

async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    callback: Callback,
) -> Result<(), DbError> {
    let body = json!({"order_id": callback.order_id, "status": callback.outcome.as_str()});
    let request = client.post(state.callbacks().endpoint()).json(&body);
    let result = match state.identity.authenticate(request).send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            let text: String = text.chars().take(ERROR_TEXT_LIMIT).collect();
            let error = format!("orders answered {status}: {text}");
            if is_refusal(status) {
                Err(Failure::Refused(error))
            } else {
                Err(Failure::Retry(error))
            }
        }
        Err(error) => Err(Failure::Retry(error_chain(&error))),
    };
    let id = callback.id;
    let now = now_ms();
    match result {
        Ok(()) => {
            state
                .db
                .call(move |conn| Ok(store::callback_delivered(conn, id, now)?))
                .await?;
            state
                .metrics
                .add(CALLBACKS_DELIVERED, "Outcomes orders acknowledged.", 1);
            tracing::info!(
                order_id = %callback.order_id,
                status = callback.outcome.as_str(),
                attempts = callback.attempts + 1,
                "outcome called back to orders"
            );
        }
        Err(Failure::Retry(error)) => {
            let delay = state
                .callbacks()
                .backoff(callback.attempts, fastrand::f64());
            let next = now + duration_ms(delay);
            let logged = error.clone();
            state
                .db
                .call(move |conn| Ok(store::callback_failed(conn, id, &logged, next)?))
                .await?;
            state.metrics.add(
                CALLBACKS_FAILED,
                "Callback tries orders did not acknowledge.",
                1,
            );
            tracing::warn!(
                order_id = %callback.order_id,
                attempts = callback.attempts + 1,
                retry_in_ms = duration_ms(delay),
                %error,
                "callback to orders failed, will retry"
            );
        }
        Err(Failure::Refused(error)) => {
            let logged = error.clone();
            state
                .db
                .call(move |conn| Ok(store::callback_rejected(conn, id, &logged, now)?))
                .await?;
            state
                .metrics
                .add(CALLBACKS_REJECTED, "Callbacks orders refused for good.", 1);
            tracing::error!(
                order_id = %callback.order_id,
                status = callback.outcome.as_str(),
                %error,
                "orders refused the outcome; it will not be sent again"
            );
        }
    }
    Ok(())
}

enum Failure {
    /// Orders may take it later.
    Retry(String),
    /// Orders said no, and would say it again.
    Refused(String),
}

/// A 4xx other than 408 (timeout), 429 (too many requests), 401 and 403 (orders does not
/// accept payments' credential: a configuration to fix, not news refused): the answers
/// that mean "not now" are retried, the others are final.
fn is_refusal(status: reqwest::StatusCode) -> bool {
    use reqwest::StatusCode;
    status.is_client_error()
        && !matches!(
            status,
            StatusCode::REQUEST_TIMEOUT
                | StatusCode::TOO_MANY_REQUESTS
                | StatusCode::UNAUTHORIZED
                | StatusCode::FORBIDDEN
        )
}

const CALLBACKS_DELIVERED: &str = "payments_callbacks_delivered_total";
const CALLBACKS_FAILED: &str = "payments_callbacks_failed_total";
const CALLBACKS_REJECTED: &str = "payments_callbacks_rejected_total";

/// reqwest's top-level message ("error sending request") hides the cause ("connection
/// refused"): keep the whole chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_initial_wait_up_to_the_cap() {
        let settings = CallbackSettings::new("http://orders:8080");
        let at = |attempts, jitter| settings.backoff(attempts, jitter);
        assert_eq!(at(0, 1.0), Duration::from_millis(500));
        assert_eq!(at(0, 0.0), Duration::from_millis(250));
        assert_eq!(at(1, 1.0), Duration::from_secs(1));
        assert_eq!(at(3, 1.0), Duration::from_secs(4));
        assert_eq!(at(6, 1.0), Duration::from_secs(30));
        assert_eq!(at(10_000, 1.0), Duration::from_secs(30));
        assert_eq!(at(10_000, 0.0), Duration::from_secs(15));
        assert_eq!(at(-3, 1.0), Duration::from_millis(500));
    }

    #[test]
    fn only_final_4xx_answers_are_refusals() {
        for code in [400, 404, 409, 410, 422] {
            assert!(is_refusal(status(code)), "{code}");
        }
        for code in [200, 401, 403, 408, 429, 500, 502, 503] {
            assert!(!is_refusal(status(code)), "{code}");
        }
    }

    fn status(code: u16) -> reqwest::StatusCode {
        reqwest::StatusCode::from_u16(code).unwrap_or(reqwest::StatusCode::IM_A_TEAPOT)
    }

    #[test]
    fn the_endpoint_joins_the_orders_url_with_one_slash() {
        for url in ["http://orders:8080", "http://orders:8080/"] {
            assert_eq!(
                CallbackSettings::new(url).endpoint(),
                "http://orders:8080/internal/payments"
            );
        }
    }
}

//! The outbox worker: sends what the outbox holds (charges to payments, commits and
//! releases to products) until each is answered, with backoff while a service is down.
//!
//! Every replica runs one. They share the database, and a message is taken with a lease
//! ([`store::claim_outbox`]), so two replicas never send one message at once; a replica
//! that dies holding one lets the lease run out and another sends it. Delivery is at least
//! once: payments and products are idempotent per order id.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::store::{self, OutboxKind, OutboxMessage, PaymentApplied};
use crate::upstream::UpstreamError;
use crate::{now_ms, AppState};

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// How often the worker looks for due messages when nothing wakes it (other replicas'
    /// messages and retries become due without a wake-up).
    pub poll_interval: Duration,
    /// How long a taken message is this worker's: longer than any call takes.
    pub lease: Duration,
    /// The first retry's delay; each further one doubles, up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How many messages are sent at once.
    pub batch: usize,
    /// How long a claimed idempotency key may stay in `reserving` before the sweeper
    /// decides its request died.
    pub claim_timeout: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(30),
            min_backoff: Duration::from_millis(200),
            // Short enough that orders queued while payments was down are all sent within
            // seconds of its return.
            max_backoff: Duration::from_secs(5),
            batch: 16,
            claim_timeout: Duration::from_secs(60),
        }
    }
}

/// Wakes the worker when a message is queued, so a new order's charge leaves at once
/// instead of at the next poll.
#[derive(Debug, Default)]
pub struct Wakeup(Notify);

impl Wakeup {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Starts this replica's worker. It runs until the runtime stops; a message it held then
/// is sent again by whichever worker takes it after its lease.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(run(state))
}

async fn run(state: AppState) {
    let owner = worker_id();
    tracing::info!(worker = %owner, "outbox worker started");
    let mut last_sweep = 0;
    loop {
        let now = now_ms();
        if now - last_sweep >= state.outbox.poll_interval.as_millis() as i64 * 4 {
            last_sweep = now;
            sweep(&state, now).await;
        }
        let sent = match step(&state, &owner).await {
            Ok(count) => count,
            Err(error) => {
                tracing::warn!(%error, "outbox: could not take messages");
                0
            }
        };
        // A full batch means more may be due: go again at once.
        if sent < state.outbox.batch {
            tokio::select! {
                () = state.wakeup.0.notified() => {}
                () = tokio::time::sleep(state.outbox.poll_interval) => {}
            }
        }
    }
}

/// Takes the due messages and sends them, all at once. Returns how many it took.
pub async fn step(state: &AppState, owner: &str) -> Result<usize, shop_common::DbError> {
    let owner_for_claim = owner.to_string();
    let lease_ms = state.outbox.lease.as_millis() as i64;
    let batch = state.outbox.batch;
    let messages = state
        .db
        .call(move |conn| store::claim_outbox(conn, &owner_for_claim, now_ms(), lease_ms, batch))
        .await?;
    let count = messages.len();
    join_all(messages.into_iter().map(|m| deliver(state, owner, m))).await;
    Ok(count)
}

async fn sweep(state: &AppState, now: i64) {
    match state
        .db
        .call(move |conn| store::sweep_expired_claims(conn, now))
        .await
    {
        Ok(0) => {}
        Ok(swept) => {
            tracing::warn!(
                swept,
                "released the stock of orders whose request died while placing them"
            );
            state.wakeup.wake();
        }
        Err(error) => tracing::warn!(%error, "outbox: could not sweep expired claims"),
    }
}

/// What one send came to.
enum Outcome {
    Delivered,
    /// Answered with something no retry can change: dropped, with the reason kept.
    Dropped(String),
    Retry(String),
}

async fn deliver(state: &AppState, owner: &str, message: OutboxMessage) {
    let outcome = match message.kind {
        OutboxKind::Charge => charge(state, &message).await,
        OutboxKind::Commit => settle(state.products.commit(&message.order_id).await),
        OutboxKind::Release => settle(state.products.release(&message.order_id).await),
    };
    let id = message.id;
    let owner = owner.to_string();
    let now = now_ms();
    let result = match outcome {
        Outcome::Delivered => {
            state.metrics.add(
                "orders_outbox_delivered_total",
                "Outbox messages answered by their service.",
                1,
            );
            tracing::info!(order_id = %message.order_id, kind = message.kind.as_str(), attempts = message.attempts, "outbox: delivered");
            state
                .db
                .call(move |conn| store::complete_outbox(conn, id, &owner, now, None))
                .await
        }
        Outcome::Dropped(reason) => {
            state.metrics.add(
                "orders_outbox_dropped_total",
                "Outbox messages refused by their service for good.",
                1,
            );
            tracing::error!(order_id = %message.order_id, kind = message.kind.as_str(), %reason, "outbox: refused for good, not sending again");
            state
                .db
                .call(move |conn| store::complete_outbox(conn, id, &owner, now, Some(&reason)))
                .await
        }
        Outcome::Retry(error) => {
            state.metrics.add(
                "orders_outbox_retries_total",
                "Outbox sends that failed and will be tried again.",
                1,
            );
            let delay = backoff(&state.outbox, message.attempts);
            tracing::warn!(order_id = %message.order_id, kind = message.kind.as_str(), attempts = message.attempts, retry_in_ms = delay.as_millis() as u64, %error, "outbox: send failed");
            let retry_at = now + delay.as_millis() as i64;
            state
                .db
                .call(move |conn| store::retry_outbox(conn, id, &owner, retry_at, &error))
                .await
        }
    };
    // On failure the lease runs out and the message is sent again: at least once.
    if let Err(error) = result {
        tracing::warn!(%error, outbox_id = id, "outbox: could not record a send");
    }
}

async fn charge(state: &AppState, message: &OutboxMessage) -> Outcome {
    let Some(amount_cents) = message.amount_cents else {
        return Outcome::Dropped("a charge without an amount".into());
    };
    match state.payments.charge(&message.order_id, amount_cents).await {
        Ok(None) => Outcome::Delivered,
        // The answer already tells the outcome: record it now rather than wait for the
        // callback (which then changes nothing).
        Ok(Some(outcome)) => {
            let order_id = message.order_id.clone();
            let applied = state
                .db
                .call(move |conn| store::apply_payment(conn, &order_id, outcome, now_ms()))
                .await;
            match applied {
                Ok(PaymentApplied::Moved(_)) => state.wakeup.wake(),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, order_id = %message.order_id, "could not record the charge's outcome; the callback will")
                }
            }
            Outcome::Delivered
        }
        Err(error) => classify(error),
    }
}

/// Commit and release: products answering that the reservation is gone or already in
/// that state is as good as done.
fn settle(result: Result<(), UpstreamError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Delivered,
        Err(UpstreamError::Refused {
            status: 404 | 409,
            message,
            ..
        }) => {
            tracing::info!(%message, "outbox: nothing left to do at products");
            Outcome::Delivered
        }
        Err(error) => classify(error),
    }
}

fn classify(error: UpstreamError) -> Outcome {
    if error.is_transient() {
        Outcome::Retry(error.to_string())
    } else {
        Outcome::Dropped(error.to_string())
    }
}

/// `min_backoff * 2^(attempts-1)`, capped at `max_backoff`, with +-20 % jitter so that
/// replicas and messages failing together do not retry in step.
pub fn backoff(settings: &OutboxSettings, attempts: i64) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let base = settings
        .min_backoff
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(settings.max_backoff);
    let jitter = (random_u64() % 401) as f64 / 1000.0 - 0.2;
    base.mul_f64(1.0 + jitter)
}

fn random_u64() -> u64 {
    RandomState::new().build_hasher().finish()
}

/// A name for this worker's leases: the host name (the container id under Docker) and a
/// random suffix, so two workers never share one.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "orders".to_string());
    format!("{host}-{:08x}", random_u64() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let settings = OutboxSettings::default();
        let within = |d: Duration, base_ms: f64| {
            let ms = d.as_secs_f64() * 1000.0;
            ms >= base_ms * 0.79 && ms <= base_ms * 1.21
        };
        assert!(within(backoff(&settings, 1), 200.0));
        assert!(within(backoff(&settings, 2), 400.0));
        assert!(within(backoff(&settings, 4), 1600.0));
        assert!(within(backoff(&settings, 50), 5000.0));
        assert!(within(backoff(&settings, 0), 200.0));
    }

    #[test]
    fn worker_ids_differ() {
        assert_ne!(worker_id(), worker_id());
    }
}

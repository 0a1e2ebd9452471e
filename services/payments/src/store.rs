//! The payments database: every query the service runs, as plain functions over a
//! `rusqlite::Connection`. Times are milliseconds since the Unix epoch, passed in by the
//! caller, so nothing here reads a clock.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::domain::{Amount, OrderId};

/// The schema, applied in order by `shop_common::Db::open`.
pub const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_charges.sql")];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChargeStatus {
    /// Claimed, and the processor has not answered yet.
    Pending,
    Succeeded,
    Declined,
}

/// The processor's answer: what a pending charge becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Succeeded,
    Declined,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Declined => "declined",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        match text {
            "succeeded" => Ok(Outcome::Succeeded),
            "declined" => Ok(Outcome::Declined),
            other => Err(bad_text(format!("unknown outcome `{other}`"))),
        }
    }
}

impl ChargeStatus {
    fn parse(text: &str) -> rusqlite::Result<Self> {
        match text {
            "pending" => Ok(ChargeStatus::Pending),
            other => Outcome::parse(other).map(ChargeStatus::from),
        }
    }
}

impl From<Outcome> for ChargeStatus {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Succeeded => ChargeStatus::Succeeded,
            Outcome::Declined => ChargeStatus::Declined,
        }
    }
}

fn bad_text(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Charge {
    pub charge_id: String,
    pub order_id: String,
    pub amount_cents: i64,
    pub status: ChargeStatus,
}

/// What `claim_charge` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// No charge existed: this one was inserted pending, and its caller must ask the
    /// processor and then `decide_charge`.
    New(Charge),
    /// The order already has this charge: nobody may ask the processor for it again.
    Existing(Charge),
}

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("order `{order_id}` was already charged {existing} cents, not {requested}")]
    DifferentAmount {
        order_id: String,
        existing: i64,
        requested: i64,
    },
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
}

/// Inserts a pending charge for the order, unless it already has one.
///
/// The lookup and the insert share one `BEGIN IMMEDIATE` transaction, and `order_id` is
/// UNIQUE: of any number of concurrent requests for one order, in any replica, exactly one
/// gets `Claim::New`.
pub fn claim_charge(
    conn: &mut Connection,
    order_id: &OrderId,
    amount: Amount,
    now_ms: i64,
) -> Result<Claim, ClaimError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(existing) = load_charge(&tx, order_id.as_str())? {
        if existing.amount_cents != amount.cents() {
            return Err(ClaimError::DifferentAmount {
                order_id: order_id.to_string(),
                existing: existing.amount_cents,
                requested: amount.cents(),
            });
        }
        return Ok(Claim::Existing(existing));
    }
    tx.execute(
        "INSERT INTO charges (order_id, amount_cents, status, claimed_at)
         VALUES (?1, ?2, 'pending', ?3)",
        params![order_id.as_str(), amount.cents(), now_ms],
    )?;
    let charge =
        load_charge(&tx, order_id.as_str())?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok(Claim::New(charge))
}

/// Records the processor's outcome for a pending charge and queues the callback to orders,
/// in one transaction. A charge that is already decided keeps its first outcome: the
/// processor's answer is never overwritten, and no second callback is queued.
pub fn decide_charge(
    conn: &mut Connection,
    order_id: &str,
    outcome: Outcome,
    now_ms: i64,
) -> rusqlite::Result<Charge> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE charges SET status = ?1, decided_at = ?2 WHERE order_id = ?3 AND status = 'pending'",
        params![outcome.as_str(), now_ms, order_id],
    )?;
    if changed == 1 {
        tx.execute(
            "INSERT INTO callback_outbox (order_id, status, next_attempt_at) VALUES (?1, ?2, ?3)",
            params![order_id, outcome.as_str(), now_ms],
        )?;
    }
    let charge = load_charge(&tx, order_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok(charge)
}

pub fn get_charge(conn: &Connection, order_id: &str) -> rusqlite::Result<Option<Charge>> {
    load_charge(conn, order_id)
}

/// Claims, for this caller, pending charges whose claim is older than `stale_before_ms`:
/// their process died between the claim and the decision. Each is re-dated to `now_ms`
/// so that no other replica takes it while this one asks the processor.
pub fn reclaim_stale_charges(
    conn: &mut Connection,
    stale_before_ms: i64,
    now_ms: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Charge>> {
    // A plain read first: an idle worker polling must not take the write lock that
    // requests (and other replicas) wait on.
    let any: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM charges WHERE status = 'pending' AND claimed_at < ?1)",
        [stale_before_ms],
        |row| row.get(0),
    )?;
    if !any {
        return Ok(Vec::new());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let order_ids = {
        let mut statement = tx.prepare_cached(
            "SELECT order_id FROM charges WHERE status = 'pending' AND claimed_at < ?1
             ORDER BY claimed_at LIMIT ?2",
        )?;
        let rows = statement.query_map(params![stale_before_ms, limit_param(limit)], |row| {
            row.get::<_, String>(0)
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let mut charges = Vec::with_capacity(order_ids.len());
    for order_id in order_ids {
        tx.execute(
            "UPDATE charges SET claimed_at = ?1 WHERE order_id = ?2",
            params![now_ms, order_id],
        )?;
        if let Some(charge) = load_charge(&tx, &order_id)? {
            charges.push(charge);
        }
    }
    tx.commit()?;
    Ok(charges)
}

fn load_charge(conn: &Connection, order_id: &str) -> rusqlite::Result<Option<Charge>> {
    conn.query_row(
        "SELECT id, order_id, amount_cents, status FROM charges WHERE order_id = ?1",
        [order_id],
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
            ))
        },
    )
    .optional()?
    .map(|(id, order_id, amount_cents, status)| {
        Ok(Charge {
            charge_id: format!("ch_{id}"),
            order_id,
            amount_cents,
            status: ChargeStatus::parse(&status)?,
        })
    })
    .transpose()
}

/// A callback waiting to be delivered to orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub id: i64,
    pub order_id: String,
    pub outcome: Outcome,
    /// Deliveries tried before this one.
    pub attempts: i64,
}

/// Takes up to `limit` undelivered callbacks that are due, leasing each until
/// `lease_until_ms`: a replica that dies while sending leaves it due again after the lease.
pub fn lease_due_callbacks(
    conn: &mut Connection,
    now_ms: i64,
    lease_until_ms: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Callback>> {
    // A plain read first, as in `reclaim_stale_charges`.
    let any: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM callback_outbox
         WHERE delivered_at IS NULL AND rejected_at IS NULL AND next_attempt_at <= ?1)",
        [now_ms],
        |row| row.get(0),
    )?;
    if !any {
        return Ok(Vec::new());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let callbacks = {
        let mut statement = tx.prepare_cached(
            "SELECT id, order_id, status, attempts FROM callback_outbox
             WHERE delivered_at IS NULL AND rejected_at IS NULL AND next_attempt_at <= ?1
             ORDER BY next_attempt_at, id LIMIT ?2",
        )?;
        let rows = statement.query_map(params![now_ms, limit_param(limit)], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (id, order_id, status, attempts) = row?;
            Ok(Callback {
                id,
                order_id,
                outcome: Outcome::parse(&status)?,
                attempts,
            })
        })
        .collect::<rusqlite::Result<Vec<_>>>()?
    };
    for callback in &callbacks {
        tx.execute(
            "UPDATE callback_outbox SET next_attempt_at = ?1 WHERE id = ?2",
            params![lease_until_ms, callback.id],
        )?;
    }
    tx.commit()?;
    Ok(callbacks)
}

pub fn callback_delivered(conn: &Connection, id: i64, now_ms: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE callback_outbox SET delivered_at = ?1, attempts = attempts + 1, last_error = NULL
         WHERE id = ?2",
        params![now_ms, id],
    )?;
    Ok(())
}

pub fn callback_failed(
    conn: &Connection,
    id: i64,
    error: &str,
    next_attempt_at_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE callback_outbox SET attempts = attempts + 1, last_error = ?1, next_attempt_at = ?2
         WHERE id = ?3",
        params![error, next_attempt_at_ms, id],
    )?;
    Ok(())
}

/// Orders refused the callback for good (a 4xx other than 408 or 429): it is not sent
/// again, and the row keeps why.
pub fn callback_rejected(
    conn: &Connection,
    id: i64,
    error: &str,
    now_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE callback_outbox SET attempts = attempts + 1, last_error = ?1, rejected_at = ?2
         WHERE id = ?3",
        params![error, now_ms, id],
    )?;
    Ok(())
}

/// Where the callback of one order stands, for tests and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackState {
    pub attempts: i64,
    pub delivered: bool,
    pub rejected: bool,
    pub last_error: Option<String>,
}

pub fn callback_state(
    conn: &Connection,
    order_id: &str,
) -> rusqlite::Result<Option<CallbackState>> {
    conn.query_row(
        "SELECT attempts, delivered_at IS NOT NULL, rejected_at IS NOT NULL, last_error
         FROM callback_outbox WHERE order_id = ?1",
        [order_id],
        |row| {
            Ok(CallbackState {
                attempts: row.get(0)?,
                delivered: row.get(1)?,
                rejected: row.get(2)?,
                last_error: row.get(3)?,
            })
        },
    )
    .optional()
}

fn limit_param(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

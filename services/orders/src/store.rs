//! The orders database: orders, their lines, and the outbox of calls to other services.
//!
//! Every function takes a connection and runs synchronously; handlers and the worker call
//! them through [`shop_common::Db::call`]. Times are milliseconds since the Unix epoch.
//!
//! Architecture invariant: a state change and the outbox rows that tell other services
//! about it are written in one transaction, so no change is ever made without its calls
//! queued, whatever process dies when.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;
use shop_common::DbError;

use crate::domain::{OrderLines, OrderStatus, PaymentOutcome};

pub const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_orders.sql")];

/// An order as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: String,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    pub total_cents: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OrderItem {
    pub product_id: i64,
    pub quantity: i64,
    pub price_cents: i64,
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: this request owns the new order id and must reserve, then
    /// [`finalize`] or [`abandon`].
    New { order_id: String },
    /// Another request with this key already made an order (or is making one, when its
    /// status is `Reserving`). `fingerprint` is what that request asked for.
    Existing { order: Order, fingerprint: String },
}

/// Claims `(user_id, key)` for a new order in `reserving`, or finds the order the key
/// already has. The UNIQUE constraint on the pair is what makes two concurrent requests
/// with one key, on any replica, end with one order.
pub fn claim(
    conn: &mut Connection,
    user_id: i64,
    key: &str,
    lines: &OrderLines,
    now: i64,
    claim_for_ms: i64,
) -> Result<Claim, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let inserted: Option<String> = tx
        .query_row(
            "INSERT INTO orders (id, user_id, idempotency_key, fingerprint, status, claimed_until, created_at, updated_at)
             VALUES (lower(hex(randomblob(16))), ?1, ?2, ?3, 'reserving', ?4, ?5, ?5)
             ON CONFLICT (user_id, idempotency_key) DO NOTHING
             RETURNING id",
            params![user_id, key, lines.fingerprint(), now + claim_for_ms, now],
            |row| row.get(0),
        )
        .optional()?;
    let claim = match inserted {
        Some(order_id) => Claim::New { order_id },
        None => {
            let (order_id, fingerprint): (String, String) = tx.query_row(
                "SELECT id, fingerprint FROM orders WHERE user_id = ?1 AND idempotency_key = ?2",
                params![user_id, key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let order = load(&tx, &order_id)?.ok_or(DbError::NotFound)?;
            Claim::Existing { order, fingerprint }
        }
    };
    tx.commit()?;
    Ok(claim)
}

/// Turns a claimed order whose stock is reserved into a `pending` order with its lines and
/// its charge queued, in one transaction. An order that costs nothing is `paid` at once,
/// with its reservation's commit queued instead. `None` when the claim is gone (it expired
/// and the sweeper released it): the caller then has no order.
pub fn finalize(
    conn: &mut Connection,
    order_id: &str,
    items: &[OrderItem],
    now: i64,
) -> Result<Option<Order>, DbError> {
    let total_cents = items.iter().try_fold(0i64, |total, item| {
        item.price_cents
            .checked_mul(item.quantity)
            .and_then(|line| total.checked_add(line))
    });
    let Some(total_cents) = total_cents else {
        return Err(DbError::Other(format!("order {order_id}: total overflows")));
    };
    let status = if total_cents == 0 {
        OrderStatus::Paid
    } else {
        OrderStatus::Pending
    };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE orders SET status = ?1, total_cents = ?2, claimed_until = NULL, updated_at = ?3
         WHERE id = ?4 AND status = 'reserving'",
        params![status.as_str(), total_cents, now, order_id],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    for item in items {
        tx.execute(
            "INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?1, ?2, ?3, ?4)",
            params![order_id, item.product_id, item.quantity, item.price_cents],
        )?;
    }
    match status {
        OrderStatus::Pending => {
            enqueue(&tx, order_id, OutboxKind::Charge, Some(total_cents), now)?;
        }
        _ => enqueue(&tx, order_id, OutboxKind::Commit, None, now)?,
    }
    let order = load(&tx, order_id)?;
    tx.commit()?;
    Ok(order)
}

/// Gives a claim up: the order is forgotten so the key can be used again. When stock may
/// have been reserved (products did not answer), its release is queued, not before
/// `release_at`, so that a reservation still on its way is released too.
pub fn abandon(
    conn: &mut Connection,
    order_id: &str,
    release_at: Option<i64>,
) -> Result<(), DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let deleted = tx.execute(
        "DELETE FROM orders WHERE id = ?1 AND status = 'reserving'",
        [order_id],
    )?;
    if let (1, Some(at)) = (deleted, release_at) {
        enqueue(&tx, order_id, OutboxKind::Release, None, at)?;
    }
    tx.commit()?;
    Ok(())
}

/// Claims whose request died (a replica killed between claiming and finalizing) are
/// removed with their stock's release queued, so a key is not blocked for ever and no
/// stock stays reserved for an order that does not exist. Returns how many.
pub fn sweep_expired_claims(conn: &mut Connection, now: i64) -> Result<usize, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let expired: Vec<String> = {
        let mut statement = tx.prepare(
            "DELETE FROM orders WHERE status = 'reserving' AND claimed_until < ?1 RETURNING id",
        )?;
        let rows = statement.query_map([now], |row| row.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for order_id in &expired {
        enqueue(&tx, order_id, OutboxKind::Release, None, now)?;
    }
    tx.commit()?;
    Ok(expired.len())
}

/// One order of `user_id`. Another user's order, and an order still being placed, do not
/// exist for this user.
pub fn get_for_user(
    conn: &mut Connection,
    user_id: i64,
    order_id: &str,
) -> Result<Option<Order>, DbError> {
    let owner: Option<i64> = conn
        .query_row(
            "SELECT user_id FROM orders WHERE id = ?1 AND status != 'reserving'",
            [order_id],
            |row| row.get(0),
        )
        .optional()?;
    match owner {
        Some(owner) if owner == user_id => load(conn, order_id),
        _ => Ok(None),
    }
}

/// Every order of `user_id`, newest first.
pub fn list_for_user(conn: &mut Connection, user_id: i64) -> Result<Vec<Order>, DbError> {
    let tx = conn.transaction()?;
    let ids: Vec<String> = {
        let mut statement = tx.prepare(
            "SELECT id FROM orders WHERE user_id = ?1 AND status != 'reserving'
             ORDER BY created_at DESC, id DESC",
        )?;
        let rows = statement.query_map([user_id], |row| row.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut orders = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(order) = load(&tx, &id)? {
            orders.push(order);
        }
    }
    tx.commit()?;
    Ok(orders)
}

/// What [`apply_payment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentApplied {
    /// The order moved from `pending` to `paid` or `failed`.
    Moved(OrderStatus),
    /// The order already had that outcome: a repeated notice changes nothing.
    Already(OrderStatus),
    /// The order has the other outcome: the notice contradicts what was recorded.
    Contradicts(OrderStatus),
    NotFound,
}

/// Records a charge's outcome: `pending` -> `paid` (the reservation's commit queued) or
/// -> `failed` (its release queued). Idempotent: payments retries its notices.
pub fn apply_payment(
    conn: &mut Connection,
    order_id: &str,
    outcome: PaymentOutcome,
    now: i64,
) -> Result<PaymentApplied, DbError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM orders WHERE id = ?1",
            [order_id],
            |row| row.get(0),
        )
        .optional()?;
    let status = status.as_deref().and_then(OrderStatus::parse);
    let wanted = match outcome {
        PaymentOutcome::Succeeded => OrderStatus::Paid,
        PaymentOutcome::Declined => OrderStatus::Failed,
    };
    let applied = match status {
        None | Some(OrderStatus::Reserving) => PaymentApplied::NotFound,
        Some(OrderStatus::Pending) => {
            tx.execute(
                "UPDATE orders SET status = ?1, updated_at = ?2 WHERE id = ?3",
                params![wanted.as_str(), now, order_id],
            )?;
            let kind = match outcome {
                PaymentOutcome::Succeeded => OutboxKind::Commit,
                PaymentOutcome::Declined => OutboxKind::Release,
            };
            enqueue(&tx, order_id, kind, None, now)?;
            PaymentApplied::Moved(wanted)
        }
        Some(current) if current == wanted => PaymentApplied::Already(current),
        Some(current) => PaymentApplied::Contradicts(current),
    };
    // An outcome proves the charge arrived: stop sending it.
    if !matches!(applied, PaymentApplied::NotFound) {
        tx.execute(
            "UPDATE outbox SET delivered_at = ?1
             WHERE order_id = ?2 AND kind = 'charge' AND delivered_at IS NULL",
            params![now, order_id],
        )?;
    }
    tx.commit()?;
    Ok(applied)
}

/// What the outbox asks of another service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxKind {
    /// payments: `POST /charges`.
    Charge,
    /// products: `POST /reservations/{order_id}/commit`.
    Commit,
    /// products: `POST /reservations/{order_id}/release`.
    Release,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Charge => "charge",
            OutboxKind::Commit => "commit",
            OutboxKind::Release => "release",
        }
    }

    fn parse(text: &str) -> Option<OutboxKind> {
        match text {
            "charge" => Some(OutboxKind::Charge),
            "commit" => Some(OutboxKind::Commit),
            "release" => Some(OutboxKind::Release),
            _ => None,
        }
    }
}

/// One outbox row a worker holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub order_id: String,
    pub kind: OutboxKind,
    pub amount_cents: Option<i64>,
    /// How many times it has been claimed, this time included.
    pub attempts: i64,
}

fn enqueue(
    conn: &Connection,
    order_id: &str,
    kind: OutboxKind,
    amount_cents: Option<i64>,
    not_before: i64,
) -> Result<(), DbError> {
    // One message per order and kind: queuing it again is a no-op.
    conn.execute(
        "INSERT INTO outbox (order_id, kind, amount_cents, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (order_id, kind) DO NOTHING",
        params![order_id, kind.as_str(), amount_cents, not_before],
    )?;
    Ok(())
}

/// Takes up to `limit` due messages for `lease_ms`, in one UPDATE ... RETURNING: the
/// statement runs under SQLite's write lock, so two workers (two replicas) never both take
/// a message while its lease lasts. A worker that dies holding one lets the lease run out,
/// and the message is taken again.
pub fn claim_outbox(
    conn: &mut Connection,
    owner: &str,
    now: i64,
    lease_ms: i64,
    limit: usize,
) -> Result<Vec<OutboxMessage>, DbError> {
    // Most polls find nothing: a read first keeps them from taking the write lock every
    // replica shares.
    let due: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= ?1)",
        [now],
        |row| row.get(0),
    )?;
    if !due {
        return Ok(Vec::new());
    }
    let mut statement = conn.prepare(
        "UPDATE outbox
            SET next_attempt_at = ?1 + ?2, lease_owner = ?3, attempts = attempts + 1
          WHERE id IN (SELECT id FROM outbox
                        WHERE delivered_at IS NULL AND next_attempt_at <= ?1
                        ORDER BY next_attempt_at, id LIMIT ?4)
          RETURNING id, order_id, kind, amount_cents, attempts",
    )?;
    let rows = statement.query_map(params![now, lease_ms, owner, limit as i64], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Option<i64>>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    let mut messages = Vec::new();
    for row in rows {
        let (id, order_id, kind, amount_cents, attempts) = row?;
        let kind = OutboxKind::parse(&kind)
            .ok_or_else(|| DbError::Other(format!("outbox {id}: unknown kind `{kind}`")))?;
        messages.push(OutboxMessage {
            id,
            order_id,
            kind,
            amount_cents,
            attempts,
        });
    }
    messages.sort_by_key(|m| m.id);
    Ok(messages)
}

/// Marks a message sent, if `owner` still holds it. `note` records why a message was
/// dropped instead (an answer that no retry can change).
pub fn complete_outbox(
    conn: &mut Connection,
    id: i64,
    owner: &str,
    now: i64,
    note: Option<&str>,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE outbox SET delivered_at = ?1, last_error = ?2, lease_owner = NULL
         WHERE id = ?3 AND lease_owner = ?4 AND delivered_at IS NULL",
        params![now, note, id, owner],
    )?;
    Ok(())
}

/// Puts a message back for another try at `retry_at`, if `owner` still holds it.
pub fn retry_outbox(
    conn: &mut Connection,
    id: i64,
    owner: &str,
    retry_at: i64,
    error: &str,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE outbox SET next_attempt_at = ?1, last_error = ?2, lease_owner = NULL
         WHERE id = ?3 AND lease_owner = ?4 AND delivered_at IS NULL",
        params![retry_at, error, id, owner],
    )?;
    Ok(())
}

/// How many messages are waiting to be sent.
pub fn outbox_backlog(conn: &mut Connection) -> Result<i64, DbError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE delivered_at IS NULL",
        [],
        |row| row.get(0),
    )?)
}

fn load(conn: &Connection, order_id: &str) -> Result<Option<Order>, DbError> {
    let order = conn
        .query_row(
            "SELECT id, status, total_cents, created_at, updated_at FROM orders WHERE id = ?1",
            [order_id],
            order_from_row,
        )
        .optional()?;
    let Some(mut order) = order else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT product_id, quantity, price_cents FROM order_items WHERE order_id = ?1
         ORDER BY product_id",
    )?;
    let items = statement.query_map([order_id], |row| {
        Ok(OrderItem {
            product_id: row.get(0)?,
            quantity: row.get(1)?,
            price_cents: row.get(2)?,
        })
    })?;
    order.items = items.collect::<Result<_, _>>()?;
    Ok(Some(order))
}

fn order_from_row(row: &Row<'_>) -> rusqlite::Result<Order> {
    let status: String = row.get(1)?;
    let status = OrderStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("unknown order status `{status}`").into(),
        )
    })?;
    Ok(Order {
        id: row.get(0)?,
        status,
        items: Vec::new(),
        total_cents: row.get(2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;
    use crate::domain::{OrderRequest, OrderRequestItem};

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for migration in MIGRATIONS {
            conn.execute_batch(migration).unwrap();
        }
        conn
    }

    fn lines(items: &[(i64, i64)]) -> OrderLines {
        OrderLines::parse(&OrderRequest {
            items: items
                .iter()
                .map(|&(product_id, quantity)| OrderRequestItem {
                    product_id,
                    quantity,
                })
                .collect(),
        })
        .unwrap()
    }

    /// A pending order of user 1 for `amount` cents, its charge queued at `now`.
    fn pending_order(conn: &mut Connection, key: &str, amount: i64, now: i64) -> String {
        let Claim::New { order_id } = claim(conn, 1, key, &lines(&[(1, 1)]), now, 60_000).unwrap()
        else {
            panic!("key {key} taken");
        };
        let item = OrderItem {
            product_id: 1,
            quantity: 1,
            price_cents: amount,
        };
        finalize(conn, &order_id, &[item], now).unwrap().unwrap();
        order_id
    }

    #[test]
    fn a_leased_message_is_not_taken_again_until_its_lease_runs_out() {
        let mut conn = db();
        let order_id = pending_order(&mut conn, "k", 500, 1_000);
        let taken = claim_outbox(&mut conn, "a", 1_000, 100, 10).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(
            (
                taken[0].order_id.as_str(),
                taken[0].kind,
                taken[0].amount_cents,
                taken[0].attempts
            ),
            (order_id.as_str(), OutboxKind::Charge, Some(500), 1)
        );
        assert!(claim_outbox(&mut conn, "b", 1_050, 100, 10)
            .unwrap()
            .is_empty());
        // Worker a died: b takes the message once the lease is over, and a's late report
        // changes nothing.
        let retaken = claim_outbox(&mut conn, "b", 1_100, 100, 10).unwrap();
        assert_eq!((retaken.len(), retaken[0].attempts), (1, 2));
        complete_outbox(&mut conn, taken[0].id, "a", 1_120, None).unwrap();
        assert_eq!(outbox_backlog(&mut conn).unwrap(), 1);
        retry_outbox(&mut conn, taken[0].id, "b", 5_000, "503").unwrap();
        assert!(claim_outbox(&mut conn, "b", 4_999, 100, 10)
            .unwrap()
            .is_empty());
        let again = claim_outbox(&mut conn, "c", 5_000, 100, 10).unwrap();
        complete_outbox(&mut conn, again[0].id, "c", 5_010, None).unwrap();
        assert_eq!(outbox_backlog(&mut conn).unwrap(), 0);
        assert!(claim_outbox(&mut conn, "c", 99_999, 100, 10)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn payment_outcomes_move_pending_orders_once() {
        let mut conn = db();
        let order_id = pending_order(&mut conn, "k", 500, 1_000);
        let paid = apply_payment(&mut conn, &order_id, PaymentOutcome::Succeeded, 2_000).unwrap();
        assert_eq!(paid, PaymentApplied::Moved(OrderStatus::Paid));
        let again = apply_payment(&mut conn, &order_id, PaymentOutcome::Succeeded, 3_000).unwrap();
        assert_eq!(again, PaymentApplied::Already(OrderStatus::Paid));
        let contradiction =
            apply_payment(&mut conn, &order_id, PaymentOutcome::Declined, 3_000).unwrap();
        assert_eq!(
            contradiction,
            PaymentApplied::Contradicts(OrderStatus::Paid)
        );
        assert_eq!(
            apply_payment(&mut conn, "nope", PaymentOutcome::Declined, 3_000).unwrap(),
            PaymentApplied::NotFound
        );
        // The charge is settled, the commit queued once.
        let kinds: Vec<OutboxKind> = claim_outbox(&mut conn, "w", 10_000, 100, 10)
            .unwrap()
            .into_iter()
            .map(|m| m.kind)
            .collect();
        assert_eq!(kinds, [OutboxKind::Commit]);
        let order = get_for_user(&mut conn, 1, &order_id).unwrap().unwrap();
        assert_eq!((order.status, order.updated_at), (OrderStatus::Paid, 2_000));
    }

    #[test]
    fn claims_in_progress_are_invisible_and_expired_ones_are_swept() {
        let mut conn = db();
        let Claim::New { order_id } =
            claim(&mut conn, 1, "k", &lines(&[(2, 1)]), 1_000, 500).unwrap()
        else {
            panic!("claimed");
        };
        assert_eq!(get_for_user(&mut conn, 1, &order_id).unwrap(), None);
        assert!(list_for_user(&mut conn, 1).unwrap().is_empty());
        // A second request with the key finds the claim and what it asked for.
        match claim(&mut conn, 1, "k", &lines(&[(2, 1)]), 1_100, 500).unwrap() {
            Claim::Existing { order, fingerprint } => {
                assert_eq!(order.status, OrderStatus::Reserving);
                assert_eq!(fingerprint, "2x1");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(sweep_expired_claims(&mut conn, 1_400).unwrap(), 0);
        assert_eq!(sweep_expired_claims(&mut conn, 1_600).unwrap(), 1);
        // Its stock's release is queued, and finishing the request now finds no claim.
        let queued = claim_outbox(&mut conn, "w", 1_600, 100, 10).unwrap();
        assert_eq!(
            (queued.len(), queued[0].kind, queued[0].order_id.as_str()),
            (1, OutboxKind::Release, order_id.as_str())
        );
        assert_eq!(finalize(&mut conn, &order_id, &[], 1_700).unwrap(), None);
        assert!(matches!(
            claim(&mut conn, 1, "k", &lines(&[(2, 1)]), 1_800, 500).unwrap(),
            Claim::New { .. }
        ));
    }

    #[test]
    fn abandoning_a_claim_frees_its_key_and_queues_a_release_only_when_asked() {
        let mut conn = db();
        let new_claim = |conn: &mut Connection| match claim(
            conn,
            1,
            "k",
            &lines(&[(1, 1)]),
            0,
            60_000,
        )
        .unwrap()
        {
            Claim::New { order_id } => order_id,
            other => panic!("{other:?}"),
        };
        let first = new_claim(&mut conn);
        abandon(&mut conn, &first, None).unwrap();
        assert_eq!(outbox_backlog(&mut conn).unwrap(), 0);
        let second = new_claim(&mut conn);
        abandon(&mut conn, &second, Some(5_000)).unwrap();
        assert!(claim_outbox(&mut conn, "w", 4_999, 100, 10)
            .unwrap()
            .is_empty());
        assert_eq!(
            claim_outbox(&mut conn, "w", 5_000, 100, 10).unwrap().len(),
            1
        );
    }
}

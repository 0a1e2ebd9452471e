//! The products database: every query the service runs, as plain functions over a
//! `rusqlite::Connection`, so the HTTP layer holds no SQL and tests can call them directly.
//!
//! Stock changes run in `BEGIN IMMEDIATE` transactions: the write lock is taken before the
//! stock is read, so two replicas sharing the database file (WAL mode) serialise their
//! reservations instead of both reading the same stock and both taking it.

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use crate::domain::{NewProduct, OrderId, ReservationItem, ReservationItems};

/// The schema and the seed catalogue, applied in order by `shop_common::Db::open`.
pub const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_catalogue.sql")];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub price_cents: i64,
    pub stock: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservationStatus {
    /// The stock is taken and can still be given back.
    Reserved,
    /// The stock was given back.
    Released,
    /// The order is final: the stock stays taken.
    Committed,
}

impl ReservationStatus {
    fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "reserved",
            ReservationStatus::Released => "released",
            ReservationStatus::Committed => "committed",
        }
    }

    fn parse(text: &str) -> rusqlite::Result<Self> {
        match text {
            "reserved" => Ok(ReservationStatus::Reserved),
            "released" => Ok(ReservationStatus::Released),
            "committed" => Ok(ReservationStatus::Committed),
            other => Err(rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Text,
                format!("unknown reservation status `{other}`").into(),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation {
    pub reservation_id: String,
    pub order_id: String,
    pub status: ReservationStatus,
    pub items: Vec<ReservationItem>,
}

/// Why a reservation was not made. Nothing was taken from stock in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ReserveError {
    #[error("product {product_id} does not exist")]
    UnknownProduct { product_id: i64 },
    #[error("product {product_id} has {available} in stock, {requested} requested")]
    InsufficientStock {
        product_id: i64,
        requested: i64,
        available: i64,
    },
    #[error("order `{order_id}` already has a reservation with different items")]
    DifferentItems { order_id: String },
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
}

/// Why a reservation could not move to released or committed.
#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("order `{order_id}` has no reservation")]
    NotFound { order_id: String },
    #[error("the reservation of order `{order_id}` is already {status}, it cannot be {wanted}")]
    Final {
        order_id: String,
        status: &'static str,
        wanted: &'static str,
    },
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
}

pub fn list_products(conn: &Connection) -> rusqlite::Result<Vec<Product>> {
    let mut statement =
        conn.prepare_cached("SELECT id, name, price_cents, stock FROM products ORDER BY id")?;
    let rows = statement.query_map([], product_from_row)?;
    rows.collect()
}

pub fn get_product(conn: &Connection, product_id: i64) -> rusqlite::Result<Option<Product>> {
    conn.query_row(
        "SELECT id, name, price_cents, stock FROM products WHERE id = ?1",
        [product_id],
        product_from_row,
    )
    .optional()
}

pub fn create_product(conn: &Connection, new: &NewProduct) -> rusqlite::Result<Product> {
    conn.query_row(
        "INSERT INTO products (name, price_cents, stock) VALUES (?1, ?2, ?3)
         RETURNING id, name, price_cents, stock",
        params![new.name.as_str(), new.price_cents, new.stock],
        product_from_row,
    )
}

fn product_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: row.get(0)?,
        name: row.get(1)?,
        price_cents: row.get(2)?,
        stock: row.get(3)?,
    })
}

/// Reserves every item for `order_id`, or nothing.
///
/// Idempotent per order: when the order already has a reservation with the same items,
/// that reservation is returned (whatever its status) and `created` is false; nothing is
/// taken from stock a second time.
pub fn reserve(
    conn: &mut Connection,
    order_id: &OrderId,
    items: &ReservationItems,
) -> Result<(Reservation, bool), ReserveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if let Some(existing) = load_reservation(&tx, order_id.as_str())? {
        if existing.items.as_slice() != items.as_slice() {
            return Err(ReserveError::DifferentItems {
                order_id: order_id.to_string(),
            });
        }
        return Ok((existing, false));
    }
    for item in items.as_slice() {
        // The guard in the WHERE clause and the CHECK on the column both keep stock
        // from going negative; the guard turns a shortage into zero changed rows.
        let changed = tx.execute(
            "UPDATE products SET stock = stock - ?1 WHERE id = ?2 AND stock >= ?1",
            params![item.quantity, item.product_id],
        )?;
        if changed == 0 {
            let available: Option<i64> = tx
                .query_row(
                    "SELECT stock FROM products WHERE id = ?1",
                    [item.product_id],
                    |row| row.get(0),
                )
                .optional()?;
            // Dropping `tx` rolls back what earlier items took.
            return Err(match available {
                None => ReserveError::UnknownProduct {
                    product_id: item.product_id,
                },
                Some(available) => ReserveError::InsufficientStock {
                    product_id: item.product_id,
                    requested: item.quantity,
                    available,
                },
            });
        }
    }
    let reservation_id: i64 = tx.query_row(
        "INSERT INTO reservations (order_id, status) VALUES (?1, 'reserved') RETURNING id",
        [order_id.as_str()],
        |row| row.get(0),
    )?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO reservation_items (reservation_id, product_id, quantity)
             VALUES (?1, ?2, ?3)",
        )?;
        for item in items.as_slice() {
            insert.execute(params![reservation_id, item.product_id, item.quantity])?;
        }
    }
    let reservation =
        load_reservation(&tx, order_id.as_str())?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok((reservation, true))
}

/// Gives the reservation's stock back, once: releasing a released reservation changes
/// nothing and returns it; a committed one cannot be released.
pub fn release(conn: &mut Connection, order_id: &OrderId) -> Result<Reservation, TransitionError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let reservation = existing(&tx, order_id)?;
    match reservation.status {
        ReservationStatus::Released => Ok(reservation),
        ReservationStatus::Committed => Err(TransitionError::Final {
            order_id: order_id.to_string(),
            status: ReservationStatus::Committed.as_str(),
            wanted: "released",
        }),
        ReservationStatus::Reserved => {
            for item in &reservation.items {
                tx.execute(
                    "UPDATE products SET stock = stock + ?1 WHERE id = ?2",
                    params![item.quantity, item.product_id],
                )?;
            }
            set_status(&tx, order_id, ReservationStatus::Released)?;
            tx.commit()?;
            Ok(Reservation {
                status: ReservationStatus::Released,
                ..reservation
            })
        }
    }
}

/// Makes the reservation final, once: committing a committed reservation changes nothing
/// and returns it; a released one cannot be committed (its stock may be sold again).
pub fn commit(conn: &mut Connection, order_id: &OrderId) -> Result<Reservation, TransitionError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let reservation = existing(&tx, order_id)?;
    match reservation.status {
        ReservationStatus::Committed => Ok(reservation),
        ReservationStatus::Released => Err(TransitionError::Final {
            order_id: order_id.to_string(),
            status: ReservationStatus::Released.as_str(),
            wanted: "committed",
        }),
        ReservationStatus::Reserved => {
            set_status(&tx, order_id, ReservationStatus::Committed)?;
            tx.commit()?;
            Ok(Reservation {
                status: ReservationStatus::Committed,
                ..reservation
            })
        }
    }
}

pub fn get_reservation(
    conn: &Connection,
    order_id: &OrderId,
) -> rusqlite::Result<Option<Reservation>> {
    load_reservation(conn, order_id.as_str())
}

fn existing(tx: &Transaction<'_>, order_id: &OrderId) -> Result<Reservation, TransitionError> {
    load_reservation(tx, order_id.as_str())?.ok_or_else(|| TransitionError::NotFound {
        order_id: order_id.to_string(),
    })
}

fn set_status(
    tx: &Transaction<'_>,
    order_id: &OrderId,
    status: ReservationStatus,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE reservations SET status = ?1, updated_at = unixepoch() WHERE order_id = ?2",
        params![status.as_str(), order_id.as_str()],
    )?;
    Ok(())
}

fn load_reservation(conn: &Connection, order_id: &str) -> rusqlite::Result<Option<Reservation>> {
    let Some((id, status)) = conn
        .query_row(
            "SELECT id, status FROM reservations WHERE order_id = ?1",
            [order_id],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut statement = conn.prepare_cached(
        "SELECT product_id, quantity FROM reservation_items
         WHERE reservation_id = ?1 ORDER BY product_id",
    )?;
    let items = statement
        .query_map([id], |row| {
            Ok(ReservationItem {
                product_id: row.get(0)?,
                quantity: row.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(Reservation {
        reservation_id: reservation_id_text(id),
        order_id: order_id.to_owned(),
        status: ReservationStatus::parse(&status)?,
        items,
    }))
}

/// Reservation ids are opaque strings to callers; the row id is an implementation detail.
fn reservation_id_text(id: i64) -> String {
    format!("rsv_{id}")
}

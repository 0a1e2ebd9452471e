//! Validated inputs. Each type checks its rules once, on construction, so that the store
//! and the calls to other services never see a zero quantity or an empty key.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The most distinct products one order may hold (products' reservations accept no more).
pub const MAX_ORDER_LINES: usize = 100;
/// The most of one product one order may ask for.
pub const MAX_QUANTITY: i64 = 10_000;
/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The body of `POST /orders`, as sent. Numbers are read as `i64` so that a negative or
/// zero quantity gets its own message instead of a serde type error.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderRequest {
    pub items: Vec<OrderRequestItem>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderRequestItem {
    pub product_id: i64,
    pub quantity: i64,
}

/// One line of an order: a product and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OrderLine {
    pub product_id: i64,
    pub quantity: i64,
}

/// What an order asks for: at least one line, one line per product (a product named twice
/// has its quantities added), sorted by product id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLines(Vec<OrderLine>);

impl OrderLines {
    pub fn parse(request: &OrderRequest) -> Result<OrderLines, String> {
        if request.items.is_empty() {
            return Err("`items` must hold at least one item".into());
        }
        let mut merged: BTreeMap<i64, i64> = BTreeMap::new();
        for (index, item) in request.items.iter().enumerate() {
            if item.product_id < 1 {
                return Err(format!(
                    "`items[{index}].product_id` must be a positive integer"
                ));
            }
            if item.quantity < 1 {
                return Err(format!("`items[{index}].quantity` must be at least 1"));
            }
            let total = merged.entry(item.product_id).or_insert(0);
            *total = total.saturating_add(item.quantity);
            if *total > MAX_QUANTITY {
                return Err(format!(
                    "at most {MAX_QUANTITY} of product {} may be ordered at once",
                    item.product_id
                ));
            }
        }
        if merged.len() > MAX_ORDER_LINES {
            return Err(format!(
                "`items` must name at most {MAX_ORDER_LINES} products"
            ));
        }
        Ok(OrderLines(
            merged
                .into_iter()
                .map(|(product_id, quantity)| OrderLine {
                    product_id,
                    quantity,
                })
                .collect(),
        ))
    }

    pub fn lines(&self) -> &[OrderLine] {
        &self.0
    }

    /// A canonical text of the lines (`1x2,7x1`): what a retried request must match to be
    /// the same request.
    pub fn fingerprint(&self) -> String {
        self.0
            .iter()
            .map(|line| format!("{}x{}", line.product_id, line.quantity))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: Option<&[u8]>) -> Result<IdempotencyKey, String> {
        let Some(bytes) = value else {
            return Err(
                "the `Idempotency-Key` header is required: a retried request with the same key returns the same order"
                    .into(),
            );
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "`Idempotency-Key` must be visible ASCII".to_string())?
            .trim();
        if text.is_empty() {
            return Err("`Idempotency-Key` must not be empty".into());
        }
        if text.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(format!(
                "`Idempotency-Key` must be at most {MAX_IDEMPOTENCY_KEY_LEN} characters"
            ));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err("`Idempotency-Key` must be visible ASCII".into());
        }
        Ok(IdempotencyKey(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// The idempotency key is claimed and stock is being reserved; not visible to anyone.
    Reserving,
    /// Stock is reserved and the charge is queued in the outbox.
    Pending,
    Paid,
    Failed,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Reserving => "reserving",
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        match text {
            "reserving" => Some(OrderStatus::Reserving),
            "pending" => Some(OrderStatus::Pending),
            "paid" => Some(OrderStatus::Paid),
            "failed" => Some(OrderStatus::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What payments tells orders about a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentOutcome {
    Succeeded,
    Declined,
}

impl PaymentOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOutcome::Succeeded => "succeeded",
            PaymentOutcome::Declined => "declined",
        }
    }
}

/// The body of `POST /internal/payments`.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentNotice {
    pub order_id: String,
    pub status: PaymentOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(items: &[(i64, i64)]) -> OrderRequest {
        OrderRequest {
            items: items
                .iter()
                .map(|&(product_id, quantity)| OrderRequestItem {
                    product_id,
                    quantity,
                })
                .collect(),
        }
    }

    #[test]
    fn lines_are_merged_and_sorted() {
        let lines = OrderLines::parse(&request(&[(7, 1), (2, 3), (7, 2)]));
        assert_eq!(
            lines.as_ref().map(|l| l.fingerprint()),
            Ok("2x3,7x3".to_string())
        );
    }

    #[test]
    fn bad_lines_are_refused_with_the_field_named() {
        let cases: [(&[(i64, i64)], &str); 5] = [
            (&[], "at least one item"),
            (&[(1, 0)], "items[0].quantity"),
            (&[(1, 1), (2, -3)], "items[1].quantity"),
            (&[(0, 1)], "items[0].product_id"),
            (&[(1, MAX_QUANTITY), (1, 1)], "at most"),
        ];
        for (items, expected) in cases {
            match OrderLines::parse(&request(items)) {
                Err(message) => assert!(message.contains(expected), "{message}"),
                Ok(lines) => panic!("{items:?} accepted as {lines:?}"),
            }
        }
        let many: Vec<(i64, i64)> = (1..=(MAX_ORDER_LINES as i64 + 1))
            .map(|id| (id, 1))
            .collect();
        assert!(OrderLines::parse(&request(&many)).is_err());
    }

    #[test]
    fn idempotency_keys() {
        assert_eq!(
            IdempotencyKey::parse(Some(b" abc-1 ")).map(|k| k.as_str().to_string()),
            Ok("abc-1".to_string())
        );
        assert!(IdempotencyKey::parse(None).is_err());
        assert!(IdempotencyKey::parse(Some(b"  ")).is_err());
        assert!(IdempotencyKey::parse(Some(b"a\tb")).is_err());
        assert!(IdempotencyKey::parse(Some("é".as_bytes())).is_err());
        assert!(IdempotencyKey::parse(Some(&[b'k'; 256])).is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            OrderStatus::Reserving,
            OrderStatus::Pending,
            OrderStatus::Paid,
            OrderStatus::Failed,
        ] {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("shipped"), None);
    }
}

//! Calls to products and payments. Each failure says whether the call may have taken effect,
//! because that decides what orders must undo. The calls only orders may make (reservations,
//! charges) carry orders' service credential.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shop_common::reqwest::{self, StatusCode};
use shop_common::ServiceIdentity;

use crate::domain::{OrderLine, PaymentOutcome};

/// Why a call to another service did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be made: the call certainly did nothing.
    #[error("{service} is unreachable: {detail}")]
    Unreachable {
        service: &'static str,
        detail: String,
    },
    /// The call was sent but got no usable answer (a timeout, a 5xx, a dropped
    /// connection): it may or may not have taken effect.
    #[error("{service} did not answer usably: {detail}")]
    Uncertain {
        service: &'static str,
        detail: String,
    },
    /// The service answered with a 4xx: it refused, and said why.
    #[error("{service} answered {status}: {message}")]
    Refused {
        service: &'static str,
        status: u16,
        message: String,
    },
}

impl UpstreamError {
    /// Whether the same call might succeed later (anything but a refusal, and the 4xx that
    /// mean "later": 408 and 429, and 401 and 403: the service does not accept orders'
    /// credential, a configuration to fix rather than an answer about the request).
    pub fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Refused { status, .. } => matches!(status, 401 | 403 | 408 | 429),
            _ => true,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            UpstreamError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A product as products describes it; orders reads only its price.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Product {
    pub id: i64,
    pub price_cents: i64,
}

#[derive(Debug, Clone)]
pub struct Products {
    client: reqwest::Client,
    base_url: String,
    timeout: Duration,
    identity: ServiceIdentity,
}

#[derive(Serialize)]
struct ReservationRequest<'a> {
    order_id: &'a str,
    items: &'a [OrderLine],
}

impl Products {
    /// products at `base_url`, reserving stock as `identity` (orders').
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        timeout: Duration,
        identity: ServiceIdentity,
    ) -> Self {
        Products {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            timeout,
            identity,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /products/{id}`; `None` when products does not know it.
    pub async fn product(&self, product_id: i64) -> Result<Option<Product>, UpstreamError> {
        let url = format!("{}/products/{product_id}", self.base_url);
        let response = send("products", self.client.get(url).timeout(self.timeout)).await;
        match response {
            Ok(response) => {
                let product: Product =
                    response
                        .json()
                        .await
                        .map_err(|e| UpstreamError::Uncertain {
                            service: "products",
                            detail: format!("product {product_id}: {e}"),
                        })?;
                if product.price_cents < 0 {
                    return Err(UpstreamError::Uncertain {
                        service: "products",
                        detail: format!("product {product_id} has a negative price"),
                    });
                }
                Ok(Some(product))
            }
            Err(UpstreamError::Refused { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// `POST /reservations`: all of the lines or none. Idempotent per order id.
    pub async fn reserve(&self, order_id: &str, lines: &[OrderLine]) -> Result<(), UpstreamError> {
        let url = format!("{}/reservations", self.base_url);
        let body = ReservationRequest {
            order_id,
            items: lines,
        };
        let request = self.client.post(url).json(&body).timeout(self.timeout);
        send("products", self.identity.authenticate(request))
            .await
            .map(drop)
    }

    /// `POST /reservations/{order_id}/commit`: the stock is sold.
    pub async fn commit(&self, order_id: &str) -> Result<(), UpstreamError> {
        self.transition(order_id, "commit").await
    }

    /// `POST /reservations/{order_id}/release`: the stock goes back on sale.
    pub async fn release(&self, order_id: &str) -> Result<(), UpstreamError> {
        self.transition(order_id, "release").await
    }

    async fn transition(&self, order_id: &str, action: &str) -> Result<(), UpstreamError> {
        let url = format!(
            "{}/reservations/{}/{action}",
            self.base_url,
            encode_path_segment(order_id)
        );
        let request = self.client.post(url).timeout(self.timeout);
        send("products", self.identity.authenticate(request))
            .await
            .map(drop)
    }
}

#[derive(Debug, Clone)]
pub struct Payments {
    client: reqwest::Client,
    base_url: String,
    timeout: Duration,
    identity: ServiceIdentity,
}

#[derive(Serialize)]
struct ChargeRequest<'a> {
    order_id: &'a str,
    amount_cents: i64,
}

#[derive(Deserialize)]
struct ChargeAnswer {
    status: Option<String>,
}

impl Payments {
    /// payments at `base_url`, asking for charges as `identity` (orders').
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        timeout: Duration,
        identity: ServiceIdentity,
    ) -> Self {
        Payments {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            timeout,
            identity,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `POST /charges`, idempotent per order id at payments. The outcome comes back by
    /// `POST /internal/payments`; when the answer already carries it, it is returned too.
    pub async fn charge(
        &self,
        order_id: &str,
        amount_cents: i64,
    ) -> Result<Option<PaymentOutcome>, UpstreamError> {
        let url = format!("{}/charges", self.base_url);
        let body = ChargeRequest {
            order_id,
            amount_cents,
        };
        let request = self.client.post(url).json(&body).timeout(self.timeout);
        let response = send("payments", self.identity.authenticate(request)).await?;
        let answer: Option<ChargeAnswer> = response.json().await.ok();
        Ok(match answer.and_then(|a| a.status).as_deref() {
            Some("succeeded") => Some(PaymentOutcome::Succeeded),
            Some("declined") => Some(PaymentOutcome::Declined),
            _ => None,
        })
    }
}

/// Sends and sorts the answer: 2xx is `Ok`, 4xx `Refused` with the service's message, 5xx
/// and transport failures by whether the request could have arrived.
async fn send(
    service: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, UpstreamError> {
    let response = request.send().await.map_err(|error| {
        let detail = error_text(&error);
        if error.is_connect() {
            UpstreamError::Unreachable { service, detail }
        } else {
            UpstreamError::Uncertain { service, detail }
        }
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if status.is_client_error() {
        let message = error_message(response).await;
        return Err(UpstreamError::Refused {
            service,
            status: status.as_u16(),
            message,
        });
    }
    Err(UpstreamError::Uncertain {
        service,
        detail: format!(
            "{status}{}",
            if status == StatusCode::SERVICE_UNAVAILABLE {
                " (unavailable)"
            } else {
                ""
            }
        ),
    })
}

/// The `error.message` of a shop error body, or the body itself.
async fn error_message(response: reqwest::Response) -> String {
    let text = response.text().await.unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

fn error_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Order ids are hex, but a path segment is encoded anyway so that no id can change the
/// path.
fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment("abc123"), "abc123");
        assert_eq!(encode_path_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn transient_errors() {
        let refused = |status| UpstreamError::Refused {
            service: "x",
            status,
            message: String::new(),
        };
        assert!(!refused(400).is_transient());
        assert!(!refused(409).is_transient());
        assert!(refused(429).is_transient());
        assert!(refused(401).is_transient());
        assert!(refused(403).is_transient());
        assert!(UpstreamError::Unreachable {
            service: "x",
            detail: String::new()
        }
        .is_transient());
    }
}

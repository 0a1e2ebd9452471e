//! gateway: the shop's one published entry point.
//!
//! `/api/<service>/<rest>` goes to `<rest>` at the service's base URL from `ROUTES`, with
//! the method, headers (minus hop-by-hop ones), body and query kept. The service's DNS name
//! is resolved to every replica's address (again once a second) and requests go round
//! robin over them; a GET, a HEAD or a request with an `Idempotency-Key` whose connection
//! is refused is sent to the next replica. No answer is a JSON error: 502 (a bad answer,
//! or a refused connection for a request that is not safe to resend), 503 (no address,
//! or every replica refused), 504 (no answer in time); an unknown service is a 404.
//!
//! Architecture invariant: the gateway never sends a request twice unless resending it is
//! safe (GET, HEAD, or an `Idempotency-Key` the service deduplicates on), and then only
//! when the first connection was refused, so the first copy never arrived.
//!
//! The services' endpoints for each other (`/internal/...`, products' reservations,
//! payments' charges: see [`private`]) are not forwarded: they take no user token.

pub mod private;
pub mod proxy;
pub mod resolve;
pub mod routes;

use std::sync::Arc;

use axum::routing::any;
use axum::Router;
use shop_common::with_observability;

pub use private::{PrivatePaths, DEFAULT_PRIVATE_PATHS};
pub use proxy::{Gateway, GatewayConfig, ProxyError};
pub use resolve::{DnsResolver, Resolver, StaticResolver};
pub use routes::{Routes, Upstream};

/// The gateway's router, with its own `/healthz`, `/readyz` and `/metrics`. Each routed
/// service has its own route template, so request metrics are per service.
pub fn app(gateway: Arc<Gateway>) -> Router {
    let mut router = Router::new();
    for (service_name, _) in gateway.routes().iter() {
        router = router
            .route(&format!("/api/{service_name}"), any(proxy::forward))
            .route(
                &format!("/api/{service_name}/{{*rest}}"),
                any(proxy::forward),
            );
    }
    let metrics = Arc::clone(gateway.metrics());
    // Everything else (unknown services, `/api/users/` with an empty rest) is sorted out
    // by the proxy, which answers JSON errors.
    let router = router.fallback(proxy::forward).with_state(gateway);
    with_observability(router, metrics, Arc::new(|| true))
}

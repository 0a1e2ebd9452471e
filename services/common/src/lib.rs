//! What every shop service shares, so that each service's crate holds only its domain:
//!
//! - [`init_tracing`]: JSON logs on stdout, level from `RUST_LOG`.
//! - [`Config`], [`env_or`], [`env_duration`]: configuration from the environment.
//! - [`ApiError`] / [`ApiResult`]: every error a handler returns becomes a status and a
//!   JSON body `{"error":{"code":"...","message":"..."}}`.
//! - [`Json`]: axum's JSON extractor, with its rejections as JSON errors too.
//! - [`Db`]: one SQLite database per service (WAL, busy timeout, foreign keys, migrations
//!   tracked by `PRAGMA user_version`), used from async code through [`Db::call`].
//! - [`TokenKey`], [`Claims`], [`AuthUser`]: HS256 tokens issued by users, checked by all.
//! - [`ServiceIdentity`], [`ServiceCallers`], [`only_from`]: a service's own credential
//!   for the calls it makes, and the check of the callers an endpoint allows.
//! - [`Metrics`], [`with_observability`]: `/healthz`, `/readyz`, `/metrics`, a request
//!   body limit and a span and a log line per request.
//! - [`serve`], [`healthcheck_main`], [`run_service`]: the process around the router,
//!   graceful on SIGTERM, with a `healthcheck` subcommand for scratch images.
//! - [`http_client`]: the client for calls between services.

mod config;
mod db;
mod error;
mod identity;
mod ids;
mod json;
mod metrics;
mod observability;
mod server;
mod token;

#[cfg(feature = "testing")]
pub mod testing;

pub use config::{env_duration, env_or, parse_duration, Config};
pub use db::{Db, DbError};
pub use error::{error_response, ApiError, ApiResult};
pub use identity::{
    identity_digest, only_from, secrets_dir, ServiceCaller, ServiceCallers, ServiceIdentity,
    DEFAULT_SECRETS_DIR, SERVICE_CREDENTIAL_HEADER,
};
pub use ids::OrderId;
pub use json::{Json, JsonRejection};
pub use metrics::{Metrics, LATENCY_BUCKETS};
pub use observability::{with_observability, BODY_LIMIT};
pub use server::{
    healthcheck, healthcheck_main, http_client, init_tracing, run_service, serve, serve_listener,
    shutdown_signal, SHUTDOWN_DEADLINE,
};
pub use token::{AuthUser, Claims, TokenKey};

// The versions every service must use with this crate's types.
pub use axum;
pub use reqwest;
pub use rusqlite;

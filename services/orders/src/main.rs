//! The orders service's process: `orders` serves, `orders healthcheck` probes it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use shop_common::{
    env_duration, env_or, reqwest, secrets_dir, Db, ServiceCallers, ServiceIdentity, TokenKey,
};
use shop_orders::store::MIGRATIONS;
use shop_orders::upstream::{Payments, Products};
use shop_orders::{app, outbox, AppState, PAYMENT_NOTICE_CALLERS, SERVICE_NAME};

fn main() -> ExitCode {
    shop_common::run_service(SERVICE_NAME, |config| {
        let key_file = PathBuf::from(env_or("TOKEN_KEY_FILE", "/run/secrets/token_key"));
        let token_key = TokenKey::from_file(&key_file)?;
        let secrets = secrets_dir();
        let identity = ServiceIdentity::load(&secrets, SERVICE_NAME)?;
        let callers =
            ServiceCallers::load(&secrets, PAYMENT_NOTICE_CALLERS)?.with_identity(&identity);
        let timeout = env_duration("UPSTREAM_TIMEOUT", Duration::from_secs(5))?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        let products = Products::new(
            client.clone(),
            &env_or("PRODUCTS_URL", "http://products:8080"),
            timeout,
            identity.clone(),
        );
        let payments = Payments::new(
            client,
            &env_or("PAYMENTS_URL", "http://payments:8080"),
            timeout,
            identity,
        );
        let db = Db::open(&config.database_path, MIGRATIONS)
            .map_err(|e| format!("database {}: {e}", config.database_path.display()))?;
        let state = AppState::new(db, Arc::new(token_key), callers, products, payments);
        outbox::spawn(state.clone());
        Ok(app(state))
    })
}

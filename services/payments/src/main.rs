//! The payments service: see the library's documentation for its API and the callback.

use std::process::ExitCode;

use shop_common::{secrets_dir, ServiceCallers, ServiceIdentity};
use shop_payments::{app, spawn_callback_worker, AppState, Settings, CHARGE_CALLERS, SERVICE_NAME};

fn main() -> ExitCode {
    shop_common::run_service(SERVICE_NAME, |config| {
        let settings = Settings::from_env()?;
        let secrets = secrets_dir();
        let identity = ServiceIdentity::load(&secrets, SERVICE_NAME)?;
        let callers = ServiceCallers::load(&secrets, CHARGE_CALLERS)?;
        let state = AppState::open(&config.database_path, settings, identity, callers)
            .map_err(|e| format!("database {}: {e}", config.database_path.display()))?;
        // Runs beside the server until the process stops; a callback cut off mid-send
        // stays leased in the outbox and is sent again after the lease.
        spawn_callback_worker(state.clone());
        Ok(app(state))
    })
}

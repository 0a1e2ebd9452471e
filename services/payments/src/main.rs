//! The payments service: see the library's documentation for its API and the callback.

use std::process::ExitCode;

use shop_payments::{app, spawn_callback_worker, AppState, Settings};

fn main() -> ExitCode {
    shop_common::run_service("payments", |config| {
        let settings = Settings::from_env()?;
        let state = AppState::open(&config.database_path, settings)
            .map_err(|e| format!("database {}: {e}", config.database_path.display()))?;
        // Runs beside the server until the process stops; a callback cut off mid-send
        // stays leased in the outbox and is sent again after the lease.
        spawn_callback_worker(state.clone());
        Ok(app(state))
    })
}

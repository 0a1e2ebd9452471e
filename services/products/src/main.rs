//! The products service: see the library's documentation for its API.

use std::path::PathBuf;
use std::process::ExitCode;

use shop_common::{secrets_dir, ServiceCallers, TokenKey};
use shop_products::{app, AppState, RESERVATION_CALLERS};

fn main() -> ExitCode {
    shop_common::run_service("products", |config| {
        let key_file = std::env::var("TOKEN_KEY_FILE")
            .ok()
            .filter(|path| !path.trim().is_empty())
            .map(PathBuf::from)
            .ok_or("TOKEN_KEY_FILE is required: the file holding the token key")?;
        let token_key = TokenKey::from_file(&key_file)?;
        let callers = ServiceCallers::load(&secrets_dir(), RESERVATION_CALLERS)?;
        let state = AppState::open(&config.database_path, token_key, callers)
            .map_err(|e| format!("database {}: {e}", config.database_path.display()))?;
        Ok(app(state))
    })
}

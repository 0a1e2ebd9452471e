//! `users`: the users service (`users healthcheck` probes a running one).

use std::process::ExitCode;

fn main() -> ExitCode {
    shop_common::run_service("users", |config| {
        let state = users::AppState::from_env(&config)?;
        Ok(users::app(state))
    })
}

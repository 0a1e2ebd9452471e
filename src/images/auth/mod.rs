//! Registry credentials the way the Docker CLI keeps and finds them, to send as the
//! Engine API's `X-Registry-Auth` on pull and push.
//!
//! The config is `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`
//! (docker/cli `cli/config`). For a registry, a `credHelpers` entry names the credential
//! helper to ask; else `credsStore` names one for every registry; else the `auths` entry
//! is used, matched by its exact key first and then by its host (`https://host:port/v2/`
//! is `host:port`). Docker Hub is keyed `https://index.docker.io/v1/` everywhere, as
//! `docker login` writes it.
//!
//! Credentials are secrets: neither they nor the base64 `auth` strings ever appear in a
//! `Debug` output or an error message, and a helper's output is only quoted when it
//! cannot be an answer carrying a secret.
//!
//! The code is split by concern: `config` reads `config.json` and its `auths`,
//! `helper` runs credential helpers, `registry` matches registry names to keys, and
//! `error` holds what can go wrong.

use std::fmt;

mod config;
mod error;
mod helper;
mod registry;
#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod test_support;

pub use config::DockerConfig;
pub use error::AuthError;
pub use helper::HELPER_TIMEOUT;
pub use registry::{server_address, DOCKER_HUB_KEY};

/// Registry credentials, ready for the engine. `Debug` shows the username only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub identity_token: Option<String>,
    /// The key the credentials were found under: `https://index.docker.io/v1/` for
    /// Docker Hub, else the registry's host[:port].
    pub server_address: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field(
                "identity_token",
                &self.identity_token.as_ref().map(|_| "<redacted>"),
            )
            .field("server_address", &self.server_address)
            .finish()
    }
}

impl Credentials {
    /// The credentials as the engine sends them (`X-Registry-Auth`, where empty fields
    /// are left out, so an identity token goes without a username or password).
    pub fn to_registry_auth(&self) -> crate::engine::RegistryAuth {
        crate::engine::RegistryAuth {
            username: self.username.clone(),
            password: self.password.clone(),
            identity_token: self.identity_token.clone().filter(|t| !t.is_empty()),
            server_address: self.server_address.clone(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_the_secrets() {
        let credentials = Credentials {
            username: "me".to_string(),
            password: "hunter2-password".to_string(),
            identity_token: Some("refresh-token-value".to_string()),
            server_address: "ghcr.io".to_string(),
        };
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("hunter2-password"), "{debug}");
        assert!(!debug.contains("refresh-token-value"), "{debug}");
        assert!(debug.contains("\"me\""), "{debug}");
        assert!(debug.contains("password: \"<redacted>\""), "{debug}");
    }
}

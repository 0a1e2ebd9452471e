//! What can go wrong finding registry credentials, and the hint for each.

use std::path::PathBuf;
use std::time::Duration;

use super::registry::{server_address, DOCKER_HUB_KEY};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The config exists but cannot be read.
    #[error("cannot read the Docker config `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config is not JSON, or not the shape the Docker CLI writes. The message is
    /// serde_json's own only for syntax errors: a wrong-type message quotes the value,
    /// which could be a secret.
    #[error("the Docker config `{}` is not valid at line {line}, column {column}: {problem}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        problem: String,
    },
    /// An `auths` entry's `auth` does not decode to `user:password`.
    #[error("the `auths` entry for `{key}` in `{}` is not base64 of user:password", path.display())]
    InvalidAuth {
        registry: String,
        key: String,
        path: PathBuf,
    },
    /// The config names a credential helper that is not on PATH.
    #[error("the credential helper `{program}` for `{registry}` (named in `{}`) is not on PATH", config.display())]
    HelperNotFound {
        program: String,
        registry: String,
        config: PathBuf,
    },
    /// The helper could not be started, or its pipes failed.
    #[error("cannot run the credential helper `{program}` for `{registry}`")]
    HelperRun {
        program: String,
        registry: String,
        #[source]
        source: std::io::Error,
    },
    /// The helper exited unsuccessfully; `message` is the first line it wrote as an error.
    #[error("the credential helper `{program}` failed for `{registry}` ({status}){}", quoted(.message))]
    HelperFailed {
        program: String,
        registry: String,
        status: String,
        message: String,
    },
    /// The helper did not answer in time and was killed.
    #[error("the credential helper `{program}` did not answer for `{registry}` within {}s and was stopped", .timeout.as_secs_f64())]
    HelperTimeout {
        program: String,
        registry: String,
        timeout: Duration,
    },
    /// The helper succeeded but its answer is not the JSON helpers answer.
    #[error("the credential helper `{program}` answered for `{registry}` with something other than credentials JSON: {problem}")]
    HelperBadAnswer {
        program: String,
        registry: String,
        problem: String,
    },
}

fn quoted(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// The `docker login` command that stores fresh credentials for `registry`.
fn login_command(registry: &str) -> String {
    if server_address(registry) == DOCKER_HUB_KEY {
        "docker login".to_string()
    } else {
        format!("docker login {registry}")
    }
}

impl AuthError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            AuthError::Read { path, .. } => Some(format!(
                "check the permissions of `{}`, or set DOCKER_CONFIG to another directory",
                path.display()
            )),
            AuthError::Parse { path, .. } => Some(format!(
                "fix `{}` (the Docker CLI writes it as JSON), or move it aside to pull without credentials",
                path.display()
            )),
            AuthError::InvalidAuth { registry, path, .. } => Some(format!(
                "run `{}` again, or fix `{}`",
                login_command(registry),
                path.display()
            )),
            AuthError::HelperNotFound {
                program, config, ..
            } => Some(format!(
                "install `{program}` on PATH, or remove it from `credsStore`/`credHelpers` in `{}`",
                config.display()
            )),
            AuthError::HelperRun { program, .. } => Some(format!(
                "check that `{program}` is an executable program"
            )),
            AuthError::HelperFailed {
                program, registry, ..
            }
            | AuthError::HelperBadAnswer {
                program, registry, ..
            } => Some(format!(
                "run `echo {} | {program} get` to see what it says, or run `{}` again",
                server_address(registry),
                login_command(registry)
            )),
            AuthError::HelperTimeout {
                program, registry, ..
            } => Some(format!(
                "`{program}` may be waiting for a keychain to be unlocked; unlock it, or run `{}` again",
                login_command(registry)
            )),
        }
    }
}

//! Engine errors, by kind. Engine implementations map their transport's errors (HTTP
//! status codes, socket errors) into these once, so callers never match status codes.

use std::time::Duration;

/// The error source type kept for context; never matched on.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The resource does not exist (a container, network, volume or image).
    #[error("{what} not found")]
    NotFound { what: String },
    /// The request conflicts with the engine's state: a name in use, a running container
    /// that cannot be removed, ...
    #[error("{what}: {message}")]
    Conflict { what: String, message: String },
    /// The engine cannot be reached or is not answering requests. The cause is part of
    /// the message (not a `source`), so the one line says what, where and why.
    #[error("cannot reach the Docker engine at {address}: {cause}")]
    Unavailable { address: String, cause: BoxError },
    /// A call did not finish within its timeout.
    #[error("`{operation}` timed out after {}s", timeout.as_secs_f64())]
    Timeout {
        operation: String,
        timeout: Duration,
    },
    /// A registry refused the request: credentials missing, wrong, or without access.
    #[error("{what}: {message}")]
    Denied { what: String, message: String },
    /// Anything else the engine rejected.
    #[error("`{operation}` failed: {message}")]
    Other { operation: String, message: String },
}

impl EngineError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::NotFound { .. })
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, EngineError::Conflict { .. })
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, EngineError::Unavailable { .. })
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            EngineError::Unavailable { .. } => {
                Some("is the Docker daemon running? check DOCKER_HOST, or run `docker version`")
            }
            EngineError::Timeout { .. } => {
                Some("the Docker engine is slow to answer; is it overloaded?")
            }
            _ => None,
        }
    }
}

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
    /// The engine could not give a new network a subnet: every address pool it takes
    /// subnets from is used up. `message` is the engine's own words.
    #[error(
        "cannot create network `{network}`: the engine has no free address pool left (Docker: {message})"
    )]
    AddressPoolsExhausted { network: String, message: String },
    /// Anything else the engine rejected.
    #[error("`{operation}` failed: {message}")]
    Other { operation: String, message: String },
}

/// What to do when the engine's address pools are used up.
pub const ADDRESS_POOLS_HINT: &str = "every bridge network takes a subnet from the engine's address pools (by default 31 networks of /16 and /20); remove unused networks (`docker network prune`), or give the engine more, smaller pools with `default-address-pools` in /etc/docker/daemon.json (e.g. {\"base\":\"10.200.0.0/16\",\"size\":24}) and restart it";

/// Whether an engine's message says it has no address pool left to take a network's
/// subnet from: Docker 20.10 (libnetwork's `ErrNoAvailablePool`, answered with HTTP
/// 404) says "could not find an available, non-overlapping IPv4 address pool among the
/// defaults to assign to the network"; later engines say "all predefined address pools
/// have been fully subnetted".
pub fn is_address_pools_exhausted(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("address pool")
        && (message.contains("non-overlapping")
            || message.contains("available")
            || message.contains("fully subnetted"))
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
            EngineError::AddressPoolsExhausted { .. } => Some(ADDRESS_POOLS_HINT),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_address_pool_says_why_and_what_to_do() {
        let docker = "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network";
        assert!(is_address_pools_exhausted(docker));
        assert!(is_address_pools_exhausted(
            "all predefined address pools have been fully subnetted"
        ));
        assert!(!is_address_pools_exhausted("network foo not found"));
        assert!(!is_address_pools_exhausted(
            "Pool overlaps with other one on this address space"
        ));
        let err = EngineError::AddressPoolsExhausted {
            network: "p_default".to_string(),
            message: docker.to_string(),
        };
        assert_eq!(
            err.to_string(),
            format!("cannot create network `p_default`: the engine has no free address pool left (Docker: {docker})")
        );
        assert!(!err.is_not_found());
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains("default-address-pools"), "{hint}");
        assert!(hint.contains("docker network prune"), "{hint}");
        assert!(
            hint.contains(r#"{"base":"10.200.0.0/16","size":24}"#),
            "{hint}"
        );
    }
}

//! The Swarm target: a project's services run as Swarm services, which the Swarm
//! schedules on its nodes, restarts, updates and rolls back by itself. msctl does not
//! grow a scheduler: it translates the manifest (engine::swarm), finds what a Swarm
//! cannot do before changing anything, sends the images to the nodes (no registry),
//! creates overlay networks, secrets and configs, creates or updates the services in
//! dependency order, and waits until each one is converged and its tasks are healthy.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::engine::docker::DockerEngine;
use crate::engine::swarm::SwarmEngine;
use crate::engine::EngineError;

mod apply;
mod down;
mod prepare;
mod ps;
#[cfg(test)]
mod tests;

pub use apply::*;
pub use down::*;
pub use prepare::*;
pub use ps::*;

/// How often waiting looks at the Swarm.
pub(super) const POLL: Duration = Duration::from_millis(500);
/// Failed tasks, while waiting for a service, after which it is given up.
pub(super) const FAILURES_TO_GIVE_UP: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// What a Swarm cannot do: found before anything changed.
    #[error("the project cannot run on this Swarm:\n  {}", .0.join("\n  "))]
    Refused(Vec<String>),
    /// The engine is no Swarm manager.
    #[error("the engine at {address} is not a Swarm manager (Swarm state: {state})")]
    NotManager { address: String, state: String },
    /// An update failed and the Swarm rolled it back.
    #[error("service `{service}`: the update failed and the Swarm rolled it back: {message}")]
    RolledBack { service: String, message: String },
    /// An update failed and the Swarm paused it.
    #[error("service `{service}`: the update failed and the Swarm paused it: {message}")]
    Paused { service: String, message: String },
    /// Tasks did not all run healthy in time.
    #[error("service `{service}`: {running} of {wanted} tasks running after {}s{}", .waited.as_secs(), last_error(.error))]
    NotConverged {
        service: String,
        running: u64,
        wanted: u64,
        waited: Duration,
        error: String,
    },
    #[error("interrupted")]
    Interrupted,
}

pub(super) fn last_error(error: &str) -> String {
    if error.is_empty() {
        String::new()
    } else {
        format!("; last task error: {error}")
    }
}

impl SwarmError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SwarmError::Engine(err) => err.hint().map(str::to_string),
            SwarmError::Refused(_) => Some(
                "docs/manifest-reference.md lists what the Swarm target takes; `--target local` runs the project on this engine"
                    .to_string(),
            ),
            SwarmError::NotManager { .. } => Some(
                "point DOCKER_HOST at a Swarm manager, or make this engine one with `docker swarm init`"
                    .to_string(),
            ),
            SwarmError::RolledBack { service, .. } | SwarmError::Paused { service, .. } => Some(format!(
                "`msctl ps {service}` shows the failed tasks and their errors; `msctl logs {service}` what they printed"
            )),
            SwarmError::NotConverged { service, .. } => Some(format!(
                "`msctl ps -a {service}` shows each task's state and error"
            )),
            SwarmError::Interrupted => None,
        }
    }
}

/// Connect to the engine `environment` names and check that it manages a Swarm.
pub async fn connect(environment: &BTreeMap<String, String>) -> Result<SwarmEngine, SwarmError> {
    let engine = DockerEngine::connect_from_env(environment).await?;
    let swarm = SwarmEngine::new(engine);
    let status = swarm.status().await?;
    if status.state != "active" || !status.manager {
        return Err(SwarmError::NotManager {
            address: swarm.address().to_string(),
            state: if status.state == "active" {
                "active, a worker".to_string()
            } else {
                status.state
            },
        });
    }
    Ok(swarm)
}

//! The plan: the ordered actions that take observed state to desired state.
//!
//! A plan prints one line per action (`Display`), and tests compare that text. Each line
//! names the resource (`service:web:1`) and why the action is needed (`scale down`).

use std::fmt;
use std::time::Duration;

use super::spec::{ContainerSpec, ExecSpec, NetworkSpec, VolumeSpec};

/// Why an action is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// The resource does not exist.
    Missing,
    /// The replica exists but is not running.
    Stopped,
    /// The replica's config hash differs from the service's.
    ConfigChanged,
    /// Recreation was asked for (`--force-recreate`).
    Forced,
    /// The replica is dead: the engine cannot start it again.
    Dead,
    /// The replica runs but its health check says it is unhealthy (control plane).
    Unhealthy,
    /// The service has more replicas than desired.
    ScaleDown,
    /// The replica shares the network stack of a replica that is replaced or started
    /// again (`network_mode: service:NAME`), and would keep the old one.
    PeerReplaced,
    /// The container's service is no longer in the manifest.
    Orphan,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Missing => "missing",
            Cause::Stopped => "stopped",
            Cause::ConfigChanged => "config changed",
            Cause::Forced => "forced",
            Cause::Dead => "dead",
            Cause::Unhealthy => "unhealthy",
            Cause::ScaleDown => "scale down",
            Cause::PeerReplaced => "network peer replaced",
            Cause::Orphan => "orphan",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a plan. Every field the executor needs is resolved here, so the executor
/// only calls the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateNetwork {
        network_key: String,
        spec: NetworkSpec,
    },
    CreateVolume {
        volume_key: String,
        spec: VolumeSpec,
    },
    /// Create and start a replica, then run its `post_start` hooks.
    CreateContainer {
        service_name: String,
        replica_number: u32,
        config_hash: String,
        spec: ContainerSpec,
        post_start: Vec<ExecSpec>,
    },
    /// Start a stopped replica, then run its `post_start` hooks.
    StartContainer {
        container_id: String,
        container_name: String,
        service_name: String,
        replica_number: u32,
        post_start: Vec<ExecSpec>,
    },
    /// Run the `pre_stop` hooks of a replica (when it runs), stop and remove it, then
    /// create and start its replacement under the same name and run its `post_start` hooks.
    RecreateContainer {
        old_container_id: String,
        container_name: String,
        service_name: String,
        replica_number: u32,
        config_hash: String,
        spec: ContainerSpec,
        stop_timeout: Duration,
        cause: Cause,
        pre_stop: Vec<ExecSpec>,
        post_start: Vec<ExecSpec>,
    },
    /// Run the `pre_stop` hooks of a replica that is not wanted (when it runs), then stop
    /// and remove it.
    StopAndRemove {
        container_id: String,
        container_name: String,
        service_name: String,
        replica_number: u32,
        stop_timeout: Duration,
        cause: Cause,
        pre_stop: Vec<ExecSpec>,
    },
    /// Stop and remove a container of this project whose service left the manifest.
    RemoveOrphan {
        container_id: String,
        container_name: String,
        service_name: String,
        replica_number: Option<u32>,
        stop_timeout: Duration,
    },
}

impl Action {
    /// The container this action stops (its id and name), if it stops one: a replica
    /// replaced or removed, or an orphan.
    pub fn stops(&self) -> Option<(&str, &str)> {
        match self {
            Action::RecreateContainer {
                old_container_id,
                container_name,
                ..
            } => Some((old_container_id, container_name)),
            Action::StopAndRemove {
                container_id,
                container_name,
                ..
            }
            | Action::RemoveOrphan {
                container_id,
                container_name,
                ..
            } => Some((container_id, container_name)),
            _ => None,
        }
    }

    /// The resource the action is about: `network:default`, `volume:data`, `service:web:1`.
    pub fn resource_id(&self) -> String {
        match self {
            Action::CreateNetwork { network_key, .. } => format!("network:{network_key}"),
            Action::CreateVolume { volume_key, .. } => format!("volume:{volume_key}"),
            Action::CreateContainer {
                service_name,
                replica_number,
                ..
            }
            | Action::StartContainer {
                service_name,
                replica_number,
                ..
            }
            | Action::RecreateContainer {
                service_name,
                replica_number,
                ..
            }
            | Action::StopAndRemove {
                service_name,
                replica_number,
                ..
            } => format!("service:{service_name}:{replica_number}"),
            Action::RemoveOrphan {
                service_name,
                replica_number: Some(replica_number),
                ..
            } => format!("service:{service_name}:{replica_number}"),
            Action::RemoveOrphan {
                service_name,
                replica_number: None,
                ..
            } => format!("service:{service_name}"),
        }
    }

    pub fn cause(&self) -> Cause {
        match self {
            Action::CreateNetwork { .. }
            | Action::CreateVolume { .. }
            | Action::CreateContainer { .. } => Cause::Missing,
            Action::StartContainer { .. } => Cause::Stopped,
            Action::RecreateContainer { cause, .. } | Action::StopAndRemove { cause, .. } => *cause,
            Action::RemoveOrphan { .. } => Cause::Orphan,
        }
    }

    /// The id of the existing container the action stops, starts or removes, if any.
    pub fn existing_container_id(&self) -> Option<&str> {
        match self {
            Action::CreateNetwork { .. }
            | Action::CreateVolume { .. }
            | Action::CreateContainer { .. } => None,
            Action::StartContainer { container_id, .. }
            | Action::StopAndRemove { container_id, .. }
            | Action::RemoveOrphan { container_id, .. } => Some(container_id),
            Action::RecreateContainer {
                old_container_id, ..
            } => Some(old_container_id),
        }
    }

    /// The service the action is about, for container actions.
    pub fn service_name(&self) -> Option<&str> {
        match self {
            Action::CreateNetwork { .. } | Action::CreateVolume { .. } => None,
            Action::CreateContainer { service_name, .. }
            | Action::StartContainer { service_name, .. }
            | Action::RecreateContainer { service_name, .. }
            | Action::StopAndRemove { service_name, .. }
            | Action::RemoveOrphan { service_name, .. } => Some(service_name),
        }
    }

    fn verb_and_name(&self) -> (&'static str, &str) {
        match self {
            Action::CreateNetwork { spec, .. } => ("create network", &spec.name),
            Action::CreateVolume { spec, .. } => ("create volume", &spec.name),
            Action::CreateContainer { spec, .. } => ("create container", &spec.name),
            Action::StartContainer { container_name, .. } => ("start container", container_name),
            Action::RecreateContainer { container_name, .. } => {
                ("recreate container", container_name)
            }
            Action::StopAndRemove { container_name, .. }
            | Action::RemoveOrphan { container_name, .. } => ("remove container", container_name),
        }
    }
}

/// One line: `create container demo-web-2 (service:web:2, missing)`.
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, name) = self.verb_and_name();
        write!(
            f,
            "{verb} {name} ({}, {})",
            self.resource_id(),
            self.cause()
        )
    }
}

/// The ordered actions of one reconcile, and what the planner noticed but will not act on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Lowercase messages for stderr, e.g. orphans kept because removal was not asked for.
    pub warnings: Vec<String>,
}

impl Plan {
    /// A plan with no actions: observed state is the desired state. Warnings do not count,
    /// so a reconcile loop stops on an empty plan even when something is reported.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// One line per action, each ending in a newline; nothing for an empty plan.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for action in &self.actions {
            writeln!(f, "{action}")?;
        }
        Ok(())
    }
}

//! A snapshot of what the engine has, taken once per reconcile so the planner compares
//! desired state with reality without any further engine calls.
//!
//! The snapshot may hold resources msctl does not own (a network named like ours, a
//! container of another project): the planner filters by label before deciding anything.

use std::collections::BTreeMap;
use std::fmt;

use super::labels;

/// The lifecycle state of a container, as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Exited { code: i64 },
    Dead,
}

impl ContainerState {
    /// A container that `start` brings up: created but never started, or exited.
    pub fn is_stopped(self) -> bool {
        matches!(
            self,
            ContainerState::Created | ContainerState::Exited { .. }
        )
    }
}

impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerState::Created => f.write_str("created"),
            ContainerState::Running => f.write_str("running"),
            ContainerState::Paused => f.write_str("paused"),
            ContainerState::Restarting => f.write_str("restarting"),
            ContainerState::Exited { code } => write!(f, "exited ({code})"),
            ContainerState::Dead => f.write_str("dead"),
        }
    }
}

/// The health of a container's Docker-native health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Health {
    /// The container has no health check.
    #[default]
    None,
    Starting,
    Healthy,
    Unhealthy,
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Health::None => "none",
            Health::Starting => "starting",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        })
    }
}

/// One container as observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedContainer {
    pub id: String,
    /// Without Docker's leading `/`.
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    pub state: ContainerState,
    pub health: Health,
    /// Docker's network mode as the engine keeps it: `container:<id>` for a container
    /// that shares another's network stack (the engine resolves the name it was created
    /// with to the id then); `None` when unknown.
    pub network_mode: Option<String>,
}

impl ObservedContainer {
    /// The project label, when the container carries one.
    pub fn project(&self) -> Option<&str> {
        self.label(labels::PROJECT)
    }

    pub fn service(&self) -> Option<&str> {
        self.label(labels::SERVICE)
    }

    /// The replica number, when the label is present and a positive decimal number.
    pub fn replica_number(&self) -> Option<u32> {
        self.label(labels::REPLICA)
            .and_then(|value| value.parse::<u32>().ok())
            .filter(|number| *number > 0)
    }

    pub fn config_hash(&self) -> Option<&str> {
        self.label(labels::CONFIG_HASH)
    }

    /// Whether this is a one-off container (`msctl run`) rather than a replica.
    pub fn is_oneoff(&self) -> bool {
        self.label(labels::ONEOFF)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }

    /// Whether msctl created this container for `project_name`.
    pub fn belongs_to(&self, project_name: &str) -> bool {
        self.project() == Some(project_name)
    }

    pub fn is_running(&self) -> bool {
        self.state == ContainerState::Running
    }

    pub fn is_unhealthy(&self) -> bool {
        self.health == Health::Unhealthy
    }

    /// The id of the container whose network stack this one shares, when it does.
    pub fn network_peer_id(&self) -> Option<&str> {
        self.network_mode.as_deref()?.strip_prefix("container:")
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// One network as observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedNetwork {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// One volume as observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedVolume {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// Whether a network or volume carries `project_name`'s label.
fn labelled_for(labels: &BTreeMap<String, String>, project_name: &str) -> bool {
    labels.get(labels::PROJECT).map(String::as_str) == Some(project_name)
}

impl ObservedNetwork {
    pub fn belongs_to(&self, project_name: &str) -> bool {
        labelled_for(&self.labels, project_name)
    }
}

impl ObservedVolume {
    pub fn belongs_to(&self, project_name: &str) -> bool {
        labelled_for(&self.labels, project_name)
    }
}

/// Everything the planner knows about reality.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedState {
    pub containers: Vec<ObservedContainer>,
    pub networks: Vec<ObservedNetwork>,
    pub volumes: Vec<ObservedVolume>,
}

impl ObservedState {
    /// The containers msctl created for `project_name`, one-off ones included.
    pub fn project_containers<'a>(
        &'a self,
        project_name: &'a str,
    ) -> impl Iterator<Item = &'a ObservedContainer> + 'a {
        self.containers
            .iter()
            .filter(move |container| container.belongs_to(project_name))
    }

    pub fn network(&self, name: &str) -> Option<&ObservedNetwork> {
        self.networks.iter().find(|network| network.name == name)
    }

    pub fn volume(&self, name: &str) -> Option<&ObservedVolume> {
        self.volumes.iter().find(|volume| volume.name == name)
    }

    /// Whether any container, whoever owns it, has this name.
    pub fn container_name_taken(&self, name: &str) -> bool {
        self.containers
            .iter()
            .any(|container| container.name == name)
    }
}

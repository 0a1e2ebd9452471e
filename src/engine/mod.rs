//! The container engine, behind a trait: the only way the rest of msctl talks to Docker
//! (or to the in-memory [`fake::FakeEngine`] in tests).
//!
//! Implementations map every transport error into an [`EngineError`] kind, bound every
//! call that can hang with a timeout, and return containers with their labels so callers
//! can tell msctl's resources from everything else.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

mod error;
pub mod fake;
mod spec;

pub use error::{BoxError, EngineError};
pub use spec::{ContainerSpec, MountSpec, NetworkAttachment, NetworkSpec, VolumeSpec};

use crate::plan::{
    labels, ContainerState, Health, ObservedContainer, ObservedNetwork, ObservedState,
    ObservedVolume,
};

/// Label conditions a resource must all meet to be listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelFilter {
    /// Label key -> the value it must have, or `None` when only its presence matters.
    pub labels: BTreeMap<String, Option<String>>,
}

impl LabelFilter {
    /// Matches every resource.
    pub fn any() -> LabelFilter {
        LabelFilter::default()
    }

    /// Matches the resources msctl created for `project_name`.
    pub fn project(project_name: &str) -> LabelFilter {
        LabelFilter::any().with(labels::PROJECT, Some(project_name))
    }

    pub fn with(mut self, key: &str, value: Option<&str>) -> LabelFilter {
        self.labels
            .insert(key.to_string(), value.map(str::to_string));
        self
    }

    pub fn matches(&self, resource_labels: &BTreeMap<String, String>) -> bool {
        self.labels
            .iter()
            .all(|(key, wanted)| match (resource_labels.get(key), wanted) {
                (Some(value), Some(wanted)) => value == wanted,
                (Some(_), None) => true,
                (None, _) => false,
            })
    }
}

/// A container as listed: running or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    pub id: String,
    /// Without Docker's leading `/`.
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    pub state: ContainerState,
    pub health: Health,
}

/// A container as inspected: the summary and what only inspection tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetails {
    pub summary: ContainerSummary,
    /// How many times the engine restarted it under its restart policy.
    pub restart_count: u64,
    /// Network engine name -> the container's IP address there.
    pub ip_addresses: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSummary {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// The operations msctl needs from a container engine.
#[async_trait]
pub trait Engine: Send + Sync {
    /// All containers, running or not, whose labels match `filter`.
    async fn list_containers(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ContainerSummary>, EngineError>;

    async fn inspect_container(&self, container_id: &str) -> Result<ContainerDetails, EngineError>;

    /// Creates (without starting) a container; returns its id.
    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError>;

    /// Starts a container; starting a running one is not an error.
    async fn start_container(&self, container_id: &str) -> Result<(), EngineError>;

    /// Sends the stop signal, then kills after `timeout`; stopping a stopped container is
    /// not an error.
    async fn stop_container(
        &self,
        container_id: &str,
        timeout: Duration,
    ) -> Result<(), EngineError>;

    /// Removes a stopped container, and its anonymous volumes when asked.
    async fn remove_container(
        &self,
        container_id: &str,
        remove_anonymous_volumes: bool,
    ) -> Result<(), EngineError>;

    async fn list_networks(&self, filter: &LabelFilter)
        -> Result<Vec<NetworkSummary>, EngineError>;

    /// Creates a network; returns its id.
    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, EngineError>;

    async fn remove_network(&self, name: &str) -> Result<(), EngineError>;

    async fn list_volumes(&self, filter: &LabelFilter) -> Result<Vec<VolumeSummary>, EngineError>;

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<(), EngineError>;

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError>;
}

impl From<ContainerSummary> for ObservedContainer {
    fn from(summary: ContainerSummary) -> ObservedContainer {
        ObservedContainer {
            id: summary.id,
            name: summary.name,
            image: summary.image,
            labels: summary.labels,
            state: summary.state,
            health: summary.health,
        }
    }
}

/// Takes the snapshot the planner works from: the project's containers (by label), and
/// every network and volume, because a name the project wants may be taken by a resource
/// msctl does not own, and external ones must be found by name.
pub async fn observe<E: Engine + ?Sized>(
    engine: &E,
    project_name: &str,
) -> Result<ObservedState, EngineError> {
    let containers = engine
        .list_containers(&LabelFilter::project(project_name))
        .await?;
    let networks = engine.list_networks(&LabelFilter::any()).await?;
    let volumes = engine.list_volumes(&LabelFilter::any()).await?;
    let mut observed = ObservedState {
        containers: containers
            .into_iter()
            .map(ObservedContainer::from)
            .collect(),
        networks: networks
            .into_iter()
            .map(|network| ObservedNetwork {
                name: network.name,
                labels: network.labels,
            })
            .collect(),
        volumes: volumes
            .into_iter()
            .map(|volume| ObservedVolume {
                name: volume.name,
                labels: volume.labels,
            })
            .collect(),
    };
    // Engines list in their own order; the snapshot is sorted so everything built from it
    // is deterministic.
    observed
        .containers
        .sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    observed.networks.sort_by(|a, b| a.name.cmp(&b.name));
    observed.volumes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(observed)
}

//! An in-memory engine for tests: planner properties, executor and CLI tests run against
//! it without a Docker daemon.
//!
//! It keeps the rules of the real engine that msctl relies on (unique container and
//! network names, a container cannot be created on a missing network nor removed while
//! running) and hands out deterministic ids: `c0001`, `c0002`, ... for containers and
//! `n0001`, ... for networks. Every call is logged, and a failure can be injected into
//! the next call of an operation.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    ContainerDetails, ContainerSpec, ContainerSummary, Engine, EngineError, LabelFilter,
    NetworkSpec, NetworkSummary, VolumeSpec, VolumeSummary,
};
use crate::manifest::model::MountType;
use crate::plan::{ContainerState, Health, ObservedContainer, ObservedState};

/// The kind of error an injected failure produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeFault {
    NotFound,
    Conflict,
    Unavailable,
    Timeout,
    Other,
}

/// The address the fake reports in `Unavailable` errors.
pub const FAKE_ADDRESS: &str = "fake://engine";

#[derive(Debug, Default)]
pub struct FakeEngine {
    state: Mutex<FakeState>,
}

#[derive(Debug, Default)]
struct FakeState {
    /// By id.
    containers: BTreeMap<String, FakeContainer>,
    /// By name.
    networks: BTreeMap<String, NetworkSummary>,
    /// By name.
    volumes: BTreeMap<String, VolumeSummary>,
    last_container_number: u32,
    last_network_number: u32,
    calls: Vec<String>,
    /// Operation name -> failures to return, oldest first.
    faults: BTreeMap<String, Vec<FakeFault>>,
}

#[derive(Debug, Clone)]
struct FakeContainer {
    summary: ContainerSummary,
    /// The spec it was created from; `None` for containers seeded by a test.
    spec: Option<ContainerSpec>,
}

impl FakeContainer {
    fn network_names(&self) -> impl Iterator<Item = &str> {
        self.spec
            .iter()
            .flat_map(|spec| &spec.networks)
            .map(|attachment| attachment.network_name.as_str())
    }

    fn volume_names(&self) -> impl Iterator<Item = &str> {
        self.spec
            .iter()
            .flat_map(|spec| &spec.mounts)
            .filter(|mount| mount.kind == MountType::Volume)
            .filter_map(|mount| mount.source.as_deref())
    }
}

impl From<ObservedContainer> for ContainerSummary {
    fn from(container: ObservedContainer) -> ContainerSummary {
        ContainerSummary {
            id: container.id,
            name: container.name,
            image: container.image,
            labels: container.labels,
            state: container.state,
            health: container.health,
        }
    }
}

impl FakeEngine {
    pub fn new() -> FakeEngine {
        FakeEngine::default()
    }

    /// An engine holding exactly what `observed` describes.
    pub fn with_state(observed: &ObservedState) -> FakeEngine {
        let engine = FakeEngine::new();
        for container in &observed.containers {
            engine.add_container(container.clone());
        }
        for network in &observed.networks {
            engine.add_network(&network.name, network.labels.clone());
        }
        for volume in &observed.volumes {
            engine.add_volume(&volume.name, volume.labels.clone());
        }
        engine
    }

    /// Seeds a container as if something had created it, replacing one with the same id.
    pub fn add_container(&self, container: impl Into<ContainerSummary>) {
        let summary = container.into();
        self.lock().containers.insert(
            summary.id.clone(),
            FakeContainer {
                summary,
                spec: None,
            },
        );
    }

    pub fn add_network(&self, name: &str, labels: BTreeMap<String, String>) {
        let mut state = self.lock();
        let id = state.next_network_id();
        state.networks.insert(
            name.to_string(),
            NetworkSummary {
                id,
                name: name.to_string(),
                labels,
            },
        );
    }

    pub fn add_volume(&self, name: &str, labels: BTreeMap<String, String>) {
        self.lock().volumes.insert(
            name.to_string(),
            VolumeSummary {
                name: name.to_string(),
                labels,
            },
        );
    }

    /// Changes a container's state, as a crash or `docker pause` would.
    pub fn set_state(&self, container_id: &str, state: ContainerState) {
        if let Some(container) = self.lock().containers.get_mut(container_id) {
            container.summary.state = state;
        }
    }

    /// Changes a container's health, as its health check would.
    pub fn set_health(&self, container_id: &str, health: Health) {
        if let Some(container) = self.lock().containers.get_mut(container_id) {
            container.summary.health = health;
        }
    }

    /// Makes the next call of `operation` (a trait method name, e.g. `start_container`)
    /// fail with `fault`. Several failures queue up in order.
    pub fn fail_next(&self, operation: &str, fault: FakeFault) {
        self.lock()
            .faults
            .entry(operation.to_string())
            .or_default()
            .push(fault);
    }

    /// All containers, sorted by name.
    pub fn containers(&self) -> Vec<ContainerSummary> {
        let mut containers: Vec<ContainerSummary> = self
            .lock()
            .containers
            .values()
            .map(|container| container.summary.clone())
            .collect();
        containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        containers
    }

    /// The spec a container was created from, when msctl created it.
    pub fn container_spec(&self, container_id: &str) -> Option<ContainerSpec> {
        self.lock()
            .containers
            .get(container_id)
            .and_then(|container| container.spec.clone())
    }

    /// All networks, sorted by name.
    pub fn networks(&self) -> Vec<NetworkSummary> {
        self.lock().networks.values().cloned().collect()
    }

    /// All volumes, sorted by name.
    pub fn volumes(&self) -> Vec<VolumeSummary> {
        self.lock().volumes.values().cloned().collect()
    }

    /// Every call so far, one line each: `start_container c0001`.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A test that panicked while holding the lock leaves consistent data behind: every
        // mutation below is a single insert or field write.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Logs the call and returns the injected failure, if one is queued.
    fn enter(
        &self,
        operation: &str,
        target: &str,
    ) -> Result<MutexGuard<'_, FakeState>, EngineError> {
        let mut state = self.lock();
        let call = if target.is_empty() {
            operation.to_string()
        } else {
            format!("{operation} {target}")
        };
        state.calls.push(call);
        let fault = state.faults.get_mut(operation).and_then(|queue| {
            if queue.is_empty() {
                None
            } else {
                Some(queue.remove(0))
            }
        });
        match fault {
            None => Ok(state),
            Some(fault) => Err(fault_error(fault, operation, target)),
        }
    }
}

fn fault_error(fault: FakeFault, operation: &str, target: &str) -> EngineError {
    match fault {
        FakeFault::NotFound => EngineError::NotFound {
            what: target.to_string(),
        },
        FakeFault::Conflict => EngineError::Conflict {
            what: target.to_string(),
            message: "injected conflict".to_string(),
        },
        FakeFault::Unavailable => EngineError::Unavailable {
            address: FAKE_ADDRESS.to_string(),
            cause: "injected: connection refused".into(),
        },
        FakeFault::Timeout => EngineError::Timeout {
            operation: operation.to_string(),
            timeout: Duration::from_secs(10),
        },
        FakeFault::Other => EngineError::Other {
            operation: operation.to_string(),
            message: "injected failure".to_string(),
        },
    }
}

impl FakeState {
    fn next_container_id(&mut self) -> String {
        loop {
            self.last_container_number += 1;
            let id = format!("c{:04}", self.last_container_number);
            if !self.containers.contains_key(&id) {
                return id;
            }
        }
    }

    fn next_network_id(&mut self) -> String {
        self.last_network_number += 1;
        format!("n{:04}", self.last_network_number)
    }

    fn container_mut(&mut self, container_id: &str) -> Result<&mut FakeContainer, EngineError> {
        self.containers
            .get_mut(container_id)
            .ok_or_else(|| EngineError::NotFound {
                what: format!("container `{container_id}`"),
            })
    }
}

#[async_trait]
impl Engine for FakeEngine {
    async fn list_containers(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let state = self.enter("list_containers", "")?;
        let mut containers: Vec<ContainerSummary> = state
            .containers
            .values()
            .filter(|container| filter.matches(&container.summary.labels))
            .map(|container| container.summary.clone())
            .collect();
        containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(containers)
    }

    async fn inspect_container(&self, container_id: &str) -> Result<ContainerDetails, EngineError> {
        let mut state = self.enter("inspect_container", container_id)?;
        let container = state.container_mut(container_id)?;
        let running = container.summary.state == ContainerState::Running;
        let ip_addresses = container
            .network_names()
            .enumerate()
            .filter(|_| running)
            .map(|(index, network)| (network.to_string(), format!("10.0.{index}.2")))
            .collect();
        Ok(ContainerDetails {
            summary: container.summary.clone(),
            restart_count: 0,
            ip_addresses,
        })
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let mut state = self.enter("create_container", &spec.name)?;
        if state
            .containers
            .values()
            .any(|container| container.summary.name == spec.name)
        {
            return Err(EngineError::Conflict {
                what: format!("container `{}`", spec.name),
                message: "the name is already in use".to_string(),
            });
        }
        if let Some(missing) = spec
            .networks
            .iter()
            .find(|attachment| !state.networks.contains_key(&attachment.network_name))
        {
            return Err(EngineError::NotFound {
                what: format!("network `{}`", missing.network_name),
            });
        }
        // Like Docker, a named volume that does not exist yet is created with the container.
        for mount in &spec.mounts {
            if let (MountType::Volume, Some(source)) = (mount.kind, &mount.source) {
                state
                    .volumes
                    .entry(source.clone())
                    .or_insert_with(|| VolumeSummary {
                        name: source.clone(),
                        labels: BTreeMap::new(),
                    });
            }
        }
        let id = state.next_container_id();
        state.containers.insert(
            id.clone(),
            FakeContainer {
                summary: ContainerSummary {
                    id: id.clone(),
                    name: spec.name.clone(),
                    image: spec.image.clone(),
                    labels: spec.labels.clone(),
                    state: ContainerState::Created,
                    health: Health::None,
                },
                spec: Some(spec.clone()),
            },
        );
        Ok(id)
    }

    async fn start_container(&self, container_id: &str) -> Result<(), EngineError> {
        let mut state = self.enter("start_container", container_id)?;
        let container = state.container_mut(container_id)?;
        match container.summary.state {
            ContainerState::Running => return Ok(()),
            ContainerState::Dead => {
                return Err(EngineError::Other {
                    operation: "start_container".to_string(),
                    message: format!("container `{container_id}` is dead"),
                })
            }
            ContainerState::Paused => {
                return Err(EngineError::Conflict {
                    what: format!("container `{container_id}`"),
                    message: "the container is paused".to_string(),
                })
            }
            _ => {}
        }
        let has_healthcheck = match &container.spec {
            Some(spec) => spec
                .healthcheck
                .as_ref()
                .is_some_and(|healthcheck| !healthcheck.is_disabled()),
            None => container.summary.health != Health::None,
        };
        container.summary.state = ContainerState::Running;
        container.summary.health = if has_healthcheck {
            Health::Starting
        } else {
            Health::None
        };
        Ok(())
    }

    async fn stop_container(
        &self,
        container_id: &str,
        _timeout: Duration,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("stop_container", container_id)?;
        let container = state.container_mut(container_id)?;
        if matches!(
            container.summary.state,
            ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
        ) {
            container.summary.state = ContainerState::Exited { code: 0 };
        }
        Ok(())
    }

    async fn remove_container(
        &self,
        container_id: &str,
        _remove_anonymous_volumes: bool,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("remove_container", container_id)?;
        let container = state.container_mut(container_id)?;
        if matches!(
            container.summary.state,
            ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
        ) {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "cannot remove a running container; stop it first".to_string(),
            });
        }
        state.containers.remove(container_id);
        Ok(())
    }

    async fn list_networks(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<NetworkSummary>, EngineError> {
        let state = self.enter("list_networks", "")?;
        Ok(state
            .networks
            .values()
            .filter(|network| filter.matches(&network.labels))
            .cloned()
            .collect())
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, EngineError> {
        let mut state = self.enter("create_network", &spec.name)?;
        if state.networks.contains_key(&spec.name) {
            return Err(EngineError::Conflict {
                what: format!("network `{}`", spec.name),
                message: "a network with this name already exists".to_string(),
            });
        }
        let id = state.next_network_id();
        state.networks.insert(
            spec.name.clone(),
            NetworkSummary {
                id: id.clone(),
                name: spec.name.clone(),
                labels: spec.labels.clone(),
            },
        );
        Ok(id)
    }

    async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        let mut state = self.enter("remove_network", name)?;
        if !state.networks.contains_key(name) {
            return Err(EngineError::NotFound {
                what: format!("network `{name}`"),
            });
        }
        if state
            .containers
            .values()
            .any(|container| container.network_names().any(|network| network == name))
        {
            return Err(EngineError::Conflict {
                what: format!("network `{name}`"),
                message: "containers are still attached".to_string(),
            });
        }
        state.networks.remove(name);
        Ok(())
    }

    async fn list_volumes(&self, filter: &LabelFilter) -> Result<Vec<VolumeSummary>, EngineError> {
        let state = self.enter("list_volumes", "")?;
        Ok(state
            .volumes
            .values()
            .filter(|volume| filter.matches(&volume.labels))
            .cloned()
            .collect())
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<(), EngineError> {
        let mut state = self.enter("create_volume", &spec.name)?;
        // Docker returns the existing volume when the name is taken.
        state
            .volumes
            .entry(spec.name.clone())
            .or_insert_with(|| VolumeSummary {
                name: spec.name.clone(),
                labels: spec.labels.clone(),
            });
        Ok(())
    }

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        let mut state = self.enter("remove_volume", name)?;
        if !state.volumes.contains_key(name) {
            return Err(EngineError::NotFound {
                what: format!("volume `{name}`"),
            });
        }
        if state
            .containers
            .values()
            .any(|container| container.volume_names().any(|volume| volume == name))
        {
            return Err(EngineError::Conflict {
                what: format!("volume `{name}`"),
                message: "the volume is in use".to_string(),
            });
        }
        state.volumes.remove(name);
        Ok(())
    }
}

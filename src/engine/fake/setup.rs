//! Seeding the fake engine for a test (containers, networks, volumes, logs, images,
//! states) and reading back what it holds.

use std::collections::BTreeMap;

use super::{FakeContainer, FakeEngine};
use crate::engine::{
    ContainerSpec, ContainerSummary, EventAction, ExecSpec, LogLine, NetworkEndpoint,
    NetworkSummary, VolumeSummary,
};
use crate::plan::{ContainerState, Health, ObservedState};

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
                gateway: None,
            },
        );
    }

    /// Leaves an endpoint named `endpoint` on `network` with no container behind it, as
    /// Docker does when a container is attached while it stops.
    pub fn add_stale_endpoint(&self, network: &str, endpoint: &str) {
        let mut state = self.lock();
        state
            .stale_endpoints
            .entry(network.to_string())
            .or_default()
            .push(NetworkEndpoint {
                container_id: format!("stale-{endpoint}"),
                name: endpoint.to_string(),
            });
    }

    /// Docker finishing its own release of a stale endpoint (no call is recorded).
    pub fn release_stale_endpoint(&self, network: &str, endpoint: &str) {
        if let Some(stale) = self.lock().stale_endpoints.get_mut(network) {
            stale.retain(|e| e.name != endpoint);
        }
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
        let mut guard = self.lock();
        let Some(container) = guard.containers.get_mut(container_id) else {
            return;
        };
        container.summary.state = state;
        let summary = container.summary.clone();
        let action = match state {
            ContainerState::Running => Some(EventAction::Start),
            ContainerState::Exited { .. } | ContainerState::Dead => Some(EventAction::Die),
            ContainerState::Paused => Some(EventAction::Pause),
            ContainerState::Restarting => Some(EventAction::Restart),
            ContainerState::Created => None,
        };
        if let Some(action) = action {
            self.emit(&mut guard, &summary, action);
        }
    }

    /// Changes a container's health, as its health check would.
    pub fn set_health(&self, container_id: &str, health: Health) {
        let mut guard = self.lock();
        let Some(container) = guard.containers.get_mut(container_id) else {
            return;
        };
        container.summary.health = health;
        let summary = container.summary.clone();
        self.emit(&mut guard, &summary, EventAction::HealthStatus(health));
    }

    /// Appends a line to a container's log.
    pub fn add_log_line(&self, container_id: &str, line: LogLine) {
        self.lock()
            .logs
            .entry(container_id.to_string())
            .or_default()
            .push(line);
    }

    /// Makes an image exist, as a build or a load would.
    pub fn add_image(&self, reference: &str) {
        self.lock().images.insert(reference.to_string());
    }

    /// Makes `reference` pullable from its registry; with `credentials`
    /// (`user:password`), only by a pull that sends them.
    pub fn add_registry_image(&self, reference: &str, credentials: Option<&str>) {
        self.lock()
            .registry
            .insert(reference.to_string(), credentials.map(str::to_string));
    }

    /// The references pushed so far, in order.
    pub fn pushed(&self) -> Vec<String> {
        self.lock().pushed.clone()
    }

    /// All images, sorted.
    pub fn images(&self) -> Vec<String> {
        self.lock().images.iter().cloned().collect()
    }

    /// What the next `exec` calls return.
    pub fn set_exec_exit_code(&self, code: i64) {
        self.lock().exec_exit_code = code;
    }

    /// Every command `exec` ran so far: container id and spec.
    pub fn execs(&self) -> Vec<(String, ExecSpec)> {
        self.lock().execs.clone()
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
}

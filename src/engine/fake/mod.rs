//! An in-memory engine for tests: planner properties, executor and CLI tests run against
//! it without a Docker daemon.
//!
//! It keeps the rules of the real engine that msctl relies on (unique container and
//! network names, a container cannot be created on a missing network nor removed while
//! running) and hands out deterministic ids: `c0001`, `c0002`, ... for containers and
//! `n0001`, ... for networks. Every call is logged, and a failure can be injected into
//! the next call of an operation.
//!
//! Logs are what a test seeds ([`FakeEngine::add_log_line`]); events are sent for the
//! changes the fake makes itself (create, start, stop, kill, remove) and for the ones a
//! test makes through [`FakeEngine::set_state`] and [`FakeEngine::set_health`].
//!
//! This file holds the fake's state; `setup` has what tests use to seed and inspect it,
//! `recording` the call log, injected failures and events, and `engine` the
//! [`Engine`](super::Engine) implementation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use tokio::sync::broadcast;

use super::{
    ContainerSpec, ContainerSummary, EngineError, EngineEvent, ExecSpec, LogLine, NetworkEndpoint,
    NetworkSummary, VolumeSummary,
};
use crate::manifest::model::MountType;
use crate::plan::ObservedContainer;

mod engine;
mod recording;
mod setup;

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

#[derive(Debug)]
pub struct FakeEngine {
    state: Mutex<FakeState>,
    events: broadcast::Sender<EngineEvent>,
}

impl Default for FakeEngine {
    fn default() -> FakeEngine {
        FakeEngine {
            state: Mutex::default(),
            events: broadcast::channel(1024).0,
        }
    }
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
    /// Container id -> its log, oldest first.
    logs: BTreeMap<String, Vec<LogLine>>,
    images: BTreeSet<String>,
    /// What a pull can fetch: reference -> the credentials it wants (`user:password`),
    /// or `None` for a public image.
    registry: BTreeMap<String, Option<String>>,
    /// What pushes sent, in order.
    pushed: Vec<String>,
    /// What `exec` returns.
    exec_exit_code: i64,
    /// Every command `exec` ran: container id and spec.
    execs: Vec<(String, ExecSpec)>,
    /// The fake's clock for events, in nanoseconds: it only moves forward.
    event_clock: i64,
    /// Network name -> endpoints whose container is gone (what Docker can leave behind).
    stale_endpoints: BTreeMap<String, Vec<NetworkEndpoint>>,
}

#[derive(Debug, Clone)]
struct FakeContainer {
    summary: ContainerSummary,
    /// The spec it was created from; `None` for containers seeded by a test.
    spec: Option<ContainerSpec>,
}

impl FakeContainer {
    fn network_names(&self) -> impl Iterator<Item = &str> {
        self.summary.networks.iter().map(String::as_str)
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
            network_mode: container.network_mode,
            networks: Vec::new(),
        }
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

//! The [`Engine`] trait implemented over the fake's in-memory state.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::broadcast;

use super::{FakeContainer, FakeEngine};
use crate::engine::{
    ContainerDetails, ContainerSpec, ContainerSummary, Engine, EngineError, EngineEvent,
    EventAction, ExecSpec, ImageDetails, LabelFilter, LogLine, LogOptions, NetworkAttachment,
    NetworkEndpoint, NetworkSpec, NetworkSummary, ProgressSink, RegistryAuth, TransferProgress,
    VolumeSpec, VolumeSummary,
};
use crate::manifest::model::MountType;
use crate::plan::{ContainerState, Health};

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
        let gateways = container
            .network_names()
            .enumerate()
            .filter(|_| running)
            .map(|(index, network)| (network.to_string(), format!("10.0.{index}.1")))
            .collect();
        let exit_code = match container.summary.state {
            ContainerState::Exited { code } => Some(code),
            _ => None,
        };
        let ports = container
            .spec
            .iter()
            .flat_map(|spec| &spec.ports)
            .filter(|_| running)
            .map(|port| {
                format!(
                    "{}:{}->{}/{}",
                    port.host_ip.as_deref().unwrap_or("0.0.0.0"),
                    port.published.unwrap_or(port.target),
                    port.target,
                    port.protocol.as_str()
                )
            })
            .collect();
        Ok(ContainerDetails {
            summary: container.summary.clone(),
            restart_count: 0,
            ip_addresses,
            gateways,
            created: None,
            started_at: None,
            finished_at: None,
            exit_code,
            health_log: Vec::new(),
            failing_streak: 0,
            ports,
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
        // Like Docker, a shared network stack is resolved to its container's id now.
        let network_mode = match spec.network_mode.as_deref() {
            Some(mode) => match mode.strip_prefix("container:") {
                Some(peer) => {
                    let peer_id = state
                        .containers
                        .values()
                        .find(|c| c.summary.name == peer || c.summary.id == peer)
                        .map(|c| c.summary.id.clone())
                        .ok_or_else(|| EngineError::NotFound {
                            what: format!("container `{peer}`"),
                        })?;
                    Some(format!("container:{peer_id}"))
                }
                None => Some(mode.to_string()),
            },
            None => None,
        };
        let id = state.next_container_id();
        let summary = ContainerSummary {
            id: id.clone(),
            name: spec.name.clone(),
            image: spec.image.clone(),
            labels: spec.labels.clone(),
            state: ContainerState::Created,
            health: Health::None,
            network_mode,
            networks: {
                let mut names: Vec<String> = spec
                    .networks
                    .iter()
                    .map(|attachment| attachment.network_name.clone())
                    .collect();
                names.sort();
                names.dedup();
                names
            },
        };
        self.emit(&mut state, &summary, EventAction::Create);
        state.containers.insert(
            id.clone(),
            FakeContainer {
                summary,
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
        let summary = container.summary.clone();
        self.emit(&mut state, &summary, EventAction::Start);
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
            let summary = container.summary.clone();
            self.emit(&mut state, &summary, EventAction::Die);
            self.emit(&mut state, &summary, EventAction::Stop);
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
        if let Some(removed) = state.containers.remove(container_id) {
            self.emit(&mut state, &removed.summary, EventAction::Destroy);
        }
        state.logs.remove(container_id);
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
                gateway: None,
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
            || state
                .stale_endpoints
                .get(name)
                .is_some_and(|e| !e.is_empty())
        {
            return Err(EngineError::Conflict {
                what: format!("network `{name}`"),
                message: "containers are still attached".to_string(),
            });
        }
        state.networks.remove(name);
        Ok(())
    }

    async fn network_endpoints(&self, name: &str) -> Result<Vec<NetworkEndpoint>, EngineError> {
        let state = self.enter("network_endpoints", name)?;
        if !state.networks.contains_key(name) {
            return Err(EngineError::NotFound {
                what: format!("network `{name}`"),
            });
        }
        let attached = state
            .containers
            .values()
            .filter(|container| container.network_names().any(|network| network == name))
            .map(|container| NetworkEndpoint {
                container_id: container.summary.id.clone(),
                name: container.summary.name.clone(),
            });
        let stale = state
            .stale_endpoints
            .get(name)
            .into_iter()
            .flatten()
            .cloned();
        let mut endpoints: Vec<NetworkEndpoint> = attached.chain(stale).collect();
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(endpoints)
    }

    async fn remove_stale_endpoint(
        &self,
        network: &str,
        endpoint: &str,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("remove_stale_endpoint", network)?;
        if let Some(stale) = state.stale_endpoints.get_mut(network) {
            stale.retain(|e| e.name != endpoint);
        }
        Ok(())
    }

    async fn connect_network(
        &self,
        container_id: &str,
        attachment: &NetworkAttachment,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("connect_network", &attachment.network_name)?;
        if !state.networks.contains_key(&attachment.network_name) {
            return Err(EngineError::NotFound {
                what: format!("network `{}`", attachment.network_name),
            });
        }
        let container = state.container_mut(container_id)?;
        let networks = &mut container.summary.networks;
        if !networks.contains(&attachment.network_name) {
            networks.push(attachment.network_name.clone());
            networks.sort();
        }
        Ok(())
    }

    async fn disconnect_network(
        &self,
        container_id: &str,
        network_name: &str,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("disconnect_network", network_name)?;
        let container = state.container_mut(container_id)?;
        container
            .summary
            .networks
            .retain(|name| name != network_name);
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

    async fn container_logs(
        &self,
        container_id: &str,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogLine, EngineError>>, EngineError> {
        let mut state = self.enter("container_logs", container_id)?;
        state.container_mut(container_id)?;
        let seconds = |line: &LogLine| line.timestamp_nanos.div_euclid(1_000_000_000);
        let mut lines: Vec<LogLine> = state
            .logs
            .get(container_id)
            .into_iter()
            .flatten()
            .filter(|line| options.since.is_none_or(|since| seconds(line) >= since))
            .filter(|line| options.until.is_none_or(|until| seconds(line) < until))
            .cloned()
            .collect();
        if let Some(tail) = options.tail {
            let keep = usize::try_from(tail).unwrap_or(usize::MAX);
            let skip = lines.len().saturating_sub(keep);
            lines.drain(..skip);
        }
        // Following ends at once: the fake's logs do not grow by themselves.
        Ok(stream::iter(lines.into_iter().map(Ok)).boxed())
    }

    async fn events(
        &self,
        filter: &LabelFilter,
    ) -> Result<BoxStream<'static, Result<EngineEvent, EngineError>>, EngineError> {
        let _state = self.enter("events", "")?;
        let receiver = self.events.subscribe();
        let filter = filter.clone();
        let events = stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .filter(move |event| std::future::ready(filter.matches(&event.labels)))
        .map(Ok);
        Ok(events.boxed())
    }

    async fn exec(&self, container_id: &str, spec: &ExecSpec) -> Result<i64, EngineError> {
        let mut state = self.enter("exec", container_id)?;
        let container = state.container_mut(container_id)?;
        if container.summary.state != ContainerState::Running {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not running".to_string(),
            });
        }
        state.execs.push((container_id.to_string(), spec.clone()));
        Ok(state.exec_exit_code)
    }

    async fn image_exists(&self, reference: &str) -> Result<bool, EngineError> {
        let state = self.enter("image_exists", reference)?;
        Ok(state.images.contains(reference))
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageDetails>, EngineError> {
        let state = self.enter("inspect_image", reference)?;
        Ok(state.images.contains(reference).then(|| ImageDetails {
            id: format!("sha256:fake-{reference}"),
            repo_tags: vec![reference.to_string()],
            os: "linux".to_string(),
            architecture: "amd64".to_string(),
            ..ImageDetails::default()
        }))
    }

    async fn pull_image(
        &self,
        reference: &str,
        _platform: Option<&str>,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("pull_image", reference)?;
        let wanted = match state.registry.get(reference) {
            None => {
                return Err(EngineError::Other {
                    operation: "pull".to_string(),
                    message: format!("image `{reference}`: manifest unknown"),
                })
            }
            Some(wanted) => wanted.clone(),
        };
        if let Some(wanted) = wanted {
            let sent = auth.map(|a| format!("{}:{}", a.username, a.password));
            if sent.as_deref() != Some(wanted.as_str()) {
                return Err(EngineError::Denied {
                    what: format!("pull of `{reference}`"),
                    message: "unauthorized: authentication required".to_string(),
                });
            }
        }
        state.images.insert(reference.to_string());
        drop(state);
        progress(TransferProgress {
            layer: String::new(),
            status: format!("Status: Downloaded newer image for {reference}"),
            current: None,
            total: None,
        });
        Ok(())
    }

    async fn push_image(
        &self,
        reference: &str,
        _auth: Option<&RegistryAuth>,
        _progress: ProgressSink<'_>,
    ) -> Result<String, EngineError> {
        let mut state = self.enter("push_image", reference)?;
        if !state.images.contains(reference) {
            return Err(EngineError::NotFound {
                what: format!("image `{reference}`"),
            });
        }
        state.pushed.push(reference.to_string());
        state.registry.insert(reference.to_string(), None);
        Ok(format!("sha256:{}", "0".repeat(64)))
    }

    async fn tag_image(&self, source: &str, target: &str) -> Result<(), EngineError> {
        let mut state = self.enter("tag_image", &format!("{source} {target}"))?;
        if !state.images.contains(source) {
            return Err(EngineError::NotFound {
                what: format!("image `{source}`"),
            });
        }
        state.images.insert(target.to_string());
        Ok(())
    }

    async fn import_image(
        &self,
        reference: &str,
        _rootfs: Vec<u8>,
        _changes: Vec<String>,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("import_image", reference)?;
        state.images.insert(reference.to_string());
        Ok(())
    }

    async fn remove_image(&self, reference: &str) -> Result<(), EngineError> {
        let mut state = self.enter("remove_image", reference)?;
        if !state.images.contains(reference) {
            return Err(EngineError::NotFound {
                what: format!("image `{reference}`"),
            });
        }
        if state
            .containers
            .values()
            .any(|container| container.summary.image == reference)
        {
            return Err(EngineError::Conflict {
                what: format!("image `{reference}`"),
                message: "a container uses the image".to_string(),
            });
        }
        state.images.remove(reference);
        Ok(())
    }

    async fn cpu_percent(&self, container_id: &str) -> Result<f64, EngineError> {
        let mut state = self.enter("cpu_percent", container_id)?;
        if state.container_mut(container_id)?.summary.state != ContainerState::Running {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not running".to_string(),
            });
        }
        // The fake runs nothing: its replicas use no CPU.
        Ok(0.0)
    }

    async fn rename_container(
        &self,
        container_id: &str,
        new_name: &str,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("rename_container", container_id)?;
        if state
            .containers
            .values()
            .any(|c| c.summary.name == new_name && c.summary.id != container_id)
        {
            return Err(EngineError::Conflict {
                what: format!("container `{new_name}`"),
                message: "the name is in use".to_string(),
            });
        }
        let container = state.container_mut(container_id)?;
        container.summary.name = new_name.to_string();
        Ok(())
    }

    async fn pause_container(&self, container_id: &str) -> Result<(), EngineError> {
        let mut state = self.enter("pause_container", container_id)?;
        let container = state.container_mut(container_id)?;
        if container.summary.state != ContainerState::Running {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not running".to_string(),
            });
        }
        container.summary.state = ContainerState::Paused;
        Ok(())
    }

    async fn unpause_container(&self, container_id: &str) -> Result<(), EngineError> {
        let mut state = self.enter("unpause_container", container_id)?;
        let container = state.container_mut(container_id)?;
        if container.summary.state != ContainerState::Paused {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not paused".to_string(),
            });
        }
        container.summary.state = ContainerState::Running;
        Ok(())
    }

    async fn copy_into_container(
        &self,
        container_id: &str,
        _path: &str,
        _tar: Vec<u8>,
    ) -> Result<(), EngineError> {
        let mut state = self.enter("copy_into_container", container_id)?;
        let container = state.container_mut(container_id)?;
        if container.summary.state != ContainerState::Running {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not running".to_string(),
            });
        }
        Ok(())
    }

    async fn top(&self, container_id: &str) -> Result<crate::engine::Processes, EngineError> {
        let mut state = self.enter("top", container_id)?;
        let container = state.container_mut(container_id)?;
        if container.summary.state != ContainerState::Running {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not running".to_string(),
            });
        }
        // One process: the container's command, as PID 1 of its namespace.
        let command = container
            .spec
            .as_ref()
            .map(|spec| {
                spec.entrypoint
                    .iter()
                    .flatten()
                    .chain(spec.command.iter().flatten())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        Ok(crate::engine::Processes {
            titles: vec!["PID".to_string(), "CMD".to_string()],
            rows: vec![vec!["1".to_string(), command]],
        })
    }

    async fn kill_container(&self, container_id: &str, signal: &str) -> Result<(), EngineError> {
        let mut state = self.enter("kill_container", container_id)?;
        let container = state.container_mut(container_id)?;
        if container.summary.state != ContainerState::Running {
            return Err(EngineError::Conflict {
                what: format!("container `{container_id}`"),
                message: "the container is not running".to_string(),
            });
        }
        // Like a shell, 128 + the signal's number.
        let code = match signal.trim_start_matches("SIG") {
            "TERM" | "15" => 143,
            "INT" | "2" => 130,
            "HUP" | "1" => 129,
            _ => 137,
        };
        container.summary.state = ContainerState::Exited { code };
        let summary = container.summary.clone();
        self.emit(&mut state, &summary, EventAction::Kill);
        self.emit(&mut state, &summary, EventAction::Die);
        Ok(())
    }
}

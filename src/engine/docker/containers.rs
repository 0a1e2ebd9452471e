//! Containers: listing (with and without ports), inspection, creation, start (clearing
//! an endpoint a gone container of the same name left behind), stop, removal, rename,
//! kill and CPU usage; and the engine's listings and inspections as msctl's summaries
//! and details.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummaryStateEnum, HealthStatusEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder, StatsOptionsBuilder,
    StopContainerOptionsBuilder,
};
use futures_util::stream::StreamExt;

use super::create::with_config_mac_address;
use super::networks::endpoint_taken;
use super::{DockerEngine, API_ENDPOINT_MAC_ADDRESS, CALL_TIMEOUT, STOP_MARGIN};
use crate::engine::{
    ContainerDetails, ContainerSpec, ContainerSummary, Engine, EngineError, LabelFilter,
    ListedContainer,
};
use crate::plan::{ContainerState, Health};

impl DockerEngine {
    /// The engine's listing of the containers matching `filter`, stopped ones included.
    async fn list_raw(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<bollard::models::ContainerSummary>, EngineError> {
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&DockerEngine::label_filters(filter))
            .build();
        self.call(
            "list_containers",
            || "containers".to_string(),
            CALL_TIMEOUT,
            self.docker.list_containers(Some(options)),
        )
        .await
    }

    pub(super) async fn list_containers_impl(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let listed = self.list_raw(filter).await?;
        let mut containers: Vec<ContainerSummary> = listed
            .into_iter()
            .filter_map(summary_of)
            // The engine filters too; this keeps the trait's contract whatever it does.
            .filter(|container| filter.matches(&container.labels))
            .collect();
        containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(containers)
    }

    pub(super) async fn list_containers_with_ports_impl(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ListedContainer>, EngineError> {
        let listed = self.list_raw(filter).await?;
        let mut containers: Vec<ListedContainer> = listed
            .into_iter()
            .filter_map(|container| {
                let mut ports: Vec<String> = container
                    .ports
                    .iter()
                    .flatten()
                    .filter_map(|port| {
                        let public = port.public_port?;
                        let kind = port
                            .typ
                            .map(|t| t.to_string())
                            .filter(|t| !t.is_empty())
                            .unwrap_or_else(|| "tcp".to_string());
                        Some(format!(
                            "{}:{public}->{}/{kind}",
                            port.ip.clone().unwrap_or_default(),
                            port.private_port
                        ))
                    })
                    .collect();
                ports.sort();
                let created = container
                    .created
                    .filter(|seconds| *seconds > 0)
                    .map(|seconds| {
                        crate::engine::format_rfc3339_nanos(seconds.saturating_mul(1_000_000_000))
                            .replace(".000000000Z", "Z")
                    });
                Some(ListedContainer {
                    summary: summary_of(container)?,
                    ports,
                    created,
                })
            })
            .filter(|listed| filter.matches(&listed.summary.labels))
            .collect();
        containers.sort_by(|a, b| {
            (&a.summary.name, &a.summary.id).cmp(&(&b.summary.name, &b.summary.id))
        });
        Ok(containers)
    }

    pub(super) async fn inspect_container_impl(
        &self,
        container_id: &str,
    ) -> Result<ContainerDetails, EngineError> {
        let inspect = self
            .call(
                "inspect_container",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.inspect_container(container_id, None),
            )
            .await?;
        Ok(details_of(container_id, inspect))
    }

    pub(super) async fn create_container_impl(
        &self,
        spec: &ContainerSpec,
    ) -> Result<String, EngineError> {
        let mut body = self.create_body(spec)?;
        if !spec.resolver_networks.is_empty() && spec.network_mode.is_none() {
            let dns = self.resolver_dns(spec).await?;
            body.host_config.get_or_insert_with(Default::default).dns = Some(dns);
        }
        let mut options = CreateContainerOptionsBuilder::default().name(&spec.name);
        if let Some(platform) = &spec.platform {
            options = options.platform(platform);
        }
        let options = options.build();
        let docker = match spec.mac_address.as_deref() {
            Some(mac) if !self.api_version.at_least(API_ENDPOINT_MAC_ADDRESS) => {
                with_config_mac_address(&self.docker, &body, mac).map_err(|err| {
                    EngineError::Other {
                        operation: "create_container".to_string(),
                        message: format!("container `{}`: {err}", spec.name),
                    }
                })?
            }
            _ => self.docker.clone(),
        };
        let created = self
            .call(
                "create_container",
                || format!("container `{}`", spec.name),
                CALL_TIMEOUT,
                docker.create_container(Some(options), body),
            )
            .await?;
        let container_id = created.id;
        for attachment in spec.networks.iter().skip(1) {
            let connected = self.connect_network(&container_id, attachment).await;
            if let Err(err) = connected {
                // A half-made container would be started later on too few networks.
                let options = RemoveContainerOptionsBuilder::default().force(true).build();
                let _ = self
                    .call(
                        "remove_container",
                        container_what(&container_id),
                        CALL_TIMEOUT,
                        self.docker.remove_container(&container_id, Some(options)),
                    )
                    .await;
                return Err(err);
            }
        }
        Ok(container_id)
    }

    pub(super) async fn start_container_impl(&self, container_id: &str) -> Result<(), EngineError> {
        let start = || {
            self.call(
                "start_container",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.start_container(container_id, None),
            )
        };
        let mut cleared = Vec::new();
        loop {
            let err = match start().await {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            // A container that is not running has no endpoint: one with its name on a
            // network it joins is what a container of that name left behind. Once per
            // network.
            match endpoint_taken(&err) {
                Some(taken)
                    if !cleared.contains(&taken)
                        && self.clear_left_behind(&taken.1, &taken.0).await? =>
                {
                    cleared.push(taken);
                }
                _ => return Err(err),
            }
        }
    }

    pub(super) async fn stop_container_impl(
        &self,
        container_id: &str,
        timeout: Duration,
    ) -> Result<(), EngineError> {
        let seconds = i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::default().t(seconds).build();
        self.call(
            "stop_container",
            container_what(container_id),
            timeout + STOP_MARGIN,
            self.docker.stop_container(container_id, Some(options)),
        )
        .await
    }

    pub(super) async fn remove_container_impl(
        &self,
        container_id: &str,
        remove_anonymous_volumes: bool,
    ) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::default()
            .v(remove_anonymous_volumes)
            .build();
        self.call(
            "remove_container",
            container_what(container_id),
            CALL_TIMEOUT,
            self.docker.remove_container(container_id, Some(options)),
        )
        .await
    }

    pub(super) async fn rename_container_impl(
        &self,
        container_id: &str,
        new_name: &str,
    ) -> Result<(), EngineError> {
        let options = RenameContainerOptionsBuilder::default()
            .name(new_name)
            .build();
        self.call(
            "rename_container",
            container_what(container_id),
            CALL_TIMEOUT,
            self.docker.rename_container(container_id, options),
        )
        .await
    }

    pub(super) async fn kill_container_impl(
        &self,
        container_id: &str,
        signal: &str,
    ) -> Result<(), EngineError> {
        let options = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        self.call(
            "kill_container",
            container_what(container_id),
            CALL_TIMEOUT,
            self.docker.kill_container(container_id, Some(options)),
        )
        .await
    }

    pub(super) async fn pause_impl(
        &self,
        container_id: &str,
        pause: bool,
    ) -> Result<(), EngineError> {
        if pause {
            self.call(
                "pause_container",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.pause_container(container_id),
            )
            .await
        } else {
            self.call(
                "unpause_container",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.unpause_container(container_id),
            )
            .await
        }
    }

    pub(super) async fn copy_into_impl(
        &self,
        container_id: &str,
        path: &str,
        tar: Vec<u8>,
    ) -> Result<(), EngineError> {
        let options = bollard::query_parameters::UploadToContainerOptionsBuilder::new()
            .path(path)
            .build();
        self.call(
            "copy_into_container",
            container_what(container_id),
            CALL_TIMEOUT,
            self.docker.upload_to_container(
                container_id,
                Some(options),
                bollard::body_full(tar.into()),
            ),
        )
        .await
    }

    pub(super) async fn top_impl(
        &self,
        container_id: &str,
    ) -> Result<crate::engine::Processes, EngineError> {
        let answer = self
            .call(
                "top",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.top_processes(container_id, None),
            )
            .await?;
        Ok(crate::engine::Processes {
            titles: answer.titles.unwrap_or_default(),
            rows: answer.processes.unwrap_or_default(),
        })
    }

    pub(super) async fn cpu_percent_impl(&self, container_id: &str) -> Result<f64, EngineError> {
        // Not streamed and not one-shot: the engine samples twice, about a second apart,
        // and returns both (`cpu_stats` and `precpu_stats`).
        let options = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(false)
            .build();
        let stats = self
            .call(
                "cpu_percent",
                container_what(container_id),
                CALL_TIMEOUT,
                async {
                    match self.docker.stats(container_id, Some(options)).next().await {
                        Some(result) => result,
                        None => Err(bollard::errors::Error::IOError {
                            err: std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "the engine sent no statistics",
                            ),
                        }),
                    }
                },
            )
            .await?;
        Ok(cpu_percent_of(&stats))
    }
}

/// Percent of one CPU used between the two samples of a stats answer, as `docker stats`
/// computes it; 0 when a sample is missing (a container that just started).
fn cpu_percent_of(stats: &bollard::models::ContainerStatsResponse) -> f64 {
    let sample = |cpu: &Option<bollard::models::ContainerCpuStats>| {
        let cpu = cpu.as_ref()?;
        Some((
            cpu.cpu_usage.as_ref()?.total_usage?,
            cpu.system_cpu_usage?,
            cpu.online_cpus,
        ))
    };
    let (Some((total, system, cpus)), Some((pre_total, pre_system, _))) =
        (sample(&stats.cpu_stats), sample(&stats.precpu_stats))
    else {
        return 0.0;
    };
    let cpu_delta = total.saturating_sub(pre_total) as f64;
    let system_delta = system.saturating_sub(pre_system) as f64;
    if system_delta <= 0.0 {
        return 0.0;
    }
    let cpus = f64::from(cpus.unwrap_or(1).max(1));
    cpu_delta / system_delta * cpus * 100.0
}

pub(super) fn container_what(container_id: &str) -> impl FnOnce() -> String + '_ {
    move || format!("container `{container_id}`")
}

fn state_of(status: Option<ContainerSummaryStateEnum>, status_text: &str) -> ContainerState {
    match status {
        Some(ContainerSummaryStateEnum::RUNNING) | Some(ContainerSummaryStateEnum::STOPPING) => {
            ContainerState::Running
        }
        Some(ContainerSummaryStateEnum::PAUSED) => ContainerState::Paused,
        Some(ContainerSummaryStateEnum::RESTARTING) => ContainerState::Restarting,
        Some(ContainerSummaryStateEnum::EXITED) => ContainerState::Exited {
            code: exit_code_in_status(status_text).unwrap_or(0),
        },
        Some(ContainerSummaryStateEnum::DEAD) | Some(ContainerSummaryStateEnum::REMOVING) => {
            ContainerState::Dead
        }
        Some(ContainerSummaryStateEnum::CREATED)
        | Some(ContainerSummaryStateEnum::EMPTY)
        | None => ContainerState::Created,
    }
}

/// `Exited (137) 5 seconds ago` -> 137.
fn exit_code_in_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    let end = rest.find(')')?;
    rest[..end].parse().ok()
}

/// `Up 5 seconds (healthy)`, `Up 2 seconds (health: starting)` -> the health. Engines
/// before API 1.52 report it only in this text.
fn health_in_status(status: &str) -> Health {
    if status.contains("(health: starting)") {
        Health::Starting
    } else if status.contains("(unhealthy)") {
        Health::Unhealthy
    } else if status.contains("(healthy)") {
        Health::Healthy
    } else {
        Health::None
    }
}

fn health_of(status: Option<HealthStatusEnum>) -> Health {
    match status {
        Some(HealthStatusEnum::STARTING) => Health::Starting,
        Some(HealthStatusEnum::HEALTHY) => Health::Healthy,
        Some(HealthStatusEnum::UNHEALTHY) => Health::Unhealthy,
        Some(HealthStatusEnum::NONE) | Some(HealthStatusEnum::EMPTY) | None => Health::None,
    }
}

/// One container of a listing as msctl keeps it.
fn summary_of(container: bollard::models::ContainerSummary) -> Option<ContainerSummary> {
    let status = container.status.unwrap_or_default();
    let health = match container.health.and_then(|health| health.status) {
        Some(status) => match status {
            bollard::models::ContainerSummaryHealthStatusEnum::STARTING => Health::Starting,
            bollard::models::ContainerSummaryHealthStatusEnum::HEALTHY => Health::Healthy,
            bollard::models::ContainerSummaryHealthStatusEnum::UNHEALTHY => Health::Unhealthy,
            _ => Health::None,
        },
        None => health_in_status(&status),
    };
    Some(ContainerSummary {
        id: container.id?,
        name: container
            .names
            .unwrap_or_default()
            .first()
            .map(|name| name.trim_start_matches('/').to_string())
            .unwrap_or_default(),
        image: container.image.unwrap_or_default(),
        labels: container.labels.unwrap_or_default().into_iter().collect(),
        state: state_of(container.state, &status),
        health,
        network_mode: container.host_config.and_then(|host| host.network_mode),
        networks: sorted_keys(
            container
                .network_settings
                .and_then(|settings| settings.networks),
        ),
    })
}

/// Docker's zero time means "never".
fn real_time(time: Option<String>) -> Option<String> {
    time.filter(|time| !time.is_empty() && !time.starts_with("0001-01-01"))
}

fn details_of(container_id: &str, inspect: ContainerInspectResponse) -> ContainerDetails {
    let config = inspect.config.unwrap_or_default();
    let state = inspect.state.unwrap_or_default();
    let container_state = match state.status {
        Some(ContainerStateStatusEnum::RUNNING) | Some(ContainerStateStatusEnum::STOPPING) => {
            ContainerState::Running
        }
        Some(ContainerStateStatusEnum::PAUSED) => ContainerState::Paused,
        Some(ContainerStateStatusEnum::RESTARTING) => ContainerState::Restarting,
        Some(ContainerStateStatusEnum::EXITED) => ContainerState::Exited {
            code: state.exit_code.unwrap_or(0),
        },
        Some(ContainerStateStatusEnum::DEAD) | Some(ContainerStateStatusEnum::REMOVING) => {
            ContainerState::Dead
        }
        Some(ContainerStateStatusEnum::CREATED) | Some(ContainerStateStatusEnum::EMPTY) | None => {
            ContainerState::Created
        }
    };
    let exit_code = match container_state {
        ContainerState::Exited { code } => Some(code),
        ContainerState::Dead => state.exit_code,
        _ => None,
    };
    let health = state.health.unwrap_or_default();
    let failing_streak = health
        .failing_streak
        .and_then(|streak| u32::try_from(streak).ok())
        .unwrap_or(0);
    let health_log = health
        .log
        .unwrap_or_default()
        .into_iter()
        .map(|result| {
            result
                .output
                .unwrap_or_default()
                .trim_end_matches(['\n', '\r'])
                .to_string()
        })
        .collect();
    let network_settings = inspect.network_settings.unwrap_or_default();
    let attached = sorted_keys(network_settings.networks.clone());
    let endpoints = network_settings.networks.clone().unwrap_or_default();
    let ip_addresses = endpoints
        .iter()
        .filter_map(|(network, endpoint)| {
            let address = endpoint.ip_address.as_ref().filter(|a| !a.is_empty())?;
            Some((network.clone(), address.clone()))
        })
        .collect();
    let gateways = endpoints
        .iter()
        .filter_map(|(network, endpoint)| {
            let gateway = endpoint.gateway.as_ref().filter(|g| !g.is_empty())?;
            Some((network.clone(), gateway.clone()))
        })
        .collect();
    let mut ports: Vec<String> = network_settings
        .ports
        .unwrap_or_default()
        .into_iter()
        .flat_map(|(target, bindings)| {
            bindings
                .unwrap_or_default()
                .into_iter()
                .map(move |binding| {
                    format!(
                        "{}:{}->{target}",
                        binding.host_ip.unwrap_or_default(),
                        binding.host_port.unwrap_or_default()
                    )
                })
        })
        .collect();
    ports.sort();
    ContainerDetails {
        summary: ContainerSummary {
            id: inspect.id.unwrap_or_else(|| container_id.to_string()),
            name: inspect
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: config.image.unwrap_or_default(),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            state: container_state,
            health: health_of(health.status),
            network_mode: inspect.host_config.and_then(|host| host.network_mode),
            networks: attached,
        },
        restart_count: inspect
            .restart_count
            .and_then(|count| u64::try_from(count).ok())
            .unwrap_or(0),
        ip_addresses,
        gateways,
        created: real_time(inspect.created),
        started_at: real_time(state.started_at),
        finished_at: real_time(state.finished_at),
        exit_code,
        health_log,
        failing_streak,
        ports,
    }
}

/// The names of a map's keys, sorted: the networks a container is attached to.
fn sorted_keys<V>(map: Option<HashMap<String, V>>) -> Vec<String> {
    let mut keys: Vec<String> = map.unwrap_or_default().into_keys().collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exit_code_and_health_from_status_text() {
        assert_eq!(exit_code_in_status("Exited (137) 5 seconds ago"), Some(137));
        assert_eq!(exit_code_in_status("Up 5 seconds"), None);
        assert_eq!(
            health_in_status("Up 2 seconds (health: starting)"),
            Health::Starting
        );
        assert_eq!(
            health_in_status("Up 1 minute (unhealthy)"),
            Health::Unhealthy
        );
        assert_eq!(health_in_status("Up 1 minute (healthy)"), Health::Healthy);
        assert_eq!(health_in_status("Up 1 minute"), Health::None);
    }

    #[test]
    fn cpu_percent_is_the_share_of_the_machine_times_its_cpus() {
        use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerStatsResponse};
        let sample = |total: u64, system: u64| ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        };
        let stats = ContainerStatsResponse {
            cpu_stats: Some(sample(1_500, 20_000)),
            precpu_stats: Some(sample(1_000, 18_000)),
            ..Default::default()
        };
        // 500 of 2000 ns of the machine, on 2 CPUs: half a CPU.
        assert!((cpu_percent_of(&stats) - 50.0).abs() < 1e-9);
        let first = ContainerStatsResponse {
            cpu_stats: Some(sample(1_500, 20_000)),
            ..Default::default()
        };
        assert_eq!(cpu_percent_of(&first), 0.0);
    }
}

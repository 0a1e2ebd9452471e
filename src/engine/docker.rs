//! The Docker Engine, through bollard: the only place msctl speaks the Engine API for
//! containers, networks, volumes and images (`build/` uses it for builds).
//!
//! Every call is bounded by a timeout, and every bollard error is mapped here, once,
//! into an [`EngineError`] kind: callers never see an HTTP status code.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum,
    ContainerSummaryStateEnum, DeviceMapping, EndpointIpamConfig, EndpointSettings, EventMessage,
    EventMessageTypeEnum, HealthConfig, HealthStatusEnum, HostConfig, HostConfigLogConfig,
    Ipam as DockerIpam, IpamConfig, Mount, MountType as DockerMountType, NetworkConnectRequest,
    NetworkCreateRequest, NetworkDisconnectRequest, NetworkingConfig, PortBinding,
    ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, KillContainerOptionsBuilder,
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, RemoveVolumeOptionsBuilder,
    RenameContainerOptionsBuilder, StatsOptionsBuilder, StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::stream::{BoxStream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::log_reader;
use super::timestamp;
use super::ListedContainer;
use super::{
    ContainerDetails, ContainerSpec, ContainerSummary, Engine, EngineError, EngineEvent,
    EventAction, ExecOutput, ExecSpec, ImageDetails, LabelFilter, LogLine, LogOptions, LogStream,
    MountSpec, NetworkAttachment, NetworkEndpoint, NetworkSpec, NetworkSummary, ProgressSink,
    RegistryAuth, SecretMount, SecretSource, VolumeSpec, VolumeSummary,
};
use crate::manifest::model::{MountType, RestartMode};
use crate::plan::{labels, ContainerState, Health};

/// Where the engine is when `DOCKER_HOST` is not set.
pub const DEFAULT_DOCKER_HOST: &str = "unix:///var/run/docker.sock";

/// How long connecting and negotiating the API version may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The bound of an ordinary call (list, inspect, create, start, remove, ...).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How much longer than its own grace period a stop may take before msctl gives up.
const STOP_MARGIN: Duration = Duration::from_secs(30);

/// bollard's own per-request bound. It only covers the wait for response headers, so it
/// is set high: each call below has its own, tighter, timeout.
const CLIENT_TIMEOUT_SECS: u64 = 3600;

/// An Engine API version, as negotiated with the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: usize,
    pub minor: usize,
}

impl ApiVersion {
    pub const fn new(major: usize, minor: usize) -> ApiVersion {
        ApiVersion { major, minor }
    }

    /// Whether this version has what `version` introduced.
    pub fn at_least(self, version: ApiVersion) -> bool {
        self >= version
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The API version that added `HealthConfig.StartInterval`.
pub const API_HEALTHCHECK_START_INTERVAL: ApiVersion = ApiVersion::new(1, 44);

/// The API version that added `HostConfig.Annotations`.
pub const API_ANNOTATIONS: ApiVersion = ApiVersion::new(1, 43);

/// The API version from which a MAC address is set per endpoint
/// (`EndpointSettings.MacAddress`); before it, on the container (`Config.MacAddress`).
pub const API_ENDPOINT_MAC_ADDRESS: ApiVersion = ApiVersion::new(1, 44);

/// Where msctl writes the files of secrets and configs that do not come from a host
/// file, under its state directory: one directory per kind, so a secret and a config
/// may share a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Secret,
    Config,
}

impl FileKind {
    fn directory(self) -> &'static str {
        match self {
            FileKind::Secret => "secrets",
            FileKind::Config => "configs",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            FileKind::Secret => "secret",
            FileKind::Config => "config",
        }
    }
}

/// A connection to a Docker Engine.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    docker: Docker,
    address: String,
    api_version: ApiVersion,
    /// msctl's environment: fills `environment` entries without a value, and holds the
    /// values of environment secrets.
    environment: BTreeMap<String, String>,
    /// The gateways of networks inspected for a replica's DNS servers, by network name,
    /// with when: every replica of a project asks for the same few, and an inspection
    /// lists every endpoint of the network (a cost that grows with the project).
    gateways: std::sync::Arc<GatewayCache>,
}

/// Network name -> (when inspected, its IPv4 gateway). An entry goes when this engine
/// creates or removes a network of that name, and after [`GATEWAY_TTL`] (another
/// client may have recreated it meanwhile).
#[derive(Debug, Default)]
struct GatewayCache {
    entries: std::sync::Mutex<HashMap<String, (std::time::Instant, Option<String>)>>,
    /// Held while a missing entry is fetched: the containers created at once ask for the
    /// same network together, and one inspection answers them all.
    fetching: tokio::sync::Mutex<()>,
}

const GATEWAY_TTL: Duration = Duration::from_secs(10);

impl GatewayCache {
    fn get(&self, network: &str) -> Option<Option<String>> {
        let cache = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (at, gateway) = cache.get(network)?;
        (at.elapsed() < GATEWAY_TTL).then(|| gateway.clone())
    }

    fn put(&self, network: &str, gateway: Option<String>) {
        let mut cache = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(network.to_string(), (std::time::Instant::now(), gateway));
    }

    fn forget(&self, network: &str) {
        let mut cache = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(network);
    }
}

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

    /// Connects to `docker_host` (`unix://...` or `tcp://...`), or to `DOCKER_HOST` from the
    /// process environment, or to the default socket; negotiates the API version.
    pub async fn connect(docker_host: Option<&str>) -> Result<DockerEngine, EngineError> {
        let environment: BTreeMap<String, String> = std::env::vars().collect();
        let host = docker_host
            .map(str::to_string)
            .or_else(|| docker_host_of(&environment));
        DockerEngine::connect_with(host.as_deref(), environment).await
    }

    /// Connects to the engine `environment` names (`DOCKER_HOST`, else the default
    /// socket), keeping `environment` as msctl's environment for containers and secrets.
    pub async fn connect_from_env(
        environment: &BTreeMap<String, String>,
    ) -> Result<DockerEngine, EngineError> {
        let host = docker_host_of(environment);
        DockerEngine::connect_with(host.as_deref(), environment.clone()).await
    }

    async fn connect_with(
        docker_host: Option<&str>,
        environment: BTreeMap<String, String>,
    ) -> Result<DockerEngine, EngineError> {
        let address = docker_host.unwrap_or(DEFAULT_DOCKER_HOST).to_string();
        let unavailable = |cause: String| EngineError::Unavailable {
            address: address.clone(),
            cause: cause.into(),
        };
        let docker = if let Some(path) = address.strip_prefix("unix://") {
            if !Path::new(path).exists() {
                return Err(unavailable(format!("no socket at {path}")));
            }
            Docker::connect_with_unix(path, CLIENT_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else if address.starts_with("tcp://") || address.starts_with("http://") {
            Docker::connect_with_http(&address, CLIENT_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else {
            return Err(unavailable(
                "unsupported address: use unix:///path/to/docker.sock or tcp://host:port"
                    .to_string(),
            ));
        }
        .map_err(|err| unavailable(root_cause(&err)))?;
        let docker = match tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version()).await {
            Err(_) => {
                return Err(unavailable(format!(
                    "no answer within {}s",
                    CONNECT_TIMEOUT.as_secs()
                )))
            }
            Ok(Err(err)) => return Err(unavailable(root_cause(&err))),
            Ok(Ok(docker)) => docker,
        };
        let version = docker.client_version();
        let api_version = ApiVersion::new(version.major_version, version.minor_version);
        tracing::debug!("connected to the Docker engine at {address}, API {api_version}");
        Ok(DockerEngine {
            docker,
            address,
            api_version,
            environment,
            gateways: Default::default(),
        })
    }

    /// The address connected to, as given (`unix:///var/run/docker.sock`).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The API version both sides speak.
    pub fn api_version(&self) -> ApiVersion {
        self.api_version
    }

    /// The bollard client, for `build/`: the one other module allowed to speak the API.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// Inspects network `name`.
    async fn network(&self, name: &str) -> Result<bollard::models::NetworkInspect, EngineError> {
        self.network_call(
            "inspect_network",
            name,
            || format!("network `{name}`"),
            self.docker.inspect_network(
                name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            ),
        )
        .await
    }

    /// The IPv4 gateway of network `name` (cached for a moment: see [`GatewayCache`]).
    async fn network_gateway(&self, name: &str) -> Result<Option<String>, EngineError> {
        if let Some(gateway) = self.gateways.get(name) {
            return Ok(gateway);
        }
        let _fetching = self.gateways.fetching.lock().await;
        if let Some(gateway) = self.gateways.get(name) {
            return Ok(gateway);
        }
        let network = self.network(name).await?;
        let gateway = ipv4_gateway(network.ipam.as_ref()).map(|gateway| gateway.to_string());
        self.gateways.put(name, gateway.clone());
        Ok(gateway)
    }

    /// The DNS servers of a container whose networks carry names msctl's resolver holds:
    /// the gateway of each of `spec.resolver_networks` (where the resolver listens), then
    /// the service's own `dns`, or else the servers the engine would give it. Docker's
    /// embedded DNS asks them in order and moves on when one answers SERVFAIL, which is
    /// what the resolver answers for every name it does not hold; it asks at most three.
    async fn resolver_dns(&self, spec: &ContainerSpec) -> Result<Vec<String>, EngineError> {
        let gateways = futures_util::future::try_join_all(
            spec.resolver_networks
                .iter()
                .map(|network| self.network_gateway(network)),
        )
        .await?;
        let gateways = gateways.into_iter().flatten();
        let upstream = if spec.dns.is_empty() {
            crate::resolver::upstreams::of_host()
        } else {
            spec.dns.clone()
        };
        Ok(crate::resolver::upstreams::servers(gateways, upstream))
    }

    /// Removes the endpoint named `endpoint` that a gone container left on `network`, when
    /// the network is this engine's own (`local` scope): there names are unique, so an
    /// endpoint named after a container that is not on the network is left over. On a
    /// Swarm network the name may be a container's on another node: left alone (`false`).
    async fn clear_left_behind(&self, network: &str, endpoint: &str) -> Result<bool, EngineError> {
        let inspected = self.network(network).await?;
        if inspected.scope.as_deref() != Some("local") {
            return Ok(false);
        }
        self.remove_stale_endpoint(network, endpoint).await?;
        Ok(true)
    }

    /// Detaches `container` (an id, or the name an endpoint has) from a network; with
    /// `force`, also an endpoint whose container is gone. One not attached is no error.
    async fn disconnect(
        &self,
        container: &str,
        network: &str,
        force: bool,
    ) -> Result<(), EngineError> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(force),
        };
        let disconnected = self
            .network_call(
                "disconnect_network",
                network,
                || format!("`{container}` on network `{network}`"),
                self.docker.disconnect_network(network, request),
            )
            .await;
        match disconnected {
            // Docker answers 403 "container ... is not connected to network ...".
            Err(EngineError::Other { message, .. }) if message.contains("is not connected") => {
                Ok(())
            }
            other => other,
        }
    }

    pub(super) async fn call<T>(
        &self,
        operation: &str,
        what: impl FnOnce() -> String,
        timeout: Duration,
        future: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        match tokio::time::timeout(timeout, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(map_error(&self.address, operation, what(), err)),
            Err(_) => Err(EngineError::Timeout {
                operation: operation.to_string(),
                timeout,
            }),
        }
    }

    /// Runs one call on network `network` under [`CALL_TIMEOUT`], mapping the engine's
    /// answer with [`network_error`] (which keeps the engine's words) and any other
    /// failure with [`map_error`].
    async fn network_call<T>(
        &self,
        operation: &str,
        network: &str,
        what: impl FnOnce() -> String,
        future: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        match tokio::time::timeout(CALL_TIMEOUT, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            })) => Err(network_error(
                operation,
                network,
                what(),
                status_code,
                &message,
            )),
            Ok(Err(err)) => Err(map_error(&self.address, operation, what(), err)),
            Err(_) => Err(EngineError::Timeout {
                operation: operation.to_string(),
                timeout: CALL_TIMEOUT,
            }),
        }
    }

    fn label_filters(filter: &LabelFilter) -> HashMap<String, Vec<String>> {
        let mut filters = HashMap::new();
        if !filter.labels.is_empty() {
            let wanted = filter
                .labels
                .iter()
                .map(|(key, value)| match value {
                    Some(value) => format!("{key}={value}"),
                    None => key.clone(),
                })
                .collect();
            filters.insert("label".to_string(), wanted);
        }
        filters
    }

    /// The `KEY=VALUE` list of a spec: entries without a value come from msctl's
    /// environment, and are left out when it does not have them either.
    fn container_env(&self, spec: &ContainerSpec) -> Vec<String> {
        spec.environment
            .iter()
            .filter_map(|(key, value)| {
                let value = value.as_ref().or_else(|| self.environment.get(key))?;
                Some(format!("{key}={value}"))
            })
            .collect()
    }

    /// Where a secret's or config's contents are on the host, writing the file of one
    /// from the environment or the manifest.
    fn secret_host_path(
        &self,
        project_name: &str,
        kind: FileKind,
        secret: &SecretMount,
    ) -> Result<PathBuf, EngineError> {
        let failed = |message: String| EngineError::Other {
            operation: "create_container".to_string(),
            message,
        };
        let noun = kind.noun();
        let value = match &secret.source {
            SecretSource::File(path) => return Ok(path.clone()),
            SecretSource::Environment(variable) => self.environment.get(variable).ok_or_else(|| {
                failed(format!(
                    "{noun} `{}` comes from the environment variable `{variable}`, which is not set",
                    secret.name
                ))
            })?,
            SecretSource::Content(text) => text,
        };
        let dir = crate::state::state_dir(&self.environment)
            .join(kind.directory())
            .join(project_name);
        let path = dir.join(&secret.name);
        write_private_file(&dir, &path, value.as_bytes()).map_err(|err| {
            failed(format!(
                "cannot write {noun} `{}` to {}: {err}",
                secret.name,
                path.display()
            ))
        })?;
        Ok(path)
    }

    /// The endpoint settings of one network attachment.
    fn endpoint(
        &self,
        attachment: &NetworkAttachment,
        mac_address: Option<&str>,
    ) -> EndpointSettings {
        let fixed = attachment.ipv4_address.is_some() || attachment.ipv6_address.is_some();
        EndpointSettings {
            aliases: non_empty(&attachment.aliases),
            ipam_config: fixed.then(|| EndpointIpamConfig {
                ipv4_address: attachment.ipv4_address.clone(),
                ipv6_address: attachment.ipv6_address.clone(),
                ..EndpointIpamConfig::default()
            }),
            mac_address: mac_address
                .filter(|_| self.api_version.at_least(API_ENDPOINT_MAC_ADDRESS))
                .map(str::to_string),
            ..EndpointSettings::default()
        }
    }

    fn create_body(&self, spec: &ContainerSpec) -> Result<ContainerCreateBody, EngineError> {
        let project_name = spec
            .labels
            .get(labels::PROJECT)
            .map(String::as_str)
            .unwrap_or("default");
        let mut exposed_ports: Vec<String> = Vec::new();
        let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for port in &spec.ports {
            let key = format!("{}/{}", port.target, port.protocol.as_str());
            if !exposed_ports.contains(&key) {
                exposed_ports.push(key.clone());
            }
            port_bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: port.host_ip.clone(),
                    host_port: Some(
                        port.published
                            .map(|published| published.to_string())
                            .unwrap_or_default(),
                    ),
                });
        }
        for expose in &spec.expose {
            for key in expand_expose(expose) {
                if !exposed_ports.contains(&key) {
                    exposed_ports.push(key);
                }
            }
        }
        let mut mounts: Vec<Mount> = spec.mounts.iter().map(docker_mount).collect();
        let files = spec
            .secrets
            .iter()
            .map(|secret| (FileKind::Secret, secret))
            .chain(spec.configs.iter().map(|config| (FileKind::Config, config)));
        for (kind, secret) in files {
            let source = self.secret_host_path(project_name, kind, secret)?;
            mounts.push(Mount {
                typ: Some(DockerMountType::BIND),
                source: Some(source.to_string_lossy().into_owned()),
                target: Some(secret.target.clone()),
                read_only: Some(true),
                ..Mount::default()
            });
        }
        let healthcheck = spec.healthcheck.as_ref().map(|healthcheck| {
            let start_interval = match healthcheck.start_interval {
                Some(interval) if self.api_version.at_least(API_HEALTHCHECK_START_INTERVAL) => {
                    Some(nanos(interval))
                }
                Some(_) => {
                    tracing::debug!(
                        "{}: healthcheck start_interval needs API {API_HEALTHCHECK_START_INTERVAL}, the engine speaks {}: left out",
                        spec.name,
                        self.api_version
                    );
                    None
                }
                None => None,
            };
            HealthConfig {
                test: Some(healthcheck.test.clone()),
                interval: healthcheck.interval.map(nanos),
                timeout: healthcheck.timeout.map(nanos),
                retries: healthcheck.retries.map(i64::from),
                start_period: healthcheck.start_period.map(nanos),
                start_interval,
            }
        });
        let tmpfs: HashMap<String, String> = spec
            .tmpfs
            .iter()
            .map(|entry| match entry.split_once(':') {
                Some((path, options)) => (path.to_string(), options.to_string()),
                None => (entry.clone(), String::new()),
            })
            .collect();
        let first_network = spec.networks.first();
        let network_mode = match &spec.network_mode {
            Some(mode) => Some(mode.clone()),
            None => first_network.map(|attachment| attachment.network_name.clone()),
        };
        let host_config = HostConfig {
            port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
            mounts: (!mounts.is_empty()).then_some(mounts),
            restart_policy: spec.restart.map(|mode| RestartPolicy {
                name: Some(match mode {
                    RestartMode::No => RestartPolicyNameEnum::NO,
                    RestartMode::Always => RestartPolicyNameEnum::ALWAYS,
                    RestartMode::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
                    RestartMode::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
                }),
                maximum_retry_count: None,
            }),
            network_mode,
            readonly_rootfs: spec.read_only.then_some(true),
            cap_add: non_empty(&spec.cap_add),
            cap_drop: non_empty(&spec.cap_drop),
            security_opt: non_empty(&spec.security_opt),
            tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
            init: spec.init,
            nano_cpus: spec.cpus.map(|cpus| (cpus * 1e9).round() as i64),
            memory: spec.memory_bytes.map(bytes_i64),
            memory_swap: spec.memswap_limit,
            cpu_shares: spec.cpu_shares,
            cpuset_cpus: spec.cpuset.clone(),
            log_config: spec.logging.as_ref().map(|logging| HostConfigLogConfig {
                typ: logging.driver.clone(),
                config: (!logging.options.is_empty())
                    .then(|| logging.options.clone().into_iter().collect()),
            }),
            sysctls: (!spec.sysctls.is_empty()).then(|| spec.sysctls.clone().into_iter().collect()),
            ulimits: (!spec.ulimits.is_empty()).then(|| {
                spec.ulimits
                    .iter()
                    .map(|(name, limit)| ResourcesUlimits {
                        name: Some(name.clone()),
                        soft: Some(limit.soft),
                        hard: Some(limit.hard),
                    })
                    .collect()
            }),
            extra_hosts: non_empty(&spec.extra_hosts),
            privileged: spec.privileged.then_some(true),
            runtime: spec.runtime.clone(),
            dns: non_empty(&spec.dns),
            dns_search: non_empty(&spec.dns_search),
            dns_options: non_empty(&spec.dns_opt),
            devices: (!spec.devices.is_empty()).then(|| {
                spec.devices
                    .iter()
                    .map(|device| DeviceMapping {
                        path_on_host: Some(device.source.clone()),
                        path_in_container: Some(device.target.clone()),
                        cgroup_permissions: Some(device.permissions.clone()),
                    })
                    .collect()
            }),
            shm_size: spec.shm_size.map(bytes_i64),
            pid_mode: spec.pid.clone(),
            ipc_mode: spec.ipc.clone(),
            group_add: non_empty(&spec.group_add),
            pids_limit: spec.pids_limit,
            oom_score_adj: spec.oom_score_adj,
            annotations: (!spec.annotations.is_empty()
                && self.api_version.at_least(API_ANNOTATIONS))
            .then(|| spec.annotations.clone().into_iter().collect()),
            ..HostConfig::default()
        };
        let networking_config = first_network.map(|attachment| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                attachment.network_name.clone(),
                self.endpoint(attachment, spec.mac_address.as_deref()),
            )])),
        });
        Ok(ContainerCreateBody {
            image: Some(spec.image.clone()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            cmd: spec.command.clone(),
            entrypoint: spec.entrypoint.clone(),
            env: Some(self.container_env(spec)),
            exposed_ports: (!exposed_ports.is_empty()).then_some(exposed_ports),
            healthcheck,
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            hostname: spec.hostname.clone(),
            domainname: spec.domainname.clone(),
            tty: spec.tty.then_some(true),
            open_stdin: spec.stdin_open.then_some(true),
            stop_signal: spec.stop_signal.clone(),
            stop_timeout: spec
                .stop_timeout
                .map(|timeout| i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX)),
            host_config: Some(host_config),
            networking_config,
            ..ContainerCreateBody::default()
        })
    }
}

fn docker_host_of(environment: &BTreeMap<String, String>) -> Option<String> {
    environment
        .get("DOCKER_HOST")
        .filter(|host| !host.is_empty())
        .cloned()
}

fn non_empty(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

fn bytes_i64(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// `3000`, `3000/udp` or `3000-3002` -> Docker's `port/protocol` keys.
fn expand_expose(expose: &str) -> Vec<String> {
    let (ports, protocol) = expose.split_once('/').unwrap_or((expose, "tcp"));
    match ports.split_once('-') {
        Some((start, end)) => match (start.parse::<u16>(), end.parse::<u16>()) {
            (Ok(start), Ok(end)) if start <= end => (start..=end)
                .map(|port| format!("{port}/{protocol}"))
                .collect(),
            _ => vec![format!("{ports}/{protocol}")],
        },
        None => vec![format!("{ports}/{protocol}")],
    }
}

fn docker_mount(mount: &MountSpec) -> Mount {
    Mount {
        typ: Some(match mount.kind {
            MountType::Volume => DockerMountType::VOLUME,
            MountType::Bind => DockerMountType::BIND,
            MountType::Tmpfs => DockerMountType::TMPFS,
        }),
        source: mount.source.clone(),
        target: Some(mount.target.clone()),
        read_only: mount.read_only.then_some(true),
        ..Mount::default()
    }
}

/// Writes `contents` to `path`, readable and writable by its owner only.
/// Write a secret's or config's file for a bind mount. The directory is the user's alone
/// (0700), so no other host user reads it; the file itself is readable by all (0444) so
/// that a container running as a non-root user can read it, as Compose mounts secrets.
/// Written to a temporary file and renamed, so a container never sees half a file.
fn write_private_file(dir: &Path, path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(contents)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o444))?;
    drop(file);
    std::fs::rename(&temporary, path)
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

/// The innermost message of an error chain: `Connection refused (os error 111)` rather
/// than `Error in the hyper legacy client: client error (Connect)`.
pub(super) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// The one place a bollard error becomes an [`EngineError`] kind.
pub(super) fn map_error(
    address: &str,
    operation: &str,
    what: String,
    err: bollard::errors::Error,
) -> EngineError {
    use bollard::errors::Error as E;
    match err {
        E::DockerResponseServerError {
            status_code: 404,
            message,
        } => {
            tracing::debug!("{operation}: {message}");
            EngineError::NotFound { what }
        }
        E::DockerResponseServerError {
            status_code: 409,
            message,
        } => EngineError::Conflict {
            what,
            message: message.trim().to_string(),
        },
        E::DockerResponseServerError {
            status_code,
            message,
        } => EngineError::Other {
            operation: operation.to_string(),
            message: format!("{what}: {} (HTTP {status_code})", message.trim()),
        },
        E::RequestTimeoutError => EngineError::Timeout {
            operation: operation.to_string(),
            timeout: Duration::from_secs(CLIENT_TIMEOUT_SECS),
        },
        E::HyperLegacyError { .. }
        | E::HyperResponseError { .. }
        | E::IOError { .. }
        | E::SocketNotFoundError(_) => EngineError::Unavailable {
            address: address.to_string(),
            cause: root_cause(&err).into(),
        },
        other => EngineError::Other {
            operation: operation.to_string(),
            message: format!("{what}: {other}"),
        },
    }
}

/// The engine's answer `status`/`message` to `operation` on network `network` (`what`
/// names what it was about) as an [`EngineError`]. Unlike [`map_error`], the engine's
/// own words always reach the message: a network call fails for reasons the status code
/// does not tell (Docker 20.10 answers 404 when its address pools are used up).
fn network_error(
    operation: &str,
    network: &str,
    what: String,
    status: u16,
    message: &str,
) -> EngineError {
    let message = message.trim();
    if operation == "create_network" && super::error::is_address_pools_exhausted(message) {
        return EngineError::AddressPoolsExhausted {
            network: network.to_string(),
            message: message.to_string(),
        };
    }
    // Docker answers 403 "error while removing network: ... has active endpoints".
    if operation == "remove_network" && message.contains("active endpoints") {
        return EngineError::Conflict {
            what,
            message: format!("it still has endpoints (Docker: {message})"),
        };
    }
    match status {
        // The network being created cannot be what is missing: a driver or a plugin is.
        404 if operation != "create_network" => EngineError::NotFound {
            what: missing_subject(message).unwrap_or_else(|| format!("{what} (Docker: {message})")),
        },
        409 => EngineError::Conflict {
            what,
            message: message.to_string(),
        },
        _ => EngineError::Other {
            operation: operation.to_string(),
            message: format!("{what}: {message} (HTTP {status})"),
        },
    }
}

/// What Docker's 404 message says is missing, in its words: `network foo` of "network
/// foo not found", `container abc` of "No such container: abc".
fn missing_subject(message: &str) -> Option<String> {
    const NOT_FOUND: &str = " not found";
    const NO_SUCH: &str = "no such ";
    let lower = message.to_ascii_lowercase();
    let subject = if lower.ends_with(NOT_FOUND) {
        message[..message.len() - NOT_FOUND.len()]
            .trim()
            .to_string()
    } else if lower.starts_with(NO_SUCH) {
        let (kind, name) = message[NO_SUCH.len()..].split_once(':')?;
        format!("{} {}", kind.trim(), name.trim())
    } else {
        return None;
    };
    (!subject.trim().is_empty()).then_some(subject)
}

fn container_what(container_id: &str) -> impl FnOnce() -> String + '_ {
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

/// Docker's zero time means "never".
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

/// The endpoint and network of Docker's "endpoint with name NAME already exists in
/// network NETWORK", wherever it is in the error's message.
fn endpoint_taken(err: &EngineError) -> Option<(String, String)> {
    let (EngineError::Other { message, .. } | EngineError::Conflict { message, .. }) = err else {
        return None;
    };
    const START: &str = "endpoint with name ";
    let rest = &message[message.find(START)? + START.len()..];
    let (endpoint, rest) = rest.split_once(" already exists in network ")?;
    let network = rest
        .split_whitespace()
        .next()?
        .trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';' | ':'));
    (!endpoint.is_empty() && !network.is_empty())
        .then(|| (endpoint.to_string(), network.to_string()))
}

/// Splits Docker's `TIMESTAMP message\n` frame into a [`LogLine`]. A frame without a
/// readable timestamp keeps `fallback_nanos` (the previous line's time) and all its text.
/// The first IPv4 gateway of a network's address configuration.
fn ipv4_gateway(ipam: Option<&bollard::models::Ipam>) -> Option<std::net::Ipv4Addr> {
    ipam?
        .config
        .as_ref()?
        .iter()
        .filter_map(|config| config.gateway.as_deref())
        .find_map(|gateway| gateway.parse().ok())
}

pub(super) fn log_line(output: LogOutput, fallback_nanos: i64) -> LogLine {
    let (stream, bytes) = match output {
        LogOutput::StdErr { message } => (LogStream::Stderr, message),
        LogOutput::StdOut { message }
        | LogOutput::Console { message }
        | LogOutput::StdIn { message } => (LogStream::Stdout, message),
    };
    log_line_of(stream, &bytes, fallback_nanos)
}

/// One line the engine sent (its RFC 3339 timestamp, a space, the text, a newline) as a
/// [`LogLine`]; a line without a timestamp takes `fallback_nanos`.
pub(super) fn log_line_of(stream: LogStream, bytes: &[u8], fallback_nanos: i64) -> LogLine {
    let mut text: &[u8] = bytes;
    if let [rest @ .., b'\n'] = text {
        text = rest;
    }
    if let [rest @ .., b'\r'] = text {
        text = rest;
    }
    let (timestamp_nanos, message) = match text.iter().position(|&byte| byte == b' ') {
        Some(space) => match timestamp::parse_bytes(&text[..space]) {
            Some(nanos) => (nanos, &text[space + 1..]),
            None => (fallback_nanos, text),
        },
        None => match timestamp::parse_bytes(text) {
            Some(nanos) => (nanos, &text[text.len()..]),
            None => (fallback_nanos, text),
        },
    };
    let message = match std::str::from_utf8(message) {
        Ok(message) => message.to_string(),
        Err(_) => String::from_utf8_lossy(message).into_owned(),
    };
    LogLine {
        stream,
        timestamp_nanos,
        message,
    }
}

/// Attributes Docker mixes into an event's actor attributes next to the labels.
const EVENT_ATTRIBUTES: &[&str] = &["name", "image", "exitCode", "signal", "execID"];

fn event_of(message: EventMessage) -> Option<EngineEvent> {
    if message.typ != Some(EventMessageTypeEnum::CONTAINER) {
        return None;
    }
    let actor = message.actor?;
    let container_id = actor.id?;
    let mut attributes = actor.attributes.unwrap_or_default();
    let exit_code = attributes
        .get("exitCode")
        .and_then(|code| code.parse::<i64>().ok());
    let container_name = attributes.remove("name").unwrap_or_default();
    let labels = attributes
        .into_iter()
        .filter(|(key, _)| !EVENT_ATTRIBUTES.contains(&key.as_str()))
        .collect();
    let action_text = message.action.unwrap_or_default();
    let action = match action_text.as_str() {
        "create" => EventAction::Create,
        "start" => EventAction::Start,
        "die" => EventAction::Die,
        "kill" => EventAction::Kill,
        "stop" => EventAction::Stop,
        "restart" => EventAction::Restart,
        "pause" => EventAction::Pause,
        "unpause" => EventAction::Unpause,
        "destroy" => EventAction::Destroy,
        "oom" => EventAction::Oom,
        text => match text.strip_prefix("health_status:").map(str::trim) {
            Some("healthy") => EventAction::HealthStatus(Health::Healthy),
            Some("unhealthy") => EventAction::HealthStatus(Health::Unhealthy),
            Some("starting") => EventAction::HealthStatus(Health::Starting),
            _ => EventAction::Other(text.to_string()),
        },
    };
    let time_nanos = message
        .time_nano
        .or_else(|| {
            message
                .time
                .map(|seconds| seconds.saturating_mul(1_000_000_000))
        })
        .unwrap_or(0);
    Some(EngineEvent {
        container_id,
        container_name,
        action,
        labels,
        exit_code,
        time_nanos,
    })
}

#[async_trait]
impl Engine for DockerEngine {
    async fn list_containers(
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

    async fn list_containers_with_ports(
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

    async fn inspect_container(&self, container_id: &str) -> Result<ContainerDetails, EngineError> {
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

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
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

    async fn start_container(&self, container_id: &str) -> Result<(), EngineError> {
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

    async fn stop_container(
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

    async fn remove_container(
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

    async fn list_networks(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<NetworkSummary>, EngineError> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(&DockerEngine::label_filters(filter))
            .build();
        let listed = self
            .call(
                "list_networks",
                || "networks".to_string(),
                CALL_TIMEOUT,
                self.docker.list_networks(Some(options)),
            )
            .await?;
        let mut networks: Vec<NetworkSummary> = listed
            .into_iter()
            .filter_map(|network| {
                let gateway = ipv4_gateway(network.ipam.as_ref());
                Some(NetworkSummary {
                    id: network.id?,
                    name: network.name?,
                    labels: network.labels.unwrap_or_default().into_iter().collect(),
                    gateway,
                })
            })
            .filter(|network| filter.matches(&network.labels))
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, EngineError> {
        let request = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver.clone(),
            internal: spec.internal.then_some(true),
            attachable: spec.attachable.then_some(true),
            enable_ipv6: spec.enable_ipv6.then_some(true),
            options: (!spec.driver_opts.is_empty())
                .then(|| spec.driver_opts.clone().into_iter().collect()),
            ipam: spec.ipam.as_ref().map(|ipam| DockerIpam {
                driver: ipam.driver.clone(),
                config: (!ipam.config.is_empty()).then(|| {
                    ipam.config
                        .iter()
                        .map(|pool| IpamConfig {
                            subnet: pool.subnet.clone(),
                            ip_range: pool.ip_range.clone(),
                            gateway: pool.gateway.clone(),
                            auxiliary_addresses: (!pool.aux_addresses.is_empty())
                                .then(|| pool.aux_addresses.clone().into_iter().collect()),
                        })
                        .collect()
                }),
                options: (!ipam.options.is_empty())
                    .then(|| ipam.options.clone().into_iter().collect()),
            }),
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..NetworkCreateRequest::default()
        };
        self.gateways.forget(&spec.name);
        // Docker allows several networks with one name; msctl never wants that.
        let existing = self.list_networks(&LabelFilter::any()).await?;
        if existing.iter().any(|network| network.name == spec.name) {
            return Err(EngineError::Conflict {
                what: format!("network `{}`", spec.name),
                message: "a network with this name already exists".to_string(),
            });
        }
        let created = self
            .network_call(
                "create_network",
                &spec.name,
                || format!("network `{}`", spec.name),
                self.docker.create_network(request),
            )
            .await?;
        Ok(created.id)
    }

    async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        self.gateways.forget(name);
        // Docker's 403 "... has active endpoints" is a `Conflict` (see `network_error`).
        self.network_call(
            "remove_network",
            name,
            || format!("network `{name}`"),
            self.docker.remove_network(name),
        )
        .await
    }

    async fn network_endpoints(&self, name: &str) -> Result<Vec<NetworkEndpoint>, EngineError> {
        let network = self.network(name).await?;
        let mut endpoints: Vec<NetworkEndpoint> = network
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(|(container_id, endpoint)| NetworkEndpoint {
                name: endpoint
                    .name
                    .map(|name| name.trim_start_matches('/').to_string())
                    .unwrap_or_else(|| container_id.clone()),
                container_id,
            })
            .collect();
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(endpoints)
    }

    async fn remove_stale_endpoint(
        &self,
        network: &str,
        endpoint: &str,
    ) -> Result<(), EngineError> {
        match self.disconnect(endpoint, network, true).await {
            Err(EngineError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    async fn connect_network(
        &self,
        container_id: &str,
        attachment: &NetworkAttachment,
    ) -> Result<(), EngineError> {
        let connect = || {
            let request = NetworkConnectRequest {
                container: container_id.to_string(),
                endpoint_config: Some(self.endpoint(attachment, None)),
            };
            self.network_call(
                "connect_network",
                &attachment.network_name,
                || format!("network `{}`", attachment.network_name),
                self.docker
                    .connect_network(&attachment.network_name, request),
            )
        };
        let err = match connect().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        // Docker answers 403 "endpoint with name ... already exists in network ..." both
        // when the container is attached already and when a gone container of the same
        // name left its endpoint behind: the second is cleared, then it joins.
        let Some((endpoint, network)) = endpoint_taken(&err) else {
            return Err(err);
        };
        let details = self.inspect_container(container_id).await?;
        if details.summary.networks.contains(&network) {
            return Ok(());
        }
        if !self.clear_left_behind(&network, &endpoint).await? {
            return Err(err);
        }
        connect().await
    }

    async fn disconnect_network(
        &self,
        container_id: &str,
        network_name: &str,
    ) -> Result<(), EngineError> {
        self.disconnect(container_id, network_name, false).await
    }

    async fn list_volumes(&self, filter: &LabelFilter) -> Result<Vec<VolumeSummary>, EngineError> {
        let options = ListVolumesOptionsBuilder::default()
            .filters(&DockerEngine::label_filters(filter))
            .build();
        let listed = self
            .call(
                "list_volumes",
                || "volumes".to_string(),
                CALL_TIMEOUT,
                self.docker.list_volumes(Some(options)),
            )
            .await?;
        let mut volumes: Vec<VolumeSummary> = listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| VolumeSummary {
                name: volume.name,
                labels: volume.labels.into_iter().collect(),
            })
            .filter(|volume| filter.matches(&volume.labels))
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<(), EngineError> {
        let request = VolumeCreateRequest {
            name: Some(spec.name.clone()),
            driver: spec.driver.clone(),
            driver_opts: (!spec.driver_opts.is_empty())
                .then(|| spec.driver_opts.clone().into_iter().collect()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..VolumeCreateRequest::default()
        };
        self.call(
            "create_volume",
            || format!("volume `{}`", spec.name),
            CALL_TIMEOUT,
            self.docker.create_volume(request),
        )
        .await
        .map(|_| ())
    }

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveVolumeOptionsBuilder::default().force(false).build();
        self.call(
            "remove_volume",
            || format!("volume `{name}`"),
            CALL_TIMEOUT,
            self.docker.remove_volume(name, Some(options)),
        )
        .await
    }

    async fn container_logs(
        &self,
        container_id: &str,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogLine, EngineError>>, EngineError> {
        let clamp = |seconds: i64| i32::try_from(seconds.max(0)).unwrap_or(i32::MAX);
        let tail = options
            .tail
            .map(|lines| lines.to_string())
            .unwrap_or_else(|| "all".to_string());
        let mut query = format!(
            "stdout=1&stderr=1&timestamps=1&follow={}&tail={}",
            u8::from(options.follow),
            log_reader::encode(&tail)
        );
        if let Some(since) = options.since {
            query.push_str(&format!("&since={}", clamp(since)));
        }
        if let Some(until) = options.until {
            // Docker reads 0 as "no bound": a bound at the epoch keeps nothing anyway.
            query.push_str(&format!("&until={}", clamp(until).max(1)));
        }
        let path = format!(
            "/v{}/containers/{}/logs?{query}",
            self.api_version,
            log_reader::encode(container_id)
        );
        let address = self.address.clone();
        let what = format!("container `{container_id}`");
        let unavailable = |address: &str, err: std::io::Error| EngineError::Unavailable {
            address: address.to_string(),
            cause: err.to_string().into(),
        };
        let batches =
            match log_reader::open(&self.address, &path, options.follow, CALL_TIMEOUT).await {
                Ok(batches) => batches,
                Err(log_reader::OpenError::Io(err)) => return Err(unavailable(&address, err)),
                Err(log_reader::OpenError::Status { code, message }) => {
                    let err = bollard::errors::Error::DockerResponseServerError {
                        status_code: code,
                        message,
                    };
                    return Err(map_error(&address, "container_logs", what, err));
                }
            };
        let stream = batches.flat_map(move |batch| {
            let lines: Vec<Result<LogLine, EngineError>> = match batch {
                Ok(lines) => lines.into_iter().map(Ok).collect(),
                Err(err) => vec![Err(unavailable(&address, err))],
            };
            futures_util::stream::iter(lines)
        });
        Ok(stream.boxed())
    }

    async fn events(
        &self,
        filter: &LabelFilter,
    ) -> Result<BoxStream<'static, Result<EngineEvent, EngineError>>, EngineError> {
        let mut filters = DockerEngine::label_filters(filter);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        // bollard sends the request when the stream is first polled, which may be after
        // the caller's next move: asking for events since now makes the stream start here.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let since = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
        let options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&filters)
            .build();
        let address = self.address.clone();
        let filter = filter.clone();
        let stream = self.docker.events(Some(options)).filter_map(move |item| {
            let mapped = match item {
                Ok(message) => event_of(message)
                    .filter(|event| filter.matches(&event.labels))
                    .map(Ok),
                Err(err) => Some(Err(map_error(
                    &address,
                    "events",
                    "events".to_string(),
                    err,
                ))),
            };
            std::future::ready(mapped)
        });
        Ok(stream.boxed())
    }

    async fn exec(&self, container_id: &str, spec: &ExecSpec) -> Result<i64, EngineError> {
        let options = CreateExecOptions::<String> {
            attach_stdin: Some(spec.attach_stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(spec.tty),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            cmd: Some(spec.command.clone()),
            user: spec.user.clone(),
            working_dir: spec.workdir.clone(),
            privileged: spec.privileged.then_some(true),
            ..CreateExecOptions::default()
        };
        let created = self
            .call(
                "exec",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.create_exec(container_id, options),
            )
            .await?;
        let exec_id = created.id;
        let start = StartExecOptions {
            detach: false,
            tty: spec.tty,
            output_capacity: None,
        };
        let started = self
            .call(
                "exec",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.start_exec(&exec_id, Some(start)),
            )
            .await?;
        let StartExecResults::Attached { mut output, input } = started else {
            return Err(EngineError::Other {
                operation: "exec".to_string(),
                message: "the engine started the command detached".to_string(),
            });
        };
        let terminal = if spec.tty {
            super::terminal::RawTerminal::enter()
        } else {
            None
        };
        // The command's terminal takes the size of msctl's, now and whenever it changes.
        let resize_task = terminal.as_ref().map(|_| {
            let docker = self.docker.clone();
            let exec_id = exec_id.clone();
            tokio::spawn(async move {
                let mut window_changes =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
                        .ok();
                loop {
                    if let Some((width, height)) = super::terminal::size() {
                        let options = bollard::exec::ResizeExecOptions { width, height };
                        let _ = docker.resize_exec(&exec_id, options).await;
                    }
                    match &mut window_changes {
                        Some(signal) => {
                            if signal.recv().await.is_none() {
                                return;
                            }
                        }
                        None => return,
                    }
                }
            })
        });
        let stdin_task = if spec.attach_stdin {
            Some(tokio::spawn(forward_stdin(input)))
        } else {
            drop(input);
            None
        };
        let mut stdout = tokio::io::stdout();
        let mut stderr = tokio::io::stderr();
        let mut failure = None;
        while let Some(item) = output.next().await {
            let written = match item {
                Ok(LogOutput::StdErr { message }) => write_flush(&mut stderr, &message).await,
                Ok(other) if spec.output == ExecOutput::Stderr => {
                    write_flush(&mut stderr, &other.into_bytes()).await
                }
                Ok(other) => write_flush(&mut stdout, &other.into_bytes()).await,
                Err(err) => {
                    failure = Some(map_error(
                        &self.address,
                        "exec",
                        format!("container `{container_id}`"),
                        err,
                    ));
                    break;
                }
            };
            // A closed stdout (`msctl exec ... | head`) is not the command's failure.
            if let Err(err) = written {
                if err.kind() != std::io::ErrorKind::BrokenPipe {
                    tracing::debug!("exec: cannot write output: {err}");
                }
            }
        }
        for task in [stdin_task, resize_task].into_iter().flatten() {
            task.abort();
        }
        drop(terminal);
        if let Some(err) = failure {
            return Err(err);
        }
        // The output ends when the process does; the engine may record the exit code an
        // instant later.
        for attempt in 0..50 {
            let inspected = self
                .call(
                    "exec",
                    container_what(container_id),
                    CALL_TIMEOUT,
                    self.docker.inspect_exec(&exec_id),
                )
                .await?;
            if inspected.running != Some(true) {
                if let Some(code) = inspected.exit_code {
                    return Ok(code);
                }
            }
            tokio::time::sleep(Duration::from_millis(if attempt < 10 { 10 } else { 100 })).await;
        }
        Err(EngineError::Other {
            operation: "exec".to_string(),
            message: format!(
                "the command in container `{container_id}` ended its output but the engine reports no exit code"
            ),
        })
    }

    async fn image_exists(&self, reference: &str) -> Result<bool, EngineError> {
        match self
            .call(
                "image_exists",
                || format!("image `{reference}`"),
                CALL_TIMEOUT,
                self.docker.inspect_image(reference),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageDetails>, EngineError> {
        self.image_details(reference).await
    }

    async fn pull_image(
        &self,
        reference: &str,
        platform: Option<&str>,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<(), EngineError> {
        self.pull(reference, platform, auth, progress).await
    }

    async fn push_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<String, EngineError> {
        self.push(reference, auth, progress).await
    }

    async fn tag_image(&self, source: &str, target: &str) -> Result<(), EngineError> {
        self.tag(source, target).await
    }

    async fn import_image(
        &self,
        reference: &str,
        rootfs: Vec<u8>,
        changes: Vec<String>,
    ) -> Result<(), EngineError> {
        self.import(reference, rootfs, changes).await
    }

    async fn remove_image(&self, reference: &str) -> Result<(), EngineError> {
        let options = RemoveImageOptionsBuilder::default().build();
        self.call(
            "remove_image",
            || format!("image `{reference}`"),
            CALL_TIMEOUT,
            self.docker.remove_image(reference, Some(options), None),
        )
        .await
        .map(|_| ())
    }

    async fn rename_container(
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

    async fn kill_container(&self, container_id: &str, signal: &str) -> Result<(), EngineError> {
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

    async fn cpu_percent(&self, container_id: &str) -> Result<f64, EngineError> {
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

    fn left_out(&self, spec: &ContainerSpec) -> Vec<String> {
        let mut out = Vec::new();
        if !spec.annotations.is_empty() && !self.api_version.at_least(API_ANNOTATIONS) {
            out.push(format!(
                "`annotations` need Docker Engine API {API_ANNOTATIONS}, the engine speaks {}: left out",
                self.api_version
            ));
        }
        out
    }
}

/// A client that sends `body` with `Config.MacAddress` set on `/containers/create`:
/// engines before API 1.44 take the address there only, and bollard's model of the body
/// no longer has the field.
fn with_config_mac_address(
    docker: &Docker,
    body: &ContainerCreateBody,
    mac_address: &str,
) -> Result<Docker, serde_json::Error> {
    let mut json = serde_json::to_value(body)?;
    if let Some(object) = json.as_object_mut() {
        object.insert(
            "MacAddress".to_string(),
            serde_json::Value::String(mac_address.to_string()),
        );
    }
    let bytes = serde_json::to_vec(&json)?;
    Ok(docker.clone().with_request_modifier(move |request| {
        if request.uri().path().ends_with("/containers/create") {
            request.map(|_| bollard::body_full(bytes.clone().into()))
        } else {
            request
        }
    }))
}

async fn write_flush(
    out: &mut (impl tokio::io::AsyncWrite + Unpin),
    bytes: &[u8],
) -> std::io::Result<()> {
    out.write_all(bytes).await?;
    out.flush().await
}

/// Copies msctl's standard input to the command, then closes the command's input.
///
/// Standard input is read on its own thread: a read blocked on a terminal cannot be
/// cancelled, and a thread left blocked does not keep the process from exiting, where a
/// task of tokio's blocking pool would keep the runtime from shutting down.
async fn forward_stdin(mut input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let spawned = std::thread::Builder::new()
        .name("msctl-stdin".to_string())
        .spawn(move || {
            use std::io::Read as _;
            let mut stdin = std::io::stdin();
            let mut buffer = vec![0u8; 8192];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => {
                        if sender.blocking_send(buffer[..read].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    if spawned.is_err() {
        let _ = input.shutdown().await;
        return;
    }
    while let Some(chunk) = receiver.recv().await {
        if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_is_remembered_until_its_network_is_created_or_removed_again() {
        let cache = GatewayCache::default();
        assert_eq!(
            cache.get("p_default"),
            None,
            "nothing before the first inspection"
        );
        cache.put("p_default", Some("172.18.0.1".to_string()));
        cache.put("p_ready", None);
        assert_eq!(cache.get("p_default"), Some(Some("172.18.0.1".to_string())));
        assert_eq!(
            cache.get("p_ready"),
            Some(None),
            "no IPv4 gateway is an answer too"
        );
        cache.forget("p_default");
        assert_eq!(cache.get("p_default"), None);
        assert_eq!(cache.get("p_ready"), Some(None), "other networks stay");
    }

    #[test]
    fn a_network_error_keeps_the_engines_words() {
        let pools = "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network";
        let created = |status: u16, message: &str| {
            network_error(
                "create_network",
                "p_default",
                "network `p_default`".to_string(),
                status,
                message,
            )
        };

        // Docker 20.10 answers 404 when its address pools are used up: not a `NotFound`.
        let exhausted = created(404, pools);
        assert!(
            matches!(exhausted, EngineError::AddressPoolsExhausted { .. }),
            "{exhausted:?}"
        );
        assert!(!exhausted.is_not_found());
        assert_eq!(
            exhausted.to_string(),
            format!("cannot create network `p_default`: the engine has no free address pool left (Docker: {pools})")
        );
        assert!(exhausted
            .hint()
            .unwrap_or_default()
            .contains("default-address-pools"));
        // Whatever the status, and in later engines' words.
        for (status, message) in [
            (400, pools),
            (500, pools),
            (
                400,
                "all predefined address pools have been fully subnetted",
            ),
        ] {
            let err = created(status, message);
            assert!(
                matches!(err, EngineError::AddressPoolsExhausted { .. }),
                "{err:?}"
            );
        }

        // Another 404 on create (a missing driver plugin) says what Docker said.
        let plugin = created(404, "plugin \"weave\" not found");
        assert!(!plugin.is_not_found(), "{plugin:?}");
        let text = plugin.to_string();
        assert!(text.contains("plugin \"weave\" not found"), "{text}");
        assert!(text.contains("`p_default`"), "{text}");
        assert!(created(409, "network with name p_default already exists").is_conflict());

        // A network that is gone is still `NotFound`, in Docker's words.
        for operation in ["inspect_network", "remove_network"] {
            let gone = network_error(
                operation,
                "foo",
                "network `foo`".to_string(),
                404,
                "network foo not found",
            );
            assert!(gone.is_not_found(), "{gone:?}");
            assert_eq!(gone.to_string(), "network foo not found");
            assert!(gone.hint().is_none());
        }
        let connect = |status: u16, message: &str| {
            network_error(
                "connect_network",
                "n",
                "network `n`".to_string(),
                status,
                message,
            )
        };
        let container = connect(404, "No such container: abc");
        assert!(container.is_not_found());
        assert_eq!(container.to_string(), "container abc not found");
        let odd = connect(404, "something else");
        assert!(odd.is_not_found());
        assert!(odd.to_string().contains("something else"), "{odd}");

        // A network with endpoints is a `Conflict` (`down` waits for them), still in
        // Docker's words; the endpoint taken is read from the message.
        let busy = network_error(
            "remove_network",
            "foo",
            "network `foo`".to_string(),
            403,
            "error while removing network: network foo id 1f2e has active endpoints",
        );
        assert!(busy.is_conflict(), "{busy:?}");
        assert!(
            busy.to_string().contains("it still has endpoints"),
            "{busy}"
        );
        assert!(busy.to_string().contains("has active endpoints"), "{busy}");
        let taken = connect(
            403,
            "endpoint with name shop-orders-2 already exists in network shop_default",
        );
        assert_eq!(
            endpoint_taken(&taken),
            Some(("shop-orders-2".to_string(), "shop_default".to_string()))
        );
        // `disconnect` reads "is not connected" from the message.
        let not_connected = network_error(
            "disconnect_network",
            "n",
            "`c` on network `n`".to_string(),
            403,
            "container c is not connected to network n",
        );
        assert!(
            matches!(&not_connected, EngineError::Other { message, .. } if message.contains("is not connected")),
            "{not_connected:?}"
        );
    }

    #[test]
    fn an_endpoint_left_behind_is_read_from_dockers_message() {
        let other = |message: &str| EngineError::Other {
            operation: "start_container".to_string(),
            message: message.to_string(),
        };
        assert_eq!(
            endpoint_taken(&other(
                "Docker responded with status code 403: endpoint with name shop-orders-2 already exists in network shop_default.ready.orders"
            )),
            Some(("shop-orders-2".to_string(), "shop_default.ready.orders".to_string()))
        );
        assert_eq!(
            endpoint_taken(&other(
                "Cannot start service orders: endpoint with name shop-orders-2 already exists in network \"shop_default\", retry"
            )),
            Some(("shop-orders-2".to_string(), "shop_default".to_string()))
        );
        assert_eq!(
            endpoint_taken(&other("network shop_default not found")),
            None
        );
        assert_eq!(
            endpoint_taken(&EngineError::NotFound {
                what: "endpoint with name a already exists in network b".to_string()
            }),
            None
        );
    }

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
    fn splits_the_timestamp_from_a_log_frame() {
        let line = log_line(
            LogOutput::StdErr {
                message: "2024-02-29T12:34:56.000000001Z hello world\n".into(),
            },
            0,
        );
        assert_eq!(line.stream, LogStream::Stderr);
        assert_eq!(line.timestamp_nanos, 1_709_210_096_000_000_001);
        assert_eq!(line.message, "hello world");
        let empty = log_line(
            LogOutput::StdOut {
                message: "2024-02-29T12:34:56.000000001Z \n".into(),
            },
            0,
        );
        assert_eq!(empty.message, "");
        let untimed = log_line(
            LogOutput::Console {
                message: "no time here\r\n".into(),
            },
            42,
        );
        assert_eq!(
            (untimed.timestamp_nanos, untimed.message.as_str()),
            (42, "no time here")
        );
    }

    fn engine_speaking(api_version: ApiVersion) -> DockerEngine {
        let docker =
            Docker::connect_with_http("tcp://127.0.0.1:1", 1, bollard::API_DEFAULT_VERSION)
                .expect("a client that is never used");
        DockerEngine {
            docker,
            address: "tcp://127.0.0.1:1".to_string(),
            api_version,
            environment: BTreeMap::new(),
            gateways: Default::default(),
        }
    }

    /// A service with every container key of real-world Compose files set.
    fn everything() -> (
        crate::manifest::model::Project,
        crate::manifest::model::Service,
    ) {
        use crate::manifest::model::{Device, Logging, Project, Service, ServiceNetwork, Ulimit};
        let service = Service {
            name: "web".to_string(),
            image: Some("img".to_string()),
            domainname: Some("example.org".to_string()),
            tty: true,
            stdin_open: true,
            logging: Some(Logging {
                driver: Some("json-file".to_string()),
                options: BTreeMap::from([("max-size".to_string(), "10m".to_string())]),
            }),
            sysctls: BTreeMap::from([("net.core.somaxconn".to_string(), "1024".to_string())]),
            ulimits: BTreeMap::from([(
                "nofile".to_string(),
                Ulimit {
                    soft: 1024,
                    hard: 2048,
                },
            )]),
            extra_hosts: vec!["db:10.0.0.5".to_string()],
            platform: Some("linux/amd64".to_string()),
            privileged: true,
            runtime: Some("runc".to_string()),
            dns: vec!["1.1.1.1".to_string()],
            dns_search: vec!["example.org".to_string()],
            dns_opt: vec!["ndots:2".to_string()],
            devices: vec![Device {
                source: "/dev/null".to_string(),
                target: "/dev/nothing".to_string(),
                permissions: "rw".to_string(),
            }],
            shm_size: Some(64 << 20),
            pid: Some("host".to_string()),
            ipc: Some("shareable".to_string()),
            group_add: vec!["audio".to_string()],
            pids_limit: Some(100),
            oom_score_adj: Some(-500),
            mem_limit: Some(256 << 20),
            memswap_limit: Some(-1),
            cpus: Some(0.5),
            cpu_shares: Some(512),
            cpuset: Some("0".to_string()),
            mac_address: Some("02:42:ac:11:00:99".to_string()),
            annotations: BTreeMap::from([("org.example/team".to_string(), "shop".to_string())]),
            networks: BTreeMap::from([(
                "default".to_string(),
                ServiceNetwork {
                    aliases: Vec::new(),
                    ipv4_address: Some("172.30.0.10".to_string()),
                    ipv6_address: None,
                },
            )]),
            ..Service::default()
        };
        let project = Project {
            registry: None,
            target: Default::default(),
            name: "demo".to_string(),
            working_dir: ".".into(),
            services: BTreeMap::from([("web".to_string(), service.clone())]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        (project, service)
    }

    #[test]
    fn every_container_key_reaches_the_engine_api() {
        let (project, service) = everything();
        let spec = ContainerSpec::for_replica(&project, &service, 1, "hash");
        let body = engine_speaking(ApiVersion::new(1, 41))
            .create_body(&spec)
            .expect("a body");
        assert_eq!(body.domainname.as_deref(), Some("example.org"));
        assert_eq!((body.tty, body.open_stdin), (Some(true), Some(true)));
        let host = body.host_config.clone().expect("a host config");
        let log = host.log_config.expect("a log config");
        assert_eq!(log.typ.as_deref(), Some("json-file"));
        assert_eq!(log.config.expect("options")["max-size"], "10m");
        assert_eq!(host.sysctls.expect("sysctls")["net.core.somaxconn"], "1024");
        let ulimits = host.ulimits.expect("ulimits");
        assert_eq!(
            (ulimits[0].name.as_deref(), ulimits[0].soft, ulimits[0].hard),
            (Some("nofile"), Some(1024), Some(2048))
        );
        assert_eq!(host.extra_hosts, Some(vec!["db:10.0.0.5".to_string()]));
        assert_eq!(host.privileged, Some(true));
        assert_eq!(host.runtime.as_deref(), Some("runc"));
        assert_eq!(host.dns, Some(vec!["1.1.1.1".to_string()]));
        assert_eq!(host.dns_search, Some(vec!["example.org".to_string()]));
        assert_eq!(host.dns_options, Some(vec!["ndots:2".to_string()]));
        let device = &host.devices.expect("devices")[0];
        assert_eq!(
            (
                device.path_on_host.as_deref(),
                device.path_in_container.as_deref(),
                device.cgroup_permissions.as_deref()
            ),
            (Some("/dev/null"), Some("/dev/nothing"), Some("rw"))
        );
        assert_eq!(host.shm_size, Some(64 << 20));
        assert_eq!(host.pid_mode.as_deref(), Some("host"));
        assert_eq!(host.ipc_mode.as_deref(), Some("shareable"));
        assert_eq!(host.group_add, Some(vec!["audio".to_string()]));
        assert_eq!(host.pids_limit, Some(100));
        assert_eq!(host.oom_score_adj, Some(-500));
        // Legacy `mem_limit` and `cpus` stand in for `deploy.resources.limits`.
        assert_eq!(host.memory, Some(256 << 20));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.memory_swap, Some(-1));
        assert_eq!(host.cpu_shares, Some(512));
        assert_eq!(host.cpuset_cpus.as_deref(), Some("0"));
        // API 1.41 has no annotations, and takes the MAC address on the container.
        assert_eq!(host.annotations, None);
        let endpoint = &body
            .networking_config
            .clone()
            .and_then(|config| config.endpoints_config)
            .expect("an endpoint")["demo_default"];
        assert_eq!(
            endpoint
                .ipam_config
                .as_ref()
                .and_then(|ipam| ipam.ipv4_address.as_deref()),
            Some("172.30.0.10")
        );
        assert_eq!(endpoint.mac_address, None);
        let engine = engine_speaking(ApiVersion::new(1, 41));
        let client = with_config_mac_address(&engine.docker, &body, "02:42:ac:11:00:99");
        assert!(client.is_ok());
        assert_eq!(
            engine.left_out(&spec),
            vec!["`annotations` need Docker Engine API 1.43, the engine speaks 1.41: left out"]
        );
    }

    #[test]
    fn newer_engines_get_annotations_and_the_mac_address_on_the_endpoint() {
        let (project, service) = everything();
        let spec = ContainerSpec::for_replica(&project, &service, 1, "hash");
        let engine = engine_speaking(ApiVersion::new(1, 44));
        let body = engine.create_body(&spec).expect("a body");
        let annotations = body
            .host_config
            .and_then(|host| host.annotations)
            .expect("annotations");
        assert_eq!(annotations["org.example/team"], "shop");
        let endpoint = &body
            .networking_config
            .and_then(|config| config.endpoints_config)
            .expect("an endpoint")["demo_default"];
        assert_eq!(endpoint.mac_address.as_deref(), Some("02:42:ac:11:00:99"));
        assert!(engine.left_out(&spec).is_empty());
    }

    #[test]
    fn a_shared_network_stack_is_the_network_mode_and_no_endpoint() {
        let (mut project, mut service) = everything();
        service.networks.clear();
        service.network_mode = Some(crate::manifest::model::NetworkMode::Service(
            "db".to_string(),
        ));
        project.services.insert("web".to_string(), service.clone());
        let spec = ContainerSpec::for_replica(&project, &service, 1, "hash");
        let body = engine_speaking(ApiVersion::new(1, 41))
            .create_body(&spec)
            .expect("a body");
        let host = body.host_config.expect("a host config");
        assert_eq!(host.network_mode.as_deref(), Some("container:demo-db-1"));
        assert_eq!(
            host.extra_hosts, None,
            "Docker refuses them with a shared stack"
        );
        assert_eq!(host.dns, None);
        assert!(body.networking_config.is_none());
    }

    #[test]
    fn a_config_and_a_secret_of_one_name_get_files_of_their_own() {
        let state = tempfile::tempdir().expect("a state directory");
        let mut engine = engine_speaking(ApiVersion::new(1, 41));
        engine.environment.insert(
            "MSCTL_STATE_DIR".to_string(),
            state.path().to_string_lossy().into_owned(),
        );
        engine
            .environment
            .insert("TOKEN".to_string(), "s3cret".to_string());
        let mount = |source: SecretSource| SecretMount {
            name: "app".to_string(),
            source,
            target: "/run/app".to_string(),
        };
        let secret = engine
            .secret_host_path(
                "demo",
                FileKind::Secret,
                &mount(SecretSource::Environment("TOKEN".to_string())),
            )
            .expect("the secret's file");
        let config = engine
            .secret_host_path(
                "demo",
                FileKind::Config,
                &mount(SecretSource::Content("level: debug\n".to_string())),
            )
            .expect("the config's file");
        assert_ne!(secret, config);
        assert_eq!(
            std::fs::read_to_string(&secret).ok().as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            std::fs::read_to_string(&config).ok().as_deref(),
            Some("level: debug\n")
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o777)
                .ok()
        };
        // Readable by a container's non-root user; the directory keeps host users out.
        assert_eq!(mode(&config), Some(0o444));
        assert_eq!(mode(config.parent().expect("dir")), Some(0o700));
        assert_eq!(mode(secret.parent().expect("dir")), Some(0o700));
        // Writing again replaces the read-only file.
        let again = engine
            .secret_host_path(
                "demo",
                FileKind::Config,
                &mount(SecretSource::Content("level: info\n".to_string())),
            )
            .expect("rewritten");
        assert_eq!(
            std::fs::read_to_string(&again).ok().as_deref(),
            Some("level: info\n")
        );
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

    #[test]
    fn expands_exposed_port_ranges() {
        assert_eq!(expand_expose("3000"), vec!["3000/tcp"]);
        assert_eq!(expand_expose("53/udp"), vec!["53/udp"]);
        assert_eq!(
            expand_expose("3000-3002"),
            vec!["3000/tcp", "3001/tcp", "3002/tcp"]
        );
    }

    #[test]
    fn names_health_events() {
        let message = EventMessage {
            typ: Some(EventMessageTypeEnum::CONTAINER),
            action: Some("health_status: unhealthy".to_string()),
            actor: Some(bollard::models::EventActor {
                id: Some("abc".to_string()),
                attributes: Some(HashMap::from([
                    ("name".to_string(), "demo-web-1".to_string()),
                    ("image".to_string(), "img".to_string()),
                    (labels::PROJECT.to_string(), "demo".to_string()),
                ])),
            }),
            time_nano: Some(5),
            ..EventMessage::default()
        };
        let event = event_of(message).expect("a container event");
        assert_eq!(event.action, EventAction::HealthStatus(Health::Unhealthy));
        assert_eq!(event.container_name, "demo-web-1");
        assert_eq!(
            event.labels,
            BTreeMap::from([(labels::PROJECT.to_string(), "demo".to_string())])
        );
    }
}

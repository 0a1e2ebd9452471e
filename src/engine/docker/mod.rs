//! The Docker Engine, through bollard: the only place msctl speaks the Engine API for
//! containers, networks, volumes and images (`build/` uses it for builds).
//!
//! Every call is bounded by a timeout, and every bollard error is mapped here, once,
//! into an [`EngineError`] kind: callers never see an HTTP status code.
//!
//! This file holds the connection (the address and the negotiated API version), the
//! call and timeout plumbing with the error mapping, and the [`Engine`] implementation,
//! whose methods hand each call to the file of its resource (`list_networks` to
//! `DockerEngine::list_networks_impl` in `networks.rs`, and so on): `containers.rs`,
//! `create.rs` (the body of a container's creation), `networks.rs`, `volumes.rs`,
//! `images.rs` (registry transfers are in `docker_images.rs` beside this folder),
//! `exec.rs` and `logs.rs` (logs and events).

mod containers;
mod create;
mod exec;
mod images;
mod logs;
mod networks;
mod volumes;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use futures_util::stream::BoxStream;

use super::ListedContainer;
use super::{
    ContainerDetails, ContainerSpec, ContainerSummary, Engine, EngineError, EngineEvent, ExecSpec,
    ImageDetails, LabelFilter, LogLine, LogOptions, NetworkAttachment, NetworkEndpoint,
    NetworkSpec, NetworkSummary, ProgressSink, RegistryAuth, VolumeSpec, VolumeSummary,
};
pub(super) use logs::{log_line, log_line_of};
use networks::GatewayCache;

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

/// What the engine says of itself: its version, the newest and oldest API versions it
/// speaks, and its platform.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerVersion {
    pub version: String,
    pub api_version: String,
    pub min_api_version: String,
    pub os: String,
    pub arch: String,
}

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

impl DockerEngine {
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

    /// What the engine says of itself (`GET /version`), for `msctl version`.
    pub async fn server_version(&self) -> Result<ServerVersion, EngineError> {
        let answer = self
            .call(
                "version",
                || "the engine".to_string(),
                CALL_TIMEOUT,
                self.docker.version(),
            )
            .await?;
        Ok(ServerVersion {
            version: answer.version.unwrap_or_default(),
            api_version: answer.api_version.unwrap_or_default(),
            min_api_version: answer.min_api_version.unwrap_or_default(),
            os: answer.os.unwrap_or_default(),
            arch: answer.arch.unwrap_or_default(),
        })
    }

    /// The bollard client, for `build/`: the one other module allowed to speak the API.
    pub fn client(&self) -> &Docker {
        &self.docker
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

#[async_trait]
impl Engine for DockerEngine {
    async fn list_containers(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        self.list_containers_impl(filter).await
    }

    async fn list_containers_with_ports(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ListedContainer>, EngineError> {
        self.list_containers_with_ports_impl(filter).await
    }

    async fn inspect_container(&self, container_id: &str) -> Result<ContainerDetails, EngineError> {
        self.inspect_container_impl(container_id).await
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        self.create_container_impl(spec).await
    }

    async fn start_container(&self, container_id: &str) -> Result<(), EngineError> {
        self.start_container_impl(container_id).await
    }

    async fn stop_container(
        &self,
        container_id: &str,
        timeout: Duration,
    ) -> Result<(), EngineError> {
        self.stop_container_impl(container_id, timeout).await
    }

    async fn remove_container(
        &self,
        container_id: &str,
        remove_anonymous_volumes: bool,
    ) -> Result<(), EngineError> {
        self.remove_container_impl(container_id, remove_anonymous_volumes)
            .await
    }

    async fn list_networks(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<NetworkSummary>, EngineError> {
        self.list_networks_impl(filter).await
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String, EngineError> {
        self.create_network_impl(spec).await
    }

    async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        self.remove_network_impl(name).await
    }

    async fn network_endpoints(&self, name: &str) -> Result<Vec<NetworkEndpoint>, EngineError> {
        self.network_endpoints_impl(name).await
    }

    async fn remove_stale_endpoint(
        &self,
        network: &str,
        endpoint: &str,
    ) -> Result<(), EngineError> {
        self.remove_stale_endpoint_impl(network, endpoint).await
    }

    async fn connect_network(
        &self,
        container_id: &str,
        attachment: &NetworkAttachment,
    ) -> Result<(), EngineError> {
        self.connect_network_impl(container_id, attachment).await
    }

    async fn disconnect_network(
        &self,
        container_id: &str,
        network_name: &str,
    ) -> Result<(), EngineError> {
        self.disconnect_network_impl(container_id, network_name)
            .await
    }

    async fn list_volumes(&self, filter: &LabelFilter) -> Result<Vec<VolumeSummary>, EngineError> {
        self.list_volumes_impl(filter).await
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<(), EngineError> {
        self.create_volume_impl(spec).await
    }

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError> {
        self.remove_volume_impl(name).await
    }

    async fn container_logs(
        &self,
        container_id: &str,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogLine, EngineError>>, EngineError> {
        self.container_logs_impl(container_id, options).await
    }

    async fn events(
        &self,
        filter: &LabelFilter,
    ) -> Result<BoxStream<'static, Result<EngineEvent, EngineError>>, EngineError> {
        self.events_impl(filter).await
    }

    async fn exec(&self, container_id: &str, spec: &ExecSpec) -> Result<i64, EngineError> {
        self.exec_impl(container_id, spec).await
    }

    async fn image_exists(&self, reference: &str) -> Result<bool, EngineError> {
        self.image_exists_impl(reference).await
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
        self.remove_image_impl(reference).await
    }

    async fn rename_container(
        &self,
        container_id: &str,
        new_name: &str,
    ) -> Result<(), EngineError> {
        self.rename_container_impl(container_id, new_name).await
    }

    async fn kill_container(&self, container_id: &str, signal: &str) -> Result<(), EngineError> {
        self.kill_container_impl(container_id, signal).await
    }

    async fn pause_container(&self, container_id: &str) -> Result<(), EngineError> {
        self.pause_impl(container_id, true).await
    }

    async fn unpause_container(&self, container_id: &str) -> Result<(), EngineError> {
        self.pause_impl(container_id, false).await
    }

    async fn copy_into_container(
        &self,
        container_id: &str,
        path: &str,
        tar: Vec<u8>,
    ) -> Result<(), EngineError> {
        self.copy_into_impl(container_id, path, tar).await
    }

    async fn top(&self, container_id: &str) -> Result<super::Processes, EngineError> {
        self.top_impl(container_id).await
    }

    async fn cpu_percent(&self, container_id: &str) -> Result<f64, EngineError> {
        self.cpu_percent_impl(container_id).await
    }

    fn left_out(&self, spec: &ContainerSpec) -> Vec<String> {
        self.left_out_impl(spec)
    }
}

//! The container engine, behind a trait: the only way the rest of msctl talks to Docker
//! (or to the in-memory [`fake::FakeEngine`] in tests).
//!
//! Implementations map every transport error into an [`EngineError`] kind, bound every
//! call that can hang with a timeout, and return containers with their labels so callers
//! can tell msctl's resources from everything else.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::BoxStream;

pub mod dns;
pub mod docker;
mod docker_images;
mod error;
pub mod fake;
mod log_reader;
pub mod merged_logs;
pub mod swarm;
mod terminal;
mod timestamp;

pub use docker::DockerEngine;
pub use docker_images::{split_for_pull as split_image_tag, TRANSFER_IDLE};
pub use error::{BoxError, EngineError};
// What msctl asks an engine to create is planned (`crate::plan::spec`).
use crate::plan::spec::{
    AttachSpec, ContainerSpec, ExecOutput, ExecSpec, MountSpec, NetworkAttachment, NetworkSpec,
    SecretMount, SecretSource, VolumeSpec,
};
pub use timestamp::{format_rfc3339_nanos, parse_rfc3339_nanos};

use crate::plan::{
    labels, ContainerState, Health, ObservedContainer, ObservedNetwork, ObservedState,
    ObservedVolume,
};

/// How many engine operations run at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

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
    /// Docker's network mode as the engine keeps it (`container:<id>` for a shared
    /// network stack); `None` when the engine does not say.
    pub network_mode: Option<String>,
    /// The engine names of the networks it is attached to, sorted.
    pub networks: Vec<String>,
}

impl ContainerSummary {
    /// The service msctl created it for (its `io.msctl.service` label).
    pub fn service(&self) -> Option<&str> {
        self.labels
            .get(crate::plan::labels::SERVICE)
            .map(String::as_str)
    }

    /// A one-off container (`msctl run`), not a replica.
    pub fn is_oneoff(&self) -> bool {
        self.labels
            .get(crate::plan::labels::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Its replica number (its `io.msctl.replica` label).
    pub fn replica(&self) -> Option<u32> {
        self.labels.get(crate::plan::labels::REPLICA)?.parse().ok()
    }
}

/// A container as inspected: the summary and what only inspection tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDetails {
    pub summary: ContainerSummary,
    /// How many times the engine restarted it under its restart policy.
    pub restart_count: u64,
    /// Network engine name -> the container's IP address there.
    pub ip_addresses: BTreeMap<String, String>,
    /// Network engine name -> that network's gateway as the container sees it (where
    /// msctl's resolver listens on a bridge).
    pub gateways: BTreeMap<String, String>,
    /// When the container was created, RFC 3339 as the engine reports it.
    pub created: Option<String>,
    /// When the container last started, RFC 3339; `None` when it never started.
    pub started_at: Option<String>,
    /// When the container last stopped, RFC 3339; `None` when it never stopped.
    pub finished_at: Option<String>,
    /// The exit code of the last run; `None` while it never ran or runs.
    pub exit_code: Option<i64>,
    /// The outputs of the last health checks the engine ran, most recent last (Docker
    /// keeps five).
    pub health_log: Vec<String>,
    /// How many health checks in a row failed, up to now (0 after one passes, and with
    /// no health check).
    pub failing_streak: u32,
    /// Published ports, `host_ip:published->target/protocol`, sorted.
    pub ports: Vec<String>,
}

/// A container's resource use, as `docker stats` shows it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Stats {
    /// Percent of one CPU (200 = two CPUs busy).
    pub cpu_percent: f64,
    /// Memory in use, without the page cache.
    pub memory_bytes: u64,
    /// The container's memory limit (the host's memory when it has none).
    pub memory_limit_bytes: u64,
    pub network_rx_bytes: u64,
    pub network_tx_bytes: u64,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
    pub pids: u64,
}

/// What is at a path in a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathStat {
    pub is_dir: bool,
    pub size: i64,
    /// Where a symbolic link points; empty for anything else.
    pub link_target: String,
}

/// Which of a container's output streams a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogStream {
    Stdout,
    Stderr,
}

impl LogStream {
    pub fn as_str(self) -> &'static str {
        match self {
            LogStream::Stdout => "stdout",
            LogStream::Stderr => "stderr",
        }
    }
}

/// One line of a container's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: LogStream,
    /// When the engine received the line, in nanoseconds since the Unix epoch.
    pub timestamp_nanos: i64,
    /// The line without its trailing newline.
    pub message: String,
}

/// Which part of a container's log to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep the stream open and send lines as they are written, until the container stops.
    pub follow: bool,
    /// Only the last `n` lines (before following).
    pub tail: Option<u64>,
    /// Only lines written at or after this time, in seconds since the Unix epoch.
    pub since: Option<i64>,
    /// Only lines written before this time, in seconds since the Unix epoch.
    pub until: Option<i64>,
}

/// What happened to a container, as an engine event reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    Create,
    Start,
    /// The main process exited (the event carries the exit code).
    Die,
    Kill,
    Stop,
    Restart,
    Pause,
    Unpause,
    Destroy,
    Oom,
    /// The health check changed the container's health.
    HealthStatus(Health),
    /// Any other action, as the engine names it (`exec_start: sh`, `rename`, ...).
    Other(String),
}

/// A container event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    pub container_id: String,
    /// Without Docker's leading `/`; empty when the event does not say.
    pub container_name: String,
    pub action: EventAction,
    /// The container's labels.
    pub labels: BTreeMap<String, String>,
    /// The exit code, on `Die`.
    pub exit_code: Option<i64>,
    /// When it happened, in nanoseconds since the Unix epoch.
    pub time_nanos: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// Its IPv4 gateway, when the engine gave it one (a bridge's is on the host).
    pub gateway: Option<std::net::Ipv4Addr>,
}

/// An endpoint a network holds: Docker names it after its container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkEndpoint {
    pub container_id: String,
    /// The container's name, without Docker's leading `/`.
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSummary {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// The processes of a container: the column titles of `ps`, and one row per process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processes {
    pub titles: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What the engine knows of an image it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageDetails {
    /// `sha256:...`.
    pub id: String,
    /// The names it was pulled or pushed by, with their manifest digests
    /// (`127.0.0.1:5000/shop/orders@sha256:...`).
    pub repo_digests: Vec<String>,
    /// `linux`, `amd64`, and the variant when there is one (`v8`).
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// The names it has (`shop/orders:latest`).
    pub repo_tags: Vec<String>,
    /// Its size on disk, in bytes.
    pub size: u64,
    /// When a name was last put on it (a pull, a tag, a build), in ms since the epoch.
    pub last_tag_time_ms: Option<i64>,
    pub labels: BTreeMap<String, String>,
}

impl ImageDetails {
    /// Whether the image is for `platform` (`OS/ARCH[/VARIANT]`); an image whose variant
    /// is not recorded matches any variant.
    pub fn is_for_platform(&self, platform: &str) -> bool {
        let mut parts = platform.split('/');
        let os = parts.next().unwrap_or_default();
        let architecture = parts.next().unwrap_or_default();
        let variant = parts.next();
        os == self.os
            && architecture == self.architecture
            && match (variant, self.variant.as_deref()) {
                (Some(wanted), Some(have)) => wanted == have,
                _ => true,
            }
    }
}

/// The credentials a registry wants, sent with a pull or a push. Never printed: its
/// `Debug` leaves the secrets out.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegistryAuth {
    pub username: String,
    pub password: String,
    pub identity_token: Option<String>,
    /// The registry as its credentials are keyed (`127.0.0.1:5000`,
    /// `https://index.docker.io/v1/`).
    pub server_address: String,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("server_address", &self.server_address)
            .finish()
    }
}

/// One progress message of a pull or a push, per layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferProgress {
    /// The layer it is about (a short id), or empty for the image as a whole.
    pub layer: String,
    /// The engine's words: `Downloading`, `Pull complete`, `Pushed`, `Digest: sha256:...`.
    pub status: String,
    /// Bytes done and in all, while a layer moves.
    pub current: Option<u64>,
    pub total: Option<u64>,
}

/// Where the progress of a pull or push goes.
pub type ProgressSink<'a> = &'a (dyn Fn(TransferProgress) + Send + Sync);

/// A container as a listing shows it, with its published ports and creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedContainer {
    pub summary: ContainerSummary,
    pub ports: Vec<String>,
    pub created: Option<String>,
}

/// The operations msctl needs from a container engine.
#[async_trait]
pub trait Engine: Send + Sync {
    /// All containers, running or not, whose labels match `filter`.
    async fn list_containers(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ContainerSummary>, EngineError>;

    /// The containers matching `filter` with the host ports they publish
    /// (`HOST_IP:PORT->TARGET/PROTO`, sorted) and their creation time: what `ps` shows,
    /// from one listing where the engine gives it (by default, a listing and an inspect
    /// of each).
    async fn list_containers_with_ports(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<ListedContainer>, EngineError> {
        let containers = self.list_containers(filter).await?;
        let inspected = futures_util::future::join_all(
            containers.iter().map(|c| self.inspect_container(&c.id)),
        )
        .await;
        Ok(containers
            .into_iter()
            .zip(inspected)
            // A container removed between list and inspect is simply gone.
            .filter_map(|(summary, details)| {
                let details = details.ok()?;
                Some(ListedContainer {
                    summary,
                    ports: details.ports,
                    created: details.created,
                })
            })
            .collect())
    }

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

    /// Removes a network; one that still has endpoints is a `Conflict`.
    async fn remove_network(&self, name: &str) -> Result<(), EngineError>;

    /// The endpoints a network still has.
    async fn network_endpoints(&self, name: &str) -> Result<Vec<NetworkEndpoint>, EngineError>;

    /// Removes the endpoint named `endpoint` (its container's name) from a network by
    /// force: the way to clear an endpoint whose container is gone, which Docker can
    /// leave behind when a container is attached while it stops. One not there is not an
    /// error.
    async fn remove_stale_endpoint(&self, network: &str, endpoint: &str)
        -> Result<(), EngineError>;

    /// Attaches a container, running or not, to a network with the attachment's DNS
    /// aliases; a container already attached is not an error.
    async fn connect_network(
        &self,
        container_id: &str,
        attachment: &NetworkAttachment,
    ) -> Result<(), EngineError>;

    /// Detaches a container from a network; one not attached is not an error.
    async fn disconnect_network(
        &self,
        container_id: &str,
        network_name: &str,
    ) -> Result<(), EngineError>;

    async fn list_volumes(&self, filter: &LabelFilter) -> Result<Vec<VolumeSummary>, EngineError>;

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<(), EngineError>;

    async fn remove_volume(&self, name: &str) -> Result<(), EngineError>;

    /// The lines of a container's log, oldest first. With `follow`, the stream stays open
    /// until the container stops or the stream is dropped.
    async fn container_logs(
        &self,
        container_id: &str,
        options: &LogOptions,
    ) -> Result<BoxStream<'static, Result<LogLine, EngineError>>, EngineError>;

    /// Container events from now on, for containers whose labels match `filter`. The
    /// stream ends only when dropped (or when the engine goes away, with an error).
    async fn events(
        &self,
        filter: &LabelFilter,
    ) -> Result<BoxStream<'static, Result<EngineEvent, EngineError>>, EngineError>;

    /// Runs a command in a running container, wired to msctl's standard streams, and
    /// returns its exit code.
    async fn exec(&self, container_id: &str, spec: &ExecSpec) -> Result<i64, EngineError>;

    /// Wires msctl's standard streams to a container's main process (standard input when
    /// `spec.stdin`), starts the container when `spec.start`, copies its output until it
    /// ends, and returns its exit code; `None` when msctl was detached by the detach keys
    /// and the container runs on.
    async fn attach(
        &self,
        container_id: &str,
        spec: &AttachSpec,
    ) -> Result<Option<i64>, EngineError>;

    /// Waits until a container is not running, and returns its exit code.
    async fn wait_container(&self, container_id: &str) -> Result<i64, EngineError>;

    /// Whether the engine has an image with this reference (name:tag or id).
    async fn image_exists(&self, reference: &str) -> Result<bool, EngineError>;

    /// The engine's record of an image, or `None` when it has no image by this reference.
    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageDetails>, EngineError>;

    /// Pulls `reference` (`name:tag` or `name@sha256:...`) from its registry, for
    /// `platform` when given, sending `auth` when given; `progress` sees each message.
    /// A registry that refuses the credentials (or wants some) is `Denied`; an unknown
    /// image or tag `NotFound`; a pull that stops making progress a `Timeout`.
    async fn pull_image(
        &self,
        reference: &str,
        platform: Option<&str>,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<(), EngineError>;

    /// Pushes the local image `reference` (`registry/name:tag`) to its registry and
    /// returns the manifest digest the registry stored (`sha256:...`).
    async fn push_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<String, EngineError>;

    /// Puts the name `target` (`name:tag`) on the image `source`.
    async fn tag_image(&self, source: &str, target: &str) -> Result<(), EngineError>;

    /// Imports `rootfs`, the tar of a root filesystem, as the image `reference`, with
    /// `changes` (Dockerfile instructions such as `ENTRYPOINT [...]`) applied.
    async fn import_image(
        &self,
        reference: &str,
        rootfs: Vec<u8>,
        changes: Vec<String>,
    ) -> Result<(), EngineError>;

    /// Removes an image; a missing image is `NotFound`, one in use a `Conflict`.
    async fn remove_image(&self, reference: &str) -> Result<(), EngineError>;

    /// Renames a container (running or not).
    async fn rename_container(&self, container_id: &str, new_name: &str)
        -> Result<(), EngineError>;

    /// Sends `signal` (`SIGKILL`, `SIGTERM`, ...) to a running container's main process.
    async fn kill_container(&self, container_id: &str, signal: &str) -> Result<(), EngineError>;

    /// Freezes every process of a running container (the cgroup freezer).
    async fn pause_container(&self, container_id: &str) -> Result<(), EngineError>;

    /// Thaws a paused container.
    async fn unpause_container(&self, container_id: &str) -> Result<(), EngineError>;

    /// The processes of a running container, as `ps -ef` on the engine's host lists them.
    async fn top(&self, container_id: &str) -> Result<Processes, EngineError>;

    /// The CPU use of a running container, in percent of one CPU (200 = two CPUs busy),
    /// measured by the engine over about a second.
    async fn cpu_percent(&self, container_id: &str) -> Result<f64, EngineError>;

    /// A sample of a running container's resource use, taken by the engine over about a
    /// second.
    async fn stats(&self, container_id: &str) -> Result<Stats, EngineError>;

    /// What is at `path` in a container; `None` when nothing is.
    async fn path_stat(
        &self,
        container_id: &str,
        path: &str,
    ) -> Result<Option<PathStat>, EngineError>;

    /// A tar archive of `path` in a container, whose top entry is `path`'s last
    /// component. A missing path is `NotFound`.
    async fn download_path(&self, container_id: &str, path: &str) -> Result<Vec<u8>, EngineError>;

    /// Extracts the tar archive `tar` into the existing directory `dir` of a container
    /// (`cp`, and `watch`'s sync);
    /// `keep_owner` keeps the archive's owners (else the files are the container user's).
    async fn upload_archive(
        &self,
        container_id: &str,
        dir: &str,
        tar: Vec<u8>,
        keep_owner: bool,
    ) -> Result<(), EngineError>;

    /// What this engine leaves out of `spec` when it creates the container, because its
    /// API cannot carry it (an older Docker API version): one lowercase message each,
    /// naming the setting and why. Callers warn once per service.
    fn left_out(&self, _spec: &ContainerSpec) -> Vec<String> {
        Vec::new()
    }
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
            network_mode: summary.network_mode,
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

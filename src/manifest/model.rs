//! The validated domain model of a project: what `load` produces and everything else reads.
//!
//! Every value here is already interpolated, merged across files, defaulted and checked.
//! Field order is the order `msctl config` prints, so keep it stable.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A whole project: the merged manifests after validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Project {
    pub name: String,
    /// Where the project runs: this engine's containers, or a Swarm's services
    /// (`x-msctl.target`, `--target`, `MSCTL_TARGET`).
    #[serde(default, skip_serializing_if = "Target::is_local")]
    pub target: Target,
    /// The registry msctl pushes the images it builds to, and a Swarm's nodes pull
    /// them from (`x-msctl.registry`: `HOST[:PORT][/PATH]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The directory relative paths are resolved against.
    #[serde(skip)]
    pub working_dir: PathBuf,
    pub services: BTreeMap<String, Service>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Network>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Volume>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Secret>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, Config>,
}

/// One service: the template every replica is created from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Service {
    #[serde(skip)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// `None` means "take the value from msctl's own environment when it is set".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Option<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Mount>,
    pub networks: BTreeMap<String, ServiceNetwork>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, Dependency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    pub deploy: Deploy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartMode>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration"
    )]
    pub stop_grace_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ServiceSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// A fixed container name: the service then has at most one replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub tty: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    /// `HOST:IP` entries for the container's /etc/hosts, in the order written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// When the image is pulled from its registry; `None` is Compose's default
    /// (`missing`, and build rather than pull for a service with a build).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<PullPolicy>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<NetworkMode>,
    /// `SERVICE[:ALIAS]` as written; the alias becomes a DNS name of SERVICE.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Device>,
    /// Bytes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_bytes",
        deserialize_with = "de_opt_bytes"
    )]
    pub shm_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    /// Legacy `mem_limit`, bytes; `deploy.resources.limits.memory` wins when both are set.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_bytes",
        deserialize_with = "de_opt_bytes"
    )]
    pub mem_limit: Option<u64>,
    /// Bytes of memory plus swap; -1 for unlimited swap. Printed as a string of digits,
    /// as the other sizes are.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_signed_bytes",
        deserialize_with = "de_opt_signed_bytes"
    )]
    pub memswap_limit: Option<i64>,
    /// Legacy `cpus`; `deploy.resources.limits.cpus` wins when both are set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<ServiceConfig>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Commands run in each replica right after it starts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<Hook>,
    /// Commands run in each replica before it is stopped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<Hook>,
    /// msctl's own settings from `x-msctl`.
    #[serde(
        rename = "x-msctl",
        default,
        skip_serializing_if = "Extensions::is_empty"
    )]
    pub extensions: Extensions,
}

impl Service {
    /// The number of replicas the manifest asks for (`deploy.replicas`, or `scale`, or 1).
    pub fn replicas(&self) -> u32 {
        self.deploy.replicas
    }

    /// The memory limit in bytes: `deploy.resources.limits.memory`, else `mem_limit`.
    pub fn memory_limit(&self) -> Option<u64> {
        self.deploy.resources.limits.memory.or(self.mem_limit)
    }

    /// The CPU limit: `deploy.resources.limits.cpus`, else `cpus`.
    pub fn cpu_limit(&self) -> Option<f64> {
        self.deploy.resources.limits.cpus.or(self.cpus)
    }

    /// The services this one needs running first without naming them in `depends_on`:
    /// the targets of `links`, and the service whose network it shares.
    pub fn implicit_dependencies(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .links
            .iter()
            .map(|link| link.split(':').next().unwrap_or(link).to_string())
            .collect();
        if let Some(NetworkMode::Service(name)) = &self.network_mode {
            out.push(name.clone());
        }
        out.sort();
        out.dedup();
        out
    }
}

/// `logging:`: the container's log driver and its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Logging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// One `ulimits:` entry; a single number sets both limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

/// `network_mode:`: the container shares a network stack instead of joining networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    Host,
    None,
    Bridge,
    /// `service:NAME`: the stack of the first replica of another service.
    Service(String),
    /// `container:NAME`: the stack of a container msctl does not manage.
    Container(String),
}

impl std::fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetworkMode::Host => f.write_str("host"),
            NetworkMode::None => f.write_str("none"),
            NetworkMode::Bridge => f.write_str("bridge"),
            NetworkMode::Service(name) => write!(f, "service:{name}"),
            NetworkMode::Container(name) => write!(f, "container:{name}"),
        }
    }
}

impl Serialize for NetworkMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NetworkMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "host" => NetworkMode::Host,
            "none" => NetworkMode::None,
            "bridge" => NetworkMode::Bridge,
            other => match other.split_once(':') {
                Some(("service", name)) => NetworkMode::Service(name.to_string()),
                Some(("container", name)) => NetworkMode::Container(name.to_string()),
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "`{text}` is not a network mode"
                    )))
                }
            },
        })
    }
}

/// `devices:`: a host device made visible in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub source: String,
    pub target: String,
    pub permissions: String,
}

/// A config a service mounts read-only at `target` (`/<source>` unless given).
pub type ServiceConfig = ServiceFile;

/// `post_start` / `pre_stop`: a command run inside a replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Build {
    /// Absolute path of the build context.
    pub context: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The Dockerfile's text, given in the manifest instead of a file of the context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// One container port, published or not. Port ranges are expanded into one `Port` each.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Port {
    pub target: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    pub protocol: Protocol,
    /// The long form's `mode`; `None` when the manifest does not say. `ingress` sends a
    /// published port through msctl's ingress even with one replica (see
    /// `plan::ingress`); `host` changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<PortMode>,
}

/// How a published port reaches a service (Compose's long-form `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortMode {
    /// Through a listener in front of the replicas that spreads connections over them.
    Ingress,
    /// Bound on the container itself.
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountType {
    Volume,
    Bind,
    Tmpfs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: MountType,
    /// Volume name (project volume key) or absolute host path; `None` for an anonymous volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServiceNetwork {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    #[default]
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    pub condition: Condition,
    /// Restart this service when the dependency is restarted or recreated.
    pub restart: bool,
    /// A dependency that is not required may be missing from the project.
    pub required: bool,
}

/// The Compose health check, set on the container so Docker runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Healthcheck {
    /// Normalised to Docker's form: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
    pub test: Vec<String>,
    #[serde(
        default,
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub interval: Option<Duration>,
    #[serde(
        default,
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(
        default,
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_period: Option<Duration>,
    #[serde(
        default,
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_interval: Option<Duration>,
}

impl Healthcheck {
    pub fn is_disabled(&self) -> bool {
        self.test.first().map(String::as_str) == Some("NONE")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deploy {
    pub replicas: u32,
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    /// `mode: global`: one task on every eligible node (Swarm target only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub global: bool,
    /// How other services reach this one on a Swarm (Swarm target only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_mode: Option<EndpointMode>,
    /// Where a Swarm places the tasks (Swarm target only).
    #[serde(default, skip_serializing_if = "Placement::is_empty")]
    pub placement: Placement,
    /// Labels of the Swarm service object (Swarm target only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Default for Deploy {
    fn default() -> Self {
        Deploy {
            replicas: 1,
            resources: Resources::default(),
            restart_policy: None,
            update_config: None,
            rollback_config: None,
            global: false,
            endpoint_mode: None,
            placement: Placement::default(),
            labels: BTreeMap::new(),
        }
    }
}

/// Where a project runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Containers on the one engine msctl talks to, kept healthy by msctl.
    #[default]
    Local,
    /// Services of the Swarm whose manager msctl talks to.
    Swarm,
}

impl Target {
    pub fn is_local(&self) -> bool {
        *self == Target::Local
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Target::Local => "local",
            Target::Swarm => "swarm",
        }
    }

    pub fn parse(text: &str) -> Option<Target> {
        match text {
            "local" => Some(Target::Local),
            "swarm" => Some(Target::Swarm),
            _ => None,
        }
    }
}

/// `deploy.endpoint_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointMode {
    /// One virtual IP per service, balanced by the node's kernel (IPVS).
    Vip,
    /// The service name resolves to every task's address.
    Dnsrr,
}

/// `deploy.placement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Placement {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    /// `spread` preferences: the node label or attribute to spread the tasks over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas_per_node: Option<u32>,
}

impl Placement {
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
            && self.preferences.is_empty()
            && self.max_replicas_per_node.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "ResourceSpec::is_empty")]
    pub limits: ResourceSpec,
    #[serde(default, skip_serializing_if = "ResourceSpec::is_empty")]
    pub reservations: ResourceSpec,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.limits.is_empty() && self.reservations.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResourceSpec {
    /// Fraction of CPUs, e.g. 0.5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Bytes; printed as a string of digits, as Compose prints it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_bytes",
        deserialize_with = "de_opt_bytes"
    )]
    pub memory: Option<u64>,
}

impl ResourceSpec {
    pub fn is_empty(&self) -> bool {
        self.cpus.is_none() && self.memory.is_none()
    }
}

/// `restart:` on the service (Docker's restart policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartMode {
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartCondition {
    None,
    OnFailure,
    Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartPolicy {
    pub condition: RestartCondition,
    #[serde(
        default,
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub delay: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(
        default,
        serialize_with = "ser_opt_duration",
        deserialize_with = "de_opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub window: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    StopFirst,
    StartFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureAction {
    Continue,
    Rollback,
    Pause,
}

/// `deploy.update_config` and `deploy.rollback_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateConfig {
    pub parallelism: u32,
    #[serde(serialize_with = "ser_duration", deserialize_with = "de_duration")]
    pub delay: Duration,
    pub failure_action: FailureAction,
    #[serde(serialize_with = "ser_duration", deserialize_with = "de_duration")]
    pub monitor: Duration,
    pub max_failure_ratio: f64,
    pub order: UpdateOrder,
}

/// A top-level secret or config a service mounts read-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceFile {
    /// The top-level name.
    pub source: String,
    /// Absolute path inside the container.
    pub target: String,
}

/// A secret a service mounts read-only at `target` (`/run/secrets/<name>` unless absolute).
pub type ServiceSecret = ServiceFile;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Network {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub attachable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_ipv6: bool,
}

/// A network's address management: its driver and address pools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Ipam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IpamPool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Volume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A top-level secret. Only where it comes from is kept: its contents are read when a
/// container is created and are never printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secret {
    /// An absolute path to a file on the host.
    File(PathBuf),
    /// The name of an environment variable of msctl's own environment.
    Environment(String),
    /// The contents themselves, written in the manifest (configs only).
    Content(String),
}

/// A top-level config: like a secret, a file mounted read-only, but not confidential.
pub type Config = Secret;

/// msctl's own service settings, from `x-msctl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Extensions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<CargoBuild>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
}

impl Extensions {
    pub fn is_empty(&self) -> bool {
        self.probe.is_none() && self.build.is_none() && self.autoscale.is_none()
    }
}

/// `pull_policy`: when a service's image is pulled from its registry, as Compose reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum PullPolicy {
    /// Pull at every `up`.
    Always,
    /// Pull when the engine lacks the image (`if_not_present` is an old spelling).
    Missing,
    /// Never pull; a missing image is an error.
    Never,
    /// Build the image, never pull it.
    Build,
    /// Pull when missing or when the last pull is older than this (`daily`, `weekly`,
    /// `every_12h`).
    Every(Duration),
}

impl PullPolicy {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

    /// Reads Compose's spelling of a pull policy.
    pub fn parse(text: &str) -> Result<PullPolicy, String> {
        match text {
            "always" => Ok(PullPolicy::Always),
            "missing" | "if_not_present" => Ok(PullPolicy::Missing),
            "never" => Ok(PullPolicy::Never),
            "build" => Ok(PullPolicy::Build),
            "daily" => Ok(PullPolicy::Every(PullPolicy::DAY)),
            "weekly" => Ok(PullPolicy::Every(PullPolicy::WEEK)),
            _ => {
                let Some(period) = text.strip_prefix("every_") else {
                    return Err(format!("`{text}` is not a pull policy"));
                };
                let days_or_weeks = |suffix: char, unit: Duration| {
                    period
                        .strip_suffix(suffix)
                        .and_then(|n| n.parse::<u32>().ok())
                        .map(|n| unit * n)
                };
                let duration = match days_or_weeks('d', PullPolicy::DAY)
                    .or_else(|| days_or_weeks('w', PullPolicy::WEEK))
                {
                    Some(duration) => duration,
                    None => super::units::parse_duration(period)
                        .map_err(|why| format!("`{text}`: {why}"))?,
                };
                if duration.is_zero() {
                    return Err(format!("`{text}` pulls after no time at all: use `always`"));
                }
                Ok(PullPolicy::Every(duration))
            }
        }
    }

    /// Compose's spelling: `config` prints it so that it reads back the same.
    pub fn as_compose(&self) -> String {
        match self {
            PullPolicy::Always => "always".to_string(),
            PullPolicy::Missing => "missing".to_string(),
            PullPolicy::Never => "never".to_string(),
            PullPolicy::Build => "build".to_string(),
            PullPolicy::Every(d) if *d == PullPolicy::DAY => "daily".to_string(),
            PullPolicy::Every(d) if *d == PullPolicy::WEEK => "weekly".to_string(),
            PullPolicy::Every(d) => format!("every_{}", format_duration(*d)),
        }
    }
}

impl From<PullPolicy> for String {
    fn from(policy: PullPolicy) -> String {
        policy.as_compose()
    }
}

impl TryFrom<String> for PullPolicy {
    type Error = String;
    fn try_from(text: String) -> Result<PullPolicy, String> {
        PullPolicy::parse(&text)
    }
}

/// `x-msctl.autoscale`: the control plane keeps the replica count between `min` and
/// `max`, aiming at an average CPU use per replica of `cpu_percent` (of one CPU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Autoscale {
    pub min: u32,
    pub max: u32,
    pub cpu_percent: f64,
    /// The least time between a change and a scale-up.
    #[serde(serialize_with = "ser_duration", deserialize_with = "de_duration")]
    pub scale_up_cooldown: Duration,
    /// The least time between a change and a scale-down.
    #[serde(serialize_with = "ser_duration", deserialize_with = "de_duration")]
    pub scale_down_cooldown: Duration,
}

/// A health probe msctl runs itself against each replica.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub check: ProbeCheck,
    /// Cadence while the replica starts (sub-second by default).
    #[serde(serialize_with = "ser_duration", deserialize_with = "de_duration")]
    pub interval: Duration,
    #[serde(serialize_with = "ser_duration", deserialize_with = "de_duration")]
    pub timeout: Duration,
    /// Consecutive failures, once ready, before the replica is unhealthy.
    pub failure_threshold: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeCheck {
    Http { port: u16, path: String },
    Tcp { port: u16 },
}

/// `x-msctl.build.cargo`: build a static binary with cargo and pack it into a scratch image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CargoBuild {
    /// Absolute path of the cargo workspace.
    pub workspace: PathBuf,
    pub package: String,
    pub bin: String,
    pub profile: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Extra files copied into the image: host path (absolute) -> path in the image.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    /// Directories created in the image owned by the service's numeric `user`: the
    /// targets of its named volumes, so a new volume starts writable by a non-root user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_dirs: Vec<DataDir>,
}

/// A directory of a cargo-built image, with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataDir {
    pub path: String,
    pub uid: u32,
    pub gid: u32,
}

fn ser_opt_bytes<S: serde::Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(bytes) => s.serialize_str(&bytes.to_string()),
        None => s.serialize_none(),
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Durations print as Compose writes them: `1m30s`, `500ms`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [("h", 3_600_000u128), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

fn ser_duration<S: serde::Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*value))
}

fn ser_opt_duration<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => ser_duration(d, s),
        None => s.serialize_none(),
    }
}

fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    super::units::parse_duration(&text).map_err(serde::de::Error::custom)
}

fn de_opt_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => super::units::parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

fn ser_opt_signed_bytes<S: serde::Serializer>(
    value: &Option<i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(bytes) => s.serialize_str(&bytes.to_string()),
        None => s.serialize_none(),
    }
}

fn de_opt_signed_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

fn de_opt_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

impl Project {
    /// Each service's replica count as the manifest asks for it.
    pub fn manifest_replicas(&self) -> BTreeMap<String, u32> {
        self.services
            .iter()
            .map(|(name, service)| (name.clone(), service.replicas()))
            .collect()
    }

    /// A project of these services and nothing else, in the current directory (tests,
    /// and callers that build a project by hand).
    pub fn of_services(name: &str, services: impl IntoIterator<Item = Service>) -> Project {
        Project {
            name: name.to_string(),
            working_dir: PathBuf::from("."),
            services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
            ..Project::default()
        }
    }

    /// The project from its JSON form (`msctl config --format json`, the state store),
    /// with what that form leaves out restored: each service's name, and `working_dir`.
    pub fn from_json(json: &str, working_dir: PathBuf) -> Result<Project, serde_json::Error> {
        let mut project: Project = serde_json::from_str(json)?;
        project.working_dir = working_dir;
        for (name, service) in project.services.iter_mut() {
            service.name = name.clone();
        }
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::Project;
    use crate::manifest::{load, LoadOptions};

    /// Every valid fixture: its file (or the directory holding `compose.yaml`).
    fn fixtures() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
        let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/fixtures/valid")
            .map(|e| e.expect("entry").path())
            .collect();
        out.sort();
        out
    }

    /// The JSON form is complete: a project read back from it equals the one written,
    /// so desired state can be kept in the state store as JSON.
    #[test]
    fn every_valid_fixture_survives_a_json_round_trip() {
        let mut checked = 0;
        for path in fixtures() {
            let (cwd, files) = if path.is_dir() {
                (path.clone(), Vec::new())
            } else {
                (
                    path.parent().expect("parent").to_path_buf(),
                    vec![path.clone()],
                )
            };
            let options = LoadOptions {
                files,
                cwd,
                environment: BTreeMap::from([("HOME".to_string(), "/home/test".to_string())]),
                ..LoadOptions::default()
            };
            let loaded =
                load(&options).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
            let json = serde_json::to_string(&loaded.project).expect("serialize");
            let back = Project::from_json(&json, loaded.project.working_dir.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{json}", path.display()));
            assert_eq!(back, loaded.project, "{}", path.display());
            checked += 1;
        }
        assert!(checked >= 25, "only {checked} fixtures");
    }
}

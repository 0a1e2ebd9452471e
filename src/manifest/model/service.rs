//! One service, the template its replicas are created from, and the small parts only a
//! service has: logging, ulimits, network mode, devices, hooks, build, `depends_on`, and
//! the secrets and configs it mounts.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values::{
    de_opt_bytes, de_opt_duration, de_opt_signed_bytes, is_false, ser_opt_bytes, ser_opt_duration,
    ser_opt_signed_bytes,
};
use super::{
    Deploy, Develop, Extensions, Healthcheck, Mount, Port, PullPolicy, RestartMode, ServiceNetwork,
};

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
    /// `develop`: what `msctl watch` does when the service's files change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub develop: Option<Develop>,
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

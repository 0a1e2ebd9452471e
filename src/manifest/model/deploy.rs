//! How a service is run and kept running: the health check, `deploy` (replicas,
//! resources, placement, restart and update policies) and the project's target.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values::{
    de_duration, de_opt_bytes, de_opt_duration, is_false, ser_duration, ser_opt_bytes,
    ser_opt_duration,
};

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

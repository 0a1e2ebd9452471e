//! msctl's own service settings from `x-msctl`: probes, autoscaling and cargo builds.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values::{de_duration, ser_duration};

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

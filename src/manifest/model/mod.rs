//! The validated domain model of a project: what `load` produces and everything else reads.
//!
//! Every value here is already interpolated, merged across files, defaulted and checked.
//! Field order is the order `msctl config` prints, so keep it stable.

mod attach;
mod deploy;
mod develop;
mod extensions;
mod project;
mod service;
mod values;

pub use attach::{Mount, MountType, Port, PortMode, Protocol, ServiceNetwork};
pub use deploy::{
    Deploy, EndpointMode, FailureAction, Healthcheck, Placement, ResourceSpec, Resources,
    RestartCondition, RestartMode, RestartPolicy, Target, UpdateConfig, UpdateOrder,
};
pub use develop::{Develop, WatchAction, WatchRule};
pub use extensions::{Autoscale, CargoBuild, DataDir, Extensions, Probe, ProbeCheck};
pub use project::{Config, Ipam, IpamPool, Network, Project, Secret, Volume};
pub use service::{
    Build, Condition, Dependency, Device, Hook, Logging, NetworkMode, Service, ServiceConfig,
    ServiceFile, ServiceSecret, Ulimit,
};
pub use values::{format_duration, PullPolicy};

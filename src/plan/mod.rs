//! Planning: compare the desired project with what the engine has and decide what to do.
//!
//! [`labels`] holds every label key, [`hash`] the config hash, [`observed`] the snapshot
//! of reality, [`planner`] the pure planning function and [`plan`] its result.

pub mod autoscale;
pub mod dependencies;
pub mod hash;
pub mod labels;
pub mod names;
pub mod observed;
// The module is named after the type it holds, like its parent.
#[allow(clippy::module_inception)]
pub mod plan;
pub mod planner;
pub mod spec;

pub use hash::{config_hash, replica_config_hash};
pub use observed::{
    ContainerState, Health, ObservedContainer, ObservedNetwork, ObservedState, ObservedVolume,
};
pub use plan::{Action, Cause, Plan};
pub use planner::{
    plan, plan_healing, plan_infrastructure, HealOptions, PlanOptions, DEFAULT_STOP_TIMEOUT,
};

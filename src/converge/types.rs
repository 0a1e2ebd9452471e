//! What a converge is asked to do, what it did, and how it fails.

use std::time::Duration;

use crate::engine::EngineError;
use crate::health::{ReadyError, ReplicaRef};
use crate::manifest::model::Project;
use crate::plan::{HealOptions, PlanOptions};

#[derive(Debug, Clone)]
pub struct ConvergeOptions {
    pub plan: PlanOptions,
    /// What the control plane adds to the plan; the default for commands.
    pub heal: HealOptions,
    /// Execute one plan and return without observing again: for the control plane,
    /// whose own loop observes again (on the next engine event or resync), so that a
    /// replica that fails at once is retried after its backoff, not right away.
    pub single_round: bool,
    /// Wait for every selected replica to be ready before returning.
    pub wait: bool,
    /// Deadline for the whole operation, waiting included.
    pub timeout: Duration,
    pub concurrency: usize,
    /// The project as the last successful `up` left it (the desired state): what a
    /// failed rollout rolls back to (`crate::rollout`). `None`: nothing to roll back to.
    pub previous: Option<Project>,
}

/// What a converge did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Actions applied, over all rounds.
    pub actions: usize,
    /// Replicas of the selected services, ready (or started, without waiting).
    pub replicas: Vec<ReplicaRef>,
    pub warnings: Vec<String>,
    /// The rollouts it ran, for `msctl history`.
    pub rollouts: Vec<crate::rollout::Record>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("failed to {action}")]
    Action {
        action: String,
        #[source]
        source: EngineError,
    },
    #[error(transparent)]
    NotReady(#[from] ReadyError),
    #[error("dependency `{dependency}` of service `{service}` {why}")]
    Dependency {
        service: String,
        dependency: String,
        why: String,
    },
    #[error("services depend on each other in a cycle ({services}): none of them can start first")]
    Cycle { services: String },
    #[error("interrupted")]
    Interrupted,
    #[error("the rollout of service `{}` {}: {}", .record.service, .record.outcome, .record.reason)]
    Rollout {
        record: Box<crate::rollout::Record>,
        /// The rollouts that completed before it, for `msctl history`.
        completed: Vec<crate::rollout::Record>,
    },
    #[error("the project did not converge after {rounds} rounds: still planned:\n{remaining}")]
    NotConverged { rounds: usize, remaining: String },
}

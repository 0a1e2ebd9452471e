//! The executor: applies a [`Plan`] to an [`Engine`], action by action, in plan order.
//!
//! It decides nothing (DESIGN.md, invariant 4): what to do, in which order, with which
//! spec, stop timeout and hooks is all in the plan. It stops at the first failure and
//! says which action failed; the next observe -> plan round starts from whatever state
//! that left.
//!
//! Lifecycle hooks run through [`Engine::exec`]: `post_start` hooks right after a
//! replica starts, before anything counts it ready (a failing one fails the action);
//! `pre_stop` hooks before a replica is stopped (a failing one is a warning: the stop
//! goes on, as the replica must go either way).

use crate::engine::{Engine, EngineError};
use crate::plan::spec::ExecSpec;
use crate::plan::{Action, Plan};

/// An action of the plan failed.
#[derive(Debug, thiserror::Error)]
#[error("failed to {action}")]
pub struct ApplyError {
    /// The action's plan line, e.g. `create container demo-web-2 (service:web:2, missing)`.
    pub action: String,
    #[source]
    pub source: EngineError,
}

/// Applies every action of `plan` in order; returns the warnings of the actions that
/// succeeded (failed `pre_stop` hooks).
pub async fn apply<E: Engine + ?Sized>(plan: &Plan, engine: &E) -> Result<Vec<String>, ApplyError> {
    let mut warnings = Vec::new();
    for action in &plan.actions {
        let applied = apply_action(action, engine)
            .await
            .map_err(|source| ApplyError {
                action: action.to_string(),
                source,
            })?;
        warnings.extend(applied);
    }
    Ok(warnings)
}

/// Applies one action; returns its warnings (lowercase, one line each).
pub async fn apply_action<E: Engine + ?Sized>(
    action: &Action,
    engine: &E,
) -> Result<Vec<String>, EngineError> {
    let mut warnings = Vec::new();
    match action {
        Action::CreateNetwork { spec, .. } => {
            engine.create_network(spec).await?;
        }
        Action::CreateVolume { spec, .. } => engine.create_volume(spec).await?,
        Action::CreateContainer {
            spec,
            service_name,
            replica_number,
            post_start,
            ..
        } => {
            let container_id = engine.create_container(spec).await?;
            engine.start_container(&container_id).await?;
            let replica = Replica::new(service_name, *replica_number, &container_id);
            replica.post_start(engine, post_start).await?;
        }
        Action::StartContainer {
            container_id,
            service_name,
            replica_number,
            post_start,
            ..
        } => {
            engine.start_container(container_id).await?;
            let replica = Replica::new(service_name, *replica_number, container_id);
            replica.post_start(engine, post_start).await?;
        }
        Action::RecreateContainer {
            old_container_id,
            spec,
            stop_timeout,
            service_name,
            replica_number,
            pre_stop,
            post_start,
            ..
        } => {
            let old = Replica::new(service_name, *replica_number, old_container_id);
            warnings.extend(old.pre_stop(engine, pre_stop).await);
            engine
                .stop_container(old_container_id, *stop_timeout)
                .await?;
            engine.remove_container(old_container_id, false).await?;
            let container_id = engine.create_container(spec).await?;
            engine.start_container(&container_id).await?;
            let replica = Replica::new(service_name, *replica_number, &container_id);
            replica.post_start(engine, post_start).await?;
        }
        Action::StopAndRemove {
            container_id,
            stop_timeout,
            service_name,
            replica_number,
            pre_stop,
            ..
        } => {
            let replica = Replica::new(service_name, *replica_number, container_id);
            warnings.extend(replica.pre_stop(engine, pre_stop).await);
            engine.stop_container(container_id, *stop_timeout).await?;
            engine.remove_container(container_id, false).await?;
        }
        Action::RemoveOrphan {
            container_id,
            stop_timeout,
            ..
        } => {
            engine.stop_container(container_id, *stop_timeout).await?;
            engine.remove_container(container_id, false).await?;
        }
    }
    Ok(warnings)
}

/// The replica a hook runs in, for running it and naming it in messages.
pub struct Replica<'a> {
    service_name: &'a str,
    replica_number: u32,
    container_id: &'a str,
}

impl<'a> Replica<'a> {
    pub fn new(service_name: &'a str, replica_number: u32, container_id: &'a str) -> Replica<'a> {
        Replica {
            service_name,
            replica_number,
            container_id,
        }
    }

    /// Runs the `post_start` hooks in order; the first that fails (or exits non-zero)
    /// fails the replica's start.
    pub async fn post_start<E: Engine + ?Sized>(
        &self,
        engine: &E,
        hooks: &[ExecSpec],
    ) -> Result<(), EngineError> {
        for (index, hook) in hooks.iter().enumerate() {
            let code = engine
                .exec(self.container_id, hook)
                .await
                .map_err(|err| self.hook_failed("post_start", index, hook, &err.to_string()))?;
            if code != 0 {
                return Err(self.hook_failed(
                    "post_start",
                    index,
                    hook,
                    &format!("exited with code {code}"),
                ));
            }
        }
        Ok(())
    }

    /// Runs the `pre_stop` hooks in order, all of them whatever each gives; returns a
    /// warning for each that failed.
    pub async fn pre_stop<E: Engine + ?Sized>(
        &self,
        engine: &E,
        hooks: &[ExecSpec],
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        for (index, hook) in hooks.iter().enumerate() {
            let why = match engine.exec(self.container_id, hook).await {
                Ok(0) => continue,
                Ok(code) => format!("exited with code {code}"),
                Err(err) => err.to_string(),
            };
            warnings.push(format!(
                "{}; stopping it anyway",
                self.describe("pre_stop", index, hook, &why)
            ));
        }
        warnings
    }

    fn hook_failed(&self, kind: &str, index: usize, hook: &ExecSpec, why: &str) -> EngineError {
        EngineError::Other {
            operation: kind.to_string(),
            message: self.describe(kind, index, hook, why),
        }
    }

    /// `post_start hook 1 (`touch /ready`) of replica `web-1` (service `web`) exited with code 3`.
    fn describe(&self, kind: &str, index: usize, hook: &ExecSpec, why: &str) -> String {
        format!(
            "{kind} hook {} (`{}`) of replica `{}-{}` (service `{}`) {why}",
            index + 1,
            hook.command.join(" "),
            self.service_name,
            self.replica_number,
            self.service_name,
        )
    }
}

//! The executor: applies a [`Plan`] to an [`Engine`], action by action, in plan order.
//!
//! It decides nothing (DESIGN.md, invariant 4): what to do, in which order, with which
//! spec and stop timeout is all in the plan. It stops at the first failure and says which
//! action failed; the next observe -> plan round starts from whatever state that left.

use crate::engine::{Engine, EngineError};
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

/// Applies every action of `plan` in order.
pub async fn apply<E: Engine + ?Sized>(plan: &Plan, engine: &E) -> Result<(), ApplyError> {
    for action in &plan.actions {
        apply_action(action, engine)
            .await
            .map_err(|source| ApplyError {
                action: action.to_string(),
                source,
            })?;
    }
    Ok(())
}

/// Applies one action.
pub async fn apply_action<E: Engine + ?Sized>(
    action: &Action,
    engine: &E,
) -> Result<(), EngineError> {
    match action {
        Action::CreateNetwork { spec, .. } => {
            engine.create_network(spec).await?;
        }
        Action::CreateVolume { spec, .. } => engine.create_volume(spec).await?,
        Action::CreateContainer { spec, .. } => {
            let container_id = engine.create_container(spec).await?;
            engine.start_container(&container_id).await?;
        }
        Action::StartContainer { container_id, .. } => {
            engine.start_container(container_id).await?;
        }
        Action::RecreateContainer {
            old_container_id,
            spec,
            stop_timeout,
            ..
        } => {
            engine
                .stop_container(old_container_id, *stop_timeout)
                .await?;
            engine.remove_container(old_container_id, false).await?;
            let container_id = engine.create_container(spec).await?;
            engine.start_container(&container_id).await?;
        }
        Action::StopAndRemove {
            container_id,
            stop_timeout,
            ..
        }
        | Action::RemoveOrphan {
            container_id,
            stop_timeout,
            ..
        } => {
            engine.stop_container(container_id, *stop_timeout).await?;
            engine.remove_container(container_id, false).await?;
        }
    }
    Ok(())
}

//! What containers need before they are created outside a convergence (`run`'s one-off
//! container, `create`'s replicas): the networks and named volumes their services use,
//! and the resolver when the project's names are gated. No replica is touched.

use std::collections::BTreeSet;

use crate::engine::{observe, Engine};
use crate::manifest::model::Project;
use crate::plan::{plan_infrastructure, Action};

use super::ConvergeError;

/// Creates what containers of `services` need, and the declared volumes `volumes` names;
/// returns the planner's warnings.
pub async fn prepare_infrastructure(
    engine: &dyn Engine,
    project: &Project,
    services: &BTreeSet<String>,
    volumes: &BTreeSet<String>,
) -> Result<Vec<String>, ConvergeError> {
    let observed = observe(engine, &project.name).await?;
    let plan = plan_infrastructure(project, &observed, services, volumes);
    crate::executor::apply(&plan, engine)
        .await
        .map_err(|err| ConvergeError::Action {
            action: err.action,
            source: err.source,
        })?;
    let created: BTreeSet<String> = plan
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::CreateNetwork { spec, .. } => Some(spec.name.clone()),
            _ => None,
        })
        .collect();
    crate::serving::prepare(engine, project, &created).await?;
    Ok(plan.warnings)
}

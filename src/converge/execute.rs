//! The execution of one plan: shared resources first, then one task per selected
//! service that waits for its dependencies' `depends_on` conditions, applies its actions
//! under the concurrency bound, and tells its dependants where it stands.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use tokio::sync::{watch, Semaphore};

use super::ready::{replicas_in, wait_for};
use super::rollout::{roll_out, rolls};
use super::{one_shot_services, Cancel, ConvergeError, ConvergeOptions, Event, Reporter};
use crate::engine::{Engine, LabelFilter};
use crate::executor::apply_action;
use crate::manifest::model::{Condition, Project};
use crate::plan::dependencies::dependencies;
use crate::plan::Action;

/// Where a service's task stands, watched by its dependants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Pending,
    /// Its actions are applied: its replicas are started.
    Started,
    /// Its replicas are ready (or, for a one-shot service, completed successfully).
    Ready,
    Failed,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn execute(
    engine: &dyn Engine,
    project: &Project,
    selected: &BTreeSet<String>,
    actions: &[Action],
    options: &ConvergeOptions,
    deadline: Instant,
    reporter: &dyn Reporter,
    cancel: &Cancel,
    rollouts: &std::sync::Mutex<Vec<crate::rollout::Record>>,
) -> Result<(), ConvergeError> {
    let semaphore = Semaphore::new(options.concurrency.max(1));
    let step = Step {
        engine,
        project,
        semaphore: &semaphore,
        reporter,
        cancel,
    };
    // Networks and volumes first: every replica needs them.
    let mut created = BTreeSet::new();
    for action in actions.iter().filter(|a| a.service_name().is_none()) {
        step.run(action).await?;
        if let Action::CreateNetwork { spec, .. } = action {
            created.insert(spec.name.clone());
        }
    }
    // Then the resolver, before any replica: a new replica's first lookups go there.
    let creates = actions.iter().any(|action| {
        matches!(
            action,
            Action::CreateContainer { .. } | Action::RecreateContainer { .. }
        )
    });
    if creates {
        crate::serving::prepare(engine, project, &created).await?;
    }
    // Orphans go before anything else starts, as their names may be reused.
    let orphans = actions
        .iter()
        .filter(|a| matches!(a, Action::RemoveOrphan { .. }))
        .map(|a| step.run(a));
    for result in futures_util::future::join_all(orphans).await {
        result?;
    }

    let mut by_service: BTreeMap<&str, Vec<&Action>> = BTreeMap::new();
    for action in actions {
        if let (Some(service), false) = (
            action.service_name(),
            matches!(action, Action::RemoveOrphan { .. }),
        ) {
            by_service.entry(service).or_default().push(action);
        }
    }
    let one_shot = one_shot_services(project);
    // A service's replicas are waited for during execution only if a dependant needs
    // them healthy or completed; the final wait covers the rest. The value says whether
    // some dependant requires it (`required: true`).
    let mut awaited: BTreeMap<String, bool> = BTreeMap::new();
    for (_, service) in project
        .services
        .iter()
        .filter(|(name, _)| selected.contains(*name))
    {
        for (dependency, how) in dependencies(service) {
            if how.condition != Condition::ServiceStarted {
                *awaited.entry(dependency).or_insert(false) |= how.required;
            }
        }
    }

    let channels: BTreeMap<&str, (watch::Sender<Stage>, watch::Receiver<Stage>)> = selected
        .iter()
        .map(|name| (name.as_str(), watch::channel(Stage::Pending)))
        .collect();

    let tasks = selected.iter().filter_map(|name| {
        let service = project.services.get(name)?;
        let (sender, _) = channels.get(name.as_str())?;
        let own = by_service.get(name.as_str()).cloned().unwrap_or_default();
        let step = &step;
        let channels = &channels;
        let awaited = &awaited;
        let one_shot = &one_shot;
        Some(async move {
            let result = async {
                for (dependency, how) in dependencies(service) {
                    let Some((_, receiver)) = channels.get(dependency.as_str()) else {
                        // Not in the project or not selected: validation refuses a required
                        // dependency that is missing, so there is nothing to wait for.
                        if !how.required {
                            reporter.event(Event::Note(format!(
                                "warning: service `{name}`: optional dependency `{dependency}` is not part of this run: not waited for"
                            )));
                        }
                        continue;
                    };
                    let wanted = match how.condition {
                        Condition::ServiceStarted => Stage::Started,
                        _ => Stage::Ready,
                    };
                    let mut receiver = receiver.clone();
                    let reached = receiver
                        .wait_for(|stage| *stage == Stage::Failed || stage_reached(*stage, wanted))
                        .await
                        .map(|stage| *stage)
                        .unwrap_or(Stage::Failed);
                    if reached == Stage::Failed {
                        if !how.required {
                            reporter.event(Event::Note(format!(
                                "warning: service `{name}`: optional dependency `{dependency}` failed: starting without it"
                            )));
                            continue;
                        }
                        return Err(ConvergeError::Dependency {
                            service: name.clone(),
                            dependency: dependency.clone(),
                            why: "failed".to_string(),
                        });
                    }
                }
                // A changed service with `update_config` rolls; the rest is applied at once.
                let (rolling, direct): (Vec<&Action>, Vec<&Action>) = own
                    .iter()
                    .partition(|action| rolls(action, service, options));
                let own_actions = direct.iter().map(|a| step.run(a));
                for result in futures_util::future::join_all(own_actions).await {
                    result?;
                }
                if !rolling.is_empty() {
                    let record =
                        roll_out(engine, project, service, &rolling, options, deadline, reporter, cancel)
                            .await?;
                    rollouts.lock().unwrap_or_else(|p| p.into_inner()).push(record);
                }
                let _ = sender.send(Stage::Started);
                if let Some(&required) = awaited.get(name.as_str()) {
                    let listed = engine
                        .list_containers(&LabelFilter::project(&project.name))
                        .await?;
                    let replicas = replicas_in(&listed, &BTreeSet::from([name.clone()]));
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    if replicas.is_empty() && required {
                        return Err(ConvergeError::Dependency {
                            service: name.clone(),
                            dependency: name.clone(),
                            why: "has no replica to wait for (scaled to 0?)".to_string(),
                        });
                    }
                    if !replicas.is_empty() {
                        wait_for(
                            engine,
                            project,
                            &replicas,
                            &listed,
                            one_shot,
                            remaining,
                            reporter,
                        )
                        .await?;
                    }
                }
                let _ = sender.send(Stage::Ready);
                Ok(())
            }
            .await;
            if result.is_err() {
                let _ = sender.send(Stage::Failed);
            }
            result
        })
    });
    let results = futures_util::future::join_all(tasks).await;
    // Report the first real failure rather than the dependants it caused to fail.
    let mut first_dependency_error = None;
    for result in results {
        match result {
            Ok(()) => {}
            Err(err @ ConvergeError::Dependency { .. }) => {
                first_dependency_error.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
    }
    match first_dependency_error {
        Some(err) => Err(err),
        None if cancel.is_cancelled() => Err(ConvergeError::Interrupted),
        None => Ok(()),
    }
}

/// Applies one action under the concurrency bound, reporting it.
struct Step<'a> {
    engine: &'a dyn Engine,
    /// The project: a replica about to stop leaves its names and drains first.
    project: &'a Project,
    semaphore: &'a Semaphore,
    reporter: &'a dyn Reporter,
    cancel: &'a Cancel,
}

impl Step<'_> {
    async fn run(&self, action: &Action) -> Result<(), ConvergeError> {
        if self.cancel.is_cancelled() {
            return Err(ConvergeError::Interrupted);
        }
        let _permit = self
            .semaphore
            .acquire()
            .await
            .map_err(|_| ConvergeError::Interrupted)?;
        let line = action.to_string();
        let resource = action.resource_id();
        self.reporter.event(Event::Started {
            resource: resource.clone(),
            line: line.clone(),
        });
        if let Some((container_id, container_name)) = action.stops() {
            // No new connection goes to it while it stops; it finishes those it has.
            let service = action
                .service_name()
                .and_then(|name| self.project.services.get(name));
            for warning in crate::serving::drain(
                self.engine,
                &self.project.name,
                service,
                container_id,
                container_name,
            )
            .await
            {
                self.reporter
                    .event(Event::Note(format!("warning: {warning}")));
            }
        }
        let warnings =
            apply_action(action, self.engine)
                .await
                .map_err(|source| ConvergeError::Action {
                    action: line.clone(),
                    source,
                })?;
        for warning in warnings {
            self.reporter
                .event(Event::Note(format!("warning: {warning}")));
        }
        self.reporter.event(Event::Done { resource, line });
        Ok(())
    }
}

fn stage_reached(stage: Stage, wanted: Stage) -> bool {
    match wanted {
        Stage::Started => matches!(stage, Stage::Started | Stage::Ready),
        other => stage == other,
    }
}

//! The reconcile loop of `up` and `scale`: observe -> plan -> execute, until the plan is
//! empty or a deadline passes.
//!
//! Execution follows the plan's actions service by service: a service starts once its
//! dependencies meet their `depends_on` conditions (started, healthy, completed
//! successfully); `links` and `network_mode: service:NAME` count as `service_started`
//! ([`crate::plan::dependencies`]). A dependency that is not `required` and is not in
//! the project, not selected, or fails, is skipped with a warning rather than waited
//! for. Independent services run in parallel, and every engine call shares one bound on
//! concurrency. Ctrl-C stops new actions; those in flight finish.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};

pub use crate::engine::DEFAULT_CONCURRENCY;
use crate::engine::{
    observe, ContainerDetails, ContainerSummary, Engine, EngineError, LabelFilter,
};
use crate::executor::apply_action;
use crate::health::{served_ready, wait_ready, ReadyError, ReplicaRef};
use crate::manifest::model::{Condition, Project, Service};
use crate::plan::dependencies::{self, dependencies};
use crate::plan::{labels, plan_healing, Action, HealOptions, PlanOptions};
pub use crate::report::{Cancel, Event, Reporter};

/// Rounds of observe -> plan -> execute before giving up on converging.
const MAX_ROUNDS: usize = 3;

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

pub async fn converge(
    engine: &dyn Engine,
    project: &Project,
    options: &ConvergeOptions,
    reporter: &dyn Reporter,
    cancel: &Cancel,
) -> Result<Outcome, ConvergeError> {
    let started = Instant::now();
    let deadline = started + options.timeout;
    let selected = dependencies::with_dependencies(project, &options.plan.services);
    if let Some(cycle) = dependencies::cycle(project) {
        if cycle.iter().any(|name| selected.contains(name)) {
            return Err(ConvergeError::Cycle {
                services: cycle.join(" -> "),
            });
        }
    }
    let mut outcome = Outcome::default();
    let mut plan_options = options.plan.clone();
    for round in 1..=MAX_ROUNDS {
        let observed = observe(engine, &project.name).await?;
        let planned = plan_healing(project, &observed, &plan_options, &options.heal);
        for warning in planned
            .warnings
            .iter()
            .chain(&left_out(engine, &planned.actions))
        {
            if !outcome.warnings.contains(warning) {
                reporter.event(Event::Note(format!("warning: {warning}")));
                outcome.warnings.push(warning.clone());
            }
        }
        if planned.is_empty() {
            break;
        }
        if round == MAX_ROUNDS {
            return Err(ConvergeError::NotConverged {
                rounds: MAX_ROUNDS,
                remaining: planned.to_string(),
            });
        }
        outcome.actions += planned.actions.len();
        let rollouts = std::sync::Mutex::new(Vec::new());
        let executed = execute(
            engine,
            project,
            &selected,
            &planned.actions,
            options,
            deadline,
            reporter,
            cancel,
            &rollouts,
        )
        .await;
        outcome
            .rollouts
            .extend(rollouts.into_inner().unwrap_or_else(|p| p.into_inner()));
        match executed {
            Ok(()) => {}
            Err(ConvergeError::Rollout { record, .. }) => {
                return Err(ConvergeError::Rollout {
                    record,
                    completed: std::mem::take(&mut outcome.rollouts),
                })
            }
            Err(err) => return Err(err),
        }
        if options.single_round {
            break;
        }
        // Forcing applies once: the next round only repairs what is still off.
        plan_options.force_recreate = false;
    }
    let listed = engine
        .list_containers(&LabelFilter::project(&project.name))
        .await?;
    outcome.replicas = replicas_in(&listed, &selected);
    if options.wait {
        let remaining = deadline.saturating_duration_since(Instant::now());
        wait_for(
            engine,
            project,
            &outcome.replicas,
            &listed,
            &one_shot_services(project),
            remaining,
            reporter,
        )
        .await?;
    }
    Ok(outcome)
}

/// What the engine will leave out of the containers the plan creates, once per service
/// and message: `service `web`: ...`.
fn left_out(engine: &dyn Engine, actions: &[Action]) -> Vec<String> {
    let mut out = Vec::new();
    for action in actions {
        let (Action::CreateContainer {
            service_name, spec, ..
        }
        | Action::RecreateContainer {
            service_name, spec, ..
        }) = action
        else {
            continue;
        };
        for message in engine.left_out(spec) {
            let warning = format!("service `{service_name}`: {message}");
            if !out.contains(&warning) {
                out.push(warning);
            }
        }
    }
    out
}

/// Services some dependant waits on to complete successfully: they are jobs, done when
/// they exit 0, not servers that must stay up.
pub fn one_shot_services(project: &Project) -> BTreeSet<String> {
    project
        .services
        .values()
        .flat_map(|s| s.depends_on.iter())
        .filter(|(_, dep)| dep.condition == Condition::ServiceCompletedSuccessfully)
        .map(|(name, _)| name.clone())
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn execute(
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

/// Whether `action` is part of a rolling update: a replica of a service with
/// `update_config` replaced because its config changed (or `--force-recreate`), by a
/// command (the control plane repairs, it does not roll out).
fn rolls(action: &Action, service: &Service, options: &ConvergeOptions) -> bool {
    matches!(
        action,
        Action::RecreateContainer {
            cause: crate::plan::Cause::ConfigChanged | crate::plan::Cause::Forced,
            ..
        }
    ) && service.deploy.update_config.is_some()
        && !options.single_round
}

/// Rolls `service` out per its `update_config` (`crate::rollout`), and back per its
/// `rollback_config` when that fails with `failure_action: rollback`.
#[allow(clippy::too_many_arguments)]
async fn roll_out(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    actions: &[&Action],
    options: &ConvergeOptions,
    deadline: Instant,
    reporter: &dyn Reporter,
    cancel: &Cancel,
) -> Result<crate::rollout::Record, ConvergeError> {
    use crate::rollout::{Outcome, Record, Rollout, Step};
    let started_ms = crate::clock::now_ms();
    let steps: Vec<Step> = actions
        .iter()
        .filter_map(|action| match action {
            Action::RecreateContainer {
                old_container_id,
                container_name,
                replica_number,
                spec,
                stop_timeout,
                pre_stop,
                post_start,
                ..
            } => Some(Step {
                old_container_id: old_container_id.clone(),
                old_name: container_name.clone(),
                replica_number: *replica_number,
                spec: spec.clone(),
                stop_timeout: *stop_timeout,
                pre_stop: pre_stop.clone(),
                post_start: post_start.clone(),
            }),
            _ => None,
        })
        .collect();
    let config = service
        .deploy
        .update_config
        .clone()
        .unwrap_or_else(crate::rollout::default_config);
    let rollout = Rollout {
        engine,
        project,
        service,
        config,
        deadline,
        reporter,
        cancel,
    };
    let report = rollout.run(&steps).await?;
    // Ctrl-C between batches: some replicas are new, some old; the next `up` goes on.
    // Not a rollout that completed, nor one to roll back.
    if cancel.is_cancelled() {
        return Err(ConvergeError::Interrupted);
    }
    let previous = options
        .previous
        .as_ref()
        .and_then(|p| p.services.get(&service.name).map(|s| (p, s)));
    let image_of = |s: &Service| s.labels.get(labels::IMAGE_ID).cloned();
    let mut record = Record {
        service: service.name.clone(),
        started_ms,
        finished_ms: 0,
        outcome: "completed".to_string(),
        reason: String::new(),
        replicas: steps.len(),
        from_hash: previous.map(|(p, s)| crate::plan::replica_config_hash(p, s)),
        to_hash: crate::plan::replica_config_hash(project, service),
        from_image: previous.and_then(|(_, s)| image_of(s)),
        to_image: image_of(service),
        from_config: previous.map(|(_, s)| s.clone()),
        to_config: service.clone(),
    };
    let failures = report.failures.join("; ");
    match report.outcome {
        Outcome::Completed => {
            if !report.failures.is_empty() {
                record.reason = format!("went on past failures: {failures}");
            }
            record.finished_ms = crate::clock::now_ms();
            return Ok(record);
        }
        Outcome::Paused => {
            record.outcome = "paused".to_string();
            record.reason = format!(
                "{failures}; paused (failure_action: pause), {} of {} replicas replaced",
                report.replaced,
                steps.len()
            );
        }
        Outcome::NeedsRollback => match previous {
            None => {
                record.outcome = "paused".to_string();
                record.reason = format!(
                    "{failures}; no earlier config of `{}` to roll back to: paused",
                    service.name
                );
            }
            Some((previous_project, previous_service)) => {
                reporter.event(Event::Note(format!(
                    "rolling `{}` back to its previous config: {failures}",
                    service.name
                )));
                let back = roll_back(
                    engine,
                    previous_project,
                    previous_service,
                    service,
                    deadline,
                    reporter,
                    cancel,
                )
                .await?;
                record.outcome = "rolled back".to_string();
                record.reason = if back.failures.is_empty() {
                    format!("{failures}; every replica runs the previous config again")
                } else {
                    format!(
                        "{failures}; the rollback failed too: {}",
                        back.failures.join("; ")
                    )
                };
            }
        },
    }
    record.finished_ms = crate::clock::now_ms();
    Err(ConvergeError::Rollout {
        record: Box::new(record),
        completed: Vec::new(),
    })
}

/// Puts every replica of `service` whose config is not `previous`'s back on it, per
/// `rollback_config` (else `update_config`), from the image the previous config ran.
#[allow(clippy::too_many_arguments)]
pub async fn roll_back(
    engine: &dyn Engine,
    previous_project: &Project,
    previous: &Service,
    current: &Service,
    deadline: Instant,
    reporter: &dyn Reporter,
    cancel: &Cancel,
) -> Result<crate::rollout::Report, ConvergeError> {
    use crate::rollout::{Rollout, Step};
    let hash = crate::plan::replica_config_hash(previous_project, previous);
    // The image the previous config ran, by id: its name may lead to a newer build now.
    let mut runnable = previous.clone();
    if let Some(id) = previous.labels.get(labels::IMAGE_ID) {
        runnable.image = Some(id.clone());
    }
    let containers = engine
        .list_containers(
            &LabelFilter::project(&previous_project.name)
                .with(labels::SERVICE, Some(&previous.name)),
        )
        .await?;
    let stop_timeout = previous
        .stop_grace_period
        .unwrap_or(crate::plan::DEFAULT_STOP_TIMEOUT);
    let steps: Vec<Step> = containers
        .iter()
        .filter(|c| c.labels.get(labels::CONFIG_HASH) != Some(&hash))
        .filter(|c| !c.labels.contains_key(labels::ONEOFF))
        .filter_map(|c| {
            let number: u32 = c.labels.get(labels::REPLICA)?.parse().ok()?;
            let mut spec = crate::engine::ContainerSpec::for_replica(
                previous_project,
                &runnable,
                number,
                &hash,
            );
            spec.name = c.name.clone();
            Some(Step {
                old_container_id: c.id.clone(),
                old_name: c.name.clone(),
                replica_number: number,
                spec,
                stop_timeout,
                pre_stop: current
                    .pre_stop
                    .iter()
                    .map(crate::engine::hook_exec)
                    .collect(),
                post_start: previous
                    .post_start
                    .iter()
                    .map(crate::engine::hook_exec)
                    .collect(),
            })
        })
        .collect();
    let mut config = current
        .deploy
        .rollback_config
        .clone()
        .or_else(|| current.deploy.update_config.clone())
        .unwrap_or_else(crate::rollout::default_config);
    // A rollback that fails has nowhere further back to go.
    if config.failure_action == crate::manifest::model::FailureAction::Rollback {
        config.failure_action = crate::manifest::model::FailureAction::Continue;
    }
    let rollout = Rollout {
        engine,
        project: previous_project,
        service: previous,
        config,
        deadline,
        reporter,
        cancel,
    };
    Ok(rollout.run(&steps).await?)
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

/// The replicas of the given services as the engine has them now, by replica number.
pub async fn replicas_of(
    engine: &dyn Engine,
    project: &Project,
    services: &BTreeSet<String>,
) -> Result<Vec<ReplicaRef>, EngineError> {
    let containers = engine
        .list_containers(&LabelFilter::project(&project.name))
        .await?;
    Ok(replicas_in(&containers, services))
}

/// The replicas of `services` among a listing of the project, by service and number.
fn replicas_in(containers: &[ContainerSummary], services: &BTreeSet<String>) -> Vec<ReplicaRef> {
    let mut out: Vec<ReplicaRef> = containers
        .iter()
        .filter(|c| c.labels.get(labels::ONEOFF).map(String::as_str) != Some("true"))
        .filter_map(|c| {
            let service_name = c.labels.get(labels::SERVICE)?.clone();
            if !services.contains(&service_name) {
                return None;
            }
            let replica_number = c.labels.get(labels::REPLICA)?.parse().ok()?;
            Some(ReplicaRef {
                service_name,
                replica_number,
                container_id: c.id.clone(),
                container_name: c.name.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.service_name, a.replica_number).cmp(&(&b.service_name, b.replica_number))
    });
    out
}

/// How recent a readiness check must be for its inspection to publish the replica;
/// an older one is checked again first.
const FRESH_CHECK: Duration = Duration::from_secs(1);

/// Reports ready, and leaves out of what is returned, the replicas the resolver serves
/// already: they passed a full check (the control plane's pass, or the `up` that
/// published them), so the listing and their probe say whether they still are, without
/// an inspection each (a no-op `up` of 100 services makes no per-replica engine call).
/// The rest are to be checked in full.
async fn settle_served<'p>(
    project: &Project,
    watched: &[(ReplicaRef, &'p Service, bool)],
    listed: &[ContainerSummary],
    engine: &dyn Engine,
    started: Instant,
    reporter: &dyn Reporter,
) -> Vec<(ReplicaRef, &'p Service, bool)> {
    let served = crate::serving::served(engine, project).await;
    let by_id: BTreeMap<&str, &ContainerSummary> =
        listed.iter().map(|c| (c.id.as_str(), c)).collect();
    let quick = watched.iter().map(|(replica, service, one_shot)| {
        let summary = by_id.get(replica.container_id.as_str()).copied();
        let address = served
            .get(&replica.container_id)
            .and_then(|entries| entries.first())
            .map(|entry| std::net::IpAddr::V4(entry.address));
        async move {
            match (summary, address, *one_shot) {
                (Some(summary), Some(address), false) => {
                    served_ready(summary, service, address).await
                }
                _ => false,
            }
        }
    });
    let quick = futures_util::future::join_all(quick).await;
    let mut rest = Vec::new();
    for (watch, ready) in watched.iter().zip(quick) {
        if ready {
            reporter.event(Event::Ready {
                replica: watch.0.label(),
                after: started.elapsed(),
            });
        } else {
            rest.push(watch.clone());
        }
    }
    rest
}

async fn wait_for(
    engine: &dyn Engine,
    project: &Project,
    replicas: &[ReplicaRef],
    listed: &[ContainerSummary],
    one_shot: &BTreeSet<String>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<(), ReadyError> {
    let started = Instant::now();
    let watched: Vec<(ReplicaRef, &Service, bool)> = replicas
        .iter()
        .filter_map(|r| {
            let service = project.services.get(&r.service_name)?;
            Some((r.clone(), service, one_shot.contains(&r.service_name)))
        })
        .collect();
    let rest = settle_served(project, &watched, listed, engine, started, reporter).await;
    let mut found: Vec<(ReplicaRef, Instant, ContainerDetails)> = Vec::new();
    let remaining = timeout.saturating_sub(started.elapsed());
    wait_ready(engine, &rest, remaining, |replica, _, details| {
        reporter.event(Event::Ready {
            replica: replica.label(),
            after: started.elapsed(),
        });
        found.push((replica.clone(), Instant::now(), details));
    })
    .await?;
    // Ready: they take their service's names now, before anything that waited for them
    // goes on (the control plane would, within a second, but a dependant may look the
    // name up at once). A check older than a moment is made again.
    let joins = found.iter().filter_map(|(replica, at, details)| {
        let service = project.services.get(&replica.service_name)?;
        Some(async move {
            let joined = if at.elapsed() < FRESH_CHECK {
                crate::serving::publish(engine, project, service, details).await?
            } else {
                let id = &replica.container_id;
                crate::serving::publish_if_ready(engine, project, service, id).await?
            };
            Ok::<_, crate::engine::EngineError>(joined.then_some(replica))
        })
    });
    for joined in futures_util::future::join_all(joins).await {
        if let Some(replica) = joined? {
            reporter.event(Event::Serving {
                service: replica.service_name.clone(),
                replica: replica.container_name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::engine::fake::{FakeEngine, FakeFault};
    use crate::manifest::model::{Dependency, NetworkMode};
    use crate::plan::ContainerState;

    #[derive(Default)]
    struct Notes(Mutex<Vec<String>>);

    impl Reporter for Notes {
        fn event(&self, event: Event) {
            if let Event::Note(note) = event {
                self.0.lock().unwrap_or_else(|p| p.into_inner()).push(note);
            }
        }
    }

    fn service(name: &str) -> Service {
        Service {
            name: name.to_string(),
            image: Some("img".to_string()),
            ..Service::default()
        }
    }

    fn needs(
        mut service: Service,
        dependency: &str,
        condition: Condition,
        required: bool,
    ) -> Service {
        service.depends_on.insert(
            dependency.to_string(),
            Dependency {
                condition,
                restart: false,
                required,
            },
        );
        service
    }

    fn project(services: Vec<Service>) -> Project {
        Project {
            registry: None,
            target: Default::default(),
            name: "demo".to_string(),
            working_dir: ".".into(),
            services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    fn options() -> ConvergeOptions {
        ConvergeOptions {
            plan: PlanOptions::default(),
            heal: HealOptions::default(),
            single_round: false,
            wait: true,
            timeout: Duration::from_secs(5),
            concurrency: 4,
            previous: None,
        }
    }

    fn run(
        engine: &FakeEngine,
        project: &Project,
    ) -> (Result<Outcome, ConvergeError>, Vec<String>) {
        let notes = Notes::default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let result = runtime.block_on(async {
            // A dependency waited for forever would hang the test: bound it.
            tokio::time::timeout(
                Duration::from_secs(10),
                converge(engine, project, &options(), &notes, &Cancel::default()),
            )
            .await
            .expect("converge ends")
        });
        let notes = notes.0.into_inner().unwrap_or_else(|p| p.into_inner());
        (result, notes)
    }

    fn created(engine: &FakeEngine) -> Vec<String> {
        engine
            .calls()
            .into_iter()
            .filter(|call| call.starts_with("create_container"))
            .collect()
    }

    #[test]
    fn an_optional_dependency_outside_the_project_is_not_waited_for() {
        let web = needs(service("web"), "cache", Condition::ServiceHealthy, false);
        let (result, notes) = run(&FakeEngine::new(), &project(vec![web]));
        let outcome = result.expect("up without the optional dependency");
        assert_eq!(outcome.replicas.len(), 1);
        assert_eq!(
            notes,
            vec!["warning: service `web`: optional dependency `cache` is not part of this run: not waited for"]
        );
    }

    #[test]
    fn a_failed_optional_dependency_does_not_keep_its_dependant_from_starting() {
        let web = needs(service("web"), "cache", Condition::ServiceHealthy, false);
        let engine = FakeEngine::new();
        // `cache` is created first (dependency order) and fails.
        engine.fail_next("create_container", FakeFault::Other);
        let (result, notes) = run(&engine, &project(vec![service("cache"), web]));
        assert!(result.is_err(), "cache itself failed: up fails");
        assert_eq!(
            created(&engine),
            vec![
                "create_container demo-cache-1",
                "create_container demo-web-1"
            ]
        );
        assert!(
            notes.contains(
                &"warning: service `web`: optional dependency `cache` failed: starting without it"
                    .to_string()
            ),
            "{notes:?}"
        );
    }

    #[test]
    fn a_failed_required_dependency_keeps_its_dependant_from_starting() {
        let web = needs(service("web"), "cache", Condition::ServiceStarted, true);
        let engine = FakeEngine::new();
        engine.fail_next("create_container", FakeFault::Other);
        let (result, _) = run(&engine, &project(vec![service("cache"), web]));
        assert!(result.is_err());
        assert_eq!(created(&engine), vec!["create_container demo-cache-1"]);
    }

    #[test]
    fn a_shared_network_stack_waits_for_its_peer_to_start() {
        let mut proxy = service("a-proxy");
        proxy.network_mode = Some(NetworkMode::Service("web".to_string()));
        let engine = FakeEngine::new();
        let (result, _) = run(&engine, &project(vec![proxy, service("web")]));
        result.expect("up");
        let starts: Vec<String> = engine
            .calls()
            .into_iter()
            .filter(|call| call.starts_with("create_container") || call.starts_with("start_"))
            .collect();
        assert_eq!(
            starts,
            vec![
                "create_container demo-web-1",
                "start_container c0001",
                "create_container demo-a-proxy-1",
                "start_container c0002",
            ]
        );
    }

    #[test]
    fn a_cycle_closed_by_links_is_an_error_not_a_hang() {
        let mut a = service("a");
        a.links = vec!["b".to_string()];
        let b = needs(service("b"), "a", Condition::ServiceStarted, true);
        let engine = FakeEngine::new();
        let (result, _) = run(&engine, &project(vec![a, b]));
        let error = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            error,
            "services depend on each other in a cycle (a -> b -> a): none of them can start first"
        );
        assert!(created(&engine).is_empty());
    }

    #[test]
    fn post_start_hooks_run_before_the_replica_counts_as_started() {
        let mut web = service("web");
        web.post_start = vec![crate::manifest::model::Hook {
            command: vec!["touch".to_string(), "/ready".to_string()],
            user: Some("app".to_string()),
            privileged: true,
            working_dir: Some("/srv".to_string()),
            environment: BTreeMap::from([("MODE".to_string(), "up".to_string())]),
        }];
        let engine = FakeEngine::new();
        let (result, _) = run(&engine, &project(vec![web]));
        result.expect("up");
        let execs = engine.execs();
        assert_eq!(execs.len(), 1);
        let (container_id, exec) = &execs[0];
        assert_eq!(container_id, "c0001");
        assert_eq!(exec.command, vec!["touch", "/ready"]);
        assert_eq!(exec.user.as_deref(), Some("app"));
        assert_eq!(exec.workdir.as_deref(), Some("/srv"));
        assert_eq!(exec.env, vec!["MODE=up"]);
        assert!(exec.privileged);
        assert_eq!(engine.containers()[0].state, ContainerState::Running);
    }
}

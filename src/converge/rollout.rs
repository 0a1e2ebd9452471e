//! Rollouts within a converge: which actions roll, rolling a service out per its
//! `update_config`, and rolling it back to its previous config.

use std::time::Instant;

use super::{Cancel, ConvergeError, ConvergeOptions, Event, Reporter};
use crate::engine::{Engine, LabelFilter};
use crate::manifest::model::{Project, Service};
use crate::plan::{labels, Action};

/// Whether `action` is part of a rolling update: a replica of a service with
/// `update_config` replaced because its config changed (or `--force-recreate`), by a
/// command (the control plane repairs, it does not roll out).
pub(super) fn rolls(action: &Action, service: &Service, options: &ConvergeOptions) -> bool {
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
pub(super) async fn roll_out(
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
            let mut spec = crate::plan::spec::ContainerSpec::for_replica(
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
                    .map(crate::plan::spec::hook_exec)
                    .collect(),
                post_start: previous
                    .post_start
                    .iter()
                    .map(crate::plan::spec::hook_exec)
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

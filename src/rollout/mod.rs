//! Rolling updates: how `up` replaces the replicas of a changed service that has
//! `deploy.update_config`, so that the service keeps answering while it changes.
//!
//! The replicas go in batches of `parallelism` (0: all at once), `delay` apart. With
//! `order: start-first` the new replica starts beside the old one, under a temporary
//! name (`<name>-next`), and must be ready (and hold its service's names, when traffic is
//! gated) before the old one is stopped; it then takes the old one's name. With
//! `stop-first` the old one stops first. After each batch, its new replicas are watched
//! for `monitor`: one that exits, dies or turns unhealthy then, or never gets ready,
//! is a failure. Once the failures exceed `max_failure_ratio` of the replicas to
//! update, `failure_action` decides: `continue`, `pause` (stop where it is), or
//! `rollback` (the caller rolls every replica back to the previous config, per
//! `rollback_config`).
//!
//! A replica that failed before its old one was stopped (start-first) leaves the old
//! one serving: a failed start-first rollout never stops an old replica it has not
//! replaced with a ready new one.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::engine::{Engine, EngineError};
use crate::executor::Replica;
use crate::health::{check_replica, wait_ready, Readiness, ReplicaRef};
use crate::manifest::model::{FailureAction, Project, Service, UpdateConfig, UpdateOrder};
use crate::plan::spec::{ContainerSpec, ExecSpec};
use crate::report::{Cancel, Event, Reporter};
pub mod record;

pub use record::Record;

/// One replica to replace.
#[derive(Debug, Clone)]
pub struct Step {
    pub old_container_id: String,
    pub old_name: String,
    pub replica_number: u32,
    /// The new replica's spec, under the old one's name.
    pub spec: ContainerSpec,
    pub stop_timeout: Duration,
    pub pre_stop: Vec<ExecSpec>,
    pub post_start: Vec<ExecSpec>,
}

/// How a rollout ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    /// Stopped by `failure_action: pause`: some replicas are new, some old.
    Paused,
    /// Stopped by `failure_action: rollback`: the caller rolls back.
    NeedsRollback,
}

/// What a rollout did.
#[derive(Debug, Clone)]
pub struct Report {
    pub outcome: Outcome,
    /// Replicas replaced by a new one that was ready.
    pub replaced: usize,
    /// Why replicas failed, one line each (`web-2: exited with code 1`).
    pub failures: Vec<String>,
}

/// Everything a rollout needs besides its steps.
pub struct Rollout<'a> {
    pub engine: &'a dyn Engine,
    pub project: &'a Project,
    pub service: &'a Service,
    pub config: UpdateConfig,
    pub deadline: Instant,
    pub reporter: &'a dyn Reporter,
    pub cancel: &'a Cancel,
}

/// The settings of a change when the service has none: all at once, the old replica
/// stopped first, as Compose recreates.
pub fn default_config() -> UpdateConfig {
    UpdateConfig {
        parallelism: 0,
        delay: Duration::ZERO,
        failure_action: FailureAction::Pause,
        monitor: Duration::ZERO,
        max_failure_ratio: 0.0,
        order: UpdateOrder::StopFirst,
    }
}

impl Rollout<'_> {
    /// Replaces the replicas of `steps`, batch by batch.
    pub async fn run(&self, steps: &[Step]) -> Result<Report, EngineError> {
        let total = steps.len().max(1);
        let batch_size = match self.config.parallelism {
            0 => steps.len().max(1),
            n => n as usize,
        };
        let mut report = Report {
            outcome: Outcome::Completed,
            replaced: 0,
            failures: Vec::new(),
        };
        for (index, batch) in steps.chunks(batch_size).enumerate() {
            if self.cancel.is_cancelled() {
                break;
            }
            if index > 0 && !self.config.delay.is_zero() {
                tokio::time::sleep(self.config.delay).await;
            }
            let results = join_all(batch.iter().map(|step| self.replace(step))).await;
            let mut fresh = Vec::new();
            for result in results {
                match result? {
                    Ok(replica) => fresh.push(replica),
                    Err(failure) => report.failures.push(failure),
                }
            }
            let watched = self.monitor(&fresh).await?;
            report.replaced += fresh.len() - watched.len();
            report.failures.extend(watched);
            let ratio = report.failures.len() as f64 / total as f64;
            if !report.failures.is_empty() && ratio > self.config.max_failure_ratio {
                match self.config.failure_action {
                    FailureAction::Continue => {}
                    FailureAction::Pause => {
                        report.outcome = Outcome::Paused;
                        return Ok(report);
                    }
                    FailureAction::Rollback => {
                        report.outcome = Outcome::NeedsRollback;
                        return Ok(report);
                    }
                }
            }
        }
        Ok(report)
    }

    /// Replaces one replica; `Ok(Err(why))` when the new one failed (the old one still
    /// serves with start-first).
    async fn replace(&self, step: &Step) -> Result<Result<ReplicaRef, String>, EngineError> {
        let label = format!("{}-{}", self.service.name, step.replica_number);
        let old = Replica::new(
            &self.service.name,
            step.replica_number,
            &step.old_container_id,
        );
        let start_first = self.config.order == UpdateOrder::StartFirst;
        let mut spec = step.spec.clone();
        if start_first {
            spec.name = format!("{}-next", step.old_name);
            // A leftover of a rollout that was interrupted.
            if let Ok(details) = self.engine.inspect_container(&spec.name).await {
                let _ = self
                    .engine
                    .stop_container(&details.summary.id, step.stop_timeout)
                    .await;
                self.engine
                    .remove_container(&details.summary.id, false)
                    .await?;
            }
        } else {
            self.stop_old(&old, step).await?;
        }
        self.reporter.event(Event::Note(format!(
            "rolling out `{label}` ({}): starting its new replica",
            if start_first {
                "start-first"
            } else {
                "stop-first"
            }
        )));
        let container_id = self.engine.create_container(&spec).await?;
        self.engine.start_container(&container_id).await?;
        let new = Replica::new(&self.service.name, step.replica_number, &container_id);
        let replica = ReplicaRef {
            service_name: self.service.name.clone(),
            replica_number: step.replica_number,
            container_id: container_id.clone(),
            container_name: spec.name.clone(),
        };
        let mut found_ready = None;
        let ready = match new.post_start(self.engine, &step.post_start).await {
            Ok(()) => {
                let remaining = self.deadline.saturating_duration_since(Instant::now());
                wait_ready(
                    self.engine,
                    &[(replica.clone(), self.service, false)],
                    remaining,
                    |replica, after, details| {
                        self.reporter.event(Event::Ready {
                            replica: replica.label(),
                            after,
                        });
                        found_ready = Some(details);
                    },
                )
                .await
                .map_err(|err| err.to_string())
            }
            Err(err) => Err(err.to_string()),
        };
        if let Err(why) = ready {
            if start_first {
                // The old one keeps serving; the failed new one goes.
                let _ = self
                    .engine
                    .stop_container(&container_id, step.stop_timeout)
                    .await;
                let _ = self.engine.remove_container(&container_id, false).await;
            }
            return Ok(Err(format!("{label}: {why}")));
        }
        let published = match &found_ready {
            Some(details) => {
                crate::serving::publish(self.engine, self.project, self.service, details).await?
            }
            None => {
                crate::serving::publish_if_ready(
                    self.engine,
                    self.project,
                    self.service,
                    &container_id,
                )
                .await?
            }
        };
        if published {
            self.reporter.event(Event::Serving {
                service: self.service.name.clone(),
                replica: step.old_name.clone(),
            });
        }
        if start_first {
            self.stop_old(&old, step).await?;
            self.engine
                .rename_container(&container_id, &step.old_name)
                .await?;
        }
        self.reporter.event(Event::Note(format!(
            "rolled out `{label}`: its new replica is ready"
        )));
        Ok(Ok(ReplicaRef {
            container_name: step.old_name.clone(),
            ..replica
        }))
    }

    /// Stops and removes an old replica, after its `pre_stop` hooks. Its SIGTERM is its
    /// drain: it keeps its names until it exits (`crate::serving`).
    async fn stop_old(&self, old: &Replica<'_>, step: &Step) -> Result<(), EngineError> {
        // Out of the names and the ingress first: new connections go to the new
        // replica, and the old one finishes those it has as it stops.
        for warning in crate::serving::drain(
            self.engine,
            &self.project.name,
            Some(self.service),
            &step.old_container_id,
            &step.old_name,
        )
        .await
        {
            self.reporter
                .event(Event::Note(format!("warning: {warning}")));
        }
        for warning in old.pre_stop(self.engine, &step.pre_stop).await {
            self.reporter
                .event(Event::Note(format!("warning: {warning}")));
        }
        self.engine
            .stop_container(&step.old_container_id, step.stop_timeout)
            .await?;
        self.engine
            .remove_container(&step.old_container_id, false)
            .await
    }

    /// Watches new replicas for `monitor`; returns why each that failed meanwhile failed.
    async fn monitor(&self, fresh: &[ReplicaRef]) -> Result<Vec<String>, EngineError> {
        let until = Instant::now() + self.config.monitor;
        let mut failed: Vec<String> = Vec::new();
        let mut watching: Vec<&ReplicaRef> = fresh.iter().collect();
        loop {
            let mut still = Vec::new();
            for replica in watching {
                match check_replica(self.engine, self.service, replica, false).await {
                    Ok(Readiness::Failed(why)) => {
                        failed.push(format!("{}: {why}", replica.label()))
                    }
                    Ok(_) => still.push(replica),
                    Err(EngineError::NotFound { .. }) => {
                        failed.push(format!("{}: its container is gone", replica.label()))
                    }
                    Err(err) => return Err(err),
                }
            }
            watching = still;
            if watching.is_empty() || Instant::now() >= until || self.cancel.is_cancelled() {
                return Ok(failed);
            }
            tokio::time::sleep(Duration::from_millis(250).min(until - Instant::now())).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::plan::ContainerState;

    struct Quiet;

    impl Reporter for Quiet {
        fn event(&self, _event: Event) {}
    }

    fn project() -> (Project, Service) {
        let service = Service {
            name: "web".to_string(),
            image: Some("img".to_string()),
            ..Service::default()
        };
        let project = Project {
            registry: None,
            target: Default::default(),
            name: "demo".to_string(),
            working_dir: ".".into(),
            services: BTreeMap::from([("web".to_string(), service.clone())]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        (project, service)
    }

    /// Three running replicas of the old config, and the steps that replace them; each
    /// new replica runs a `post_start` hook, which the fake answers with `hook_exit`.
    async fn three(engine: &FakeEngine, hook_exit: i64) -> Vec<Step> {
        let (project, service) = project();
        engine.add_network("demo_default", BTreeMap::new());
        engine.set_exec_exit_code(hook_exit);
        let mut steps = Vec::new();
        for number in 1..=3 {
            let old = ContainerSpec::for_replica(&project, &service, number, "old");
            let id = engine.create_container(&old).await.unwrap();
            engine.start_container(&id).await.unwrap();
            steps.push(Step {
                old_container_id: id,
                old_name: old.name.clone(),
                replica_number: number,
                spec: ContainerSpec::for_replica(&project, &service, number, "new"),
                stop_timeout: Duration::from_secs(1),
                pre_stop: Vec::new(),
                post_start: vec![ExecSpec {
                    command: vec!["check".to_string()],
                    ..ExecSpec::default()
                }],
            });
        }
        steps
    }

    async fn roll(engine: &FakeEngine, steps: &[Step], config: UpdateConfig) -> Report {
        let (project, service) = project();
        let cancel = Cancel::default();
        let rollout = Rollout {
            engine,
            project: &project,
            service: &service,
            config,
            deadline: Instant::now() + Duration::from_secs(5),
            reporter: &Quiet,
            cancel: &cancel,
        };
        rollout.run(steps).await.unwrap()
    }

    fn config(order: UpdateOrder, failure_action: FailureAction, ratio: f64) -> UpdateConfig {
        UpdateConfig {
            parallelism: 1,
            delay: Duration::ZERO,
            failure_action,
            monitor: Duration::ZERO,
            max_failure_ratio: ratio,
            order,
        }
    }

    /// Running containers by name -> their config hash.
    fn running(engine: &FakeEngine) -> BTreeMap<String, String> {
        engine
            .containers()
            .into_iter()
            .filter(|c| c.state == ContainerState::Running)
            .map(|c| {
                let hash = c.labels[crate::plan::labels::CONFIG_HASH].clone();
                (c.name, hash)
            })
            .collect()
    }

    #[tokio::test]
    async fn start_first_replaces_every_replica_under_its_own_name() {
        let engine = FakeEngine::new();
        let steps = three(&engine, 0).await;
        let report = roll(
            &engine,
            &steps,
            config(UpdateOrder::StartFirst, FailureAction::Rollback, 0.0),
        )
        .await;
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(report.replaced, 3);
        let names: Vec<(String, String)> = running(&engine).into_iter().collect();
        assert_eq!(
            names,
            [
                ("demo-web-1".to_string(), "new".to_string()),
                ("demo-web-2".to_string(), "new".to_string()),
                ("demo-web-3".to_string(), "new".to_string()),
            ]
        );
        // Start-first: each new replica was created before its old one was stopped.
        let calls = engine.calls();
        let created = calls
            .iter()
            .position(|c| c == "create_container demo-web-1-next");
        let stopped = calls
            .iter()
            .position(|c| c.starts_with("stop_container c0001"));
        assert!(created < stopped, "{calls:?}");
    }

    #[tokio::test]
    async fn a_failing_start_first_batch_leaves_the_old_replicas_serving_and_pauses() {
        let engine = FakeEngine::new();
        let steps = three(&engine, 1).await;
        let report = roll(
            &engine,
            &steps,
            config(UpdateOrder::StartFirst, FailureAction::Pause, 0.0),
        )
        .await;
        assert_eq!(report.outcome, Outcome::Paused);
        assert_eq!(report.replaced, 0);
        assert_eq!(report.failures.len(), 1, "it stops after the first batch");
        assert!(
            report.failures[0].starts_with("web-1: "),
            "{:?}",
            report.failures
        );
        assert!(running(&engine).values().all(|hash| hash == "old"));
        assert_eq!(running(&engine).len(), 3, "the failed new replica is gone");
    }

    #[tokio::test]
    async fn failures_within_the_ratio_go_on_and_past_it_ask_for_a_rollback() {
        let engine = FakeEngine::new();
        let steps = three(&engine, 1).await;
        // Every replica fails: a ratio of 1 lets the rollout go on to the end.
        let report = roll(
            &engine,
            &steps,
            config(UpdateOrder::StopFirst, FailureAction::Rollback, 1.0),
        )
        .await;
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(report.failures.len(), 3);

        let engine = FakeEngine::new();
        let steps = three(&engine, 1).await;
        let report = roll(
            &engine,
            &steps,
            config(UpdateOrder::StopFirst, FailureAction::Rollback, 0.5),
        )
        .await;
        // One failure of three is within 0.5; the second is past it.
        assert_eq!(report.outcome, Outcome::NeedsRollback);
        assert_eq!(report.failures.len(), 2);
    }

    #[tokio::test]
    async fn continue_goes_on_past_any_failure() {
        let engine = FakeEngine::new();
        let steps = three(&engine, 1).await;
        let report = roll(
            &engine,
            &steps,
            config(UpdateOrder::StartFirst, FailureAction::Continue, 0.0),
        )
        .await;
        assert_eq!(report.outcome, Outcome::Completed);
        assert_eq!(report.failures.len(), 3);
        assert!(running(&engine).values().all(|hash| hash == "old"));
    }
}

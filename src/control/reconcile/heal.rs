//! The healing part of a round: compare each replica with what the previous round saw,
//! record failures and hold failing services back, plan, execute with `converge` for
//! one round, and record what was done.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Instant;

use super::condition::{condition, Condition};
use super::ProjectWorker;
use crate::clock::now_ms;
use crate::control::backoff::random_unit;
use crate::control::format_ms;
use crate::control::status::ServiceStatus;
use crate::converge::{converge, one_shot_services, ConvergeError, ConvergeOptions};
use crate::engine::observe;
use crate::engine::DEFAULT_CONCURRENCY;
use crate::health::ReadyError;
use crate::manifest::model::Project;
use crate::plan::{names, plan_healing, HealOptions, ObservedContainer, PlanOptions};
use crate::report::{Cancel, Event, Reporter};
use crate::state::ServiceBackoff;

/// The converge progress a round records, collected while it runs.
#[derive(Default)]
struct Collected(Mutex<Vec<Event>>);

impl Reporter for Collected {
    fn event(&self, event: Event) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}

impl ProjectWorker {
    pub(super) async fn heal(&mut self, project: &Project, cancel: &Cancel, failed: &mut bool) {
        let observed = match observe(self.engine.as_ref(), &project.name).await {
            Ok(observed) => observed,
            Err(err) => {
                *failed = true;
                self.error(format!("cannot observe the project: {err}"));
                return;
            }
        };
        let now = Instant::now();
        let policy = self.settings.backoff;
        let scale = self.scale(project);
        let one_shot = one_shot_services(project);
        // Services stopped or killed on purpose (`msctl stop`, `kill`): neither failures
        // nor anything to heal, until `start` or `up`.
        let held = match self.store.held(&project.name) {
            Ok(held) => held,
            Err(err) => {
                *failed = true;
                self.error(format!(
                    "cannot read the services stopped on purpose: {err}"
                ));
                return;
            }
        };
        // Why each replica needs an action, by resource id, for the events.
        let mut reasons: BTreeMap<String, String> = BTreeMap::new();
        // Resource id -> container id of the replicas observed.
        let mut containers: BTreeMap<String, String> = BTreeMap::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut statuses: BTreeMap<String, ServiceStatus> = BTreeMap::new();

        for (service_name, service) in &project.services {
            let is_one_shot = one_shot.contains(service_name);
            let mut replicas: Vec<&ObservedContainer> = observed
                .project_containers(&project.name)
                .filter(|c| !c.is_oneoff() && c.service() == Some(service_name.as_str()))
                .filter(|c| c.replica_number().is_some())
                .collect();
            replicas.sort_by_key(|c| c.replica_number());
            if held.contains_key(service_name) {
                for container in &replicas {
                    seen.insert(container.id.clone());
                    self.conditions.remove(&container.id);
                }
                continue;
            }
            let mut newly_failed: Vec<(String, &'static str, String)> = Vec::new();
            let mut ready = 0u32;
            let mut all_ready = true;
            for container in &replicas {
                seen.insert(container.id.clone());
                let resource = format!(
                    "service:{service_name}:{}",
                    container.replica_number().unwrap_or(0)
                );
                containers.insert(resource.clone(), container.id.clone());
                let now_condition = condition(
                    container,
                    is_one_shot,
                    self.notes.get(&container.id).map(String::as_str),
                );
                let before = self
                    .conditions
                    .insert(container.id.clone(), now_condition.clone());
                match &now_condition {
                    Condition::Failed { kind, why } => {
                        all_ready = false;
                        reasons.insert(resource, format!("it {why}"));
                        if !matches!(before, Some(Condition::Failed { .. })) {
                            newly_failed.push((container.name.clone(), kind, why.clone()));
                        }
                    }
                    Condition::Ready => {
                        ready += 1;
                        let news = match before {
                            Some(Condition::Starting | Condition::Failed { .. }) => true,
                            None => !self.first_round && self.awaiting.contains(service_name),
                            Some(Condition::Ready) => false,
                        };
                        if news && !is_one_shot {
                            self.record(
                                service_name,
                                &container.name,
                                "ready",
                                format!("replica `{}` is ready", container.name),
                            );
                        }
                    }
                    Condition::Starting => all_ready = false,
                }
            }
            let mut desired_count = scale
                .get(service_name)
                .copied()
                .unwrap_or_else(|| service.replicas());
            if service.container_name.is_some() {
                desired_count = desired_count.min(1);
            }
            if all_ready && ready >= desired_count {
                self.awaiting.remove(service_name);
            }
            for (replica, kind, why) in &newly_failed {
                self.record(
                    service_name,
                    replica,
                    kind,
                    format!("replica `{replica}` {why}"),
                );
            }
            if let (Some((replica, _, why)), false) = (newly_failed.first(), is_one_shot) {
                let reason = format!("replica `{replica}` {why}");
                self.hold_back(&project.name, service_name, replica, reason, now);
            } else if self
                .backoffs
                .entry(service_name.clone())
                .or_default()
                .observed(&policy, now, all_ready && ready >= desired_count)
            {
                let _ = self.store.clear_backoff(&project.name, Some(service_name));
                self.record(
                    service_name,
                    "",
                    "recovered",
                    format!(
                        "service `{service_name}` stayed ready for {}s: its failures are forgotten",
                        policy.reset_after.as_secs_f64()
                    ),
                );
            }
            let failures = self
                .backoffs
                .get(service_name)
                .map(|b| b.failures)
                .unwrap_or(0);
            statuses.insert(
                service_name.clone(),
                ServiceStatus {
                    desired: desired_count,
                    ready,
                    restarts: self.restarts.get(service_name).copied().unwrap_or(0),
                    failures,
                },
            );
        }
        // A container reported dead that the list still shows running gets a few more
        // looks; one the list shows stopped, or gone, needs no more.
        self.reported_dead.retain(|id, left| {
            *left = left.saturating_sub(1);
            *left > 0
                && observed
                    .containers
                    .iter()
                    .any(|c| &c.id == id && c.is_running())
        });
        // Forget what is gone.
        self.conditions.retain(|id, _| seen.contains(id));
        self.notes.retain(|id, _| seen.contains(id));
        self.backoffs
            .retain(|name, _| project.services.contains_key(name));
        if self.first_round {
            let replicas: u32 = statuses.values().map(|s| s.ready).sum();
            self.record(
                "",
                "",
                "adopted",
                format!(
                    "the control plane keeps project `{}` healthy: {} services, {replicas} replicas ready",
                    project.name,
                    project.services.len()
                ),
            );
        }
        self.publish(&statuses);

        let hold: BTreeSet<String> = self
            .backoffs
            .iter()
            .filter(|(_, b)| b.holds(now))
            .map(|(name, _)| name.clone())
            .chain(one_shot.iter().cloned())
            .chain(held.keys().cloned())
            .collect();
        let plan_options = PlanOptions {
            scale,
            ..PlanOptions::default()
        };
        let heal = HealOptions {
            replace_unhealthy: true,
            keep_changed: true,
            hold,
        };
        if plan_healing(project, &observed, &plan_options, &heal).is_empty() {
            return;
        }
        let options = ConvergeOptions {
            plan: plan_options,
            heal,
            single_round: true,
            wait: false,
            timeout: self.settings.round_timeout,
            concurrency: DEFAULT_CONCURRENCY,
            previous: None,
        };
        let collected = Collected::default();
        let result = converge(self.engine.as_ref(), project, &options, &collected, cancel).await;
        let events = collected.0.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut unfinished: BTreeSet<String> = BTreeSet::new();
        for event in events {
            match event {
                Event::Started { resource, .. } => {
                    unfinished.insert(resource);
                }
                Event::Done { resource, line } => {
                    unfinished.remove(&resource);
                    self.acted(project, &resource, &line, &reasons, &containers);
                }
                Event::Serving { service, replica } => {
                    let message = crate::serving::keep::serving_message(&replica);
                    self.record(&service, &replica, "serving", message);
                }
                Event::Ready { .. } | Event::Note(_) => {}
            }
        }
        for (name, status) in statuses.iter_mut() {
            status.restarts = self.restarts.get(name).copied().unwrap_or(0);
        }
        self.publish(&statuses);
        let Err(err) = result else { return };
        *failed = true;
        match err {
            ConvergeError::Interrupted => {}
            ConvergeError::Action { action, source } => {
                let message = format!("cannot {action}: {source}");
                let service = unfinished
                    .iter()
                    .find_map(|resource| service_of(resource))
                    .map(|(service, _)| service);
                match service {
                    Some(service) if project.services.contains_key(&service) => {
                        self.record(&service, "", "failed", message.clone());
                        self.hold_back(&project.name, &service, "", message, now);
                    }
                    _ => self.error(message),
                }
            }
            ConvergeError::NotReady(ReadyError::Failed { replica, reason }) => self.error(format!(
                "replica `{}` of service `{}`, which others depend on, {reason}",
                replica.container_name, replica.service_name
            )),
            other => self.error(other.to_string()),
        }
    }

    /// An action of the plan was applied: record it, and what it means for the next round.
    fn acted(
        &mut self,
        project: &Project,
        resource: &str,
        line: &str,
        reasons: &BTreeMap<String, String>,
        containers: &BTreeMap<String, String>,
    ) {
        let Some((service, number)) = service_of(resource) else {
            self.record("", "", "created", line.to_string());
            return;
        };
        let kind = if line.starts_with("recreate ") {
            "replaced"
        } else if line.starts_with("remove ") {
            "removed"
        } else {
            "started"
        };
        if kind != "removed" && containers.contains_key(resource) {
            *self.restarts.entry(service.clone()).or_default() += 1;
        }
        // The next round sees this replica anew: a failure then is a new failure.
        if let Some(id) = containers.get(resource) {
            self.conditions.remove(id);
        }
        self.awaiting.insert(service.clone());
        let replica = project
            .services
            .get(&service)
            .map(|s| names::replica_container_name(&project.name, s, number))
            .unwrap_or_default();
        let message = match reasons.get(resource) {
            Some(why) => format!("{line}: {why}"),
            None => line.to_string(),
        };
        self.record(&service, &replica, kind, message);
    }

    /// Count a failure of `service` and hold it back: a `backoff` event says why and
    /// until when; `ps` and the API show it from the store.
    fn hold_back(
        &mut self,
        project: &str,
        service: &str,
        replica: &str,
        reason: String,
        now: Instant,
    ) {
        let policy = self.settings.backoff;
        let backoff = self.backoffs.entry(service.to_string()).or_default();
        let delay = backoff.failed(&policy, now, reason.clone(), random_unit());
        let failures = backoff.failures;
        let next_ms = now_ms() + delay.as_millis() as i64;
        let stored = self.store.set_backoff(
            project,
            service,
            &ServiceBackoff {
                failures,
                next_attempt_ms: next_ms,
                reason: reason.clone(),
            },
        );
        self.record(
            service,
            replica,
            "backoff",
            format!(
                "{reason}: next attempt in {:.2}s at {} ({failures} {} in a row)",
                delay.as_secs_f64(),
                format_ms(next_ms),
                if failures == 1 { "failure" } else { "failures" }
            ),
        );
        if let Err(err) = stored {
            self.error(format!("cannot record the backoff: {err}"));
        }
    }
}

/// `service:web:2` -> (`web`, 2).
fn service_of(resource: &str) -> Option<(String, u32)> {
    let rest = resource.strip_prefix("service:")?;
    let (service, number) = rest.rsplit_once(':')?;
    Some((service.to_string(), number.parse().ok()?))
}

//! One project's rounds: observe -> note what changed -> plan -> execute.
//!
//! A round takes the project's lock (a command working on the project wins: the round
//! is skipped and retried), observes the engine, and compares each replica with what the
//! previous round saw: a replica that exited, died or turned unhealthy since is a
//! failure of its service, recorded as an event and counted by the service's
//! [`Backoff`]. Then it plans against the stored desired project, holding back the
//! services in backoff, and executes the plan with [`converge`] for one round. What was
//! done is recorded as events; the next round (engine event, backoff expiry or resync)
//! sees the result.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::converge::{
    converge, one_shot_services, Cancel, ConvergeError, ConvergeOptions, Event, Reporter,
    DEFAULT_CONCURRENCY,
};
use crate::engine::{observe, Engine, EngineEvent, EventAction};
use crate::health::ReadyError;
use crate::lock::{LockError, ProjectLock};
use crate::manifest::model::{Autoscale, Project};
use crate::plan::{
    autoscale, names, plan_healing, ContainerState, HealOptions, Health, ObservedContainer,
    PlanOptions,
};
use crate::state::{ScaleOverride, ServiceBackoff, StateStore, StoredEvent};

use super::backoff::{random_unit, Backoff, BackoffPolicy};
use super::status::{ServiceStatus, Status};
use super::{format_ms, Log};
use crate::clock::now_ms;

/// How the control plane paces itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// A round of every project at least this often, events or not.
    pub resync: Duration,
    pub backoff: BackoffPolicy,
    /// The deadline of one round's execution.
    pub round_timeout: Duration,
    /// Rounds of one project are at least this far apart, however many events arrive.
    pub min_gap: Duration,
    /// Services with `x-msctl.autoscale` have their replicas' CPU measured at most this
    /// often (a measurement takes the engine about a second).
    pub autoscale_every: Duration,
    /// How often a project's replicas are checked for readiness, to give a service's
    /// names to the ready ones only (`control::serving`).
    pub serving_every: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            resync: Duration::from_secs(5),
            backoff: BackoffPolicy::default(),
            round_timeout: Duration::from_secs(60),
            min_gap: Duration::from_millis(200),
            autoscale_every: Duration::from_secs(10),
            serving_every: Duration::from_secs(1),
        }
    }
}

/// Where a replica stood when a round saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// Created, starting, restarting or paused: not ready, not failed.
    Starting,
    /// Running and healthy (or without a health check); a one-shot job that exited 0.
    Ready,
    /// It will not recover by itself: `kind` is `died` or `unhealthy`.
    Failed { kind: &'static str, why: String },
}

fn condition(container: &ObservedContainer, one_shot: bool, note: Option<&str>) -> Condition {
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    match container.state {
        ContainerState::Exited { code: 0 } if one_shot => Condition::Ready,
        ContainerState::Exited { code } => Condition::Failed {
            kind: "died",
            why: format!("exited with code {code}{}", exit_hint(code, &note)),
        },
        ContainerState::Dead => Condition::Failed {
            kind: "died",
            why: format!("is dead{note}"),
        },
        ContainerState::Created | ContainerState::Restarting | ContainerState::Paused => {
            Condition::Starting
        }
        ContainerState::Running => match container.health {
            Health::Unhealthy => Condition::Failed {
                kind: "unhealthy",
                why: "is unhealthy: its health check fails".to_string(),
            },
            Health::Starting => Condition::Starting,
            Health::Healthy | Health::None => Condition::Ready,
        },
    }
}

/// What an exit code says, when the engine said nothing more.
fn exit_hint(code: i64, note: &str) -> String {
    if !note.is_empty() {
        return note.to_string();
    }
    match code {
        137 => " (killed: SIGKILL, or out of memory)".to_string(),
        143 => " (terminated: SIGTERM)".to_string(),
        _ => String::new(),
    }
}

/// Rounds that look again at a container the engine said died while its list still
/// shows it running (each [`RECHECK`] apart).
const RECHECKS: u32 = 20;

/// How soon a round looks again at a container reported dead.
pub const RECHECK: Duration = Duration::from_millis(100);

/// Why a round ended as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundOutcome {
    Done,
    /// A command holds the project's lock: try again shortly.
    Busy,
    /// The project has no desired state with self-heal on any more: stop caring.
    Gone,
}

/// The converge progress a round records, collected while it runs.
#[derive(Default)]
struct Collected(Mutex<Vec<Event>>);

impl Reporter for Collected {
    fn event(&self, event: Event) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}

/// Everything the control plane remembers about one project between rounds. None of it
/// is needed to start again: a new worker observes and plans from scratch.
pub struct ProjectWorker {
    project: String,
    engine: Arc<dyn Engine>,
    state_dir: PathBuf,
    settings: Settings,
    status: Status,
    store: StateStore,
    log: Log,
    /// Container id -> its condition at the last round.
    conditions: BTreeMap<String, Condition>,
    backoffs: BTreeMap<String, Backoff>,
    /// Services the control plane acted on whose replicas it reports ready once they are.
    awaiting: BTreeSet<String>,
    /// Container id -> what an engine event said about it (out of memory).
    notes: BTreeMap<String, String>,
    /// Container id -> rounds left: the engine said it died, but its list may still say
    /// it runs for a moment (Docker sends `die` before it records the exit), so rounds
    /// follow until the list agrees.
    reported_dead: BTreeMap<String, u32>,
    restarts: BTreeMap<String, u64>,
    first_round: bool,
    /// The last error recorded, so that a problem that lasts is recorded once.
    last_error: Option<String>,
    /// When this worker started: a service's cooldown counts from here until the
    /// autoscaler changes it (an earlier control plane's changes are not known).
    started: Instant,
    /// When the autoscaler last measured, and last changed each service.
    measured: Option<Instant>,
    autoscaled: BTreeMap<String, Instant>,
}

impl ProjectWorker {
    pub fn new(
        project: &str,
        engine: Arc<dyn Engine>,
        state_dir: PathBuf,
        settings: Settings,
        status: Status,
        log: Log,
    ) -> Result<ProjectWorker, crate::state::StateError> {
        let mut store = StateStore::open(&state_dir)?;
        // A backoff recorded by an earlier control plane is not this one's.
        store.clear_backoff(project, None)?;
        Ok(ProjectWorker {
            project: project.to_string(),
            engine,
            state_dir,
            settings,
            status,
            store,
            log,
            conditions: BTreeMap::new(),
            backoffs: BTreeMap::new(),
            awaiting: BTreeSet::new(),
            notes: BTreeMap::new(),
            reported_dead: BTreeMap::new(),
            restarts: BTreeMap::new(),
            first_round: true,
            last_error: None,
            started: Instant::now(),
            measured: None,
            autoscaled: BTreeMap::new(),
        })
    }

    pub fn project(&self) -> &str {
        &self.project
    }

    /// Remember what an engine event tells that observation cannot (yet).
    pub fn note_event(&mut self, event: &EngineEvent) {
        match event.action {
            EventAction::Oom => {
                self.notes
                    .insert(event.container_id.clone(), "out of memory".to_string());
                self.reported_dead
                    .insert(event.container_id.clone(), RECHECKS);
            }
            EventAction::Die => {
                self.reported_dead
                    .insert(event.container_id.clone(), RECHECKS);
            }
            EventAction::Start | EventAction::Destroy => {
                self.reported_dead.remove(&event.container_id);
            }
            _ => {}
        }
    }

    /// Whether a container the engine said died still looked alive: look again soon.
    pub fn recheck_soon(&self) -> bool {
        !self.reported_dead.is_empty()
    }

    /// When a service's backoff ends, if one is holding a service back.
    pub fn next_attempt(&self, now: Instant) -> Option<Instant> {
        self.backoffs
            .values()
            .filter_map(|b| b.next_attempt)
            .filter(|at| *at > now)
            .min()
    }

    /// The worker stops: what it published goes.
    pub fn retire(&mut self) {
        let _ = self.store.clear_backoff(&self.project, None);
        self.status.remove(&self.project);
    }

    fn record(&mut self, service: &str, replica: &str, kind: &str, message: String) {
        let event = StoredEvent {
            id: 0,
            at_ms: now_ms(),
            project: self.project.clone(),
            service: service.to_string(),
            replica: replica.to_string(),
            kind: kind.to_string(),
            message,
        };
        (self.log)(&super::log_line(&event));
        if let Err(err) = self.store.record_event(&event) {
            (self.log)(&format!("warning: cannot record an event: {err}"));
        }
    }

    /// A problem with the whole round, recorded once while it lasts.
    fn error(&mut self, message: String) {
        if self.last_error.as_deref() != Some(message.as_str()) {
            self.record("", "", "resync-error", message.clone());
            self.last_error = Some(message);
        }
    }

    /// Counts set by `scale` that still hold for the desired manifest (read only: the
    /// commands forget stale ones).
    fn scale(&self, project: &Project) -> BTreeMap<String, u32> {
        project
            .services
            .iter()
            .filter_map(|(name, service)| {
                let found = self.store.scale_override(&project.name, name).ok()??;
                (found.manifest_replicas == service.replicas())
                    .then_some((name.clone(), found.replicas))
            })
            .collect()
    }

    pub async fn round(&mut self, cancel: &Cancel) -> RoundOutcome {
        let started = Instant::now();
        let desired = match self.store.desired(&self.project) {
            Ok(Some(desired)) if desired.self_heal => desired,
            Ok(_) => return RoundOutcome::Gone,
            Err(err) => {
                self.error(format!("cannot read the desired state: {err}"));
                return RoundOutcome::Done;
            }
        };
        let _lock =
            match ProjectLock::acquire(&self.state_dir, &self.project, Duration::ZERO, || {}).await
            {
                Ok(lock) => lock,
                Err(LockError::Timeout { .. }) => return RoundOutcome::Busy,
                Err(err) => {
                    self.error(format!("cannot take the project's lock: {err}"));
                    return RoundOutcome::Done;
                }
            };
        let project = desired.project;
        let decisions = self.autoscale(&project).await;
        let mut failed = false;
        if !decisions.is_empty() {
            self.apply_autoscale(&project, decisions);
        }
        self.heal(&project, cancel, &mut failed).await;
        if !failed {
            self.last_error = None;
        }
        self.first_round = false;
        let elapsed = started.elapsed();
        self.status
            .update(&self.project, |status| status.reconcile.observe(elapsed));
        RoundOutcome::Done
    }

    /// What the autoscaler decides for the services with `x-msctl.autoscale`, from
    /// the CPU use of their ready replicas; nothing between two measurements.
    async fn autoscale(&mut self, project: &Project) -> Vec<(String, autoscale::Decision)> {
        let services: Vec<(&String, &Autoscale)> = project
            .services
            .iter()
            .filter_map(|(name, s)| s.extensions.autoscale.as_ref().map(|a| (name, a)))
            .collect();
        let now = Instant::now();
        if services.is_empty()
            || self
                .measured
                .is_some_and(|at| now.duration_since(at) < self.settings.autoscale_every)
        {
            return Vec::new();
        }
        self.measured = Some(now);
        let observed = match observe(self.engine.as_ref(), &project.name).await {
            Ok(observed) => observed,
            Err(err) => {
                self.error(format!("cannot observe the project to autoscale it: {err}"));
                return Vec::new();
            }
        };
        let scale = self.scale(project);
        let mut decisions = Vec::new();
        for (name, settings) in services {
            let ready: Vec<&str> = observed
                .containers
                .iter()
                .filter(|c| {
                    c.service() == Some(name.as_str())
                        && c.state == ContainerState::Running
                        && matches!(c.health, Health::None | Health::Healthy)
                })
                .map(|c| c.id.as_str())
                .collect();
            let engine = &self.engine;
            let samples: Vec<f64> =
                futures_util::future::join_all(ready.iter().map(|id| engine.cpu_percent(id)))
                    .await
                    .into_iter()
                    .filter_map(Result::ok)
                    .collect();
            let current = scale
                .get(name)
                .copied()
                .unwrap_or_else(|| project.services[name].replicas());
            let since = now.duration_since(*self.autoscaled.get(name).unwrap_or(&self.started));
            if let Some(decision) = autoscale::decide(settings, current, &samples, Some(since)) {
                decisions.push((name.clone(), decision));
            }
        }
        decisions
    }

    /// Keep each decision as the service's count (as `msctl scale` does) and record it.
    fn apply_autoscale(
        &mut self,
        project: &Project,
        decisions: Vec<(String, autoscale::Decision)>,
    ) {
        for (name, decision) in decisions {
            let count = BTreeMap::from([(
                name.clone(),
                ScaleOverride {
                    replicas: decision.to,
                    manifest_replicas: project.services[&name].replicas(),
                },
            )]);
            if let Err(err) = self.store.set_scale(&project.name, &count) {
                self.error(format!(
                    "cannot record the autoscaled count of `{name}`: {err}"
                ));
                continue;
            }
            self.autoscaled.insert(name.clone(), Instant::now());
            self.record(
                &name,
                "",
                "scaled",
                format!(
                    "autoscaled `{name}` from {} to {} replicas: {}",
                    decision.from, decision.to, decision.reason
                ),
            );
        }
    }

    async fn heal(&mut self, project: &Project, cancel: &Cancel, failed: &mut bool) {
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
                    let message = super::serving::serving_message(&replica);
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

    fn publish(&self, statuses: &BTreeMap<String, ServiceStatus>) {
        self.status.update(&self.project, |status| {
            status.services = statuses.clone();
        });
    }
}

/// `service:web:2` -> (`web`, 2).
fn service_of(resource: &str) -> Option<(String, u32)> {
    let rest = resource.strip_prefix("service:")?;
    let (service, number) = rest.rsplit_once(':')?;
    Some((service.to_string(), number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::manifest::model::Service;
    use crate::plan::labels;

    fn project() -> Project {
        let service = |name: &str| Service {
            name: name.to_string(),
            image: Some(format!("{name}:1")),
            ..Service::default()
        };
        Project {
            registry: None,
            target: Default::default(),
            name: "demo".to_string(),
            working_dir: ".".into(),
            services: BTreeMap::from([
                ("web".to_string(), service("web")),
                ("api".to_string(), service("api")),
            ]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    struct Setup {
        _dir: tempfile::TempDir,
        engine: Arc<FakeEngine>,
        worker: ProjectWorker,
        store: StateStore,
    }

    fn setup(initial: Duration) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("store");
        store.save_desired(&project(), true, 1).expect("desired");
        let engine = Arc::new(FakeEngine::new());
        let settings = Settings {
            backoff: BackoffPolicy {
                initial,
                max: initial * 4,
                reset_after: Duration::from_secs(60),
            },
            ..Settings::default()
        };
        let worker = ProjectWorker::new(
            "demo",
            engine.clone(),
            dir.path().to_path_buf(),
            settings,
            Status::default(),
            Arc::new(|_: &str| {}),
        )
        .expect("worker");
        Setup {
            _dir: dir,
            engine,
            worker,
            store,
        }
    }

    fn id_of(engine: &FakeEngine, service: &str) -> String {
        engine
            .containers()
            .into_iter()
            .find(|c| c.labels.get(labels::SERVICE).map(String::as_str) == Some(service))
            .map(|c| c.id)
            .expect("a replica")
    }

    /// `kind: message` of the events after `after`.
    fn events(store: &StateStore, after: &mut i64) -> Vec<String> {
        let found = store.events(Some("demo"), *after, 100).expect("events");
        if let Some(last) = found.last() {
            *after = last.id;
        }
        found
            .into_iter()
            .map(|e| format!("{}: {}", e.kind, e.message))
            .collect()
    }

    fn starts(engine: &FakeEngine) -> usize {
        engine
            .calls()
            .iter()
            .filter(|c| c.starts_with("start_container"))
            .count()
    }

    #[tokio::test]
    async fn a_replica_that_died_is_restarted_after_its_backoff_and_a_second_death_waits_longer() {
        let Setup {
            _dir,
            engine,
            mut worker,
            store,
        } = setup(Duration::from_millis(300));
        let cancel = Cancel::default();
        let mut seen = 0;
        assert_eq!(worker.round(&cancel).await, RoundOutcome::Done);
        let first = events(&store, &mut seen);
        assert_eq!(
            first[0],
            "adopted: the control plane keeps project `demo` healthy: 2 services, 0 replicas ready"
        );
        assert!(
            first.contains(
                &"started: create container demo-web-1 (service:web:1, missing)".to_string()
            ),
            "{first:?}"
        );

        // The next round sees them ready; then, everything running, a round only observes.
        worker.round(&cancel).await;
        assert_eq!(
            events(&store, &mut seen),
            [
                "ready: replica `demo-api-1` is ready",
                "ready: replica `demo-web-1` is ready"
            ]
        );
        let calls = engine.calls().len();
        assert_eq!(worker.round(&cancel).await, RoundOutcome::Done);
        assert_eq!(
            engine.calls().len() - calls,
            3,
            "only observed: {:?}",
            &engine.calls()[calls..]
        );
        let web = id_of(&engine, "web");
        assert!(events(&store, &mut seen).is_empty());

        engine.set_state(&web, ContainerState::Exited { code: 3 });
        let before = starts(&engine);
        worker.round(&cancel).await;
        let noted = events(&store, &mut seen);
        assert_eq!(noted[0], "died: replica `demo-web-1` exited with code 3");
        assert!(
            noted[1].starts_with(
                "backoff: replica `demo-web-1` exited with code 3: next attempt in 0."
            ),
            "{noted:?}"
        );
        assert!(noted[1].ends_with("(1 failure in a row)"), "{noted:?}");
        assert_eq!(starts(&engine), before, "held back while backing off");
        let backoffs = store.backoffs("demo").expect("backoffs");
        assert_eq!(backoffs["web"].failures, 1);
        let wake = worker
            .next_attempt(Instant::now())
            .expect("a backoff to wait for");
        assert!(wake > Instant::now() + Duration::from_millis(200));

        // Still held: a round now (an event) changes nothing.
        worker.round(&cancel).await;
        assert_eq!(starts(&engine), before);
        assert!(
            events(&store, &mut seen).is_empty(),
            "a failure is counted once"
        );

        tokio::time::sleep_until(wake.into()).await;
        worker.round(&cancel).await;
        assert_eq!(starts(&engine), before + 1);
        assert_eq!(
            events(&store, &mut seen),
            ["started: start container demo-web-1 (service:web:1, stopped): it exited with code 3"]
        );

        // It dies again at once: the second wait is longer (0.6 s less jitter >= 0.48 s).
        engine.set_state(&web, ContainerState::Exited { code: 3 });
        worker.round(&cancel).await;
        let noted = events(&store, &mut seen);
        assert!(noted[1].ends_with("(2 failures in a row)"), "{noted:?}");
        let wake = worker.next_attempt(Instant::now()).expect("waiting");
        assert!(wake >= Instant::now() + Duration::from_millis(400));
        worker.retire();
        assert!(store.backoffs("demo").expect("backoffs").is_empty());
    }

    #[tokio::test]
    async fn an_unhealthy_replica_is_replaced_and_its_replacement_reported_ready() {
        let Setup {
            _dir,
            engine,
            mut worker,
            store,
        } = setup(Duration::from_millis(1));
        let cancel = Cancel::default();
        worker.round(&cancel).await;
        worker.round(&cancel).await;
        let api = id_of(&engine, "api");
        engine.set_health(&api, Health::Unhealthy);
        let mut seen = store
            .events(Some("demo"), 0, 100)
            .expect("events")
            .last()
            .map_or(0, |e| e.id);
        worker.round(&cancel).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        worker.round(&cancel).await;
        let noted = events(&store, &mut seen);
        assert_eq!(
            noted[0],
            "unhealthy: replica `demo-api-1` is unhealthy: its health check fails"
        );
        assert_eq!(
            noted[2],
            "replaced: recreate container demo-api-1 (service:api:1, unhealthy): it is unhealthy: its health check fails"
        );
        assert_ne!(id_of(&engine, "api"), api);
        worker.round(&cancel).await;
        assert_eq!(
            events(&store, &mut seen),
            ["ready: replica `demo-api-1` is ready"]
        );
        let status = worker.status.project("demo").expect("status");
        assert_eq!(status.services["api"].restarts, 1);
        assert_eq!(status.services["api"].ready, 1);
        assert_eq!(status.reconcile.count(), 5);
    }

    #[tokio::test]
    async fn a_command_at_work_on_the_project_wins_and_a_forgotten_project_ends_the_worker() {
        let Setup {
            _dir,
            mut worker,
            mut store,
            ..
        } = setup(Duration::from_millis(1));
        let held = ProjectLock::acquire(&worker.state_dir, "demo", Duration::ZERO, || {})
            .await
            .expect("lock");
        assert_eq!(worker.round(&Cancel::default()).await, RoundOutcome::Busy);
        drop(held);
        store.set_self_heal("demo", false).expect("off");
        assert_eq!(worker.round(&Cancel::default()).await, RoundOutcome::Gone);
        store.set_self_heal("demo", true).expect("on");
        store.forget_project("demo").expect("forget");
        assert_eq!(worker.round(&Cancel::default()).await, RoundOutcome::Gone);
    }
}

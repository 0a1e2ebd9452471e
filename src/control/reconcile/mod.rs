//! One project's rounds: observe -> note what changed -> plan -> execute.
//!
//! A round takes the project's lock (a command working on the project wins: the round
//! is skipped and retried), observes the engine, and compares each replica with what the
//! previous round saw: a replica that exited, died or turned unhealthy since is a
//! failure of its service, recorded as an event and counted by the service's
//! [`Backoff`]. Then it plans against the stored desired project, holding back the
//! services in backoff, and executes the plan with [`converge`](crate::converge::converge)
//! for one round. What was done is recorded as events; the next round (engine event,
//! backoff expiry or resync) sees the result.

mod autoscaling;
mod condition;
mod heal;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::{Engine, EngineEvent, EventAction};
use crate::lock::{LockError, ProjectLock};
use crate::manifest::model::Project;
use crate::report::Cancel;
use crate::state::{StateStore, StoredEvent};

use super::backoff::{Backoff, BackoffPolicy};
use super::status::{ServiceStatus, Status};
use crate::clock::now_ms;
use crate::report::Log;
use condition::Condition;

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
    /// names to the ready ones only (`serving::keep`).
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
        (self.log)(&event.log_line());
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

    fn publish(&self, statuses: &BTreeMap<String, ServiceStatus>) {
        self.status.update(&self.project, |status| {
            status.services = statuses.clone();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::manifest::model::Service;
    use crate::plan::{labels, ContainerState, Health};

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

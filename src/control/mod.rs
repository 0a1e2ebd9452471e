//! The control plane: keeps every project whose desired state has self-heal on as `up`
//! left it, by itself.
//!
//! It runs the same loop as the commands (observe -> plan -> execute, through
//! [`crate::converge`] and the pure planner), one worker per project
//! ([`reconcile::ProjectWorker`]), on three triggers:
//!
//! - engine events of containers carrying msctl's project label: `die`, `oom`, `kill`,
//!   `health_status`, `start`, `destroy` (containers without the label never reach it);
//! - a periodic resync (every 5 s by default), which also catches missed events;
//! - the end of a service's backoff ([`backoff`]).
//!
//! Beside each worker run the project's serving sweep ([`serving`]) and its ingress
//! ([`ingress`]: the published ports of replicated services).
//!
//! Rounds of one project are at least 200 ms apart and a failing service is held back
//! with exponential backoff and jitter, so no event storm or crash loop becomes a hot
//! loop. Every decision is an event in the state store (`msctl events`, the API).
//!
//! [`process`] makes it one process per state directory; [`api`] serves its HTTP API.

pub mod api;
pub mod backoff;
pub mod process;
pub mod reconcile;
pub mod registry;
pub mod status;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::engine::{Engine, EngineEvent, EventAction, LabelFilter};
use crate::plan::labels;
use crate::report::Cancel;
use crate::report::Log;
use crate::state::StateStore;

pub use reconcile::{RoundOutcome, Settings};
pub use status::Status;

/// How long a background control plane waits with no project to keep before it stops:
/// `down` then `up` in a row keeps the same one (`down` stops it at once when it is the
/// one that leaves nothing to keep).
const IDLE_GRACE: Duration = Duration::from_secs(5);

/// How long events for one project are gathered before its round starts.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// `2024-05-01T12:00:03.250Z`.
pub fn format_ms(ms: i64) -> String {
    let full = crate::engine::format_rfc3339_nanos(ms.saturating_mul(1_000_000));
    // Nine fraction digits and `Z`: keep three.
    match full.len().checked_sub(7) {
        Some(cut) => format!("{}Z", &full[..cut]),
        None => full,
    }
}

/// The desired state `up` records: `project` as loaded (images pinned) when every
/// service was brought up; after `up SERVICE...`, the services it brought up (`selected`,
/// dependencies included) as loaded, and the others the `previous` desired state had,
/// as they were, so that the control plane neither starts services nobody brought up
/// nor rolls out changes `up` did not apply.
pub fn desired_after_up(
    previous: Option<&crate::manifest::model::Project>,
    project: &crate::manifest::model::Project,
    selected: &std::collections::BTreeSet<String>,
    everything: bool,
) -> crate::manifest::model::Project {
    let mut desired = project.clone();
    if everything {
        return desired;
    }
    desired.services.retain(|name, _| {
        selected.contains(name) || previous.is_some_and(|p| p.services.contains_key(name))
    });
    if let Some(previous) = previous {
        for (name, service) in desired.services.iter_mut() {
            if let (false, Some(before)) = (selected.contains(name), previous.services.get(name)) {
                *service = before.clone();
            }
        }
    }
    desired
}

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

/// A request to a project's worker.
enum Trigger {
    /// An engine event of one of its containers.
    Event(EngineEvent),
    /// Run a round now; say how it ended.
    Now(oneshot::Sender<RoundOutcome>),
}

type Workers = Arc<Mutex<BTreeMap<String, mpsc::UnboundedSender<Trigger>>>>;

/// What the API needs from the running control plane.
#[derive(Clone, Default)]
pub struct Handle {
    workers: Workers,
}

impl Handle {
    /// Run a round of `project` now and wait for it; `None` when the control plane does
    /// not keep that project (no desired state, or self-heal off).
    pub async fn reconcile(&self, project: &str) -> Option<RoundOutcome> {
        let (done, outcome) = oneshot::channel();
        let sender = self
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(project)
            .cloned()?;
        sender.send(Trigger::Now(done)).ok()?;
        outcome.await.ok()
    }

    /// The projects it keeps now.
    pub fn projects(&self) -> Vec<String> {
        self.workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

pub struct ControlPlane {
    pub engine: Arc<dyn Engine>,
    pub state_dir: PathBuf,
    pub settings: Settings,
    pub status: Status,
    pub handle: Handle,
    pub log: Log,
    /// Stop once no project has self-heal on (the background control plane).
    pub exit_when_idle: bool,
}

impl ControlPlane {
    /// Run until `shutdown` turns true (or its sender goes), the state directory is
    /// removed, or, with `exit_when_idle`, no project is left to keep.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), ControlError> {
        let store = StateStore::open(&self.state_dir)?;
        let (event_sender, mut events) = mpsc::channel::<EngineEvent>(1024);
        let listener = tokio::spawn(listen(
            self.engine.clone(),
            event_sender,
            shutdown.clone(),
            self.log.clone(),
        ));
        let mut tasks: BTreeMap<String, JoinHandle<()>> = BTreeMap::new();
        // One bound for the connections of every project's ingress.
        let connections = Arc::new(tokio::sync::Semaphore::new(
            crate::ingress::connection_limit(),
        ));
        let mut last_refresh: Option<Instant> = None;
        let mut idle_logged = false;
        let mut idle_since: Option<Instant> = None;
        let mut tick = tokio::time::interval(self.settings.resync);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stale = last_refresh.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
            if stale {
                last_refresh = Some(Instant::now());
                if !self.state_dir.join("state.db").exists() {
                    (self.log)(&format!(
                        "the state directory `{}` is gone: stopping",
                        self.state_dir.display()
                    ));
                    break;
                }
                let projects = match store.self_healing_projects() {
                    Ok(projects) => projects,
                    Err(err) => {
                        (self.log)(&format!("warning: cannot list the projects: {err}"));
                        Vec::new()
                    }
                };
                self.refresh(&projects, &mut tasks, &connections, &shutdown);
                if tasks.is_empty() {
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    if self.exit_when_idle && since.elapsed() >= IDLE_GRACE {
                        (self.log)("no project has self-heal on: stopping");
                        break;
                    }
                    if !idle_logged {
                        (self.log)("no project has self-heal on yet: waiting for `msctl up`");
                        idle_logged = true;
                    }
                } else {
                    idle_logged = false;
                    idle_since = None;
                }
            }
            tokio::select! {
                _ = tick.tick() => last_refresh = None,
                event = events.recv() => {
                    let Some(event) = event else { continue };
                    let Some(project) = event.labels.get(labels::PROJECT) else { continue };
                    let sender = self.handle.workers.lock().unwrap_or_else(|p| p.into_inner()).get(project).cloned();
                    match sender {
                        Some(sender) => { let _ = sender.send(Trigger::Event(event)); }
                        // A project `up` just recorded, or not one of this state directory's:
                        // look again, at most once a second.
                        None => {
                            if last_refresh.is_some_and(|t| t.elapsed() >= Duration::from_secs(1)) {
                                last_refresh = None;
                            }
                        }
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
        // Workers stop on the same signal; a worker of a project still kept ends with
        // its channel.
        self.handle
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        listener.abort();
        for (_, task) in tasks {
            let _ = tokio::time::timeout(self.settings.round_timeout, task).await;
        }
        Ok(())
    }

    /// Start a worker for each project newly kept; forget those whose worker ended.
    fn refresh(
        &self,
        projects: &[String],
        tasks: &mut BTreeMap<String, JoinHandle<()>>,
        connections: &Arc<tokio::sync::Semaphore>,
        shutdown: &watch::Receiver<bool>,
    ) {
        let mut workers = self
            .handle
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        tasks.retain(|project, task| {
            let keep = !task.is_finished();
            if !keep {
                workers.remove(project);
            }
            keep
        });
        for project in projects {
            if tasks.contains_key(project) {
                continue;
            }
            let worker = match reconcile::ProjectWorker::new(
                project,
                self.engine.clone(),
                self.state_dir.clone(),
                self.settings,
                self.status.clone(),
                self.log.clone(),
            ) {
                Ok(worker) => worker,
                Err(err) => {
                    (self.log)(&format!("warning: project `{project}`: {err}"));
                    continue;
                }
            };
            let (sender, receiver) = mpsc::unbounded_channel();
            workers.insert(project.clone(), sender);
            // Ends by itself once the project is no longer kept, or on shutdown.
            tokio::spawn(crate::serving::keep::keep_serving(
                project.clone(),
                self.engine.clone(),
                self.state_dir.clone(),
                self.settings.serving_every,
                self.log.clone(),
                shutdown.clone(),
            ));
            // The ingress ends with the worker, so that a project kept again after its
            // worker ended gets one ingress, never two fighting over its ports.
            let ingress = crate::ingress::keep::AbortOnDrop(tokio::spawn(
                crate::ingress::keep::keep_ingress(
                    project.clone(),
                    self.engine.clone(),
                    self.state_dir.clone(),
                    self.settings.serving_every,
                    self.log.clone(),
                    connections.clone(),
                    shutdown.clone(),
                ),
            ));
            let worker = work(worker, receiver, shutdown.clone(), self.settings);
            tasks.insert(
                project.clone(),
                tokio::spawn(async move {
                    worker.await;
                    drop(ingress);
                }),
            );
        }
    }
}

/// One project's loop: a round when an event, a backoff's end or the resync asks for
/// one, never two within `min_gap`.
async fn work(
    mut worker: reconcile::ProjectWorker,
    mut triggers: mpsc::UnboundedReceiver<Trigger>,
    mut shutdown: watch::Receiver<bool>,
    settings: Settings,
) {
    let cancel = Cancel::default();
    {
        let cancel = cancel.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _ = shutdown.changed().await;
            cancel.cancel();
        });
    }
    let mut due: Option<Instant> = Some(Instant::now());
    let mut last_round: Option<Instant> = None;
    let mut waiting: Vec<oneshot::Sender<RoundOutcome>> = Vec::new();
    loop {
        let now = Instant::now();
        let mut wake = last_round.map_or(now, |t| t + settings.resync);
        if let Some(at) = due {
            wake = wake.min(at);
        }
        if let Some(at) = worker.next_attempt(now) {
            wake = wake.min(at);
        }
        if let Some(t) = last_round {
            wake = wake.max(t + settings.min_gap);
        }
        tokio::select! {
            trigger = triggers.recv() => {
                match trigger {
                    Some(Trigger::Event(event)) => {
                        tracing::debug!(project = worker.project(), container = %event.container_name, action = ?event.action, "round asked for");
                        worker.note_event(&event);
                        let soon = Instant::now() + DEBOUNCE;
                        due = Some(due.map_or(soon, |at| at.min(soon)));
                    }
                    Some(Trigger::Now(done)) => {
                        waiting.push(done);
                        due = Some(Instant::now());
                    }
                    None => break,
                }
                continue;
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = shutdown.changed() => break,
        }
        if cancel.is_cancelled() {
            break;
        }
        due = None;
        let outcome = worker.round(&cancel).await;
        tracing::debug!(project = worker.project(), ?outcome, "round");
        last_round = Some(Instant::now());
        for done in waiting.drain(..) {
            let _ = done.send(outcome);
        }
        match outcome {
            RoundOutcome::Gone => break,
            RoundOutcome::Busy => due = Some(Instant::now() + Duration::from_secs(1)),
            RoundOutcome::Done if worker.recheck_soon() => {
                due = Some(Instant::now() + reconcile::RECHECK);
            }
            RoundOutcome::Done => {}
        }
    }
    worker.retire();
}

/// Engine events that may need a round.
fn wakes(action: &EventAction) -> bool {
    matches!(
        action,
        EventAction::Die
            | EventAction::Oom
            | EventAction::Kill
            | EventAction::Start
            | EventAction::Destroy
            | EventAction::HealthStatus(_)
    )
}

/// Forward the engine's events of msctl's containers, reconnecting with backoff when the
/// stream breaks (the resync covers what was missed meanwhile).
async fn listen(
    engine: Arc<dyn Engine>,
    events: mpsc::Sender<EngineEvent>,
    mut shutdown: watch::Receiver<bool>,
    log: Log,
) {
    let filter = LabelFilter::any().with(labels::PROJECT, None);
    let mut delay = Duration::from_secs(1);
    loop {
        match engine.events(&filter).await {
            Ok(mut stream) => loop {
                tokio::select! {
                    item = stream.next() => match item {
                        Some(Ok(event)) => {
                            delay = Duration::from_secs(1);
                            tracing::debug!(container = %event.container_name, action = ?event.action, "engine event");
                            if wakes(&event.action) && events.send(event).await.is_err() {
                                return;
                            }
                        }
                        Some(Err(err)) => {
                            log(&format!("warning: engine events stopped: {err}; listening again in {}s", delay.as_secs()));
                            break;
                        }
                        None => break,
                    },
                    _ = shutdown.changed() => return,
                }
            },
            Err(err) => log(&format!(
                "warning: cannot listen to engine events: {err}; trying again in {}s",
                delay.as_secs()
            )),
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return,
        }
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::manifest::model::{Project, Service};

    fn project(services: &[(&str, &str)]) -> Project {
        Project {
            registry: None,
            target: Default::default(),
            name: "shop".to_string(),
            working_dir: ".".into(),
            services: services
                .iter()
                .map(|(name, image)| {
                    (
                        name.to_string(),
                        Service {
                            name: name.to_string(),
                            image: Some(image.to_string()),
                            ..Service::default()
                        },
                    )
                })
                .collect(),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    fn images(project: &Project) -> Vec<(String, String)> {
        project
            .services
            .iter()
            .map(|(n, s)| (n.clone(), s.image.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn up_of_some_services_records_them_and_keeps_the_others_as_they_were() {
        let loaded = project(&[("db", "db:2"), ("web", "web:2"), ("admin", "admin:2")]);
        let web = BTreeSet::from(["web".to_string()]);
        let first = desired_after_up(None, &loaded, &web, false);
        assert_eq!(images(&first), [("web".to_string(), "web:2".to_string())]);

        let before = project(&[("db", "db:1"), ("web", "web:1"), ("gone", "gone:1")]);
        let after = desired_after_up(Some(&before), &loaded, &web, false);
        assert_eq!(
            images(&after),
            [
                ("db".to_string(), "db:1".to_string()),
                ("web".to_string(), "web:2".to_string()),
            ],
            "db as it was, web as loaded; admin never brought up; gone left the manifest"
        );
        assert_eq!(desired_after_up(Some(&before), &loaded, &web, true), loaded);
    }

    #[test]
    fn times_print_with_milliseconds() {
        assert_eq!(format_ms(1_700_000_000_250), "2023-11-14T22:13:20.250Z");
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
    }
}

//! `msctl stop`, `kill`, `pause`, `unpause` and `start`: the services' replicas stopped
//! (each one's `pre_stop` hooks, then its stop signal and grace period), sent a signal,
//! frozen, thawed, or started again, with the control plane told. A stopped, killed or
//! paused service is held: the control plane neither counts its replicas as failures
//! nor starts them again, until `start`, `unpause`, `scale` or `up` resumes it. The hold is desired state, kept in the state store (and
//! handed to the engine's control plane when another state directory's keeps the
//! project).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::cli::{KillArgs, PauseArgs, StartArgs, StopArgs};
use crate::converge::{converge, ConvergeOptions};
use crate::engine::{ContainerSummary, Engine, EngineError, LabelFilter, DEFAULT_CONCURRENCY};
use crate::executor::Replica;
use crate::manifest::model::Project;
use crate::output::progress::seconds;
use crate::plan::spec::hook_exec;
use crate::plan::{dependencies, ContainerState, PlanOptions, DEFAULT_STOP_TIMEOUT};
use crate::report::Cancel;
use crate::session::explain::explain;
use crate::session::keeper;
use crate::session::{CommandError, Context};
use crate::state::StoredEvent;

/// The signals that end a process unless it handles them: a service sent one is held.
const STOPPING_SIGNALS: &[&str] = &["KILL", "TERM", "INT", "QUIT", "9", "15", "2", "3"];

pub fn stop(ctx: &Context, project: &Project, args: &StopArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    halt(
        ctx,
        project,
        &chosen(project, &args.services),
        Halt::Stop(args.timeout.map(Duration::from_secs)),
    )
}

pub fn kill(ctx: &Context, project: &Project, args: &KillArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    halt(
        ctx,
        project,
        &chosen(project, &args.services),
        Halt::Kill(args.signal.clone()),
    )
}

pub fn pause(ctx: &Context, project: &Project, args: &PauseArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    halt(ctx, project, &chosen(project, &args.services), Halt::Pause)
}

pub fn unpause(ctx: &Context, project: &Project, args: &PauseArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    halt(
        ctx,
        project,
        &chosen(project, &args.services),
        Halt::Unpause,
    )
}

/// The services named, or every one.
fn chosen(project: &Project, services: &[String]) -> Vec<String> {
    if services.is_empty() {
        project.services.keys().cloned().collect()
    } else {
        services.to_vec()
    }
}

enum Halt {
    /// Each replica's `pre_stop` hooks, then its stop signal; the grace period given,
    /// else the service's.
    Stop(Option<Duration>),
    /// A signal, at once.
    Kill(String),
    /// Every process frozen.
    Pause,
    /// Thawed again, and the hold released.
    Unpause,
}

impl Halt {
    /// `stopped` or `killed`, when the replicas end; `None` for a signal they may live
    /// through (`-s HUP`), which holds nothing back.
    fn held_as(&self) -> Option<&'static str> {
        match self {
            Halt::Stop(_) => Some("stopped"),
            Halt::Kill(signal) => {
                let name = signal.trim_start_matches("SIG");
                STOPPING_SIGNALS.contains(&name).then_some("killed")
            }
            Halt::Pause => Some("paused"),
            Halt::Unpause => None,
        }
    }

    /// What it did to a container, for the lines it prints.
    fn verb(&self) -> &'static str {
        match self {
            Halt::Stop(_) => "stopped",
            Halt::Kill(_) => "killed",
            Halt::Pause => "paused",
            Halt::Unpause => "unpaused",
        }
    }

    /// Whether a container in `state` is one to act on.
    fn acts_on(&self, state: ContainerState) -> bool {
        match self {
            Halt::Stop(_) => matches!(
                state,
                ContainerState::Running | ContainerState::Restarting | ContainerState::Paused
            ),
            Halt::Kill(_) | Halt::Pause => state == ContainerState::Running,
            Halt::Unpause => state == ContainerState::Paused,
        }
    }
}

fn halt(
    ctx: &Context,
    project: &Project,
    chosen: &[String],
    how: Halt,
) -> Result<(), CommandError> {
    let failed_state = |e: crate::state::StateError| CommandError::Failed(e.into());
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&project.name).await?;
        let started = Instant::now();
        keeper::taken_back(ctx, engine.as_ref(), &project.name, async {
            // The hold first: no round of a control plane starts what stops next.
            if let Halt::Unpause = how {
                let mut store = ctx.state_store()?;
                let held = store.held(&project.name).map_err(failed_state)?;
                let paused = held_as(&held, chosen, |how| how == "paused");
                store.release(&project.name, &paused).map_err(failed_state)?;
            }
            if let Some(held_as) = how.held_as() {
                let mut store = ctx.state_store()?;
                store.hold(&project.name, chosen, held_as).map_err(failed_state)?;
                for service in chosen {
                    store
                        .record_event(&StoredEvent {
                            id: 0,
                            at_ms: crate::clock::now_ms(),
                            project: project.name.clone(),
                            service: service.clone(),
                            replica: String::new(),
                            kind: held_as.to_string(),
                            message: if held_as == "paused" {
                                "service paused on purpose: self-heal leaves it until `msctl unpause`".to_string()
                            } else {
                                format!("service {held_as} on purpose: self-heal leaves it until `msctl start`, `scale` or `up`")
                            },
                        })
                        .map_err(failed_state)?;
                }
            }
            let listed = engine
                .list_containers(&LabelFilter::project(&project.name))
                .await
                .map_err(CommandError::from)?;
            let wanted: BTreeSet<&str> = chosen.iter().map(String::as_str).collect();
            let targets: Vec<ContainerSummary> = listed
                .into_iter()
                .filter(|c| c.service().is_some_and(|s| wanted.contains(s)))
                .filter(|c| !c.is_oneoff())
                .filter(|c| how.acts_on(c.state))
                .collect();
            // Dependants first: a service stops before what it depends on.
            let mut order = dependencies::dependency_order(project);
            order.reverse();
            let mut count = 0;
            for service in order {
                let batch: Vec<&ContainerSummary> = targets
                    .iter()
                    .filter(|c| c.service() == Some(service.as_str()))
                    .collect();
                let results = join_all(batch.iter().map(|c| halt_one(ctx, engine.as_ref(), project, c, &how))).await;
                for (container, result) in batch.iter().zip(results) {
                    result.map_err(CommandError::from)?;
                    ctx.printer
                        .status(&format!("{} container {}", how.verb(), container.name));
                    count += 1;
                }
            }
            let verb = match how {
                Halt::Kill(_) => "signalled",
                _ => how.verb(),
            };
            let resume = match how.held_as() {
                Some("paused") => "; `msctl unpause` thaws them",
                Some(_) => "; `msctl start` starts them again",
                None => "",
            };
            ctx.printer.status(&format!(
                "project `{}`: {count} containers {verb} in {}{resume}",
                project.name,
                seconds(started.elapsed()),
            ));
            Ok(())
        })
        .await
    })
}

async fn halt_one(
    ctx: &Context,
    engine: &dyn Engine,
    project: &Project,
    container: &ContainerSummary,
    how: &Halt,
) -> Result<(), EngineError> {
    let service = container.service().and_then(|s| project.services.get(s));
    match how {
        Halt::Stop(timeout) => {
            if let Some(service) = service.filter(|s| !s.pre_stop.is_empty()) {
                if container.state == ContainerState::Running {
                    let hooks: Vec<_> = service.pre_stop.iter().map(hook_exec).collect();
                    let replica = Replica::new(
                        &service.name,
                        container.replica().unwrap_or(0),
                        &container.id,
                    );
                    for warning in replica.pre_stop(engine, &hooks).await {
                        ctx.printer.status(&format!("warning: {warning}"));
                    }
                }
            }
            let grace = timeout
                .or_else(|| service.and_then(|s| s.stop_grace_period))
                .unwrap_or(DEFAULT_STOP_TIMEOUT);
            engine.stop_container(&container.id, grace).await
        }
        Halt::Kill(signal) => engine.kill_container(&container.id, signal).await,
        Halt::Pause => engine.pause_container(&container.id).await,
        Halt::Unpause => engine.unpause_container(&container.id).await,
    }
}

pub fn start(ctx: &Context, project: &Project, args: &StartArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let selected = dependencies::with_dependencies(project, &args.services);
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&project.name).await?;
        let started = Instant::now();
        keeper::taken_back(ctx, engine.as_ref(), &project.name, async {
            let failed_state = |e: crate::state::StateError| CommandError::Failed(e.into());
            let mut store = ctx.state_store()?;
            // A paused service stays held: `start` does not thaw it, `unpause` does.
            let held = store.held(&project.name).map_err(failed_state)?;
            let stopped = held_as(&held, selected.iter(), |how| how != "paused");
            store
                .release(&project.name, &stopped)
                .map_err(failed_state)?;
            // The replicas run the project as `up` left it (its images pinned), else as
            // the manifest says.
            let desired = store
                .desired(&project.name)
                .map_err(failed_state)?
                .map(|d| d.project)
                .unwrap_or_else(|| project.clone());
            drop(store);
            let scale = ctx.replica_counts(project, false)?;
            let cancel = Cancel::default();
            ctx.watch_interrupts(&cancel);
            let options = ConvergeOptions {
                plan: PlanOptions {
                    services: args.services.iter().cloned().collect(),
                    no_recreate: true,
                    scale,
                    ..PlanOptions::default()
                },
                heal: crate::plan::HealOptions::default(),
                single_round: false,
                wait: args.wait,
                timeout: Duration::from_secs(args.wait_timeout),
                concurrency: DEFAULT_CONCURRENCY,
                previous: None,
            };
            let reporter = ctx.reporter();
            let outcome = converge(
                engine.as_ref(),
                &desired,
                &options,
                reporter.as_ref(),
                &cancel,
            )
            .await;
            drop(reporter);
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(err) => return Err(explain(engine.as_ref(), err).await),
            };
            ctx.printer.status(&format!(
                "project `{}`: {} actions, {} replicas {} in {}",
                project.name,
                outcome.actions,
                outcome.replicas.len(),
                if args.wait { "ready" } else { "started" },
                seconds(started.elapsed())
            ));
            Ok(())
        })
        .await
    })
}

/// The services of `services` whose hold (`held`: service -> how) `wanted` picks.
fn held_as<'a>(
    held: &BTreeMap<String, String>,
    services: impl IntoIterator<Item = &'a String>,
    wanted: impl Fn(&str) -> bool,
) -> Vec<String> {
    services
        .into_iter()
        .filter(|s| held.get(*s).is_some_and(|how| wanted(how)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kill_holds_the_service_only_when_its_signal_ends_it() {
        assert_eq!(Halt::Stop(None).held_as(), Some("stopped"));
        assert_eq!(Halt::Kill("SIGKILL".to_string()).held_as(), Some("killed"));
        assert_eq!(Halt::Kill("TERM".to_string()).held_as(), Some("killed"));
        assert_eq!(Halt::Kill("9".to_string()).held_as(), Some("killed"));
        assert_eq!(Halt::Kill("SIGHUP".to_string()).held_as(), None);
        assert_eq!(Halt::Kill("USR1".to_string()).held_as(), None);
        assert_eq!(Halt::Pause.held_as(), Some("paused"));
        assert_eq!(Halt::Unpause.held_as(), None);
        assert!(Halt::Unpause.acts_on(ContainerState::Paused));
        assert!(!Halt::Pause.acts_on(ContainerState::Paused));
    }

    #[test]
    fn unpause_releases_paused_services_only_and_start_the_others() {
        let held = BTreeMap::from([
            ("app".to_string(), "stopped".to_string()),
            ("db".to_string(), "paused".to_string()),
            ("web".to_string(), "killed".to_string()),
        ]);
        let all: Vec<String> = ["app", "db", "web", "cache"].map(String::from).to_vec();
        assert_eq!(held_as(&held, &all, |how| how == "paused"), ["db"]);
        assert_eq!(held_as(&held, &all, |how| how != "paused"), ["app", "web"]);
    }
}

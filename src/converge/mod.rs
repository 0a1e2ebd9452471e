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

mod execute;
mod infrastructure;
mod ready;
mod rollout;
mod types;

use std::collections::BTreeSet;
use std::time::Instant;

use crate::engine::{observe, Engine, LabelFilter};
use crate::manifest::model::{Condition, Project};
use crate::plan::dependencies;
use crate::plan::{plan_healing, Action};
use crate::report::{Cancel, Event, Reporter};

use execute::execute;
pub use infrastructure::prepare_infrastructure;
pub use ready::replicas_of;
use ready::{replicas_in, wait_for};
pub use rollout::roll_back;
pub use types::{ConvergeError, ConvergeOptions, Outcome};

/// Rounds of observe -> plan -> execute before giving up on converging.
const MAX_ROUNDS: usize = 3;

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::engine::fake::{FakeEngine, FakeFault};
    use crate::manifest::model::{Dependency, NetworkMode, Service};
    use crate::plan::{ContainerState, HealOptions, PlanOptions};

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

//! `msctl exec SERVICE [--index N] [-T] [-e K=V] [-u USER] [-w DIR] -- COMMAND...`: runs a
//! command in one replica and exits with the command's exit code.
//!
//! The replica is the first ready one (healthy, or running without a health check) by
//! replica number, unless `--index` names one. A terminal is allocated when msctl's
//! standard input is one and `-T` is not given; standard input is always forwarded.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use crate::cli::ExecArgs;
use crate::engine::{ContainerSummary, Engine, EngineError, LabelFilter};
use crate::manifest::fields::did_you_mean;
use crate::plan::spec::ExecSpec;
use crate::plan::{labels, ContainerState, Health};

use crate::manifest::model::Project;
use crate::session::{CommandError, Context};

pub fn exec(ctx: &Context, project: &Project, args: &ExecArgs) -> Result<(), CommandError> {
    let spec = ExecSpec {
        command: args.command.clone(),
        env: environment(&args.env, &ctx.environment)?,
        user: args.user.clone(),
        workdir: args.workdir.clone(),
        tty: !args.no_tty && !args.detach && std::io::stdin().is_terminal(),
        attach_stdin: !args.detach,
        privileged: args.privileged,
        detach: args.detach,
        ..ExecSpec::default()
    };
    let code = ctx.block_on(async {
        let engine = ctx.engine().await?;
        let target = replica_to_use(engine.as_ref(), project, &args.service, args.index).await?;
        tracing::debug!("exec in {} ({})", target.name, target.id);
        engine
            .exec(&target.id, &spec)
            .await
            .map_err(|err| match err {
                EngineError::Conflict { .. } => CommandError::hinted(
                    anyhow::anyhow!("cannot run the command in `{}`: {err}", target.name),
                    "the replica stopped; `msctl ps -a` shows its state",
                ),
                other => CommandError::from(other),
            })
    })?;
    if code != 0 {
        // The command's own exit code is msctl's: nothing of msctl's is left to report,
        // and `CommandError` maps failures to msctl's codes only.
        std::process::exit(i32::try_from(code).unwrap_or(1));
    }
    Ok(())
}

/// `-e K=V` as given; `-e K` takes K's value from msctl's environment, and is left out
/// when K is not set there (as in Compose).
pub(super) fn environment(
    given: &[String],
    msctl_environment: &BTreeMap<String, String>,
) -> Result<Vec<String>, CommandError> {
    let mut env = Vec::new();
    for entry in given {
        match entry.split_once('=') {
            Some(("", _)) => {
                return Err(CommandError::Usage(format!(
                    "-e `{entry}`: the variable has no name; write KEY=VALUE"
                )))
            }
            Some(_) => env.push(entry.clone()),
            None => {
                if let Some(value) = msctl_environment.get(entry) {
                    env.push(format!("{entry}={value}"));
                }
            }
        }
    }
    Ok(env)
}

/// A service's replicas (no one-off container), with their numbers, lowest first.
pub(super) async fn numbered_replicas(
    engine: &dyn Engine,
    project_name: &str,
    service: &str,
) -> Result<Vec<(u32, ContainerSummary)>, CommandError> {
    let listed = engine
        .list_containers(&LabelFilter::project(project_name).with(labels::SERVICE, Some(service)))
        .await
        .map_err(CommandError::from)?;
    let mut replicas: Vec<(u32, ContainerSummary)> = listed
        .into_iter()
        .filter(|container| !container.is_oneoff())
        .filter_map(|container| Some((container.replica()?, container)))
        .collect();
    replicas.sort_by_key(|(number, _)| *number);
    Ok(replicas)
}

/// The replica of `service` a command works in (`exec`, `attach`): `index`, which must
/// be running, else the first ready one; a clear error when there is none.
pub(super) async fn replica_to_use(
    engine: &dyn Engine,
    project: &Project,
    service: &str,
    index: Option<u32>,
) -> Result<ContainerSummary, CommandError> {
    let replicas = numbered_replicas(engine, &project.name, service).await?;
    choose(&project.name, &project.services, service, index, &replicas).cloned()
}

/// The replica to work in: `index`, which must be running, else the first ready one
/// (healthy, or running without a health check).
fn choose<'a, T>(
    project_name: &str,
    manifest_services: &BTreeMap<String, T>,
    service: &str,
    index: Option<u32>,
    replicas: &'a [(u32, ContainerSummary)],
) -> Result<&'a ContainerSummary, CommandError> {
    if replicas.is_empty() {
        if !manifest_services.contains_key(service) {
            let known = manifest_services.keys().map(String::as_str);
            let hint = match did_you_mean(service, known) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "the services are: {}",
                    manifest_services
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            return Err(CommandError::hinted(
                anyhow::anyhow!("`{service}` is not a service of project `{project_name}`"),
                hint,
            ));
        }
        return Err(CommandError::hinted(
            anyhow::anyhow!("service `{service}` of project `{project_name}` has no replica"),
            "start it with `msctl up`",
        ));
    }
    let numbers = || {
        replicas
            .iter()
            .map(|(number, container)| format!("{number} ({})", describe(container)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(index) = index {
        let Some((_, container)) = replicas.iter().find(|(number, _)| *number == index) else {
            return Err(CommandError::hinted(
                anyhow::anyhow!("service `{service}` has no replica {index}"),
                format!("its replicas are: {}", numbers()),
            ));
        };
        if container.state != ContainerState::Running {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "replica {index} of service `{service}` is not running: {}",
                    container.state
                ),
                "start it with `msctl up`",
            ));
        }
        return Ok(container);
    }
    replicas
        .iter()
        .map(|(_, container)| container)
        .find(|container| is_ready(container))
        .ok_or_else(|| {
            CommandError::hinted(
                anyhow::anyhow!("no replica of service `{service}` is ready"),
                format!(
                    "its replicas are: {}; `--index N` runs in a running one anyway",
                    numbers()
                ),
            )
        })
}

/// Healthy, or running without a health check.
fn is_ready(container: &ContainerSummary) -> bool {
    container.state == ContainerState::Running
        && matches!(container.health, Health::Healthy | Health::None)
}

fn describe(container: &ContainerSummary) -> String {
    match (container.state, container.health) {
        (ContainerState::Running, Health::None) => "running".to_string(),
        (ContainerState::Running, health) => format!("running, {health}"),
        (state, _) => state.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replica(number: u32, state: ContainerState, health: Health) -> (u32, ContainerSummary) {
        (
            number,
            ContainerSummary {
                id: format!("id{number}"),
                name: format!("demo-web-{number}"),
                image: "img".to_string(),
                labels: BTreeMap::new(),
                state,
                health,
                network_mode: None,
                networks: Vec::new(),
            },
        )
    }

    fn services() -> BTreeMap<String, ()> {
        BTreeMap::from([("web".to_string(), ())])
    }

    #[test]
    fn the_first_ready_replica_is_chosen() {
        let replicas = vec![
            replica(1, ContainerState::Running, Health::Starting),
            replica(2, ContainerState::Exited { code: 1 }, Health::None),
            replica(3, ContainerState::Running, Health::Healthy),
            replica(4, ContainerState::Running, Health::Healthy),
        ];
        let chosen = choose("demo", &services(), "web", None, &replicas).expect("a replica");
        assert_eq!(chosen.id, "id3");
        let chosen = choose("demo", &services(), "web", Some(1), &replicas).expect("replica 1");
        assert_eq!(chosen.id, "id1");
    }

    #[test]
    fn a_missing_or_stopped_replica_is_a_clear_error() {
        let replicas = vec![replica(1, ContainerState::Exited { code: 0 }, Health::None)];
        let message = |result: Result<&ContainerSummary, CommandError>| match result {
            Err(CommandError::Hinted { error, hint }) => format!("{error} / {hint}"),
            other => panic!("expected a hinted error, got {other:?}"),
        };
        assert_eq!(
            message(choose("demo", &services(), "web", Some(7), &replicas)),
            "service `web` has no replica 7 / its replicas are: 1 (exited (0))"
        );
        assert_eq!(
            message(choose("demo", &services(), "web", Some(1), &replicas)),
            "replica 1 of service `web` is not running: exited (0) / start it with `msctl up`"
        );
        assert_eq!(
            message(choose("demo", &services(), "web", None, &replicas)),
            "no replica of service `web` is ready / its replicas are: 1 (exited (0)); \
             `--index N` runs in a running one anyway"
        );
        assert_eq!(
            message(choose("demo", &services(), "webb", None, &[])),
            "`webb` is not a service of project `demo` / did you mean `web`?"
        );
    }

    #[test]
    fn an_env_entry_without_a_value_comes_from_msctls_environment() {
        let msctl = BTreeMap::from([("TOKEN".to_string(), "abc".to_string())]);
        let env = environment(
            &["A=1".to_string(), "TOKEN".to_string(), "UNSET".to_string()],
            &msctl,
        )
        .expect("valid");
        assert_eq!(env, vec!["A=1", "TOKEN=abc"]);
        assert!(environment(&["=1".to_string()], &msctl).is_err());
    }
}

//! `msctl logs [SERVICE...] [-f] [--tail N] [--since T] [--until T] [-t] [--no-prefix]`:
//! the logs of every replica of the chosen services, merged in timestamp order
//! (not interleaved as they arrive, compose#10377).
//!
//! Lines are `service-n | message`, the prefix padded to the widest one and coloured per
//! service on a terminal; with `--format json`, one object per line:
//! `{"service","replica","stream","timestamp","message"}`. On the Swarm target
//! (`targets/swarm/`) the same sink writes each task's lines as `service.slot@node |`,
//! and the JSON lines carry `node` too.
//!
//! With `-f`, the history is printed merged first, then new lines as they come,
//! including those of replicas that start later. Ctrl-C ends `logs -f` with exit 0, as
//! in Compose: it is how one stops following, not an interrupted piece of work. A closed
//! stdout (`msctl logs | head`) is success too.

use std::collections::{BTreeMap, BTreeSet};

use crate::cli::LogsArgs;
use crate::engine::merged_logs::{self, LogsError};
use crate::engine::{ContainerSummary, LabelFilter};
use crate::manifest::fields::did_you_mean;
use crate::plan::labels;

use crate::manifest::model::Project;
use crate::session::log_output::{output_error, Asked, Output, Source};
use crate::session::{CommandError, Context};

pub fn logs(
    ctx: &Context,
    project: &Project,
    args: &LogsArgs,
    asked: &Asked,
) -> Result<(), CommandError> {
    let options = asked.options;
    ctx.block_on_one_thread(async {
        let engine = ctx.engine().await?;
        let engine = engine.as_ref();
        let listed = engine
            .list_containers(&LabelFilter::project(&project.name))
            .await
            .map_err(CommandError::from)?;
        let replicas: Vec<ContainerSummary> = listed.into_iter().filter(is_replica).collect();
        check_services(&project.name, &project.services, &replicas, &args.services)?;
        let chosen: BTreeSet<String> = args.services.iter().cloned().collect();
        let wanted = move |labels: &BTreeMap<String, String>| {
            is_replica_labels(labels)
                && (chosen.is_empty()
                    || labels
                        .get(labels::SERVICE)
                        .is_some_and(|service| chosen.contains(service)))
        };
        let mut containers: Vec<ContainerSummary> = replicas
            .into_iter()
            .filter(|container| wanted(&container.labels))
            .collect();
        merged_logs::sort_for_logs(&mut containers);

        let initial: Vec<Source> = containers.iter().map(Source::of_container).collect();
        let mut sink = Output::new(&initial, args, asked);
        let result = if args.follow {
            let stop = async {
                // Without a handler Ctrl-C would kill msctl mid-line; failing to install
                // one leaves only the end of the logs (or of `--until`) to stop.
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            merged_logs::follow_merged(engine, &project.name, &wanted, &options, &mut sink, stop)
                .await
        } else {
            merged_logs::print_merged(engine, &containers, &options, &mut sink)
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => Ok(()),
            Err(LogsError::Output(err)) => output_error(err),
            Err(LogsError::Engine(err)) => Err(CommandError::from(err)),
        }
    })
}

/// One-off containers (`msctl run`) are not replicas: their logs are their own.
fn is_replica(container: &ContainerSummary) -> bool {
    is_replica_labels(&container.labels)
}

fn is_replica_labels(labels: &BTreeMap<String, String>) -> bool {
    !labels
        .get(labels::ONEOFF)
        .is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// Every name must be a service of the manifest, or one that still has replicas.
fn check_services<T>(
    project_name: &str,
    manifest_services: &BTreeMap<String, T>,
    replicas: &[ContainerSummary],
    names: &[String],
) -> Result<(), CommandError> {
    let known: BTreeSet<&str> = manifest_services
        .keys()
        .map(String::as_str)
        .chain(
            replicas
                .iter()
                .filter_map(|container| container.labels.get(labels::SERVICE))
                .map(String::as_str),
        )
        .collect();
    for name in names {
        if !known.contains(name.as_str()) {
            let hint = match did_you_mean(name, known.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None if known.is_empty() => "the project has no services".to_string(),
                None => format!(
                    "the services are: {}",
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            };
            return Err(CommandError::hinted(
                anyhow::anyhow!("`{name}` is not a service of project `{project_name}`"),
                hint,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_service_gets_a_did_you_mean() {
        let services = BTreeMap::from([("web".to_string(), ()), ("db".to_string(), ())]);
        let err = check_services("demo", &services, &[], &["webb".to_string()])
            .expect_err("webb is not a service");
        match err {
            CommandError::Hinted { error, hint } => {
                assert_eq!(
                    error.to_string(),
                    "`webb` is not a service of project `demo`"
                );
                assert_eq!(hint, "did you mean `web`?");
            }
            other => panic!("expected a hinted error, got {other:?}"),
        }
        assert!(check_services("demo", &services, &[], &["db".to_string()]).is_ok());
    }
}

//! `msctl wait SERVICE...`: blocks until every container of the services named has
//! stopped, one line each as it does, and exits with the exit code of the first to stop
//! (as Compose's `wait`); `--down-project` takes the project down when the first stops.

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::cli::{DownArgs, WaitArgs};
use crate::engine::{ContainerSummary, LabelFilter};
use crate::manifest::model::Project;
use crate::plan::ContainerState;
use crate::session::{CommandError, Context};

pub fn wait(ctx: &Context, project: &Project, args: &WaitArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let first = ctx.block_on(async {
        let engine = ctx.engine().await?;
        let listed = engine
            .list_containers(&LabelFilter::project(&project.name))
            .await
            .map_err(CommandError::from)?;
        let containers = chosen(listed, &args.services);
        if containers.is_empty() {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "service {} of project `{}` has no container to wait for",
                    args.services
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    project.name
                ),
                "`msctl up` starts it; `msctl ps -a` lists what there is",
            ));
        }
        let engine = engine.as_ref();
        let mut waits: FuturesUnordered<_> = containers
            .iter()
            .map(|container| async move { (container, engine.wait_container(&container.id).await) })
            .collect();
        let mut first = None;
        while let Some((container, result)) = waits.next().await {
            let code = result.map_err(CommandError::from)?;
            ctx.printer
                .status(&format!("container {} exited ({code})", container.name));
            if first.is_none() {
                first = Some(code);
                if args.down_project {
                    break;
                }
            }
        }
        Ok(first.unwrap_or(0))
    })?;
    if args.down_project {
        drop_project(ctx, project)?;
    }
    if first != 0 {
        std::process::exit(i32::try_from(first).unwrap_or(1));
    }
    Ok(())
}

/// The containers of `services` that run now (or are about to): the ones `wait` waits
/// for. A container that already stopped has nothing to wait for.
fn chosen(listed: Vec<ContainerSummary>, services: &[String]) -> Vec<ContainerSummary> {
    let mut chosen: Vec<ContainerSummary> = listed
        .into_iter()
        .filter(|c| c.service().is_some_and(|s| services.iter().any(|n| n == s)))
        .filter(|c| {
            matches!(
                c.state,
                ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
            )
        })
        .collect();
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    chosen
}

fn drop_project(ctx: &Context, project: &Project) -> Result<(), CommandError> {
    super::down::down(
        ctx,
        &project.name,
        Some(project),
        &DownArgs {
            volumes: false,
            rmi: None,
            timeout: None,
            remove_orphans: false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, service: &str, state: ContainerState) -> ContainerSummary {
        super::super::fixtures::container(name, service, None, state)
    }

    #[test]
    fn only_the_named_services_running_containers_are_waited_for() {
        let listed = vec![
            container("b-2", "job", ContainerState::Running),
            container("b-1", "job", ContainerState::Paused),
            container("done", "job", ContainerState::Exited { code: 0 }),
            container("web-1", "web", ContainerState::Running),
        ];
        let names: Vec<String> = chosen(listed, &["job".to_string()])
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["b-1", "b-2"]);
    }
}

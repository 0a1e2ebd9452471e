//! `msctl rm [SERVICE...]`: removes the services' stopped containers, replicas and one-off
//! containers alike, after asking (or with `-f`); `-s` stops them first, holding the
//! services stopped as `msctl stop` does, so the control plane does not bring them
//! back. `up` or `start` creates the replicas again.

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::{RmArgs, StopArgs};
use crate::engine::{ContainerSummary, EngineError, LabelFilter};
use crate::manifest::model::Project;
use crate::plan::ContainerState;
use crate::session::{CommandError, Context};

pub fn rm(ctx: &Context, project: &Project, args: &RmArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    if args.stop {
        super::lifecycle::stop(
            ctx,
            project,
            &StopArgs {
                services: args.services.clone(),
                timeout: None,
            },
        )?;
    }
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&project.name).await?;
        let listed = engine
            .list_containers(&LabelFilter::project(&project.name))
            .await
            .map_err(CommandError::from)?;
        let doomed = removable(listed, &args.services);
        if doomed.is_empty() {
            ctx.printer.status("no stopped containers to remove");
            return Ok(());
        }
        let names: Vec<&str> = doomed.iter().map(|c| c.name.as_str()).collect();
        if !args.force && !confirmed(&names)? {
            ctx.printer.status("nothing removed");
            return Ok(());
        }
        for container in &doomed {
            match engine.remove_container(&container.id, args.volumes).await {
                Ok(()) | Err(EngineError::NotFound { .. }) => {}
                Err(err) => return Err(CommandError::from(err)),
            }
            ctx.printer
                .status(&format!("removed container {}", container.name));
        }
        Ok(())
    })
}

/// The stopped containers of `services` (all when empty), by name.
fn removable(listed: Vec<ContainerSummary>, services: &[String]) -> Vec<ContainerSummary> {
    let mut doomed: Vec<ContainerSummary> = listed
        .into_iter()
        .filter(|c| {
            services.is_empty() || c.service().is_some_and(|s| services.iter().any(|n| n == s))
        })
        .filter(|c| {
            matches!(
                c.state,
                ContainerState::Created | ContainerState::Exited { .. } | ContainerState::Dead
            )
        })
        .collect();
    doomed.sort_by(|a, b| a.name.cmp(&b.name));
    doomed
}

/// Asks on the terminal; without one, refuses to guess.
fn confirmed(names: &[&str]) -> Result<bool, CommandError> {
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::hinted(
            anyhow::anyhow!(
                "`msctl rm` would remove {}, and there is no terminal to ask",
                names.join(", ")
            ),
            "pass `-f` to remove without asking",
        ));
    }
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "Going to remove {}\nAre you sure? [y/N] ",
        names.join(", ")
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CommandError::Failed(e.into()))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, service: &str, state: ContainerState) -> ContainerSummary {
        super::super::fixtures::container(name, service, None, state)
    }

    #[test]
    fn only_stopped_containers_of_the_services_named_are_removed() {
        let listed = || {
            vec![
                container("web-2", "web", ContainerState::Exited { code: 1 }),
                container("web-1", "web", ContainerState::Running),
                container("web-run-x", "web", ContainerState::Created),
                container("db-1", "db", ContainerState::Dead),
                container("db-2", "db", ContainerState::Paused),
            ]
        };
        let names = |services: &[String]| -> Vec<String> {
            removable(listed(), services)
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names(&["web".to_string()]), ["web-2", "web-run-x"]);
        assert_eq!(names(&[]), ["db-1", "web-2", "web-run-x"]);
    }
}

//! `msctl down`: stop (each service's stop signal, then its grace period) and remove the
//! project's containers and networks; volumes only with `--volumes`, images with `--rmi`.
//! Only resources carrying this project's labels are touched. A running replica's
//! `pre_stop` hooks run before it stops; one that fails is a warning.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::cli::DownArgs;
use crate::converge::DEFAULT_CONCURRENCY;
use crate::engine::{hook_exec, Engine, EngineError, LabelFilter};
use crate::executor::Replica;
use crate::output::progress::seconds;
use crate::plan::{labels, names, ContainerState, DEFAULT_STOP_TIMEOUT};

use super::{CommandError, Context};

pub fn run(ctx: &Context, args: DownArgs) -> Result<(), CommandError> {
    // The manifest gives each service's grace period; without it (`-p NAME` after the
    // files are gone) msctl still finds everything by label.
    let (project_name, project) = ctx.project_by_name(true)?;
    if ctx.target_of(project.as_ref()) == crate::manifest::model::Target::Swarm {
        return super::swarm::down(ctx, &project_name, &args);
    }
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let lock = ctx.lock(&project_name).await?;
        let started = Instant::now();
        // First, so that the control plane does not bring back what goes next.
        ctx.state_store()?
            .forget_project(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        let containers = engine
            .list_containers(&LabelFilter::project(&project_name))
            .await
            .map_err(failed)?;
        let in_manifest = |service: Option<&String>| match (&project, service) {
            (Some(p), Some(s)) => p.services.contains_key(s),
            (None, _) => true,
            (Some(_), None) => false,
        };
        let (remove, orphans): (Vec<_>, Vec<_>) = containers
            .into_iter()
            .partition(|c| args.remove_orphans || in_manifest(c.labels.get(labels::SERVICE)));
        for orphan in &orphans {
            ctx.printer.status(&format!(
                "warning: container `{}` belongs to a service no longer in the manifest; left alone (use --remove-orphans)",
                orphan.name
            ));
        }

        let semaphore = Semaphore::new(DEFAULT_CONCURRENCY);
        let removals = remove.iter().map(|c| {
            let grace = args.timeout.map(Duration::from_secs).unwrap_or_else(|| {
                c.labels
                    .get(labels::SERVICE)
                    .and_then(|s| project.as_ref()?.services.get(s)?.stop_grace_period)
                    .unwrap_or(DEFAULT_STOP_TIMEOUT)
            });
            let service = c
                .labels
                .get(labels::SERVICE)
                .and_then(|s| project.as_ref()?.services.get(s));
            let pre_stop: Vec<_> = match service {
                Some(service) if c.state == ContainerState::Running => {
                    service.pre_stop.iter().map(hook_exec).collect()
                }
                _ => Vec::new(),
            };
            let replica_number = c
                .labels
                .get(labels::REPLICA)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let engine = engine.as_ref();
            let semaphore = &semaphore;
            async move {
                let _permit = semaphore.acquire().await.map_err(|_| EngineError::Other {
                    operation: "down".to_string(),
                    message: "closed".to_string(),
                })?;
                if let Some(service) = service.filter(|_| !pre_stop.is_empty()) {
                    let replica = Replica::new(&service.name, replica_number, &c.id);
                    for warning in replica.pre_stop(engine, &pre_stop).await {
                        ctx.printer.status(&format!("warning: {warning}"));
                    }
                }
                engine.stop_container(&c.id, grace).await?;
                engine.remove_container(&c.id, true).await?;
                ctx.printer.status(&format!("removed container {}", c.name));
                Ok::<(), EngineError>(())
            }
        });
        for result in futures_util::future::join_all(removals).await {
            result.map_err(failed)?;
        }

        if orphans.is_empty() {
            for network in engine
                .list_networks(&LabelFilter::project(&project_name))
                .await
                .map_err(failed)?
            {
                match engine.remove_network(&network.name).await {
                    Ok(()) => ctx.printer.status(&format!("removed network {}", network.name)),
                    Err(err) if err.is_not_found() => {}
                    Err(err) => return Err(failed(err)),
                }
            }
        }
        if args.volumes {
            for volume in engine
                .list_volumes(&LabelFilter::project(&project_name))
                .await
                .map_err(failed)?
            {
                match engine.remove_volume(&volume.name).await {
                    Ok(()) => ctx.printer.status(&format!("removed volume {}", volume.name)),
                    Err(err) if err.is_not_found() => {}
                    Err(err) => return Err(failed(err)),
                }
            }
        }
        if let Some(which) = &args.rmi {
            remove_images(ctx, engine.as_ref(), project.as_ref(), &project_name, which).await?;
        }
        let mut store = ctx.state_store()?;
        store
            .reset_scale(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        drop(lock);
        ctx.printer.status(&format!(
            "project `{project_name}` is down ({} containers removed in {})",
            remove.len(),
            seconds(started.elapsed())
        ));
        let kept = store
            .self_healing_projects()
            .map_err(|e| CommandError::Failed(e.into()))?;
        if kept.is_empty() {
            stop_control_plane(ctx);
        }
        Ok(())
    })
}

/// No project needs the background control plane any more: stop it now rather than at
/// its next resync, so that nothing `up` started outlives `down`.
fn stop_control_plane(ctx: &Context) {
    let stopped =
        crate::control::process::stop_background(&ctx.state_dir(), Duration::from_secs(10));
    match stopped {
        Ok(Some(pid)) => ctx.printer.status(&format!(
            "control plane stopped (pid {pid}): no project has self-heal on"
        )),
        Ok(None) => {}
        Err(err) => ctx.printer.status(&format!("warning: {err}")),
    }
}

/// `local`: images msctl built for the project; `all`: also the images services name.
async fn remove_images(
    ctx: &Context,
    engine: &dyn Engine,
    project: Option<&crate::manifest::model::Project>,
    project_name: &str,
    which: &str,
) -> Result<(), CommandError> {
    let Some(project) = project else {
        return Err(CommandError::hinted(
            anyhow::anyhow!("`--rmi` needs the project's manifest to know its images"),
            "run `down --rmi` where the manifest is, or without `--rmi`",
        ));
    };
    let mut images = BTreeSet::new();
    for service in project.services.values() {
        let built = service.build.is_some() || service.extensions.build.is_some();
        if built || which == "all" {
            images.insert(names::image_name(project_name, service));
        }
    }
    for image in images {
        match engine.remove_image(&image).await {
            Ok(()) => ctx.printer.status(&format!("removed image {image}")),
            Err(err) if err.is_not_found() => {}
            Err(err) if err.is_conflict() => ctx
                .printer
                .status(&format!("warning: image {image} is still in use; kept")),
            Err(err) => return Err(failed(err)),
        }
    }
    Ok(())
}

fn failed(err: EngineError) -> CommandError {
    CommandError::Failed(err.into())
}

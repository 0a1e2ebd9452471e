//! `msctl down`: stop (each service's stop signal, then its grace period) and remove the
//! project's containers and networks; volumes only with `--volumes`, images with `--rmi`.
//! Only resources carrying this project's labels are touched. A running replica's
//! `pre_stop` hooks run before it stops; one that fails is a warning.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::cli::DownArgs;
use crate::engine::{Engine, EngineError};
use crate::output::progress::seconds;
use crate::plan::names;

use crate::manifest::model::Project;
use crate::session::{CommandError, Context};

/// `project` gives each service's grace period; without it (`-p NAME` after the files
/// are gone) msctl still finds everything by label.
pub fn down(
    ctx: &Context,
    project_name: &str,
    project: Option<&Project>,
    args: &DownArgs,
) -> Result<(), CommandError> {
    let (project_name, project) = (project_name.to_string(), project.cloned());
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let lock = ctx.lock(&project_name).await?;
        let started = Instant::now();
        // First, so that no control plane brings back what goes next: the engine's,
        // when another state directory's, lets go of the project and ends its pass.
        if let Some(keeper) = crate::session::keeper::foreign(ctx, engine.as_ref()).await {
            if crate::session::keeper::take_back(&keeper, &project_name).await? {
                ctx.printer.status(&format!(
                    "control plane of `{}` (pid {}): self-heal stopped for project `{project_name}`",
                    keeper.state_dir.display(),
                    keeper.pid
                ));
            }
        }
        ctx.state_store()?
            .forget_project(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        // The serving sweep of a kept project tells the resolver which replicas serve;
        // once it has no pass under way it sees the project forgotten and stops, so it
        // cannot tell the resolver of the project again after the next step.
        let _serving = crate::lock::ProjectLock::acquire(
            &ctx.state_dir(),
            &crate::lock::serving_lock(&project_name),
            Duration::from_secs(10),
            || {},
        )
        .await
        .ok();
        // Out of the names before anything stops; the resolver goes with the last
        // project it served.
        if let Err(err) = crate::serving::forget(engine.as_ref(), &project_name).await {
            ctx.printer.status(&format!("warning: {err}"));
        }
        let status = |line: &str| ctx.printer.status(line);
        let options = crate::teardown::Options {
            remove_orphans: args.remove_orphans,
            timeout: args.timeout.map(Duration::from_secs),
            volumes: args.volumes,
        };
        let removed = crate::teardown::remove_project(
            engine.as_ref(),
            &project_name,
            project.as_ref(),
            &options,
            &status,
        )
        .await
        .map_err(|err| match err.hint() {
            Some(hint) => CommandError::hinted(anyhow::anyhow!(err.to_string()), hint),
            None => CommandError::Failed(err.into()),
        })?;
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
            removed.containers,
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

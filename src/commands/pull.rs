//! `msctl pull [SERVICE...]`: pull services' images from their registries, as
//! `docker compose pull` does: every service with `image:` (built ones too, whose
//! failed pull is only a warning: they are built instead), except those whose
//! `pull_policy` is `never` or `build`; all at once up to a bound, each image once.

use crate::cli::PullArgs;
use crate::images::PullOverride;
use crate::manifest::model::PullPolicy;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PullArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let project = &loaded.project;
    ctx.check_services(project, &args.services)?;
    let asked = crate::session::images::asked_services(project, &args.services, args.include_deps);
    let mut selected = Vec::new();
    for name in &asked {
        let service = &project.services[name];
        let buildable = crate::build::build_spec(service).is_some();
        let skip = match (&service.image, service.pull_policy) {
            (None, _) => Some("it has no `image:`, msctl builds it".to_string()),
            (Some(_), Some(PullPolicy::Never)) => Some("its `pull_policy` is `never`".to_string()),
            (Some(_), Some(PullPolicy::Build)) => Some("its `pull_policy` is `build`".to_string()),
            (Some(_), _) if buildable && args.ignore_buildable => {
                Some("msctl builds it (`--ignore-buildable`)".to_string())
            }
            _ => None,
        };
        match skip {
            Some(why) if !args.services.is_empty() => {
                ctx.printer.status(&format!("{name} | not pulled: {why}"))
            }
            Some(_) => {}
            None => selected.push(name.clone()),
        }
    }
    let policy = if args.policy == "missing" {
        PullOverride::Missing
    } else {
        PullOverride::Always
    };
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let config = ctx.docker_config()?;
        let planned = crate::images::pull::plan(
            engine.as_ref(),
            project,
            &selected,
            Some(policy),
            &Default::default(),
            crate::clock::now_ms(),
        )
        .await
        .map_err(|e| CommandError::Failed(e.into()))?;
        if planned.jobs.is_empty() {
            ctx.printer
                .status(&format!("project `{}`: no image to pull", project.name));
            return Ok(());
        }
        let reporter = crate::images::progress::reporter(ctx.printer, false);
        let results = crate::images::pull::pull_all(
            engine.as_ref(),
            &planned.jobs,
            &config,
            reporter.as_ref(),
            crate::images::pull::PULL_CONCURRENCY,
        )
        .await;
        drop(reporter);
        let results = results.map_err(|e| {
            ctx.image_failed(Some(&loaded), project, crate::images::ImageError::Pull(e))
        })?;
        let mut pulled = Vec::new();
        let mut first_error = None;
        for (job, result) in planned.jobs.iter().zip(results) {
            match result {
                Ok(done) => pulled.push(done),
                Err(err) if job.fallback_to_build || args.ignore_pull_failures => {
                    let why = if job.fallback_to_build {
                        "`up` builds it instead"
                    } else {
                        "--ignore-pull-failures"
                    };
                    ctx.printer.status(&format!("warning: {err} ({why})"));
                }
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        ctx.record_pulls(&pulled)?;
        if let Some(err) = first_error {
            return Err(ctx.image_failed(
                Some(&loaded),
                project,
                crate::images::ImageError::Pull(err),
            ));
        }
        ctx.printer.status(&format!(
            "project `{}`: {} of {} images pulled",
            project.name,
            pulled.len(),
            planned.jobs.len()
        ));
        Ok(())
    })
}

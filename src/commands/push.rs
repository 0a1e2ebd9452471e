//! `msctl push [SERVICE...]`: push the images msctl built to their registries (the
//! service's `image:` name, or under `x-msctl.registry`), as `docker compose push`
//! pushes the images of services with a build. Prints one line per image pushed on
//! stdout, `NAME@DIGEST` (JSON with `--format json`), for scripts that pin them.

use crate::cli::{Format, PushArgs};
use crate::images::push::{push_target, PushJob};
use crate::plan::names;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PushArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let project = &loaded.project;
    ctx.check_services(project, &args.services)?;
    let asked = crate::session::images::asked_services(project, &args.services, args.include_deps);
    let mut jobs = Vec::new();
    for name in &asked {
        let service = &project.services[name];
        let named = args.services.contains(name);
        if crate::build::build_spec(service).is_none() {
            if named {
                ctx.printer.status(&format!(
                    "{name} | not pushed: msctl does not build it (it runs `{}` as it is)",
                    service.image.as_deref().unwrap_or_default()
                ));
            }
            continue;
        }
        match push_target(project, service) {
            Some(target) => jobs.push(PushJob {
                service: name.clone(),
                local: names::image_name(&project.name, service),
                target,
            }),
            None => {
                return Err(CommandError::Manifest(crate::manifest::LoadError {
                    rendered: loaded.error_at(
                        &["services", name.as_str()],
                        &format!("service `{name}` has no image name to push its image under"),
                        "give it `image: REGISTRY/NAME:TAG`, or name a registry for the project: `x-msctl: {registry: HOST[:PORT][/PATH]}`",
                    ),
                    error_count: 1,
                }));
            }
        }
    }
    if jobs.is_empty() {
        ctx.printer.status(&format!(
            "project `{}` has no image msctl builds to push",
            project.name
        ));
        return Ok(());
    }
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        for job in &jobs {
            let found = engine
                .inspect_image(&job.local)
                .await
                .map_err(|e| CommandError::Failed(e.into()))?;
            if found.is_none() {
                return Err(CommandError::hinted(
                    anyhow::anyhow!(
                        "service `{}`: image `{}` is not built yet, so there is nothing to push",
                        job.service,
                        job.local
                    ),
                    format!("run `msctl build {}` (or `msctl up`) first", job.service),
                ));
            }
        }
        let config = ctx.docker_config()?;
        let reporter = crate::images::progress::reporter(ctx.printer, false);
        let results = crate::images::push::push_all(
            engine.as_ref(),
            &jobs,
            &config,
            reporter.as_ref(),
            crate::images::pull::PULL_CONCURRENCY,
        )
        .await;
        drop(reporter);
        let results = results
            .map_err(|e| ctx.image_failed(None, project, crate::images::ImageError::Pull(e)))?;
        let mut pushed = Vec::new();
        let mut first_error = None;
        for result in results {
            match result {
                Ok(done) => pushed.push(done),
                Err(err) if args.ignore_push_failures => ctx
                    .printer
                    .status(&format!("warning: {err} (--ignore-push-failures)")),
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        let text = match ctx.global.format {
            Some(Format::Json) => {
                serde_json::to_string_pretty(&pushed).map_err(|e| CommandError::Failed(e.into()))?
            }
            _ => pushed
                .iter()
                .map(|p| format!("{}@{}", p.image, p.digest))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if !pushed.is_empty() || matches!(ctx.global.format, Some(Format::Json)) {
            let _ = ctx.printer.data(&text);
        }
        if let Some(err) = first_error {
            return Err(ctx.image_failed(None, project, crate::images::ImageError::Pull(err)));
        }
        Ok(())
    })
}

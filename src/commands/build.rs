//! `msctl build [SERVICE...]`: build or rebuild services' images, always (unlike `up`,
//! which builds only what is missing or changed). Progress goes to stderr, stdout stays
//! empty.

use crate::build::{self, BuildOptions, BuildPolicy};
use crate::cli::BuildArgs;
use crate::engine::docker::DockerEngine;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: BuildArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let project = loaded.project;
    ctx.check_services(&project, &args.services)?;
    let mut services = Vec::new();
    for (name, service) in &project.services {
        let named = args.services.is_empty() || args.services.contains(name);
        if !named {
            continue;
        }
        if build::build_spec(service).is_some() {
            services.push(name.clone());
        } else if !args.services.is_empty() {
            // As Compose does: a named service without a build is skipped, not an error.
            ctx.printer.status(&format!(
                "{name} | nothing to build: the service only names image `{}`",
                service.image.as_deref().unwrap_or_default()
            ));
        }
    }
    if services.is_empty() {
        ctx.printer.status(&format!(
            "project `{}` has no service to build",
            project.name
        ));
        return Ok(());
    }
    let options = BuildOptions {
        no_cache: args.no_cache,
        pull_base: args.pull != "never",
        ..BuildOptions::default()
    };
    ctx.block_on(async {
        let engine = DockerEngine::connect_from_env(&ctx.environment)
            .await
            .map_err(|err| {
                let hint = err.hint().unwrap_or_default().to_string();
                CommandError::hinted(err, hint)
            })?;
        let reporter = build::progress::reporter(ctx.printer, ctx.printer.interactive);
        let result = build::ensure_images_with(
            engine.client(),
            &project,
            &services,
            BuildPolicy::Always,
            &options,
            &reporter,
        )
        .await;
        // The view finishes drawing before the error is printed under it.
        drop(reporter);
        match result {
            Ok(_) => Ok(()),
            Err(err) => Err(CommandError::with_hint(err.hint(), err)),
        }
    })
}

//! `msctl create [SERVICE...]`: the services' images made ready, their networks and
//! volumes created, and their missing replicas created without being started. Replicas
//! that exist are left as they are (`up` recreates changed ones). The services are held
//! stopped, as `msctl stop` holds them, so no control plane starts what `create` made;
//! `msctl start` or `up` starts them.

use std::collections::BTreeSet;

use crate::build::BuildPolicy;
use crate::cli::CreateArgs;
use crate::engine::{observe, EngineError};
use crate::manifest::Loaded;
use crate::plan::{dependencies, plan, Action, PlanOptions};
use crate::session::images::{image_options, pin_images};
use crate::session::keeper;
use crate::session::{CommandError, Context};

pub fn create(ctx: &Context, loaded: &Loaded, args: &CreateArgs) -> Result<(), CommandError> {
    let project = &loaded.project;
    ctx.check_services(project, &args.services)?;
    let selected: BTreeSet<String> = dependencies::with_dependencies(project, &args.services);
    let failed = |e: crate::state::StateError| CommandError::Failed(e.into());
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&project.name).await?;
        keeper::taken_back(ctx, engine.as_ref(), &project.name, async {
            // The hold first: no round of a control plane starts what is created next.
            let held: Vec<String> = selected.iter().cloned().collect();
            ctx.state_store()?
                .hold(&project.name, &held, "stopped")
                .map_err(failed)?;
            let options = image_options(
                BuildPolicy::from_flags(args.no_build, args.build),
                args.pull,
            );
            let images = ctx
                .ensure_images(engine.as_ref(), Some(loaded), project, &selected, options)
                .await?;
            let mut project = project.clone();
            pin_images(&mut project, &images);
            let warnings = crate::converge::prepare_infrastructure(
                engine.as_ref(),
                &project,
                &selected,
                &BTreeSet::new(),
            )
            .await
            .map_err(|err| CommandError::Failed(err.into()))?;
            for warning in warnings {
                ctx.printer.warnings(&format!("warning: {warning}\n"));
            }
            let observed = observe(engine.as_ref(), &project.name)
                .await
                .map_err(engine_error)?;
            let planned = plan(
                &project,
                &observed,
                &PlanOptions {
                    services: args.services.iter().cloned().collect(),
                    no_recreate: true,
                    scale: ctx.replica_counts(&project, false)?,
                    ..PlanOptions::default()
                },
            );
            let mut created = 0;
            for action in &planned.actions {
                if let Action::CreateContainer { spec, .. } = action {
                    engine.create_container(spec).await.map_err(engine_error)?;
                    ctx.printer
                        .status(&format!("created container {}", spec.name));
                    created += 1;
                }
            }
            ctx.printer.status(&format!(
                "project `{}`: {created} containers created; `msctl start` starts them",
                project.name
            ));
            Ok(())
        })
        .await
    })
}

fn engine_error(err: EngineError) -> CommandError {
    CommandError::with_hint(err.hint(), err)
}

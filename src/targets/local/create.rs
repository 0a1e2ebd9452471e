//! `msctl create [SERVICE...]`: the services' images made ready, their networks and
//! volumes created, and their missing replicas created without being started. Replicas
//! that exist are left as they are (`up` recreates changed ones). The services are held
//! stopped, as `msctl stop` holds them, so no control plane starts what `create` made;
//! `msctl start` or `up` starts them.

use std::collections::BTreeSet;

use crate::build::BuildPolicy;
use crate::cli::CreateArgs;
use crate::engine::{observe, Engine};
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
            let wanted: Vec<String> = selected.iter().cloned().collect();
            let mut store = ctx.state_store()?;
            let held_before = store.held(&project.name).map_err(failed)?;
            store
                .hold(&project.name, &wanted, "stopped")
                .map_err(failed)?;
            drop(store);
            let mut created = 0;
            let result =
                create_held(ctx, engine.as_ref(), loaded, &selected, args, &mut created).await;
            if result.is_err() && created == 0 {
                // Nothing was created: the services are as they were, held or not.
                let newly: Vec<String> = wanted
                    .into_iter()
                    .filter(|s| !held_before.contains_key(s))
                    .collect();
                ctx.state_store()?
                    .release(&project.name, &newly)
                    .map_err(failed)?;
            }
            result
        })
        .await
    })
}

/// Makes the images ready, the networks and volumes, and creates the missing replicas of
/// the held services `selected`, counting them in `created`.
async fn create_held(
    ctx: &Context,
    engine: &dyn Engine,
    loaded: &Loaded,
    selected: &BTreeSet<String>,
    args: &CreateArgs,
    created: &mut usize,
) -> Result<(), CommandError> {
    let options = image_options(
        BuildPolicy::from_flags(args.no_build, args.build),
        args.pull,
    );
    let images = ctx
        .ensure_images(engine, Some(loaded), &loaded.project, selected, options)
        .await?;
    let mut project = loaded.project.clone();
    pin_images(&mut project, &images);
    let warnings =
        crate::converge::prepare_infrastructure(engine, &project, selected, &BTreeSet::new())
            .await
            .map_err(|err| CommandError::Failed(err.into()))?;
    for warning in warnings {
        ctx.printer.warnings(&format!("warning: {warning}\n"));
    }
    let observed = observe(engine, &project.name)
        .await
        .map_err(CommandError::from)?;
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
    for action in &planned.actions {
        if let Action::CreateContainer { spec, .. } = action {
            engine
                .create_container(spec)
                .await
                .map_err(CommandError::from)?;
            ctx.printer
                .status(&format!("created container {}", spec.name));
            *created += 1;
        }
    }
    ctx.printer.status(&format!(
        "project `{}`: {} containers created; `msctl start` starts them",
        project.name, created
    ));
    Ok(())
}

//! `msctl plan` and `msctl up --dry-run`: what `up` would do, one line per action,
//! changing nothing. `--detailed-exitcode` says it in the exit code (0 nothing to do,
//! 2 changes, 1 error), as `terraform plan` does, for CI.

use std::collections::BTreeSet;

use crate::engine::observe;
use crate::manifest::Loaded;
use crate::plan::{labels, plan_healing, HealOptions, PlanOptions};
use crate::session::planning::{print_lines, Planning};
use crate::session::{CommandError, Context};

/// Prints the plan of an `up` with `planning` on stdout, and a summary on stderr;
/// returns how many lines it has (image builds included). Reads the engine and the
/// state store, writes to neither. A Swarm project's plan is the Swarm's.
pub fn plan(ctx: &Context, loaded: &Loaded, planning: &Planning) -> Result<usize, CommandError> {
    let mut project = loaded.project.clone();
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let scale = ctx.replica_counts(&project, planning.reset_scale)?;
        let selected = crate::plan::dependencies::with_dependencies(&project, &planning.services);

        // Images: what `up` would pull and build. A service runs the image the engine
        // has, or one a pull or build would bring, whose id nobody knows yet: its
        // replicas show as changed.
        let (mut lines, ids) = ctx
            .plan_images(
                engine.as_ref(),
                Some(loaded),
                &project,
                &selected,
                crate::images::ImageOptions {
                    pull: planning.pull,
                    build: planning.policy,
                },
            )
            .await?;
        for (name, id) in ids {
            if let Some(service) = project.services.get_mut(&name) {
                service.labels.insert(labels::IMAGE_ID.to_string(), id);
            }
        }

        let observed = observe(engine.as_ref(), &project.name)
            .await
            .map_err(|e| CommandError::Failed(e.into()))?;
        let options = PlanOptions {
            services: planning.services.iter().cloned().collect::<BTreeSet<_>>(),
            remove_orphans: planning.remove_orphans,
            force_recreate: planning.force_recreate,
            no_recreate: planning.no_recreate,
            scale,
        };
        let planned = plan_healing(&project, &observed, &options, &HealOptions::default());
        for warning in &planned.warnings {
            ctx.printer.status(&format!("warning: {warning}"));
        }
        lines.extend(planned.actions.iter().map(ToString::to_string));
        Ok(print_lines(ctx, &project.name, &lines, ""))
    })
}

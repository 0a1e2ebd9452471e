//! `msctl plan` and `msctl up --dry-run`: what `up` would do, one line per action,
//! changing nothing. `--detailed-exitcode` says it in the exit code (0 nothing to do,
//! 2 changes, 1 error), as `terraform plan` does, for CI.

use std::collections::{BTreeMap, BTreeSet};

use super::{CommandError, Context};
use crate::build::{BuildPolicy, ImagePlan};
use crate::cli::PlanArgs;
use crate::engine::observe;
use crate::plan::{labels, plan_healing, HealOptions, PlanOptions};

/// What to plan for: the options of the `up` it stands for.
#[derive(Debug, Clone)]
pub struct Planning {
    pub services: Vec<String>,
    pub remove_orphans: bool,
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub policy: BuildPolicy,
    pub reset_scale: bool,
    pub self_heal: bool,
}

pub fn run(ctx: &Context, args: PlanArgs) -> Result<(), CommandError> {
    if ctx.swarm_target() {
        let loaded = ctx.load()?;
        let changes = super::swarm::plan_changes(
            ctx,
            loaded.project,
            &args.services,
            BuildPolicy::from_flags(args.no_build, args.build),
            args.reset_scale,
            args.remove_orphans,
            args.force_recreate,
            args.no_recreate,
        )?;
        if args.detailed_exitcode && changes > 0 {
            return Err(CommandError::Changes);
        }
        return Ok(());
    }
    let planning = Planning {
        services: args.services,
        remove_orphans: args.remove_orphans,
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        policy: BuildPolicy::from_flags(args.no_build, args.build),
        reset_scale: args.reset_scale,
        self_heal: !ctx.self_heal_disabled(),
    };
    let changes = show(ctx, &planning)?;
    if args.detailed_exitcode && changes > 0 {
        return Err(CommandError::Changes);
    }
    Ok(())
}

/// Prints the plan of an `up` with `planning` on stdout, and a summary on stderr;
/// returns how many lines it has (image builds included). Reads the engine and the
/// state store, writes to neither.
pub fn show(ctx: &Context, planning: &Planning) -> Result<usize, CommandError> {
    let loaded = ctx.load()?;
    let mut project = loaded.project;
    ctx.check_services(&project, &planning.services)?;
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let manifest_counts: BTreeMap<String, u32> = project
            .services
            .iter()
            .map(|(name, s)| (name.clone(), s.replicas()))
            .collect();
        let scale = if planning.reset_scale {
            manifest_counts
        } else {
            ctx.state_store()?
                .effective_scale(&project.name, &manifest_counts)
                .map_err(|e| CommandError::Failed(e.into()))?
        };
        let selected = crate::plan::dependencies::with_dependencies(&project, &planning.services);

        // Images: a service that only names one must have it (nothing can be pulled); a
        // buildable one runs the image on the engine, or a new one `up` would build,
        // whose id nobody knows yet: its replicas show as changed.
        let mut lines = Vec::new();
        let buildable = super::up::buildable_services(engine.as_ref(), &project, &selected).await?;
        let images = crate::build::plan_images(&project, &buildable, planning.policy)
            .await
            .map_err(super::up::build_failed)?;
        for (name, image) in &images {
            let id = match image {
                ImagePlan::Current(current) => current.id.clone(),
                ImagePlan::Build { image, reason } => {
                    lines.push(format!("build image {image} (service:{name}, {reason})"));
                    format!("to be built: {reason}")
                }
            };
            if let Some(service) = project.services.get_mut(name) {
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
            gate_traffic: planning.self_heal,
        };
        let planned = plan_healing(&project, &observed, &options, &HealOptions::default());
        for warning in &planned.warnings {
            ctx.printer.status(&format!("warning: {warning}"));
        }
        lines.extend(planned.actions.iter().map(ToString::to_string));
        for line in &lines {
            // A closed stdout (`| head`) is not an error.
            let _ = ctx.printer.data(&format!("{line}\n"));
        }
        if lines.is_empty() {
            ctx.printer.status(&format!(
                "project `{}` is up to date: `up` would change nothing",
                project.name
            ));
        } else {
            ctx.printer.status(&format!(
                "project `{}`: `up` would take {} step{}; nothing was changed",
                project.name,
                lines.len(),
                if lines.len() == 1 { "" } else { "s" }
            ));
        }
        Ok(lines.len())
    })
}

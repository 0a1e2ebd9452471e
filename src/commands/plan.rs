//! `msctl plan` and `msctl up --dry-run`: what `up` would do, one line per action,
//! changing nothing. `--detailed-exitcode` says it in the exit code (0 nothing to do,
//! 2 changes, 1 error), as `terraform plan` does, for CI.

use crate::build::BuildPolicy;
use crate::cli::PlanArgs;
use crate::session::images::pull_override;
use crate::session::planning::Planning;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PlanArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let planning = Planning {
        services: args.services,
        remove_orphans: args.remove_orphans,
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        policy: BuildPolicy::from_flags(args.no_build, args.build),
        pull: pull_override(args.pull),
        reset_scale: args.reset_scale,
        self_heal: !ctx.self_heal_disabled(),
    };
    ctx.check_services(&loaded.project, &planning.services)?;
    let changes = crate::targets::of(loaded.project.target).plan(ctx, &loaded, &planning)?;
    if args.detailed_exitcode && changes > 0 {
        return Err(CommandError::Changes);
    }
    Ok(())
}

//! `msctl up`: build what is missing or changed, then bring every selected service to
//! the manifest on the project's target and wait until it is ready; `--dry-run` prints
//! what it would do instead, as `plan` does.

use crate::cli::UpArgs;
use crate::session::planning::Planning;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: UpArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let target = crate::targets::of(loaded.project.target);
    if args.dry_run {
        let planning = Planning::of_up(&args, !args.no_self_heal && !ctx.self_heal_disabled());
        ctx.check_services(&loaded.project, &planning.services)?;
        return target.plan(ctx, &loaded, &planning).map(|_| ());
    }
    target.up(ctx, &loaded, args)
}

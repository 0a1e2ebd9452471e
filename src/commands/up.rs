//! `msctl up`: build what is missing or changed, then bring every selected service to
//! the manifest on the project's target and wait until it is ready; `--dry-run` prints
//! what it would do instead, as `plan` does.

use crate::build::BuildPolicy;
use crate::cli::UpArgs;
use crate::session::images::pull_override;
use crate::session::planning::Planning;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: UpArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let target = crate::targets::of(loaded.project.target);
    if args.dry_run {
        let planning = Planning {
            services: args.services.clone(),
            remove_orphans: args.remove_orphans,
            force_recreate: args.force_recreate,
            no_recreate: args.no_recreate,
            policy: BuildPolicy::from_flags(args.no_build, args.build),
            pull: pull_override(args.pull),
            reset_scale: args.reset_scale,
            self_heal: !args.no_self_heal && !ctx.self_heal_disabled(),
        };
        ctx.check_services(&loaded.project, &planning.services)?;
        return target.plan(ctx, &loaded, &planning).map(|_| ());
    }
    target.up(ctx, &loaded, args)
}

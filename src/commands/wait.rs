//! `msctl wait`: see [`crate::cli::WaitArgs`]; the work is the project's target's.

use crate::cli::WaitArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: WaitArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).wait(ctx, &loaded.project, &args)
}

//! `msctl cp`: see [`crate::cli::CpArgs`]; the work is the project's target's.

use crate::cli::CpArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: CpArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).cp(ctx, &loaded.project, &args)
}

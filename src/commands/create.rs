//! `msctl create`: see [`crate::cli::CreateArgs`]; the work is the project's target's.

use crate::cli::CreateArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: CreateArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).create(ctx, &loaded, &args)
}

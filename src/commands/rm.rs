//! `msctl rm`: see [`crate::cli::RmArgs`]; the work is the project's target's.

use crate::cli::RmArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: RmArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).rm(ctx, &loaded.project, &args)
}

//! `msctl stats`: see [`crate::cli::StatsArgs`]; the work is the project's target's.

use crate::cli::StatsArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: StatsArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).stats(ctx, &loaded.project, &args)
}

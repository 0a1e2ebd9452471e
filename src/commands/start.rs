//! `msctl start [SERVICE...] [--wait]`: start the services' stopped replicas again, on
//! the project's target.

use crate::cli::StartArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: StartArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).start(ctx, &loaded.project, &args)
}

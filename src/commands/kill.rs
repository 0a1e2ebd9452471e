//! `msctl kill [SERVICE...] [-s SIGNAL]`: send the services' running replicas a signal
//! (SIGKILL by default), on the project's target.

use crate::cli::KillArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: KillArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).kill(ctx, &loaded.project, &args)
}

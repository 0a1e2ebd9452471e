//! `msctl unpause [SERVICE...]`: thaw the services' paused replicas on the project's
//! target.

use crate::cli::PauseArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PauseArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).unpause(ctx, &loaded.project, &args)
}

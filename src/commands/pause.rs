//! `msctl pause [SERVICE...]`: freeze the services' running replicas on the project's
//! target; self-heal leaves them paused until `unpause`, `scale` or `up`.

use crate::cli::PauseArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PauseArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).pause(ctx, &loaded.project, &args)
}

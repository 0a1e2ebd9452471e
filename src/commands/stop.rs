//! `msctl stop [SERVICE...] [-t SECONDS]`: stop the services' replicas on the project's
//! target; self-heal leaves them stopped until `start`, `scale` or `up`.

use crate::cli::StopArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: StopArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).stop(ctx, &loaded.project, &args)
}

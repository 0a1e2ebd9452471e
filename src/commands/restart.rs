//! `msctl restart [SERVICE...]`: restart the services' replicas one at a time, each
//! ready again before the next, on the project's target.

use crate::cli::RestartArgs;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: RestartArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).restart(ctx, &loaded.project, &args)
}

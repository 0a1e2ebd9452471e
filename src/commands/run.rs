//! `msctl run SERVICE [COMMAND...]`: a one-off command in a new container of a service,
//! after the services it depends on are ready; msctl exits with the command's exit code.

use crate::cli::RunArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: RunArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).run(ctx, &loaded, &args)
}

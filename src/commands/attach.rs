//! `msctl attach`: see [`crate::cli::AttachArgs`]; the work is the project's target's.

use crate::cli::AttachArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: AttachArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).attach(ctx, &loaded.project, &args)
}

//! `msctl rollback SERVICE`: undo the last completed rollout of a service on the
//! project's target.

use crate::cli::RollbackArgs;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: RollbackArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).rollback(ctx, &loaded.project, &args)
}

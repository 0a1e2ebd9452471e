//! `msctl exec SERVICE [--index N] [-T] [-e K=V] [-u USER] [-w DIR] -- COMMAND...`: runs a
//! command in one replica and exits with the command's exit code.

use crate::cli::ExecArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: ExecArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).exec(ctx, &loaded.project, &args)
}

//! `msctl top [SERVICE...]`: the processes running in the services' containers, on the
//! project's target.

use crate::cli::TopArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: TopArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).top(ctx, &loaded.project, &args)
}

//! `msctl ls [-a]`: the projects with containers on this engine. It needs no manifest:
//! it finds the projects by msctl's labels.

use crate::cli::LsArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: LsArgs) -> Result<(), CommandError> {
    crate::targets::local::ls(ctx, &args)
}

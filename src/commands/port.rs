//! `msctl port SERVICE PRIVATE_PORT`: the host address a service's container port is
//! published on, on the project's target.

use crate::cli::PortArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PortArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).port(ctx, &loaded.project, &args)
}

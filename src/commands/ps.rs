//! `msctl ps`: the project's replicas (or Swarm tasks) with their state and health, as a
//! table or JSON.

use crate::cli::PsArgs;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: PsArgs) -> Result<(), CommandError> {
    let (project_name, project) = ctx.project_by_name(false)?;
    crate::targets::of(ctx.target_of(project.as_ref())).ps(ctx, &project_name, &args)
}

//! `msctl down`: stop and remove what the project runs on its target (containers and
//! networks; volumes with `--volumes`, images with `--rmi`), found by its labels.

use crate::cli::DownArgs;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: DownArgs) -> Result<(), CommandError> {
    // The manifest gives each service's grace period; without it (`-p NAME` after the
    // files are gone) msctl still finds everything by label.
    let (project_name, project) = ctx.project_by_name(true)?;
    crate::targets::of(ctx.target_of(project.as_ref())).down(
        ctx,
        &project_name,
        project.as_ref(),
        &args,
    )
}

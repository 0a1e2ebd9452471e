//! `msctl images [SERVICE...]`: the images the services' containers run, on the
//! project's target.

use crate::cli::ImagesArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: ImagesArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).images(ctx, &loaded.project, &args)
}

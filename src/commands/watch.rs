//! `msctl watch [SERVICE...]`: bring the services up, then follow their files and
//! rebuild and roll, sync or restart each service as its `develop.watch` rules say, until
//! Ctrl-C or SIGTERM.

use crate::cli::WatchArgs;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: WatchArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    crate::targets::of(loaded.project.target).watch(ctx, &loaded, &args)
}

//! `msctl logs [SERVICE...] [-f] [--tail N] [--since T] [--until T] [-t] [--no-prefix]`:
//! the logs of the chosen services' replicas on the project's target, merged in
//! timestamp order, as text or JSON lines.

use crate::cli::LogsArgs;
use crate::session::log_output::Asked;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: LogsArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let asked = Asked::read(ctx, &args)?;
    crate::targets::of(loaded.project.target).logs(ctx, &loaded.project, &args, &asked)
}

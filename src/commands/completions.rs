//! `msctl completions SHELL`: the completion script generated from the clap definition.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

use crate::session::{CommandError, Context};

/// The script for one shell. The files under completions/ are this, committed.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "msctl", &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

pub fn run(ctx: &Context, args: CompletionsArgs) -> Result<(), CommandError> {
    ctx.printer
        .data(&script(args.shell))
        .map_err(anyhow::Error::from)?;
    Ok(())
}

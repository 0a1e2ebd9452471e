//! One file per command. Each turns its arguments into options and calls the library:
//! a [`crate::targets::Target`] for the commands whose work depends on where the project
//! runs, the library's modules for the rest. No command imports another.

pub mod attach;
pub mod build;
pub mod completions;
pub mod config;
pub mod cp;
pub mod create;
pub mod down;
pub mod events;
pub mod exec;
pub mod export;
pub mod history;
pub mod images;
pub mod kill;
pub mod logs;
pub mod ls;
pub mod pause;
pub mod plan;
pub mod port;
pub mod ps;
pub mod pull;
pub mod push;
pub mod resolver;
pub mod restart;
pub mod rm;
pub mod rollback;
pub mod run;
pub mod scale;
pub mod serve;
pub mod start;
pub mod stats;
pub mod stop;
pub mod top;
pub mod unpause;
pub mod up;
pub mod validate;
pub mod version;
pub mod wait;
pub mod watch;

use crate::cli::{Cli, Command};
use crate::session::{CommandError, Context};

pub fn run(cli: Cli) -> Result<(), CommandError> {
    let command = match cli.command {
        // It runs in a container of its own, with no manifest, state or engine to find.
        Command::Resolver(args) => return resolver::run(args),
        command => command,
    };
    let ctx = Context::new(cli.global)?;
    match command {
        Command::Validate(args) => validate::run(&ctx, args),
        Command::Config(args) => config::run(&ctx, args),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Build(args) => build::run(&ctx, args),
        Command::Pull(args) => pull::run(&ctx, args),
        Command::Push(args) => push::run(&ctx, args),
        Command::Up(args) => up::run(&ctx, args),
        Command::Plan(args) => plan::run(&ctx, args),
        Command::Rollback(args) => rollback::run(&ctx, args),
        Command::History(args) => history::run(&ctx, args),
        Command::Down(args) => down::run(&ctx, args),
        Command::Ps(args) => ps::run(&ctx, args),
        Command::Scale(args) => scale::run(&ctx, args),
        Command::Restart(args) => restart::run(&ctx, args),
        Command::Logs(args) => logs::run(&ctx, args),
        Command::Exec(args) => exec::run(&ctx, args),
        Command::Run(args) => run::run(&ctx, args),
        Command::Rm(args) => rm::run(&ctx, args),
        Command::Wait(args) => wait::run(&ctx, args),
        Command::Create(args) => create::run(&ctx, args),
        Command::Attach(args) => attach::run(&ctx, args),
        Command::Cp(args) => cp::run(&ctx, args),
        Command::Stats(args) => stats::run(&ctx, args),
        Command::Events(args) => events::run(&ctx, args),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Resolver(args) => resolver::run(args),
        Command::Version(args) => version::run(&ctx, args),
        Command::Top(args) => top::run(&ctx, args),
        Command::Port(args) => port::run(&ctx, args),
        Command::Images(args) => images::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::Stop(args) => stop::run(&ctx, args),
        Command::Start(args) => start::run(&ctx, args),
        Command::Kill(args) => kill::run(&ctx, args),
        Command::Pause(args) => pause::run(&ctx, args),
        Command::Unpause(args) => unpause::run(&ctx, args),
        Command::Watch(args) => watch::run(&ctx, args),
    }
}

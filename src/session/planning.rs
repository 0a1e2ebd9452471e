//! What `plan`, `up --dry-run` and the Swarm target share: the options of the `up` a plan
//! stands for, and how a plan is printed.

use crate::build::BuildPolicy;
use crate::cli::UpArgs;

use super::Context;

/// What to plan for: the options of the `up` it stands for.
#[derive(Debug, Clone)]
pub struct Planning {
    pub services: Vec<String>,
    pub remove_orphans: bool,
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub policy: BuildPolicy,
    pub pull: Option<crate::images::PullOverride>,
    pub reset_scale: bool,
    pub self_heal: bool,
}

impl Planning {
    /// The plan of `up` with `args`; `self_heal` as `up` would run it.
    pub fn of_up(args: &UpArgs, self_heal: bool) -> Planning {
        Planning {
            services: args.services.clone(),
            remove_orphans: args.remove_orphans,
            force_recreate: args.force_recreate,
            no_recreate: args.no_recreate,
            policy: BuildPolicy::from_flags(args.no_build, args.build),
            pull: super::images::pull_override(args.pull),
            reset_scale: args.reset_scale,
            self_heal,
        }
    }
}

/// The plan on stdout, one line per step, and its summary on stderr (`on`: where the
/// project runs, for the summary: "" or " on the Swarm"); returns the number of steps.
pub fn print_lines(ctx: &Context, project: &str, lines: &[String], on: &str) -> usize {
    for line in lines {
        // A closed stdout (`| head`) is not an error.
        let _ = ctx.printer.data(&format!("{line}\n"));
    }
    if lines.is_empty() {
        ctx.printer.status(&format!(
            "project `{project}` is up to date{on}: `up` would change nothing"
        ));
    } else {
        ctx.printer.status(&format!(
            "project `{project}`: `up` would take {} step{}{on}; nothing was changed",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" }
        ));
    }
    lines.len()
}

//! `msctl attach SERVICE [--index N]`: msctl's standard streams wired to a replica's main
//! process, as `docker attach` does: its output from now on, msctl's input when the
//! service keeps standard input open (`stdin_open`), its terminal when it has one (`tty`).
//! Signals msctl receives go to the process unless `--sig-proxy=false`; the detach keys
//! (ctrl-p,ctrl-q by default, on a terminal) leave it running. msctl exits with the
//! process's exit code when it ends.

use crate::cli::AttachArgs;
use crate::engine::EngineError;
use crate::manifest::model::Project;
use crate::plan::spec::AttachSpec;
use crate::session::{CommandError, Context};

use super::exec::replica_to_use;

pub fn attach(ctx: &Context, project: &Project, args: &AttachArgs) -> Result<(), CommandError> {
    ctx.check_services(project, std::slice::from_ref(&args.service))?;
    let service = project.services.get(&args.service);
    let code = ctx.block_on(async {
        let engine = ctx.engine().await?;
        let target = replica_to_use(engine.as_ref(), project, &args.service, args.index).await?;
        let spec = AttachSpec {
            stdin: !args.no_stdin && service.is_some_and(|s| s.stdin_open),
            tty: service.is_some_and(|s| s.tty),
            start: false,
            detach_keys: args.detach_keys.clone(),
            proxy_signals: args.sig_proxy,
        };
        match engine.attach(&target.id, &spec).await {
            Ok(Some(code)) => Ok(code),
            Ok(None) => {
                ctx.printer
                    .status(&format!("detached from {}, which runs on", target.name));
                Ok(0)
            }
            Err(err @ EngineError::Conflict { .. }) => Err(CommandError::hinted(
                anyhow::anyhow!("cannot attach to `{}`: {err}", target.name),
                "the replica stopped; `msctl ps -a` shows its state",
            )),
            Err(err) => Err(CommandError::with_hint(err.hint(), err)),
        }
    })?;
    if code != 0 {
        // The process's exit code is msctl's, as with `exec`.
        std::process::exit(i32::try_from(code).unwrap_or(1));
    }
    Ok(())
}

//! `msctl version [--short]`: msctl's version, the Docker engine's (and its platform and
//! address), and the Engine API version the two speak, as negotiated; with `--format
//! json`, one object. msctl's own version is printed even when the engine cannot be
//! reached, before the error that says why.

use crate::cli::{Format, VersionArgs};
use crate::engine::docker::DockerEngine;
use crate::session::{CommandError, Context};

/// msctl's version.
const CLIENT: &str = env!("CARGO_PKG_VERSION");

pub fn run(ctx: &Context, args: VersionArgs) -> Result<(), CommandError> {
    let json = match ctx.global.format {
        Some(Format::Json) => true,
        None | Some(Format::Table) => false,
        Some(Format::Yaml) => {
            return Err(CommandError::Usage(
                "`version` prints text or json, not yaml".to_string(),
            ))
        }
    };
    if args.short {
        let _ = ctx.printer.data(&format!("{CLIENT}\n"));
        return Ok(());
    }
    ctx.block_on(async {
        let engine = DockerEngine::connect_from_env(&ctx.environment).await;
        let server = match &engine {
            Ok(engine) => Some(engine.server_version().await),
            Err(_) => None,
        };
        let text = match (&engine, &server) {
            (Ok(engine), Some(Ok(server))) => {
                if json {
                    let value = serde_json::json!({
                        "client": { "version": CLIENT },
                        "engine": {
                            "address": engine.address(),
                            "version": server.version,
                            "os": server.os,
                            "arch": server.arch,
                            "api_version": server.api_version,
                            "min_api_version": server.min_api_version,
                        },
                        "api_version": engine.api_version().to_string(),
                    });
                    format!("{value}\n")
                } else {
                    format!(
                        "msctl:  {CLIENT}\nengine: Docker {} ({}/{}) at {}\napi:    {} (the engine speaks {} to {})\n",
                        server.version,
                        server.os,
                        server.arch,
                        engine.address(),
                        engine.api_version(),
                        server.min_api_version,
                        server.api_version
                    )
                }
            }
            _ if json => format!(
                "{}\n",
                serde_json::json!({ "client": { "version": CLIENT }, "engine": null, "api_version": null })
            ),
            _ => format!("msctl:  {CLIENT}\n"),
        };
        let _ = ctx.printer.data(&text);
        match (engine, server) {
            (Err(err), _) | (Ok(_), Some(Err(err))) => Err(CommandError::with_hint(err.hint(), err)),
            _ => Ok(()),
        }
    })
}

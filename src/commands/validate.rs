//! `msctl validate`: check the manifests and say so in one line, or list every problem.

use crate::cli::{Format, ValidateArgs};

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: ValidateArgs) -> Result<(), CommandError> {
    let loaded = if args.strict {
        let loaded = crate::manifest::load(&ctx.load_options())?;
        if let Some(errors) = loaded.warnings_as_errors() {
            return Err(CommandError::Manifest(errors));
        }
        loaded
    } else {
        ctx.load()?
    };
    let project = &loaded.project;
    let replicas: u32 = project.services.values().map(|s| s.replicas()).sum();
    match ctx.global.format {
        Some(Format::Json) => {
            let summary = serde_json::json!({
                "valid": true,
                "project": project.name,
                "files": loaded.files,
                "services": project.services.len(),
                "replicas": replicas,
                "warnings": loaded.warnings.len(),
            });
            ctx.printer
                .data(&summary.to_string())
                .map_err(anyhow::Error::from)?;
        }
        Some(other @ (Format::Table | Format::Yaml)) => {
            return Err(CommandError::Usage(format!(
                "`validate` prints text or json, not {other:?}"
            )))
        }
        None => {
            let files = loaded
                .files
                .iter()
                .map(|f| f.strip_prefix(&ctx.cwd).unwrap_or(f).display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            let warnings = match loaded.warnings.len() {
                0 => String::new(),
                1 => ", 1 warning".to_string(),
                n => format!(", {n} warnings"),
            };
            let plural = |n: usize, word: &str| {
                if n == 1 {
                    format!("{n} {word}")
                } else {
                    format!("{n} {word}s")
                }
            };
            ctx.printer
                .data(&format!(
                    "{files}: valid: project `{}`, {}, {}{warnings}",
                    project.name,
                    plural(project.services.len(), "service"),
                    plural(replicas as usize, "replica"),
                ))
                .map_err(anyhow::Error::from)?;
        }
    }
    Ok(())
}

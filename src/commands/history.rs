//! `msctl history SERVICE`: the rollouts of a service, oldest first: when, how they
//! ended (completed, rolled back, paused), from which image and config to which.

use crate::cli::{Format, HistoryArgs};
use crate::control::format_ms;
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: HistoryArgs) -> Result<(), CommandError> {
    let json = match ctx.global.format {
        Some(Format::Json) => true,
        None | Some(Format::Table) => false,
        Some(Format::Yaml) => {
            return Err(CommandError::Usage(
                "`history` prints a table or json (one object per line), not yaml".to_string(),
            ))
        }
    };
    let loaded = ctx.load()?;
    ctx.local_only(
        "history",
        &loaded.project,
        "the Swarm keeps a service's current and previous spec, not a history; `msctl ps -a SERVICE` shows its tasks, old and new",
    )?;
    ctx.check_services(&loaded.project, std::slice::from_ref(&args.service))?;
    let store = ctx.state_store()?;
    let rollouts = store
        .rollouts(&loaded.project.name, &args.service)
        .map_err(|e| CommandError::Failed(e.into()))?;
    let mut out = String::new();
    if json {
        for (id, record) in &rollouts {
            let line = serde_json::json!({
                "rollout": id,
                "service": record.service,
                "started": format_ms(record.started_ms),
                "finished": format_ms(record.finished_ms),
                "outcome": record.outcome,
                "reason": record.reason,
                "replicas": record.replicas,
                "from_hash": record.from_hash,
                "to_hash": record.to_hash,
                "from_image": record.from_image,
                "to_image": record.to_image,
            });
            out.push_str(&format!("{line}\n"));
        }
    } else {
        out.push_str(&format!(
            "{:<8} {:<24} {:<12} {:<8} {:<19} {:<19} REASON\n",
            "ROLLOUT", "STARTED", "OUTCOME", "REPLICAS", "FROM", "TO"
        ));
        for (id, record) in &rollouts {
            let from = version(record.from_image.as_deref(), record.from_hash.as_deref());
            let to = version(record.to_image.as_deref(), Some(&record.to_hash));
            out.push_str(&format!(
                "{id:<8} {:<24} {:<12} {:<8} {from:<19} {to:<19} {}\n",
                format_ms(record.started_ms),
                record.outcome,
                record.replicas,
                record.reason
            ));
        }
    }
    let _ = ctx.printer.data(&out);
    if rollouts.is_empty() {
        ctx.printer.status(&format!(
            "service `{}` has no rollout yet: `up` rolls out a change to a service with `deploy.update_config`",
            args.service
        ));
    }
    Ok(())
}

/// `image 1a2b3c4d5e6f` or `config 9f8e7d6c5b4a`: what a rollout went from or to.
fn version(image: Option<&str>, hash: Option<&str>) -> String {
    match (image, hash) {
        (Some(image), Some(hash)) => format!(
            "{}/{}",
            short(image.trim_start_matches("sha256:")),
            &short(hash)[..6.min(short(hash).len())]
        ),
        (None, Some(hash)) => format!("config {}", short(hash)),
        (Some(image), None) => short(image.trim_start_matches("sha256:")).to_string(),
        (None, None) => "-".to_string(),
    }
}

fn short(id: &str) -> &str {
    &id[..12.min(id.len())]
}

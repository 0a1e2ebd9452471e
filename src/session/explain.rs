//! A failed convergence said as a command error: what failed, where and why, with the
//! replica's last health-check output and log lines.

use futures_util::StreamExt;

use crate::converge::ConvergeError;
use crate::engine::{Engine, LogOptions};
use crate::health::ReadyError;
use crate::output::progress::seconds;

use super::CommandError;

/// Turn a converge failure into an error that says what failed, where and why, with
/// the replica's last health-check output and log lines.
pub async fn explain(engine: &dyn Engine, err: ConvergeError) -> CommandError {
    match err {
        ConvergeError::Interrupted => CommandError::Interrupted,
        ConvergeError::NotReady(ReadyError::Failed {
            replica, reason, ..
        }) => {
            let mut text = format!(
                "replica `{}` of service `{}` is not ready: {reason}",
                replica.container_name, replica.service_name
            );
            if let Ok(details) = engine.inspect_container(&replica.container_id).await {
                if let Some(last) = details.health_log.last().filter(|l| !l.trim().is_empty()) {
                    text.push_str(&format!("\n  last health check: {}", last.trim()));
                }
            }
            let options = LogOptions {
                tail: Some(10),
                ..LogOptions::default()
            };
            if let Ok(mut lines) = engine.container_logs(&replica.container_id, &options).await {
                let mut logged = Vec::new();
                while let Some(Ok(line)) = lines.next().await {
                    logged.push(line.message);
                }
                if !logged.is_empty() {
                    text.push_str("\n  last log lines:");
                    for line in logged {
                        text.push_str(&format!("\n    {line}"));
                    }
                }
            }
            CommandError::hinted(
                anyhow::anyhow!(text),
                format!(
                    "`msctl logs {}` shows its whole log; `msctl ps -a` its state",
                    replica.service_name
                ),
            )
        }
        ConvergeError::NotReady(ReadyError::Timeout { waited, waiting }) => CommandError::hinted(
            anyhow::anyhow!(
                "replicas not ready after {}: {}",
                seconds(waited),
                waiting
                    .iter()
                    .map(|(r, why)| format!("`{}` ({why})", r.container_name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "raise `--timeout`, or check the health checks with `msctl ps` and `msctl logs`",
        ),
        other => {
            let hint = match &other {
                ConvergeError::Action { source, .. } | ConvergeError::Engine(source) => {
                    source.hint()
                }
                _ => None,
            };
            CommandError::with_hint(hint, other)
        }
    }
}

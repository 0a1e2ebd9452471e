//! Where a replica stands when a round sees it, and how an exit reads in an event.

use crate::plan::{ContainerState, Health, ObservedContainer};

/// Where a replica stood when a round saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Condition {
    /// Created, starting, restarting or paused: not ready, not failed.
    Starting,
    /// Running and healthy (or without a health check); a one-shot job that exited 0.
    Ready,
    /// It will not recover by itself: `kind` is `died` or `unhealthy`.
    Failed { kind: &'static str, why: String },
}

pub(super) fn condition(
    container: &ObservedContainer,
    one_shot: bool,
    note: Option<&str>,
) -> Condition {
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    match container.state {
        ContainerState::Exited { code: 0 } if one_shot => Condition::Ready,
        ContainerState::Exited { code } => Condition::Failed {
            kind: "died",
            why: format!("exited with code {code}{}", exit_hint(code, &note)),
        },
        ContainerState::Dead => Condition::Failed {
            kind: "died",
            why: format!("is dead{note}"),
        },
        ContainerState::Created | ContainerState::Restarting | ContainerState::Paused => {
            Condition::Starting
        }
        ContainerState::Running => match container.health {
            Health::Unhealthy => Condition::Failed {
                kind: "unhealthy",
                why: "is unhealthy: its health check fails".to_string(),
            },
            Health::Starting => Condition::Starting,
            Health::Healthy | Health::None => Condition::Ready,
        },
    }
}

/// What an exit code says, when the engine said nothing more.
fn exit_hint(code: i64, note: &str) -> String {
    if !note.is_empty() {
        return note.to_string();
    }
    match code {
        137 => " (killed: SIGKILL, or out of memory)".to_string(),
        143 => " (terminated: SIGTERM)".to_string(),
        _ => String::new(),
    }
}

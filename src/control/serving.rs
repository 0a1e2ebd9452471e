//! The control plane's side of readiness-gated traffic: for each project it keeps, a
//! task that runs [`crate::serving::sweep`] every `Settings::serving_every`, so a
//! replica takes its service's names within that long of being ready and gives them up
//! within that long of its probe or health check failing (Docker calls a replica
//! unhealthy only after `retries` failures in a row; by then it has long served no
//! request). Each change is an event: `serving` or `withdrawn`, with why.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{log_line, now_ms, Log};
use crate::engine::Engine;
use crate::state::{StateStore, StoredEvent};

/// The message of a `serving` event, wherever the replica joined.
pub fn serving_message(replica: &str) -> String {
    format!("replica `{replica}` is ready: its service's names lead to it")
}

/// Sweep `project` every `every` until `shutdown`, or until it is no longer kept (no
/// desired state, or self-heal off).
pub async fn keep_serving(
    project: String,
    engine: Arc<dyn Engine>,
    state_dir: PathBuf,
    every: Duration,
    log: Log,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut store = match StateStore::open(&state_dir) {
        Ok(store) => store,
        Err(err) => {
            log(&format!(
                "warning: project `{project}`: names are not gated: {err}"
            ));
            return;
        }
    };
    let mut last_error: Option<String> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        // Taken before the desired state is read: `down` forgets the project, then takes
        // this lock, so a pass either ends before `down` removes anything or sees the
        // project gone.
        let _pass = match crate::lock::ProjectLock::acquire(
            &state_dir,
            &crate::lock::serving_lock(&project),
            Duration::ZERO,
            || {},
        )
        .await
        {
            Ok(lock) => Some(lock),
            Err(crate::lock::LockError::Timeout { .. }) => continue,
            // No lock file to be had: sweep anyway, as before there was one.
            Err(_) => None,
        };
        let desired = match store.desired(&project) {
            Ok(Some(desired)) if desired.self_heal => desired,
            Ok(_) => return,
            Err(err) => {
                log(&format!(
                    "warning: project `{project}`: cannot read its desired state: {err}"
                ));
                continue;
            }
        };
        let (changes, errors) = crate::serving::sweep(engine.as_ref(), &desired.project).await;
        for change in changes {
            let (kind, message) = if change.joined {
                (
                    "serving",
                    format!(
                        "replica `{}` is ready: its service's names lead to it",
                        change.replica
                    ),
                )
            } else {
                (
                    "withdrawn",
                    format!(
                        "replica `{}` is not ready ({}): its service's names no longer lead to it",
                        change.replica, change.why
                    ),
                )
            };
            let event = StoredEvent {
                id: 0,
                at_ms: now_ms(),
                project: project.clone(),
                service: change.service,
                replica: change.replica,
                kind: kind.to_string(),
                message,
            };
            log(&log_line(&event));
            if let Err(err) = store.record_event(&event) {
                log(&format!("warning: cannot record an event: {err}"));
            }
        }
        // One line per distinct problem while it lasts, not one per second.
        let error = (!errors.is_empty()).then(|| errors.join("; "));
        if error.is_some() && error != last_error {
            log(&format!(
                "warning: project `{project}`: gating names: {}",
                error.as_deref().unwrap_or_default()
            ));
        }
        last_error = error;
    }
}

//! The control plane's side of readiness-gated traffic: for each project it keeps, a
//! task that runs [`crate::serving::sweep`] every `Settings::serving_every`, so a
//! replica takes its service's names within that long of being ready and gives them up
//! within that long of its probe or health check failing or of its death (Docker calls
//! a replica unhealthy only after `retries` failures in a row; by then it has long
//! served no request). Each change since the last pass is an event: `serving` or
//! `withdrawn`, with why.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::now_ms;
use crate::engine::Engine;
use crate::report::Log;
use crate::serving::Swept;
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
        let swept = crate::serving::sweep(engine.as_ref(), &desired.project).await;
        let errors = swept.errors.clone();
        for (kind, service, replica, message) in changes(&swept) {
            let event = StoredEvent {
                id: 0,
                at_ms: now_ms(),
                project: project.clone(),
                service,
                replica,
                kind: kind.to_string(),
                message,
            };
            log(&event.log_line());
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

/// The events of a pass: replicas that took their service's names, and replicas that
/// gave them up (not ready, with why, or gone).
fn changes(swept: &Swept) -> Vec<(&'static str, String, String, String)> {
    let joined = swept.joined.iter().map(|who| {
        (
            "serving",
            who.service.clone(),
            who.replica.clone(),
            serving_message(&who.replica),
        )
    });
    let left = swept.left.iter().map(|(who, why)| {
        (
            "withdrawn",
            who.service.clone(),
            who.replica.clone(),
            format!(
                "replica `{}` is not ready ({why}): its service's names no longer lead to it",
                who.replica
            ),
        )
    });
    joined.chain(left).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::Serving;

    fn who(replica: &str) -> Serving {
        Serving {
            service: "web".to_string(),
            replica: replica.to_string(),
        }
    }

    #[test]
    fn a_pass_reports_what_joined_and_what_left_with_why() {
        let swept = Swept {
            joined: vec![who("p-web-3")],
            left: vec![(who("p-web-2"), "probe failed".to_string())],
            ..Swept::default()
        };
        let events = changes(&swept);
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].0, events[0].2.as_str()), ("serving", "p-web-3"));
        assert_eq!(events[1].0, "withdrawn");
        assert!(events[1].3.contains("probe failed"), "{}", events[1].3);
        assert!(changes(&Swept::default()).is_empty());
    }
}

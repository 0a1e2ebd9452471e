//! The control plane's side of the ingress: for each project it keeps, a task that
//! listens on the project's ingress ports ([`crate::ingress::routes`]) and refreshes the
//! ready replicas of their services every `Settings::serving_every` (1 s), the cadence
//! at which the serving sweep gives and takes service names.
//!
//! It rebinds when the desired state's ports change, retries a port it cannot bind
//! (taken by another program) every [`RETRY_BIND`], recording an `ingress` event for
//! each new problem, and ends, closing its listeners, once the project is no longer kept
//! (`down`, self-heal off) or on shutdown.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::engine::Engine;
use crate::ingress::{self, Backends, Route};
use crate::report::Log;
use crate::state::{StateStore, StoredEvent};

/// How long after a failed bind the port is tried again.
pub const RETRY_BIND: Duration = Duration::from_secs(3);

/// A task aborted when this is dropped: a listener's (its port is free again at once),
/// or a project's ingress, which lives no longer than the project's worker.
pub struct AbortOnDrop(pub JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A port that could not be bound, and when to try again.
struct Unbound {
    error: String,
    retry_at: Instant,
}

/// Keep `project`'s ingress ports open until `shutdown`, or until it is no longer kept,
/// looking up the ready replicas `every` so often. `limit` bounds the connections of
/// every project together.
pub async fn keep_ingress(
    project: String,
    engine: Arc<dyn Engine>,
    state_dir: PathBuf,
    every: Duration,
    log: Log,
    limit: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut store = match StateStore::open(&state_dir) {
        Ok(store) => store,
        Err(err) => {
            log(&format!(
                "warning: project `{project}`: its published ports are closed: {err}"
            ));
            return;
        }
    };
    let mut listening: BTreeMap<Route, AbortOnDrop> = BTreeMap::new();
    let mut unbound: BTreeMap<Route, Unbound> = BTreeMap::new();
    let mut backends: BTreeMap<String, Backends> = BTreeMap::new();
    let mut last_error: Option<String> = None;
    let record = |store: &mut StateStore, service: &str, message: String| {
        let event = StoredEvent {
            id: 0,
            at_ms: now_ms(),
            project: project.clone(),
            service: service.to_string(),
            replica: String::new(),
            kind: "ingress".to_string(),
            message,
        };
        log(&event.log_line());
        if let Err(err) = store.record_event(&event) {
            log(&format!("warning: cannot record an event: {err}"));
        }
    };
    loop {
        let desired = match store.desired(&project) {
            Ok(Some(desired)) if desired.self_heal => desired,
            Ok(_) => break,
            Err(err) => {
                log(&format!(
                    "warning: project `{project}`: cannot read its desired state: {err}"
                ));
                tokio::select! {
                    _ = tokio::time::sleep(every) => continue,
                    _ = shutdown.changed() => break,
                }
            }
        };
        let routes = ingress::routes(&desired.project);

        // Ports that left the desired state (or lead elsewhere now) close.
        let closing: Vec<Route> = listening
            .keys()
            .filter(|route| !routes.contains(route))
            .cloned()
            .collect();
        for route in closing {
            listening.remove(&route);
            record(
                &mut store,
                &route.service,
                format!(
                    "stopped listening on {} for service `{}`",
                    route.address, route.service
                ),
            );
        }
        unbound.retain(|route, _| routes.contains(route));
        backends.retain(|service, _| routes.iter().any(|r| &r.service == service));

        // The ready set first, so the first connections find replicas.
        let mut errors = Vec::new();
        for route in &routes {
            if backends.contains_key(&route.service) {
                continue;
            }
            backends.insert(route.service.clone(), Backends::default());
        }
        for (service_name, service_backends) in &backends {
            let Some(service) = desired.project.services.get(service_name) else {
                continue;
            };
            match ingress::ready_replicas(engine.as_ref(), &desired.project, service).await {
                Ok(ready) => service_backends.set(ready),
                Err(err) => errors.push(format!("service `{service_name}`: {err}")),
            }
        }

        for route in &routes {
            if listening.contains_key(route) {
                continue;
            }
            if unbound
                .get(route)
                .is_some_and(|u| Instant::now() < u.retry_at)
            {
                continue;
            }
            let Some(service_backends) = backends.get(&route.service) else {
                continue;
            };
            match ingress::bind(&route.address).await {
                Ok(listener) => {
                    unbound.remove(route);
                    let task = tokio::spawn(ingress::serve(
                        listener,
                        service_backends.clone(),
                        route.target,
                        limit.clone(),
                    ));
                    listening.insert(route.clone(), AbortOnDrop(task));
                    record(
                        &mut store,
                        &route.service,
                        format!(
                            "listening on {} for service `{}` (port {}, over {} ready replicas)",
                            route.address,
                            route.service,
                            route.target,
                            service_backends.len()
                        ),
                    );
                }
                Err(err) => {
                    let error = err.to_string();
                    let again = unbound.get(route).is_some_and(|u| u.error == error);
                    if !again {
                        record(
                            &mut store,
                            &route.service,
                            format!(
                                "cannot listen on {} for service `{}`: {error}; trying again every {}s (is another program using the port?)",
                                route.address,
                                route.service,
                                RETRY_BIND.as_secs()
                            ),
                        );
                    }
                    unbound.insert(
                        route.clone(),
                        Unbound {
                            error,
                            retry_at: Instant::now() + RETRY_BIND,
                        },
                    );
                }
            }
        }

        // One line per distinct problem while it lasts, not one per second.
        let error = (!errors.is_empty()).then(|| errors.join("; "));
        if error.is_some() && error != last_error {
            log(&format!(
                "warning: project `{project}`: ingress: cannot look up the ready replicas: {}",
                error.as_deref().unwrap_or_default()
            ));
        }
        last_error = error;

        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
    }
    // Dropping the listeners closes their ports and the connections they relay.
    drop(listening);
}

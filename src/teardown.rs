//! Taking a project off the engine: what `down` does to the engine, apart from the
//! state it keeps. Stop (each service's stop signal, then its grace period) and remove
//! the project's containers, concurrently under one bound, then its networks, and its
//! volumes when asked. Only resources carrying this project's labels are touched. A
//! running replica's `pre_stop` hooks run before it stops; one that fails is a warning.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::engine::DEFAULT_CONCURRENCY;
use crate::engine::{Engine, EngineError, LabelFilter};
use crate::executor::Replica;
use crate::manifest::model::Project;
use crate::plan::spec::hook_exec;
use crate::plan::{labels, ContainerState, DEFAULT_STOP_TIMEOUT};

/// What `down` asks for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also remove containers of services no longer in the manifest.
    pub remove_orphans: bool,
    /// The grace period for every container, instead of each service's.
    pub timeout: Option<Duration>,
    /// Also remove the project's volumes.
    pub volumes: bool,
}

/// What was removed.
#[derive(Debug, Default)]
pub struct Removed {
    pub containers: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum TeardownError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A network of the project is still used by a container that is not the project's.
    #[error("network `{network}` of project `{project}` is still used by {names}, which {verb} not part of the project")]
    Foreign {
        network: String,
        project: String,
        names: String,
        verb: &'static str,
        first: String,
    },
    /// Docker refuses to remove a network for endpoints it no longer lists: its count of
    /// them is off (Engine 20.10 can lose a decrement when many containers on one network
    /// start or stop at once).
    #[error("network `{network}` of project `{project}`: Docker still counts endpoints on it, though it lists none and every container of the project is gone")]
    Uncounted { network: String, project: String },
}

impl TeardownError {
    pub fn hint(&self) -> Option<String> {
        match self {
            TeardownError::Engine(err) => err.hint().map(str::to_string),
            TeardownError::Foreign { network, first, .. } => Some(format!(
                "disconnect it (`docker network disconnect {network} {first}`) or remove it, then run `msctl down` again"
            )),
            TeardownError::Uncounted { network, .. } => Some(format!(
                "this is the engine's endpoint count going wrong (moby/moby#42119); restarting the Docker daemon recounts and lets `docker network rm {network}` remove it; `msctl up` meanwhile uses the network as it is"
            )),
        }
    }
}

/// Removes the containers of `project_name` (those of services the manifest still has,
/// or all with `remove_orphans` or without a manifest), then, when no orphan is left,
/// every network of the project, and its volumes with `volumes`. `status` gets one line
/// per thing removed and per warning.
pub async fn remove_project(
    engine: &dyn Engine,
    project_name: &str,
    project: Option<&Project>,
    options: &Options,
    status: &(dyn Fn(&str) + Sync),
) -> Result<Removed, TeardownError> {
    let containers = engine
        .list_containers(&LabelFilter::project(project_name))
        .await?;
    let in_manifest = |service: Option<&String>| match (project, service) {
        (Some(p), Some(s)) => p.services.contains_key(s),
        (None, _) => true,
        (Some(_), None) => false,
    };
    let (remove, orphans): (Vec<_>, Vec<_>) = containers
        .into_iter()
        .partition(|c| options.remove_orphans || in_manifest(c.labels.get(labels::SERVICE)));
    for orphan in &orphans {
        status(&format!(
                "warning: container `{}` belongs to a service no longer in the manifest; left alone (use --remove-orphans)",
                orphan.name
            ));
    }

    let semaphore = Semaphore::new(DEFAULT_CONCURRENCY);
    let removals = remove.iter().map(|c| {
        let grace = options.timeout.unwrap_or_else(|| {
            c.labels
                .get(labels::SERVICE)
                .and_then(|s| project?.services.get(s)?.stop_grace_period)
                .unwrap_or(DEFAULT_STOP_TIMEOUT)
        });
        let service = c
            .labels
            .get(labels::SERVICE)
            .and_then(|s| project?.services.get(s));
        let pre_stop: Vec<_> = match service {
            Some(service) if c.state == ContainerState::Running => {
                service.pre_stop.iter().map(hook_exec).collect()
            }
            _ => Vec::new(),
        };
        let replica_number = c
            .labels
            .get(labels::REPLICA)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let semaphore = &semaphore;
        async move {
            let _permit = semaphore.acquire().await.map_err(|_| EngineError::Other {
                operation: "down".to_string(),
                message: "closed".to_string(),
            })?;
            if let Some(service) = service.filter(|_| !pre_stop.is_empty()) {
                let replica = Replica::new(&service.name, replica_number, &c.id);
                for warning in replica.pre_stop(engine, &pre_stop).await {
                    status(&format!("warning: {warning}"));
                }
            }
            engine.stop_container(&c.id, grace).await?;
            engine.remove_container(&c.id, true).await?;
            status(&format!("removed container {}", c.name));
            Ok::<(), EngineError>(())
        }
    });
    for result in futures_util::future::join_all(removals).await {
        result?;
    }

    if orphans.is_empty() {
        // Every network is tried; the first that cannot go is the error, after the
        // others went.
        let mut kept = None;
        for network in engine
            .list_networks(&LabelFilter::project(project_name))
            .await?
        {
            match remove_network(engine, project_name, &network.name, status).await {
                Ok(true) => status(&format!("removed network {}", network.name)),
                Ok(false) => {}
                Err(err) => {
                    kept.get_or_insert(err);
                }
            }
        }
        if let Some(err) = kept {
            return Err(err);
        }
    }
    if options.volumes {
        for volume in engine
            .list_volumes(&LabelFilter::project(project_name))
            .await?
        {
            match engine.remove_volume(&volume.name).await {
                Ok(()) => status(&format!("removed volume {}", volume.name)),
                Err(err) if err.is_not_found() => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(Removed {
        containers: remove.len(),
    })
}

/// How often `down` tries a network that still has endpoints once it cleared them.
/// Docker can take seconds, with many containers stopping at once (100 on two cores), to
/// let go of the endpoints of containers already removed: about 9 s of tries in all.
const NETWORK_ATTEMPTS: u32 = 12;

/// The tries (about 1.2 s of them) before an endpoint whose container is gone counts as
/// left behind, not as one Docker is still releasing.
const STALE_AFTER_ATTEMPTS: u32 = 4;

/// Removes one of the project's networks once its containers are gone; `false` when it
/// was gone already. Endpoints still on it are dealt with by whose they are:
/// - a container that no longer exists left a stale endpoint behind (Docker can, when a
///   container is attached to a network while it stops): once Docker had
///   [`STALE_AFTER_ATTEMPTS`] tries to release it itself, it is removed by force;
/// - a container of this project that appeared after the listing is removed;
/// - a container of anything else is an error naming it: `down` does not remove what is
///   not the project's.
async fn remove_network(
    engine: &dyn Engine,
    project_name: &str,
    network: &str,
    status: &(dyn Fn(&str) + Sync),
) -> Result<bool, TeardownError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match engine.remove_network(network).await {
            Ok(()) => return Ok(true),
            Err(err) if err.is_not_found() => return Ok(false),
            Err(err) if err.is_conflict() => err,
            Err(err) => return Err(err.into()),
        };
        let endpoints = match engine.network_endpoints(network).await {
            Ok(endpoints) => endpoints,
            Err(found) if found.is_not_found() => return Ok(false),
            Err(_) => return Err(err.into()),
        };
        if attempt >= NETWORK_ATTEMPTS {
            return Err(if endpoints.is_empty() {
                TeardownError::Uncounted {
                    network: network.to_string(),
                    project: project_name.to_string(),
                }
            } else {
                err.into()
            });
        }
        let mut foreign = Vec::new();
        for endpoint in endpoints {
            match engine.inspect_container(&endpoint.container_id).await {
                // Docker may still be releasing the endpoint of a container it removed a
                // moment ago; a disconnect by force racing its own release is one way its
                // endpoint count goes wrong for good (moby#42119). Left to it first.
                Err(gone) if gone.is_not_found() && attempt < STALE_AFTER_ATTEMPTS => {}
                Err(gone) if gone.is_not_found() => {
                    status(&format!(
                        "network {network}: removing the endpoint `{}` its container left behind",
                        endpoint.name
                    ));
                    engine
                        .remove_stale_endpoint(network, &endpoint.name)
                        .await?;
                }
                Err(other) => return Err(other.into()),
                Ok(found)
                    if found
                        .summary
                        .labels
                        .get(labels::PROJECT)
                        .map(String::as_str)
                        == Some(project_name) =>
                {
                    engine
                        .stop_container(&found.summary.id, DEFAULT_STOP_TIMEOUT)
                        .await?;
                    engine.remove_container(&found.summary.id, true).await?;
                    status(&format!("removed container {}", found.summary.name));
                }
                Ok(found) => foreign.push(found.summary.name),
            }
        }
        if !foreign.is_empty() {
            let names = foreign
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(TeardownError::Foreign {
                network: network.to_string(),
                project: project_name.to_string(),
                names,
                verb: if foreign.len() == 1 { "is" } else { "are" },
                first: foreign[0].clone(),
            });
        }
        // An endpoint whose container is just going can take a moment to go with it.
        tokio::time::sleep(Duration::from_millis((200 * u64::from(attempt)).min(1000))).await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::engine::fake::{FakeEngine, FakeFault};
    use crate::engine::ContainerSummary;
    use crate::plan::Health;

    fn project_labels(project: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(labels::PROJECT.to_string(), project.to_string())])
    }

    fn container(id: &str, name: &str, project: &str, network: &str) -> ContainerSummary {
        ContainerSummary {
            id: id.to_string(),
            name: name.to_string(),
            image: "shop/orders".to_string(),
            labels: project_labels(project),
            state: ContainerState::Running,
            health: Health::None,
            network_mode: None,
            networks: vec![network.to_string()],
        }
    }

    async fn remove(engine: &FakeEngine) -> (Result<bool, TeardownError>, Vec<String>) {
        let lines = Mutex::new(Vec::new());
        let status = |line: &str| lines.lock().expect("lines").push(line.to_string());
        let removed = remove_network(engine, "shop", "shop_default", &status).await;
        (removed, lines.into_inner().expect("lines"))
    }

    #[tokio::test(start_paused = true)]
    async fn an_endpoint_left_behind_by_a_gone_container_is_cleared_and_the_network_removed() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_stale_endpoint("shop_default", "shop-payments-1");
        let (removed, lines) = remove(&engine).await;
        assert!(removed.expect("removed"), "the network was there");
        assert!(engine.networks().is_empty(), "{:?}", engine.networks());
        assert_eq!(
            lines,
            ["network shop_default: removing the endpoint `shop-payments-1` its container left behind"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_endpoint_docker_is_still_releasing_is_left_to_it_not_disconnected_by_force() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_stale_endpoint("shop_default", "shop-payments-1");
        let release = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            engine.release_stale_endpoint("shop_default", "shop-payments-1");
        };
        let ((removed, lines), ()) = tokio::join!(remove(&engine), release);
        assert!(removed.expect("removed"));
        assert!(engine.networks().is_empty());
        assert!(lines.is_empty(), "{lines:?}");
        let forced: Vec<String> = engine
            .calls()
            .into_iter()
            .filter(|call| call.starts_with("remove_stale_endpoint"))
            .collect();
        assert!(forced.is_empty(), "{forced:?}");
    }

    #[tokio::test]
    async fn a_container_of_the_project_that_came_late_is_removed_with_the_network() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_container(container("c1", "shop-orders-2", "shop", "shop_default"));
        let (removed, lines) = remove(&engine).await;
        assert!(removed.expect("removed"));
        assert!(engine.containers().is_empty());
        assert!(engine.networks().is_empty());
        assert_eq!(lines, ["removed container shop-orders-2"]);
    }

    #[tokio::test]
    async fn a_container_of_another_project_on_the_network_is_an_error_naming_it_and_kept() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_container(container("c9", "debugger", "tools", "shop_default"));
        let (removed, _) = remove(&engine).await;
        let err = removed.expect_err("refused");
        let text = format!("{err}");
        assert!(
            text.contains("`debugger`") && text.contains("shop_default"),
            "{text}"
        );
        let hint = err.hint().expect("a hint");
        assert!(
            hint.contains("docker network disconnect shop_default debugger"),
            "{hint}"
        );
        assert_eq!(
            engine.containers().len(),
            1,
            "another project's container is kept"
        );
        assert_eq!(
            engine.networks().len(),
            1,
            "the network stays while it is used"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_network_docker_miscounts_is_named_as_such_once_its_tries_run_out() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        for _ in 0..NETWORK_ATTEMPTS {
            engine.fail_next("remove_network", FakeFault::Conflict);
        }
        let (removed, lines) = remove(&engine).await;
        let err = removed.expect_err("refused every time");
        assert!(matches!(err, TeardownError::Uncounted { .. }), "{err:?}");
        assert!(err.to_string().contains("lists none"), "{err}");
        assert!(err
            .hint()
            .expect("a hint")
            .contains("restarting the Docker daemon"));
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(engine.networks().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_conflict_that_clears_within_the_tries_removes_the_network() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        for _ in 0..NETWORK_ATTEMPTS - 1 {
            engine.fail_next("remove_network", FakeFault::Conflict);
        }
        let (removed, _) = remove(&engine).await;
        assert!(removed.expect("removed on the last try"));
        assert!(engine.networks().is_empty());
    }

    #[tokio::test]
    async fn a_network_already_gone_is_not_an_error() {
        let engine = FakeEngine::new();
        let (removed, lines) = remove(&engine).await;
        assert!(!removed.expect("no error"));
        assert!(lines.is_empty());
    }
}

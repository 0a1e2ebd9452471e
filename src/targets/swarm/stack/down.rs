//! `down` on a Swarm: services, then what their tasks held (networks, secrets, configs,
//! volumes) once the tasks are gone.

use std::time::{Duration, Instant};

use crate::engine::docker::DockerEngine;
use crate::engine::swarm::{self as api, SwarmEngine};
use crate::engine::EngineError;

use super::*;

/// Run a removal until it succeeds or `deadline` passes: what a task still shutting
/// down holds (a network's endpoint, a secret, a volume) is freed when it is gone.
pub(super) async fn remove_when_free<F, Fut>(
    deadline: Instant,
    mut remove: F,
) -> Result<(), SwarmError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), EngineError>>,
{
    loop {
        match remove().await {
            Ok(()) => return Ok(()),
            Err(err) if !err.is_unavailable() && Instant::now() < deadline => {
                tracing::debug!("{err}; retrying");
                tokio::time::sleep(POLL).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Remove the project from the Swarm: services, then (once their tasks are gone)
/// networks, secrets and configs; with `volumes`, the named volumes on every node
/// msctl can reach.
pub async fn down(
    swarm: &SwarmEngine,
    project: &str,
    volumes: bool,
    timeout: Duration,
    report: &dyn Fn(&str),
) -> Result<usize, SwarmError> {
    let mut removed = 0;
    for service in swarm.services(project).await? {
        swarm.remove_service(&service.id).await?;
        report(&format!("removed service {}", service.name));
        removed += 1;
    }
    let deadline = Instant::now() + timeout;
    for (name, id) in swarm.networks(project).await? {
        remove_when_free(deadline, || swarm.remove_network(&id)).await?;
        report(&format!("removed network {name}"));
        removed += 1;
    }
    for config in [false, true] {
        for object in swarm.objects(project, config).await? {
            remove_when_free(deadline, || swarm.remove_object(&object.id, config)).await?;
            let kind = if config { "config" } else { "secret" };
            report(&format!("removed {kind} {}", object.name));
            removed += 1;
        }
    }
    if volumes {
        let own_node = swarm.status().await?.node_id;
        for node in swarm.nodes().await? {
            let Some(engine) = node_engine(swarm, &node, &own_node).await? else {
                report(&format!(
                    "node `{}` has no {} label: its volumes of project `{project}` stay",
                    node.hostname,
                    api::ENGINE_LABEL
                ));
                continue;
            };
            removed += remove_volumes(&engine, project, &node.hostname, deadline, report).await?;
        }
    }
    Ok(removed)
}

pub(super) async fn remove_volumes(
    engine: &DockerEngine,
    project: &str,
    node: &str,
    deadline: Instant,
    report: &dyn Fn(&str),
) -> Result<usize, SwarmError> {
    use crate::engine::Engine;
    let mut removed = 0;
    let filter = crate::engine::LabelFilter::project(project);
    for volume in engine.list_volumes(&filter).await? {
        remove_when_free(deadline, || engine.remove_volume(&volume.name)).await?;
        report(&format!("removed volume {} on node `{node}`", volume.name));
        removed += 1;
    }
    Ok(removed)
}

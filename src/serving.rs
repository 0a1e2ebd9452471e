//! Joining and leaving serving networks: a ready replica of a gated service takes its
//! service's names, one that is not ready gives them up ([`crate::plan::serving`] says
//! which networks and names; this module talks to the engine).
//!
//! `converge` joins replicas it waited for as soon as they are ready; the control plane
//! runs [`sweep`] about every second for the projects it keeps, which joins replicas that
//! became ready since, takes away the names of those whose probe or health check fails,
//! and puts every replica on the serving networks of the services it shares a network
//! with (a service added to a network later).
//!
//! A replica is not taken off its serving networks before a planned stop: leaving a
//! Docker network cuts the connections in flight over it (the address goes away and the
//! peer waits for an answer that cannot come). A stopping replica keeps its names until
//! it exits and finishes what it has (its SIGTERM is the drain), and callers that connect
//! meanwhile are refused and try another replica.

use futures_util::future::join_all;

use crate::engine::{ContainerSummary, Engine, EngineError, LabelFilter};
use crate::health::{serving_readiness, Readiness};
use crate::manifest::model::{Project, Service};
use crate::plan::serving::{caller_attachments, is_gated, own_attachments};
use crate::plan::{labels, ContainerState};

/// A replica that took or gave up its service's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub service: String,
    /// The container's name.
    pub replica: String,
    /// Joined (ready), or left (with why).
    pub joined: bool,
    pub why: String,
}

/// Gives a ready replica of `service` its names: joins the serving networks it is not on
/// yet. Returns whether it joined any.
pub async fn join(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    container_id: &str,
    attached: &[String],
) -> Result<bool, EngineError> {
    let mut joined = false;
    for attachment in own_attachments(project, service) {
        if attached.contains(&attachment.network_name) {
            continue;
        }
        engine.connect_network(container_id, &attachment).await?;
        joined = true;
    }
    Ok(joined)
}

/// Takes the names of `service` from a replica: leaves its serving networks. Returns
/// whether it was on any.
pub async fn leave(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    container_id: &str,
    attached: &[String],
) -> Result<bool, EngineError> {
    let mut left = false;
    for attachment in own_attachments(project, service) {
        if !attached.contains(&attachment.network_name) {
            continue;
        }
        match engine
            .disconnect_network(container_id, &attachment.network_name)
            .await
        {
            Ok(()) | Err(EngineError::NotFound { .. }) => left = true,
            Err(err) => return Err(err),
        }
    }
    Ok(left)
}

/// Joins a replica that is ready now, after checking it: what `converge` calls once it
/// saw the replica ready.
pub async fn join_if_ready(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    container_id: &str,
) -> Result<bool, EngineError> {
    if !is_gated(service) {
        return Ok(false);
    }
    let details = engine.inspect_container(container_id).await?;
    match serving_readiness(&details, service).await {
        Readiness::Ready => {
            join(
                engine,
                project,
                service,
                container_id,
                &details.summary.networks,
            )
            .await
        }
        _ => Ok(false),
    }
}

/// One pass over the running replicas of `project`: each joins or leaves its serving
/// networks by its readiness now, and joins the serving networks of the services it
/// calls. Replicas are checked concurrently; a replica that cannot be checked or changed
/// is skipped (the next pass tries again) and named in the errors.
pub async fn sweep(engine: &dyn Engine, project: &Project) -> (Vec<Change>, Vec<String>) {
    let containers = match engine
        .list_containers(&LabelFilter::project(&project.name))
        .await
    {
        Ok(containers) => containers,
        Err(err) => return (Vec::new(), vec![err.to_string()]),
    };
    let checks = containers.iter().filter_map(|container| {
        if container.state != ContainerState::Running
            || container.labels.contains_key(labels::ONEOFF)
            || !container.labels.contains_key(labels::REPLICA)
        {
            return None;
        }
        let service = project
            .services
            .get(container.labels.get(labels::SERVICE)?)?;
        Some(sweep_replica(engine, project, service, container))
    });
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for result in join_all(checks).await {
        match result {
            Ok(Some(change)) => changes.push(change),
            Ok(None) => {}
            Err(err) => errors.push(err),
        }
    }
    (changes, errors)
}

async fn sweep_replica(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    container: &ContainerSummary,
) -> Result<Option<Change>, String> {
    let failed = |err: EngineError| format!("replica `{}`: {err}", container.name);
    for attachment in caller_attachments(project, service) {
        if !container.networks.contains(&attachment.network_name) {
            match engine.connect_network(&container.id, &attachment).await {
                // Its network is made by the next `up` that selects its service.
                Ok(()) | Err(EngineError::NotFound { .. }) => {}
                Err(err) => return Err(failed(err)),
            }
        }
    }
    if !is_gated(service) {
        return Ok(None);
    }
    let details = engine
        .inspect_container(&container.id)
        .await
        .map_err(failed)?;
    let attached = &details.summary.networks;
    let change = |joined: bool, why: String| Change {
        service: service.name.clone(),
        replica: container.name.clone(),
        joined,
        why,
    };
    match serving_readiness(&details, service).await {
        Readiness::Ready | Readiness::Completed => {
            let joined = join(engine, project, service, &container.id, attached)
                .await
                .map_err(failed)?;
            Ok(joined.then(|| change(true, "ready".to_string())))
        }
        Readiness::Waiting(why) | Readiness::Failed(why) => {
            let left = leave(engine, project, service, &container.id, attached)
                .await
                .map_err(failed)?;
            Ok(left.then(|| change(false, why)))
        }
    }
}

//! The raw floor: what the Engine API does with no orchestrator in front of it. One
//! network, then every create+start call at once; removal the same way.

use std::collections::HashMap;

use anyhow::{Context, Result};
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, NetworkCreateRequest,
    NetworkingConfig,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::future::{join_all, try_join_all};

use crate::engine;
use crate::manifest::{healthcheck_test, ServiceSpec, HEALTH_RETRIES, HEALTH_TIMEOUT_NS, IMAGE};
use crate::tool::Deployment;

/// Creates the project network.
pub async fn create_network(docker: &Docker, deployment: &Deployment) -> Result<()> {
    let labels = HashMap::from([(
        deployment.labels().project.to_string(),
        deployment.project.clone(),
    )]);
    docker
        .create_network(NetworkCreateRequest {
            name: deployment.network(),
            driver: Some("bridge".into()),
            labels: Some(labels),
            ..Default::default()
        })
        .await
        .with_context(|| format!("cannot create the network {}", deployment.network()))?;
    Ok(())
}

/// Creates and starts replicas `replicas` of each service, all calls at once.
pub async fn create_and_start<'a>(
    docker: &Docker,
    deployment: &Deployment,
    replicas: impl IntoIterator<Item = (&'a ServiceSpec, u32)>,
) -> Result<()> {
    try_join_all(
        replicas
            .into_iter()
            .map(|(service, number)| create_and_start_one(docker, deployment, service, number)),
    )
    .await?;
    Ok(())
}

/// Every replica of `services`: `(service, 1..=replicas)`.
pub fn all_replicas(services: &[ServiceSpec]) -> impl Iterator<Item = (&ServiceSpec, u32)> {
    services
        .iter()
        .flat_map(|service| (1..=service.replicas).map(move |number| (service, number)))
}

async fn create_and_start_one(
    docker: &Docker,
    deployment: &Deployment,
    service: &ServiceSpec,
    number: u32,
) -> Result<()> {
    let name = format!("{}-{}-{number}", deployment.project, service.name);
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let created = docker
        .create_container(Some(options), container_body(deployment, service))
        .await
        .with_context(|| format!("cannot create {name}"))?;
    docker
        .start_container(&created.id, None)
        .await
        .with_context(|| format!("cannot start {name}"))?;
    Ok(())
}

fn container_body(deployment: &Deployment, service: &ServiceSpec) -> ContainerCreateBody {
    let keys = deployment.labels();
    let labels = HashMap::from([
        (keys.project.to_string(), deployment.project.clone()),
        (keys.service.to_string(), service.name.clone()),
    ]);
    let healthcheck = service.health_checked.then(|| HealthConfig {
        test: Some(healthcheck_test()),
        interval: Some(i64::from(service.health_interval_secs) * 1_000_000_000),
        timeout: Some(HEALTH_TIMEOUT_NS),
        retries: Some(HEALTH_RETRIES),
        start_period: Some(0),
        ..Default::default()
    });
    let endpoint = EndpointSettings {
        aliases: Some(vec![service.name.clone()]),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(IMAGE.to_string()),
        cmd: Some(service.command.clone()),
        labels: Some(labels),
        healthcheck,
        host_config: Some(HostConfig {
            init: Some(true),
            network_mode: Some(deployment.network()),
            ..Default::default()
        }),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(deployment.network(), endpoint)])),
        }),
        ..Default::default()
    }
}

/// Stops (SIGTERM, 10 s grace like Compose) and removes containers, all at once.
pub async fn stop_and_remove(docker: &Docker, ids: &[String]) -> Result<()> {
    let stop = StopContainerOptionsBuilder::default().t(10).build();
    let remove = RemoveContainerOptionsBuilder::default().build();
    let results = join_all(ids.iter().map(|id| {
        let (stop, remove) = (stop.clone(), remove.clone());
        async move {
            docker
                .stop_container(id, Some(stop))
                .await
                .with_context(|| format!("cannot stop {id}"))?;
            docker
                .remove_container(id, Some(remove))
                .await
                .with_context(|| format!("cannot remove {id}"))
        }
    }))
    .await;
    results.into_iter().collect()
}

/// The raw `down`: every container stopped and removed at once, then the network.
pub async fn down(docker: &Docker, deployment: &Deployment) -> Result<()> {
    let ids: Vec<String> = engine::containers(docker, deployment, None)
        .await?
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    stop_and_remove(docker, &ids).await?;
    docker
        .remove_network(&deployment.network())
        .await
        .with_context(|| format!("cannot remove the network {}", deployment.network()))
}

/// The raw `ps`: one list call filtered by the project label. Returns the rows.
pub async fn ps(docker: &Docker, deployment: &Deployment) -> Result<usize> {
    Ok(engine::containers(docker, deployment, None).await?.len())
}

/// The replicas numbered above `keep` of `service`, to scale back down after the scale run.
pub async fn replicas_above(
    docker: &Docker,
    deployment: &Deployment,
    service: &str,
    keep: u32,
) -> Result<Vec<String>> {
    let prefix = format!("{}-{service}-", deployment.project);
    Ok(engine::containers(docker, deployment, Some(service))
        .await?
        .into_iter()
        .filter(|c| {
            engine::name(c)
                .strip_prefix(&prefix)
                .and_then(|number| number.parse::<u32>().ok())
                .is_some_and(|number| number > keep)
        })
        .filter_map(|c| c.id)
        .collect())
}

//! Reading the engine to decide when a tool's work is done (all healthy, all lines
//! written) and cleaning up between runs. Always by the tool's own labels or names.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bollard::models::{ContainerSummary, ContainerSummaryStateEnum};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::future::join_all;
use futures_util::StreamExt;

use crate::tool::{Deployment, PROJECT_PREFIX};

/// How often health is polled: often enough to add little to a measurement, rarely enough
/// not to steal the engine's CPU on a 2-core machine.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The engine, with the API version negotiated (Engine 20.10 speaks API 1.41).
pub async fn connect() -> Result<Docker> {
    let address =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let docker = Docker::connect_with_defaults()
        .with_context(|| format!("cannot reach the Docker engine at {address}"))?;
    match tokio::time::timeout(Duration::from_secs(10), docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(error)) => Err(error).with_context(|| {
            format!("cannot reach the Docker engine at {address}\n\nhint: start it (systemctl start docker, or dockerd &)")
        }),
        Err(_) => bail!("the Docker engine at {address} did not answer within 10 s"),
    }
}

/// The engine's version line for the report, e.g. `20.10.24 (API 1.41)`.
pub async fn version(docker: &Docker) -> Result<String> {
    let version = docker
        .version()
        .await
        .context("cannot read the engine's version")?;
    Ok(format!(
        "{} (API {})",
        version.version.unwrap_or_else(|| "?".into()),
        version.api_version.unwrap_or_else(|| "?".into())
    ))
}

/// Every container of a project (of one service, if given), running or not.
pub async fn containers(
    docker: &Docker,
    deployment: &Deployment,
    service: Option<&str>,
) -> Result<Vec<ContainerSummary>> {
    let keys = deployment.labels();
    let mut labels = vec![format!("{}={}", keys.project, deployment.project)];
    if let Some(service) = service {
        labels.push(format!("{}={service}", keys.service));
    }
    let filters = HashMap::from([("label".to_string(), labels)]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    docker
        .list_containers(Some(options))
        .await
        .with_context(|| format!("cannot list the containers of {}", deployment.project))
}

pub fn name(container: &ContainerSummary) -> String {
    container
        .names
        .as_ref()
        .and_then(|names| names.first())
        .map(|name| name.trim_start_matches('/').to_string())
        .or_else(|| container.id.clone())
        .unwrap_or_else(|| "?".into())
}

fn is_running(container: &ContainerSummary) -> bool {
    container.state == Some(ContainerSummaryStateEnum::RUNNING)
}

fn status(container: &ContainerSummary) -> &str {
    container.status.as_deref().unwrap_or("")
}

/// Waits until exactly `expected` containers of the project (or service) run and Docker
/// reports them healthy; fails early when one exits or turns unhealthy.
pub async fn wait_healthy(
    docker: &Docker,
    deployment: &Deployment,
    service: Option<&str>,
    expected: usize,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let containers = containers(docker, deployment, service).await?;
        let healthy = containers
            .iter()
            .filter(|c| is_running(c) && status(c).contains("(healthy)"))
            .count();
        if let Some(broken) = containers.iter().find(|c| {
            (!is_running(c) && c.state != Some(ContainerSummaryStateEnum::CREATED))
                || status(c).contains("(unhealthy)")
        }) {
            bail!("{} is not healthy: {}", name(broken), status(broken));
        }
        if healthy == expected && containers.len() == expected {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "after {} s, {healthy} of {expected} expected containers of {} are healthy ({} exist)",
                timeout.as_secs(),
                service.unwrap_or(&deployment.project),
                containers.len()
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Checks that exactly `expected` containers of the project (or service) run, and returns
/// their ids sorted by name. Used after a tool said it was done.
pub async fn expect_running(
    docker: &Docker,
    deployment: &Deployment,
    service: Option<&str>,
    expected: usize,
) -> Result<Vec<String>> {
    let mut containers = containers(docker, deployment, service).await?;
    let running = containers.iter().filter(|c| is_running(c)).count();
    if running != expected || containers.len() != expected {
        let listing: Vec<String> = containers
            .iter()
            .map(|c| format!("{} ({})", name(c), status(c)))
            .collect();
        bail!(
            "expected {expected} running containers of {}, found {running} running of {}: {}",
            service.unwrap_or(&deployment.project),
            containers.len(),
            listing.join(", ")
        );
    }
    containers.sort_by_key(name);
    Ok(containers.into_iter().filter_map(|c| c.id).collect())
}

/// Checks that exactly `expected` containers of the project (or service) run and Docker
/// reports every one healthy: what `compose up --wait` promises when it returns.
pub async fn expect_healthy(
    docker: &Docker,
    deployment: &Deployment,
    service: Option<&str>,
    expected: usize,
) -> Result<()> {
    let containers = containers(docker, deployment, service).await?;
    let healthy = containers
        .iter()
        .filter(|c| is_running(c) && status(c).contains("(healthy)"))
        .count();
    if healthy != expected || containers.len() != expected {
        let listing: Vec<String> = containers
            .iter()
            .filter(|c| !(is_running(c) && status(c).contains("(healthy)")))
            .map(|c| format!("{} ({})", name(c), status(c)))
            .collect();
        bail!(
            "expected {expected} healthy containers of {}, found {healthy} healthy of {}; \
             not healthy: {}",
            service.unwrap_or(&deployment.project),
            containers.len(),
            if listing.is_empty() {
                "none".to_string()
            } else {
                listing.join(", ")
            }
        );
    }
    Ok(())
}

/// Container ids of the project, for checking that a no-op changed nothing.
pub async fn container_ids(docker: &Docker, deployment: &Deployment) -> Result<Vec<String>> {
    let mut ids: Vec<String> = containers(docker, deployment, None)
        .await?
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    ids.sort();
    Ok(ids)
}

/// Waits until every container's last log line is `last_line`: it printed all its lines.
pub async fn wait_logs_complete(
    docker: &Docker,
    ids: &[String],
    last_line: &str,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let lasts = join_all(ids.iter().map(|id| last_log_line(docker, id))).await;
        let mut pending = 0;
        for last in lasts {
            if last?.trim_end() != last_line {
                pending += 1;
            }
        }
        if pending == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "after {} s, {pending} of {} logger replicas have not printed `{last_line}` yet",
                timeout.as_secs(),
                ids.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn last_log_line(docker: &Docker, id: &str) -> Result<String> {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail("1")
        .build();
    let mut stream = docker.logs(id, Some(options));
    let mut last = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.with_context(|| format!("cannot read the logs of {id}"))?;
        last = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
    }
    Ok(last)
}

/// Removes whatever is left of a project (containers and networks whose names start with
/// the project name), by force: the state every run starts from. Returns what it removed.
pub async fn force_clean(docker: &Docker, deployment: &Deployment) -> Result<Vec<String>> {
    let (containers, networks) =
        remove_named(docker, &deployment.project, |name| deployment.owns(name)).await?;
    let mut removed = containers;
    for network in networks {
        remove_network(docker, &network).await?;
        removed.push(network);
    }
    Ok(removed)
}

/// Removes what earlier bench runs left (an interrupted run, a network the engine would
/// not release). A network that still cannot be removed is reported, not fatal: every
/// run uses new project names, so it is in nobody's way.
pub async fn clean_earlier_runs(docker: &Docker) -> Result<(Vec<String>, Vec<String>)> {
    let (mut removed, networks) = remove_named(docker, PROJECT_PREFIX, |name| {
        name.starts_with(PROJECT_PREFIX)
    })
    .await?;
    let mut stuck = Vec::new();
    for network in networks {
        match remove_network(docker, &network).await {
            Ok(()) => removed.push(network),
            Err(error) => stuck.push(format!("{error:#}")),
        }
    }
    Ok((removed, stuck))
}

/// Force-removes the containers whose names contain `pattern` and pass `owned`, and
/// returns their names with the names of the networks that pass `owned` (not removed yet).
async fn remove_named(
    docker: &Docker,
    pattern: &str,
    owned: impl Fn(&str) -> bool,
) -> Result<(Vec<String>, Vec<String>)> {
    let filters = HashMap::from([("name".to_string(), vec![pattern.to_string()])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let leftovers: Vec<ContainerSummary> = docker
        .list_containers(Some(options))
        .await
        .with_context(|| format!("cannot list containers named {pattern}*"))?
        .into_iter()
        .filter(|c| owned(&name(c)))
        .collect();
    let remove = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    for result in join_all(leftovers.iter().map(|c| async {
        let id = c.id.clone().unwrap_or_default();
        docker
            .remove_container(&id, Some(remove.clone()))
            .await
            .with_context(|| format!("cannot remove {}", name(c)))
    }))
    .await
    {
        result?;
    }
    let containers = leftovers.iter().map(name).collect();

    let options = ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .with_context(|| format!("cannot list networks named {pattern}*"))?
        .into_iter()
        .filter_map(|n| n.name)
        .filter(|n| owned(n))
        .collect();
    Ok((containers, networks))
}

/// Removes a network, retrying while the engine still counts endpoints of containers just
/// removed (Engine 20.10 releases them a moment after the container is gone).
async fn remove_network(docker: &Docker, network_name: &str) -> Result<()> {
    const ATTEMPTS: u32 = 6;
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        match docker.remove_network(network_name).await {
            Ok(()) => return Ok(()),
            Err(error) if attempt < ATTEMPTS && error.to_string().contains("active endpoints") => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot remove the network {network_name}"))
            }
        }
    }
}

/// Whether the project's network still exists (after a down it must not).
pub async fn network_exists(docker: &Docker, deployment: &Deployment) -> Result<bool> {
    let network = deployment.network();
    let filters = HashMap::from([("name".to_string(), vec![network.clone()])]);
    let options = ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .with_context(|| format!("cannot list networks named {network}"))?;
    Ok(networks
        .iter()
        .any(|n| n.name.as_deref() == Some(network.as_str())))
}

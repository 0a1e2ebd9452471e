//! Telling msctl's resolver which replicas serve: a ready replica of a gated service
//! takes its service's names, one that is not ready gives them up
//! ([`crate::serving::plan`] says which networks and names; `crate::resolver` answers
//! them; this module reads the engine and tells the resolver).
//!
//! `converge` publishes the replicas it waited for as soon as they are ready, and
//! withdraws a replica from the names before a planned stop, so that no new connection
//! goes to it while it drains; the control plane runs [`sweep`] about every second for
//! the projects it keeps, which sends the resolver the whole truth: replicas that became
//! ready since, and none whose probe or health check fails or that died.
//!
//! Nothing here attaches or detaches networks: a replica keeps every connection it has,
//! in and out, when it leaves its names.

pub mod keep;
pub mod plan;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use futures_util::future::join_all;

use crate::engine::{ContainerDetails, ContainerSummary, Engine, EngineError, LabelFilter};
use crate::health::{serving_readiness, Readiness};
use crate::manifest::model::{Project, Service};
use crate::plan::{labels, ContainerState};
use crate::resolver::client::{Client, ClientError};
use crate::resolver::container::{self as resolver, ResolverError};
use crate::resolver::table::{Claim, Entry, ProjectTable};
use crate::serving::plan::{resolved_networks, service_aliases, uses_resolver};

/// What a replica answers for on each network where the resolver holds its service's
/// names: those names, with its address there.
pub fn entries(project: &Project, service: &Service, details: &ContainerDetails) -> Vec<Entry> {
    resolved_networks(project, service)
        .into_iter()
        .filter_map(|network| {
            let address: Ipv4Addr = details.ip_addresses.get(&network.name)?.parse().ok()?;
            let gateway: Ipv4Addr = details.gateways.get(&network.name)?.parse().ok()?;
            Some(Entry {
                gateway,
                names: service_aliases(project, service, &network.network_key),
                address,
            })
        })
        .collect()
}

fn resolver_failed(err: impl std::fmt::Display) -> EngineError {
    EngineError::Other {
        operation: "msctl resolver".to_string(),
        message: err.to_string(),
    }
}

/// Whether a failed call means the resolver this process knew is gone (removed,
/// replaced with another address or token, or retired by the last project's `down`), so
/// that it is looked up again.
fn gone(err: &ClientError) -> bool {
    matches!(
        err,
        ClientError::Unreachable { .. } | ClientError::Timeout(_)
    ) || matches!(err, ClientError::Status { status, .. } if *status == 401)
        || err.is_retired()
}

/// Runs `call` against the resolver (started when `start` and none runs), once more
/// against a fresh one when the one known did not answer. `Ok(None)`: none runs and
/// none was to be started.
async fn with_resolver<T, F, Fut>(
    engine: &dyn Engine,
    start: bool,
    call: F,
) -> Result<Option<T>, EngineError>
where
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, ClientError>>,
{
    let mut last = None;
    for _ in 0..2 {
        let client = if start {
            Some(resolver::ensure(engine).await.map_err(into_engine_error)?)
        } else {
            resolver::running(engine).await.map_err(into_engine_error)?
        };
        let Some(client) = client else {
            return Ok(None);
        };
        match call(client).await {
            Ok(value) => return Ok(Some(value)),
            Err(err) if gone(&err) => {
                resolver::forget_known();
                last = Some(err);
            }
            Err(err) => return Err(resolver_failed(err)),
        }
    }
    Err(resolver_failed(
        last.map(|e| e.to_string()).unwrap_or_default(),
    ))
}

fn into_engine_error(err: ResolverError) -> EngineError {
    match err {
        ResolverError::Engine(err) => err,
        other => {
            let hint = other
                .hint()
                .map(|h| format!(" (hint: {h})"))
                .unwrap_or_default();
            resolver_failed(format!("{other}{hint}"))
        }
    }
}

/// Makes sure the resolver runs when `project` has names it holds, and gives the project
/// its networks' gateways there (`Tables::claim`): `up` calls it once the networks exist
/// and before it creates replicas, whose first lookups go there. `created`: the networks
/// this `up` just made, where no earlier entry of the project can be right either.
pub async fn prepare(
    engine: &dyn Engine,
    project: &Project,
    created: &std::collections::BTreeSet<String>,
) -> Result<(), EngineError> {
    if !uses_resolver(project) {
        return Ok(());
    }
    let resolved: std::collections::BTreeSet<String> = project
        .services
        .values()
        .flat_map(|service| resolved_networks(project, service))
        .map(|network| network.name)
        .collect();
    let claims: Vec<Claim> = engine
        .list_networks(&LabelFilter::project(&project.name))
        .await?
        .into_iter()
        .filter(|network| resolved.contains(&network.name))
        .filter_map(|network| {
            Some(Claim {
                gateway: network.gateway?,
                fresh: created.contains(&network.name),
            })
        })
        .collect();
    let name = project.name.as_str();
    with_resolver(engine, true, |client| {
        let claims = claims.clone();
        async move { client.claim(name, &claims).await }
    })
    .await?;
    Ok(())
}

/// Gives a replica that is ready now its service's names, after checking it: what
/// `converge` calls once it saw the replica ready. Returns whether it took them now
/// (`false`: not ready, nothing to take, or it had them already).
pub async fn publish_if_ready(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    container_id: &str,
) -> Result<bool, EngineError> {
    if resolved_networks(project, service).is_empty() {
        return Ok(false);
    }
    let details = engine.inspect_container(container_id).await?;
    if !matches!(serving_readiness(&details, service).await, Readiness::Ready) {
        return Ok(false);
    }
    publish(engine, project, service, &details).await
}

/// Gives a replica its service's names, as `details` (an inspection that found it ready
/// just now) says where it answers; `true` when that changed the resolver's table.
pub async fn publish(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
    details: &ContainerDetails,
) -> Result<bool, EngineError> {
    if resolved_networks(project, service).is_empty() {
        return Ok(false);
    }
    let container_id = details.summary.id.as_str();
    let entries = entries(project, service, details);
    if entries.is_empty() {
        return Ok(false);
    }
    let project_name = project.name.as_str();
    let changed = with_resolver(engine, true, |client| {
        let entries = entries.clone();
        async move {
            client
                .set_replica(project_name, container_id, &entries)
                .await
        }
    })
    .await?;
    Ok(changed == Some(true))
}

/// The replicas the resolver serves for `project` now, by container id, with where each
/// answers; empty when the project uses no resolver, none runs, or it cannot be asked
/// (then every replica is checked in full).
pub async fn served(engine: &dyn Engine, project: &Project) -> BTreeMap<String, Vec<Entry>> {
    if !uses_resolver(project) {
        return BTreeMap::new();
    }
    let name = project.name.as_str();
    match with_resolver(
        engine,
        false,
        |client| async move { client.project(name).await },
    )
    .await
    {
        Ok(Some(table)) => table.replicas,
        _ => BTreeMap::new(),
    }
}

/// Takes a replica out of its service's names before it is stopped: new connections go
/// to the other replicas, and it finishes those it has. A resolver that does not run
/// holds no names; one that cannot be told is a warning for the caller.
pub async fn withdraw(
    engine: &dyn Engine,
    project_name: &str,
    container_id: &str,
) -> Result<(), EngineError> {
    with_resolver(engine, false, |client| async move {
        client.remove_replica(project_name, container_id).await
    })
    .await?;
    Ok(())
}

/// How long a replica behind the ingress drains before it is stopped: the control plane
/// refreshes the ingress's ready replicas every second (`MSCTL_READINESS_INTERVAL`), and
/// then sends it no new connection; those it has finish as it stops.
pub const INGRESS_DRAIN: std::time::Duration = std::time::Duration::from_millis(1500);

/// Prepares a planned stop of a replica of `service`: it leaves its names (the resolver)
/// and, when the service has ingress ports, is renamed as draining and given
/// [`INGRESS_DRAIN`] to take no new connection before it stops. What cannot be done is
/// a warning for the caller; the stop goes on.
pub async fn drain(
    engine: &dyn Engine,
    project_name: &str,
    service: Option<&Service>,
    container_id: &str,
    container_name: &str,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Err(err) = withdraw(engine, project_name, container_id).await {
        warnings.push(format!("{container_name}: {err}"));
    }
    let behind_ingress =
        service.is_some_and(|service| !crate::ingress::plan::ingress_ports(service).is_empty());
    if behind_ingress && !crate::plan::names::is_draining(container_name) {
        let draining = crate::plan::names::draining_name(container_name);
        match engine.rename_container(container_id, &draining).await {
            Ok(()) => tokio::time::sleep(INGRESS_DRAIN).await,
            Err(err) => warnings.push(format!("{container_name}: cannot mark it draining: {err}")),
        }
    }
    warnings
}

/// Forgets `project` in the resolver (`down`), and removes the resolver when it serves
/// no project any more.
pub async fn forget(engine: &dyn Engine, project_name: &str) -> Result<(), EngineError> {
    let answer = with_resolver(engine, false, |client| async move {
        let remaining = client.remove_project(project_name).await?;
        Ok((remaining, client))
    })
    .await?;
    // The last project: the resolver retired as it answered, and no other msctl can
    // register with it any more, so its container goes.
    if let Some((0, client)) = answer {
        resolver::remove_resolver(engine, &client)
            .await
            .map_err(into_engine_error)?;
    }
    Ok(())
}

/// A replica whose names were given or taken by a [`sweep`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serving {
    pub service: String,
    /// The container's name.
    pub replica: String,
}

/// What one [`sweep`] found and changed: the replicas that serve now (by container id),
/// those that took their names in this pass, those that gave them up (with why), and the
/// replicas it could not check.
#[derive(Debug, Default)]
pub struct Swept {
    pub serving: BTreeMap<String, Serving>,
    pub joined: Vec<Serving>,
    pub left: Vec<(Serving, String)>,
    pub errors: Vec<String>,
}

/// One pass over the running replicas of `project`: checks each gated one's readiness
/// now (concurrently) and sends the resolver the project's whole table. A replica that
/// cannot be checked is left out of it (its names go until the next pass) and named in
/// the errors.
pub async fn sweep(engine: &dyn Engine, project: &Project) -> Swept {
    let mut swept = Swept::default();
    if !uses_resolver(project) {
        return swept;
    }
    let containers = match engine
        .list_containers(&LabelFilter::project(&project.name))
        .await
    {
        Ok(containers) => containers,
        Err(err) => {
            swept.errors.push(err.to_string());
            return swept;
        }
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
        if resolved_networks(project, service).is_empty() {
            return None;
        }
        Some(check(engine, project, service, container))
    });
    let mut table = ProjectTable::default();
    let mut not_ready: BTreeMap<String, (Serving, String)> = BTreeMap::new();
    for (container, service, result) in join_all(checks).await {
        let who = Serving {
            service: service.name.clone(),
            replica: container.name.clone(),
        };
        match result {
            Ok(Ok(entries)) => {
                table.replicas.insert(container.id.clone(), entries);
                swept.serving.insert(container.id.clone(), who);
            }
            Ok(Err(why)) => {
                not_ready.insert(container.id.clone(), (who, why));
            }
            Err(err) => swept
                .errors
                .push(format!("replica `{}`: {err}", container.name)),
        }
    }
    let names: BTreeMap<&str, &ContainerSummary> = containers
        .iter()
        .map(|container| (container.id.as_str(), container))
        .collect();
    let name = project.name.as_str();
    // What the resolver held before this pass (`up` publishes too): the changes are
    // against it, whoever made it.
    let told = with_resolver(engine, true, |client| {
        let table = table.clone();
        async move {
            let before = client.project(name).await?;
            client.set_project(name, &table).await?;
            Ok(before)
        }
    })
    .await;
    match told {
        Ok(before) => {
            let before = before.unwrap_or_default();
            for (id, who) in &swept.serving {
                if !before.replicas.contains_key(id) {
                    swept.joined.push(who.clone());
                }
            }
            for id in before.replicas.keys() {
                if swept.serving.contains_key(id) {
                    continue;
                }
                let left = match (not_ready.remove(id), names.get(id.as_str())) {
                    (Some(left), _) => left,
                    (None, Some(container)) => (
                        Serving {
                            service: container
                                .labels
                                .get(labels::SERVICE)
                                .cloned()
                                .unwrap_or_default(),
                            replica: container.name.clone(),
                        },
                        "it is not running".to_string(),
                    ),
                    (None, None) => (
                        Serving {
                            service: String::new(),
                            replica: id.chars().take(12).collect(),
                        },
                        "it is gone".to_string(),
                    ),
                };
                swept.left.push(left);
            }
        }
        Err(err) => {
            swept.errors.push(err.to_string());
            swept.serving.clear();
        }
    }
    swept
}

type Checked<'a> = (
    &'a ContainerSummary,
    &'a Service,
    Result<Result<Vec<Entry>, String>, EngineError>,
);

async fn check<'a>(
    engine: &dyn Engine,
    project: &Project,
    service: &'a Service,
    container: &'a ContainerSummary,
) -> Checked<'a> {
    let result = match engine.inspect_container(&container.id).await {
        Ok(details) => Ok(match serving_readiness(&details, service).await {
            Readiness::Ready | Readiness::Completed => Ok(entries(project, service, &details)),
            Readiness::Waiting(why) | Readiness::Failed(why) => Err(why),
        }),
        Err(err) => Err(err),
    };
    (container, service, result)
}

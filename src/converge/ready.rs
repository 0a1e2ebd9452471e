//! The replicas a converge selected, and waiting for them to be ready (and to take their
//! service's names) before it returns or a dependant goes on.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::{Event, Reporter};
use crate::engine::{ContainerDetails, ContainerSummary, Engine, EngineError, LabelFilter};
use crate::health::{served_ready, wait_ready, ReadyError, ReplicaRef};
use crate::manifest::model::{Project, Service};
use crate::plan::labels;

/// The replicas of the given services as the engine has them now, by replica number.
pub async fn replicas_of(
    engine: &dyn Engine,
    project: &Project,
    services: &BTreeSet<String>,
) -> Result<Vec<ReplicaRef>, EngineError> {
    let containers = engine
        .list_containers(&LabelFilter::project(&project.name))
        .await?;
    Ok(replicas_in(&containers, services))
}

/// The replicas of `services` among a listing of the project, by service and number.
pub(super) fn replicas_in(
    containers: &[ContainerSummary],
    services: &BTreeSet<String>,
) -> Vec<ReplicaRef> {
    let mut out: Vec<ReplicaRef> = containers
        .iter()
        .filter(|c| c.labels.get(labels::ONEOFF).map(String::as_str) != Some("true"))
        .filter_map(|c| {
            let service_name = c.labels.get(labels::SERVICE)?.clone();
            if !services.contains(&service_name) {
                return None;
            }
            let replica_number = c.labels.get(labels::REPLICA)?.parse().ok()?;
            Some(ReplicaRef {
                service_name,
                replica_number,
                container_id: c.id.clone(),
                container_name: c.name.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.service_name, a.replica_number).cmp(&(&b.service_name, b.replica_number))
    });
    out
}

/// How recent a readiness check must be for its inspection to publish the replica;
/// an older one is checked again first.
const FRESH_CHECK: Duration = Duration::from_secs(1);

/// Reports ready, and leaves out of what is returned, the replicas the resolver serves
/// already: they passed a full check (the control plane's pass, or the `up` that
/// published them), so the listing and their probe say whether they still are, without
/// an inspection each (a no-op `up` of 100 services makes no per-replica engine call).
/// The rest are to be checked in full.
async fn settle_served<'p>(
    project: &Project,
    watched: &[(ReplicaRef, &'p Service, bool)],
    listed: &[ContainerSummary],
    engine: &dyn Engine,
    started: Instant,
    reporter: &dyn Reporter,
) -> Vec<(ReplicaRef, &'p Service, bool)> {
    let served = crate::serving::served(engine, project).await;
    let by_id: BTreeMap<&str, &ContainerSummary> =
        listed.iter().map(|c| (c.id.as_str(), c)).collect();
    let quick = watched.iter().map(|(replica, service, one_shot)| {
        let summary = by_id.get(replica.container_id.as_str()).copied();
        let address = served
            .get(&replica.container_id)
            .and_then(|entries| entries.first())
            .map(|entry| std::net::IpAddr::V4(entry.address));
        async move {
            match (summary, address, *one_shot) {
                (Some(summary), Some(address), false) => {
                    served_ready(summary, service, address).await
                }
                _ => false,
            }
        }
    });
    let quick = futures_util::future::join_all(quick).await;
    let mut rest = Vec::new();
    for (watch, ready) in watched.iter().zip(quick) {
        if ready {
            reporter.event(Event::Ready {
                replica: watch.0.label(),
                after: started.elapsed(),
            });
        } else {
            rest.push(watch.clone());
        }
    }
    rest
}

pub(super) async fn wait_for(
    engine: &dyn Engine,
    project: &Project,
    replicas: &[ReplicaRef],
    listed: &[ContainerSummary],
    one_shot: &BTreeSet<String>,
    timeout: Duration,
    reporter: &dyn Reporter,
) -> Result<(), ReadyError> {
    let started = Instant::now();
    let watched: Vec<(ReplicaRef, &Service, bool)> = replicas
        .iter()
        .filter_map(|r| {
            let service = project.services.get(&r.service_name)?;
            Some((r.clone(), service, one_shot.contains(&r.service_name)))
        })
        .collect();
    let rest = settle_served(project, &watched, listed, engine, started, reporter).await;
    let mut found: Vec<(ReplicaRef, Instant, ContainerDetails)> = Vec::new();
    let remaining = timeout.saturating_sub(started.elapsed());
    wait_ready(engine, &rest, remaining, |replica, _, details| {
        reporter.event(Event::Ready {
            replica: replica.label(),
            after: started.elapsed(),
        });
        found.push((replica.clone(), Instant::now(), details));
    })
    .await?;
    // Ready: they take their service's names now, before anything that waited for them
    // goes on (the control plane would, within a second, but a dependant may look the
    // name up at once). A check older than a moment is made again.
    let joins = found.iter().filter_map(|(replica, at, details)| {
        let service = project.services.get(&replica.service_name)?;
        Some(async move {
            let joined = if at.elapsed() < FRESH_CHECK {
                crate::serving::publish(engine, project, service, details).await?
            } else {
                let id = &replica.container_id;
                crate::serving::publish_if_ready(engine, project, service, id).await?
            };
            Ok::<_, crate::engine::EngineError>(joined.then_some(replica))
        })
    });
    for joined in futures_util::future::join_all(joins).await {
        if let Some(replica) = joined? {
            reporter.event(Event::Serving {
                service: replica.service_name.clone(),
                replica: replica.container_name.clone(),
            });
        }
    }
    Ok(())
}

//! Waiting for replicas to be ready, with a deadline.

use std::time::{Duration, Instant};

use std::net::IpAddr;

use crate::engine::{ContainerDetails, ContainerSummary, Engine, EngineError};
use crate::manifest::model::Service;
use crate::plan::{ContainerState, Health};

use super::probe::probe;

/// One replica to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaRef {
    pub service_name: String,
    pub replica_number: u32,
    pub container_id: String,
    pub container_name: String,
}

impl ReplicaRef {
    /// `web-2`: how progress lines and errors name a replica.
    pub fn label(&self) -> String {
        format!("{}-{}", self.service_name, self.replica_number)
    }
}

/// Where a replica stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not yet; why, for the user.
    Waiting(String),
    /// It will not become ready by itself: exited, dead, unhealthy.
    Failed(String),
    /// A one-shot replica that finished with exit code 0.
    Completed,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// The caller adds the replica's last health-check output and log lines when it
    /// reports this (see `session::explain`).
    #[error("replica `{}` of service `{}` failed: {reason}", replica.label(), replica.service_name)]
    Failed { replica: ReplicaRef, reason: String },
    #[error("timed out after {waited:?} waiting for {}", describe_waiting(.waiting))]
    Timeout {
        waited: Duration,
        waiting: Vec<(ReplicaRef, String)>,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn describe_waiting(waiting: &[(ReplicaRef, String)]) -> String {
    waiting
        .iter()
        .map(|(r, why)| format!("`{}` ({why})", r.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check once where a replica stands. `one_shot` replicas are expected to exit 0.
pub async fn check_replica<E: Engine + ?Sized>(
    engine: &E,
    service: &Service,
    replica: &ReplicaRef,
    one_shot: bool,
) -> Result<Readiness, EngineError> {
    Ok(inspect_and_check(engine, service, replica, one_shot)
        .await?
        .0)
}

async fn inspect_and_check<E: Engine + ?Sized>(
    engine: &E,
    service: &Service,
    replica: &ReplicaRef,
    one_shot: bool,
) -> Result<(Readiness, ContainerDetails), EngineError> {
    let details = engine.inspect_container(&replica.container_id).await?;
    let readiness = readiness(&details, service, one_shot).await;
    Ok((readiness, details))
}

/// Whether a replica the resolver serves already is ready now, from a listing of it and
/// no inspection: running, not unhealthy or starting by Docker's health, and answering
/// its probe (if any) at `address`. A replica is served only once a check with the
/// inspection (the control plane's pass, or the `up` that published it) found it ready;
/// `false` here leaves the decision to [`check_replica`].
pub async fn served_ready(summary: &ContainerSummary, service: &Service, address: IpAddr) -> bool {
    if summary.state != ContainerState::Running
        || matches!(summary.health, Health::Starting | Health::Unhealthy)
    {
        return false;
    }
    match &service.extensions.probe {
        Some(p) => probe(&p.check, address, p.timeout).await.is_ok(),
        None => true,
    }
}

async fn readiness(details: &ContainerDetails, service: &Service, one_shot: bool) -> Readiness {
    let summary = &details.summary;
    match summary.state {
        ContainerState::Exited { code } if one_shot && code == 0 => return Readiness::Completed,
        ContainerState::Exited { code } => {
            return Readiness::Failed(format!("exited with code {code}"));
        }
        ContainerState::Dead => return Readiness::Failed("dead".to_string()),
        ContainerState::Created => return Readiness::Waiting("created, not started".to_string()),
        ContainerState::Restarting => return Readiness::Waiting("restarting".to_string()),
        ContainerState::Paused => return Readiness::Waiting("paused".to_string()),
        ContainerState::Running => {}
    }
    if one_shot {
        return Readiness::Waiting("still running".to_string());
    }
    if summary.health == Health::Unhealthy {
        return Readiness::Failed("unhealthy".to_string());
    }
    // Docker calls it unhealthy only after `retries` failures in a row; one is enough
    // not to count it ready (a readiness check, not a liveness one), whatever a probe
    // says. Failures during `start_period` are not counted in the streak.
    if details.failing_streak > 0 {
        return Readiness::Waiting(format!(
            "health check failing ({} in a row)",
            details.failing_streak
        ));
    }
    if let Some(p) = &service.extensions.probe {
        let Some(ip) = details
            .ip_addresses
            .values()
            .find_map(|ip| ip.parse::<std::net::IpAddr>().ok())
        else {
            return Readiness::Waiting("no network address yet".to_string());
        };
        return match probe(&p.check, ip, p.timeout).await {
            Ok(()) => Readiness::Ready,
            Err(why) => Readiness::Waiting(format!("probe: {why}")),
        };
    }
    match summary.health {
        Health::Starting => Readiness::Waiting("health: starting".to_string()),
        _ => Readiness::Ready,
    }
}

/// Whether a running replica should carry its service's names now: the readiness of
/// [`check_replica`], for a container already inspected.
pub async fn serving_readiness(details: &ContainerDetails, service: &Service) -> Readiness {
    readiness(details, service, false).await
}

/// Wait until every replica is ready (or completed, for one-shot ones), failing as soon as
/// one fails. `on_ready` is called once per replica as it becomes ready, with the
/// inspection that found it so (callers publish from it rather than inspect again).
pub async fn wait_ready<E: Engine + ?Sized>(
    engine: &E,
    replicas: &[(ReplicaRef, &Service, bool)],
    timeout: Duration,
    mut on_ready: impl FnMut(&ReplicaRef, Duration, ContainerDetails),
) -> Result<(), ReadyError> {
    let started = Instant::now();
    let mut pending: Vec<usize> = (0..replicas.len()).collect();
    let mut reasons: Vec<String> = vec![String::new(); replicas.len()];
    loop {
        let checks = pending.iter().map(|&i| {
            let (replica, service, one_shot) = &replicas[i];
            async move {
                (
                    i,
                    inspect_and_check(engine, service, replica, *one_shot).await,
                )
            }
        });
        let results = futures_util::future::join_all(checks).await;
        let mut still = Vec::new();
        for (i, result) in results {
            let (readiness, details) = result?;
            match readiness {
                Readiness::Ready | Readiness::Completed => {
                    on_ready(&replicas[i].0, started.elapsed(), details)
                }
                Readiness::Waiting(why) => {
                    reasons[i] = why;
                    still.push(i);
                }
                Readiness::Failed(reason) => {
                    return Err(ReadyError::Failed {
                        replica: replicas[i].0.clone(),
                        reason,
                    })
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            return Err(ReadyError::Timeout {
                waited: timeout,
                waiting: pending
                    .iter()
                    .map(|&i| (replicas[i].0.clone(), reasons[i].clone()))
                    .collect(),
            });
        }
        // Probes run at their own sub-second cadence; Docker health is polled as often.
        let cadence = pending
            .iter()
            .filter_map(|&i| replicas[i].1.extensions.probe.as_ref().map(|p| p.interval))
            .min()
            .unwrap_or(Duration::from_millis(100))
            .clamp(Duration::from_millis(20), Duration::from_secs(1));
        tokio::time::sleep(cadence).await;
    }
}

//! The ready replicas of a service that the ingress sends connections to, in round-robin
//! order, refreshed from the engine about every second.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;

use super::plan as ingress;
use crate::engine::{Engine, EngineError, LabelFilter};
use crate::health::{serving_readiness, Readiness};
use crate::manifest::model::{Project, Service};
use crate::plan::{labels, names, ContainerState};

/// One ready replica, at the address the host reaches it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// The container's name, for logs.
    pub replica: String,
    /// Its IP address on a network that is not internal.
    pub ip: IpAddr,
}

/// The ready replicas of one service, shared by its listeners and the refresh.
#[derive(Debug, Default, Clone)]
pub struct Backends {
    inner: Arc<Mutex<Rotation>>,
}

#[derive(Debug, Default)]
struct Rotation {
    ready: Vec<Backend>,
    /// The index the next connection starts from.
    next: usize,
}

impl Backends {
    /// Replace the ready set with what the engine says now.
    pub fn set(&self, ready: Vec<Backend>) {
        let mut rotation = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        rotation.ready = ready;
        if rotation.next >= rotation.ready.len() {
            rotation.next = 0;
        }
    }

    /// The ready replicas in the order a new connection tries them: starting one after
    /// where the previous connection started (round robin), then the others, so a failed
    /// connect moves on to the next ready replica.
    pub fn order(&self, port: u16) -> Vec<(Backend, SocketAddr)> {
        let mut rotation = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let count = rotation.ready.len();
        if count == 0 {
            return Vec::new();
        }
        let start = rotation.next % count;
        rotation.next = (start + 1) % count;
        (0..count)
            .map(|i| {
                let backend = rotation.ready[(start + i) % count].clone();
                let address = SocketAddr::new(backend.ip, port);
                (backend, address)
            })
            .collect()
    }

    /// Stop sending to a replica whose connect failed, until the next refresh says it
    /// is ready again.
    pub fn drop_replica(&self, replica: &str) {
        let mut rotation = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        rotation.ready.retain(|b| b.replica != replica);
        if rotation.next >= rotation.ready.len() {
            rotation.next = 0;
        }
    }

    /// How many replicas are ready now.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ready
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The ready replicas of `service` now: its running replicas (one-off containers left
/// out) whose [`serving_readiness`] is `Ready`, each at its address on the first of the
/// service's networks the host can reach. Sorted by name, so the rotation is stable
/// across refreshes.
pub async fn ready_replicas(
    engine: &dyn Engine,
    project: &Project,
    service: &Service,
) -> Result<Vec<Backend>, EngineError> {
    let networks = ingress::reachable_networks(project, service);
    let filter = LabelFilter::project(&project.name).with(labels::SERVICE, Some(&service.name));
    let containers = engine.list_containers(&filter).await?;
    let running = containers.iter().filter(|c| {
        c.state == ContainerState::Running
            && !c.labels.contains_key(labels::ONEOFF)
            && c.labels.contains_key(labels::REPLICA)
            && c.labels.get(labels::SERVICE) == Some(&service.name)
            // Draining before a planned stop: no new connection goes to it.
            && !names::is_draining(&c.name)
    });
    let checks = running.map(|container| {
        let networks = &networks;
        async move {
            // A replica gone between list and inspect is simply not ready.
            let details = engine.inspect_container(&container.id).await.ok()?;
            if serving_readiness(&details, service).await != Readiness::Ready {
                return None;
            }
            let ip = networks.iter().find_map(|network| {
                details
                    .ip_addresses
                    .get(network)
                    .and_then(|ip| ip.parse::<IpAddr>().ok())
            })?;
            Some(Backend {
                replica: container.name.clone(),
                ip,
            })
        }
    });
    let mut ready: Vec<Backend> = join_all(checks).await.into_iter().flatten().collect();
    ready.sort_by(|a, b| a.replica.cmp(&b.replica));
    Ok(ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(name: &str, last: u8) -> Backend {
        Backend {
            replica: name.to_string(),
            ip: IpAddr::from([10, 0, 0, last]),
        }
    }

    fn firsts(backends: &Backends, times: usize) -> Vec<String> {
        (0..times)
            .map(|_| backends.order(80)[0].0.replica.clone())
            .collect()
    }

    #[test]
    fn connections_take_the_ready_replicas_in_turn() {
        let backends = Backends::default();
        backends.set(vec![backend("a", 1), backend("b", 2), backend("c", 3)]);
        assert_eq!(firsts(&backends, 4), ["a", "b", "c", "a"]);
        let order: Vec<String> = backends
            .order(8080)
            .into_iter()
            .map(|(_, address)| address.to_string())
            .collect();
        assert_eq!(
            order,
            ["10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.1:8080"],
            "the others follow, for a failed connect to move on"
        );
    }

    #[test]
    fn a_dropped_replica_gets_no_connection_until_the_next_refresh() {
        let backends = Backends::default();
        backends.set(vec![backend("a", 1), backend("b", 2)]);
        backends.drop_replica("a");
        assert_eq!(firsts(&backends, 3), ["b", "b", "b"]);
        backends.set(vec![backend("a", 1), backend("b", 2)]);
        assert_eq!(backends.len(), 2);
    }

    #[test]
    fn no_ready_replica_means_no_order() {
        let backends = Backends::default();
        assert!(backends.order(80).is_empty());
        assert!(backends.is_empty());
    }
}

//! The ingress: msctl's own TCP listener in front of a replicated service's published
//! port.
//!
//! Docker binds a published port on one container, so a service with several replicas
//! cannot publish one host port through Docker. For the ports
//! [`crate::ingress::plan`] picks, the control plane listens on `host_ip:published`
//! itself and relays each connection to one ready replica of the service, at its
//! address on a network the host can reach (not an internal one), round robin. A
//! connect that fails within [`CONNECT_TIMEOUT`] moves on to the next ready replica and
//! drops the one that failed until the next refresh of the ready set (about every
//! second, by the control plane).
//!
//! This module talks to the engine only through [`crate::engine::Engine`]; the control
//! plane decides when it runs (`keep.rs`).

pub mod backends;
pub mod keep;
pub mod plan;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use backends::{ready_replicas, Backend, Backends};

use crate::manifest::model::Project;

/// How long a connect to one replica may take before the next one is tried. Replicas
/// are on a local bridge: a healthy one answers in well under a millisecond, a dead
/// one's address does not answer at all.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The most connections the ingress relays at once, all ports together: each takes two
/// file descriptors, and a flood must not leave the control plane without any.
pub const MAX_CONNECTIONS: usize = 4096;

/// File descriptors kept for everything else the control plane does (its state store,
/// the engine's socket, its API, listeners).
const RESERVED_DESCRIPTORS: u64 = 256;

/// One port the ingress listens on for a service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// `host_ip:published`, `[::1]:8080` for IPv6.
    pub address: String,
    pub service: String,
    /// The container port connections go to.
    pub target: u16,
}

/// The ports of `project` that go through the ingress, with what they lead to.
/// Services with no network the host can reach are left out: `up` refuses them.
pub fn routes(project: &Project) -> Vec<Route> {
    let mut routes: Vec<Route> = project
        .services
        .values()
        .filter(|service| !plan::reachable_networks(project, service).is_empty())
        .flat_map(|service| {
            plan::ingress_ports(service)
                .into_iter()
                .map(move |port| Route {
                    address: plan::listen_address(port),
                    service: service.name.clone(),
                    target: port.target,
                })
        })
        .collect();
    routes.sort();
    routes
}

/// How many connections this process can relay at once: [`MAX_CONNECTIONS`], or fewer
/// when its file descriptor limit is lower (after raising the soft limit to the hard
/// one, as far as it goes).
pub fn connection_limit() -> usize {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = getrlimit(Resource::Nofile);
        }
    }
    match limit.current {
        // Unlimited.
        None => MAX_CONNECTIONS,
        Some(descriptors) => {
            let spare = descriptors.saturating_sub(RESERVED_DESCRIPTORS) / 2;
            (spare as usize).clamp(16, MAX_CONNECTIONS)
        }
    }
}

/// Binds `address` (`ip:port`) for the ingress.
pub async fn bind(address: &str) -> std::io::Result<TcpListener> {
    TcpListener::bind(address).await
}

/// Accepts connections on `listener` and relays each to a ready replica of `backends`
/// at `target`, holding one permit of `limit` per connection. Runs until its task is
/// aborted; the connections in flight end with it (their tasks belong to it).
pub async fn serve(listener: TcpListener, backends: Backends, target: u16, limit: Arc<Semaphore>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        // Waiting for a permit before accepting leaves a flood in the kernel's backlog
        // (and then refused) instead of taking a descriptor per connection.
        let Ok(permit) = limit.clone().acquire_owned().await else {
            return;
        };
        let (client, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of descriptors, or a connection reset before it was accepted: the
                // listener itself is fine; pause so a shortage does not spin.
                tracing::debug!(%err, "ingress: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let backends = backends.clone();
        connections.spawn(async move {
            if let Err(why) = relay(client, &backends, target).await {
                tracing::debug!(%peer, why, "ingress: connection not relayed");
            }
            drop(permit);
        });
    }
}

/// Connects `client` to the first ready replica that answers, in round-robin order,
/// then copies bytes both ways until either side closes.
async fn relay(mut client: TcpStream, backends: &Backends, target: u16) -> Result<(), String> {
    let order = backends.order(target);
    if order.is_empty() {
        return Err("no replica is ready".to_string());
    }
    for (backend, address) in order {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(mut upstream)) => {
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                // Either side resetting ends the relay; there is nobody to tell.
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                return Ok(());
            }
            Ok(Err(err)) => {
                tracing::debug!(replica = backend.replica, %err, "ingress: connect failed");
                backends.drop_replica(&backend.replica);
            }
            Err(_) => {
                tracing::debug!(replica = backend.replica, "ingress: connect timed out");
                backends.drop_replica(&backend.replica);
            }
        }
    }
    Err("no ready replica accepted the connection".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::model::{Network, Port, Protocol, Service, ServiceNetwork};
    use std::collections::BTreeMap;
    use std::net::IpAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn routes_are_the_ingress_ports_of_services_the_host_can_reach() {
        let service = |name: &str, network: &str| {
            let mut service = Service {
                name: name.to_string(),
                ports: vec![Port {
                    target: 80,
                    published: Some(if name == "web" { 8080 } else { 9090 }),
                    host_ip: None,
                    protocol: Protocol::Tcp,
                    mode: None,
                }],
                ..Service::default()
            };
            service.deploy.replicas = 3;
            service
                .networks
                .insert(network.to_string(), ServiceNetwork::default());
            service
        };
        let mut project = Project::of_services("shop", [service("web", "front")]);
        project
            .services
            .insert("db".to_string(), service("db", "back"));
        project.networks = BTreeMap::from([
            ("front".to_string(), Network::default()),
            (
                "back".to_string(),
                Network {
                    internal: true,
                    ..Network::default()
                },
            ),
        ]);
        assert_eq!(
            routes(&project),
            vec![Route {
                address: "0.0.0.0:8080".to_string(),
                service: "web".to_string(),
                target: 80,
            }]
        );
    }

    /// A backend that answers each connection with `name` and closes.
    async fn named_backend(name: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let _ = stream.write_all(name.as_bytes()).await;
            }
        });
        port
    }

    async fn fetch(port: u16) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text).await;
        text
    }

    #[tokio::test]
    async fn connections_skip_a_replica_that_refuses_them() {
        // Every replica listens on the same port at its own address: 127.0.0.x.
        let target = named_backend("alive").await;
        let backends = Backends::default();
        let loopback = |last: u8| IpAddr::from([127, 0, 0, last]);
        // Nothing listens at 127.0.0.2: a refused connect.
        backends.set(vec![
            Backend {
                replica: "dead".to_string(),
                ip: loopback(2),
            },
            Backend {
                replica: "live".to_string(),
                ip: loopback(1),
            },
        ]);
        // `dead` sorts first: the first connection tries it, then `live`.
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let task = tokio::spawn(serve(
            listener,
            backends.clone(),
            target,
            Arc::new(Semaphore::new(8)),
        ));
        for _ in 0..3 {
            assert_eq!(fetch(port).await, "alive");
        }
        assert_eq!(backends.len(), 1, "the refusing replica is dropped");
        task.abort();
    }

    #[tokio::test]
    async fn with_no_ready_replica_a_connection_is_closed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let task = tokio::spawn(serve(
            listener,
            Backends::default(),
            80,
            Arc::new(Semaphore::new(8)),
        ));
        assert_eq!(fetch(port).await, "");
        task.abort();
    }
}

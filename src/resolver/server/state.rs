//! What the API handlers, the retry task and [`Running`](super::Running) share: the
//! tables, and the DNS listeners reconciled with the gateways they name.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinHandle;

use super::api::ApiError;
use super::listeners::{serve_tcp, serve_udp};
use super::Health;
use crate::resolver::table::Tables;

/// How often gateways that could not be bound are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(5);

/// What the API handlers, the retry task and [`Running`] share.
pub(super) struct Shared {
    pub(super) token: Arc<str>,
    pub(super) tables: Arc<RwLock<Tables>>,
    /// A tokio mutex: reconciling awaits binds and closes while holding it, which also
    /// keeps two reconciles from binding the same gateway at once.
    pub(super) listeners: Mutex<Listeners>,
    pub(super) dns_port: u16,
    pub(super) connections: Arc<Semaphore>,
    /// Set by the `DELETE` of the last project, under the tables' write lock; every
    /// change checks it under that lock too.
    pub(super) retired: AtomicBool,
}

#[derive(Default)]
pub(super) struct Listeners {
    pub(super) served: BTreeMap<Ipv4Addr, Served>,
    /// The last bind error of each gateway named but not served; logged when it changes.
    pub(super) failures: BTreeMap<Ipv4Addr, String>,
}

/// One gateway's DNS tasks; dropping it aborts them, which closes their sockets.
pub(super) struct Served {
    udp: JoinHandle<()>,
    tcp: JoinHandle<()>,
}

impl Served {
    /// Aborts both tasks and waits until they are gone, so the port is free again.
    async fn close(mut self) {
        self.udp.abort();
        self.tcp.abort();
        let _ = (&mut self.udp).await;
        let _ = (&mut self.tcp).await;
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.udp.abort();
        self.tcp.abort();
    }
}

impl Shared {
    pub(super) fn read_tables(&self) -> std::sync::RwLockReadGuard<'_, Tables> {
        self.tables.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn change_tables<T>(&self, change: impl FnOnce(&mut Tables) -> T) -> T {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        change(&mut tables)
    }

    /// A change from the API: refused once the resolver is retired.
    pub(super) fn change_served<T>(
        &self,
        change: impl FnOnce(&mut Tables) -> T,
    ) -> Result<T, ApiError> {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        if self.retired.load(Ordering::SeqCst) {
            return Err(ApiError::retired());
        }
        Ok(change(&mut tables))
    }

    /// Removes a project; the last one retires the resolver in the same write.
    pub(super) fn remove_project(&self, project: &str) -> usize {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        let remaining = tables.remove_project(project);
        if remaining == 0 {
            self.retired.store(true, Ordering::SeqCst);
        }
        remaining
    }

    /// Binds every gateway named and not served, closes every one served and no longer
    /// named.
    pub(super) async fn reconcile(&self) {
        let wanted = self.read_tables().gateways();
        let mut listeners = self.listeners.lock().await;
        let gone: Vec<Ipv4Addr> = listeners
            .served
            .keys()
            .filter(|gateway| !wanted.contains(gateway))
            .copied()
            .collect();
        for gateway in gone {
            if let Some(served) = listeners.served.remove(&gateway) {
                served.close().await;
                eprintln!(
                    "msctl resolver: closed DNS on {}",
                    SocketAddr::from((gateway, self.dns_port))
                );
            }
        }
        listeners
            .failures
            .retain(|gateway, _| wanted.contains(gateway));
        for gateway in wanted {
            if listeners.served.contains_key(&gateway) {
                continue;
            }
            let addr = SocketAddr::from((gateway, self.dns_port));
            match self.bind(gateway).await {
                Ok(served) => {
                    listeners.served.insert(gateway, served);
                    listeners.failures.remove(&gateway);
                    eprintln!("msctl resolver: serving DNS on {addr} (UDP and TCP)");
                }
                Err(error) => {
                    if listeners.failures.get(&gateway) != Some(&error) {
                        eprintln!(
                            "msctl resolver: cannot serve DNS on {addr}: {error}; trying again on the next change and every {}s",
                            RETRY_EVERY.as_secs()
                        );
                    }
                    listeners.failures.insert(gateway, error);
                }
            }
        }
    }

    /// Both sockets or neither: a gateway is served over UDP and TCP, or retried.
    async fn bind(&self, gateway: Ipv4Addr) -> Result<Served, String> {
        let addr = SocketAddr::from((gateway, self.dns_port));
        let udp = UdpSocket::bind(addr)
            .await
            .map_err(|e| format!("UDP: {e}"))?;
        let tcp = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("TCP: {e}"))?;
        Ok(Served {
            udp: tokio::spawn(serve_udp(udp, gateway, self.tables.clone())),
            tcp: tokio::spawn(serve_tcp(
                tcp,
                gateway,
                self.tables.clone(),
                self.connections.clone(),
            )),
        })
    }

    pub(super) async fn close_all(&self) {
        let served = std::mem::take(&mut self.listeners.lock().await.served);
        for (gateway, served) in served {
            served.close().await;
            eprintln!(
                "msctl resolver: closed DNS on {}",
                SocketAddr::from((gateway, self.dns_port))
            );
        }
    }

    pub(super) async fn health(&self) -> Health {
        let (projects, gateways) = {
            let tables = self.read_tables();
            (tables.project_count(), tables.gateways())
        };
        let listeners = self.listeners.lock().await;
        Health {
            projects,
            gateways: gateways.into_iter().collect(),
            listening: listeners.served.keys().copied().collect(),
            failures: listeners
                .failures
                .iter()
                .map(|(gateway, error)| (gateway.to_string(), error.clone()))
                .collect(),
        }
    }
}

pub(super) async fn retry_binds(shared: Arc<Shared>) {
    let mut ticks = tokio::time::interval(RETRY_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        // A gateway no longer on the host: its network was removed without a word to
        // the resolver. Its entries go, so that the next network given that subnet does
        // not inherit them.
        let gone: Vec<Ipv4Addr> = shared
            .read_tables()
            .gateways()
            .into_iter()
            .filter(|gateway| !on_this_host(*gateway))
            .collect();
        if !gone.is_empty() {
            shared.change_tables(|tables| {
                for gateway in &gone {
                    tables.forget_gateway(*gateway);
                }
            });
        }
        let failing = !shared.listeners.lock().await.failures.is_empty();
        if failing || !gone.is_empty() {
            shared.reconcile().await;
        }
    }
}

/// Whether `address` is one of this host's: a socket can be bound to it.
fn on_this_host(address: Ipv4Addr) -> bool {
    match std::net::UdpSocket::bind((address, 0)) {
        Ok(_) => true,
        Err(err) => err.kind() != std::io::ErrorKind::AddrNotAvailable,
    }
}

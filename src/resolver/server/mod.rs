//! The resolver process: an HTTP API on 127.0.0.1 that msctl pushes tables to, and DNS
//! listeners (UDP and TCP) on each network gateway the tables name.
//!
//! Every API path but `GET /v1/health` needs `Authorization: Bearer <token>`; errors are
//! `{"error": "<what is wrong>"}`.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /v1/health` | | `{"projects": n, "gateways": [..], "listening": [..], "failures": {gateway: error}}` |
//! | `PUT /v1/projects/{project}` | [`ProjectTable`] | 204 |
//! | `DELETE /v1/projects/{project}` | | `{"projects": remaining}` |
//! | `GET /v1/projects/{project}` | | [`ProjectTable`] |
//! | `PUT /v1/projects/{project}/gateways` | `[`[`Claim`]`]` | 204 |
//! | `PUT /v1/projects/{project}/replicas/{container}` | `[`[`Entry`]`]` | 204 |
//! | `DELETE /v1/projects/{project}/replicas/{container}` | | 204 |
//!
//! After each change the listeners follow the tables: a gateway newly named is bound, one
//! no longer named is closed. A gateway that cannot be bound (not on this host yet, port
//! taken) does not fail the request: it is logged and tried again on the next change and
//! every 5 s, and `GET /v1/health` shows it under `failures`.
//!
//! The `DELETE` that leaves no project retires the resolver, in the same write as the
//! removal: from then on every change and `GET /v1/health` answer 410 Gone, so that the
//! `down` that got `{"projects": 0}` can remove the container without taking away a
//! project another msctl registered meanwhile (that msctl sees 410 and starts a new
//! resolver instead).
//!
//! This module holds the process's start and stop; `api` is the HTTP API, `state` what
//! the API and the listeners share (the tables and which gateways are served), and
//! `listeners` the UDP and TCP DNS listeners.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Mutex, Semaphore};
use tokio::task::JoinHandle;

use super::table::Tables;

mod api;
mod listeners;
mod state;

use api::router;
use listeners::MAX_TCP_CONNECTIONS;
use state::{retry_binds, Listeners, Shared};

/// How long stopping waits for API requests in flight before dropping them: the
/// resolver is PID 1 of its container and must exit on SIGTERM at once.
const STOP_GRACE: Duration = Duration::from_millis(250);

/// How the resolver is started.
#[derive(Clone)]
pub struct ServerOptions {
    /// The HTTP API's address, 127.0.0.1:PORT.
    pub listen: SocketAddr,
    /// The bearer token every API call but health must carry.
    pub token: String,
    /// The DNS port on every gateway: 53 in production, a free port in tests.
    pub dns_port: u16,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("listen", &self.listen)
            .field("token", &"<redacted>")
            .field("dns_port", &self.dns_port)
            .finish()
    }
}

/// What `GET /v1/health` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Projects registered, empty ones included.
    pub projects: usize,
    /// Every gateway the tables name.
    pub gateways: Vec<Ipv4Addr>,
    /// The gateways DNS is served on now.
    #[serde(default)]
    pub listening: Vec<Ipv4Addr>,
    /// Gateways named but not served, with the last bind error.
    #[serde(default)]
    pub failures: BTreeMap<String, String>,
}

/// A resolver running in this process.
pub struct Running {
    /// Where the HTTP API listens (the real port when `listen` asked for port 0).
    pub api_addr: SocketAddr,
    /// The API server's task; ends after [`Running::stop`] or if serving fails.
    pub task: JoinHandle<anyhow::Result<()>>,
    shutdown: Option<oneshot::Sender<()>>,
    retry: JoinHandle<()>,
    shared: Arc<Shared>,
}

impl Running {
    /// Stops the API and closes every DNS listener; returns once all sockets are closed.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let result = match tokio::time::timeout(STOP_GRACE, &mut self.task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(anyhow::anyhow!("the resolver API task failed: {join}")),
            Err(_) => {
                // Requests still in flight after the grace period are dropped with it.
                self.task.abort();
                let _ = (&mut self.task).await;
                Ok(())
            }
        };
        self.close_rest().await;
        result
    }

    async fn close_rest(&mut self) {
        self.retry.abort();
        let _ = (&mut self.retry).await;
        self.shared.close_all().await;
    }
}

impl Drop for Running {
    /// A dropped handle stops what it can without waiting: the API (its shutdown channel
    /// closes) and the retry task; the DNS tasks are aborted once the lock is free.
    fn drop(&mut self) {
        self.retry.abort();
        if let Ok(mut listeners) = self.shared.listeners.try_lock() {
            listeners.served.clear();
        }
    }
}

/// Starts the API and returns at once; DNS listeners come with the first tables.
pub async fn start(options: ServerOptions) -> anyhow::Result<Running> {
    if options.token.is_empty() {
        anyhow::bail!("the resolver needs a non-empty API token");
    }
    let listener = TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen for the resolver API on {}", options.listen))?;
    let api_addr = listener
        .local_addr()
        .context("cannot read the resolver API's address")?;
    let shared = Arc::new(Shared {
        token: options.token.as_str().into(),
        tables: Arc::new(RwLock::new(Tables::default())),
        listeners: Mutex::new(Listeners::default()),
        dns_port: options.dns_port,
        connections: Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS)),
        retired: AtomicBool::new(false),
    });
    let app = router(shared.clone());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            })
            .await
            .context("the resolver API server failed")
    });
    let retry = tokio::spawn(retry_binds(shared.clone()));
    eprintln!(
        "msctl resolver: API on {api_addr}, DNS port {}",
        options.dns_port
    );
    Ok(Running {
        api_addr,
        task,
        shutdown: Some(shutdown),
        retry,
        shared,
    })
}

/// Runs the resolver until SIGTERM or SIGINT, then stops at once.
pub async fn run(options: ServerOptions) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    // Before anything else: PID 1 ignores SIGTERM unless it handles it.
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut running = start(options).await?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
        ended = &mut running.task => {
            running.close_rest().await;
            return match ended {
                Ok(result) => result,
                Err(join) => Err(anyhow::anyhow!("the resolver API task failed: {join}")),
            };
        }
    }
    eprintln!("msctl resolver: stopping");
    running.stop().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpStream, UdpSocket};

    use super::*;
    use crate::resolver::client::{Client, ClientError};
    use crate::resolver::dns;
    use crate::resolver::dns::testing::{query_packet, read_answer, Answer};
    use crate::resolver::table::{Claim, Entry, ProjectTable};

    const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;
    const TOKEN: &str = "test-token";

    /// A port free for UDP now; TCP on the same number is almost always free too.
    fn free_dns_port() -> u16 {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap().port()
    }

    async fn resolver() -> (Running, Client, u16) {
        let dns_port = free_dns_port();
        let running = start(ServerOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            token: TOKEN.to_string(),
            dns_port,
        })
        .await
        .unwrap();
        let client = Client::new(running.api_addr, TOKEN);
        (running, client, dns_port)
    }

    fn web(address: [u8; 4]) -> Vec<Entry> {
        vec![Entry {
            gateway: LOOPBACK,
            names: vec!["web".to_string(), "web.shop".to_string()],
            address: Ipv4Addr::from(address),
        }]
    }

    async fn udp_query(port: u16, name: &str) -> Answer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let query = query_packet(0x4242, name, dns::TYPE_A, None);
        socket.send_to(&query, ("127.0.0.1", port)).await.unwrap();
        let mut buffer = [0u8; 1500];
        let (len, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buffer))
            .await
            .expect("no DNS answer within 2 s")
            .unwrap();
        let answer = read_answer(&buffer[..len]);
        assert_eq!(answer.id, 0x4242);
        answer
    }

    async fn tcp_query(port: u16, names: &[&str]) -> Vec<Answer> {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut answers = Vec::new();
        // Several messages on one connection, as RFC 7766 allows.
        for name in names {
            let query = query_packet(7, name, dns::TYPE_A, None);
            let mut message = (query.len() as u16).to_be_bytes().to_vec();
            message.extend_from_slice(&query);
            stream.write_all(&message).await.unwrap();
            let mut prefix = [0u8; 2];
            stream.read_exact(&mut prefix).await.unwrap();
            let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            stream.read_exact(&mut reply).await.unwrap();
            answers.push(read_answer(&reply));
        }
        answers
    }

    #[tokio::test]
    async fn a_ready_replica_is_answered_over_udp_and_tcp_until_removed() {
        let (running, client, port) = resolver().await;
        client
            .set_replica("shop", "c1", &web([10, 1, 0, 5]))
            .await
            .unwrap();
        client
            .set_replica("shop", "c2", &web([10, 1, 0, 4]))
            .await
            .unwrap();

        let answer = udp_query(port, "WEB").await;
        assert_eq!(answer.rcode, dns::RCODE_NOERROR);
        assert_eq!(
            answer.addresses,
            vec![Ipv4Addr::new(10, 1, 0, 4), Ipv4Addr::new(10, 1, 0, 5)]
        );
        assert_eq!(
            udp_query(port, "example.com").await.rcode,
            dns::RCODE_SERVFAIL
        );

        let over_tcp = tcp_query(port, &["web.shop.", "nope"]).await;
        assert_eq!(over_tcp[0].addresses.len(), 2);
        assert_eq!(over_tcp[1].rcode, dns::RCODE_SERVFAIL);

        client.remove_replica("shop", "c1").await.unwrap();
        assert_eq!(
            udp_query(port, "web").await.addresses,
            vec![Ipv4Addr::new(10, 1, 0, 4)]
        );
        client.remove_replica("shop", "c2").await.unwrap();
        // No gateway named any more: the listener is closed.
        assert!(client.health().await.unwrap().listening.is_empty());

        // Named again, but by a replica with other names: the name itself is not ours.
        let mut other = web([10, 1, 0, 6]);
        other[0].names = vec!["api".to_string()];
        client.set_replica("shop", "c3", &other).await.unwrap();
        assert_eq!(udp_query(port, "web").await.rcode, dns::RCODE_SERVFAIL);
        assert_eq!(
            udp_query(port, "api").await.addresses,
            vec![Ipv4Addr::new(10, 1, 0, 6)]
        );
        running.stop().await.unwrap();
    }

    #[tokio::test]
    async fn health_counts_projects_and_removing_the_last_project_retires_the_resolver() {
        let (running, client, _) = resolver().await;
        let health = client.health().await.unwrap();
        assert_eq!((health.projects, health.gateways.len()), (0, 0));

        client
            .set_project("empty", &ProjectTable::default())
            .await
            .unwrap();
        let shop = ProjectTable {
            replicas: BTreeMap::from([("c1".to_string(), web([10, 1, 0, 5]))]),
        };
        client.set_project("shop", &shop).await.unwrap();
        let health = client.health().await.unwrap();
        assert_eq!(health.projects, 2);
        assert_eq!(health.gateways, vec![LOOPBACK]);
        assert_eq!(health.listening, vec![LOOPBACK]);
        assert!(health.failures.is_empty());

        assert_eq!(client.remove_project("shop").await.unwrap(), 1);
        assert_eq!(client.remove_project("shop").await.unwrap(), 1);
        assert_eq!(client.remove_project("empty").await.unwrap(), 0);
        assert!(running.shared.listeners.lock().await.served.is_empty());
        // Retired: whoever removed the last project removes the container; another
        // msctl's registration in between is refused rather than lost with it.
        assert!(client.health().await.unwrap_err().is_retired());
        let refused = client.set_project("late", &shop).await.unwrap_err();
        assert!(refused.is_retired(), "{refused}");
        let claim = Claim {
            gateway: LOOPBACK,
            fresh: true,
        };
        assert!(client
            .claim("late", &[claim])
            .await
            .unwrap_err()
            .is_retired());
        let entries = web([10, 1, 0, 6]);
        let replica = client.set_replica("late", "c1", &entries).await;
        assert!(replica.unwrap_err().is_retired());
        assert_eq!(client.remove_project("late").await.unwrap(), 0);
        assert!(running.shared.read_tables().gateways().is_empty());
        running.stop().await.unwrap();
    }

    #[tokio::test]
    async fn a_wrong_or_missing_token_is_refused_with_401_but_health_is_open() {
        let (running, _, _) = resolver().await;
        let wrong = Client::new(running.api_addr, "not-the-token");
        let error = wrong
            .set_project("shop", &ProjectTable::default())
            .await
            .unwrap_err();
        match &error {
            ClientError::Status { status, body, .. } => {
                assert_eq!(*status, 401);
                assert_eq!(body, "wrong bearer token");
            }
            other => panic!("expected a 401, got {other:?}"),
        }
        assert!(matches!(
            wrong.remove_replica("shop", "c1").await,
            Err(ClientError::Status { status: 401, .. })
        ));
        assert_eq!(wrong.health().await.unwrap().projects, 0);

        let mut stream = TcpStream::connect(running.api_addr).await.unwrap();
        stream
            .write_all(b"DELETE /v1/projects/shop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        assert!(
            answer.contains(r#"{"error":"missing bearer token"#),
            "{answer}"
        );
        running.stop().await.unwrap();
    }

    #[tokio::test]
    async fn bad_bodies_are_400_with_a_json_error_and_change_nothing() {
        let (running, client, _) = resolver().await;
        let raw = |body: &'static str| {
            let addr = running.api_addr;
            async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let request = format!(
                    "PUT /v1/projects/shop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(request.as_bytes()).await.unwrap();
                let mut answer = String::new();
                stream.read_to_string(&mut answer).await.unwrap();
                answer
            }
        };
        for body in ["{", r#"{"replicas": 3}"#] {
            let answer = raw(body).await;
            assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
            assert!(answer.contains(r#"{"error":"#), "{answer}");
        }
        let wildcard = vec![Entry {
            gateway: Ipv4Addr::UNSPECIFIED,
            names: vec!["web".to_string()],
            address: Ipv4Addr::new(10, 0, 0, 1),
        }];
        assert!(matches!(
            client.set_replica("shop", "c1", &wildcard).await,
            Err(ClientError::Status { status: 400, .. })
        ));
        assert_eq!(client.health().await.unwrap().projects, 0);
        running.stop().await.unwrap();
    }

    #[tokio::test]
    async fn a_gateway_that_cannot_be_bound_does_not_fail_the_request() {
        let (running, client, port) = resolver().await;
        // Hold the port over UDP so the resolver's bind fails.
        let _taken = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
        client
            .set_replica("shop", "c1", &web([10, 1, 0, 5]))
            .await
            .unwrap();
        let health = client.health().await.unwrap();
        assert!(health.listening.is_empty());
        assert!(
            health.failures["127.0.0.1"].starts_with("UDP: "),
            "{:?}",
            health.failures
        );
        running.stop().await.unwrap();
    }

    #[tokio::test]
    async fn stop_closes_the_api_and_every_dns_socket() {
        let (running, client, port) = resolver().await;
        client
            .set_replica("shop", "c1", &web([10, 1, 0, 5]))
            .await
            .unwrap();
        assert_eq!(udp_query(port, "web").await.addresses.len(), 1);
        let started = std::time::Instant::now();
        running.stop().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(matches!(
            client.health().await,
            Err(ClientError::Unreachable { .. })
        ));
        // Both DNS ports are free again.
        drop(std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap());
        drop(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    }
}

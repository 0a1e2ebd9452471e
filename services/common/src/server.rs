//! The process around a service's router: logs, serving with a graceful stop, the
//! `healthcheck` subcommand, and the HTTP client for calls between services.

use std::future::{Future, IntoFuture};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;

/// How long in-flight requests may run on after SIGTERM before the server stops anyway:
/// the process exits within 2 s of the signal.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_millis(1500);

static SERVICE: OnceLock<&'static str> = OnceLock::new();

pub(crate) fn service_name() -> &'static str {
    SERVICE.get().copied().unwrap_or("shop")
}

/// JSON logs on stdout, one object per line, at the level in `RUST_LOG` (default
/// `info`). Request lines carry `service` (this name), `method`, `route` and `path`.
/// A second call changes nothing.
pub fn init_tracing(service: &'static str) {
    let _ = SERVICE.set(service);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Serves `router` on `addr` until SIGTERM or SIGINT, then stops accepting, lets
/// in-flight requests finish for up to [`SHUTDOWN_DEADLINE`] and returns.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    serve_listener(router, listener, shutdown_signal()).await
}

/// [`serve`] on a bound listener until `shutdown` resolves (tests bind port 0).
pub async fn serve_listener(
    router: Router,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (started, stopping) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = started.send(());
    };
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(signal)
        .into_future();
    let deadline = async move {
        if stopping.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_DEADLINE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => {
            tracing::info!("stopped");
            result
        }
        () = deadline => {
            tracing::warn!("requests still in flight at the shutdown deadline: stopping anyway");
            Ok(())
        }
    }
}

/// `GET http://<addr>/readyz` over a plain `TcpStream`, all within `timeout`: `Ok` on a
/// 200, else why not.
pub fn healthcheck(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| "timed out".to_string())
    };
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream
        .set_write_timeout(Some(remaining()?))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: healthcheck\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending to {addr}: {e}"))?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 1024 {
        stream
            .set_read_timeout(Some(remaining()?))
            .map_err(|e| e.to_string())?;
        let read = stream
            .read(&mut buffer)
            .map_err(|e| format!("reading from {addr}: {e}"))?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let status_line = head.lines().next().unwrap_or_default();
    match status_line.split_whitespace().nth(1) {
        Some("200") => Ok(()),
        Some(_) => Err(format!("{addr}/readyz answered {status_line:?}")),
        None => Err(format!("{addr}/readyz: no HTTP answer")),
    }
}

/// The `healthcheck` subcommand, for a Compose `[CMD, /<binary>, healthcheck]` check in
/// a scratch image (no shell, no curl): probes `/readyz` on the port of `LISTEN_ADDR`
/// (else `default_port`) on the loopback address, within 2 s. Exit 0 on 200, else 1.
pub fn healthcheck_main(default_port: u16) -> ExitCode {
    let listen: Option<SocketAddr> = std::env::var("LISTEN_ADDR")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    let addr = match listen {
        Some(addr) => {
            let ip = match addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            SocketAddr::new(ip, addr.port())
        }
        None => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), default_port),
    };
    match healthcheck(addr, Duration::from_secs(2)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("unhealthy: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A service's `main`: `<binary> healthcheck` runs [`healthcheck_main`] (port 8080 by
/// default); no argument runs the service: [`init_tracing`], [`Config::from_env`],
/// `build_app(config)` (called inside the Tokio runtime, so it may `tokio::spawn`
/// background tasks), then [`serve`] until SIGTERM. Startup errors are logged and exit 1.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     shop_common::run_service("users", |config| {
///         let router = axum::Router::new(); // the service's app(state)
///         Ok(router)
///     })
/// }
/// ```
pub fn run_service<F>(name: &'static str, build_app: F) -> ExitCode
where
    F: FnOnce(Config) -> Result<Router, String>,
{
    match std::env::args().nth(1).as_deref() {
        Some("healthcheck") => return healthcheck_main(8080),
        Some(other) => {
            eprintln!("{name}: unknown argument {other:?}; usage: {name} [healthcheck]");
            return ExitCode::from(2);
        }
        None => {}
    }
    init_tracing(name);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the Tokio runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let config = Config::from_env()?;
        let addr = config.listen_addr;
        let router = build_app(config)?;
        serve(router, addr)
            .await
            .map_err(|e| format!("serving on {addr}: {e}"))
    });
    // Blocking work still running (a database call) must not hold the exit back.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(service = name, %error, "failed");
            ExitCode::FAILURE
        }
    }
}

/// The client for calls between services: plain HTTP, connect timeout 1 s, total 5 s,
/// idle connections dropped after 30 s.
pub async fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|error| {
            tracing::warn!(%error, "HTTP client with timeouts unavailable, using the default");
            reqwest::Client::new()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    async fn start(
        router: Router,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_listener(router, listener, async move {
            let _ = stopped.await;
        }));
        (addr, stop, server)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn healthcheck_follows_readiness() {
        let ready = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ready);
        let router = crate::with_observability(
            Router::new(),
            Arc::new(crate::Metrics::new()),
            Arc::new(move || flag.load(Ordering::SeqCst)),
        );
        let (addr, stop, server) = start(router).await;
        let check =
            move || tokio::task::spawn_blocking(move || healthcheck(addr, Duration::from_secs(2)));
        let not_ready = check().await.unwrap_or(Ok(()));
        assert!(not_ready.is_err_and(|e| e.contains("503")));
        ready.store(true, Ordering::SeqCst);
        assert_eq!(check().await.unwrap_or(Err("join".into())), Ok(()));
        let _ = stop.send(());
        assert!(matches!(server.await, Ok(Ok(()))));
        // Nothing listens any more.
        assert!(check().await.unwrap_or(Ok(())).is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_finishes_in_flight_requests_within_the_deadline() {
        let router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .route(
                "/stuck",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    "never"
                }),
            );
        let (addr, stop, server) = start(router).await;
        let client = http_client().await;
        let slow = tokio::spawn({
            let client = client.clone();
            async move { client.get(format!("http://{addr}/slow")).send().await }
        });
        let stuck = tokio::spawn({
            let client = client.clone();
            async move { client.get(format!("http://{addr}/stuck")).send().await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let stopping = Instant::now();
        let _ = stop.send(());
        let slow = slow.await.map(|r| r.map(|r| r.status().as_u16()));
        assert!(matches!(slow, Ok(Ok(200))), "{slow:?}");
        assert!(matches!(server.await, Ok(Ok(()))));
        let took = stopping.elapsed();
        assert!(
            took >= SHUTDOWN_DEADLINE && took < Duration::from_secs(2),
            "{took:?}"
        );
        stuck.abort();
    }
}

//! The gateway's process: `gateway` serves, `gateway healthcheck` probes it.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use shop_common::{env_duration, env_or, healthcheck_main, init_tracing, serve};
use shop_gateway::{app, DnsResolver, Gateway, GatewayConfig, Routes, DEFAULT_PRIVATE_PATHS};

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("healthcheck") => return healthcheck_main(8080),
        Some(other) => {
            eprintln!("gateway: unknown argument {other:?}; usage: gateway [healthcheck]");
            return ExitCode::from(2);
        }
        None => {}
    }
    init_tracing("gateway");
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
    let result = runtime.block_on(run());
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(service = "gateway", %error, "failed");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let routes: Routes = env_or("ROUTES", "")
        .parse()
        .map_err(|e| format!("ROUTES: {e}"))?;
    let listen = env_or("LISTEN_ADDR", "0.0.0.0:8080");
    let addr: SocketAddr = listen
        .parse()
        .map_err(|e| format!("LISTEN_ADDR={listen:?} is not an address: {e}"))?;
    let config = GatewayConfig {
        connect_timeout: env_duration("CONNECT_TIMEOUT", Duration::from_secs(1))?,
        response_timeout: env_duration("UPSTREAM_TIMEOUT", Duration::from_secs(30))?,
        retry_timeout: env_duration("RETRY_TIMEOUT", Duration::from_secs(2))?,
        private_paths: env_or("PRIVATE_PATHS", DEFAULT_PRIVATE_PATHS)
            .parse()
            .map_err(|e| format!("PRIVATE_PATHS: {e}"))?,
    };
    let dns_ttl = env_duration("DNS_TTL", Duration::from_secs(1))?;
    for (service_name, upstream) in routes.iter() {
        tracing::info!(service = %service_name, upstream = %upstream, "route");
    }
    let gateway = Gateway::new(routes, Arc::new(DnsResolver::new(dns_ttl)), config);
    serve(app(Arc::new(gateway)), addr)
        .await
        .map_err(|e| format!("serving on {addr}: {e}"))
}

//! `msctl serve`: the control plane in the foreground (or, with the hidden
//! `--background`, as `msctl up` starts it: a supervisor that runs it with
//! `--supervised` and starts it again when it dies): keeps every project with self-heal
//! on healthy and serves the HTTP API until SIGTERM or Ctrl-C, then exits 0.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use crate::cli::ServeArgs;
use crate::clock::now_ms;
use crate::control::api::{router, ApiState};
use crate::control::backoff::BackoffPolicy;
use crate::control::process::{self, Instance, Mode, ProcessError};
use crate::control::{format_ms, ControlPlane, Handle, Settings, Status};
use crate::report::Log;

use crate::session::{CommandError, Context};

/// The API's address when none is given.
pub const DEFAULT_API_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 7311);

pub fn run(ctx: &Context, args: ServeArgs) -> Result<(), CommandError> {
    if let Some(path) = &args.install_service {
        return install_service(ctx, &args, path);
    }
    let printer = ctx.printer;
    let log: Log = Arc::new(move |line: &str| {
        printer.status(&format!("{} {line}", format_ms(now_ms())));
    });
    if args.background {
        // Its own session: no terminal, no hang-up when the one that ran `up` closes.
        if let Err(err) = process::detach() {
            log(&format!(
                "warning: cannot start a session of its own: {err}"
            ));
        }
    }
    if args.background && !args.supervised {
        let program = std::env::current_exe()
            .map_err(|e| anyhow::anyhow!("cannot find msctl's own program: {e}"))?;
        return ctx.block_on(async {
            process::supervise(&program, &log)
                .await
                .map_err(|e| CommandError::Failed(e.into()))
        });
    }
    let state_dir = ctx.state_dir();
    let mode = if args.background {
        Mode::Background
    } else {
        Mode::Foreground
    };
    let supervisor = args
        .supervised
        .then(rustix::process::getppid)
        .flatten()
        .map(|parent| parent.as_raw_nonzero().get());
    let instance = match Instance::claim_supervised(&state_dir, mode, supervisor) {
        Ok(instance) => instance,
        // Two `up`s raced to start one: the other one serves.
        Err(ProcessError::AlreadyRunning { pid, .. }) if args.background => {
            log(&format!("a control plane already runs (pid {pid}): leaving it the work"));
            return Ok(());
        }
        Err(err @ ProcessError::AlreadyRunning { .. }) => {
            return Err(CommandError::hinted(
                err,
                "one control plane per state directory: stop the other (`msctl down` stops one `msctl up` started once no project needs it), or give this one another MSCTL_STATE_DIR",
            ))
        }
        Err(err) => return Err(CommandError::Failed(err.into())),
    };
    let token = process::api_token(&state_dir).map_err(|e| CommandError::Failed(e.into()))?;
    let settings = Settings {
        resync: args.resync,
        autoscale_every: args.autoscale_interval,
        serving_every: args.readiness_interval,
        backoff: BackoffPolicy {
            initial: args.backoff_initial,
            max: args.backoff_max.max(args.backoff_initial),
            ..BackoffPolicy::default()
        },
        ..Settings::default()
    };
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let listener = bind(args.listen, &log).await?;
        let address = listener
            .local_addr()
            .map_err(|e| anyhow::anyhow!("cannot read the API's address: {e}"))?;
        instance
            .publish_address(address)
            .map_err(|e| CommandError::Failed(e.into()))?;
        // One control plane per engine: the first to register keeps every state
        // directory's projects; another state directory's `up` hands its projects over.
        let volume = crate::control::registry::volume_name(&ctx.environment);
        let me = crate::control::registry::Registration {
            api: address,
            token: token.clone(),
            state_dir: std::fs::canonicalize(&state_dir).unwrap_or_else(|_| state_dir.clone()),
            pid: std::process::id() as i32,
            host: crate::control::registry::host_name(),
        };
        match crate::control::registry::claim(engine.as_ref(), &volume, &me).await {
            Ok(crate::control::registry::Claimed::Mine) => {}
            Ok(crate::control::registry::Claimed::Other(other)) if args.background => {
                log(&format!(
                    "the control plane of `{}` (pid {}) keeps this engine: leaving it the work",
                    other.state_dir.display(),
                    other.pid
                ));
                return Ok(());
            }
            Ok(crate::control::registry::Claimed::Other(other)) => {
                return Err(CommandError::hinted(
                    anyhow::anyhow!(
                        "the engine has a control plane already: the one of state directory `{}` (pid {}, API on {})",
                        other.state_dir.display(),
                        other.pid,
                        other.api
                    ),
                    format!("one control plane per engine: it keeps the projects of every state directory (`msctl up` hands them over); stop it first, or give this one its own name with {}=NAME", crate::control::registry::NAME_ENV),
                ))
            }
            Err(err) => {
                return Err(CommandError::hinted(
                    anyhow::anyhow!("cannot register the control plane in the engine: {err}"),
                    "the control plane registers as the volume `msctl-control`; check that `docker volume ls` works",
                ))
            }
        }
        if !address.ip().is_loopback() {
            log(&format!(
                "warning: the API listens on {address}, which other machines can reach: anyone with the token can scale your projects"
            ));
        }
        let status = Status::default();
        let handle = Handle::default();
        let api = ApiState::new(
            &token,
            state_dir.clone(),
            engine.clone(),
            status.clone(),
            handle.clone(),
        )
        .map_err(|e| CommandError::Failed(e.into()))?;
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let stop = Arc::new(stop);
        {
            let stop = stop.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let why = stop_signal().await;
                log(&format!("{why}: stopping"));
                let _ = stop.send(true);
            });
        }
        let server = {
            let mut shutdown = shutdown.clone();
            let app = router(api);
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = shutdown.wait_for(|stop| *stop).await;
                    })
                    .await
            })
        };
        log(&format!(
            "control plane of `{}` ({mode}, pid {}): API on http://{address} (token in `{}`), resync every {}s",
            state_dir.display(),
            std::process::id(),
            state_dir.join(process::TOKEN_FILE).display(),
            settings.resync.as_secs_f64()
        ));
        let ctx_engine = engine.clone();
        let control = ControlPlane {
            engine,
            state_dir: state_dir.clone(),
            settings,
            status,
            handle,
            log: log.clone(),
            exit_when_idle: args.background,
        };
        let result = control.run(shutdown).await;
        crate::control::registry::release(ctx_engine.as_ref(), &volume, &me).await;
        let _ = stop.send(true);
        // Open event streams end with the server; do not wait on a slow client forever.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), server).await;
        drop(instance);
        log("control plane stopped");
        result.map_err(|e| CommandError::Failed(e.into()))
    })
}

/// The API's listener: the address asked for, else the default one, else (when another
/// process holds the default port) a free port on 127.0.0.1.
async fn bind(
    asked: Option<SocketAddr>,
    log: &Log,
) -> Result<tokio::net::TcpListener, CommandError> {
    let address = asked.unwrap_or(DEFAULT_API_ADDR);
    match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => Ok(listener),
        Err(err) if asked.is_none() && err.kind() == std::io::ErrorKind::AddrInUse => {
            log(&format!(
                "warning: {address} is taken: the API listens on a free port instead (see `api-addr`)"
            ));
            let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
            tokio::net::TcpListener::bind(any)
                .await
                .map_err(|e| CommandError::Failed(anyhow::anyhow!("cannot listen on {any}: {e}")))
        }
        Err(err) => Err(CommandError::hinted(
            anyhow::anyhow!("cannot listen on {address}: {err}"),
            "choose another address with `--listen` or MSCTL_API_ADDR (port 0: any free one)",
        )),
    }
}

/// Writes a systemd unit that runs `msctl serve` for this state directory, restarted
/// by systemd whenever it ends other than by `systemctl stop`.
fn install_service(
    ctx: &Context,
    args: &ServeArgs,
    path: &std::path::Path,
) -> Result<(), CommandError> {
    let program = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot find msctl's own program: {e}"))?;
    let state_dir = ctx.state_dir();
    let state_dir = std::fs::canonicalize(&state_dir).unwrap_or(state_dir);
    let mut environment = vec![format!("MSCTL_STATE_DIR={}", state_dir.display())];
    for key in ["DOCKER_HOST", "MSCTL_CONTROL_PLANE"] {
        if let Some(value) = ctx.environment.get(key) {
            environment.push(format!("{key}={value}"));
        }
    }
    let listen = args
        .listen
        .map(|address| format!(" --listen {address}"))
        .unwrap_or_default();
    let unit = format!(
        "# Written by `msctl serve --install-service`.\n\
         [Unit]\n\
         Description=msctl control plane ({state})\n\
         After=docker.service\n\
         Wants=docker.service\n\
         \n\
         [Service]\n\
         ExecStart={program} serve{listen}\n\
         {environment}\n\
         Restart=always\n\
         RestartSec=1\n\
         KillSignal=SIGTERM\n\
         TimeoutStopSec=30\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        state = state_dir.display(),
        program = program.display(),
        environment = environment
            .iter()
            .map(|line| format!("Environment=\"{line}\""))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    std::fs::write(path, unit).map_err(|err| {
        CommandError::hinted(
            anyhow::anyhow!("cannot write the unit `{}`: {err}", path.display()),
            "write it where you may (`--install-service=FILE`), or run as root for /etc/systemd/system",
        )
    })?;
    let name = path
        .file_name()
        .map_or("msctl.service".into(), |n| n.to_string_lossy().into_owned());
    ctx.printer.status(&format!(
        "wrote {}: `systemctl daemon-reload && systemctl enable --now {name}` starts it; `msctl down` leaves a control plane systemd runs alone",
        path.display()
    ));
    Ok(())
}

/// SIGTERM or SIGINT (Ctrl-C), whichever comes first.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (term, interrupt) {
        (Ok(mut term), Ok(mut interrupt)) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = interrupt.recv() => "interrupted",
        },
        _ => {
            let _ = tokio::signal::ctrl_c().await;
            "interrupted"
        }
    }
}

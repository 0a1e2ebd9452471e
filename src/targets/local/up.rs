//! `msctl up`: build what is missing or changed, then converge every selected service
//! and wait until its replicas are ready.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::build::BuildPolicy;
use crate::cli::UpArgs;
use crate::converge::{converge, ConvergeError, ConvergeOptions};
use crate::engine::DEFAULT_CONCURRENCY;
use crate::manifest::model::Project;
use crate::output::progress::seconds;
use crate::plan::PlanOptions;
use crate::report::Cancel;

use crate::manifest::Loaded;
use crate::session::explain::explain;
use crate::session::images::pin_images;
use crate::session::{CommandError, Context};

pub fn up(ctx: &Context, loaded: &Loaded, args: UpArgs) -> Result<(), CommandError> {
    ctx.check_services(&loaded.project, &args.services)?;
    // With self-heal on, the control plane gates the service names (serving::plan) and
    // runs the ingress.
    let self_heal = !args.no_self_heal && !ctx.self_heal_disabled();
    check_ingress(
        loaded,
        &crate::plan::dependencies::with_dependencies(&loaded.project, &args.services),
        self_heal,
    )?;
    let project = loaded.project.clone();
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let lock = ctx.lock(&project.name).await?;
        // The engine's control plane, when another state directory's: it lets go of the
        // project while this `up` changes it, and gets it back after.
        let keeper = crate::session::keeper::foreign(ctx, engine.as_ref()).await;
        let project_name = project.name.clone();
        let kept = match &keeper {
            Some(keeper) => crate::session::keeper::take_back(keeper, &project.name).await?,
            None => false,
        };
        // A failed `up` hands back what was kept: the desired state before it.
        let result: Result<(), CommandError> = async {
        let cancel = Cancel::default();
        ctx.watch_interrupts(&cancel);
        let started = Instant::now();

        let mut store = ctx.state_store()?;
        if args.reset_scale {
            store
                .reset_scale(&project.name)
                .map_err(|e| CommandError::Failed(e.into()))?;
        }
        let manifest_counts = project.manifest_replicas();
        let scale = store
            .effective_scale(&project.name, &manifest_counts)
            .map_err(|e| CommandError::Failed(e.into()))?;
        // What a failed rollout rolls back to: the project as the last `up` left it.
        let previous = store
            .desired(&project.name)
            .ok()
            .flatten()
            .map(|desired| desired.project);
        let selected = crate::plan::dependencies::with_dependencies(&project, &args.services);
        // `up` resumes what `stop` or `kill` held back.
        store
            .release(&project.name, &selected.iter().cloned().collect::<Vec<_>>())
            .map_err(|e| CommandError::Failed(e.into()))?;
        drop(store);

        let options = crate::session::images::image_options(
            BuildPolicy::from_flags(args.no_build, args.build),
            args.pull,
        );
        let images = ctx
            .ensure_images(engine.as_ref(), Some(loaded), &project, &selected, options)
            .await?;
        let mut project = project;
        pin_images(&mut project, &images);
        if cancel.is_cancelled() {
            return Err(CommandError::Interrupted);
        }

        let options = ConvergeOptions {
            plan: PlanOptions {
                services: args.services.iter().cloned().collect(),
                remove_orphans: args.remove_orphans,
                force_recreate: args.force_recreate,
                no_recreate: args.no_recreate,
                scale,
            },
            heal: crate::plan::HealOptions::default(),
            single_round: false,
            wait: !args.detach,
            timeout: Duration::from_secs(args.timeout),
            concurrency: DEFAULT_CONCURRENCY,
            previous,
        };
        let reporter = ctx.reporter();
        let result = converge(engine.as_ref(), &project, &options, reporter.as_ref(), &cancel).await;
        drop(reporter);
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(ConvergeError::Rollout { record, completed }) => {
                // The history keeps what happened, the desired state what runs: the
                // previous config, which `up` does not replace.
                let mut store = ctx.state_store()?;
                for done in completed.iter().chain(std::iter::once(record.as_ref())) {
                    store
                        .record_rollout(&project.name, done)
                        .map_err(|e| CommandError::Failed(e.into()))?;
                }
                let service = record.service.clone();
                return Err(CommandError::hinted(
                    ConvergeError::Rollout { record, completed: Vec::new() },
                    format!("`msctl history {service}` lists its rollouts; `msctl logs {service}` shows why its new replicas failed"),
                ));
            }
            Err(err) => return Err(explain(engine.as_ref(), err).await),
        };
        if !outcome.rollouts.is_empty() {
            let mut store = ctx.state_store()?;
            for record in &outcome.rollouts {
                store
                    .record_rollout(&project.name, record)
                    .map_err(|e| CommandError::Failed(e.into()))?;
            }
        }
        let ingress_before = match &keeper {
            Some(keeper) => IngressBefore::after(keeper, &project.name).await,
            None => IngressBefore::read(ctx, &project.name),
        };
        record_desired(ctx, &project, &selected, args.services.is_empty(), self_heal)?;
        ctx.state_store()?
            .save_config_files(&project.name, &loaded.files)
            .map_err(|e| CommandError::Failed(e.into()))?;
        drop(lock);
        match (&keeper, self_heal) {
            (Some(keeper), true) => {
                crate::session::keeper::hand_over(ctx, keeper, &project.name).await?;
                ctx.printer.status(&format!(
                    "control plane running (pid {}, state directory `{}`): it keeps project `{}` healthy",
                    keeper.pid,
                    keeper.state_dir.display(),
                    project.name
                ));
            }
            (None, true) => crate::session::keeper::ensure_control_plane(ctx, &project.name),
            (_, false) => {}
        }
        let replicas = outcome.replicas.len();
        let services = selected.len();
        for name in &selected {
            let Some(service) = project.services.get(name) else { continue };
            for port in crate::ingress::plan::ingress_ports(service) {
                let ready = outcome
                    .replicas
                    .iter()
                    .filter(|r| &r.service_name == name)
                    .count();
                wait_for_ingress(ctx, keeper.as_ref(), &project.name, name, port, &ingress_before).await.map_err(|error| {
                    CommandError::hinted(
                        anyhow::anyhow!(
                            "service `{name}`: the ingress does not accept connections on {} after {}s: {error}",
                            crate::ingress::plan::listen_address(port),
                            INGRESS_WAIT.as_secs()
                        ),
                        "`msctl events` shows why (kind `ingress`); another program may hold the port",
                    )
                })?;
                ctx.printer.status(&format!(
                    "service `{name}` is published at http://{}:{} (ingress over {ready} replicas)",
                    display_host(port.host_ip.as_deref()),
                    port.published.unwrap_or_default()
                ));
            }
            let bound = crate::ingress::plan::bound_ports(service);
            for port in bound {
                let host = display_host(port.host_ip.as_deref());
                let published = port.published.unwrap_or_default();
                let address = match port.protocol {
                    crate::manifest::model::Protocol::Tcp => format!("http://{host}:{published}"),
                    other => format!("{host}:{published}/{}", other.as_str()),
                };
                ctx.printer
                    .status(&format!("service `{name}` is published at {address}"));
            }
        }
        let state = if args.detach { "started" } else { "ready" };
        if outcome.actions == 0 {
            ctx.printer.status(&format!(
                "project `{}` is up to date: nothing to do; {services} services, {replicas} replicas {state}",
                project.name
            ));
        } else {
            ctx.printer.status(&format!(
                "project `{}`: {} actions, {services} services, {replicas} replicas {state} in {}",
                project.name,
                outcome.actions,
                seconds(started.elapsed())
            ));
        }
        Ok(())
        }
        .await;
        if let (Err(_), true, Some(keeper)) = (&result, kept, &keeper) {
            if let Err(err) = crate::session::keeper::hand_over(ctx, keeper, &project_name).await {
                ctx.printer.status(&format!("warning: {err}"));
            }
        }
        result
    })
}

/// How long `up` waits for the control plane's ingress to listen on a port.
const INGRESS_WAIT: Duration = Duration::from_secs(10);

/// How `up` names the host of a published port.
fn display_host(host_ip: Option<&str>) -> String {
    match host_ip {
        None | Some("0.0.0.0") | Some("::") => "localhost".to_string(),
        Some(ip) if ip.contains(':') => format!("[{ip}]"),
        Some(ip) => ip.to_string(),
    }
}

/// Refuses, before anything changes, the selected services whose published ports go
/// through the ingress when nothing would carry them: the ingress runs in the control
/// plane (self-heal off means none), and reaches replicas on a network the host can
/// route to (not an internal one).
fn check_ingress(
    loaded: &crate::manifest::Loaded,
    selected: &BTreeSet<String>,
    self_heal: bool,
) -> Result<(), CommandError> {
    use crate::ingress::plan::{ingress_ports, reachable_networks};
    let project = &loaded.project;
    for name in selected {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let Some(port) = ingress_ports(service).into_iter().next() else {
            continue;
        };
        let published = port.published.unwrap_or_default();
        let refusal = if !self_heal {
            Some((
                vec!["services", name.as_str(), "ports"],
                format!(
                    "service `{name}` publishes port {published} through msctl's ingress, which runs in the control plane, and self-heal is off"
                ),
                "turn self-heal on (leave out `--no-self-heal` and `MSCTL_SELF_HEAL=0`), or run one replica without `mode: ingress` so that its container binds the port".to_string(),
            ))
        } else if reachable_networks(project, service).is_empty() {
            let key = if service.network_mode.is_some() {
                "network_mode"
            } else {
                "networks"
            };
            Some((
                vec!["services", name.as_str(), key],
                format!(
                    "service `{name}` publishes port {published} through msctl's ingress, but is on no network the host can reach"
                ),
                "the ingress connects to replicas over a network that is not `internal: true` and not a `network_mode`: add one to the service".to_string(),
            ))
        } else {
            None
        };
        if let Some((path, message, hint)) = refusal {
            return Err(CommandError::Manifest(crate::manifest::LoadError {
                rendered: loaded.error_at(&path, &message, &hint),
                error_count: 1,
            }));
        }
    }
    Ok(())
}

/// What the control plane's ingress served before this `up` recorded the desired state.
struct IngressBefore {
    /// The listen addresses of the ingress ports of the desired state kept then.
    addresses: BTreeSet<String>,
    /// The id of the project's last event then.
    last_event_id: i64,
}

impl IngressBefore {
    /// Before a project handed over to `keeper`, which had let go of it: no port was
    /// served, and only its events after now count.
    async fn after(
        keeper: &crate::control::registry::Registration,
        project_name: &str,
    ) -> IngressBefore {
        let last_event_id = crate::session::keeper::events(keeper, project_name)
            .await
            .last()
            .map_or(0, |e| e.id);
        IngressBefore {
            addresses: BTreeSet::new(),
            last_event_id,
        }
    }

    fn read(ctx: &Context, project_name: &str) -> IngressBefore {
        let store = ctx.state_store().ok();
        let addresses = store
            .as_ref()
            .and_then(|store| store.desired(project_name).ok().flatten())
            .filter(|desired| desired.self_heal)
            .map(|desired| {
                crate::ingress::routes(&desired.project)
                    .into_iter()
                    .map(|route| route.address)
                    .collect()
            })
            .unwrap_or_default();
        let last_event_id = store
            .and_then(|store| store.events(Some(project_name), 0, i64::MAX).ok())
            .and_then(|events| events.last().map(|e| e.id))
            .unwrap_or(0);
        IngressBefore {
            addresses,
            last_event_id,
        }
    }
}

/// Waits until `port`'s ingress listens and accepts a TCP connection on this host, at
/// most [`INGRESS_WAIT`]: `up` returns once what it published can be reached. Something
/// else may accept connections on the port, so the control plane's `ingress` events
/// decide whether it is the ingress: a port the ingress did not serve before this `up`
/// needs a newer `listening` event; one it served must not have a newer `cannot listen`
/// or `stopped listening` event (the `listening` one may be long gone from the bounded
/// event log).
async fn wait_for_ingress(
    ctx: &Context,
    keeper: Option<&crate::control::registry::Registration>,
    project_name: &str,
    service_name: &str,
    port: &crate::manifest::model::Port,
    before: &IngressBefore,
) -> Result<(), String> {
    let listen = crate::ingress::plan::listen_address(port);
    let served_before = before.addresses.contains(&listen);
    let store = ctx.state_store().ok();
    // `None`: the ingress listens (as far as its events say); else why not (yet).
    let not_listening = |events: Vec<crate::state::StoredEvent>| -> Option<String> {
        let needle = format!("on {listen} for");
        let latest = events.into_iter().rev().find(|e| {
            e.kind == "ingress" && e.service == service_name && e.message.contains(&needle)
        });
        let fresh = |e: &crate::state::StoredEvent| served_before || e.id > before.last_event_id;
        match latest {
            Some(e) if fresh(&e) && e.message.starts_with("listening") => None,
            Some(e) if fresh(&e) => Some(e.message),
            // An event older than this `up` (or none, the log being bounded): a port
            // served before listens unless an event says otherwise.
            _ if served_before => None,
            _ => Some("the control plane has not listened on it yet".to_string()),
        }
    };
    let ip = match port.host_ip.as_deref() {
        None | Some("0.0.0.0") => "127.0.0.1",
        Some("::") => "::1",
        Some(ip) => ip,
    };
    let address = crate::ingress::plan::listen_address(&crate::manifest::model::Port {
        host_ip: Some(ip.to_string()),
        ..port.clone()
    });
    let deadline = Instant::now() + INGRESS_WAIT;
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect(&address),
        )
        .await;
        let events = match keeper {
            Some(keeper) => crate::session::keeper::events(keeper, project_name).await,
            None => store
                .as_ref()
                .and_then(|store| store.events(Some(project_name), 0, i64::MAX).ok())
                .unwrap_or_default(),
        };
        let error = match (attempt, not_listening(events)) {
            (_, Some(failure)) => failure,
            (Ok(Ok(_)), None) => return Ok(()),
            (Ok(Err(err)), None) => err.to_string(),
            (Err(_), None) => "connecting timed out".to_string(),
        };
        if Instant::now() >= deadline {
            return Err(error);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Keep what this `up` brought up as the project's desired state, for the control plane.
fn record_desired(
    ctx: &Context,
    project: &Project,
    selected: &BTreeSet<String>,
    everything: bool,
    self_heal: bool,
) -> Result<(), CommandError> {
    let failed = |e: crate::state::StateError| CommandError::Failed(e.into());
    let mut store = ctx.state_store()?;
    let previous = store.desired(&project.name).ok().flatten();
    let desired = crate::control::desired_after_up(
        previous.as_ref().map(|d| &d.project),
        project,
        selected,
        everything,
    );
    let now = crate::clock::now_ms();
    store
        .save_desired(&desired, self_heal, now)
        .map_err(failed)?;
    store
        .record_event(&crate::state::StoredEvent {
            id: 0,
            at_ms: now,
            project: project.name.clone(),
            service: String::new(),
            replica: String::new(),
            kind: "up".to_string(),
            message: format!(
                "desired state recorded: {} ({}), self-heal {}",
                desired
                    .services
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                if everything {
                    "every service"
                } else {
                    "services brought up"
                },
                if self_heal { "on" } else { "off" }
            ),
        })
        .map_err(failed)?;
    Ok(())
}

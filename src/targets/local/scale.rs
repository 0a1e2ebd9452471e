//! `msctl scale SERVICE=N...`: converge services to N replicas without touching the
//! others. The counts are desired state: kept in the state store, so a later `up` keeps
//! them until the service's replicas in the manifest change (or `up --reset-scale`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::cli::ScaleArgs;
use crate::converge::{converge, ConvergeOptions};
use crate::engine::DEFAULT_CONCURRENCY;
use crate::manifest::LoadError;
use crate::output::progress::seconds;
use crate::plan::PlanOptions;
use crate::report::Cancel;
use crate::state::ScaleOverride;

use crate::manifest::Loaded;
use crate::session::{CommandError, Context};

/// `targets`: the new count of each service named, every one a service of `loaded`.
pub fn scale(
    ctx: &Context,
    loaded: &Loaded,
    targets: &BTreeMap<String, u32>,
    args: &ScaleArgs,
) -> Result<(), CommandError> {
    let names: Vec<String> = targets.keys().cloned().collect();
    for (service, count) in targets {
        let fixed_name = loaded.project.services[service].container_name.as_deref();
        if let (Some(container_name), true) = (fixed_name, *count > 1) {
            return Err(CommandError::Manifest(LoadError {
                rendered: loaded.error_at(
                    &["services", service, "container_name"],
                    &format!(
                        "service `{service}` cannot have {count} replicas: its container is named `{container_name}`, and a name is unique"
                    ),
                    "remove `container_name` to scale the service",
                ),
                error_count: 1,
            }));
        }
    }
    for (service, count) in targets {
        let bound = crate::ingress::plan::bound_ports(&loaded.project.services[service]);
        if let (Some(port), true) = (bound.first(), *count > 1) {
            return Err(CommandError::Manifest(LoadError {
                rendered: loaded.error_at(
                    &["services", service, "ports"],
                    &format!(
                        "service `{service}` cannot have {count} replicas: its container binds host port {}, and only one container can",
                        port.published.unwrap_or_default()
                    ),
                    "give the port `mode: ingress` or `replicas` above 1 in the manifest: msctl's ingress then publishes it over every replica",
                ),
                error_count: 1,
            }));
        }
    }
    let project = loaded.project.clone();
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&project.name).await?;
        // The engine's control plane, when another state directory's and keeping the
        // project, lets go while the counts change and gets the new ones after, however
        // it ends.
        let project_name = project.name.clone();
        crate::session::keeper::taken_back(ctx, engine.as_ref(), &project_name, async {
            let cancel = Cancel::default();
            ctx.watch_interrupts(&cancel);
            let started = Instant::now();

            let mut store = ctx.state_store()?;
            let manifest_counts = project.manifest_replicas();
            let mut scale = store
                .effective_scale(&project.name, &manifest_counts)
                .map_err(|e| CommandError::Failed(e.into()))?;
            let overrides: BTreeMap<String, ScaleOverride> = targets
                .iter()
                .map(|(service, count)| {
                    (
                        service.clone(),
                        ScaleOverride {
                            replicas: *count,
                            manifest_replicas: manifest_counts.get(service).copied().unwrap_or(1),
                        },
                    )
                })
                .collect();
            store
                .set_scale(&project.name, &overrides)
                .map_err(|e| CommandError::Failed(e.into()))?;
            // Scaling runs the services again: what `stop` held back is resumed.
            store
                .release(&project.name, &names)
                .map_err(|e| CommandError::Failed(e.into()))?;
            drop(store);
            scale.extend(targets.clone());

            let selected = crate::plan::dependencies::with_dependencies(&project, &names);
            let images = ctx
                .ensure_images(
                    engine.as_ref(),
                    Some(loaded),
                    &project,
                    &selected,
                    crate::session::images::image_options(crate::build::BuildPolicy::Missing, None),
                )
                .await?;
            let mut project = project;
            crate::session::images::pin_images(&mut project, &images);

            let options = ConvergeOptions {
                plan: PlanOptions {
                    services: names.iter().cloned().collect(),
                    scale,
                    ..PlanOptions::default()
                },
                heal: crate::plan::HealOptions::default(),
                single_round: false,
                wait: !args.no_wait,
                timeout: Duration::from_secs(args.timeout),
                concurrency: DEFAULT_CONCURRENCY,
                previous: None,
            };
            let reporter = ctx.reporter();
            let result = converge(
                engine.as_ref(),
                &project,
                &options,
                reporter.as_ref(),
                &cancel,
            )
            .await;
            drop(reporter);
            match result {
                Ok(_) => {
                    let summary = targets
                        .iter()
                        .map(|(s, n)| format!("{s}={n}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    ctx.printer.status(&format!(
                        "scaled {summary} in {}",
                        seconds(started.elapsed())
                    ));
                    // The event log tells what changed the counts the control plane keeps.
                    let event = crate::state::StoredEvent {
                        id: 0,
                        at_ms: crate::clock::now_ms(),
                        project: project.name.clone(),
                        service: String::new(),
                        replica: String::new(),
                        kind: "scaled".to_string(),
                        message: format!("`msctl scale {}`", summary.replace(", ", " ")),
                    };
                    if let Err(err) = ctx.state_store()?.record_event(&event) {
                        ctx.printer
                            .status(&format!("warning: cannot record the event: {err}"));
                    }
                    Ok(())
                }
                Err(err) => Err(crate::session::explain::explain(engine.as_ref(), err).await),
            }
        })
        .await
    })
}

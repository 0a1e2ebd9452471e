//! `msctl down`: stop (each service's stop signal, then its grace period) and remove the
//! project's containers and networks; volumes only with `--volumes`, images with `--rmi`.
//! Only resources carrying this project's labels are touched. A running replica's
//! `pre_stop` hooks run before it stops; one that fails is a warning.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::cli::DownArgs;
use crate::converge::DEFAULT_CONCURRENCY;
use crate::engine::{hook_exec, Engine, EngineError, LabelFilter};
use crate::executor::Replica;
use crate::output::progress::seconds;
use crate::plan::{labels, names, ContainerState, DEFAULT_STOP_TIMEOUT};

use super::{CommandError, Context};

pub fn run(ctx: &Context, args: DownArgs) -> Result<(), CommandError> {
    // The manifest gives each service's grace period; without it (`-p NAME` after the
    // files are gone) msctl still finds everything by label.
    let (project_name, project) = ctx.project_by_name(true)?;
    if ctx.target_of(project.as_ref()) == crate::manifest::model::Target::Swarm {
        return super::swarm::down(ctx, &project_name, &args);
    }
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let lock = ctx.lock(&project_name).await?;
        let started = Instant::now();
        // First, so that the control plane does not bring back what goes next.
        ctx.state_store()?
            .forget_project(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        // The serving sweep of a kept project tells the resolver which replicas serve;
        // once it has no pass under way it sees the project forgotten and stops, so it
        // cannot tell the resolver of the project again after the next step.
        let _serving = crate::lock::ProjectLock::acquire(
            &ctx.state_dir(),
            &crate::lock::serving_lock(&project_name),
            Duration::from_secs(10),
            || {},
        )
        .await
        .ok();
        // Out of the names before anything stops; the resolver goes with the last
        // project it served.
        if let Err(err) = crate::serving::forget(engine.as_ref(), &project_name).await {
            ctx.printer.status(&format!("warning: {err}"));
        }
        let containers = engine
            .list_containers(&LabelFilter::project(&project_name))
            .await
            .map_err(failed)?;
        let in_manifest = |service: Option<&String>| match (&project, service) {
            (Some(p), Some(s)) => p.services.contains_key(s),
            (None, _) => true,
            (Some(_), None) => false,
        };
        let (remove, orphans): (Vec<_>, Vec<_>) = containers
            .into_iter()
            .partition(|c| args.remove_orphans || in_manifest(c.labels.get(labels::SERVICE)));
        for orphan in &orphans {
            ctx.printer.status(&format!(
                "warning: container `{}` belongs to a service no longer in the manifest; left alone (use --remove-orphans)",
                orphan.name
            ));
        }

        let semaphore = Semaphore::new(DEFAULT_CONCURRENCY);
        let removals = remove.iter().map(|c| {
            let grace = args.timeout.map(Duration::from_secs).unwrap_or_else(|| {
                c.labels
                    .get(labels::SERVICE)
                    .and_then(|s| project.as_ref()?.services.get(s)?.stop_grace_period)
                    .unwrap_or(DEFAULT_STOP_TIMEOUT)
            });
            let service = c
                .labels
                .get(labels::SERVICE)
                .and_then(|s| project.as_ref()?.services.get(s));
            let pre_stop: Vec<_> = match service {
                Some(service) if c.state == ContainerState::Running => {
                    service.pre_stop.iter().map(hook_exec).collect()
                }
                _ => Vec::new(),
            };
            let replica_number = c
                .labels
                .get(labels::REPLICA)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let engine = engine.as_ref();
            let semaphore = &semaphore;
            async move {
                let _permit = semaphore.acquire().await.map_err(|_| EngineError::Other {
                    operation: "down".to_string(),
                    message: "closed".to_string(),
                })?;
                if let Some(service) = service.filter(|_| !pre_stop.is_empty()) {
                    let replica = Replica::new(&service.name, replica_number, &c.id);
                    for warning in replica.pre_stop(engine, &pre_stop).await {
                        ctx.printer.status(&format!("warning: {warning}"));
                    }
                }
                engine.stop_container(&c.id, grace).await?;
                engine.remove_container(&c.id, true).await?;
                ctx.printer.status(&format!("removed container {}", c.name));
                Ok::<(), EngineError>(())
            }
        });
        for result in futures_util::future::join_all(removals).await {
            result.map_err(failed)?;
        }

        if orphans.is_empty() {
            // Every network is tried; the first that cannot go is the error, after the
            // others went.
            let mut kept = None;
            for network in engine
                .list_networks(&LabelFilter::project(&project_name))
                .await
                .map_err(failed)?
            {
                let status = |line: &str| ctx.printer.status(line);
                match remove_network(engine.as_ref(), &project_name, &network.name, &status).await
                {
                    Ok(true) => ctx
                        .printer
                        .status(&format!("removed network {}", network.name)),
                    Ok(false) => {}
                    Err(err) => {
                        kept.get_or_insert(err);
                    }
                }
            }
            if let Some(err) = kept {
                return Err(err);
            }
        }
        if args.volumes {
            for volume in engine
                .list_volumes(&LabelFilter::project(&project_name))
                .await
                .map_err(failed)?
            {
                match engine.remove_volume(&volume.name).await {
                    Ok(()) => ctx.printer.status(&format!("removed volume {}", volume.name)),
                    Err(err) if err.is_not_found() => {}
                    Err(err) => return Err(failed(err)),
                }
            }
        }
        if let Some(which) = &args.rmi {
            remove_images(ctx, engine.as_ref(), project.as_ref(), &project_name, which).await?;
        }
        let mut store = ctx.state_store()?;
        store
            .reset_scale(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        drop(lock);
        ctx.printer.status(&format!(
            "project `{project_name}` is down ({} containers removed in {})",
            remove.len(),
            seconds(started.elapsed())
        ));
        let kept = store
            .self_healing_projects()
            .map_err(|e| CommandError::Failed(e.into()))?;
        if kept.is_empty() {
            stop_control_plane(ctx);
        }
        Ok(())
    })
}

/// No project needs the background control plane any more: stop it now rather than at
/// its next resync, so that nothing `up` started outlives `down`.
fn stop_control_plane(ctx: &Context) {
    let stopped =
        crate::control::process::stop_background(&ctx.state_dir(), Duration::from_secs(10));
    match stopped {
        Ok(Some(pid)) => ctx.printer.status(&format!(
            "control plane stopped (pid {pid}): no project has self-heal on"
        )),
        Ok(None) => {}
        Err(err) => ctx.printer.status(&format!("warning: {err}")),
    }
}

/// How often `down` tries a network that still has endpoints once it cleared them.
const NETWORK_ATTEMPTS: u32 = 5;

/// Removes one of the project's networks once its containers are gone; `false` when it
/// was gone already. Endpoints still on it are dealt with by whose they are:
/// - a container that no longer exists left a stale endpoint behind (Docker can, when a
///   container is attached to a network while it stops): it is removed by force;
/// - a container of this project that appeared after the listing is removed;
/// - a container of anything else is an error naming it: `down` does not remove what is
///   not the project's.
async fn remove_network(
    engine: &dyn Engine,
    project_name: &str,
    network: &str,
    status: &(dyn Fn(&str) + Sync),
) -> Result<bool, CommandError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match engine.remove_network(network).await {
            Ok(()) => return Ok(true),
            Err(err) if err.is_not_found() => return Ok(false),
            Err(err) if err.is_conflict() && attempt < NETWORK_ATTEMPTS => err,
            Err(err) => return Err(failed(err)),
        };
        let endpoints = match engine.network_endpoints(network).await {
            Ok(endpoints) => endpoints,
            Err(found) if found.is_not_found() => return Ok(false),
            Err(_) => return Err(failed(err)),
        };
        let mut foreign = Vec::new();
        for endpoint in endpoints {
            match engine.inspect_container(&endpoint.container_id).await {
                Err(gone) if gone.is_not_found() => {
                    status(&format!(
                        "network {network}: removing the endpoint `{}` its container left behind",
                        endpoint.name
                    ));
                    engine
                        .remove_stale_endpoint(network, &endpoint.name)
                        .await
                        .map_err(failed)?;
                }
                Err(other) => return Err(failed(other)),
                Ok(found)
                    if found
                        .summary
                        .labels
                        .get(labels::PROJECT)
                        .map(String::as_str)
                        == Some(project_name) =>
                {
                    engine
                        .stop_container(&found.summary.id, DEFAULT_STOP_TIMEOUT)
                        .await
                        .map_err(failed)?;
                    engine
                        .remove_container(&found.summary.id, true)
                        .await
                        .map_err(failed)?;
                    status(&format!("removed container {}", found.summary.name));
                }
                Ok(found) => foreign.push(found.summary.name),
            }
        }
        if !foreign.is_empty() {
            let names = foreign
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "network `{network}` of project `{project_name}` is still used by {names}, which {} not part of the project",
                    if foreign.len() == 1 { "is" } else { "are" }
                ),
                format!(
                    "disconnect it (`docker network disconnect {network} {}`) or remove it, then run `msctl down` again",
                    foreign[0]
                ),
            ));
        }
        // An endpoint whose container is just going can take a moment to go with it.
        tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
    }
}

/// `local`: images msctl built for the project; `all`: also the images services name.
async fn remove_images(
    ctx: &Context,
    engine: &dyn Engine,
    project: Option<&crate::manifest::model::Project>,
    project_name: &str,
    which: &str,
) -> Result<(), CommandError> {
    let Some(project) = project else {
        return Err(CommandError::hinted(
            anyhow::anyhow!("`--rmi` needs the project's manifest to know its images"),
            "run `down --rmi` where the manifest is, or without `--rmi`",
        ));
    };
    let mut images = BTreeSet::new();
    for service in project.services.values() {
        let built = service.build.is_some() || service.extensions.build.is_some();
        if built || which == "all" {
            images.insert(names::image_name(project_name, service));
        }
    }
    for image in images {
        match engine.remove_image(&image).await {
            Ok(()) => ctx.printer.status(&format!("removed image {image}")),
            Err(err) if err.is_not_found() => {}
            Err(err) if err.is_conflict() => ctx
                .printer
                .status(&format!("warning: image {image} is still in use; kept")),
            Err(err) => return Err(failed(err)),
        }
    }
    Ok(())
}

fn failed(err: EngineError) -> CommandError {
    CommandError::Failed(err.into())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::engine::ContainerSummary;
    use crate::plan::Health;

    fn project_labels(project: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(labels::PROJECT.to_string(), project.to_string())])
    }

    fn container(id: &str, name: &str, project: &str, network: &str) -> ContainerSummary {
        ContainerSummary {
            id: id.to_string(),
            name: name.to_string(),
            image: "shop/orders".to_string(),
            labels: project_labels(project),
            state: ContainerState::Running,
            health: Health::None,
            network_mode: None,
            networks: vec![network.to_string()],
        }
    }

    async fn remove(engine: &FakeEngine) -> (Result<bool, CommandError>, Vec<String>) {
        let lines = Mutex::new(Vec::new());
        let status = |line: &str| lines.lock().expect("lines").push(line.to_string());
        let removed = remove_network(engine, "shop", "shop_default", &status).await;
        (removed, lines.into_inner().expect("lines"))
    }

    #[tokio::test]
    async fn an_endpoint_left_behind_by_a_gone_container_is_cleared_and_the_network_removed() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_stale_endpoint("shop_default", "shop-payments-1");
        let (removed, lines) = remove(&engine).await;
        assert!(removed.expect("removed"), "the network was there");
        assert!(engine.networks().is_empty(), "{:?}", engine.networks());
        assert_eq!(
            lines,
            ["network shop_default: removing the endpoint `shop-payments-1` its container left behind"]
        );
    }

    #[tokio::test]
    async fn a_container_of_the_project_that_came_late_is_removed_with_the_network() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_container(container("c1", "shop-orders-2", "shop", "shop_default"));
        let (removed, lines) = remove(&engine).await;
        assert!(removed.expect("removed"));
        assert!(engine.containers().is_empty());
        assert!(engine.networks().is_empty());
        assert_eq!(lines, ["removed container shop-orders-2"]);
    }

    #[tokio::test]
    async fn a_container_of_another_project_on_the_network_is_an_error_naming_it_and_kept() {
        let engine = FakeEngine::new();
        engine.add_network("shop_default", project_labels("shop"));
        engine.add_container(container("c9", "debugger", "tools", "shop_default"));
        let (removed, _) = remove(&engine).await;
        let err = removed.expect_err("refused");
        let text = format!("{err}");
        assert!(
            text.contains("`debugger`") && text.contains("shop_default"),
            "{text}"
        );
        let CommandError::Hinted { hint, .. } = err else {
            panic!("no hint: {err:?}");
        };
        assert!(
            hint.contains("docker network disconnect shop_default debugger"),
            "{hint}"
        );
        assert_eq!(
            engine.containers().len(),
            1,
            "another project's container is kept"
        );
        assert_eq!(
            engine.networks().len(),
            1,
            "the network stays while it is used"
        );
    }

    #[tokio::test]
    async fn a_network_already_gone_is_not_an_error() {
        let engine = FakeEngine::new();
        let (removed, lines) = remove(&engine).await;
        assert!(!removed.expect("no error"));
        assert!(lines.is_empty());
    }
}

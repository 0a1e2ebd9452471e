//! The Swarm target's commands on running services: `down`, `ps`, `scale`, `restart` and
//! `rollback`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::cli::{DownArgs, Format, PsArgs, RestartArgs, RollbackArgs};
use crate::manifest::model::Project;
use crate::output::progress::seconds;
use crate::session::{CommandError, Context};

use super::stack as swarm;
use super::stack::SwarmError;
use super::{begin, connect, failed, find_service};

pub(super) fn down(ctx: &Context, project: &str, args: &DownArgs) -> Result<(), CommandError> {
    if args.rmi.is_some() {
        return Err(CommandError::Usage(
            "`down --rmi` works on the local target; on a Swarm each node keeps its images"
                .to_string(),
        ));
    }
    ctx.block_on(async {
        let swarm = connect(ctx).await?;
        let lock = ctx.lock(project).await?;
        let printer = ctx.printer;
        let report = |line: &str| printer.status(line);
        let timeout = Duration::from_secs(args.timeout.unwrap_or(10).max(10) + 50);
        let removed = swarm::down(&swarm, project, args.volumes, timeout, &report)
            .await
            .map_err(failed)?;
        drop(lock);
        let mut store = ctx.state_store()?;
        store
            .forget_project(project)
            .map_err(|e| CommandError::Failed(e.into()))?;
        if removed == 0 {
            ctx.printer
                .status(&format!("project `{project}` has nothing on the Swarm"));
        } else {
            ctx.printer.status(&format!(
                "project `{project}` is down on the Swarm: {removed} objects removed"
            ));
        }
        Ok(())
    })
}

pub(super) fn ps(ctx: &Context, project: &str, args: &PsArgs) -> Result<(), CommandError> {
    ctx.block_on(async {
        let swarm = connect(ctx).await?;
        let rows = swarm::ps(&swarm, project, &args.services, args.all)
            .await
            .map_err(failed)?;
        let out = if args.ids {
            rows.iter()
                .map(|r| format!("{}\n", r.task))
                .collect::<String>()
        } else {
            match ctx.global.format {
                Some(Format::Json) => {
                    let mut text = serde_json::to_string_pretty(&rows)
                        .map_err(|e| CommandError::Failed(e.into()))?;
                    text.push('\n');
                    text
                }
                Some(Format::Yaml) => {
                    serde_norway::to_string(&rows).map_err(|e| CommandError::Failed(e.into()))?
                }
                _ => table(&rows),
            }
        };
        let _ = ctx.printer.data(&out);
        Ok(())
    })
}

fn table(rows: &[swarm::TaskRow]) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    let header = [
        "NAME", "SERVICE", "NODE", "IMAGE", "DESIRED", "STATE", "PORTS", "ERROR",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for row in rows {
        let elapsed = (now - row.since).max(0);
        cells.push(vec![
            row.name.clone(),
            row.service.clone(),
            row.node.clone(),
            row.image.clone(),
            row.desired.clone(),
            format!("{} {}", row.state, age(elapsed)),
            row.ports.join(", "),
            row.error.clone(),
        ]);
    }
    crate::output::table::columns(&cells, "   ")
}

pub(super) fn scale(
    ctx: &Context,
    project: &Project,
    targets: &BTreeMap<String, u32>,
    wait: bool,
    timeout: u64,
) -> Result<(), CommandError> {
    ctx.block_on(async {
        let (swarm, lock, cancel) = begin(ctx, &project.name).await?;
        let started = Instant::now();
        for name in targets.keys() {
            if project.services[name].deploy.global {
                return Err(CommandError::hinted(
                    anyhow::anyhow!("service `{name}` is global: it runs one task on every node"),
                    "set `deploy.mode: replicated` to choose a count",
                ));
            }
        }
        // Check every service first: nothing changes unless all can.
        let mut found = Vec::new();
        for name in targets.keys() {
            found.push(find_service(&swarm, &project.name, name).await?);
        }
        let nodes = swarm.nodes().await.map_err(|e| failed(e.into()))?;
        let problems: Vec<String> = targets
            .iter()
            .filter_map(|(name, count)| {
                swarm::host_ports_overflow(&project.services[name], *count, &nodes)
            })
            .collect();
        if !problems.is_empty() {
            return Err(failed(SwarmError::Refused(problems)));
        }
        let mut store = ctx.state_store()?;
        let counts = targets
            .iter()
            .map(|(name, count)| {
                (
                    name.clone(),
                    crate::state::ScaleOverride {
                        replicas: *count,
                        manifest_replicas: project.services[name].replicas(),
                    },
                )
            })
            .collect();
        store
            .set_scale(&project.name, &counts)
            .map_err(|e| CommandError::Failed(e.into()))?;
        drop(store);
        for (service, count) in found.iter().zip(targets.values()) {
            swarm::scale_service(&swarm, &service.id, u64::from(*count))
                .await
                .map_err(failed)?;
            ctx.printer.status(&format!(
                "scale service {} from {} to {count} replicas",
                service.name,
                service.replicas.unwrap_or_default()
            ));
        }
        if wait {
            let deadline = Instant::now() + Duration::from_secs(timeout);
            for name in targets.keys() {
                swarm::wait_service(&swarm, project, name, false, true, deadline, &|| {
                    cancel.is_cancelled()
                })
                .await
                .map_err(failed)?;
            }
        }
        drop(lock);
        let summary: Vec<String> = targets.iter().map(|(n, c)| format!("{n}={c}")).collect();
        ctx.printer.status(&format!(
            "scaled {} on the Swarm in {}",
            summary.join(" "),
            seconds(started.elapsed())
        ));
        Ok(())
    })
}

pub(super) fn restart(
    ctx: &Context,
    project: &Project,
    args: &RestartArgs,
) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let names: Vec<String> = if args.services.is_empty() {
        project.services.keys().cloned().collect()
    } else {
        args.services.clone()
    };
    ctx.block_on(async {
        let (swarm, lock, cancel) = begin(ctx, &project.name).await?;
        let mut found = Vec::new();
        for name in &names {
            found.push(find_service(&swarm, &project.name, name).await?);
        }
        let deadline = Instant::now() + Duration::from_secs(args.ready_timeout);
        for (service, name) in found.iter().zip(&names) {
            swarm::restart_service(&swarm, &service.id)
                .await
                .map_err(failed)?;
            ctx.printer.status(&format!(
                "restarting service {} (a rolling update of its tasks)",
                service.name
            ));
            swarm::wait_service(&swarm, project, name, true, true, deadline, &|| {
                cancel.is_cancelled()
            })
            .await
            .map_err(failed)?;
            ctx.printer
                .status(&format!("service {} restarted", service.name));
        }
        drop(lock);
        Ok(())
    })
}

pub(super) fn rollback(
    ctx: &Context,
    project: &Project,
    args: &RollbackArgs,
) -> Result<(), CommandError> {
    ctx.check_services(project, std::slice::from_ref(&args.service))?;
    ctx.block_on(async {
        let (swarm, lock, cancel) = begin(ctx, &project.name).await?;
        let service = find_service(&swarm, &project.name, &args.service).await?;
        // The Swarm's clock says when a rollback began: ours is one it began after this.
        let asked = crate::clock::now_seconds() - 1;
        swarm::rollback_service(&swarm, &service.id)
            .await
            .map_err(|err| match err {
                SwarmError::Engine(e) => CommandError::hinted(
                    e,
                    format!("the Swarm keeps one earlier spec of a service; `{}` has none to return to until an update has run", service.name),
                ),
                other => failed(other),
            })?;
        ctx.printer
            .status(&format!("rolling back service {}", service.name));
        let deadline = Instant::now() + Duration::from_secs(args.timeout);
        // A rollback the Swarm completes ends in `rollback_completed`: success here.
        loop {
            if cancel.is_cancelled() {
                return Err(CommandError::Interrupted);
            }
            let now = find_service(&swarm, &project.name, &args.service).await?;
            match now.update_state.as_str() {
                _ if now.update_started < asked && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await
                }
                "rollback_completed" => break,
                "rollback_paused" => {
                    return Err(failed(SwarmError::Paused {
                        service: args.service.clone(),
                        message: now.update_message,
                    }))
                }
                _ if Instant::now() >= deadline => {
                    return Err(CommandError::Failed(anyhow::anyhow!(
                        "service `{}`: the rollback did not finish within {}s (state: {})",
                        args.service,
                        args.timeout,
                        now.update_state
                    )))
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        swarm::wait_service(&swarm, project, &args.service, false, true, deadline, &|| cancel.is_cancelled())
            .await
            .map_err(failed)?;
        drop(lock);
        let now = find_service(&swarm, &project.name, &args.service).await?;
        ctx.printer.status(&format!(
            "service {} rolled back to image {}",
            now.name,
            swarm::short_id(&now.image)
        ));
        Ok(())
    })
}

/// "3 seconds ago", as `docker service ps` says it.
fn age(seconds: i64) -> String {
    match seconds {
        0..=59 => format!("{seconds} seconds ago"),
        60..=3599 => format!("{} minutes ago", seconds / 60),
        3600..=86399 => format!("{} hours ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86400),
    }
}

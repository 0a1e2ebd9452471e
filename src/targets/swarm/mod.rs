//! The Swarm target (`--target swarm`, `x-msctl.target: swarm`): each command's
//! arguments turned into calls of [`stack`], which does what `docker stack` does (translate,
//! plan, apply, remove, list) with msctl's checks and waits.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::cli::{
    DownArgs, ExecArgs, Format, ImagesArgs, KillArgs, LogsArgs, PauseArgs, PortArgs, PsArgs,
    RestartArgs, RollbackArgs, ScaleArgs, StartArgs, StopArgs, TopArgs, UpArgs, WatchArgs,
};
use crate::engine::swarm::{service_name, SwarmEngine};
use crate::engine::LogOptions;
use crate::manifest::model::{Project, Service};
use crate::manifest::reference::Reference;
use crate::manifest::Loaded;
use crate::output::progress::seconds;
use crate::session::planning::Planning;
mod stack;

use self::stack as swarm;
use self::stack::SwarmError;

use crate::session::{CommandError, Context};

mod logs;
use self::logs::logs;

/// Why `stop`, `start` and `kill` have no meaning on a Swarm.
const SCALE_INSTEAD: &str = "the Swarm restarts a service's tasks whatever ends them; `msctl scale SERVICE=0` stops them, `scale SERVICE=N` brings them back";

/// A Swarm as a [`super::Target`]: the manifest translated to Swarm services, which the
/// Swarm's managers schedule, heal and update.
pub struct Swarm;

impl super::Target for Swarm {
    fn up(&self, ctx: &Context, loaded: &Loaded, args: UpArgs) -> Result<(), CommandError> {
        up(ctx, loaded, args)
    }

    fn plan(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        planning: &Planning,
    ) -> Result<usize, CommandError> {
        plan_changes(ctx, loaded, planning)
    }

    fn down(
        &self,
        ctx: &Context,
        project_name: &str,
        _project: Option<&Project>,
        args: &DownArgs,
    ) -> Result<(), CommandError> {
        down(ctx, project_name, args)
    }

    fn ps(&self, ctx: &Context, project_name: &str, args: &PsArgs) -> Result<(), CommandError> {
        ps(ctx, project_name, args)
    }

    fn scale(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        counts: &BTreeMap<String, u32>,
        args: &ScaleArgs,
    ) -> Result<(), CommandError> {
        scale(ctx, &loaded.project, counts, !args.no_wait, args.timeout)
    }

    fn logs(
        &self,
        ctx: &Context,
        project: &Project,
        args: &LogsArgs,
        asked: &crate::session::log_output::Asked,
    ) -> Result<(), CommandError> {
        logs(ctx, project, args, asked)
    }

    fn restart(
        &self,
        ctx: &Context,
        project: &Project,
        args: &RestartArgs,
    ) -> Result<(), CommandError> {
        restart(ctx, project, args)
    }

    fn exec(&self, ctx: &Context, project: &Project, _args: &ExecArgs) -> Result<(), CommandError> {
        ctx.local_only(
            "exec",
            project,
            "a task's container is on the node the Swarm chose; run `docker exec` there (`msctl ps` names the node)",
        )
    }

    fn top(&self, ctx: &Context, project: &Project, _args: &TopArgs) -> Result<(), CommandError> {
        ctx.local_only(
            "top",
            project,
            "a task's processes are on the node the Swarm chose; run `docker top` there (`msctl ps` names the node)",
        )
    }

    fn port(&self, ctx: &Context, project: &Project, _args: &PortArgs) -> Result<(), CommandError> {
        ctx.local_only(
            "port",
            project,
            "the Swarm publishes a service's ports on every node through its routing mesh; `msctl config` shows them",
        )
    }

    fn images(
        &self,
        ctx: &Context,
        project: &Project,
        _args: &ImagesArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only(
            "images",
            project,
            "each node keeps the images of the tasks it runs; `docker image ls` on a node lists them",
        )
    }

    fn stop(&self, ctx: &Context, project: &Project, _args: &StopArgs) -> Result<(), CommandError> {
        ctx.local_only("stop", project, SCALE_INSTEAD)
    }

    fn start(
        &self,
        ctx: &Context,
        project: &Project,
        _args: &StartArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only("start", project, SCALE_INSTEAD)
    }

    fn kill(&self, ctx: &Context, project: &Project, _args: &KillArgs) -> Result<(), CommandError> {
        ctx.local_only("kill", project, SCALE_INSTEAD)
    }

    fn pause(
        &self,
        ctx: &Context,
        project: &Project,
        _args: &PauseArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only("pause", project, SCALE_INSTEAD)
    }

    fn unpause(
        &self,
        ctx: &Context,
        project: &Project,
        _args: &PauseArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only("unpause", project, SCALE_INSTEAD)
    }

    fn watch(&self, ctx: &Context, loaded: &Loaded, _args: &WatchArgs) -> Result<(), CommandError> {
        ctx.local_only(
            "watch",
            &loaded.project,
            "a Swarm runs images from a registry on nodes msctl does not build on; rebuild with `msctl build`, `msctl push` and `msctl up` instead",
        )
    }

    fn rollback(
        &self,
        ctx: &Context,
        project: &Project,
        args: &RollbackArgs,
    ) -> Result<(), CommandError> {
        rollback(ctx, project, args)
    }
}

/// Where a built service's image is pushed for the nodes to pull: only when a registry
/// is named, by `x-msctl.registry` or by the image name's host.
fn registry_push_target(project: &Project, service: &Service) -> Option<String> {
    let named = project.registry.is_some()
        || service
            .image
            .as_deref()
            .is_some_and(|image| Reference::parse(image).registry_named);
    named
        .then(|| crate::images::push::push_target(project, service))
        .flatten()
}

/// The services whose image the nodes pull from a registry, by digest: built ones
/// pushed to their [`registry_push_target`], and those whose image name has a registry
/// host and that the engine has by digest from it. The registries' credentials go with
/// the service specs, so that the nodes can pull.
async fn registry_images(
    ctx: &Context,
    swarm: &SwarmEngine,
    engine: &dyn crate::engine::Engine,
    project: &Project,
    images: &BTreeMap<String, (String, String)>,
) -> Result<BTreeMap<String, String>, CommandError> {
    let mut pinned = BTreeMap::new();
    let mut jobs = Vec::new();
    for (name, (_, local)) in images {
        let service = &project.services[name];
        if crate::build::build_spec(service).is_some() {
            if let Some(target) = registry_push_target(project, service) {
                jobs.push(crate::images::push::PushJob {
                    service: name.clone(),
                    local: local.clone(),
                    target,
                });
            }
            continue;
        }
        let Some(image) = service.image.as_deref() else {
            continue;
        };
        if !Reference::parse(image).registry_named {
            continue;
        }
        let repository = crate::engine::split_image_tag(image).0;
        if let Some(by_digest) = digest_in(engine, image, &repository).await? {
            pinned.insert(name.clone(), by_digest);
        }
    }
    let config = ctx.docker_config()?;
    if !jobs.is_empty() {
        let reporter = crate::images::progress::reporter(ctx.printer, false);
        let results = crate::images::push::push_all(
            engine,
            &jobs,
            &config,
            reporter.as_ref(),
            crate::images::pull::PULL_CONCURRENCY,
        )
        .await
        .map_err(push_failed)?;
        for result in results {
            let pushed = result.map_err(push_failed)?;
            pinned.insert(pushed.service.clone(), pushed.pinned());
        }
    }
    let services: Vec<(String, Vec<String>)> = pinned
        .iter()
        .map(|(name, image)| (image.clone(), vec![name.clone()]))
        .collect();
    let auths = crate::images::pull::credentials_by_registry(
        &config,
        services
            .iter()
            .map(|(image, names)| (image.as_str(), names.as_slice())),
    )
    .await
    .map_err(push_failed)?;
    swarm.set_registry_auths(
        auths
            .into_iter()
            .filter_map(|(r, a)| a.map(|a| (r, a)))
            .collect(),
    );
    Ok(pinned)
}

/// `REPOSITORY@sha256:...` when the engine's `image` (a name or an id) was pulled from,
/// or pushed to, `repository` (its repo digests): the reference the nodes pull.
async fn digest_in(
    engine: &dyn crate::engine::Engine,
    image: &str,
    repository: &str,
) -> Result<Option<String>, CommandError> {
    let found = engine
        .inspect_image(image)
        .await
        .map_err(|e| CommandError::Failed(e.into()))?;
    Ok(found.and_then(|found| {
        found.repo_digests.into_iter().find(|d| {
            d.split_once('@')
                .is_some_and(|(repo, _)| repo == repository)
        })
    }))
}

fn push_failed(err: crate::images::PullError) -> CommandError {
    CommandError::with_hint(err.hint(), err)
}

fn failed(err: SwarmError) -> CommandError {
    match err {
        SwarmError::Interrupted => CommandError::Interrupted,
        err => CommandError::with_hint(err.hint(), err),
    }
}

async fn connect(ctx: &Context) -> Result<SwarmEngine, CommandError> {
    swarm::connect(&ctx.environment).await.map_err(failed)
}

/// What a command that changes a Swarm project starts with: the manager, the project's
/// lock, and a Ctrl-C that stops msctl's wait (what the Swarm was asked to do, it goes on
/// doing).
async fn begin(
    ctx: &Context,
    project: &str,
) -> Result<(SwarmEngine, crate::lock::ProjectLock, crate::report::Cancel), CommandError> {
    let swarm = connect(ctx).await?;
    let lock = ctx.lock(project).await?;
    let cancel = crate::report::Cancel::default();
    ctx.watch_interrupts(&cancel);
    Ok((swarm, lock, cancel))
}

/// The Swarm service of a manifest service, or a clear error.
async fn find_service(
    swarm: &SwarmEngine,
    project: &str,
    name: &str,
) -> Result<crate::engine::swarm::ServiceInfo, CommandError> {
    let services = swarm
        .services(project)
        .await
        .map_err(|e| failed(e.into()))?;
    services
        .into_iter()
        .find(|s| s.service == name)
        .ok_or_else(|| {
            CommandError::hinted(
                anyhow::anyhow!(
                    "service `{name}` of project `{project}` is not on the Swarm ({} does not exist)",
                    service_name(project, name)
                ),
                "`msctl up` creates it",
            )
        })
}

/// What `up` and `plan` share: images, scale, translation, node checks, the plan.
struct Planned {
    prepared: swarm::Prepared,
    observed: swarm::Observed,
    actions: Vec<swarm::SwarmAction>,
    /// Service -> (image id, image name), for sending to the nodes.
    images: BTreeMap<String, (String, String)>,
    nodes: Vec<crate::engine::swarm::NodeInfo>,
    own_node: String,
    /// Images to build, as plan lines.
    builds: Vec<String>,
}

/// Pull and build the images (`build`), or only say what would be pulled and built,
/// then translate, check and plan. With a registry (`x-msctl.registry`, or an image
/// name's host), the images go through it: built ones are pushed, and every service
/// whose image is in a registry runs it by digest, which the nodes pull.
async fn prepare(
    ctx: &Context,
    swarm: &SwarmEngine,
    loaded: &Loaded,
    options: &Planning,
    build: bool,
) -> Result<Planned, CommandError> {
    let project = &loaded.project;
    let engine = ctx.engine().await?;
    let selected = crate::plan::dependencies::with_dependencies(project, &options.services);
    let image_options = crate::images::ImageOptions {
        pull: options.pull,
        build: options.policy,
    };
    let mut images: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut builds = Vec::new();
    if build {
        let got = ctx
            .ensure_images(
                engine.as_ref(),
                Some(loaded),
                project,
                &selected,
                image_options,
            )
            .await?;
        for (name, image) in got {
            images.insert(name, (image.id, image.name));
        }
        let via_registry = registry_images(ctx, swarm, engine.as_ref(), project, &images).await?;
        for (name, pinned) in via_registry {
            images.insert(name, (pinned.clone(), pinned));
        }
    } else {
        let (lines, ids) = ctx
            .plan_images(
                engine.as_ref(),
                Some(loaded),
                project,
                &selected,
                image_options,
            )
            .await?;
        builds = lines;
        for (name, id) in ids {
            let image = crate::plan::names::image_name(&project.name, &project.services[&name]);
            images.insert(name, (id, image));
        }
        // What `up` would run by digest, as `registry_images` pins it: a built image the
        // engine pushed to its target already (a push would change nothing), and an image
        // of a registry the engine has from there.
        for name in &selected {
            let service = &project.services[name];
            let pinned = if crate::build::build_spec(service).is_some() {
                let Some(target) = registry_push_target(project, service) else {
                    continue;
                };
                let repository = crate::engine::split_image_tag(&target).0;
                let pushed = match images.get(name) {
                    Some((id, _)) if id.starts_with("sha256:") => {
                        digest_in(engine.as_ref(), id, &repository).await?
                    }
                    _ => None,
                };
                if pushed.is_none() {
                    builds.push(format!(
                        "push image {target} (service:{name}, the nodes pull it)"
                    ));
                }
                pushed
            } else {
                match service.image.as_deref() {
                    Some(image) if Reference::parse(image).registry_named => {
                        let repository = crate::engine::split_image_tag(image).0;
                        digest_in(engine.as_ref(), image, &repository).await?
                    }
                    _ => None,
                }
            };
            if let Some(pinned) = pinned {
                images.insert(name.clone(), (pinned.clone(), pinned));
            }
        }
    }
    for name in &selected {
        if images.contains_key(name) {
            continue;
        }
        let service = &project.services[name];
        let image = crate::plan::names::image_name(&project.name, service);
        if let Some(id) = swarm.image_id(&image).await.map_err(|e| failed(e.into()))? {
            images.insert(name.clone(), (id, image));
        }
    }
    let ids: BTreeMap<String, String> = images
        .iter()
        .map(|(name, (id, _))| (name.clone(), id.clone()))
        .collect();

    let scale = ctx.replica_counts(project, options.reset_scale)?;

    let prepared = swarm::prepare(
        project,
        &selected,
        &ids,
        &ctx.environment,
        swarm.api_version(),
    )
    .map_err(failed)?;
    for warning in &prepared.warnings {
        ctx.printer.status(&format!("warning: {warning}"));
    }
    let status = swarm.status().await.map_err(|e| failed(e.into()))?;
    let nodes = swarm.nodes().await.map_err(|e| failed(e.into()))?;
    swarm::check_nodes(project, &prepared, &scale, &nodes, &status.node_id).map_err(failed)?;
    swarm::check_external_networks(swarm, project, &prepared)
        .await
        .map_err(failed)?;
    for warning in
        swarm::external_volume_warnings(swarm, project, &prepared, &nodes, &status.node_id)
            .await
            .map_err(failed)?
    {
        ctx.printer.status(&format!("warning: {warning}"));
    }
    let observed = swarm::observe(swarm, &project.name).await.map_err(failed)?;
    let mut actions = swarm::plan(
        project,
        &prepared,
        &observed,
        &scale,
        options.remove_orphans,
        options.force_recreate,
    );
    if options.no_recreate {
        actions.retain(|a| !matches!(a, swarm::SwarmAction::UpdateService { .. }));
    }
    Ok(Planned {
        prepared,
        observed,
        actions,
        images,
        nodes,
        own_node: status.node_id,
        builds,
    })
}

fn up(ctx: &Context, loaded: &Loaded, args: UpArgs) -> Result<(), CommandError> {
    let project = loaded.project.clone();
    ctx.check_services(&project, &args.services)?;
    ctx.block_on(async {
        let (swarm, lock, cancel) = begin(ctx, &project.name).await?;
        let started = Instant::now();
        if args.reset_scale {
            ctx.state_store()?
                .reset_scale(&project.name)
                .map_err(|e| CommandError::Failed(e.into()))?;
        }
        let planning = Planning::of_up(&args, false);
        let prepared = prepare(ctx, &swarm, loaded, &planning, true).await?;
        let printer = ctx.printer;
        let report = |line: &str| printer.status(line);
        let sent = swarm::distribute_images(
            &swarm,
            &prepared.nodes,
            &prepared.own_node,
            &prepared.images,
            &report,
        )
        .await
        .map_err(failed)?;
        if cancel.is_cancelled() {
            return Err(CommandError::Interrupted);
        }
        let deadline = Instant::now() + Duration::from_secs(args.timeout);
        let cancelled = || cancel.is_cancelled();
        swarm::apply(
            &swarm,
            &project,
            &prepared.prepared,
            &prepared.actions,
            &prepared.observed,
            !args.detach,
            deadline,
            &report,
            &cancelled,
        )
        .await
        .map_err(failed)?;
        drop(lock);
        for (name, _) in &prepared.prepared.services {
            let service = &project.services[name];
            for port in service.ports.iter().filter(|p| p.published.is_some()) {
                ctx.printer.status(&format!(
                    "service `{name}` is published on port {} of {}",
                    port.published.unwrap_or_default(),
                    match crate::engine::swarm::publish_mode(service, port.mode) {
                        crate::manifest::model::PortMode::Host => "the nodes that run it",
                        crate::manifest::model::PortMode::Ingress => "every node (routing mesh)",
                    }
                ));
            }
        }
        let services = prepared.prepared.services.len();
        let state = if args.detach { "updated" } else { "running" };
        let changes = prepared.actions.len() + sent;
        if changes == 0 {
            ctx.printer.status(&format!(
                "project `{}` is up to date on the Swarm: nothing to do; {services} services {state}",
                project.name
            ));
        } else {
            ctx.printer.status(&format!(
                "project `{}` on the Swarm: {changes} changes, {services} services {state} in {}",
                project.name,
                seconds(started.elapsed())
            ));
        }
        Ok(())
    })
}

/// `plan` (and `up --dry-run`) of a Swarm project: what `up` would change; the number
/// of changes.
fn plan_changes(
    ctx: &Context,
    loaded: &Loaded,
    planning: &Planning,
) -> Result<usize, CommandError> {
    let project = &loaded.project;
    ctx.block_on(async {
        let swarm = connect(ctx).await?;
        let prepared = prepare(ctx, &swarm, loaded, planning, false).await?;
        let mut lines = prepared.builds.clone();
        lines.extend(prepared.actions.iter().map(ToString::to_string));
        Ok(crate::session::planning::print_lines(
            ctx,
            &project.name,
            &lines,
            " on the Swarm",
        ))
    })
}

fn down(ctx: &Context, project: &str, args: &DownArgs) -> Result<(), CommandError> {
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

fn ps(ctx: &Context, project: &str, args: &PsArgs) -> Result<(), CommandError> {
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

fn scale(
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

fn restart(ctx: &Context, project: &Project, args: &RestartArgs) -> Result<(), CommandError> {
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

fn rollback(ctx: &Context, project: &Project, args: &RollbackArgs) -> Result<(), CommandError> {
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

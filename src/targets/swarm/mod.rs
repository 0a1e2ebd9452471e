//! The Swarm target (`--target swarm`, `x-msctl.target: swarm`): each command's
//! arguments turned into calls of [`stack`], which does what `docker stack` does (translate,
//! plan, apply, remove, list) with msctl's checks and waits.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::cli::{
    AttachArgs, CpArgs, CreateArgs, DownArgs, ExecArgs, ImagesArgs, KillArgs, LogsArgs, PauseArgs,
    PortArgs, PsArgs, RestartArgs, RmArgs, RollbackArgs, RunArgs, ScaleArgs, StartArgs, StatsArgs,
    StopArgs, TopArgs, UpArgs, WaitArgs, WatchArgs,
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
mod services;
use self::logs::logs;
use self::services::{down, ps, restart, rollback, scale};

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

    fn run(&self, ctx: &Context, loaded: &Loaded, _args: &RunArgs) -> Result<(), CommandError> {
        ctx.local_only(
            "run",
            &loaded.project,
            "a one-off task has no place in a Swarm stack; run it on this engine with `--target local`, or `docker run` on a node",
        )
    }

    fn rm(&self, ctx: &Context, project: &Project, _args: &RmArgs) -> Result<(), CommandError> {
        ctx.local_only("rm", project, "the Swarm removes a service's ended tasks by itself (its task history limit); `msctl down` removes the stack")
    }

    fn wait(&self, ctx: &Context, project: &Project, _args: &WaitArgs) -> Result<(), CommandError> {
        ctx.local_only("wait", project, "the Swarm starts a new task whenever one ends, so a service's tasks never all stop; `msctl ps` shows each task's state")
    }

    fn create(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        _args: &CreateArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only("create", &loaded.project, "a Swarm service's tasks are created and started by the Swarm together; `msctl up` deploys the stack")
    }

    fn attach(
        &self,
        ctx: &Context,
        project: &Project,
        _args: &AttachArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only("attach", project, "a task's process is on the node the Swarm chose; `msctl logs` follows its output from here")
    }

    fn cp(&self, ctx: &Context, project: &Project, _args: &CpArgs) -> Result<(), CommandError> {
        ctx.local_only("cp", project, "a task's files are on the node the Swarm chose, and a replacement task starts from the image; use `configs`, `secrets` or a volume")
    }

    fn stats(
        &self,
        ctx: &Context,
        project: &Project,
        _args: &StatsArgs,
    ) -> Result<(), CommandError> {
        ctx.local_only("stats", project, "a task's resource use is measured on the node the Swarm chose; run `docker stats` there (`msctl ps` names the node)")
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

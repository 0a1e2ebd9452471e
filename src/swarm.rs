//! The Swarm target: a project's services run as Swarm services, which the Swarm
//! schedules on its nodes, restarts, updates and rolls back by itself. msctl does not
//! grow a scheduler: it translates the manifest (engine::swarm), finds what a Swarm
//! cannot do before changing anything, sends the images to the nodes (no registry),
//! creates overlay networks, secrets and configs, creates or updates the services in
//! dependency order, and waits until each one is converged and its tasks are healthy.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::engine::docker::DockerEngine;
use crate::engine::swarm::{
    self as api, NodeInfo, ServiceInfo, SwarmEngine, SwarmInputs, TaskInfo, Translated,
};
use crate::engine::{Engine, EngineError, LabelFilter};
use crate::manifest::model::{Condition, MountType, PortMode, Project};

/// How often waiting looks at the Swarm.
const POLL: Duration = Duration::from_millis(500);
/// Failed tasks, while waiting for a service, after which it is given up.
const FAILURES_TO_GIVE_UP: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// What a Swarm cannot do: found before anything changed.
    #[error("the project cannot run on this Swarm:\n  {}", .0.join("\n  "))]
    Refused(Vec<String>),
    /// The engine is no Swarm manager.
    #[error("the engine at {address} is not a Swarm manager (Swarm state: {state})")]
    NotManager { address: String, state: String },
    /// An update failed and the Swarm rolled it back.
    #[error("service `{service}`: the update failed and the Swarm rolled it back: {message}")]
    RolledBack { service: String, message: String },
    /// An update failed and the Swarm paused it.
    #[error("service `{service}`: the update failed and the Swarm paused it: {message}")]
    Paused { service: String, message: String },
    /// Tasks did not all run healthy in time.
    #[error("service `{service}`: {running} of {wanted} tasks running after {}s{}", .waited.as_secs(), last_error(.error))]
    NotConverged {
        service: String,
        running: u64,
        wanted: u64,
        waited: Duration,
        error: String,
    },
    #[error("interrupted")]
    Interrupted,
}

fn last_error(error: &str) -> String {
    if error.is_empty() {
        String::new()
    } else {
        format!("; last task error: {error}")
    }
}

impl SwarmError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SwarmError::Engine(err) => err.hint().map(str::to_string),
            SwarmError::Refused(_) => Some(
                "docs/manifest-reference.md lists what the Swarm target takes; `--target local` runs the project on this engine"
                    .to_string(),
            ),
            SwarmError::NotManager { .. } => Some(
                "point DOCKER_HOST at a Swarm manager, or make this engine one with `docker swarm init`"
                    .to_string(),
            ),
            SwarmError::RolledBack { service, .. } | SwarmError::Paused { service, .. } => Some(format!(
                "`msctl ps {service}` shows the failed tasks and their errors; `msctl logs {service}` what they printed"
            )),
            SwarmError::NotConverged { service, .. } => Some(format!(
                "`msctl ps -a {service}` shows each task's state and error"
            )),
            SwarmError::Interrupted => None,
        }
    }
}

/// Connect to the engine `environment` names and check that it manages a Swarm.
pub async fn connect(environment: &BTreeMap<String, String>) -> Result<SwarmEngine, SwarmError> {
    let engine = DockerEngine::connect_from_env(environment).await?;
    let swarm = SwarmEngine::new(engine);
    let status = swarm.status().await?;
    if status.state != "active" || !status.manager {
        return Err(SwarmError::NotManager {
            address: swarm.address().to_string(),
            state: if status.state == "active" {
                "active, a worker".to_string()
            } else {
                status.state
            },
        });
    }
    Ok(swarm)
}

/// A secret or config to have on the Swarm.
#[derive(Debug, Clone)]
pub struct SwarmFile {
    pub key: String,
    pub name: String,
    pub content: Vec<u8>,
    pub config: bool,
}

/// Everything `up` will apply, translated and checked.
pub struct Prepared {
    /// In dependency order.
    pub services: Vec<(String, Translated)>,
    pub files: Vec<SwarmFile>,
    pub warnings: Vec<String>,
}

/// Translate the selected services, reading secrets and configs; every problem at once.
pub fn prepare(
    project: &Project,
    selected: &BTreeSet<String>,
    images: &BTreeMap<String, String>,
    environment: &BTreeMap<String, String>,
    api_version: crate::engine::docker::ApiVersion,
) -> Result<Prepared, SwarmError> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut secrets = BTreeMap::new();
    let mut configs = BTreeMap::new();
    let used: BTreeSet<(&str, bool)> = project
        .services
        .values()
        .filter(|s| selected.contains(&s.name))
        .flat_map(|s| {
            s.secrets
                .iter()
                .map(|f| (f.source.as_str(), false))
                .chain(s.configs.iter().map(|f| (f.source.as_str(), true)))
        })
        .collect();
    for (key, config) in used {
        let (kind, source) = if config {
            ("config", project.configs.get(key))
        } else {
            ("secret", project.secrets.get(key))
        };
        let Some(source) = source else { continue };
        match api::object_content(kind, key, source, environment) {
            Ok(content) => {
                let name = api::object_name(&project.name, key, &content);
                if config {
                    configs.insert(key.to_string(), name.clone());
                } else {
                    secrets.insert(key.to_string(), name.clone());
                }
                files.push(SwarmFile {
                    key: key.to_string(),
                    name,
                    content,
                    config,
                });
            }
            Err(problem) => problems.push(problem),
        }
    }
    let inputs = SwarmInputs {
        project,
        images,
        secrets: &secrets,
        configs: &configs,
        environment,
        api: api_version,
    };
    let mut services = Vec::new();
    let mut warnings = Vec::new();
    for name in dependency_order(project, selected) {
        match api::service_spec(&inputs, &project.services[&name]) {
            Ok(translated) => {
                warnings.extend(translated.warnings.iter().cloned());
                services.push((name, translated));
            }
            Err(mut refused) => problems.append(&mut refused),
        }
    }
    if !problems.is_empty() {
        return Err(SwarmError::Refused(problems));
    }
    Ok(Prepared {
        services,
        files,
        warnings,
    })
}

/// The selected services, each after the ones it depends on.
pub fn dependency_order(project: &Project, selected: &BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut done = BTreeSet::new();
    fn visit(
        project: &Project,
        name: &str,
        selected: &BTreeSet<String>,
        done: &mut BTreeSet<String>,
        out: &mut Vec<String>,
        depth: usize,
    ) {
        if done.contains(name) || depth > project.services.len() {
            return;
        }
        if let Some(service) = project.services.get(name) {
            for dependency in service.depends_on.keys() {
                visit(project, dependency, selected, done, out, depth + 1);
            }
        }
        done.insert(name.to_string());
        if selected.contains(name) {
            out.push(name.to_string());
        }
    }
    for name in selected {
        visit(project, name, selected, &mut done, &mut out, 0);
    }
    out
}

/// A service that publishes a port on the node running its task (`mode: host`) runs one
/// task per node: more replicas than nodes would leave some waiting forever.
pub fn host_ports_overflow(
    service: &crate::manifest::model::Service,
    replicas: u32,
    nodes: &[NodeInfo],
) -> Option<String> {
    let eligible = nodes.iter().filter(|n| n.takes_tasks()).count();
    let port = service
        .ports
        .iter()
        .filter(|p| api::publish_mode(service, p.mode) == PortMode::Host)
        .find_map(|p| p.published)?;
    (!service.deploy.global && replicas as usize > eligible).then(|| {
        format!(
            "service `{}`: {replicas} replicas publish port {port} on the node that runs them (`mode: host`), and the Swarm has {eligible} node(s) to place them: some would never start; add nodes, or publish through the routing mesh (`deploy.endpoint_mode: vip`, `mode: ingress`)",
            service.name
        )
    })
}

/// The checks that need the Swarm's nodes: a port published on the node (`mode: host`)
/// can serve one task per node, so more replicas than nodes would wait forever; and
/// every other node must be reachable to receive the images.
pub fn check_nodes(
    project: &Project,
    prepared: &Prepared,
    scale: &BTreeMap<String, u32>,
    nodes: &[NodeInfo],
    own_node: &str,
) -> Result<(), SwarmError> {
    let mut problems = Vec::new();
    for (name, _) in &prepared.services {
        let service = &project.services[name];
        let replicas = scale.get(name).copied().unwrap_or(service.replicas());
        problems.extend(host_ports_overflow(service, replicas, nodes));
    }
    for node in nodes.iter().filter(|n| n.takes_tasks() && n.id != own_node) {
        if !node.labels.contains_key(api::ENGINE_LABEL) {
            problems.push(format!(
                "node `{}` ({}): msctl cannot send it the images (there is no registry): label it with its engine's address, `docker node update --label-add {}=tcp://ADDRESS:2375 {}`",
                node.hostname,
                node.id,
                api::ENGINE_LABEL,
                node.hostname
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SwarmError::Refused(problems))
    }
}

/// An external network must exist on the Swarm, as a Swarm network: a task cannot
/// join a network of one engine.
pub async fn check_external_networks(
    swarm: &SwarmEngine,
    project: &Project,
    prepared: &Prepared,
) -> Result<(), SwarmError> {
    let mut problems = Vec::new();
    for (key, name) in wanted_networks(project, prepared) {
        if !project.networks.get(&key).is_some_and(|n| n.external) {
            continue;
        }
        match swarm.network_scope(&name).await?.as_deref() {
            Some("swarm") => {}
            Some(scope) => problems.push(format!(
                "network `{key}` is external and `{name}` is a {scope} network: a Swarm service joins Swarm networks only"
            )),
            None => problems.push(format!(
                "network `{key}` is external and `{name}` does not exist on the Swarm: create it (`docker network create -d overlay --attachable {name}`)"
            )),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SwarmError::Refused(problems))
    }
}

/// The engine names of the external volumes the prepared services mount.
fn external_volumes(project: &Project, prepared: &Prepared) -> BTreeSet<String> {
    prepared
        .services
        .iter()
        .filter_map(|(name, _)| project.services.get(name))
        .flat_map(|service| &service.volumes)
        .filter(|mount| mount.kind == MountType::Volume)
        .filter_map(|mount| mount.source.as_deref())
        .filter_map(|key| {
            let volume = project.volumes.get(key).filter(|v| v.external)?;
            Some(crate::plan::names::volume_name(&project.name, key, volume))
        })
        .collect()
}

/// A warning for each external volume a node that takes tasks lacks, as the local
/// target warns of one its engine lacks: the Swarm does not check, and a task placed on
/// such a node gets a new, empty volume of that name. Nodes msctl cannot reach (no
/// `io.msctl.engine` label) are not looked at.
pub async fn external_volume_warnings(
    swarm: &SwarmEngine,
    project: &Project,
    prepared: &Prepared,
    nodes: &[NodeInfo],
    own_node: &str,
) -> Result<Vec<String>, SwarmError> {
    let wanted = external_volumes(project, prepared);
    let mut warnings = Vec::new();
    if wanted.is_empty() {
        return Ok(warnings);
    }
    for node in nodes.iter().filter(|n| n.takes_tasks()) {
        let Some(engine) = node_engine(swarm, node, own_node).await? else {
            continue;
        };
        let present: BTreeSet<String> = engine
            .list_volumes(&LabelFilter::any())
            .await?
            .into_iter()
            .map(|volume| volume.name)
            .collect();
        for name in wanted.difference(&present) {
            warnings.push(format!(
                "external volume `{name}` does not exist on node `{}`: a task placed there gets a new, empty one",
                node.hostname
            ));
        }
    }
    Ok(warnings)
}

/// Send every image to every other node that takes tasks and lacks it. Returns how
/// many images were sent.
pub async fn distribute_images(
    swarm: &SwarmEngine,
    nodes: &[NodeInfo],
    own_node: &str,
    images: &BTreeMap<String, (String, String)>,
    report: &dyn Fn(&str),
) -> Result<usize, SwarmError> {
    let mut sent = 0;
    for node in nodes.iter().filter(|n| n.takes_tasks() && n.id != own_node) {
        let Some(engine) = node_engine(swarm, node, own_node).await? else {
            continue;
        };
        // An image pinned by digest (`name@sha256:...`) is pulled by the node itself
        // from its registry.
        let unique: BTreeMap<&String, &String> = images
            .values()
            .filter(|(id, _)| !id.contains('@'))
            .map(|(id, tag)| (id, tag))
            .collect();
        for (id, tag) in unique {
            if api::image_id(&engine, id).await?.is_some() {
                continue;
            }
            report(&format!(
                "sending image {tag} ({}) to node `{}`",
                short_id(id),
                node.hostname
            ));
            swarm.send_image(id, tag, &engine).await?;
            sent += 1;
        }
    }
    Ok(sent)
}

pub fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

/// One change `up` makes to a Swarm.
#[derive(Debug, Clone, PartialEq)]
pub enum SwarmAction {
    CreateNetwork {
        key: String,
        name: String,
    },
    CreateFile {
        name: String,
        config: bool,
    },
    CreateService {
        service: String,
        replicas: Option<u64>,
    },
    UpdateService {
        service: String,
        replicas: Option<u64>,
    },
    ScaleService {
        service: String,
        from: u64,
        to: u64,
    },
    RemoveService {
        service: String,
    },
}

impl std::fmt::Display for SwarmAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = |r: &Option<u64>| match r {
            Some(n) => format!("{n} replicas"),
            None => "global".to_string(),
        };
        match self {
            SwarmAction::CreateNetwork { name, .. } => write!(f, "create overlay network {name}"),
            SwarmAction::CreateFile { name, config } => write!(
                f,
                "create {} {name}",
                if *config { "config" } else { "secret" }
            ),
            SwarmAction::CreateService { service, replicas } => {
                write!(f, "create service {service} ({})", count(replicas))
            }
            SwarmAction::UpdateService { service, replicas } => write!(
                f,
                "update service {service} (config changed; rolling update, {})",
                count(replicas)
            ),
            SwarmAction::ScaleService { service, from, to } => {
                write!(f, "scale service {service} from {from} to {to} replicas")
            }
            SwarmAction::RemoveService { service } => {
                write!(f, "remove service {service} (orphan)")
            }
        }
    }
}

/// What the Swarm has of the project now.
pub struct Observed {
    pub services: Vec<ServiceInfo>,
    pub networks: BTreeMap<String, String>,
    pub files: BTreeSet<String>,
}

pub async fn observe(swarm: &SwarmEngine, project: &str) -> Result<Observed, SwarmError> {
    let services = swarm.services(project).await?;
    let networks = swarm.networks(project).await?;
    let mut files: BTreeSet<String> = BTreeSet::new();
    for config in [false, true] {
        files.extend(
            swarm
                .objects(project, config)
                .await?
                .into_iter()
                .map(|o| o.name),
        );
    }
    Ok(Observed {
        services,
        networks,
        files,
    })
}

/// The networks the prepared services join: key -> engine name.
fn wanted_networks(project: &Project, prepared: &Prepared) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, _) in &prepared.services {
        for key in project.services[name].networks.keys() {
            let network = project.networks.get(key).cloned().unwrap_or_default();
            out.insert(
                key.clone(),
                crate::plan::names::network_name(&project.name, key, &network),
            );
        }
    }
    out
}

/// Plan: what `up` would change (pure).
pub fn plan(
    project: &Project,
    prepared: &Prepared,
    observed: &Observed,
    scale: &BTreeMap<String, u32>,
    remove_orphans: bool,
    force: bool,
) -> Vec<SwarmAction> {
    let mut actions = Vec::new();
    for (key, name) in wanted_networks(project, prepared) {
        let external = project.networks.get(&key).is_some_and(|n| n.external);
        if !external && !observed.networks.contains_key(&name) {
            actions.push(SwarmAction::CreateNetwork { key, name });
        }
    }
    for file in &prepared.files {
        if !observed.files.contains(&file.name) {
            actions.push(SwarmAction::CreateFile {
                name: file.name.clone(),
                config: file.config,
            });
        }
    }
    for (name, translated) in &prepared.services {
        let service = &project.services[name];
        let wanted = (!service.deploy.global)
            .then(|| u64::from(scale.get(name).copied().unwrap_or(service.replicas())));
        let swarm_name = api::service_name(&project.name, name);
        match observed.services.iter().find(|s| &s.service == name) {
            None => actions.push(SwarmAction::CreateService {
                service: swarm_name,
                replicas: wanted,
            }),
            Some(current) if force || current.config_hash != translated.config_hash => actions
                .push(SwarmAction::UpdateService {
                    service: swarm_name,
                    replicas: wanted,
                }),
            Some(current) => {
                if let (Some(from), Some(to)) = (current.replicas, wanted) {
                    if from != to {
                        actions.push(SwarmAction::ScaleService {
                            service: swarm_name,
                            from,
                            to,
                        });
                    }
                }
            }
        }
    }
    if remove_orphans {
        for current in &observed.services {
            if !project.services.contains_key(&current.service) {
                actions.push(SwarmAction::RemoveService {
                    service: current.name.clone(),
                });
            }
        }
    }
    actions
}

/// Apply the plan: networks and files first, then each service in dependency order,
/// waiting (unless `wait` is off) for those others depend on before their dependants.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    swarm: &SwarmEngine,
    project: &Project,
    prepared: &Prepared,
    actions: &[SwarmAction],
    observed: &Observed,
    wait: bool,
    deadline: Instant,
    report: &dyn Fn(&str),
    cancelled: &dyn Fn() -> bool,
) -> Result<(), SwarmError> {
    for action in actions {
        match action {
            SwarmAction::CreateNetwork { key, .. } => {
                let network = project.networks.get(key).cloned().unwrap_or_default();
                swarm
                    .create_network(api::network_request(&project.name, key, &network))
                    .await?;
                report(&action.to_string());
            }
            SwarmAction::CreateFile { name, .. } => {
                let file = prepared
                    .files
                    .iter()
                    .find(|f| &f.name == name)
                    .expect("planned from the prepared files");
                swarm
                    .create_object(
                        &project.name,
                        &file.key,
                        &file.name,
                        &file.content,
                        file.config,
                    )
                    .await?;
                report(&action.to_string());
            }
            _ => {}
        }
    }
    // The Swarm wants each secret's and config's id beside its name.
    let mut object_ids = BTreeMap::new();
    for config in [false, true] {
        for object in swarm.objects(&project.name, config).await? {
            object_ids.insert(object.name, object.id);
        }
    }
    let mut updated: BTreeSet<String> = BTreeSet::new();
    for (name, translated) in &prepared.services {
        if cancelled() {
            return Err(SwarmError::Interrupted);
        }
        // Dependants wait for what they depend on to be started or healthy.
        if wait {
            for (dependency, how) in &project.services[name].depends_on {
                if prepared.services.iter().any(|(n, _)| n == dependency) {
                    let healthy = how.condition == Condition::ServiceHealthy;
                    wait_service(
                        swarm,
                        project,
                        dependency,
                        updated.contains(dependency),
                        healthy,
                        deadline,
                        cancelled,
                    )
                    .await?;
                }
            }
        }
        let swarm_name = api::service_name(&project.name, name);
        let current = observed.services.iter().find(|s| &s.service == name);
        for action in actions {
            match action {
                SwarmAction::CreateService { service, replicas } if *service == swarm_name => {
                    let mut spec = translated.spec.clone();
                    api::set_replicas(&mut spec, replicas.unwrap_or(0));
                    api::resolve_object_ids(&mut spec, &object_ids);
                    swarm.create_service(spec).await?;
                    report(&action.to_string());
                }
                SwarmAction::UpdateService { service, replicas } if *service == swarm_name => {
                    let current = current.expect("an update is planned for an existing service");
                    let (_, version) = swarm.current_spec(&current.id).await?;
                    let mut spec = translated.spec.clone();
                    api::set_replicas(&mut spec, replicas.unwrap_or(0));
                    api::resolve_object_ids(&mut spec, &object_ids);
                    swarm
                        .update_service(&current.id, version, spec, false)
                        .await?;
                    updated.insert(name.clone());
                    report(&action.to_string());
                }
                SwarmAction::ScaleService { service, to, .. } if *service == swarm_name => {
                    let current = current.expect("a scale is planned for an existing service");
                    scale_service(swarm, &current.id, *to).await?;
                    report(&action.to_string());
                }
                _ => {}
            }
        }
    }
    for action in actions {
        if let SwarmAction::RemoveService { service } = action {
            if let Some(current) = observed.services.iter().find(|s| &s.name == service) {
                swarm.remove_service(&current.id).await?;
                report(&action.to_string());
            }
        }
    }
    if wait {
        for (name, _) in &prepared.services {
            let healthy = true;
            wait_service(
                swarm,
                project,
                name,
                updated.contains(name),
                healthy,
                deadline,
                cancelled,
            )
            .await?;
        }
    }
    Ok(())
}

/// Set a service's replica count, keeping the rest of its spec.
pub async fn scale_service(swarm: &SwarmEngine, id: &str, replicas: u64) -> Result<(), SwarmError> {
    let (mut spec, version) = swarm.current_spec(id).await?;
    api::set_replicas(&mut spec, replicas);
    swarm.update_service(id, version, spec, false).await?;
    Ok(())
}

/// Restart a service's tasks by a forced rolling update (per its update_config).
pub async fn restart_service(swarm: &SwarmEngine, id: &str) -> Result<(), SwarmError> {
    let (mut spec, version) = swarm.current_spec(id).await?;
    if let Some(template) = spec.task_template.as_mut() {
        template.force_update = Some(template.force_update.unwrap_or(0) + 1);
    }
    swarm.update_service(id, version, spec, false).await?;
    Ok(())
}

/// Ask the Swarm to return a service to its spec before the last update.
pub async fn rollback_service(swarm: &SwarmEngine, id: &str) -> Result<(), SwarmError> {
    let (spec, version) = swarm.current_spec(id).await?;
    swarm.update_service(id, version, spec, true).await?;
    Ok(())
}

/// How many tasks a service should run: its replicas, or one per eligible node.
async fn wanted_tasks(swarm: &SwarmEngine, service: &ServiceInfo) -> Result<u64, SwarmError> {
    Ok(match service.replicas {
        Some(n) => n,
        None => swarm
            .nodes()
            .await?
            .iter()
            .filter(|n| n.takes_tasks())
            .count() as u64,
    })
}

/// Wait until a service's update (if `updating`) has finished and every task it
/// wants runs its current spec: `running`, which for a task with a health check means
/// healthy (the Swarm moves it there once its check passes), or with `healthy` off
/// merely started.
pub async fn wait_service(
    swarm: &SwarmEngine,
    project: &Project,
    name: &str,
    updating: bool,
    healthy: bool,
    deadline: Instant,
    cancelled: &dyn Fn() -> bool,
) -> Result<(), SwarmError> {
    let started = Instant::now();
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 - 1)
        .unwrap_or_default();
    loop {
        if cancelled() {
            return Err(SwarmError::Interrupted);
        }
        let services = swarm.services(&project.name).await?;
        let Some(service) = services.into_iter().find(|s| s.service == name) else {
            return Err(SwarmError::NotConverged {
                service: name.to_string(),
                running: 0,
                wanted: 1,
                waited: started.elapsed(),
                error: "the service is gone".to_string(),
            });
        };
        // An update of ours: one that began after the wait did (not an earlier one's end).
        if updating && service.update_started >= started_at {
            match service.update_state.as_str() {
                "rollback_completed" => {
                    let tasks = swarm.tasks(&project.name, Some(&service.id)).await?;
                    let why = tasks
                        .iter()
                        .filter(|t| t.since >= started_at && !t.error.is_empty())
                        .max_by_key(|t| t.since)
                        .map(|t| format!("; a new task failed: {}", t.error))
                        .unwrap_or_default();
                    return Err(SwarmError::RolledBack {
                        service: name.to_string(),
                        message: format!("{}{why}", service.update_message),
                    });
                }
                "paused" | "rollback_paused" => {
                    return Err(SwarmError::Paused {
                        service: name.to_string(),
                        message: service.update_message,
                    })
                }
                _ => {}
            }
        }
        let wanted = wanted_tasks(swarm, &service).await?;
        let tasks = swarm.tasks(&project.name, Some(&service.id)).await?;
        let current: Vec<&TaskInfo> = tasks.iter().filter(|t| t.desired == "running").collect();
        let running = current
            .iter()
            .filter(|t| {
                // `running` is healthy for a task with a health check; `starting`, its
                // container started and the check not passed yet.
                (t.state == "running" || (!healthy && t.state == "starting"))
                    && t.template_key == service.template_key
            })
            .count() as u64;
        // A task that failed since the wait began: the Swarm retries, but three failures
        // say the service does not start (a bad image, a failing health check).
        let failures: Vec<&TaskInfo> = tasks
            .iter()
            .filter(|t| t.since >= started_at && matches!(t.state.as_str(), "failed" | "rejected"))
            .collect();
        let not_converged = |error: String| SwarmError::NotConverged {
            service: name.to_string(),
            running,
            wanted,
            waited: started.elapsed(),
            error,
        };
        if failures.len() >= FAILURES_TO_GIVE_UP && !updating {
            let error = latest_error(failures.iter().copied());
            return Err(not_converged(format!(
                "{} tasks failed: {error}",
                failures.len()
            )));
        }
        let settled = current.len() as u64 == wanted;
        let update_done = !matches!(
            service.update_state.as_str(),
            "updating" | "rollback_started"
        );
        if running == wanted && settled && update_done {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(not_converged(latest_error(
                tasks.iter().filter(|t| !t.error.is_empty()),
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The error of the task that changed state last, or nothing.
fn latest_error<'a>(tasks: impl Iterator<Item = &'a TaskInfo>) -> String {
    tasks
        .max_by_key(|t| t.since)
        .map(|t| t.error.clone())
        .unwrap_or_default()
}

/// The engine of a node: the manager's own, or the one its `io.msctl.engine` label
/// names; `None` when msctl has no way to reach it.
async fn node_engine(
    swarm: &SwarmEngine,
    node: &NodeInfo,
    own_node: &str,
) -> Result<Option<DockerEngine>, SwarmError> {
    if node.id == own_node {
        return Ok(Some(swarm.manager().clone()));
    }
    match node.labels.get(api::ENGINE_LABEL) {
        Some(address) => Ok(Some(DockerEngine::connect(Some(address)).await?)),
        None => Ok(None),
    }
}

/// Run a removal until it succeeds or `deadline` passes: what a task still shutting
/// down holds (a network's endpoint, a secret, a volume) is freed when it is gone.
async fn remove_when_free<F, Fut>(deadline: Instant, mut remove: F) -> Result<(), SwarmError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), EngineError>>,
{
    loop {
        match remove().await {
            Ok(()) => return Ok(()),
            Err(err) if !err.is_unavailable() && Instant::now() < deadline => {
                tracing::debug!("{err}; retrying");
                tokio::time::sleep(POLL).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Remove the project from the Swarm: services, then (once their tasks are gone)
/// networks, secrets and configs; with `volumes`, the named volumes on every node
/// msctl can reach.
pub async fn down(
    swarm: &SwarmEngine,
    project: &str,
    volumes: bool,
    timeout: Duration,
    report: &dyn Fn(&str),
) -> Result<usize, SwarmError> {
    let mut removed = 0;
    for service in swarm.services(project).await? {
        swarm.remove_service(&service.id).await?;
        report(&format!("removed service {}", service.name));
        removed += 1;
    }
    let deadline = Instant::now() + timeout;
    for (name, id) in swarm.networks(project).await? {
        remove_when_free(deadline, || swarm.remove_network(&id)).await?;
        report(&format!("removed network {name}"));
        removed += 1;
    }
    for config in [false, true] {
        for object in swarm.objects(project, config).await? {
            remove_when_free(deadline, || swarm.remove_object(&object.id, config)).await?;
            let kind = if config { "config" } else { "secret" };
            report(&format!("removed {kind} {}", object.name));
            removed += 1;
        }
    }
    if volumes {
        let own_node = swarm.status().await?.node_id;
        for node in swarm.nodes().await? {
            let Some(engine) = node_engine(swarm, &node, &own_node).await? else {
                report(&format!(
                    "node `{}` has no {} label: its volumes of project `{project}` stay",
                    node.hostname,
                    api::ENGINE_LABEL
                ));
                continue;
            };
            removed += remove_volumes(&engine, project, &node.hostname, deadline, report).await?;
        }
    }
    Ok(removed)
}

async fn remove_volumes(
    engine: &DockerEngine,
    project: &str,
    node: &str,
    deadline: Instant,
    report: &dyn Fn(&str),
) -> Result<usize, SwarmError> {
    use crate::engine::Engine;
    let mut removed = 0;
    let filter = crate::engine::LabelFilter::project(project);
    for volume in engine.list_volumes(&filter).await? {
        remove_when_free(deadline, || engine.remove_volume(&volume.name)).await?;
        report(&format!("removed volume {} on node `{node}`", volume.name));
        removed += 1;
    }
    Ok(removed)
}

/// A row of `ps`: one task.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskRow {
    /// `<project>_<service>.<slot>` (or `.<node id>` for a global service).
    pub name: String,
    pub service: String,
    pub slot: u64,
    pub task: String,
    pub node: String,
    pub image: String,
    pub desired: String,
    pub state: String,
    pub since: i64,
    pub error: String,
    pub ports: Vec<String>,
}

/// The project's tasks, newest first per slot; with `all` the finished ones too.
pub async fn ps(
    swarm: &SwarmEngine,
    project: &str,
    services: &[String],
    all: bool,
) -> Result<Vec<TaskRow>, SwarmError> {
    let listed = swarm.services(project).await?;
    let nodes: BTreeMap<String, String> = swarm
        .nodes()
        .await?
        .into_iter()
        .map(|n| (n.id, n.hostname))
        .collect();
    let tasks = swarm.tasks(project, None).await?;
    let mut rows = Vec::new();
    for task in tasks {
        let Some(service) = listed.iter().find(|s| s.id == task.service_id) else {
            continue;
        };
        if !services.is_empty() && !services.contains(&service.service) {
            continue;
        }
        if !all && task.desired != "running" {
            continue;
        }
        let slot_name = if task.slot > 0 {
            task.slot.to_string()
        } else {
            task.node_id.clone()
        };
        let ports = if task.state == "running" {
            service
                .ports
                .iter()
                .map(|(published, target, protocol, mode)| {
                    let on = if mode == "host" {
                        nodes.get(&task.node_id).cloned().unwrap_or_default()
                    } else {
                        "*".to_string()
                    };
                    format!("{on}:{published}->{target}/{protocol}")
                })
                .collect()
        } else {
            Vec::new()
        };
        rows.push(TaskRow {
            name: format!("{}.{slot_name}", service.name),
            service: service.service.clone(),
            slot: task.slot,
            task: task.id.clone(),
            node: nodes.get(&task.node_id).cloned().unwrap_or_default(),
            image: if task.image == service.image && !service.image_name.is_empty() {
                format!("{}@{}", service.image_name, short_id(&task.image))
            } else {
                short_id(&task.image).to_string()
            },
            desired: task.desired.clone(),
            state: task.state.clone(),
            since: task.since,
            error: if task.error.is_empty() {
                String::new()
            } else {
                task.error.clone()
            },
            ports,
        });
    }
    rows.sort_by(|a, b| {
        a.service
            .cmp(&b.service)
            .then(a.slot.cmp(&b.slot))
            .then(b.since.cmp(&a.since))
    });
    Ok(rows)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::manifest::demo_project as loaded;
    use crate::manifest::model::{Dependency, Service};

    fn project(names: &[(&str, &[&str])]) -> Project {
        let mut project = Project {
            name: "shop".to_string(),
            ..Project::default()
        };
        for (name, deps) in names {
            let mut service = Service {
                name: name.to_string(),
                ..Service::default()
            };
            for dep in *deps {
                service.depends_on.insert(
                    dep.to_string(),
                    Dependency {
                        condition: Condition::ServiceStarted,
                        restart: false,
                        required: true,
                    },
                );
            }
            project.services.insert(name.to_string(), service);
        }
        project
    }

    #[test]
    fn services_come_after_what_they_depend_on() {
        let p = project(&[
            ("gateway", &["orders", "users"]),
            ("orders", &["products", "payments"]),
            ("payments", &[]),
            ("products", &[]),
            ("users", &[]),
        ]);
        let all: BTreeSet<String> = p.services.keys().cloned().collect();
        let order = dependency_order(&p, &all);
        let at = |n: &str| order.iter().position(|x| x == n).expect("in the order");
        assert_eq!(order.len(), 5);
        assert!(at("products") < at("orders"));
        assert!(at("payments") < at("orders"));
        assert!(at("orders") < at("gateway"));
        assert!(at("users") < at("gateway"));
        let only: BTreeSet<String> = ["gateway".to_string()].into();
        assert_eq!(dependency_order(&p, &only), vec!["gateway".to_string()]);
    }

    const TWO: &str = "x-msctl: {target: swarm}\nservices:\n  api:\n    image: api\n    ports: [\"80:80\"]\n    deploy: {replicas: 2}\n  db:\n    image: db\n";

    fn prepared(project: &Project) -> Prepared {
        let all: BTreeSet<String> = project.services.keys().cloned().collect();
        let images = project
            .services
            .keys()
            .map(|n| (n.clone(), format!("sha256:{n}")))
            .collect();
        prepare(
            project,
            &all,
            &images,
            &BTreeMap::new(),
            crate::engine::docker::ApiVersion::new(1, 41),
        )
        .expect("translates")
    }

    fn running(project: &Project, prepared: &Prepared, replicas: u64) -> Observed {
        let services = prepared
            .services
            .iter()
            .map(|(name, t)| ServiceInfo {
                id: format!("id-{name}"),
                name: api::service_name(&project.name, name),
                service: name.clone(),
                version: 1,
                config_hash: t.config_hash.clone(),
                replicas: Some(replicas),
                image: format!("sha256:{name}"),
                image_name: name.clone(),
                update_state: String::new(),
                update_message: String::new(),
                update_started: 0,
                template_key: String::new(),
                ports: Vec::new(),
            })
            .collect();
        Observed {
            services,
            networks: [("demo_default".to_string(), "n1".to_string())].into(),
            files: BTreeSet::new(),
        }
    }

    #[test]
    fn the_plan_creates_updates_scales_and_leaves_alone() {
        let p = loaded(TWO);
        let prep = prepared(&p);
        let empty = Observed {
            services: Vec::new(),
            networks: BTreeMap::new(),
            files: BTreeSet::new(),
        };
        let lines: Vec<String> = plan(&p, &prep, &empty, &BTreeMap::new(), false, false)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            vec![
                "create overlay network demo_default",
                "create service demo_api (2 replicas)",
                "create service demo_db (1 replicas)",
            ]
        );
        // Running as the manifest says: nothing to do, whatever the count the Swarm has
        // when the manifest's is wanted.
        let scale: BTreeMap<String, u32> = [("api".to_string(), 2), ("db".to_string(), 2)].into();
        let observed = running(&p, &prep, 2);
        assert!(plan(&p, &prep, &observed, &scale, false, false).is_empty());
        let scale3: BTreeMap<String, u32> = [("api".to_string(), 3), ("db".to_string(), 2)].into();
        let lines: Vec<String> = plan(&p, &prep, &observed, &scale3, false, false)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines, vec!["scale service demo_api from 2 to 3 replicas"]);
        // A changed service is updated; `--force-recreate` updates every one.
        let changed = loaded(&TWO.replace("image: db", "image: db\n    environment: {A: b}"));
        let lines: Vec<String> = plan(
            &changed,
            &prepared(&changed),
            &observed,
            &scale,
            false,
            false,
        )
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            lines,
            vec!["update service demo_db (config changed; rolling update, 2 replicas)"]
        );
        assert_eq!(plan(&p, &prep, &observed, &scale, false, true).len(), 2);
        // A service gone from the manifest is removed with --remove-orphans only.
        let fewer = loaded(&TWO.replace("  db:\n    image: db\n", ""));
        let prep_fewer = prepared(&fewer);
        assert!(plan(&fewer, &prep_fewer, &observed, &scale, false, false).is_empty());
        let lines: Vec<String> = plan(&fewer, &prep_fewer, &observed, &scale, true, false)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines, vec!["remove service demo_db (orphan)"]);
    }

    fn node(id: &str, labels: &[(&str, &str)]) -> NodeInfo {
        NodeInfo {
            id: id.to_string(),
            hostname: format!("host-{id}"),
            role: "worker".to_string(),
            state: "ready".to_string(),
            availability: "active".to_string(),
            address: String::new(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn more_host_published_replicas_than_nodes_and_unreachable_nodes_are_refused() {
        let p = loaded(TWO);
        let prep = prepared(&p);
        let one = vec![node("m", &[])];
        let err = check_nodes(&p, &prep, &BTreeMap::new(), &one, "m").unwrap_err();
        assert!(
            err.to_string().contains("2 replicas publish port 80"),
            "{err}"
        );
        let engine = [(api::ENGINE_LABEL, "tcp://10.0.0.2:2375")];
        let two = vec![node("m", &[]), node("w", &engine)];
        check_nodes(&p, &prep, &BTreeMap::new(), &two, "m").expect("two nodes, two replicas");
        let unlabelled = vec![node("m", &[]), node("w", &[])];
        let err = check_nodes(&p, &prep, &BTreeMap::new(), &unlabelled, "m").unwrap_err();
        assert!(err.to_string().contains("node `host-w`"), "{err}");
        assert!(err.to_string().contains(api::ENGINE_LABEL), "{err}");
    }

    #[test]
    fn only_the_external_volumes_of_the_services_brought_up_are_looked_for() {
        let p = loaded(
            "x-msctl: {target: swarm}\nservices:\n  api:\n    image: api\n    volumes: [shared:/shared, own:/own, /host:/host]\n  db:\n    image: db\n    volumes: [archive:/archive]\nvolumes:\n  shared: {external: true, name: team-shared}\n  own: {}\n  archive: {external: true}\n",
        );
        let all = prepared(&p);
        assert_eq!(
            external_volumes(&p, &all).into_iter().collect::<Vec<_>>(),
            ["archive", "team-shared"]
        );
        let images = BTreeMap::from([("api".to_string(), "sha256:api".to_string())]);
        let api_only = prepare(
            &p,
            &BTreeSet::from(["api".to_string()]),
            &images,
            &BTreeMap::new(),
            crate::engine::docker::ApiVersion::new(1, 41),
        )
        .expect("translates");
        assert_eq!(
            external_volumes(&p, &api_only)
                .into_iter()
                .collect::<Vec<_>>(),
            ["team-shared"]
        );
    }
}

//! `up` on a Swarm: what it observes, the changes it plans and applies in dependency
//! order, and the waits until each service has converged; scale, restart, rollback.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::engine::docker::DockerEngine;
use crate::engine::swarm::{self as api, NodeInfo, ServiceInfo, SwarmEngine, TaskInfo};
use crate::manifest::model::{Condition, Project};

use super::*;

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
pub(super) fn wanted_networks(project: &Project, prepared: &Prepared) -> BTreeMap<String, String> {
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
pub(super) async fn wanted_tasks(
    swarm: &SwarmEngine,
    service: &ServiceInfo,
) -> Result<u64, SwarmError> {
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
pub(super) fn latest_error<'a>(tasks: impl Iterator<Item = &'a TaskInfo>) -> String {
    tasks
        .max_by_key(|t| t.since)
        .map(|t| t.error.clone())
        .unwrap_or_default()
}

/// The engine of a node: the manager's own, or the one its `io.msctl.engine` label
/// names; `None` when msctl has no way to reach it.
pub(super) async fn node_engine(
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

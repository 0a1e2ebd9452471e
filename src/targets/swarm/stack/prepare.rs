//! Before anything changes on the Swarm: the translated project, what a Swarm cannot
//! do (ports, nodes, external networks and volumes), and the images sent to the nodes.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::swarm::{self as api, NodeInfo, SwarmEngine, SwarmInputs, Translated};
use crate::engine::{Engine, LabelFilter};
use crate::manifest::model::{MountType, PortMode, Project};

use super::*;

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
pub(super) fn external_volumes(project: &Project, prepared: &Prepared) -> BTreeSet<String> {
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

//! Names of the resources msctl creates, derived from the project and manifest keys.
//!
//! Names are for people and for Docker's uniqueness checks; msctl finds its resources by
//! label ([`super::labels`]), never by parsing a name.

use std::collections::BTreeMap;

use crate::manifest::model::{Network, NetworkMode, Project, Service, Volume};

/// The network every service joins when it names none.
pub const DEFAULT_NETWORK: &str = "default";

/// `<project>-<service>-<n>`, the name of replica `replica_number`.
pub fn container_name(project_name: &str, service_name: &str, replica_number: u32) -> String {
    format!("{project_name}-{service_name}-{replica_number}")
}

/// The name of replica `replica_number` of `service`: its `container_name` when it has
/// one (such a service has a single replica), else [`container_name`]. msctl still finds
/// the container by its labels, never by this name.
pub fn replica_container_name(
    project_name: &str,
    service: &Service,
    replica_number: u32,
) -> String {
    match &service.container_name {
        Some(fixed) => fixed.clone(),
        None => container_name(project_name, &service.name, replica_number),
    }
}

/// The engine name of the network declared under `network_key`: its `name:` when set,
/// the key itself for an external network, `<project>_<key>` otherwise.
pub fn network_name(project_name: &str, network_key: &str, network: &Network) -> String {
    resource_name(
        project_name,
        network_key,
        network.name.as_deref(),
        network.external,
    )
}

/// The engine name of the volume declared under `volume_key`, by the rules of [`network_name`].
pub fn volume_name(project_name: &str, volume_key: &str, volume: &Volume) -> String {
    resource_name(
        project_name,
        volume_key,
        volume.name.as_deref(),
        volume.external,
    )
}

/// The image a service runs: its `image:`, or `<project>-<service>` for a service that is
/// only built (the name Compose gives such images).
pub fn image_name(project_name: &str, service: &Service) -> String {
    match &service.image {
        Some(image) => image.clone(),
        None => format!("{project_name}-{}", service.name),
    }
}

/// The network keys a service joins: the ones it names, or [`DEFAULT_NETWORK`]; none
/// with a `network_mode`, as its container uses another network stack.
pub fn service_network_keys(service: &Service) -> Vec<&str> {
    if service.network_mode.is_some() {
        Vec::new()
    } else if service.networks.is_empty() {
        vec![DEFAULT_NETWORK]
    } else {
        service.networks.keys().map(String::as_str).collect()
    }
}

/// The DNS aliases that other services' `links` give `service`, by the network key
/// they are on: `SERVICE:ALIAS` makes ALIAS (SERVICE without one) a name of every
/// replica of SERVICE on each network it shares with the linking service. A service
/// that shares another's network stack (`network_mode: service:NAME`) links from
/// NAME's networks.
pub fn link_aliases(project: &Project, service: &Service) -> BTreeMap<String, Vec<String>> {
    let own = service_network_keys(service);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for linking in project.services.values() {
        if linking.name == service.name {
            continue;
        }
        let linking_networks = match &linking.network_mode {
            Some(NetworkMode::Service(peer)) => project
                .services
                .get(peer)
                .map(service_network_keys)
                .unwrap_or_default(),
            _ => service_network_keys(linking),
        };
        for link in &linking.links {
            let (target, alias) = match link.split_once(':') {
                Some((target, alias)) => (target, alias),
                None => (link.as_str(), link.as_str()),
            };
            if target != service.name || alias.is_empty() {
                continue;
            }
            for key in own.iter().filter(|key| linking_networks.contains(key)) {
                let aliases = out.entry((*key).to_string()).or_default();
                if !aliases.iter().any(|a| a == alias) {
                    aliases.push(alias.to_string());
                }
            }
        }
    }
    for aliases in out.values_mut() {
        aliases.sort();
    }
    out
}

fn resource_name(project_name: &str, key: &str, name: Option<&str>, external: bool) -> String {
    match name {
        Some(name) => name.to_string(),
        None if external => key.to_string(),
        None => format!("{project_name}_{key}"),
    }
}

/// What a replica is renamed to while it drains before a planned stop: the ingress sends
/// it no new connection from then on (`crate::serving::drain`). Docker allows `.` in a
/// container name, and no name msctl gives a replica has one.
pub fn draining_name(container_name: &str) -> String {
    format!("{container_name}{DRAINING}")
}

/// Whether a replica is draining: renamed by [`draining_name`].
pub fn is_draining(container_name: &str) -> bool {
    container_name.ends_with(DRAINING)
}

const DRAINING: &str = ".draining";

//! Names of the resources msctl creates, derived from the project and manifest keys.
//!
//! Names are for people and for Docker's uniqueness checks; msctl finds its resources by
//! label ([`super::labels`]), never by parsing a name.

use crate::manifest::model::{Network, Service, Volume};

/// The network every service joins when it names none.
pub const DEFAULT_NETWORK: &str = "default";

/// `<project>-<service>-<n>`, the name of replica `replica_number`.
pub fn container_name(project_name: &str, service_name: &str, replica_number: u32) -> String {
    format!("{project_name}-{service_name}-{replica_number}")
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

/// The network keys a service joins: the ones it names, or [`DEFAULT_NETWORK`].
pub fn service_network_keys(service: &Service) -> Vec<&str> {
    if service.networks.is_empty() {
        vec![DEFAULT_NETWORK]
    } else {
        service.networks.keys().map(String::as_str).collect()
    }
}

fn resource_name(project_name: &str, key: &str, name: Option<&str>, external: bool) -> String {
    match name {
        Some(name) => name.to_string(),
        None if external => key.to_string(),
        None => format!("{project_name}_{key}"),
    }
}

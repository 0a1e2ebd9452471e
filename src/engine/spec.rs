//! What msctl asks the engine to create, built from the domain model.
//!
//! A spec is fully resolved (names, labels, mounts): the engine implementation only
//! translates it to its API, and the executor passes it through without deciding anything.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::manifest::model::{
    Healthcheck, MountType, Network, Port, Project, RestartMode, Secret, Service, Volume,
};
use crate::plan::{labels, names};

/// A container to create: one replica of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `None` values are taken from msctl's own environment by the engine implementation
    /// when the container is created, and left out when unset there.
    pub environment: BTreeMap<String, Option<String>>,
    pub ports: Vec<Port>,
    pub expose: Vec<String>,
    pub mounts: Vec<MountSpec>,
    /// Secrets, mounted read-only at their targets.
    pub secrets: Vec<SecretMount>,
    /// The first attachment is the one the container is created on.
    pub networks: Vec<NetworkAttachment>,
    pub healthcheck: Option<Healthcheck>,
    pub restart: Option<RestartMode>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub read_only: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub tmpfs: Vec<String>,
    pub init: Option<bool>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<Duration>,
    /// Fraction of CPUs (`deploy.resources.limits.cpus`).
    pub cpus: Option<f64>,
    /// Bytes (`deploy.resources.limits.memory`).
    pub memory_bytes: Option<u64>,
}

/// A mount with its source resolved to an engine name (volume) or host path (bind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    pub kind: MountType,
    /// `None` for an anonymous volume or a tmpfs.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
}

/// A secret a container sees as a read-only file at `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    /// The secret's name in the manifest.
    pub name: String,
    pub source: SecretSource,
    /// Absolute path inside the container.
    pub target: String,
}

/// Where a secret's contents come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A host file, bound as it is.
    File(PathBuf),
    /// An environment variable of msctl's environment. The engine implementation writes
    /// its value to a file readable only by the user (under [`crate::state::state_dir`]) when the
    /// container is created, and binds that file: the value never appears in the
    /// container's configuration.
    Environment(String),
    /// Text written in the manifest (a config's `content`), written to a file the same way.
    Content(String),
}

/// A network a container joins, by engine name, with its DNS aliases there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAttachment {
    pub network_name: String,
    pub aliases: Vec<String>,
}

/// A network to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    pub name: String,
    pub driver: Option<String>,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
}

/// A named volume to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

impl ContainerSpec {
    /// The spec of replica `replica_number` of `service`, labelled with `config_hash`.
    pub fn for_replica(
        project: &Project,
        service: &Service,
        replica_number: u32,
        config_hash: &str,
    ) -> ContainerSpec {
        let mounts = service
            .volumes
            .iter()
            .map(|mount| MountSpec {
                kind: mount.kind,
                source: mount.source.as_ref().map(|source| match mount.kind {
                    MountType::Volume => match project.volumes.get(source) {
                        Some(volume) => names::volume_name(&project.name, source, volume),
                        None => source.clone(),
                    },
                    MountType::Bind | MountType::Tmpfs => source.clone(),
                }),
                target: mount.target.clone(),
                read_only: mount.read_only,
            })
            .collect();
        let networks = names::service_network_keys(service)
            .into_iter()
            .map(|key| {
                let network_name = match project.networks.get(key) {
                    Some(network) => names::network_name(&project.name, key, network),
                    None => names::network_name(&project.name, key, &Network::default()),
                };
                let mut aliases = vec![service.name.clone()];
                if let Some(attachment) = service.networks.get(key) {
                    for alias in &attachment.aliases {
                        if !aliases.contains(alias) {
                            aliases.push(alias.clone());
                        }
                    }
                }
                NetworkAttachment {
                    network_name,
                    aliases,
                }
            })
            .collect();
        let secrets = service
            .secrets
            .iter()
            .filter_map(|secret| {
                // Validation refuses a service secret that names no top-level secret.
                let source = match project.secrets.get(&secret.source)? {
                    Secret::File(path) => SecretSource::File(path.clone()),
                    Secret::Environment(variable) => SecretSource::Environment(variable.clone()),
                    Secret::Content(text) => SecretSource::Content(text.clone()),
                };
                Some(SecretMount {
                    name: secret.source.clone(),
                    source,
                    target: secret.target.clone(),
                })
            })
            .collect();
        let limits = &service.deploy.resources.limits;
        ContainerSpec {
            name: names::container_name(&project.name, &service.name, replica_number),
            image: names::image_name(&project.name, service),
            labels: labels::container_labels(&project.name, service, replica_number, config_hash),
            command: service.command.clone(),
            entrypoint: service.entrypoint.clone(),
            environment: service.environment.clone(),
            ports: service.ports.clone(),
            expose: service.expose.clone(),
            mounts,
            secrets,
            networks,
            healthcheck: service.healthcheck.clone(),
            restart: service.restart,
            user: service.user.clone(),
            working_dir: service.working_dir.clone(),
            hostname: service.hostname.clone(),
            read_only: service.read_only,
            cap_add: service.cap_add.clone(),
            cap_drop: service.cap_drop.clone(),
            security_opt: service.security_opt.clone(),
            tmpfs: service.tmpfs.clone(),
            init: service.init,
            stop_signal: service.stop_signal.clone(),
            stop_timeout: service.stop_grace_period,
            cpus: limits.cpus,
            memory_bytes: limits.memory,
        }
    }
}

impl NetworkSpec {
    /// The spec of the network declared under `network_key`.
    pub fn for_network(project_name: &str, network_key: &str, network: &Network) -> NetworkSpec {
        NetworkSpec {
            name: names::network_name(project_name, network_key, network),
            driver: network.driver.clone(),
            internal: network.internal,
            labels: labels::network_labels(project_name, network_key, &network.labels),
        }
    }
}

impl VolumeSpec {
    /// The spec of the named volume declared under `volume_key`.
    pub fn for_volume(project_name: &str, volume_key: &str, volume: &Volume) -> VolumeSpec {
        VolumeSpec {
            name: names::volume_name(project_name, volume_key, volume),
            driver: volume.driver.clone(),
            driver_opts: volume.driver_opts.clone(),
            labels: labels::volume_labels(project_name, volume_key, &volume.labels),
        }
    }
}

//! What msctl asks the engine to create, built from the domain model.
//!
//! A spec is fully resolved (names, labels, mounts): the engine implementation only
//! translates it to its API, and the executor passes it through without deciding anything.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::{labels, names};
use crate::ingress::plan as ingress;
use crate::manifest::model::{
    Device, Healthcheck, Hook, Ipam, Logging, MountType, Network, NetworkMode, Port, Project,
    RestartMode, Secret, Service, Ulimit, Volume,
};
use crate::serving::plan as serving;

/// A container to create: one replica of a service.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Configs, mounted read-only at their targets like secrets (their files are kept
    /// apart from the secrets', so a config and a secret may share a name).
    pub configs: Vec<SecretMount>,
    /// The first attachment is the one the container is created on. Empty with a
    /// `network_mode`.
    pub networks: Vec<NetworkAttachment>,
    /// Docker's network mode when the container uses another network stack instead of
    /// joining networks: `host`, `none`, `bridge` or `container:<name>`.
    pub network_mode: Option<String>,
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
    /// Fraction of CPUs (`deploy.resources.limits.cpus`, else `cpus`).
    pub cpus: Option<f64>,
    /// Bytes (`deploy.resources.limits.memory`, else `mem_limit`).
    pub memory_bytes: Option<u64>,
    /// Memory plus swap, bytes; -1 for unlimited swap.
    pub memswap_limit: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub cpuset: Option<String>,
    pub domainname: Option<String>,
    pub tty: bool,
    pub stdin_open: bool,
    /// Close the container's standard input when the attached client closes it (`run`
    /// with input: the process sees the end of its input).
    pub stdin_once: bool,
    /// The engine removes the container when it exits (`run -d --rm`).
    pub auto_remove: bool,
    pub logging: Option<Logging>,
    pub sysctls: BTreeMap<String, String>,
    pub ulimits: BTreeMap<String, Ulimit>,
    /// `HOST:IP` entries for /etc/hosts.
    pub extra_hosts: Vec<String>,
    /// `os[/arch[/variant]]` of the image to run.
    pub platform: Option<String>,
    pub privileged: bool,
    pub runtime: Option<String>,
    pub dns: Vec<String>,
    /// The networks whose gateways come first in the container's DNS servers: there
    /// msctl's resolver answers the names it holds back until a replica is ready
    /// (`serving::plan`). The engine puts the gateways in when it creates the container
    /// (they are known once the networks exist), then `dns`, or else the servers the
    /// engine itself would use.
    pub resolver_networks: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_opt: Vec<String>,
    pub devices: Vec<Device>,
    /// Bytes of /dev/shm.
    pub shm_size: Option<u64>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub group_add: Vec<String>,
    pub pids_limit: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub mac_address: Option<String>,
    /// OCI annotations; an engine whose API cannot carry them leaves them out and says
    /// so ([`crate::engine::Engine::left_out`]).
    pub annotations: BTreeMap<String, String>,
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
    /// its value to a file readable only by the user (under [`crate::dirs::state_dir`]) when the
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
    /// A fixed address on the network (`ipv4_address`, `ipv6_address`).
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
}

/// A network to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    pub name: String,
    pub driver: Option<String>,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
    pub driver_opts: BTreeMap<String, String>,
    pub ipam: Option<Ipam>,
    pub attachable: bool,
    pub enable_ipv6: bool,
}

/// A named volume to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
        let networks: Vec<NetworkAttachment> = names::service_network_keys(service)
            .into_iter()
            .map(|key| {
                let network_name = match project.networks.get(key) {
                    Some(network) => names::network_name(&project.name, key, network),
                    None => names::network_name(&project.name, key, &Network::default()),
                };
                // A gated service's names there are the resolver's (serving::plan).
                let aliases = if serving::names_stay_on(project, service, key) {
                    serving::service_aliases(project, service, key)
                } else {
                    Vec::new()
                };
                let attachment = service.networks.get(key);
                NetworkAttachment {
                    network_name,
                    aliases,
                    ipv4_address: attachment.and_then(|a| a.ipv4_address.clone()),
                    ipv6_address: attachment.and_then(|a| a.ipv6_address.clone()),
                }
            })
            .collect();
        let secrets = service
            .secrets
            .iter()
            .filter_map(|secret| {
                // Validation refuses a service secret that names no top-level secret.
                Some(SecretMount {
                    name: secret.source.clone(),
                    source: SecretSource::of(project.secrets.get(&secret.source)?),
                    target: secret.target.clone(),
                })
            })
            .collect();
        let configs = service
            .configs
            .iter()
            .filter_map(|config| {
                // Validation refuses a service config that names no top-level config.
                Some(SecretMount {
                    name: config.source.clone(),
                    source: SecretSource::of(project.configs.get(&config.source)?),
                    target: config.target.clone(),
                })
            })
            .collect();
        let network_mode = service.network_mode.as_ref().map(|mode| match mode {
            NetworkMode::Service(peer) => {
                let peer_container = match project.services.get(peer) {
                    Some(peer) => names::replica_container_name(&project.name, peer, 1),
                    None => names::container_name(&project.name, peer, 1),
                };
                format!("container:{peer_container}")
            }
            other => other.to_string(),
        });
        // Docker refuses these with another container's network stack, and a MAC
        // address with the host's; the planner warns about them (`left_out_by_network_mode`).
        let shares_container = matches!(
            service.network_mode,
            Some(NetworkMode::Service(_) | NetworkMode::Container(_))
        );
        let on_host = service.network_mode == Some(NetworkMode::Host);
        let own_stack = !shares_container;
        let own_endpoint = !(shares_container || on_host);
        ContainerSpec {
            name: names::replica_container_name(&project.name, service, replica_number),
            image: names::image_name(&project.name, service),
            labels: labels::container_labels(&project.name, service, replica_number, config_hash),
            command: service.command.clone(),
            entrypoint: service.entrypoint.clone(),
            environment: service.environment.clone(),
            // A port that goes through the ingress is bound on no replica (a second one
            // could not bind it), only exposed.
            ports: kept(own_endpoint, &ingress::container_ports(service)),
            expose: kept(own_stack, &expose(service)),
            mounts,
            secrets,
            configs,
            networks,
            network_mode,
            healthcheck: service.healthcheck.clone(),
            restart: service.restart,
            user: service.user.clone(),
            working_dir: service.working_dir.clone(),
            hostname: kept(own_stack, &service.hostname),
            read_only: service.read_only,
            cap_add: service.cap_add.clone(),
            cap_drop: service.cap_drop.clone(),
            security_opt: service.security_opt.clone(),
            tmpfs: service.tmpfs.clone(),
            init: service.init,
            stop_signal: service.stop_signal.clone(),
            stop_timeout: service.stop_grace_period,
            cpus: service.cpu_limit(),
            memory_bytes: service.memory_limit(),
            memswap_limit: service.memswap_limit,
            cpu_shares: service.cpu_shares,
            cpuset: service.cpuset.clone(),
            domainname: service.domainname.clone(),
            tty: service.tty,
            stdin_open: service.stdin_open,
            stdin_once: false,
            auto_remove: false,
            logging: service.logging.clone(),
            sysctls: service.sysctls.clone(),
            ulimits: service.ulimits.clone(),
            extra_hosts: kept(own_stack, &service.extra_hosts),
            platform: service.platform.clone(),
            privileged: service.privileged,
            runtime: service.runtime.clone(),
            dns: kept(own_stack, &service.dns),
            resolver_networks: serving::resolver_networks(project, service),
            dns_search: kept(own_stack, &service.dns_search),
            dns_opt: kept(own_stack, &service.dns_opt),
            devices: service.devices.clone(),
            shm_size: service.shm_size,
            pid: service.pid.clone(),
            ipc: service.ipc.clone(),
            group_add: service.group_add.clone(),
            pids_limit: service.pids_limit,
            oom_score_adj: service.oom_score_adj,
            mac_address: kept(own_endpoint, &service.mac_address),
            annotations: service.annotations.clone(),
        }
    }
}

/// What `run` changes of a service's container for a one-off one: a container that is no
/// replica (labelled [`labels::ONEOFF`]), never restarted by the engine, with none of the
/// service's names on its networks unless asked, and no fixed address a replica holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOff {
    pub name: String,
    /// The command, over the service's; with an `entrypoint` and no command, none.
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// Added to the service's environment, over its values.
    pub environment: BTreeMap<String, String>,
    /// Added to the service's labels.
    pub labels: BTreeMap<String, String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    /// Published ports, besides the service's own with `service_ports`.
    pub ports: Vec<Port>,
    /// Publish the ports the service declares (they are not published otherwise).
    pub service_ports: bool,
    /// Added to the service's mounts; one on the same target replaces the service's.
    pub mounts: Vec<MountSpec>,
    pub tty: bool,
    /// Keep standard input open, and close it when the attached client does.
    pub stdin: bool,
    /// Removed by the engine when it exits (`-d --rm`: nobody waits for it to remove it).
    pub auto_remove: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// Give the container the service's names on its networks, as a replica has.
    pub use_aliases: bool,
}

impl ContainerSpec {
    /// The spec of a one-off container of `service` (`run`), labelled with `config_hash`.
    pub fn for_oneoff(
        project: &Project,
        service: &Service,
        config_hash: &str,
        oneoff: &OneOff,
    ) -> ContainerSpec {
        let mut spec = ContainerSpec::for_replica(project, service, 1, config_hash);
        spec.name = oneoff.name.clone();
        spec.labels.remove(labels::REPLICA);
        spec.labels
            .insert(labels::ONEOFF.to_string(), "true".to_string());
        spec.labels.extend(oneoff.labels.clone());
        if let Some(entrypoint) = &oneoff.entrypoint {
            spec.entrypoint = Some(entrypoint.clone());
            spec.command = None;
        }
        if let Some(command) = &oneoff.command {
            spec.command = Some(command.clone());
        }
        for (key, value) in &oneoff.environment {
            spec.environment.insert(key.clone(), Some(value.clone()));
        }
        let own_endpoint = !matches!(
            service.network_mode,
            Some(NetworkMode::Service(_) | NetworkMode::Container(_) | NetworkMode::Host)
        );
        spec.ports = if own_endpoint {
            let mut ports = if oneoff.service_ports {
                service.ports.clone()
            } else {
                Vec::new()
            };
            ports.extend(oneoff.ports.iter().cloned());
            ports
        } else {
            Vec::new()
        };
        for network in &mut spec.networks {
            if !oneoff.use_aliases {
                network.aliases.clear();
            }
            network.ipv4_address = None;
            network.ipv6_address = None;
        }
        spec.mac_address = None;
        spec.restart = None;
        if let Some(user) = &oneoff.user {
            spec.user = Some(user.clone());
        }
        if let Some(dir) = &oneoff.working_dir {
            spec.working_dir = Some(dir.clone());
        }
        spec.mounts.retain(|mount| {
            !oneoff
                .mounts
                .iter()
                .any(|extra| extra.target == mount.target)
        });
        spec.mounts.extend(oneoff.mounts.iter().cloned());
        spec.tty = oneoff.tty;
        spec.stdin_open = oneoff.stdin;
        spec.stdin_once = oneoff.stdin;
        spec.auto_remove = oneoff.auto_remove;
        spec.cap_add.extend(oneoff.cap_add.iter().cloned());
        spec.cap_drop.extend(oneoff.cap_drop.iter().cloned());
        spec
    }
}

/// The keys of `service` its containers go without because of its `network_mode`:
/// Docker refuses a hostname, ports, DNS settings, extra hosts and a MAC address with
/// another container's network stack, and discards ports and a MAC address with the
/// host's.
pub fn left_out_by_network_mode(service: &Service) -> Vec<&'static str> {
    let shares_container = matches!(
        service.network_mode,
        Some(NetworkMode::Service(_) | NetworkMode::Container(_))
    );
    let on_host = service.network_mode == Some(NetworkMode::Host);
    let mut out = Vec::new();
    let mut check = |set: bool, refused: bool, key: &'static str| {
        if set && refused {
            out.push(key);
        }
    };
    check(service.hostname.is_some(), shares_container, "hostname");
    check(
        !service.ports.is_empty(),
        shares_container || on_host,
        "ports",
    );
    check(!service.expose.is_empty(), shares_container, "expose");
    check(!service.dns.is_empty(), shares_container, "dns");
    check(
        !service.dns_search.is_empty(),
        shares_container,
        "dns_search",
    );
    check(!service.dns_opt.is_empty(), shares_container, "dns_opt");
    check(
        !service.extra_hosts.is_empty(),
        shares_container,
        "extra_hosts",
    );
    check(
        service.mac_address.is_some(),
        shares_container || on_host,
        "mac_address",
    );
    out
}

/// `value`, or nothing when the container cannot have it.
/// The service's `expose` entries and the container ports of its ingress ports.
fn expose(service: &Service) -> Vec<String> {
    let mut expose = service.expose.clone();
    expose.extend(ingress::exposed_ingress_ports(service));
    expose
}

fn kept<T: Clone + Default>(keep: bool, value: &T) -> T {
    if keep {
        value.clone()
    } else {
        T::default()
    }
}

/// The command that runs a `post_start` or `pre_stop` hook in a replica. Its output
/// goes to stderr: stdout carries only the data a command prints.
pub fn hook_exec(hook: &Hook) -> ExecSpec {
    ExecSpec {
        command: hook.command.clone(),
        env: hook
            .environment
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect(),
        user: hook.user.clone(),
        workdir: hook.working_dir.clone(),
        privileged: hook.privileged,
        output: ExecOutput::Stderr,
        ..ExecSpec::default()
    }
}

impl SecretSource {
    fn of(secret: &Secret) -> SecretSource {
        match secret {
            Secret::File(path) => SecretSource::File(path.clone()),
            Secret::Environment(variable) => SecretSource::Environment(variable.clone()),
            Secret::Content(text) => SecretSource::Content(text.clone()),
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
            driver_opts: network.driver_opts.clone(),
            ipam: network.ipam.clone(),
            attachable: network.attachable,
            enable_ipv6: network.enable_ipv6,
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

/// A command to run in a running container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecSpec {
    pub command: Vec<String>,
    /// `KEY=VALUE` pairs added to the container's environment.
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// Allocate a terminal: msctl's terminal is put in raw mode and wired to it.
    pub tty: bool,
    /// Forward msctl's standard input to the command.
    pub attach_stdin: bool,
    /// Run with extended privileges.
    pub privileged: bool,
    /// Start the command and return at once (exit code 0), leaving it running with no
    /// stream wired to msctl's.
    pub detach: bool,
    /// Where the command's output goes.
    pub output: ExecOutput,
}

/// How msctl wires its standard streams to a container's main process (`run`, `attach`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachSpec {
    /// Forward msctl's standard input (the container was created with it open).
    pub stdin: bool,
    /// The container has a terminal: msctl's is put in raw mode and wired to it.
    pub tty: bool,
    /// Start the container once attached (`run`), so no output is missed.
    pub start: bool,
    /// The keys that detach msctl and leave the container running (Docker's syntax,
    /// `ctrl-p,ctrl-q` by default).
    pub detach_keys: Option<String>,
    /// Pass SIGINT and SIGTERM msctl receives on to the container.
    pub proxy_signals: bool,
}

/// Where the output of an exec'd command goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExecOutput {
    /// Its stdout to msctl's stdout, its stderr to msctl's stderr (`msctl exec`).
    #[default]
    Inherit,
    /// Both to msctl's stderr: for commands msctl runs on its own account (lifecycle
    /// hooks), whose output is not the data a command prints.
    Stderr,
}

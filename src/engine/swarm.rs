//! The Swarm target's side of the Engine API: services, tasks, nodes, overlay networks,
//! secrets and configs of the Swarm whose manager msctl talks to, and the images msctl
//! sends to each node. The only file besides docker.rs that speaks bollard for them.
//!
//! What msctl decides (which services to create, update or remove) lives in
//! `crate::swarm`; here are the calls and the translation of a service into a Swarm
//! service spec, which is where "a Swarm cannot do this" is found.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use base64::Engine as _;
use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, Mount, MountTmpfsOptions,
    MountType as EngineMount, MountVolumeOptions, MountVolumeOptionsDriverConfig,
    NetworkAttachmentConfig, NetworkCreateRequest, ResourceObject, ResourcesUlimits, SecretSpec,
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecPrivileges, TaskSpecContainerSpecSecrets, TaskSpecLogDriver,
    TaskSpecPlacement, TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::docker::{ApiVersion, DockerEngine};
use super::{EngineError, LogLine};
use crate::manifest::model::{
    Condition, EndpointMode, FailureAction, MountType, Network, PortMode, Project, Protocol,
    RestartCondition, RestartMode, Secret, Service, UpdateConfig, UpdateOrder,
};
use crate::plan::{labels, names};

/// How long one Swarm call may take: they are control-plane writes, answered at once.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long sending one image to a node may take.
const IMAGE_TIMEOUT: Duration = Duration::from_secs(600);

/// The node label that tells msctl how to reach a node's engine, to send it images
/// (`docker node update --label-add io.msctl.engine=unix:///... NODE`).
pub const ENGINE_LABEL: &str = "io.msctl.engine";
/// The label of a Swarm service, network, secret or config: the image name a service runs.
pub const IMAGE_NAME: &str = "io.msctl.image";
/// The label of a Swarm secret or config: the key it is declared under.
pub const SECRET_KEY: &str = "io.msctl.secret";
pub const CONFIG_KEY: &str = "io.msctl.config";

/// The first API version with `Privileges.NoNewPrivileges` and `OomScoreAdj` in a
/// service's container spec.
const API_NO_NEW_PRIVILEGES: ApiVersion = ApiVersion::new(1, 46);
/// The first API version with `HealthCheck.StartInterval`.
const API_START_INTERVAL: ApiVersion = ApiVersion::new(1, 44);

/// The engine's place in a Swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmStatus {
    /// `inactive`, `pending`, `active`, `error`, `locked`.
    pub state: String,
    /// Whether this engine is a manager (can change services).
    pub manager: bool,
    pub node_id: String,
}

/// A node of the Swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `ready`, `down`, `unknown`, `disconnected`.
    pub state: String,
    /// `active`, `pause`, `drain`.
    pub availability: String,
    /// The node's address in the Swarm.
    pub address: String,
    pub labels: BTreeMap<String, String>,
}

impl NodeInfo {
    /// Whether the Swarm places new tasks on this node.
    pub fn takes_tasks(&self) -> bool {
        self.state == "ready" && self.availability == "active"
    }
}

/// A Swarm service msctl made, as the Swarm reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    pub id: String,
    /// The Swarm's name: `<project>_<service>`.
    pub name: String,
    /// The manifest's service name.
    pub service: String,
    pub version: u64,
    pub config_hash: String,
    /// `None` for a global service.
    pub replicas: Option<u64>,
    /// The image reference the spec runs (`sha256:...` for images msctl sent).
    pub image: String,
    /// The image name it was made from (the label msctl sets).
    pub image_name: String,
    /// `updating`, `paused`, `completed`, `rollback_started`, `rollback_paused`,
    /// `rollback_completed`, or empty when no update ran.
    pub update_state: String,
    pub update_message: String,
    /// When the last update (or rollback) began, in seconds since the Unix epoch.
    pub update_started: i64,
    /// The task template's key: a task runs the service's current spec when its own
    /// key is the same.
    pub template_key: String,
    /// Published ports: (published, target, protocol, mode).
    pub ports: Vec<(u16, u16, String, String)>,
}

/// A task of a service, on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub id: String,
    pub service_id: String,
    /// The replica's slot (1, 2, ...); 0 for a global service's tasks.
    pub slot: u64,
    pub node_id: String,
    pub desired: String,
    /// `new` ... `running`, `complete`, `failed`, `shutdown`, `rejected`, ...
    pub state: String,
    pub message: String,
    pub error: String,
    pub container_id: String,
    pub image: String,
    /// When the task reached its state, in seconds since the Unix epoch.
    pub since: i64,
    /// The key of the template the task was made from (see `ServiceInfo::template_key`).
    pub template_key: String,
}

/// A secret or config msctl made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmObject {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// What the translation of a project into Swarm services needs besides the project.
pub struct SwarmInputs<'a> {
    pub project: &'a Project,
    /// Service name -> the image id (`sha256:...`) it runs.
    pub images: &'a BTreeMap<String, String>,
    /// Secret key -> the Swarm secret's name (one per content).
    pub secrets: &'a BTreeMap<String, String>,
    /// Config key -> the Swarm config's name.
    pub configs: &'a BTreeMap<String, String>,
    /// msctl's environment: fills `environment` entries without a value.
    pub environment: &'a BTreeMap<String, String>,
    pub api: ApiVersion,
}

/// A service's Swarm spec, and what was left out on the way.
pub struct Translated {
    pub spec: ServiceSpec,
    /// The hash of everything but the replica count: when it changes, the service is
    /// updated (a rolling update where the task template changed).
    pub config_hash: String,
    pub warnings: Vec<String>,
}

/// The Swarm's name of a service.
pub fn service_name(project: &str, service: &str) -> String {
    format!("{project}_{service}")
}

/// The endpoint mode a service gets: the manifest's, else DNS round robin (each name
/// resolves to its tasks' addresses, as on the local target; no kernel IPVS needed).
pub fn endpoint_mode(service: &Service) -> EndpointMode {
    service.deploy.endpoint_mode.unwrap_or(EndpointMode::Dnsrr)
}

/// The publish mode of a port: the manifest's, else `host` under DNS round robin (the
/// routing mesh needs a virtual IP), `ingress` under a virtual IP.
pub fn publish_mode(service: &Service, mode: Option<PortMode>) -> PortMode {
    mode.unwrap_or(match endpoint_mode(service) {
        EndpointMode::Dnsrr => PortMode::Host,
        EndpointMode::Vip => PortMode::Ingress,
    })
}

/// The name of a Swarm secret or config: the key and its content's hash, since a Swarm
/// secret cannot change (a new content is a new secret the service moves to).
pub fn object_name(project: &str, key: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{project}_{key}_{hex}")
}

/// The content of a secret or config, read where the manifest says it is.
pub fn object_content(
    kind: &str,
    key: &str,
    source: &Secret,
    environment: &BTreeMap<String, String>,
) -> Result<Vec<u8>, String> {
    match source {
        Secret::File(path) => std::fs::read(path)
            .map_err(|e| format!("{kind} `{key}`: cannot read {}: {e}", path.display())),
        Secret::Environment(variable) => environment
            .get(variable)
            .map(|v| v.clone().into_bytes())
            .ok_or_else(|| {
                format!("{kind} `{key}`: the environment variable {variable} is not set")
            }),
        Secret::Content(text) => Ok(text.clone().into_bytes()),
    }
}

fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// Translate one service into its Swarm spec, or say every key a Swarm cannot do.
pub fn service_spec(
    inputs: &SwarmInputs<'_>,
    service: &Service,
) -> Result<Translated, Vec<String>> {
    let project = inputs.project;
    let mut refused: Vec<String> = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut refuse = |key: &str, why: &str| refused.push(format!("`{key}`: {why}"));

    // What a Swarm service has no field for.
    let no_field = "a Swarm service has no such setting";
    if service.privileged {
        refuse("privileged", "a Swarm does not run privileged tasks");
    }
    if !service.devices.is_empty() {
        refuse("devices", no_field);
    }
    if service.network_mode.is_some() {
        refuse(
            "network_mode",
            "a Swarm task joins networks, not another's network stack",
        );
    }
    if service.pid.is_some() {
        refuse("pid", no_field);
    }
    if service.ipc.is_some() {
        refuse("ipc", no_field);
    }
    if service.cpu_shares.is_some() {
        refuse("cpu_shares", "use `deploy.resources.reservations.cpus`");
    }
    if service.cpuset.is_some() {
        refuse("cpuset", no_field);
    }
    if service.mac_address.is_some() {
        refuse("mac_address", no_field);
    }
    if service.memswap_limit.is_some() {
        refuse("memswap_limit", no_field);
    }
    if service.shm_size.is_some() {
        refuse("shm_size", "mount a `tmpfs` at /dev/shm instead");
    }
    if service.runtime.is_some() {
        refuse("runtime", no_field);
    }
    if service.container_name.is_some() {
        refuse("container_name", "a Swarm names its tasks itself");
    }
    if !service.links.is_empty() {
        refuse(
            "links",
            "a Swarm has no links: services reach each other by name on a shared network",
        );
    }
    if service.domainname.is_some() {
        refuse("domainname", no_field);
    }
    if service.platform.is_some() {
        refuse(
            "platform",
            "use a placement constraint on `node.platform.arch`",
        );
    }
    if !service.post_start.is_empty() || !service.pre_stop.is_empty() {
        refuse("post_start/pre_stop", "a Swarm runs no lifecycle hooks");
    }
    if !service.annotations.is_empty() {
        refuse("annotations", no_field);
    }
    if service.extensions.autoscale.is_some() {
        refuse(
            "x-msctl.autoscale",
            "msctl's autoscaler runs in its local control plane; scale a Swarm service with `msctl scale`",
        );
    }
    if service.extensions.probe.is_some() {
        if service
            .healthcheck
            .as_ref()
            .is_some_and(|h| !h.is_disabled())
        {
            warnings.push(format!(
                "service `{}`: `x-msctl.probe` is run by msctl on the local target only; on a Swarm its healthcheck says when a task is ready",
                service.name
            ));
        } else {
            refuse(
                "x-msctl.probe",
                "msctl does not probe tasks on Swarm nodes; give the service a `healthcheck`",
            );
        }
    }
    if service.restart.is_some_and(|r| r != RestartMode::No) || service.restart.is_some() {
        warnings.push(format!(
            "service `{}`: `restart` is ignored on a Swarm; `deploy.restart_policy` says what the Swarm does (default: restart on any exit)",
            service.name
        ));
    }
    let mut no_new_privileges = false;
    for option in &service.security_opt {
        let (name, value) = option
            .split_once([':', '='])
            .unwrap_or((option.as_str(), "true"));
        if name == "no-new-privileges" {
            no_new_privileges = value != "false";
        } else {
            refuse(
                &format!("security_opt: {option}"),
                "a Swarm service sets no seccomp, apparmor or label options",
            );
        }
    }
    if no_new_privileges && !inputs.api.at_least(API_NO_NEW_PRIVILEGES) {
        refuse(
            "security_opt: no-new-privileges",
            &format!(
                "Swarm services take it from Engine API 1.46 (Docker 27); this engine speaks {}: start every node's daemon with --no-new-privileges and drop the key, or upgrade",
                inputs.api
            ),
        );
    }
    if service.oom_score_adj.is_some() && !inputs.api.at_least(API_NO_NEW_PRIVILEGES) {
        refuse(
            "oom_score_adj",
            "Swarm services take it from Engine API 1.46",
        );
    }
    for (key, dependency) in &service.depends_on {
        if dependency.condition == Condition::ServiceCompletedSuccessfully {
            refuse(
                &format!("depends_on.{key}"),
                "a Swarm restarts a task that completes; `service_completed_successfully` cannot be waited for",
            );
        }
    }

    // The container.
    let image = inputs.images.get(&service.name).cloned();
    let mut container = TaskSpecContainerSpec {
        image: image.clone(),
        ..Default::default()
    };
    container.command = service.entrypoint.clone();
    container.args = service.command.clone();
    let env: Vec<String> = service
        .environment
        .iter()
        .filter_map(|(key, value)| {
            let value = value.as_ref().or_else(|| inputs.environment.get(key))?;
            Some(format!("{key}={value}"))
        })
        .collect();
    if !env.is_empty() {
        container.env = Some(env);
    }
    container.user = service.user.clone();
    container.dir = service.working_dir.clone();
    container.hostname = service.hostname.clone();
    container.read_only = service.read_only.then_some(true);
    container.tty = service.tty.then_some(true);
    container.open_stdin = service.stdin_open.then_some(true);
    container.init = service.init;
    container.stop_signal = service.stop_signal.clone();
    container.stop_grace_period = service.stop_grace_period.map(nanos);
    if !service.cap_add.is_empty() {
        container.capability_add = Some(service.cap_add.clone());
    }
    if !service.cap_drop.is_empty() {
        container.capability_drop = Some(service.cap_drop.clone());
    }
    if !service.group_add.is_empty() {
        container.groups = Some(service.group_add.clone());
    }
    if !service.sysctls.is_empty() {
        container.sysctls = Some(service.sysctls.clone().into_iter().collect());
    }
    if !service.ulimits.is_empty() {
        container.ulimits = Some(
            service
                .ulimits
                .iter()
                .map(|(name, limit)| ResourcesUlimits {
                    name: Some(name.clone()),
                    soft: Some(limit.soft),
                    hard: Some(limit.hard),
                })
                .collect(),
        );
    }
    if !service.extra_hosts.is_empty() {
        // Compose writes HOST:IP (or HOST=IP); a Swarm wants "IP HOST".
        container.hosts = Some(
            service
                .extra_hosts
                .iter()
                .map(|entry| match entry.split_once(['=', ':']) {
                    Some((host, ip)) => format!("{ip} {host}"),
                    None => entry.clone(),
                })
                .collect(),
        );
    }
    if !service.dns.is_empty() || !service.dns_search.is_empty() || !service.dns_opt.is_empty() {
        container.dns_config = Some(TaskSpecContainerSpecDnsConfig {
            nameservers: (!service.dns.is_empty()).then(|| service.dns.clone()),
            search: (!service.dns_search.is_empty()).then(|| service.dns_search.clone()),
            options: (!service.dns_opt.is_empty()).then(|| service.dns_opt.clone()),
        });
    }
    if no_new_privileges && inputs.api.at_least(API_NO_NEW_PRIVILEGES) {
        container.privileges = Some(TaskSpecContainerSpecPrivileges {
            no_new_privileges: Some(true),
            ..Default::default()
        });
    }
    if inputs.api.at_least(API_NO_NEW_PRIVILEGES) {
        container.oom_score_adj = service.oom_score_adj;
    }
    if let Some(check) = &service.healthcheck {
        if check.start_interval.is_some() && !inputs.api.at_least(API_START_INTERVAL) {
            refuse(
                "healthcheck.start_interval",
                "Swarm services take it from Engine API 1.44",
            );
        }
        container.health_check = Some(HealthConfig {
            test: Some(check.test.clone()),
            interval: check.interval.map(nanos),
            timeout: check.timeout.map(nanos),
            retries: check.retries.map(i64::from),
            start_period: check.start_period.map(nanos),
            start_interval: check
                .start_interval
                .filter(|_| inputs.api.at_least(API_START_INTERVAL))
                .map(nanos),
        });
    }
    let mut container_labels: HashMap<String, String> =
        service.labels.clone().into_iter().collect();
    container_labels.insert(labels::PROJECT.to_string(), project.name.clone());
    container_labels.insert(labels::SERVICE.to_string(), service.name.clone());
    container.labels = Some(container_labels);

    // Mounts: named volumes (made on each node a task lands on), binds, tmpfs.
    let mut mounts = Vec::new();
    for mount in &service.volumes {
        let kind = match mount.kind {
            MountType::Volume => EngineMount::VOLUME,
            MountType::Bind => EngineMount::BIND,
            MountType::Tmpfs => EngineMount::TMPFS,
        };
        let mut out = Mount {
            target: Some(mount.target.clone()),
            typ: Some(kind),
            read_only: mount.read_only.then_some(true),
            ..Default::default()
        };
        match mount.kind {
            MountType::Volume => {
                if let Some(key) = &mount.source {
                    let volume = project.volumes.get(key).cloned().unwrap_or_default();
                    out.source = Some(names::volume_name(&project.name, key, &volume));
                    out.volume_options = Some(MountVolumeOptions {
                        labels: Some(
                            labels::volume_labels(&project.name, key, &volume.labels)
                                .into_iter()
                                .collect(),
                        ),
                        driver_config: volume.driver.as_ref().map(|driver| {
                            MountVolumeOptionsDriverConfig {
                                name: Some(driver.clone()),
                                options: Some(volume.driver_opts.clone().into_iter().collect()),
                            }
                        }),
                        ..Default::default()
                    });
                }
            }
            MountType::Bind => out.source = mount.source.clone(),
            MountType::Tmpfs => {}
        }
        mounts.push(out);
    }
    for tmpfs in &service.tmpfs {
        let (target, options) = tmpfs.split_once(':').unwrap_or((tmpfs.as_str(), ""));
        let mut size = None;
        for option in options.split(',').filter(|o| !o.is_empty()) {
            match option.split_once('=') {
                Some(("size", value)) => {
                    size = crate::manifest::units::parse_bytes(value)
                        .map(|b| b as i64)
                        .ok()
                }
                _ => refuse(
                    &format!("tmpfs: {tmpfs}"),
                    "a Swarm tmpfs takes a size only",
                ),
            }
        }
        mounts.push(Mount {
            target: Some(target.to_string()),
            typ: Some(EngineMount::TMPFS),
            tmpfs_options: size.map(|size_bytes| MountTmpfsOptions {
                size_bytes: Some(size_bytes),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    if !mounts.is_empty() {
        container.mounts = Some(mounts);
    }

    // Secrets and configs: files under /run/secrets (or the target given).
    let mut secret_refs = Vec::new();
    for secret in &service.secrets {
        let Some(name) = inputs.secrets.get(&secret.source) else {
            refuse(
                &format!("secrets: {}", secret.source),
                "not a secret of the project",
            );
            continue;
        };
        // A name under /run/secrets, or an absolute path elsewhere.
        let target = match secret.target.strip_prefix("/run/secrets/") {
            Some(name) => name.to_string(),
            None => secret.target.clone(),
        };
        secret_refs.push(TaskSpecContainerSpecSecrets {
            file: Some(TaskSpecContainerSpecFile {
                name: Some(target),
                uid: Some("0".to_string()),
                gid: Some("0".to_string()),
                mode: Some(0o444),
            }),
            secret_id: None,
            secret_name: Some(name.clone()),
        });
    }
    if !secret_refs.is_empty() {
        container.secrets = Some(secret_refs);
    }
    let mut config_refs = Vec::new();
    for config in &service.configs {
        let Some(name) = inputs.configs.get(&config.source) else {
            refuse(
                &format!("configs: {}", config.source),
                "not a config of the project",
            );
            continue;
        };
        config_refs.push(TaskSpecContainerSpecConfigs {
            file: Some(bollard::models::TaskSpecContainerSpecFile1 {
                name: Some(config.target.clone()),
                uid: Some("0".to_string()),
                gid: Some("0".to_string()),
                mode: Some(0o444),
            }),
            config_name: Some(name.clone()),
            ..Default::default()
        });
    }
    if !config_refs.is_empty() {
        container.configs = Some(config_refs);
    }

    // The task: resources, restart policy, placement, logging.
    let deploy = &service.deploy;
    let limits = &deploy.resources.limits;
    let reservations = &deploy.resources.reservations;
    let cpu = |cpus: f64| (cpus * 1e9).round() as i64;
    let limit = Limit {
        nano_cpus: limits.cpus.or(service.cpus).map(cpu),
        memory_bytes: limits.memory.or(service.mem_limit).map(|m| m as i64),
        pids: service.pids_limit.filter(|p| *p > 0),
    };
    let reservation = ResourceObject {
        nano_cpus: reservations.cpus.map(cpu),
        memory_bytes: reservations.memory.map(|m| m as i64),
        ..Default::default()
    };
    let resources = TaskSpecResources {
        limits: (limit != Limit::default()).then_some(limit),
        reservations: (reservation != ResourceObject::default()).then_some(reservation),
        ..Default::default()
    };
    let restart_policy = deploy
        .restart_policy
        .as_ref()
        .map(|policy| TaskSpecRestartPolicy {
            condition: Some(match policy.condition {
                RestartCondition::None => TaskSpecRestartPolicyConditionEnum::NONE,
                RestartCondition::OnFailure => TaskSpecRestartPolicyConditionEnum::ON_FAILURE,
                RestartCondition::Any => TaskSpecRestartPolicyConditionEnum::ANY,
            }),
            delay: policy.delay.map(nanos),
            max_attempts: policy.max_attempts.map(i64::from),
            window: policy.window.map(nanos),
        });
    let placement = &deploy.placement;
    let placement = (!placement.is_empty()).then(|| TaskSpecPlacement {
        constraints: (!placement.constraints.is_empty()).then(|| placement.constraints.clone()),
        preferences: (!placement.preferences.is_empty()).then(|| {
            placement
                .preferences
                .iter()
                .map(|descriptor| TaskSpecPlacementPreferences {
                    spread: Some(TaskSpecPlacementSpread {
                        spread_descriptor: Some(descriptor.clone()),
                    }),
                })
                .collect()
        }),
        max_replicas: placement.max_replicas_per_node.map(i64::from),
        ..Default::default()
    });
    let log_driver = service.logging.as_ref().and_then(|logging| {
        logging.driver.as_ref().map(|driver| TaskSpecLogDriver {
            name: Some(driver.clone()),
            options: Some(logging.options.clone().into_iter().collect()),
        })
    });

    // Networks: the service's name (and its aliases) on each, as `docker stack` does.
    let mut networks = Vec::new();
    for (key, attachment) in &service.networks {
        let network = project.networks.get(key).cloned().unwrap_or_default();
        let mut aliases = vec![service.name.clone()];
        aliases.extend(attachment.aliases.iter().cloned());
        if network.driver.as_deref().is_some_and(|d| d != "overlay") && !network.external {
            refuse(
                &format!("networks.{key}"),
                "a Swarm service joins overlay networks only; drop the network's `driver` or set `driver: overlay`",
            );
        }
        networks.push(NetworkAttachmentConfig {
            target: Some(names::network_name(&project.name, key, &network)),
            aliases: Some(aliases),
            ..Default::default()
        });
    }

    // Published ports.
    let mut ports = Vec::new();
    for port in &service.ports {
        let mode = publish_mode(service, port.mode);
        if let Some(ip) = port
            .host_ip
            .as_deref()
            .filter(|ip| !matches!(*ip, "0.0.0.0" | "::" | ""))
        {
            refuse(
                &format!("ports: {ip}:{}", port.published.unwrap_or(port.target)),
                "a Swarm publishes on every address of a node; it cannot bind one address (publish without an address, e.g. SHOP_ADDRESS=0.0.0.0 for the shop)",
            );
        }
        if mode == PortMode::Ingress && endpoint_mode(service) == EndpointMode::Dnsrr {
            refuse(
                &format!("ports: {}", port.target),
                "the routing mesh (`mode: ingress`) needs `deploy.endpoint_mode: vip`; with DNS round robin a port is published on the node that runs the task (`mode: host`)",
            );
        }
        ports.push(EndpointPortConfig {
            protocol: Some(match port.protocol {
                Protocol::Tcp => EndpointPortConfigProtocolEnum::TCP,
                Protocol::Udp => EndpointPortConfigProtocolEnum::UDP,
                Protocol::Sctp => EndpointPortConfigProtocolEnum::SCTP,
            }),
            target_port: Some(i64::from(port.target)),
            published_port: port.published.map(i64::from),
            publish_mode: Some(match mode {
                PortMode::Host => EndpointPortConfigPublishModeEnum::HOST,
                PortMode::Ingress => EndpointPortConfigPublishModeEnum::INGRESS,
            }),
            ..Default::default()
        });
    }
    let endpoint_spec = EndpointSpec {
        mode: Some(match endpoint_mode(service) {
            EndpointMode::Vip => EndpointSpecModeEnum::VIP,
            EndpointMode::Dnsrr => EndpointSpecModeEnum::DNSRR,
        }),
        ports: (!ports.is_empty()).then_some(ports),
    };

    if image.is_none() {
        refuse("image", "msctl found no image id for the service");
    }
    if !refused.is_empty() {
        return Err(refused
            .into_iter()
            .map(|r| format!("service `{}`: {r}", service.name))
            .collect());
    }

    let mut spec = ServiceSpec {
        name: Some(service_name(&project.name, &service.name)),
        labels: None,
        task_template: Some(TaskSpec {
            container_spec: Some(container),
            resources: Some(resources),
            restart_policy,
            placement,
            log_driver,
            networks: Some(networks),
            ..Default::default()
        }),
        mode: Some(if deploy.global {
            ServiceSpecMode {
                global: Some(HashMap::new()),
                ..Default::default()
            }
        } else {
            ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated { replicas: Some(0) }),
                ..Default::default()
            }
        }),
        update_config: deploy.update_config.as_ref().map(update_config),
        rollback_config: deploy.rollback_config.as_ref().map(rollback_config),
        networks: None,
        endpoint_spec: Some(endpoint_spec),
    };
    let config_hash = {
        // The spec's label maps are HashMaps: sort every map before hashing.
        let json = serde_json::to_value(&spec)
            .map(|v| canonical(v).to_string().into_bytes())
            .unwrap_or_default();
        let digest = Sha256::digest(&json);
        digest
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut service_labels: HashMap<String, String> = deploy.labels.clone().into_iter().collect();
    service_labels.insert(labels::PROJECT.to_string(), project.name.clone());
    service_labels.insert(labels::SERVICE.to_string(), service.name.clone());
    service_labels.insert(labels::CONFIG_HASH.to_string(), config_hash.clone());
    service_labels.insert(
        IMAGE_NAME.to_string(),
        names::image_name(&project.name, service),
    );
    service_labels.insert(
        labels::VERSION.to_string(),
        labels::MSCTL_VERSION.to_string(),
    );
    spec.labels = Some(service_labels);
    Ok(Translated {
        spec,
        config_hash,
        warnings,
    })
}

/// A JSON value with every object's keys in sorted order.
fn canonical(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(canonical).collect())
        }
        other => other,
    }
}

fn update_config(config: &UpdateConfig) -> ServiceSpecUpdateConfig {
    ServiceSpecUpdateConfig {
        parallelism: Some(i64::from(config.parallelism)),
        delay: Some(nanos(config.delay)),
        failure_action: Some(match config.failure_action {
            FailureAction::Pause => ServiceSpecUpdateConfigFailureActionEnum::PAUSE,
            FailureAction::Continue => ServiceSpecUpdateConfigFailureActionEnum::CONTINUE,
            FailureAction::Rollback => ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK,
        }),
        monitor: Some(nanos(config.monitor)),
        max_failure_ratio: Some(config.max_failure_ratio),
        order: Some(match config.order {
            UpdateOrder::StartFirst => ServiceSpecUpdateConfigOrderEnum::START_FIRST,
            UpdateOrder::StopFirst => ServiceSpecUpdateConfigOrderEnum::STOP_FIRST,
        }),
    }
}

fn rollback_config(config: &UpdateConfig) -> ServiceSpecRollbackConfig {
    ServiceSpecRollbackConfig {
        parallelism: Some(i64::from(config.parallelism)),
        delay: Some(nanos(config.delay)),
        // A rollback that fails cannot roll back again: it pauses.
        failure_action: Some(match config.failure_action {
            FailureAction::Continue => ServiceSpecRollbackConfigFailureActionEnum::CONTINUE,
            _ => ServiceSpecRollbackConfigFailureActionEnum::PAUSE,
        }),
        monitor: Some(nanos(config.monitor)),
        max_failure_ratio: Some(config.max_failure_ratio),
        order: Some(match config.order {
            UpdateOrder::StartFirst => ServiceSpecRollbackConfigOrderEnum::START_FIRST,
            UpdateOrder::StopFirst => ServiceSpecRollbackConfigOrderEnum::STOP_FIRST,
        }),
    }
}

/// Fill in the ids of the secrets and configs a spec names: the Swarm wants both.
pub fn resolve_object_ids(spec: &mut ServiceSpec, ids: &BTreeMap<String, String>) {
    let Some(container) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    else {
        return;
    };
    for secret in container.secrets.iter_mut().flatten() {
        secret.secret_id = secret
            .secret_name
            .as_ref()
            .and_then(|n| ids.get(n))
            .cloned();
    }
    for config in container.configs.iter_mut().flatten() {
        config.config_id = config
            .config_name
            .as_ref()
            .and_then(|n| ids.get(n))
            .cloned();
    }
}

/// Set the replica count of a spec (replicated services only).
pub fn set_replicas(spec: &mut ServiceSpec, replicas: u64) {
    if let Some(replicated) = spec.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
        replicated.replicas = Some(replicas as i64);
    }
}

/// The overlay network a project network becomes.
pub fn network_request(project: &str, key: &str, network: &Network) -> NetworkCreateRequest {
    let ipam = network.ipam.as_ref().map(|ipam| bollard::models::Ipam {
        driver: ipam.driver.clone(),
        config: Some(
            ipam.config
                .iter()
                .map(|pool| bollard::models::IpamConfig {
                    subnet: pool.subnet.clone(),
                    ip_range: pool.ip_range.clone(),
                    gateway: pool.gateway.clone(),
                    auxiliary_addresses: (!pool.aux_addresses.is_empty())
                        .then(|| pool.aux_addresses.clone().into_iter().collect()),
                })
                .collect(),
        ),
        options: (!ipam.options.is_empty()).then(|| ipam.options.clone().into_iter().collect()),
    });
    NetworkCreateRequest {
        name: names::network_name(project, key, network),
        driver: Some("overlay".to_string()),
        scope: Some("swarm".to_string()),
        internal: Some(network.internal),
        // Attachable: `docker run --network` and msctl's own checks can join it.
        attachable: Some(true),
        options: Some(network.driver_opts.clone().into_iter().collect()),
        labels: Some(
            labels::network_labels(project, key, &network.labels)
                .into_iter()
                .collect(),
        ),
        ipam,
        ..Default::default()
    }
}

/// What makes two task templates run the same thing: container, resources, placement,
/// restart policy and the forced-update counter.
fn template_key(template: Option<&TaskSpec>) -> String {
    let Some(template) = template else {
        return String::new();
    };
    let parts = serde_json::json!([
        template.container_spec,
        template.resources,
        template.placement,
        template.restart_policy,
        template.force_update,
        template.log_driver,
    ]);
    let digest = Sha256::digest(canonical(parts).to_string().as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn seconds_of(date: Option<&bollard::models::BollardDate>) -> i64 {
    date.and_then(|t| crate::engine::parse_rfc3339_nanos(&t.to_string()))
        .map(|ns| ns / 1_000_000_000)
        .unwrap_or_default()
}

fn state_text<T: std::fmt::Debug>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map(|v| format!("{v:?}").to_ascii_lowercase())
        .unwrap_or_default()
}

fn label_map(labels: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    labels.unwrap_or_default().into_iter().collect()
}

/// A connection to a Swarm manager's engine.
#[derive(Clone)]
pub struct SwarmEngine {
    engine: DockerEngine,
    /// Registry host -> the credentials sent with a service spec whose image is there,
    /// so that the nodes can pull it.
    registry_auths: std::sync::Arc<std::sync::RwLock<BTreeMap<String, super::RegistryAuth>>>,
}

impl SwarmEngine {
    pub fn new(engine: DockerEngine) -> SwarmEngine {
        SwarmEngine {
            engine,
            registry_auths: std::sync::Arc::default(),
        }
    }

    /// The credentials to send along with the specs of services whose images are in
    /// these registries (by host).
    pub fn set_registry_auths(&self, auths: BTreeMap<String, super::RegistryAuth>) {
        if let Ok(mut held) = self.registry_auths.write() {
            *held = auths;
        }
    }

    /// The credentials for the registry of `spec`'s image, when msctl has some.
    fn auth_for(&self, spec: &ServiceSpec) -> Option<bollard::auth::DockerCredentials> {
        let image = spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.as_deref())?;
        // Keyed as `credentials_by_registry` keys them (`index.docker.io` is `docker.io`).
        let registry = crate::images::reference::Reference::parse(image).registry;
        let auths = self.registry_auths.read().ok()?;
        let auth = auths.get(&registry)?;
        Some(bollard::auth::DockerCredentials {
            username: Some(auth.username.clone()).filter(|u| !u.is_empty()),
            password: Some(auth.password.clone()).filter(|p| !p.is_empty()),
            identitytoken: auth.identity_token.clone(),
            serveraddress: Some(auth.server_address.clone()),
            ..Default::default()
        })
    }

    pub fn api_version(&self) -> ApiVersion {
        self.engine.api_version()
    }

    /// The manager's engine itself: its images, its volumes.
    pub fn manager(&self) -> &DockerEngine {
        &self.engine
    }

    pub fn address(&self) -> &str {
        self.engine.address()
    }

    async fn call<T>(
        &self,
        operation: &str,
        what: impl FnOnce() -> String,
        future: impl std::future::Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        self.engine
            .call(operation, what, CALL_TIMEOUT, future)
            .await
    }

    /// This engine's place in a Swarm.
    pub async fn status(&self) -> Result<SwarmStatus, EngineError> {
        let docker = self.engine.client();
        let info = self
            .call("info", || "the engine".to_string(), docker.info())
            .await?;
        let swarm = info.swarm.unwrap_or_default();
        Ok(SwarmStatus {
            state: state_text(&swarm.local_node_state),
            manager: swarm.control_available.unwrap_or(false),
            node_id: swarm.node_id.unwrap_or_default(),
        })
    }

    pub async fn nodes(&self) -> Result<Vec<NodeInfo>, EngineError> {
        let docker = self.engine.client();
        let nodes = self
            .call(
                "list nodes",
                || "the Swarm's nodes".to_string(),
                docker.list_nodes(None::<bollard::query_parameters::ListNodesOptions>),
            )
            .await?;
        let mut out: Vec<NodeInfo> = nodes
            .into_iter()
            .map(|node| {
                let spec = node.spec.unwrap_or_default();
                let status = node.status.unwrap_or_default();
                NodeInfo {
                    id: node.id.unwrap_or_default(),
                    hostname: node
                        .description
                        .and_then(|d| d.hostname)
                        .unwrap_or_default(),
                    role: state_text(&spec.role),
                    state: state_text(&status.state),
                    availability: state_text(&spec.availability),
                    address: status.addr.unwrap_or_default(),
                    labels: label_map(spec.labels),
                }
            })
            .collect();
        out.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The project's services.
    pub async fn services(&self, project: &str) -> Result<Vec<ServiceInfo>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        );
        let services = self
            .call(
                "list services",
                || format!("the services of project `{project}`"),
                docker.list_services(Some(bollard::query_parameters::ListServicesOptions {
                    filters: Some(filters),
                    status: None,
                })),
            )
            .await?;
        let mut out: Vec<ServiceInfo> = services
            .into_iter()
            .map(|service| {
                let spec = service.spec.unwrap_or_default();
                let labels_of = label_map(spec.labels.clone());
                let update = service.update_status.unwrap_or_default();
                let ports = service
                    .endpoint
                    .and_then(|e| e.ports)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| {
                        (
                            p.published_port.unwrap_or_default() as u16,
                            p.target_port.unwrap_or_default() as u16,
                            state_text(&p.protocol),
                            state_text(&p.publish_mode),
                        )
                    })
                    .collect();
                ServiceInfo {
                    id: service.id.unwrap_or_default(),
                    name: spec.name.clone().unwrap_or_default(),
                    service: labels_of.get(labels::SERVICE).cloned().unwrap_or_default(),
                    version: service.version.and_then(|v| v.index).unwrap_or_default(),
                    config_hash: labels_of
                        .get(labels::CONFIG_HASH)
                        .cloned()
                        .unwrap_or_default(),
                    replicas: spec
                        .mode
                        .as_ref()
                        .and_then(|m| m.replicated.as_ref())
                        .map(|r| r.replicas.unwrap_or_default().max(0) as u64),
                    image: spec
                        .task_template
                        .as_ref()
                        .and_then(|t| t.container_spec.as_ref())
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default(),
                    image_name: labels_of.get(IMAGE_NAME).cloned().unwrap_or_default(),
                    update_state: state_text(&update.state),
                    update_message: update.message.unwrap_or_default(),
                    update_started: seconds_of(update.started_at.as_ref()),
                    template_key: template_key(spec.task_template.as_ref()),
                    ports,
                }
            })
            .collect();
        out.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(out)
    }

    /// The current spec of a service, with its version (for an update).
    pub async fn current_spec(&self, id: &str) -> Result<(ServiceSpec, u64), EngineError> {
        let docker = self.engine.client();
        let service = self
            .call(
                "inspect service",
                || format!("service {id}"),
                docker
                    .inspect_service(id, None::<bollard::query_parameters::InspectServiceOptions>),
            )
            .await?;
        Ok((
            service.spec.unwrap_or_default(),
            service.version.and_then(|v| v.index).unwrap_or_default(),
        ))
    }

    pub async fn create_service(&self, spec: ServiceSpec) -> Result<String, EngineError> {
        let docker = self.engine.client();
        let name = spec.name.clone().unwrap_or_default();
        let auth = self.auth_for(&spec);
        let created = self
            .call(
                "create service",
                || format!("service {name}"),
                docker.create_service(spec, auth),
            )
            .await?;
        Ok(created.id.unwrap_or_default())
    }

    /// Replace a service's spec (`rollback`: return to the previous spec instead).
    pub async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
        rollback: bool,
    ) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let options = bollard::query_parameters::UpdateServiceOptions {
            version: version as i32,
            rollback: if rollback {
                Some("previous".to_string())
            } else {
                None
            },
            ..Default::default()
        };
        let response = self
            .call(
                "update service",
                || format!("service {id}"),
                docker.update_service(id, spec.clone(), options, self.auth_for(&spec)),
            )
            .await?;
        for warning in response.warnings.unwrap_or_default() {
            tracing::debug!("update service {id}: {warning}");
        }
        Ok(())
    }

    pub async fn remove_service(&self, id: &str) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let removed = self
            .call(
                "remove service",
                || format!("service {id}"),
                docker.delete_service(id),
            )
            .await;
        gone_already_is_done(removed)
    }

    /// The tasks of the project's services (of one service when `service_id` is set).
    pub async fn tasks(
        &self,
        project: &str,
        service_id: Option<&str>,
    ) -> Result<Vec<TaskInfo>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        match service_id {
            Some(id) => {
                filters.insert("service".to_string(), vec![id.to_string()]);
            }
            None => {
                filters.insert(
                    "label".to_string(),
                    vec![format!("{}={project}", labels::PROJECT)],
                );
            }
        }
        let tasks = self
            .call(
                "list tasks",
                || format!("the tasks of project `{project}`"),
                docker.list_tasks(Some(bollard::query_parameters::ListTasksOptions {
                    filters: Some(filters),
                })),
            )
            .await?;
        Ok(tasks
            .into_iter()
            .map(|task| {
                let status = task.status.unwrap_or_default();
                TaskInfo {
                    id: task.id.unwrap_or_default(),
                    service_id: task.service_id.unwrap_or_default(),
                    slot: task.slot.unwrap_or_default().max(0) as u64,
                    node_id: task.node_id.unwrap_or_default(),
                    desired: state_text(&task.desired_state),
                    state: state_text(&status.state),
                    message: status.message.unwrap_or_default(),
                    error: status.err.unwrap_or_default(),
                    container_id: status
                        .container_status
                        .and_then(|c| c.container_id)
                        .unwrap_or_default(),
                    image: task
                        .spec
                        .as_ref()
                        .and_then(|s| s.container_spec.as_ref())
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default(),
                    since: seconds_of(status.timestamp.as_ref()),
                    template_key: template_key(task.spec.as_ref()),
                }
            })
            .collect())
    }

    /// The project's networks on the Swarm (name -> id).
    pub async fn networks(&self, project: &str) -> Result<BTreeMap<String, String>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        );
        filters.insert("scope".to_string(), vec!["swarm".to_string()]);
        let networks = self
            .call(
                "list networks",
                || format!("the networks of project `{project}`"),
                docker.list_networks(Some(bollard::query_parameters::ListNetworksOptions {
                    filters: Some(filters),
                })),
            )
            .await?;
        Ok(networks
            .into_iter()
            .map(|n| (n.name.unwrap_or_default(), n.id.unwrap_or_default()))
            .collect())
    }

    /// The scope of a network that exists (`swarm`, `local`), or `None`.
    pub async fn network_scope(&self, name: &str) -> Result<Option<String>, EngineError> {
        let docker = self.engine.client();
        match self
            .call(
                "inspect network",
                || format!("network {name}"),
                docker.inspect_network(
                    name,
                    None::<bollard::query_parameters::InspectNetworkOptions>,
                ),
            )
            .await
        {
            Ok(network) => Ok(Some(network.scope.unwrap_or_default())),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn create_network(&self, request: NetworkCreateRequest) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let name = request.name.clone();
        self.call(
            "create network",
            || format!("network {name}"),
            docker.create_network(request),
        )
        .await
        .map(|_| ())
    }

    /// Remove a network; one still in use by tasks shutting down is `Conflict`.
    pub async fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let removed = self
            .call(
                "remove network",
                || format!("network {id}"),
                docker.remove_network(id),
            )
            .await;
        gone_already_is_done(removed)
    }

    /// The project's secrets (`configs`: its configs).
    pub async fn objects(
        &self,
        project: &str,
        configs: bool,
    ) -> Result<Vec<SwarmObject>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        );
        let out: Vec<SwarmObject> = if configs {
            self.call(
                "list configs",
                || format!("the configs of project `{project}`"),
                docker.list_configs(Some(bollard::query_parameters::ListConfigsOptions {
                    filters: Some(filters),
                })),
            )
            .await?
            .into_iter()
            .map(|c| {
                let spec = c.spec.unwrap_or_default();
                SwarmObject {
                    id: c.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: label_map(spec.labels),
                }
            })
            .collect()
        } else {
            self.call(
                "list secrets",
                || format!("the secrets of project `{project}`"),
                docker.list_secrets(Some(bollard::query_parameters::ListSecretsOptions {
                    filters: Some(filters),
                })),
            )
            .await?
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                SwarmObject {
                    id: s.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: label_map(spec.labels),
                }
            })
            .collect()
        };
        Ok(out)
    }

    /// Create a secret (`config`: a config) named `name` holding `content`.
    pub async fn create_object(
        &self,
        project: &str,
        key: &str,
        name: &str,
        content: &[u8],
        config: bool,
    ) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let data = base64::engine::general_purpose::STANDARD.encode(content);
        let mut object_labels = HashMap::new();
        object_labels.insert(labels::PROJECT.to_string(), project.to_string());
        if config {
            object_labels.insert(CONFIG_KEY.to_string(), key.to_string());
            let spec = bollard::models::ConfigSpec {
                name: Some(name.to_string()),
                labels: Some(object_labels),
                data: Some(data),
                templating: None,
            };
            self.call(
                "create config",
                || format!("config {name}"),
                docker.create_config(spec),
            )
            .await
            .map(|_| ())
        } else {
            object_labels.insert(SECRET_KEY.to_string(), key.to_string());
            let spec = SecretSpec {
                name: Some(name.to_string()),
                labels: Some(object_labels),
                data: Some(data),
                ..Default::default()
            };
            self.call(
                "create secret",
                || format!("secret {name}"),
                docker.create_secret(spec),
            )
            .await
            .map(|_| ())
        }
    }

    /// Remove a secret or config; one a service still uses is `Conflict`.
    pub async fn remove_object(&self, id: &str, config: bool) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let result = if config {
            self.call(
                "remove config",
                || format!("config {id}"),
                docker.delete_config(id),
            )
            .await
        } else {
            self.call(
                "remove secret",
                || format!("secret {id}"),
                docker.delete_secret(id),
            )
            .await
        };
        gone_already_is_done(result)
    }

    /// The id of an image on this engine, if it has it.
    pub async fn image_id(&self, name: &str) -> Result<Option<String>, EngineError> {
        image_id(&self.engine, name).await
    }

    /// Send an image from this engine to another node's engine (`docker save | docker
    /// load` through the API), tagging it there with `tag` too.
    pub async fn send_image(
        &self,
        id: &str,
        tag: &str,
        to: &DockerEngine,
    ) -> Result<(), EngineError> {
        let source = self.engine.client().clone();
        let target = to.client().clone();
        let id_owned = id.to_string();
        let send = async move {
            let body = source.export_image(&id_owned);
            let mut loading = target.import_image_stream(
                bollard::query_parameters::ImportImageOptions {
                    quiet: true,
                    ..Default::default()
                },
                body,
                None,
            );
            while let Some(progress) = loading.next().await {
                let progress = progress?;
                if let Some(error) = progress.error_detail.and_then(|e| e.message) {
                    return Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 500,
                        message: error,
                    });
                }
            }
            Ok(())
        };
        self.engine
            .call(
                "send image",
                || format!("image {id} to the engine at {}", to.address()),
                IMAGE_TIMEOUT,
                send,
            )
            .await?;
        if let Some((repo, tag_part)) = split_tag(tag) {
            to.call(
                "tag image",
                || format!("image {id}"),
                CALL_TIMEOUT,
                to.client().tag_image(
                    id,
                    Some(bollard::query_parameters::TagImageOptions {
                        repo: Some(repo),
                        tag: Some(tag_part),
                    }),
                ),
            )
            .await?;
        }
        Ok(())
    }

    /// A task's log, one line at a time.
    pub fn task_logs(
        &self,
        task_id: &str,
        node_id: &str,
        follow: bool,
        tail: Option<u64>,
        since: Option<i64>,
    ) -> impl Stream<Item = Result<ServiceLogLine, EngineError>> + Send + 'static {
        let docker = self.engine.client().clone();
        let address = self.engine.address().to_string();
        let task = task_id.to_string();
        let node = node_id.to_string();
        let options = bollard::query_parameters::LogsOptions {
            follow,
            stdout: true,
            stderr: true,
            since: since.unwrap_or(0) as i32,
            until: 0,
            timestamps: true,
            tail: tail
                .map(|t| t.to_string())
                .unwrap_or_else(|| "all".to_string()),
        };
        docker
            .task_logs(&task, Some(options))
            .map(move |item| match item {
                Ok(output) => Ok(ServiceLogLine {
                    task_id: task.clone(),
                    node_id: node.clone(),
                    line: super::docker::log_line(output, 0),
                }),
                Err(err) => Err(super::docker::map_error(
                    &address,
                    "task logs",
                    format!("the logs of task {task}"),
                    err,
                )),
            })
    }
}

/// A removal of something that is not there any more did what was asked.
fn gone_already_is_done(removed: Result<(), EngineError>) -> Result<(), EngineError> {
    match removed {
        Err(err) if err.is_not_found() => Ok(()),
        other => other,
    }
}

/// One line of a task's log.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceLogLine {
    pub task_id: String,
    pub node_id: String,
    pub line: LogLine,
}

/// `repo:tag` split at the tag's colon (not a registry port's).
fn split_tag(reference: &str) -> Option<(String, String)> {
    let slash = reference.rfind('/').map(|i| i + 1).unwrap_or(0);
    match reference[slash..].rfind(':') {
        Some(i) => Some((
            reference[..slash + i].to_string(),
            reference[slash + i + 1..].to_string(),
        )),
        None => Some((reference.to_string(), "latest".to_string())),
    }
}

/// The id of an image on an engine, if it has it.
pub async fn image_id(engine: &DockerEngine, name: &str) -> Result<Option<String>, EngineError> {
    match engine
        .call(
            "inspect image",
            || format!("image {name}"),
            CALL_TIMEOUT,
            engine.client().inspect_image(name),
        )
        .await
    {
        Ok(image) => Ok(image.id),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::manifest::demo_project as project;
    use crate::manifest::{load_str, LoadOptions};

    const API_41: ApiVersion = ApiVersion::new(1, 41);

    fn translate(
        project: &Project,
        name: &str,
        api: ApiVersion,
    ) -> Result<Translated, Vec<String>> {
        let images: BTreeMap<String, String> = project
            .services
            .keys()
            .map(|n| (n.clone(), format!("sha256:{n}")))
            .collect();
        let secrets: BTreeMap<String, String> = project
            .secrets
            .keys()
            .map(|k| (k.clone(), format!("demo_{k}_0123")))
            .collect();
        let inputs = SwarmInputs {
            project,
            images: &images,
            secrets: &secrets,
            configs: &BTreeMap::new(),
            environment: &BTreeMap::new(),
            api,
        };
        service_spec(&inputs, &project.services[name])
    }

    const WEB: &str = r#"
x-msctl: {target: swarm}
services:
  web:
    image: web
    command: [serve, --port, "80"]
    environment: {MODE: prod}
    user: "10001"
    read_only: true
    cap_drop: [ALL]
    tmpfs: [/tmp]
    ports: ["8080:80"]
    volumes: [data:/data]
    networks:
      front: {aliases: [www]}
    healthcheck: {test: [CMD, /web, check], interval: 2s, retries: 3}
    deploy:
      replicas: 3
      resources: {limits: {cpus: "0.5", memory: 64m}}
      restart_policy: {condition: on-failure, max_attempts: 3}
      update_config: {parallelism: 1, order: start-first, failure_action: rollback, monitor: 10s}
      placement: {constraints: [node.role==worker], preferences: [{spread: node.labels.zone}]}
      labels: {team: shop}
volumes:
  data: {}
networks:
  front: {}
"#;

    #[test]
    fn a_service_becomes_a_swarm_service_with_its_keys_mapped() {
        let p = project(WEB);
        assert_eq!(p.target, crate::manifest::model::Target::Swarm);
        let t = translate(&p, "web", API_41).unwrap();
        let spec = t.spec;
        assert_eq!(spec.name.as_deref(), Some("demo_web"));
        let labels = spec.labels.clone().unwrap();
        assert_eq!(labels.get("team").map(String::as_str), Some("shop"));
        assert_eq!(
            labels.get(labels::PROJECT).map(String::as_str),
            Some("demo")
        );
        let task = spec.task_template.clone().unwrap();
        let container = task.container_spec.unwrap();
        assert_eq!(container.image.as_deref(), Some("sha256:web"));
        assert_eq!(
            container.args,
            Some(vec!["serve".into(), "--port".into(), "80".into()])
        );
        assert_eq!(container.env, Some(vec!["MODE=prod".to_string()]));
        assert_eq!(container.read_only, Some(true));
        assert_eq!(container.capability_drop, Some(vec!["ALL".to_string()]));
        let health = container.health_check.unwrap();
        assert_eq!(health.interval, Some(2_000_000_000));
        let mounts = container.mounts.unwrap();
        assert!(mounts
            .iter()
            .any(|m| m.source.as_deref() == Some("demo_data")
                && m.target.as_deref() == Some("/data")));
        assert!(mounts
            .iter()
            .any(|m| m.typ == Some(EngineMount::TMPFS) && m.target.as_deref() == Some("/tmp")));
        let limits = task.resources.unwrap().limits.unwrap();
        assert_eq!(limits.nano_cpus, Some(500_000_000));
        assert_eq!(limits.memory_bytes, Some(64 * 1024 * 1024));
        let restart = task.restart_policy.unwrap();
        assert_eq!(
            restart.condition,
            Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
        );
        assert_eq!(restart.max_attempts, Some(3));
        let placement = task.placement.unwrap();
        assert_eq!(
            placement.constraints,
            Some(vec!["node.role==worker".to_string()])
        );
        let networks = task.networks.unwrap();
        assert_eq!(networks[0].target.as_deref(), Some("demo_front"));
        assert_eq!(
            networks[0].aliases,
            Some(vec!["web".to_string(), "www".to_string()])
        );
        assert_eq!(
            spec.mode.unwrap().replicated.unwrap().replicas,
            Some(0),
            "the count is set when applied, outside the hash"
        );
        let update = spec.update_config.unwrap();
        assert_eq!(
            update.failure_action,
            Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK)
        );
        assert_eq!(
            update.order,
            Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST)
        );
        assert_eq!(update.monitor, Some(10_000_000_000));
        // DNS round robin by default, so the port is published on the task's node.
        let endpoint = spec.endpoint_spec.unwrap();
        assert_eq!(endpoint.mode, Some(EndpointSpecModeEnum::DNSRR));
        let port = &endpoint.ports.unwrap()[0];
        assert_eq!(
            port.publish_mode,
            Some(EndpointPortConfigPublishModeEnum::HOST)
        );
        assert_eq!(
            (port.published_port, port.target_port),
            (Some(8080), Some(80))
        );
    }

    #[test]
    fn the_config_hash_is_stable_and_follows_the_task_not_the_count() {
        let p = project(WEB);
        let a = translate(&p, "web", API_41).unwrap().config_hash;
        for _ in 0..5 {
            assert_eq!(translate(&p, "web", API_41).unwrap().config_hash, a);
        }
        let scaled = project(&WEB.replace("replicas: 3", "replicas: 5"));
        assert_eq!(translate(&scaled, "web", API_41).unwrap().config_hash, a);
        let changed = project(&WEB.replace("MODE: prod", "MODE: test"));
        assert_ne!(translate(&changed, "web", API_41).unwrap().config_hash, a);
    }

    #[test]
    fn what_a_swarm_cannot_do_is_refused_with_the_service_and_key() {
        let p = project(
            r#"
x-msctl: {target: swarm}
services:
  db:
    image: db
    privileged: true
    security_opt: ["no-new-privileges:true", "seccomp=unconfined"]
    ports: ["127.0.0.1:5432:5432", {target: 9000, published: 9000, mode: ingress}]
    links: [cache]
  cache:
    image: cache
"#,
        );
        let refused = translate(&p, "db", API_41).err().unwrap();
        let text = refused.join("\n");
        for expected in [
            "service `db`: `privileged`",
            "`security_opt: seccomp=unconfined`",
            "`security_opt: no-new-privileges`",
            "`ports: 127.0.0.1:5432`",
            "`ports: 9000`: the routing mesh",
            "`links`",
        ] {
            assert!(text.contains(expected), "{expected} in:\n{text}");
        }
        // From API 1.46 a Swarm service takes no-new-privileges itself.
        let newer = project(
            "x-msctl: {target: swarm}\nservices:\n  db:\n    image: db\n    security_opt: [\"no-new-privileges:true\"]\n",
        );
        let t = translate(&newer, "db", ApiVersion::new(1, 46)).unwrap();
        let privileges = t
            .spec
            .task_template
            .unwrap()
            .container_spec
            .unwrap()
            .privileges;
        assert_eq!(privileges.unwrap().no_new_privileges, Some(true));
        assert!(translate(&newer, "db", API_41).is_err());
    }

    #[test]
    fn a_probe_without_a_healthcheck_is_refused_and_with_one_warned() {
        let base = "x-msctl: {target: swarm}\nservices:\n  a:\n    image: a\n    x-msctl: {probe: {http: {port: 80, path: /}}}\n";
        let refused = translate(&project(base), "a", API_41).err().unwrap();
        assert!(
            refused.join("\n").contains("`x-msctl.probe`"),
            "{refused:?}"
        );
        let with_check = format!("{base}    healthcheck: {{test: [CMD, /a, check]}}\n");
        let t = translate(&project(&with_check), "a", API_41).unwrap();
        assert!(
            t.warnings.iter().any(|w| w.contains("x-msctl.probe")),
            "{:?}",
            t.warnings
        );
    }

    #[test]
    fn swarm_keys_are_warnings_on_the_local_target_and_global_mode_an_error() {
        let local = WEB.replace("x-msctl: {target: swarm}\n", "");
        let options = LoadOptions {
            project_name: Some("demo".to_string()),
            cwd: std::env::temp_dir(),
            ..LoadOptions::default()
        };
        let loaded = load_str(&local, &options).unwrap();
        assert!(loaded.project.services["web"].deploy.placement.is_empty());
        let warnings = loaded.render_warnings();
        assert!(warnings.contains("`placement`"), "{warnings}");
        let global = "services:\n  a:\n    image: a\n    deploy: {mode: global}\n";
        assert!(load_str(global, &options).is_err());
        let on_swarm = format!("x-msctl: {{target: swarm}}\n{global}");
        assert!(
            load_str(&on_swarm, &options).unwrap().project.services["a"]
                .deploy
                .global
        );
    }

    #[test]
    fn an_image_tag_splits_at_its_tag_not_a_registry_port() {
        assert_eq!(
            split_tag("shop-orders"),
            Some(("shop-orders".into(), "latest".into()))
        );
        assert_eq!(split_tag("web:1.2"), Some(("web".into(), "1.2".into())));
        assert_eq!(
            split_tag("registry:5000/web"),
            Some(("registry:5000/web".into(), "latest".into()))
        );
    }
}

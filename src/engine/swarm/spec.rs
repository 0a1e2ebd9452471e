//! The translation of a manifest service into a Swarm service spec: container, mounts,
//! secrets and configs, resources, restart policy, placement, networks, ports, update
//! and rollback configs and the config hash; and every key a Swarm cannot do, refused.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, Mount, MountTmpfsOptions,
    MountType as EngineMount, MountVolumeOptions, MountVolumeOptionsDriverConfig,
    NetworkAttachmentConfig, ResourceObject, ResourcesUlimits, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecConfigs, TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecPrivileges, TaskSpecContainerSpecSecrets, TaskSpecLogDriver,
    TaskSpecPlacement, TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use sha2::{Digest, Sha256};

use super::{canonical, IMAGE_NAME};
use crate::engine::docker::ApiVersion;
use crate::manifest::model::{
    Condition, EndpointMode, FailureAction, MountType, PortMode, Project, Protocol,
    RestartCondition, RestartMode, Service, UpdateConfig, UpdateOrder,
};
use crate::plan::{labels, names};

/// The first API version with `Privileges.NoNewPrivileges` and `OomScoreAdj` in a
/// service's container spec.
const API_NO_NEW_PRIVILEGES: ApiVersion = ApiVersion::new(1, 46);
/// The first API version with `HealthCheck.StartInterval`.
const API_START_INTERVAL: ApiVersion = ApiVersion::new(1, 44);

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

//! The body of a container's creation (`/containers/create`): what a [`ContainerSpec`]
//! becomes (ports, mounts, healthcheck, host config, its first network), the files of the
//! secrets and configs it mounts, the MAC address older engines take on the container,
//! and what an older engine leaves out.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, HealthConfig, HostConfig, HostConfigLogConfig, Mount,
    MountType as DockerMountType, NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::Docker;

use super::{non_empty, DockerEngine, API_ANNOTATIONS, API_HEALTHCHECK_START_INTERVAL};
use crate::engine::{ContainerSpec, EngineError, MountSpec, SecretMount, SecretSource};
use crate::manifest::model::{MountType, RestartMode};
use crate::plan::labels;

/// Where msctl writes the files of secrets and configs that do not come from a host
/// file, under its state directory: one directory per kind, so a secret and a config
/// may share a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Secret,
    Config,
}

impl FileKind {
    fn directory(self) -> &'static str {
        match self {
            FileKind::Secret => "secrets",
            FileKind::Config => "configs",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            FileKind::Secret => "secret",
            FileKind::Config => "config",
        }
    }
}

impl DockerEngine {
    /// The `KEY=VALUE` list of a spec: entries without a value come from msctl's
    /// environment, and are left out when it does not have them either.
    fn container_env(&self, spec: &ContainerSpec) -> Vec<String> {
        spec.environment
            .iter()
            .filter_map(|(key, value)| {
                let value = value.as_ref().or_else(|| self.environment.get(key))?;
                Some(format!("{key}={value}"))
            })
            .collect()
    }

    /// Where a secret's or config's contents are on the host, writing the file of one
    /// from the environment or the manifest.
    fn secret_host_path(
        &self,
        project_name: &str,
        kind: FileKind,
        secret: &SecretMount,
    ) -> Result<PathBuf, EngineError> {
        let failed = |message: String| EngineError::Other {
            operation: "create_container".to_string(),
            message,
        };
        let noun = kind.noun();
        let value = match &secret.source {
            SecretSource::File(path) => return Ok(path.clone()),
            SecretSource::Environment(variable) => self.environment.get(variable).ok_or_else(|| {
                failed(format!(
                    "{noun} `{}` comes from the environment variable `{variable}`, which is not set",
                    secret.name
                ))
            })?,
            SecretSource::Content(text) => text,
        };
        let dir = crate::dirs::state_dir(&self.environment)
            .join(kind.directory())
            .join(project_name);
        let path = dir.join(&secret.name);
        write_private_file(&dir, &path, value.as_bytes()).map_err(|err| {
            failed(format!(
                "cannot write {noun} `{}` to {}: {err}",
                secret.name,
                path.display()
            ))
        })?;
        Ok(path)
    }

    pub(super) fn create_body(
        &self,
        spec: &ContainerSpec,
    ) -> Result<ContainerCreateBody, EngineError> {
        let project_name = spec
            .labels
            .get(labels::PROJECT)
            .map(String::as_str)
            .unwrap_or("default");
        let mut exposed_ports: Vec<String> = Vec::new();
        let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for port in &spec.ports {
            let key = format!("{}/{}", port.target, port.protocol.as_str());
            if !exposed_ports.contains(&key) {
                exposed_ports.push(key.clone());
            }
            port_bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: port.host_ip.clone(),
                    host_port: Some(
                        port.published
                            .map(|published| published.to_string())
                            .unwrap_or_default(),
                    ),
                });
        }
        for expose in &spec.expose {
            for key in expand_expose(expose) {
                if !exposed_ports.contains(&key) {
                    exposed_ports.push(key);
                }
            }
        }
        let mut mounts: Vec<Mount> = spec.mounts.iter().map(docker_mount).collect();
        let files = spec
            .secrets
            .iter()
            .map(|secret| (FileKind::Secret, secret))
            .chain(spec.configs.iter().map(|config| (FileKind::Config, config)));
        for (kind, secret) in files {
            let source = self.secret_host_path(project_name, kind, secret)?;
            mounts.push(Mount {
                typ: Some(DockerMountType::BIND),
                source: Some(source.to_string_lossy().into_owned()),
                target: Some(secret.target.clone()),
                read_only: Some(true),
                ..Mount::default()
            });
        }
        let healthcheck = spec.healthcheck.as_ref().map(|healthcheck| {
            let start_interval = match healthcheck.start_interval {
                Some(interval) if self.api_version.at_least(API_HEALTHCHECK_START_INTERVAL) => {
                    Some(nanos(interval))
                }
                Some(_) => {
                    tracing::debug!(
                        "{}: healthcheck start_interval needs API {API_HEALTHCHECK_START_INTERVAL}, the engine speaks {}: left out",
                        spec.name,
                        self.api_version
                    );
                    None
                }
                None => None,
            };
            HealthConfig {
                test: Some(healthcheck.test.clone()),
                interval: healthcheck.interval.map(nanos),
                timeout: healthcheck.timeout.map(nanos),
                retries: healthcheck.retries.map(i64::from),
                start_period: healthcheck.start_period.map(nanos),
                start_interval,
            }
        });
        let tmpfs: HashMap<String, String> = spec
            .tmpfs
            .iter()
            .map(|entry| match entry.split_once(':') {
                Some((path, options)) => (path.to_string(), options.to_string()),
                None => (entry.clone(), String::new()),
            })
            .collect();
        let first_network = spec.networks.first();
        let network_mode = match &spec.network_mode {
            Some(mode) => Some(mode.clone()),
            None => first_network.map(|attachment| attachment.network_name.clone()),
        };
        let host_config = HostConfig {
            auto_remove: spec.auto_remove.then_some(true),
            port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
            mounts: (!mounts.is_empty()).then_some(mounts),
            restart_policy: spec.restart.map(|mode| RestartPolicy {
                name: Some(match mode {
                    RestartMode::No => RestartPolicyNameEnum::NO,
                    RestartMode::Always => RestartPolicyNameEnum::ALWAYS,
                    RestartMode::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
                    RestartMode::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
                }),
                maximum_retry_count: None,
            }),
            network_mode,
            readonly_rootfs: spec.read_only.then_some(true),
            cap_add: non_empty(&spec.cap_add),
            cap_drop: non_empty(&spec.cap_drop),
            security_opt: non_empty(&spec.security_opt),
            tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
            init: spec.init,
            nano_cpus: spec.cpus.map(|cpus| (cpus * 1e9).round() as i64),
            memory: spec.memory_bytes.map(bytes_i64),
            memory_swap: spec.memswap_limit,
            cpu_shares: spec.cpu_shares,
            cpuset_cpus: spec.cpuset.clone(),
            log_config: spec.logging.as_ref().map(|logging| HostConfigLogConfig {
                typ: logging.driver.clone(),
                config: (!logging.options.is_empty())
                    .then(|| logging.options.clone().into_iter().collect()),
            }),
            sysctls: (!spec.sysctls.is_empty()).then(|| spec.sysctls.clone().into_iter().collect()),
            ulimits: (!spec.ulimits.is_empty()).then(|| {
                spec.ulimits
                    .iter()
                    .map(|(name, limit)| ResourcesUlimits {
                        name: Some(name.clone()),
                        soft: Some(limit.soft),
                        hard: Some(limit.hard),
                    })
                    .collect()
            }),
            extra_hosts: non_empty(&spec.extra_hosts),
            privileged: spec.privileged.then_some(true),
            runtime: spec.runtime.clone(),
            dns: non_empty(&spec.dns),
            dns_search: non_empty(&spec.dns_search),
            dns_options: non_empty(&spec.dns_opt),
            devices: (!spec.devices.is_empty()).then(|| {
                spec.devices
                    .iter()
                    .map(|device| DeviceMapping {
                        path_on_host: Some(device.source.clone()),
                        path_in_container: Some(device.target.clone()),
                        cgroup_permissions: Some(device.permissions.clone()),
                    })
                    .collect()
            }),
            shm_size: spec.shm_size.map(bytes_i64),
            pid_mode: spec.pid.clone(),
            ipc_mode: spec.ipc.clone(),
            group_add: non_empty(&spec.group_add),
            pids_limit: spec.pids_limit,
            oom_score_adj: spec.oom_score_adj,
            annotations: (!spec.annotations.is_empty()
                && self.api_version.at_least(API_ANNOTATIONS))
            .then(|| spec.annotations.clone().into_iter().collect()),
            ..HostConfig::default()
        };
        let networking_config = first_network.map(|attachment| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                attachment.network_name.clone(),
                self.endpoint(attachment, spec.mac_address.as_deref()),
            )])),
        });
        Ok(ContainerCreateBody {
            image: Some(spec.image.clone()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            cmd: spec.command.clone(),
            entrypoint: spec.entrypoint.clone(),
            env: Some(self.container_env(spec)),
            exposed_ports: (!exposed_ports.is_empty()).then_some(exposed_ports),
            healthcheck,
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            hostname: spec.hostname.clone(),
            domainname: spec.domainname.clone(),
            tty: spec.tty.then_some(true),
            open_stdin: spec.stdin_open.then_some(true),
            stdin_once: spec.stdin_once.then_some(true),
            stop_signal: spec.stop_signal.clone(),
            stop_timeout: spec
                .stop_timeout
                .map(|timeout| i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX)),
            host_config: Some(host_config),
            networking_config,
            ..ContainerCreateBody::default()
        })
    }

    pub(super) fn left_out_impl(&self, spec: &ContainerSpec) -> Vec<String> {
        let mut out = Vec::new();
        if !spec.annotations.is_empty() && !self.api_version.at_least(API_ANNOTATIONS) {
            out.push(format!(
                "`annotations` need Docker Engine API {API_ANNOTATIONS}, the engine speaks {}: left out",
                self.api_version
            ));
        }
        out
    }
}

fn bytes_i64(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

fn nanos(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// `3000`, `3000/udp` or `3000-3002` -> Docker's `port/protocol` keys.
fn expand_expose(expose: &str) -> Vec<String> {
    let (ports, protocol) = expose.split_once('/').unwrap_or((expose, "tcp"));
    match ports.split_once('-') {
        Some((start, end)) => match (start.parse::<u16>(), end.parse::<u16>()) {
            (Ok(start), Ok(end)) if start <= end => (start..=end)
                .map(|port| format!("{port}/{protocol}"))
                .collect(),
            _ => vec![format!("{ports}/{protocol}")],
        },
        None => vec![format!("{ports}/{protocol}")],
    }
}

fn docker_mount(mount: &MountSpec) -> Mount {
    Mount {
        typ: Some(match mount.kind {
            MountType::Volume => DockerMountType::VOLUME,
            MountType::Bind => DockerMountType::BIND,
            MountType::Tmpfs => DockerMountType::TMPFS,
        }),
        source: mount.source.clone(),
        target: Some(mount.target.clone()),
        read_only: mount.read_only.then_some(true),
        ..Mount::default()
    }
}

/// Write a secret's or config's file for a bind mount. The directory is the user's alone
/// (0700), so no other host user reads it; the file itself is readable by all (0444) so
/// that a container running as a non-root user can read it, as Compose mounts secrets.
/// Written to a temporary file and renamed, so a container never sees half a file.
fn write_private_file(dir: &Path, path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(contents)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o444))?;
    drop(file);
    std::fs::rename(&temporary, path)
}

/// A client that sends `body` with `Config.MacAddress` set on `/containers/create`:
/// engines before API 1.44 take the address there only, and bollard's model of the body
/// no longer has the field.
pub(super) fn with_config_mac_address(
    docker: &Docker,
    body: &ContainerCreateBody,
    mac_address: &str,
) -> Result<Docker, serde_json::Error> {
    let mut json = serde_json::to_value(body)?;
    if let Some(object) = json.as_object_mut() {
        object.insert(
            "MacAddress".to_string(),
            serde_json::Value::String(mac_address.to_string()),
        );
    }
    let bytes = serde_json::to_vec(&json)?;
    Ok(docker.clone().with_request_modifier(move |request| {
        if request.uri().path().ends_with("/containers/create") {
            request.map(|_| bollard::body_full(bytes.clone().into()))
        } else {
            request
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::engine::docker::ApiVersion;
    use crate::engine::Engine;

    fn engine_speaking(api_version: ApiVersion) -> DockerEngine {
        let docker =
            Docker::connect_with_http("tcp://127.0.0.1:1", 1, bollard::API_DEFAULT_VERSION)
                .expect("a client that is never used");
        DockerEngine {
            docker,
            address: "tcp://127.0.0.1:1".to_string(),
            api_version,
            environment: BTreeMap::new(),
            gateways: Default::default(),
        }
    }

    /// A service with every container key of real-world Compose files set.
    fn everything() -> (
        crate::manifest::model::Project,
        crate::manifest::model::Service,
    ) {
        use crate::manifest::model::{Device, Logging, Project, Service, ServiceNetwork, Ulimit};
        let service = Service {
            name: "web".to_string(),
            image: Some("img".to_string()),
            domainname: Some("example.org".to_string()),
            tty: true,
            stdin_open: true,
            logging: Some(Logging {
                driver: Some("json-file".to_string()),
                options: BTreeMap::from([("max-size".to_string(), "10m".to_string())]),
            }),
            sysctls: BTreeMap::from([("net.core.somaxconn".to_string(), "1024".to_string())]),
            ulimits: BTreeMap::from([(
                "nofile".to_string(),
                Ulimit {
                    soft: 1024,
                    hard: 2048,
                },
            )]),
            extra_hosts: vec!["db:10.0.0.5".to_string()],
            platform: Some("linux/amd64".to_string()),
            privileged: true,
            runtime: Some("runc".to_string()),
            dns: vec!["1.1.1.1".to_string()],
            dns_search: vec!["example.org".to_string()],
            dns_opt: vec!["ndots:2".to_string()],
            devices: vec![Device {
                source: "/dev/null".to_string(),
                target: "/dev/nothing".to_string(),
                permissions: "rw".to_string(),
            }],
            shm_size: Some(64 << 20),
            pid: Some("host".to_string()),
            ipc: Some("shareable".to_string()),
            group_add: vec!["audio".to_string()],
            pids_limit: Some(100),
            oom_score_adj: Some(-500),
            mem_limit: Some(256 << 20),
            memswap_limit: Some(-1),
            cpus: Some(0.5),
            cpu_shares: Some(512),
            cpuset: Some("0".to_string()),
            mac_address: Some("02:42:ac:11:00:99".to_string()),
            annotations: BTreeMap::from([("org.example/team".to_string(), "shop".to_string())]),
            networks: BTreeMap::from([(
                "default".to_string(),
                ServiceNetwork {
                    aliases: Vec::new(),
                    ipv4_address: Some("172.30.0.10".to_string()),
                    ipv6_address: None,
                },
            )]),
            ..Service::default()
        };
        let project = Project {
            registry: None,
            target: Default::default(),
            name: "demo".to_string(),
            working_dir: ".".into(),
            services: BTreeMap::from([("web".to_string(), service.clone())]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        (project, service)
    }

    #[test]
    fn every_container_key_reaches_the_engine_api() {
        let (project, service) = everything();
        let spec = ContainerSpec::for_replica(&project, &service, 1, "hash");
        let body = engine_speaking(ApiVersion::new(1, 41))
            .create_body(&spec)
            .expect("a body");
        assert_eq!(body.domainname.as_deref(), Some("example.org"));
        assert_eq!((body.tty, body.open_stdin), (Some(true), Some(true)));
        let host = body.host_config.clone().expect("a host config");
        let log = host.log_config.expect("a log config");
        assert_eq!(log.typ.as_deref(), Some("json-file"));
        assert_eq!(log.config.expect("options")["max-size"], "10m");
        assert_eq!(host.sysctls.expect("sysctls")["net.core.somaxconn"], "1024");
        let ulimits = host.ulimits.expect("ulimits");
        assert_eq!(
            (ulimits[0].name.as_deref(), ulimits[0].soft, ulimits[0].hard),
            (Some("nofile"), Some(1024), Some(2048))
        );
        assert_eq!(host.extra_hosts, Some(vec!["db:10.0.0.5".to_string()]));
        assert_eq!(host.privileged, Some(true));
        assert_eq!(host.runtime.as_deref(), Some("runc"));
        assert_eq!(host.dns, Some(vec!["1.1.1.1".to_string()]));
        assert_eq!(host.dns_search, Some(vec!["example.org".to_string()]));
        assert_eq!(host.dns_options, Some(vec!["ndots:2".to_string()]));
        let device = &host.devices.expect("devices")[0];
        assert_eq!(
            (
                device.path_on_host.as_deref(),
                device.path_in_container.as_deref(),
                device.cgroup_permissions.as_deref()
            ),
            (Some("/dev/null"), Some("/dev/nothing"), Some("rw"))
        );
        assert_eq!(host.shm_size, Some(64 << 20));
        assert_eq!(host.pid_mode.as_deref(), Some("host"));
        assert_eq!(host.ipc_mode.as_deref(), Some("shareable"));
        assert_eq!(host.group_add, Some(vec!["audio".to_string()]));
        assert_eq!(host.pids_limit, Some(100));
        assert_eq!(host.oom_score_adj, Some(-500));
        // Legacy `mem_limit` and `cpus` stand in for `deploy.resources.limits`.
        assert_eq!(host.memory, Some(256 << 20));
        assert_eq!(host.nano_cpus, Some(500_000_000));
        assert_eq!(host.memory_swap, Some(-1));
        assert_eq!(host.cpu_shares, Some(512));
        assert_eq!(host.cpuset_cpus.as_deref(), Some("0"));
        // API 1.41 has no annotations, and takes the MAC address on the container.
        assert_eq!(host.annotations, None);
        let endpoint = &body
            .networking_config
            .clone()
            .and_then(|config| config.endpoints_config)
            .expect("an endpoint")["demo_default"];
        assert_eq!(
            endpoint
                .ipam_config
                .as_ref()
                .and_then(|ipam| ipam.ipv4_address.as_deref()),
            Some("172.30.0.10")
        );
        assert_eq!(endpoint.mac_address, None);
        let engine = engine_speaking(ApiVersion::new(1, 41));
        let client = with_config_mac_address(&engine.docker, &body, "02:42:ac:11:00:99");
        assert!(client.is_ok());
        assert_eq!(
            engine.left_out(&spec),
            vec!["`annotations` need Docker Engine API 1.43, the engine speaks 1.41: left out"]
        );
    }

    #[test]
    fn newer_engines_get_annotations_and_the_mac_address_on_the_endpoint() {
        let (project, service) = everything();
        let spec = ContainerSpec::for_replica(&project, &service, 1, "hash");
        let engine = engine_speaking(ApiVersion::new(1, 44));
        let body = engine.create_body(&spec).expect("a body");
        let annotations = body
            .host_config
            .and_then(|host| host.annotations)
            .expect("annotations");
        assert_eq!(annotations["org.example/team"], "shop");
        let endpoint = &body
            .networking_config
            .and_then(|config| config.endpoints_config)
            .expect("an endpoint")["demo_default"];
        assert_eq!(endpoint.mac_address.as_deref(), Some("02:42:ac:11:00:99"));
        assert!(engine.left_out(&spec).is_empty());
    }

    #[test]
    fn a_shared_network_stack_is_the_network_mode_and_no_endpoint() {
        let (mut project, mut service) = everything();
        service.networks.clear();
        service.network_mode = Some(crate::manifest::model::NetworkMode::Service(
            "db".to_string(),
        ));
        project.services.insert("web".to_string(), service.clone());
        let spec = ContainerSpec::for_replica(&project, &service, 1, "hash");
        let body = engine_speaking(ApiVersion::new(1, 41))
            .create_body(&spec)
            .expect("a body");
        let host = body.host_config.expect("a host config");
        assert_eq!(host.network_mode.as_deref(), Some("container:demo-db-1"));
        assert_eq!(
            host.extra_hosts, None,
            "Docker refuses them with a shared stack"
        );
        assert_eq!(host.dns, None);
        assert!(body.networking_config.is_none());
    }

    #[test]
    fn a_config_and_a_secret_of_one_name_get_files_of_their_own() {
        let state = tempfile::tempdir().expect("a state directory");
        let mut engine = engine_speaking(ApiVersion::new(1, 41));
        engine.environment.insert(
            "MSCTL_STATE_DIR".to_string(),
            state.path().to_string_lossy().into_owned(),
        );
        engine
            .environment
            .insert("TOKEN".to_string(), "s3cret".to_string());
        let mount = |source: SecretSource| SecretMount {
            name: "app".to_string(),
            source,
            target: "/run/app".to_string(),
        };
        let secret = engine
            .secret_host_path(
                "demo",
                FileKind::Secret,
                &mount(SecretSource::Environment("TOKEN".to_string())),
            )
            .expect("the secret's file");
        let config = engine
            .secret_host_path(
                "demo",
                FileKind::Config,
                &mount(SecretSource::Content("level: debug\n".to_string())),
            )
            .expect("the config's file");
        assert_ne!(secret, config);
        assert_eq!(
            std::fs::read_to_string(&secret).ok().as_deref(),
            Some("s3cret")
        );
        assert_eq!(
            std::fs::read_to_string(&config).ok().as_deref(),
            Some("level: debug\n")
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| {
            std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o777)
                .ok()
        };
        // Readable by a container's non-root user; the directory keeps host users out.
        assert_eq!(mode(&config), Some(0o444));
        assert_eq!(mode(config.parent().expect("dir")), Some(0o700));
        assert_eq!(mode(secret.parent().expect("dir")), Some(0o700));
        // Writing again replaces the read-only file.
        let again = engine
            .secret_host_path(
                "demo",
                FileKind::Config,
                &mount(SecretSource::Content("level: info\n".to_string())),
            )
            .expect("rewritten");
        assert_eq!(
            std::fs::read_to_string(&again).ok().as_deref(),
            Some("level: info\n")
        );
    }

    #[test]
    fn expands_exposed_port_ranges() {
        assert_eq!(expand_expose("3000"), vec!["3000/tcp"]);
        assert_eq!(expand_expose("53/udp"), vec!["53/udp"]);
        assert_eq!(
            expand_expose("3000-3002"),
            vec!["3000/tcp", "3001/tcp", "3002/tcp"]
        );
    }
}

//! A project as Kubernetes objects: a Deployment per service, a Service for its ports, a
//! NetworkPolicy for the segmentation of its networks, a HorizontalPodAutoscaler for
//! `x-msctl.autoscale`, a PersistentVolumeClaim per named volume, a Secret per secret and
//! a ConfigMap per config.
//!
//! Pure: the project and the contents of its secrets and configs in, the objects and
//! the list of what did not translate out. Nothing is dropped silently: every setting
//! the objects cannot carry, and every assumption the export makes in its place, is an
//! [`Untranslated`] entry, which `msctl export kubernetes` prints.
//!
//! Names: Kubernetes wants lowercase DNS labels, so `_` and other characters become
//! `-` ([`kube_name`]); two names that become one are an error, never a merge.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvVar, ExecAction, HTTPGetAction, HostAlias, Lifecycle, LifecycleHandler,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, Secret, SecretVolumeSource, SecurityContext,
    Service as KubeService, ServicePort, ServiceSpec, TCPSocketAction, Volume, VolumeMount,
    VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

use super::{ExportError, Sources, Untranslated};
use crate::manifest::model::{
    self, FailureAction, Healthcheck, Hook, MountType, ProbeCheck, Project, Protocol, RestartMode,
    UpdateOrder,
};
use crate::plan::names::{image_name, service_network_keys};

/// The label that names a service's pods, and the one that names the project.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";

/// What a named volume's claim asks for: Compose says nothing about size.
const DEFAULT_VOLUME_SIZE: &str = "1Gi";

/// One Kubernetes object of the export.
// A project exports tens of objects: their sizes do not matter, and plain variants keep
// matching on them simple.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Secret(Secret),
    ConfigMap(ConfigMap),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Deployment(Deployment),
    Service(KubeService),
    NetworkPolicy(NetworkPolicy),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
}

impl Object {
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Secret(_) => "Secret",
            Object::ConfigMap(_) => "ConfigMap",
            Object::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Object::Deployment(_) => "Deployment",
            Object::Service(_) => "Service",
            Object::NetworkPolicy(_) => "NetworkPolicy",
            Object::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
        }
    }

    pub fn name(&self) -> &str {
        let metadata = match self {
            Object::Secret(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::PersistentVolumeClaim(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
            Object::HorizontalPodAutoscaler(o) => &o.metadata,
        };
        metadata.name.as_deref().unwrap_or_default()
    }

    /// The file `export -o DIR` writes it to: `<kind-lowercase>-<name>.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind().to_ascii_lowercase(), self.name())
    }

    /// The object as one YAML document (no `---`), with `apiVersion` and `kind`.
    pub fn to_yaml(&self) -> Result<String, ExportError> {
        let result = match self {
            Object::Secret(o) => serde_norway::to_string(o),
            Object::ConfigMap(o) => serde_norway::to_string(o),
            Object::PersistentVolumeClaim(o) => serde_norway::to_string(o),
            Object::Deployment(o) => serde_norway::to_string(o),
            Object::Service(o) => serde_norway::to_string(o),
            Object::NetworkPolicy(o) => serde_norway::to_string(o),
            Object::HorizontalPodAutoscaler(o) => serde_norway::to_string(o),
        };
        result.map_err(|source| ExportError::Yaml {
            kind: self.kind().to_string(),
            name: self.name().to_string(),
            source,
        })
    }
}

/// The export of a project: its objects in a fixed order (secrets, configs, claims, then
/// each service's Deployment, Service and autoscaler, services by name), and what did
/// not translate, in the same order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    pub objects: Vec<Object>,
    pub untranslated: Vec<Untranslated>,
}

/// A Kubernetes name for a manifest name: lowercase letters, digits and `-`, starting
/// and ending with a letter or digit, at most 63 characters (a DNS label, which every
/// kind here accepts).
pub fn kube_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let trimmed: String = mapped.trim_matches('-').chars().take(63).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed
    }
}

/// Translate `project` into Kubernetes objects; `sources` holds the contents of its
/// secrets and configs (see [`super::read_sources`]).
pub fn export(project: &Project, sources: &Sources) -> Result<Export, ExportError> {
    let mut out = Export::default();
    let project_label = kube_name(&project.name);
    check_clashes("service", project.services.keys())?;
    check_clashes("volume", project.volumes.keys())?;
    check_clashes("secret", project.secrets.keys())?;
    check_clashes("config", project.configs.keys())?;

    for (name, content) in &sources.secrets {
        out.objects.push(Object::Secret(Secret {
            metadata: metadata(&kube_name(name), &project_label, None),
            type_: Some("Opaque".to_string()),
            data: Some(BTreeMap::from([(
                file_key(name),
                ByteString(content.clone()),
            )])),
            ..Secret::default()
        }));
    }
    for (name, content) in &sources.configs {
        let (data, binary_data) = match String::from_utf8(content.clone()) {
            Ok(text) => (Some(BTreeMap::from([(file_key(name), text)])), None),
            Err(err) => (
                None,
                Some(BTreeMap::from([(
                    file_key(name),
                    ByteString(err.into_bytes()),
                )])),
            ),
        };
        out.objects.push(Object::ConfigMap(ConfigMap {
            metadata: metadata(&kube_name(name), &project_label, None),
            data,
            binary_data,
            ..ConfigMap::default()
        }));
    }
    for (key, volume) in &project.volumes {
        let subject = format!("volume {key}");
        if volume.external {
            out.untranslated.push(note(
                &subject,
                "external",
                format!(
                    "no claim is written: the pods expect an existing PersistentVolumeClaim `{}`",
                    kube_name(volume.name.as_deref().unwrap_or(key))
                ),
            ));
            continue;
        }
        out.untranslated.push(note(
            &subject,
            "(size)",
            format!(
                "a PersistentVolumeClaim of {DEFAULT_VOLUME_SIZE}, ReadWriteOnce, on the default \
                 storage class: Compose says neither size nor access; every replica using it \
                 must run on one node"
            ),
        ));
        if let Some(driver) = &volume.driver {
            out.untranslated.push(note(
                &subject,
                "driver",
                format!("`{driver}` is a Docker volume driver; choose a storage class instead"),
            ));
        }
        if !volume.driver_opts.is_empty() {
            out.untranslated.push(note(
                &subject,
                "driver_opts",
                "Docker volume driver options have no claim field".to_string(),
            ));
        }
        if volume.name.is_some() {
            out.untranslated.push(note(
                &subject,
                "name",
                "the claim is named after the volume's key, not its engine name".to_string(),
            ));
        }
        if !volume.labels.is_empty() {
            out.untranslated.push(note(
                &subject,
                "labels",
                "Docker volume labels are not copied".to_string(),
            ));
        }
        out.objects
            .push(Object::PersistentVolumeClaim(PersistentVolumeClaim {
                metadata: metadata(&kube_name(key), &project_label, None),
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".to_string()]),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([(
                            "storage".to_string(),
                            Quantity(DEFAULT_VOLUME_SIZE.to_string()),
                        )])),
                        ..VolumeResourceRequirements::default()
                    }),
                    ..PersistentVolumeClaimSpec::default()
                }),
                ..PersistentVolumeClaim::default()
            }));
    }
    for (key, network) in &project.networks {
        let subject = format!("network {key}");
        let why = if network.external {
            "an external network: its members outside the project cannot be named, so its \
             member services get no NetworkPolicy"
        } else if network.internal {
            "carried by a NetworkPolicy per member service: only members reach each other, \
             and a pod on internal networks only reaches their members and the cluster DNS \
             (pods labelled k8s-app: kube-dns); enforced only by a network plugin that \
             implements NetworkPolicy"
        } else {
            "carried by a NetworkPolicy per member service: only members (and published \
             ports) reach them; enforced only by a network plugin that implements \
             NetworkPolicy"
        };
        out.untranslated
            .push(note(&subject, "(isolation)", why.to_string()));
        for (set, field) in [
            (network.driver.is_some(), "driver"),
            (!network.driver_opts.is_empty(), "driver_opts"),
            (network.ipam.is_some(), "ipam"),
            (network.enable_ipv6, "enable_ipv6"),
            (network.attachable, "attachable"),
            (network.name.is_some(), "name"),
            (!network.labels.is_empty(), "labels"),
        ] {
            if set {
                out.untranslated.push(note(
                    &subject,
                    field,
                    "a Docker network setting; the cluster's network decides".to_string(),
                ));
            }
        }
    }
    for service in project.services.values() {
        service_objects(project, service, &project_label, &mut out);
    }
    Ok(out)
}

fn check_clashes<'a>(
    kind: &'static str,
    names: impl Iterator<Item = &'a String>,
) -> Result<(), ExportError> {
    let mut seen: BTreeMap<String, &String> = BTreeMap::new();
    for name in names {
        let kube = kube_name(name);
        if let Some(first) = seen.insert(kube.clone(), name) {
            return Err(ExportError::NameClash {
                kind,
                first: first.clone(),
                second: name.clone(),
                name: kube,
            });
        }
    }
    Ok(())
}

/// The key of a secret's or config's content inside its object: the top-level name,
/// with what a data key cannot hold (`[-._a-zA-Z0-9]`) made `-`.
fn file_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn note(subject: &str, key: &str, why: String) -> Untranslated {
    Untranslated {
        subject: subject.to_string(),
        key: key.to_string(),
        why,
    }
}

fn metadata(name: &str, project_label: &str, service: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(labels(project_label, service)),
        ..ObjectMeta::default()
    }
}

fn labels(project_label: &str, service: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(PART_OF_LABEL.to_string(), project_label.to_string())]);
    if let Some(service) = service {
        labels.insert(NAME_LABEL.to_string(), service.to_string());
    }
    labels
}

/// Whole seconds for a Kubernetes field, rounding up so a period or a timeout is never
/// shorter than the manifest's; at least `least`.
fn seconds(duration: Duration, least: i64) -> i64 {
    let whole = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i64::try_from(whole).unwrap_or(i64::MAX).max(least)
}

fn seconds_i32(duration: Duration, least: i64) -> i32 {
    i32::try_from(seconds(duration, least)).unwrap_or(i32::MAX)
}

/// CPUs as a Kubernetes quantity: `1`, `500m`.
pub fn cpu_quantity(cpus: f64) -> Quantity {
    let millis = (cpus * 1000.0).round() as i64;
    if millis % 1000 == 0 {
        Quantity(format!("{}", millis / 1000))
    } else {
        Quantity(format!("{millis}m"))
    }
}

/// Bytes as a Kubernetes quantity in the largest binary unit that divides them: `128Mi`.
pub fn memory_quantity(bytes: u64) -> Quantity {
    for (suffix, size) in [
        ("Ti", 1u64 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return Quantity(format!("{}{suffix}", bytes / size));
        }
    }
    Quantity(bytes.to_string())
}

/// A port's name in the Service and the container: `p8080`, `p53-udp`.
fn port_name(port: u16, protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => format!("p{port}"),
        other => format!("p{port}-{}", other.as_str()),
    }
}

fn kube_protocol(protocol: Protocol) -> String {
    protocol.as_str().to_ascii_uppercase()
}

/// The ports of an `expose` entry: `80`, `80/udp`, `3000-3005`.
fn expose_ports(text: &str) -> Option<Vec<(u16, Protocol)>> {
    let (ports, protocol) = match text.split_once('/') {
        Some((ports, "tcp")) => (ports, Protocol::Tcp),
        Some((ports, "udp")) => (ports, Protocol::Udp),
        Some((ports, "sctp")) => (ports, Protocol::Sctp),
        Some(_) => return None,
        None => (text, Protocol::Tcp),
    };
    let (first, last) = match ports.split_once('-') {
        Some((a, b)) => (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?),
        None => {
            let port = ports.parse::<u16>().ok()?;
            (port, port)
        }
    };
    (first <= last).then(|| (first..=last).map(|p| (p, protocol)).collect())
}

/// Everything one service becomes: a Deployment, a Service when it has ports, an
/// autoscaler when it scales itself.
fn service_objects(
    project: &Project,
    service: &model::Service,
    project_label: &str,
    out: &mut Export,
) {
    let name = kube_name(&service.name);
    let subject = format!("service {}", service.name);
    let mut notes: Vec<Untranslated> = Vec::new();
    let mut skip = |key: &str, why: &str| notes.push(note(&subject, key, why.to_string()));

    if name != service.name {
        skip(
            "(name)",
            &format!("named `{name}` in Kubernetes, which takes lowercase letters, digits and `-`"),
        );
    }
    if service.build.is_some() || service.extensions.build.is_some() {
        let key = if service.build.is_some() {
            "build"
        } else {
            "x-msctl.build"
        };
        skip(
            key,
            &format!(
                "the image `{}` is built by msctl on this machine: push it to a registry the \
                 cluster pulls from{}",
                image_name(&project.name, service),
                if service.image.is_none() {
                    ", and name it there with `image:`"
                } else {
                    ""
                }
            ),
        );
    }

    // The container's ports: published or not, every target; then `expose`.
    let mut ports: Vec<(u16, Protocol)> = Vec::new();
    let mut published_all_addresses = false;
    for port in &service.ports {
        ports.push((port.target, port.protocol));
        if let Some(published) = port.published {
            match port.host_ip.as_deref() {
                Some(ip) if is_loopback(ip) => skip(
                    "ports",
                    &format!(
                        "{published}:{} is published on {ip} only: the Service stays ClusterIP \
                         (reach it with `kubectl port-forward service/{name} {published}:{}`)",
                        port.target, port.target
                    ),
                ),
                Some(ip) if ip != "0.0.0.0" && ip != "::" => {
                    published_all_addresses = true;
                    skip(
                        "ports",
                        &format!(
                            "{published}:{} is published on {ip}: a LoadBalancer Service takes \
                             the cluster's address, not this one",
                            port.target
                        ),
                    );
                }
                _ => published_all_addresses = true,
            }
            if published != port.target
                && (port.host_ip.as_deref().is_none_or(|ip| !is_loopback(ip)))
            {
                skip(
                    "ports",
                    &format!(
                        "published port {published} differs from its target {}: the Service \
                         serves the target port {}, the port other services call",
                        port.target, port.target
                    ),
                );
            }
        }
        if port.mode.is_some() {
            skip(
                "ports.mode",
                "the Service spreads connections over ready pods whatever the mode",
            );
        }
    }
    for text in &service.expose {
        match expose_ports(text) {
            Some(list) => ports.extend(list),
            None => skip("expose", &format!("`{text}` is not a port or range")),
        }
    }
    if ports.is_empty() {
        if let Some(probe) = &service.extensions.probe {
            let port = match probe.check {
                ProbeCheck::Http { port, .. } | ProbeCheck::Tcp { port } => port,
            };
            ports.push((port, Protocol::Tcp));
            skip(
                "ports",
                &format!(
                    "none given (Compose services reach each other on any port): the Service \
                     serves {port}, the port of `x-msctl.probe`"
                ),
            );
        } else if service.network_mode.is_none()
            && (!service.networks.is_empty() || project.services.len() > 1)
        {
            skip(
                "networks",
                "no `ports`, `expose` or probe says which port others call: no Service is \
                 written, so its name does not resolve in the cluster",
            );
        }
    }
    ports.sort();
    ports.dedup();

    // Environment: a variable without a value takes msctl's own at `up`; here it has none.
    let mut env = Vec::new();
    for (key, value) in &service.environment {
        match value {
            Some(value) => env.push(EnvVar {
                name: key.clone(),
                value: Some(value.clone()),
                ..EnvVar::default()
            }),
            None => skip(
                &format!("environment.{key}"),
                "no value in the manifest (msctl passes its own environment's at `up`): set it \
                 in the Deployment",
            ),
        }
    }

    // Volumes and their mounts.
    let mut volumes: Vec<Volume> = Vec::new();
    let mut mounts: Vec<VolumeMount> = Vec::new();
    for (index, mount) in service.volumes.iter().enumerate() {
        match (mount.kind, &mount.source) {
            (MountType::Volume, Some(source)) => {
                let external_name = project
                    .volumes
                    .get(source)
                    .filter(|v| v.external)
                    .map(|v| kube_name(v.name.as_deref().unwrap_or(source)));
                let claim = external_name.unwrap_or_else(|| kube_name(source));
                let volume_name = pod_volume_name("volume", source);
                if !volumes.iter().any(|v| v.name == volume_name) {
                    volumes.push(Volume {
                        name: volume_name.clone(),
                        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                            claim_name: claim,
                            read_only: None,
                        }),
                        ..Volume::default()
                    });
                }
                mounts.push(volume_mount(
                    &volume_name,
                    &mount.target,
                    mount.read_only,
                    None,
                ));
            }
            (MountType::Volume, None) => {
                let volume_name = format!("anonymous-{index}");
                volumes.push(empty_dir(&volume_name, None));
                mounts.push(volume_mount(
                    &volume_name,
                    &mount.target,
                    mount.read_only,
                    None,
                ));
                skip(
                    "volumes",
                    &format!(
                        "the anonymous volume at {} becomes an emptyDir: it lives as long as \
                         the pod",
                        mount.target
                    ),
                );
            }
            (MountType::Tmpfs, _) => {
                let volume_name = format!("tmpfs-{index}");
                volumes.push(empty_dir(&volume_name, Some("Memory")));
                mounts.push(volume_mount(&volume_name, &mount.target, false, None));
            }
            (MountType::Bind, source) => skip(
                "volumes",
                &format!(
                    "the bind mount of {} at {} has no counterpart: a pod does not see the \
                     host's files (use a ConfigMap, a volume, or bake them into the image)",
                    source.as_deref().unwrap_or("?"),
                    mount.target
                ),
            ),
        }
    }
    for (index, entry) in service.tmpfs.iter().enumerate() {
        let (path, options) = match entry.split_once(':') {
            Some((path, options)) => (path, Some(options)),
            None => (entry.as_str(), None),
        };
        let volume_name = format!("tmp-{index}");
        volumes.push(empty_dir(&volume_name, Some("Memory")));
        mounts.push(volume_mount(&volume_name, path, false, None));
        if let Some(options) = options {
            skip(
                "tmpfs",
                &format!("the options `{options}` of {path} are not carried to the emptyDir"),
            );
        }
    }
    for secret in &service.secrets {
        let volume_name = pod_volume_name("secret", &secret.source);
        if !volumes.iter().any(|v| v.name == volume_name) {
            volumes.push(Volume {
                name: volume_name.clone(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(kube_name(&secret.source)),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            });
        }
        mounts.push(volume_mount(
            &volume_name,
            &secret.target,
            true,
            Some(file_key(&secret.source)),
        ));
    }
    for config in &service.configs {
        let volume_name = pod_volume_name("config", &config.source);
        if !volumes.iter().any(|v| v.name == volume_name) {
            volumes.push(Volume {
                name: volume_name.clone(),
                config_map: Some(ConfigMapVolumeSource {
                    name: kube_name(&config.source),
                    ..ConfigMapVolumeSource::default()
                }),
                ..Volume::default()
            });
        }
        mounts.push(volume_mount(
            &volume_name,
            &config.target,
            true,
            Some(file_key(&config.source)),
        ));
    }

    // Resources, and the CPU request the autoscaler measures against.
    let mut limits = BTreeMap::new();
    let mut requests = BTreeMap::new();
    if let Some(cpus) = service.cpu_limit() {
        limits.insert("cpu".to_string(), cpu_quantity(cpus));
    }
    if let Some(bytes) = service.memory_limit() {
        limits.insert("memory".to_string(), memory_quantity(bytes));
    }
    let reservations = &service.deploy.resources.reservations;
    if let Some(cpus) = reservations.cpus {
        requests.insert("cpu".to_string(), cpu_quantity(cpus));
    }
    if let Some(bytes) = reservations.memory {
        requests.insert("memory".to_string(), memory_quantity(bytes));
    }
    let mut autoscaler = None;
    if let Some(autoscale) = &service.extensions.autoscale {
        // msctl's percent is of one CPU, Kubernetes' of the pod's CPU request: the same
        // load gives the same target when the request is one CPU, or scaled to it.
        let request = match reservations.cpus {
            Some(cpus) if cpus > 0.0 => cpus,
            _ => {
                requests.insert("cpu".to_string(), cpu_quantity(1.0));
                skip(
                    "x-msctl.autoscale.cpu_percent",
                    "Kubernetes measures CPU against the pod's request, msctl against one \
                     CPU: a CPU request of 1 is set so the target means the same",
                );
                1.0
            }
        };
        let utilization = ((autoscale.cpu_percent / request).round() as i32).max(1);
        if (request - 1.0).abs() > f64::EPSILON {
            skip(
                "x-msctl.autoscale.cpu_percent",
                &format!(
                    "{}% of one CPU is {utilization}% of the CPU request of {request}",
                    autoscale.cpu_percent
                ),
            );
        }
        skip(
            "x-msctl.autoscale.scale_up_cooldown",
            "the autoscaler's own stabilization windows apply",
        );
        skip(
            "x-msctl.autoscale.scale_down_cooldown",
            "the autoscaler's own stabilization windows apply",
        );
        autoscaler = Some(HorizontalPodAutoscaler {
            metadata: metadata(&name, project_label, Some(&name)),
            spec: HorizontalPodAutoscalerSpec {
                min_replicas: Some(i32::try_from(autoscale.min).unwrap_or(i32::MAX)),
                max_replicas: i32::try_from(autoscale.max).unwrap_or(i32::MAX),
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some("apps/v1".to_string()),
                    kind: "Deployment".to_string(),
                    name: name.clone(),
                },
                metrics: Some(vec![MetricSpec {
                    type_: "Resource".to_string(),
                    resource: Some(ResourceMetricSource {
                        name: "cpu".to_string(),
                        target: MetricTarget {
                            type_: "Utilization".to_string(),
                            average_utilization: Some(utilization),
                            ..MetricTarget::default()
                        },
                    }),
                    ..MetricSpec::default()
                }]),
                ..HorizontalPodAutoscalerSpec::default()
            },
            ..HorizontalPodAutoscaler::default()
        });
    }
    let resources = (!limits.is_empty() || !requests.is_empty()).then(|| ResourceRequirements {
        limits: (!limits.is_empty()).then_some(limits),
        requests: (!requests.is_empty()).then_some(requests),
        ..ResourceRequirements::default()
    });

    // Probes: readiness from msctl's probe, else the health check; liveness from the
    // health check, which is what msctl replaces a replica for.
    let health = service.healthcheck.as_ref().filter(|h| !h.is_disabled());
    let health_probe = health.and_then(|h| healthcheck_probe(h, &mut skip));
    let readiness = match &service.extensions.probe {
        Some(probe) => {
            if probe.interval < Duration::from_secs(1) {
                skip(
                    "x-msctl.probe.interval",
                    &format!(
                        "{} is below Kubernetes' least probe period: probed every second",
                        model::format_duration(probe.interval)
                    ),
                );
            }
            let (http_get, tcp_socket) = match &probe.check {
                ProbeCheck::Http { port, path } => (
                    Some(HTTPGetAction {
                        port: IntOrString::Int(i32::from(*port)),
                        path: Some(path.clone()),
                        ..HTTPGetAction::default()
                    }),
                    None,
                ),
                ProbeCheck::Tcp { port } => (
                    None,
                    Some(TCPSocketAction {
                        port: IntOrString::Int(i32::from(*port)),
                        ..TCPSocketAction::default()
                    }),
                ),
            };
            Some(Probe {
                http_get,
                tcp_socket,
                period_seconds: Some(seconds_i32(probe.interval, 1)),
                timeout_seconds: Some(seconds_i32(probe.timeout, 1)),
                failure_threshold: Some(
                    i32::try_from(probe.failure_threshold.max(1)).unwrap_or(i32::MAX),
                ),
                ..Probe::default()
            })
        }
        None => health_probe.clone(),
    };

    let security_context = security_context(service, &mut skip);
    let lifecycle = lifecycle(service, &mut skip);

    // Rolling updates.
    let strategy = service.deploy.update_config.as_ref().map(|update| {
        let batch = if update.parallelism == 0 {
            IntOrString::String("100%".to_string())
        } else {
            IntOrString::Int(i32::try_from(update.parallelism).unwrap_or(i32::MAX))
        };
        let (max_surge, max_unavailable) = match update.order {
            UpdateOrder::StartFirst => (batch, IntOrString::Int(0)),
            UpdateOrder::StopFirst => (IntOrString::Int(0), batch),
        };
        match update.failure_action {
            FailureAction::Rollback => skip(
                "deploy.update_config.failure_action",
                "rollback: Kubernetes does not roll back a failed rollout by itself: it \
                 stalls, marked failed after its progress deadline (undo with `kubectl \
                 rollout undo`)",
            ),
            FailureAction::Pause => skip(
                "deploy.update_config.failure_action",
                "pause: a failing rollout stalls, marked failed after its progress deadline",
            ),
            FailureAction::Continue => skip(
                "deploy.update_config.failure_action",
                "continue: Kubernetes does not go past pods that never become ready: the \
                 rollout stalls",
            ),
        }
        if !update.monitor.is_zero() {
            skip(
                "deploy.update_config.monitor",
                &format!(
                    "{}: Kubernetes watches a new pod only until it is ready",
                    model::format_duration(update.monitor)
                ),
            );
        }
        if !update.delay.is_zero() {
            skip(
                "deploy.update_config.delay",
                &format!(
                    "{}: Kubernetes has no pause between batches",
                    model::format_duration(update.delay)
                ),
            );
        }
        if update.max_failure_ratio > 0.0 {
            skip(
                "deploy.update_config.max_failure_ratio",
                "Kubernetes tolerates no failed batch",
            );
        }
        DeploymentStrategy {
            type_: Some("RollingUpdate".to_string()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(max_surge),
                max_unavailable: Some(max_unavailable),
            }),
        }
    });
    if service.deploy.rollback_config.is_some() {
        skip(
            "deploy.rollback_config",
            "`kubectl rollout undo` uses the Deployment's own strategy",
        );
    }
    if service.deploy.restart_policy.is_some() {
        skip(
            "deploy.restart_policy",
            "a Deployment's pods always restart, with Kubernetes' own backoff",
        );
    }
    match service.restart {
        Some(RestartMode::No) | Some(RestartMode::OnFailure) => skip(
            "restart",
            "a Deployment's pods always restart (msctl's control plane replaces failed \
             replicas too)",
        ),
        _ => {}
    }
    if !service.depends_on.is_empty() {
        let names: Vec<&str> = service.depends_on.keys().map(String::as_str).collect();
        skip(
            "depends_on",
            &format!(
                "Kubernetes starts every pod at once: {} may not be ready first (the readiness \
                 probes keep traffic away until each is)",
                names.join(", ")
            ),
        );
    }

    // What has no field at all.
    let unsupported: &[(bool, &str, &str)] = &[
        (
            !service.labels.is_empty(),
            "labels",
            "Docker container labels are not copied",
        ),
        (
            service.init.is_some(),
            "init",
            "Kubernetes runs no init process in the container",
        ),
        (
            service.stop_signal.is_some(),
            "stop_signal",
            "pods stop with SIGTERM (stopSignal needs a feature gate)",
        ),
        (
            service.domainname.is_some(),
            "domainname",
            "the cluster's DNS decides the domain",
        ),
        (
            service.container_name.is_some(),
            "container_name",
            "pods are named by the Deployment",
        ),
        (
            service.logging.is_some(),
            "logging",
            "the cluster's logging collects stdout and stderr",
        ),
        (
            !service.sysctls.is_empty(),
            "sysctls",
            "pod sysctls need the cluster's allowlist; not written",
        ),
        (
            !service.ulimits.is_empty(),
            "ulimits",
            "Kubernetes has no per-container ulimits",
        ),
        (
            service.platform.is_some(),
            "platform",
            "use a nodeSelector on kubernetes.io/arch",
        ),
        (
            service.network_mode.is_some(),
            "network_mode",
            "containers of one pod share a network, pods do not",
        ),
        (
            !service.links.is_empty(),
            "links",
            "services resolve by their Service name; aliases need Services of their own",
        ),
        (service.runtime.is_some(), "runtime", "use a RuntimeClass"),
        (
            !service.dns.is_empty(),
            "dns",
            "the cluster's DNS serves pods",
        ),
        (
            !service.dns_search.is_empty(),
            "dns_search",
            "the cluster's DNS serves pods",
        ),
        (
            !service.dns_opt.is_empty(),
            "dns_opt",
            "the cluster's DNS serves pods",
        ),
        (
            !service.devices.is_empty(),
            "devices",
            "host devices need a device plugin",
        ),
        (
            service.shm_size.is_some(),
            "shm_size",
            "mount an emptyDir of medium Memory at /dev/shm",
        ),
        (
            service.pid.is_some(),
            "pid",
            "host or shared process namespaces are not written",
        ),
        (
            service.ipc.is_some(),
            "ipc",
            "host or shared IPC namespaces are not written",
        ),
        (
            !service.group_add.is_empty(),
            "group_add",
            "use the pod's supplementalGroups",
        ),
        (
            service.pids_limit.is_some(),
            "pids_limit",
            "the kubelet sets the pid limit",
        ),
        (
            service.oom_score_adj.is_some(),
            "oom_score_adj",
            "Kubernetes sets it from the pod's QoS class",
        ),
        (
            service.memswap_limit.is_some(),
            "memswap_limit",
            "swap is the node's setting",
        ),
        (
            service.cpu_shares.is_some(),
            "cpu_shares",
            "use a CPU request",
        ),
        (
            service.cpuset.is_some(),
            "cpuset",
            "CPU pinning is the kubelet's CPU manager's",
        ),
        (
            service.mac_address.is_some(),
            "mac_address",
            "the cluster's network assigns addresses",
        ),
        (
            service
                .healthcheck
                .as_ref()
                .is_some_and(|h| h.start_interval.is_some()),
            "healthcheck.start_interval",
            "a startupProbe would be needed; the period applies from the start",
        ),
    ];
    for &(set, key, why) in unsupported {
        if set {
            skip(key, why);
        }
    }
    for (network, attachment) in &service.networks {
        if !attachment.aliases.is_empty() {
            skip(
                &format!("networks.{network}.aliases"),
                "other names of a service need Services of their own",
            );
        }
        if attachment.ipv4_address.is_some() || attachment.ipv6_address.is_some() {
            skip(
                &format!("networks.{network}"),
                "fixed addresses: the cluster's network assigns pod addresses",
            );
        }
    }

    if let Some(autoscale) = &service.extensions.autoscale {
        if service.replicas() != autoscale.min {
            skip(
                "deploy.replicas",
                &format!(
                    "{}: the autoscaler decides; the Deployment starts at x-msctl.autoscale.min ({})",
                    service.replicas(),
                    autoscale.min
                ),
            );
        }
    }
    let host_aliases = host_aliases(&service.extra_hosts, &mut skip);
    let pod_labels = labels(project_label, Some(&name));
    let replicas = service
        .extensions
        .autoscale
        .as_ref()
        .map_or(service.replicas(), |a| a.min);
    let container = Container {
        name: name.clone(),
        image: Some(image_name(&project.name, service)),
        command: service.entrypoint.clone(),
        args: service.command.clone(),
        env: (!env.is_empty()).then_some(env),
        ports: (!ports.is_empty()).then(|| {
            ports
                .iter()
                .map(|(port, protocol)| ContainerPort {
                    name: Some(port_name(*port, *protocol)),
                    container_port: i32::from(*port),
                    protocol: Some(kube_protocol(*protocol)),
                    ..ContainerPort::default()
                })
                .collect()
        }),
        resources,
        readiness_probe: readiness,
        liveness_probe: health_probe,
        security_context,
        lifecycle,
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        working_dir: service.working_dir.clone(),
        tty: service.tty.then_some(true),
        stdin: service.stdin_open.then_some(true),
        ..Container::default()
    };
    let deployment = Deployment {
        metadata: metadata(&name, project_label, Some(&name)),
        spec: DeploymentSpec {
            replicas: Some(i32::try_from(replicas).unwrap_or(i32::MAX)),
            selector: LabelSelector {
                match_labels: Some(pod_labels.clone()),
                ..LabelSelector::default()
            },
            strategy,
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels.clone()),
                    annotations: (!service.annotations.is_empty())
                        .then(|| service.annotations.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    volumes: (!volumes.is_empty()).then_some(volumes),
                    termination_grace_period_seconds: service
                        .stop_grace_period
                        .map(|d| seconds(d, 0)),
                    hostname: service.hostname.as_ref().map(|h| kube_name(h)),
                    host_aliases,
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        },
        ..Deployment::default()
    };
    out.objects.push(Object::Deployment(deployment));
    if !ports.is_empty() {
        out.objects.push(Object::Service(KubeService {
            metadata: metadata(&name, project_label, Some(&name)),
            spec: Some(ServiceSpec {
                type_: Some(
                    if published_all_addresses {
                        "LoadBalancer"
                    } else {
                        "ClusterIP"
                    }
                    .to_string(),
                ),
                selector: Some(pod_labels),
                ports: Some(
                    ports
                        .iter()
                        .map(|(port, protocol)| ServicePort {
                            name: Some(port_name(*port, *protocol)),
                            port: i32::from(*port),
                            target_port: Some(IntOrString::Int(i32::from(*port))),
                            protocol: Some(kube_protocol(*protocol)),
                            ..ServicePort::default()
                        })
                        .collect(),
                ),
                ..ServiceSpec::default()
            }),
            ..KubeService::default()
        }));
    }
    if let Some(policy) = network_policy(project, service, project_label, &mut notes) {
        out.objects.push(Object::NetworkPolicy(policy));
    }
    if let Some(autoscaler) = autoscaler {
        out.objects
            .push(Object::HorizontalPodAutoscaler(autoscaler));
    }
    out.untranslated.extend(notes);
}

/// The pods of `service_name` in the project, as a NetworkPolicy peer.
fn pods_of(project_label: &str, service_name: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: Some(labels(project_label, Some(&kube_name(service_name)))),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// Compose's network segmentation for one service, as a NetworkPolicy on its pods:
/// ingress only from the services it shares a network with (itself included) and, on
/// ports published beyond loopback, from anywhere; when every network it is on is
/// internal, egress only to those services and the cluster DNS. None for a service
/// whose network stack is another's or that is on an external network (whose other
/// members Kubernetes cannot name): those are listed instead.
fn network_policy(
    project: &Project,
    service: &model::Service,
    project_label: &str,
    notes: &mut Vec<Untranslated>,
) -> Option<NetworkPolicy> {
    let subject = format!("service {}", service.name);
    if service.network_mode.is_some() {
        return None;
    }
    let own = service_network_keys(service);
    if let Some(external) = own
        .iter()
        .find(|key| project.networks.get(**key).is_some_and(|n| n.external))
    {
        notes.push(note(
            &subject,
            &format!("networks.{external}"),
            "an external network: its members outside the project cannot be named, so no \
             NetworkPolicy is written for this service"
                .to_string(),
        ));
        return None;
    }
    let mut peers: Vec<&String> = project
        .services
        .iter()
        .filter(|(_, other)| {
            other.network_mode.is_none()
                && service_network_keys(other)
                    .iter()
                    .any(|key| own.contains(key))
        })
        .map(|(name, _)| name)
        .collect();
    peers.sort();
    let from: Vec<NetworkPolicyPeer> = peers
        .iter()
        .map(|name| pods_of(project_label, name))
        .collect();
    let mut ingress = vec![NetworkPolicyIngressRule {
        from: Some(from.clone()),
        ports: None,
    }];
    let mut published: Vec<NetworkPolicyPort> = service
        .ports
        .iter()
        .filter(|p| p.published.is_some() && p.host_ip.as_deref().is_none_or(|ip| !is_loopback(ip)))
        .map(|p| NetworkPolicyPort {
            port: Some(IntOrString::Int(i32::from(p.target))),
            protocol: Some(kube_protocol(p.protocol)),
            ..NetworkPolicyPort::default()
        })
        .collect();
    published.dedup();
    if !published.is_empty() {
        ingress.push(NetworkPolicyIngressRule {
            from: None,
            ports: Some(published),
        });
    }
    let internal_only = own
        .iter()
        .all(|key| project.networks.get(*key).is_some_and(|n| n.internal));
    let mut policy_types = vec!["Ingress".to_string()];
    let egress = internal_only.then(|| {
        policy_types.push("Egress".to_string());
        let dns = NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector::default()),
            pod_selector: Some(LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    "k8s-app".to_string(),
                    "kube-dns".to_string(),
                )])),
                ..LabelSelector::default()
            }),
            ..NetworkPolicyPeer::default()
        };
        vec![
            NetworkPolicyEgressRule {
                to: Some(from.clone()),
                ports: None,
            },
            NetworkPolicyEgressRule {
                to: Some(vec![dns]),
                ports: Some(
                    ["UDP", "TCP"]
                        .iter()
                        .map(|protocol| NetworkPolicyPort {
                            port: Some(IntOrString::Int(53)),
                            protocol: Some(protocol.to_string()),
                            ..NetworkPolicyPort::default()
                        })
                        .collect(),
                ),
            },
        ]
    });
    let name = kube_name(&service.name);
    Some(NetworkPolicy {
        metadata: metadata(&name, project_label, Some(&name)),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(labels(project_label, Some(&name))),
                ..LabelSelector::default()
            }),
            policy_types: Some(policy_types),
            ingress: Some(ingress),
            egress,
        }),
    })
}

/// A pod volume's name, `<prefix>-<name>`: a DNS label too, so at most 63 characters.
fn pod_volume_name(prefix: &str, name: &str) -> String {
    kube_name(&format!("{prefix}-{}", kube_name(name)))
}

fn is_loopback(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|addr| addr.is_loopback())
}

fn empty_dir(name: &str, medium: Option<&str>) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: medium.map(str::to_string),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn volume_mount(name: &str, path: &str, read_only: bool, sub_path: Option<String>) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
        sub_path,
        ..VolumeMount::default()
    }
}

/// The Compose health check as a probe: `CMD` runs its arguments, `CMD-SHELL` runs them
/// with `sh -c`; Docker's defaults where the manifest says nothing (30s, 30s, 3 retries).
fn healthcheck_probe(health: &Healthcheck, skip: &mut impl FnMut(&str, &str)) -> Option<Probe> {
    let command = match health.test.split_first() {
        Some((kind, rest)) if kind == "CMD" => rest.to_vec(),
        Some((kind, rest)) if kind == "CMD-SHELL" => {
            vec!["sh".to_string(), "-c".to_string(), rest.join(" ")]
        }
        _ => {
            skip("healthcheck.test", "not a CMD or CMD-SHELL test");
            return None;
        }
    };
    Some(Probe {
        exec: Some(ExecAction {
            command: Some(command),
        }),
        period_seconds: Some(seconds_i32(
            health.interval.unwrap_or(Duration::from_secs(30)),
            1,
        )),
        timeout_seconds: Some(seconds_i32(
            health.timeout.unwrap_or(Duration::from_secs(30)),
            1,
        )),
        failure_threshold: Some(
            i32::try_from(health.retries.unwrap_or(3).max(1)).unwrap_or(i32::MAX),
        ),
        initial_delay_seconds: health.start_period.map(|d| seconds_i32(d, 0)),
        ..Probe::default()
    })
}

/// The container's security context from the hardening keys.
fn security_context(
    service: &model::Service,
    skip: &mut impl FnMut(&str, &str),
) -> Option<SecurityContext> {
    let mut context = SecurityContext::default();
    if service.read_only {
        context.read_only_root_filesystem = Some(true);
    }
    if service.privileged {
        context.privileged = Some(true);
    }
    if let Some(user) = &service.user {
        let (uid, gid) = match user.split_once(':') {
            Some((uid, gid)) => (uid, Some(gid)),
            None => (user.as_str(), None),
        };
        match (uid.parse::<i64>(), gid.map(str::parse::<i64>)) {
            (Ok(uid), None) => {
                context.run_as_user = Some(uid);
                context.run_as_non_root = Some(uid != 0);
            }
            (Ok(uid), Some(Ok(gid))) => {
                context.run_as_user = Some(uid);
                context.run_as_group = Some(gid);
                context.run_as_non_root = Some(uid != 0);
            }
            _ => skip(
                "user",
                &format!("`{user}`: Kubernetes takes numeric user and group ids only"),
            ),
        }
    }
    let capability = |c: &String| c.strip_prefix("CAP_").unwrap_or(c).to_string();
    if !service.cap_add.is_empty() || !service.cap_drop.is_empty() {
        context.capabilities = Some(Capabilities {
            add: (!service.cap_add.is_empty())
                .then(|| service.cap_add.iter().map(capability).collect()),
            drop: (!service.cap_drop.is_empty())
                .then(|| service.cap_drop.iter().map(capability).collect()),
        });
    }
    for option in &service.security_opt {
        match option.as_str() {
            "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true" => {
                context.allow_privilege_escalation = Some(false)
            }
            other => skip(
                "security_opt",
                &format!(
                    "`{other}`: use the security context's seccomp, AppArmor or SELinux fields"
                ),
            ),
        }
    }
    (context != SecurityContext::default()).then_some(context)
}

/// `post_start` and `pre_stop` as lifecycle hooks: Kubernetes runs one command each, as
/// the container's user, so only a single plain hook translates.
fn lifecycle(service: &model::Service, skip: &mut impl FnMut(&str, &str)) -> Option<Lifecycle> {
    let mut handler = |key: &str, hooks: &[Hook]| -> Option<LifecycleHandler> {
        match hooks {
            [] => None,
            [hook]
                if hook.user.is_none()
                    && !hook.privileged
                    && hook.working_dir.is_none()
                    && hook.environment.is_empty() =>
            {
                Some(LifecycleHandler {
                    exec: Some(ExecAction {
                        command: Some(hook.command.clone()),
                    }),
                    ..LifecycleHandler::default()
                })
            }
            _ => {
                skip(
                    key,
                    "Kubernetes runs one hook command, as the container's user, in its working \
                     directory and environment",
                );
                None
            }
        }
    };
    let post_start = handler("post_start", &service.post_start);
    let pre_stop = handler("pre_stop", &service.pre_stop);
    (post_start.is_some() || pre_stop.is_some()).then_some(Lifecycle {
        post_start,
        pre_stop,
        ..Lifecycle::default()
    })
}

/// `extra_hosts` (`HOST:IP`) as the pod's host aliases, grouped by address.
fn host_aliases(entries: &[String], skip: &mut impl FnMut(&str, &str)) -> Option<Vec<HostAlias>> {
    let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in entries {
        match entry.split_once(':').or_else(|| entry.split_once('=')) {
            Some((host, ip)) if ip.parse::<std::net::IpAddr>().is_ok() => by_ip
                .entry(ip.to_string())
                .or_default()
                .push(host.to_string()),
            _ => skip(
                "extra_hosts",
                &format!("`{entry}` is not HOST:IP (host-gateway has no counterpart)"),
            ),
        }
    }
    (!by_ip.is_empty()).then(|| {
        by_ip
            .into_iter()
            .map(|(ip, hostnames)| HostAlias {
                ip,
                hostnames: Some(hostnames),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(kube_name("token_key"), "token-key");
        assert_eq!(kube_name("Web_App."), "web-app");
        assert_eq!(kube_name("__"), "x");
    }

    #[test]
    fn quantities_use_kubernetes_units() {
        assert_eq!(cpu_quantity(1.0).0, "1");
        assert_eq!(cpu_quantity(0.5).0, "500m");
        assert_eq!(cpu_quantity(1.25).0, "1250m");
        assert_eq!(memory_quantity(128 * 1024 * 1024).0, "128Mi");
        assert_eq!(memory_quantity(2 << 30).0, "2Gi");
        assert_eq!(memory_quantity(1000).0, "1000");
    }

    #[test]
    fn expose_entries_expand() {
        assert_eq!(expose_ports("80"), Some(vec![(80, Protocol::Tcp)]));
        assert_eq!(
            expose_ports("53-54/udp"),
            Some(vec![(53, Protocol::Udp), (54, Protocol::Udp)])
        );
        assert_eq!(expose_ports("x"), None);
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(seconds(Duration::from_millis(250), 1), 1);
        assert_eq!(seconds(Duration::from_millis(1500), 1), 2);
        assert_eq!(seconds(Duration::ZERO, 0), 0);
    }
}

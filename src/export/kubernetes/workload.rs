//! One service as a workload: its Deployment (container, volumes, resources, probes,
//! rolling updates), the Service for its ports, its NetworkPolicy and its autoscaler,
//! with a note for every key none of them can carry.

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
    ConfigMapVolumeSource, Container, ContainerPort, EnvVar, HTTPGetAction,
    PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
    SecretVolumeSource, Service as KubeService, ServicePort, ServiceSpec, TCPSocketAction, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{
    file_key, kube_name, labels, metadata, note, pod_volume_name, seconds, seconds_i32,
};
use super::network::{expose_ports, is_loopback, kube_protocol, network_policy, port_name};
use super::pod::{
    cpu_quantity, empty_dir, healthcheck_probe, host_aliases, lifecycle, memory_quantity,
    security_context, volume_mount,
};
use super::{Export, Object, Untranslated};
use crate::manifest::model::{
    self, FailureAction, MountType, ProbeCheck, Project, Protocol, RestartMode, UpdateOrder,
};
use crate::plan::names::image_name;

/// Everything one service becomes: a Deployment, a Service when it has ports, an
/// autoscaler when it scales itself.
pub(super) fn service_objects(
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

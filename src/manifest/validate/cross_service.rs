//! Checks across services of their container settings (unique container names,
//! `network_mode: service:X`, `links`, legacy limits) and of their published host ports.

use std::collections::BTreeMap;

use crate::manifest::fields::{did_you_mean, Reader};
use crate::manifest::model::{NetworkMode, Protocol, Service};

use super::ServiceSpans;

/// What one service's container settings say about the others: a fixed container name
/// is unique and has one replica; `network_mode: service:X` and `links` name services;
/// the legacy limits agree with `deploy.resources`.
pub(super) fn check_container_settings(
    r: &mut Reader<'_>,
    services: &BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
) {
    let at = |name: &str, key: &str| spans.get(name).and_then(|s| s.keys.get(key)).copied();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let service_hint =
        |wanted: &str| match did_you_mean(wanted, services.keys().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "the services are: {}",
                services.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
    for (name, svc) in services {
        if let (Some(container_name), Some(span)) =
            (&svc.container_name, at(name, "container_name"))
        {
            if svc.replicas() > 1 {
                r.error_hint(
                    format!(
                        "service `{name}` asks for {} replicas but names its container `{container_name}`, and a name is unique",
                        svc.replicas()
                    ),
                    span,
                    "remove `container_name`, or run one replica",
                );
            }
            if let Some(other) = names.insert(container_name, name) {
                r.error_hint(
                    format!("services `{other}` and `{name}` both name their container `{container_name}`"),
                    span,
                    "container names are unique on the engine: choose another",
                );
            }
        }
        if let (Some(mode), Some(span)) = (&svc.network_mode, at(name, "network_mode")) {
            if let Some(networks_span) = at(name, "networks") {
                r.error_hint(
                    format!("service `{name}` sets both `network_mode` and `networks`"),
                    networks_span,
                    format!("a container with `network_mode: {mode}` joins no network: keep one of them"),
                );
            }
            if let NetworkMode::Service(other) = mode {
                if other == name {
                    r.error_hint(
                        format!("service `{name}` shares its own network stack"),
                        span,
                        "name another service after `service:`",
                    );
                } else if !services.contains_key(other) && !spans.contains_key(other) {
                    r.error_hint(
                        format!("service `{name}` shares the network of `{other}`, which is not a service"),
                        span,
                        service_hint(other),
                    );
                }
            }
        }
        if let Some(links_span) = at(name, "links") {
            for (i, link) in svc.links.iter().enumerate() {
                let span = spans
                    .get(name)
                    .and_then(|s| s.links.get(i))
                    .copied()
                    .unwrap_or(links_span);
                let target = link.split(':').next().unwrap_or(link);
                if target == name {
                    r.error_hint(
                        format!("service `{name}` links to itself"),
                        span,
                        "a service already reaches itself by its own name",
                    );
                } else if !services.contains_key(target) && !spans.contains_key(target) {
                    r.error_hint(
                        format!("service `{name}` links to `{target}`, which is not a service"),
                        span,
                        service_hint(target),
                    );
                }
            }
        }
        let limits = &svc.deploy.resources.limits;
        if let (Some(legacy), Some(deploy), Some(span)) =
            (svc.mem_limit, limits.memory, at(name, "mem_limit"))
        {
            if legacy != deploy {
                r.error_hint(
                    format!("service `{name}` sets `mem_limit` ({legacy} bytes) and `deploy.resources.limits.memory` ({deploy} bytes)"),
                    span,
                    "keep one of them",
                );
            }
        }
        if let (Some(legacy), Some(deploy), Some(span)) = (svc.cpus, limits.cpus, at(name, "cpus"))
        {
            if legacy != deploy {
                r.error_hint(
                    format!("service `{name}` sets `cpus` ({legacy}) and `deploy.resources.limits.cpus` ({deploy})"),
                    span,
                    "keep one of them",
                );
            }
        }
    }
}

/// Two services (or two ports of one) cannot publish the same host port.
pub(super) fn check_published_ports(
    r: &mut Reader<'_>,
    services: &BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
) {
    let mut seen: BTreeMap<(String, u16, Protocol), String> = BTreeMap::new();
    for (name, svc) in services {
        for (i, port) in svc.ports.iter().enumerate() {
            let Some(published) = port.published else {
                continue;
            };
            if crate::manifest::ports::wants_ingress(svc, port) && port.protocol != Protocol::Tcp {
                if let Some(span) = spans.get(name).and_then(|s| s.ports.get(i)) {
                    let why = if crate::manifest::ports::may_replicate(svc) {
                        "can have more than one replica"
                    } else {
                        "asks for `mode: ingress`"
                    };
                    r.error_hint(
                        format!(
                            "service `{name}` {why}, so its host port {published}/{} would go through msctl's ingress, which carries TCP only",
                            port.protocol.as_str()
                        ),
                        *span,
                        "publish the port over TCP, or run one replica without `mode: ingress` (one container binds the port itself)",
                    );
                }
            }
            let ip = port
                .host_ip
                .clone()
                .unwrap_or_else(|| "0.0.0.0".to_string());
            let clash = seen
                .iter()
                .find(|((other_ip, p, proto), _)| {
                    *p == published
                        && *proto == port.protocol
                        && (other_ip == &ip || other_ip == "0.0.0.0" || ip == "0.0.0.0")
                })
                .map(|(_, owner)| owner.clone());
            if let Some(owner) = clash {
                if let Some(span) = spans.get(name).and_then(|s| s.ports.get(i)) {
                    r.error_hint(
                        format!(
                            "host port {published}/{} is published twice: by service `{owner}` and by service `{name}`",
                            port.protocol.as_str()
                        ),
                        *span,
                        "each host port can be published once; choose another host port",
                    );
                }
            } else {
                seen.insert((ip, published, port.protocol), name.clone());
            }
        }
    }
}

//! Ports and network segmentation: the names and protocols of a service's ports (its
//! own and its `expose` entries), and the NetworkPolicy that carries Compose's network
//! isolation.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::meta::{kube_name, labels, metadata, note};
use super::Untranslated;
use crate::manifest::model::{self, Project, Protocol};
use crate::plan::names::service_network_keys;

/// A port's name in the Service and the container: `p8080`, `p53-udp`.
pub(super) fn port_name(port: u16, protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => format!("p{port}"),
        other => format!("p{port}-{}", other.as_str()),
    }
}

pub(super) fn kube_protocol(protocol: Protocol) -> String {
    protocol.as_str().to_ascii_uppercase()
}

/// The ports of an `expose` entry: `80`, `80/udp`, `3000-3005`.
pub(super) fn expose_ports(text: &str) -> Option<Vec<(u16, Protocol)>> {
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
pub(super) fn network_policy(
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

pub(super) fn is_loopback(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|addr| addr.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_entries_expand() {
        assert_eq!(expose_ports("80"), Some(vec![(80, Protocol::Tcp)]));
        assert_eq!(
            expose_ports("53-54/udp"),
            Some(vec![(53, Protocol::Udp), (54, Protocol::Udp)])
        );
        assert_eq!(expose_ports("x"), None);
    }
}

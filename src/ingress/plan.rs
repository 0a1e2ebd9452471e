//! Which published ports go through msctl's ingress (pure).
//!
//! Docker binds a published port on one container: a second replica of the same service
//! fails with "port is already allocated". So a published TCP port of a service that can
//! have more than one replica is not bound on its containers; the control plane listens
//! on it instead and spreads connections over the service's ready replicas
//! (`crate::ingress`). This file is the one place that says which ports those are: the
//! container spec leaves them out, validation refuses what the ingress cannot carry,
//! `scale` refuses to replicate a service whose ports are bound directly, `up` and `ps`
//! name them.

use crate::manifest::model::{Network, Port, Project, Protocol, Service};
use crate::plan::names;

// What the manifest asks of a service's ports is the model's to say (validation asks
// it too); the ingress plan builds on it.
use crate::manifest::ports::wants_ingress;

/// Whether `port` of `service` goes through the ingress: a published TCP port that
/// [`wants_ingress`]. Such a port is not bound on the containers.
pub fn uses_ingress(service: &Service, port: &Port) -> bool {
    port.protocol == Protocol::Tcp && wants_ingress(service, port)
}

/// The ports of `service` that go through the ingress, in manifest order.
pub fn ingress_ports(service: &Service) -> Vec<&Port> {
    service
        .ports
        .iter()
        .filter(|port| uses_ingress(service, port))
        .collect()
}

/// The ports of `service` bound on each container: those that do not go through the
/// ingress, published or not (Docker gives an unpublished one a random host port, as
/// Compose does).
pub fn container_ports(service: &Service) -> Vec<Port> {
    service
        .ports
        .iter()
        .filter(|port| !uses_ingress(service, port))
        .cloned()
        .collect()
}

/// The container ports the ingress sends to, as `expose` entries (`80/tcp`): exposed on
/// each replica but bound on none.
pub fn exposed_ingress_ports(service: &Service) -> Vec<String> {
    ingress_ports(service)
        .into_iter()
        .map(|port| format!("{}/{}", port.target, port.protocol.as_str()))
        .collect()
}

/// The published ports that are bound on the containers directly (not through the
/// ingress): a second replica could not bind them.
pub fn bound_ports(service: &Service) -> Vec<&Port> {
    service
        .ports
        .iter()
        .filter(|port| port.published.is_some() && !uses_ingress(service, port))
        .collect()
}

/// The address the ingress listens on for `port`: its `host_ip` (Docker's default,
/// every IPv4 address, when unset) and its published port.
pub fn listen_address(port: &Port) -> String {
    let ip = port.host_ip.as_deref().unwrap_or("0.0.0.0");
    let published = port.published.unwrap_or_default();
    if ip.contains(':') {
        format!("[{ip}]:{published}")
    } else {
        format!("{ip}:{published}")
    }
}

/// How `ps` shows an ingress port: `HOST_IP:PUBLISHED->TARGET/tcp (ingress)`, the form
/// Docker uses for a port bound on the container, marked.
pub fn describe(port: &Port) -> String {
    format!(
        "{}->{}/{} (ingress)",
        listen_address(port),
        port.target,
        port.protocol.as_str()
    )
}

/// The engine names of the networks the ingress can reach `service`'s replicas on: the
/// service's networks that are not internal (the host has no route into an internal
/// network), in the order of [`names::service_network_keys`]. Empty with a
/// `network_mode` (no network of its own) or with internal networks only.
pub fn reachable_networks(project: &Project, service: &Service) -> Vec<String> {
    if service.network_mode.is_some() {
        return Vec::new();
    }
    let default = Network::default();
    names::service_network_keys(service)
        .into_iter()
        .filter_map(|key| {
            let network = project.networks.get(key).unwrap_or(&default);
            (!network.internal).then(|| names::network_name(&project.name, key, network))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::model::{Autoscale, NetworkMode, PortMode, ServiceNetwork};
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn port(published: Option<u16>, protocol: Protocol, mode: Option<PortMode>) -> Port {
        Port {
            target: 80,
            published,
            host_ip: None,
            protocol,
            mode,
        }
    }

    fn service(replicas: u32, ports: Vec<Port>) -> Service {
        let mut service = Service {
            name: "web".to_string(),
            ports,
            ..Service::default()
        };
        service.deploy.replicas = replicas;
        service
            .networks
            .insert("default".to_string(), ServiceNetwork::default());
        service
    }

    fn autoscale(min: u32, max: u32) -> Autoscale {
        Autoscale {
            min,
            max,
            cpu_percent: 70.0,
            scale_up_cooldown: Duration::from_secs(1),
            scale_down_cooldown: Duration::from_secs(1),
        }
    }

    #[test]
    fn a_published_tcp_port_of_one_replica_is_bound_on_the_container() {
        let web = service(1, vec![port(Some(8080), Protocol::Tcp, None)]);
        assert!(!uses_ingress(&web, &web.ports[0]));
        assert!(ingress_ports(&web).is_empty());
        assert_eq!(container_ports(&web), web.ports);
        assert_eq!(bound_ports(&web).len(), 1);
    }

    #[test]
    fn a_published_tcp_port_of_several_replicas_goes_through_the_ingress() {
        let web = service(3, vec![port(Some(8080), Protocol::Tcp, None)]);
        assert!(uses_ingress(&web, &web.ports[0]));
        assert_eq!(ingress_ports(&web), vec![&web.ports[0]]);
        assert!(container_ports(&web).is_empty(), "not bound on any replica");
        assert_eq!(exposed_ingress_ports(&web), vec!["80/tcp"], "but exposed");
        assert!(bound_ports(&web).is_empty());
    }

    #[test]
    fn an_autoscale_range_above_one_replica_means_the_ingress() {
        let mut web = service(1, vec![port(Some(8080), Protocol::Tcp, None)]);
        web.extensions.autoscale = Some(autoscale(1, 4));
        assert!(uses_ingress(&web, &web.ports[0]));
        web.extensions.autoscale = Some(autoscale(1, 1));
        assert!(!uses_ingress(&web, &web.ports[0]));
    }

    #[test]
    fn mode_ingress_asks_for_it_even_with_one_replica_and_mode_host_does_not() {
        let web = service(
            1,
            vec![
                port(Some(8080), Protocol::Tcp, Some(PortMode::Ingress)),
                port(Some(8081), Protocol::Tcp, Some(PortMode::Host)),
            ],
        );
        assert!(uses_ingress(&web, &web.ports[0]));
        assert!(!uses_ingress(&web, &web.ports[1]));
    }

    #[test]
    fn an_unpublished_port_stays_on_the_containers() {
        let web = service(3, vec![port(None, Protocol::Tcp, Some(PortMode::Ingress))]);
        assert!(!wants_ingress(&web, &web.ports[0]));
        assert_eq!(container_ports(&web), web.ports);
    }

    #[test]
    fn a_udp_port_wants_the_ingress_but_does_not_use_it() {
        let web = service(3, vec![port(Some(53), Protocol::Udp, None)]);
        assert!(wants_ingress(&web, &web.ports[0]), "validation refuses it");
        assert!(!uses_ingress(&web, &web.ports[0]));
    }

    #[test]
    fn ps_and_the_listener_name_docker_default_address() {
        let mut p = port(Some(8080), Protocol::Tcp, None);
        assert_eq!(listen_address(&p), "0.0.0.0:8080");
        assert_eq!(describe(&p), "0.0.0.0:8080->80/tcp (ingress)");
        p.host_ip = Some("::1".to_string());
        assert_eq!(listen_address(&p), "[::1]:8080");
    }

    #[test]
    fn only_networks_that_are_not_internal_are_reachable() {
        let mut project = Project {
            registry: None,
            target: Default::default(),
            name: "shop".to_string(),
            working_dir: ".".into(),
            services: BTreeMap::new(),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        project.networks.insert(
            "back".to_string(),
            Network {
                internal: true,
                ..Network::default()
            },
        );
        project
            .networks
            .insert("front".to_string(), Network::default());
        let mut web = service(3, Vec::new());
        web.networks.clear();
        web.networks
            .insert("back".to_string(), ServiceNetwork::default());
        assert!(reachable_networks(&project, &web).is_empty());
        web.networks
            .insert("front".to_string(), ServiceNetwork::default());
        assert_eq!(reachable_networks(&project, &web), vec!["shop_front"]);
        web.network_mode = Some(NetworkMode::Host);
        assert!(reachable_networks(&project, &web).is_empty());
    }
}

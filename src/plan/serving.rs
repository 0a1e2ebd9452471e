//! Readiness-gated traffic: which names a replica answers to, and from when.
//!
//! Docker's embedded DNS answers a service's name with every container that carries it
//! as a network alias, ready or not, and an alias cannot be added to or taken from a
//! container's place on a network once it is there. So a service whose replicas can say
//! they are ready (a `healthcheck` or an `x-msctl.probe`: a *gated* service) carries its
//! names (the service name, its `aliases`, the names `links` give it) not on the networks
//! of the manifest but on a **serving network** per network it is on: `<project>_<network>.ready.<service>`.
//! A replica joins its service's serving networks, with those names, once it is ready,
//! and leaves them when it stops being ready (a probe or health check failing): only
//! then does the name resolve to it. Every other service on that network is on the
//! serving network from its start, without a name there, so that it can resolve and
//! reach the ready replicas; so the serving networks repeat the segmentation of the
//! manifest's networks, one for one.
//!
//! On the manifest's own networks a replica of a gated service keeps its container name,
//! so it is reachable as itself (logs, `exec`, probes) whether it serves or not.
//!
//! Not gated: services without a readiness signal (ready once running: nothing to wait
//! for), services on another network stack (`network_mode`), names on a network no other
//! service of the project joins (nobody there to look them up), and names on external
//! networks, which other projects' containers resolve and which msctl does not own.
//!
//! Everything here is pure; `crate::serving` does the joining and leaving.

use std::collections::BTreeMap;

use super::labels;
use super::names;
use crate::engine::{NetworkAttachment, NetworkSpec};
use crate::manifest::model::{Network, Project, Service};

/// The label a serving network carries: the service whose names it holds.
pub const SERVES: &str = "io.msctl.serves";

/// Whether `service`'s names are gated on readiness: it can tell when it is ready, and
/// joins networks of its own.
pub fn is_gated(service: &Service) -> bool {
    let checked = service.extensions.probe.is_some()
        || service
            .healthcheck
            .as_ref()
            .is_some_and(|check| check.test.first().map(String::as_str) != Some("NONE"));
    checked && service.network_mode.is_none()
}

/// One serving network: where the names of `service` on the manifest's network
/// `network_key` live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServingNetwork {
    pub service: String,
    pub network_key: String,
    /// The engine name.
    pub name: String,
}

impl ServingNetwork {
    /// The spec msctl creates it with: internal (a replica reaches the outside through
    /// the manifest's networks, never through this one), labelled with the project, the
    /// network key and the service it serves.
    pub fn spec(&self, project: &Project) -> NetworkSpec {
        let mut labels = labels::network_labels(&project.name, &self.network_key, &BTreeMap::new());
        labels.insert(SERVES.to_string(), self.service.clone());
        let driver = project
            .networks
            .get(&self.network_key)
            .and_then(|network| network.driver.clone());
        NetworkSpec {
            name: self.name.clone(),
            driver,
            internal: true,
            labels,
            driver_opts: BTreeMap::new(),
            ipam: None,
            attachable: false,
            enable_ipv6: false,
        }
    }
}

/// The engine name of the serving network of `service_name` on `network_key`.
pub fn serving_network_name(
    project_name: &str,
    network_key: &str,
    network: &Network,
    service_name: &str,
) -> String {
    format!(
        "{}.ready.{service_name}",
        names::network_name(project_name, network_key, network)
    )
}

/// The serving networks of `service`: one per network it joins that is not external and
/// that another service of the project joins too, when it is gated; none otherwise. On a
/// network it has to itself nobody else looks its names up, so they stay there (and the
/// engine's address pools are spared a network).
pub fn serving_networks_of(project: &Project, service: &Service) -> Vec<ServingNetwork> {
    if !is_gated(service) {
        return Vec::new();
    }
    names::service_network_keys(service)
        .into_iter()
        .filter_map(|key| {
            let network = project.networks.get(key).cloned().unwrap_or_default();
            let shared = project.services.values().any(|other| {
                other.name != service.name && names::service_network_keys(other).contains(&key)
            });
            if network.external || !shared {
                return None;
            }
            Some(ServingNetwork {
                service: service.name.clone(),
                network_key: key.to_string(),
                name: serving_network_name(&project.name, key, &network, &service.name),
            })
        })
        .collect()
}

/// Every serving network of the project, by service then network key.
pub fn serving_networks(project: &Project) -> Vec<ServingNetwork> {
    project
        .services
        .values()
        .flat_map(|service| serving_networks_of(project, service))
        .collect()
}

/// The names a replica of `service` answers to on the network `network_key`: the service
/// name, the aliases declared there, and the names other services' `links` give it.
pub fn service_aliases(project: &Project, service: &Service, network_key: &str) -> Vec<String> {
    let mut aliases = vec![service.name.clone()];
    let declared = service
        .networks
        .get(network_key)
        .into_iter()
        .flat_map(|attachment| &attachment.aliases);
    let links = names::link_aliases(project, service);
    let linked = links.get(network_key).into_iter().flatten();
    for alias in declared.chain(linked) {
        if !aliases.contains(alias) {
            aliases.push(alias.clone());
        }
    }
    aliases
}

/// Where a ready replica of `service` goes, with its names: its serving networks.
pub fn own_attachments(project: &Project, service: &Service) -> Vec<NetworkAttachment> {
    serving_networks_of(project, service)
        .into_iter()
        .map(|serving| NetworkAttachment {
            aliases: service_aliases(project, service, &serving.network_key),
            network_name: serving.name,
            ipv4_address: None,
            ipv6_address: None,
        })
        .collect()
}

/// Where every replica of `service` goes from its start, without a name: the serving
/// networks of the other services on its networks, so it can call them.
pub fn caller_attachments(project: &Project, service: &Service) -> Vec<NetworkAttachment> {
    let own = names::service_network_keys(service);
    serving_networks(project)
        .into_iter()
        .filter(|serving| serving.service != service.name)
        .filter(|serving| own.contains(&serving.network_key.as_str()))
        .map(|serving| NetworkAttachment {
            network_name: serving.name,
            aliases: Vec::new(),
            ipv4_address: None,
            ipv6_address: None,
        })
        .collect()
}

/// The manifest networks on which `service`'s names are not held back: all of them for
/// a service that is not gated, the external ones for one that is.
pub fn names_stay_on(project: &Project, service: &Service, network_key: &str) -> bool {
    !serving_networks_of(project, service)
        .iter()
        .any(|serving| serving.network_key == network_key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::manifest::demo_project as project;

    const SHOP: &str = r#"
services:
  gateway:
    image: gw
    networks: [edge, services]
    healthcheck: {test: [CMD, /gw, check]}
  products:
    image: products
    networks:
      services: {aliases: [catalogue]}
    x-msctl: {probe: {http: {port: 8080, path: /readyz}}}
  orders:
    image: orders
    networks: [services, payments]
    healthcheck: {test: [CMD, /orders, check]}
  payments:
    image: payments
    networks: [payments]
    healthcheck: {test: [CMD, /payments, check]}
  cache:
    image: cache
    networks: [services]
  sidecar:
    image: sidecar
    network_mode: "service:orders"
    healthcheck: {test: [CMD, /sidecar, check]}
  quiet:
    image: quiet
    networks: [services]
    healthcheck: {disable: true}
networks:
  edge: {}
  services: {internal: true}
  payments: {internal: true}
"#;

    #[test]
    fn gated_services_are_those_with_a_readiness_signal_on_networks_of_their_own() {
        let shop = project(SHOP);
        let gated: Vec<&str> = shop
            .services
            .values()
            .filter(|s| is_gated(s))
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(gated, ["gateway", "orders", "payments", "products"]);
    }

    #[test]
    fn each_gated_service_has_a_serving_network_per_network_it_joins() {
        let names: Vec<String> = serving_networks(&project(SHOP))
            .into_iter()
            .map(|s| s.name)
            .collect();
        // The gateway has `edge` to itself: its names stay there.
        assert_eq!(
            names,
            [
                "demo_services.ready.gateway",
                "demo_payments.ready.orders",
                "demo_services.ready.orders",
                "demo_payments.ready.payments",
                "demo_services.ready.products",
            ]
        );
    }

    #[test]
    fn callers_join_the_serving_networks_of_the_services_they_share_a_network_with() {
        let shop = project(SHOP);
        let callers = |name: &str| -> Vec<String> {
            caller_attachments(&shop, &shop.services[name])
                .into_iter()
                .map(|a| {
                    assert!(a.aliases.is_empty(), "a caller has no name there");
                    a.network_name
                })
                .collect()
        };
        // payments is on `payments` with orders alone: the gateway never joins its
        // serving network, so segmentation holds.
        assert_eq!(
            callers("gateway"),
            ["demo_services.ready.orders", "demo_services.ready.products"]
        );
        assert_eq!(callers("payments"), ["demo_payments.ready.orders"]);
        assert_eq!(
            callers("cache"),
            [
                "demo_services.ready.gateway",
                "demo_services.ready.orders",
                "demo_services.ready.products"
            ]
        );
        assert!(
            callers("sidecar").is_empty(),
            "it rides on orders' network stack"
        );
    }

    #[test]
    fn a_ready_replica_carries_every_name_of_its_service_on_its_serving_networks() {
        let shop = project(SHOP);
        let own = own_attachments(&shop, &shop.services["products"]);
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].network_name, "demo_services.ready.products");
        assert_eq!(own[0].aliases, ["products", "catalogue"]);
        assert!(!names_stay_on(
            &shop,
            &shop.services["products"],
            "services"
        ));
        assert!(names_stay_on(&shop, &shop.services["cache"], "services"));
    }

    #[test]
    fn external_networks_keep_the_names() {
        let shared = project(
            r#"
services:
  web:
    image: web
    networks: [shared, own]
    healthcheck: {test: [CMD, /web, check]}
  client:
    image: client
    networks: [shared, own]
networks:
  shared: {external: true}
  own: {}
"#,
        );
        let web = &shared.services["web"];
        let names: Vec<String> = serving_networks_of(&shared, web)
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["demo_own.ready.web"]);
        assert!(names_stay_on(&shared, web, "shared"));
    }

    #[test]
    fn serving_networks_are_internal_and_labelled() {
        let shop = project(SHOP);
        let serving = &serving_networks_of(&shop, &shop.services["payments"])[0];
        let spec = serving.spec(&shop);
        assert!(spec.internal);
        assert_eq!(spec.labels[labels::PROJECT], "demo");
        assert_eq!(spec.labels[labels::NETWORK], "payments");
        assert_eq!(spec.labels[SERVES], "payments");
    }
}

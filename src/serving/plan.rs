//! Readiness-gated traffic: which names a replica answers to, and from when.
//!
//! Docker's embedded DNS answers a service's name with every container that carries it
//! as a network alias, ready or not, and an alias cannot be added to or taken from a
//! container's place on a network once it is there. So a service whose replicas can say
//! they are ready (a `healthcheck` or an `x-msctl.probe`: a *gated* service) does not
//! carry its names (the service name, its `aliases`, the names `links` give it) as
//! Docker aliases on the project's own networks: msctl's resolver (`crate::resolver`)
//! holds them, and answers them with the addresses of the replicas that are ready now,
//! on the network the question came from. Every replica on such a network asks the
//! resolver first (its `dns` starts with the gateway of each network it shares with a
//! gated service, where the resolver listens), and the engine's usual servers after it:
//! a name the resolver does not hold gets SERVFAIL, and Docker asks the next server.
//!
//! So the cost is one resolver per engine and one DNS server entry per network a replica
//! is on: no network, endpoint or container per service, nothing per pair of services.
//!
//! On the manifest's own networks a replica of a gated service keeps its container name,
//! so it is reachable as itself (logs, `exec`, probes) whether it serves or not.
//!
//! Not gated: services without a readiness signal (ready once running: nothing to wait
//! for), services on another network stack (`network_mode`), names on a network no other
//! service of the project joins (nobody there to look them up), names on external
//! networks, which other projects' containers resolve and which msctl does not own, and
//! names on networks of another driver than `bridge` (the resolver listens on a bridge's
//! gateway, which is on the engine's host).
//!
//! Everything here is pure; `crate::serving` tells the resolver.

use crate::manifest::model::{Network, Project, Service};
use crate::plan::names;

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

/// A network of the project on which a gated service's names are the resolver's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedNetwork {
    /// The manifest's key.
    pub network_key: String,
    /// The engine name.
    pub name: String,
}

/// Whether the resolver can hold names on `network`: msctl owns it and it is a bridge.
fn resolver_can_serve(network: &Network) -> bool {
    !network.external
        && network
            .driver
            .as_deref()
            .is_none_or(|driver| driver == "bridge")
}

/// The networks on which the resolver holds `service`'s names: every network it joins
/// that msctl owns, is a bridge, and that another service of the project joins too, when
/// it is gated; none otherwise. On a network it has to itself nobody else looks its names
/// up, so they stay there as Docker aliases.
pub fn resolved_networks(project: &Project, service: &Service) -> Vec<ResolvedNetwork> {
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
            (resolver_can_serve(&network) && shared).then(|| ResolvedNetwork {
                network_key: key.to_string(),
                name: names::network_name(&project.name, key, &network),
            })
        })
        .collect()
}

/// The engine names of the networks of `service` on which some other service's names
/// are the resolver's, in the order the service lists its networks: where a replica of
/// it asks the resolver (each network's gateway, first in its `dns`).
pub fn resolver_networks(project: &Project, service: &Service) -> Vec<String> {
    if service.network_mode.is_some() {
        return Vec::new();
    }
    names::service_network_keys(service)
        .into_iter()
        .filter_map(|key| {
            let network = project.networks.get(key).cloned().unwrap_or_default();
            // Another gated service on this network shares it with `service`, so its
            // names there are the resolver's.
            let held = resolver_can_serve(&network)
                && project.services.values().any(|other| {
                    other.name != service.name
                        && is_gated(other)
                        && names::service_network_keys(other).contains(&key)
                });
            held.then(|| names::network_name(&project.name, key, &network))
        })
        .collect()
}

/// Whether any service of the project has names the resolver holds: only then does
/// `up` need the resolver.
pub fn uses_resolver(project: &Project) -> bool {
    project
        .services
        .values()
        .any(|service| !resolved_networks(project, service).is_empty())
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

/// The manifest networks on which `service`'s names stay Docker aliases: all of them for
/// a service that is not gated, those the resolver does not serve for one that is.
pub fn names_stay_on(project: &Project, service: &Service, network_key: &str) -> bool {
    !resolved_networks(project, service)
        .iter()
        .any(|resolved| resolved.network_key == network_key)
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
    fn a_gated_services_names_are_the_resolvers_on_every_network_it_shares() {
        let shop = project(SHOP);
        let resolved = |name: &str| -> Vec<String> {
            resolved_networks(&shop, &shop.services[name])
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        // The gateway has `edge` to itself: its names stay there.
        assert_eq!(resolved("gateway"), ["demo_services"]);
        assert_eq!(resolved("orders"), ["demo_payments", "demo_services"]);
        assert_eq!(resolved("payments"), ["demo_payments"]);
        assert_eq!(resolved("products"), ["demo_services"]);
        assert!(resolved("cache").is_empty(), "not gated");
        assert!(uses_resolver(&shop));
    }

    #[test]
    fn a_replica_asks_the_resolver_on_each_network_where_another_gated_service_is() {
        let shop = project(SHOP);
        let asks = |name: &str| resolver_networks(&shop, &shop.services[name]);
        // payments is on `payments` with orders alone: the gateway never asks there.
        assert_eq!(asks("gateway"), ["demo_services"]);
        assert_eq!(asks("payments"), ["demo_payments"]);
        assert_eq!(asks("orders"), ["demo_payments", "demo_services"]);
        assert_eq!(asks("cache"), ["demo_services"]);
        assert!(
            asks("sidecar").is_empty(),
            "it rides on orders' network stack"
        );
    }

    #[test]
    fn a_ready_replica_answers_to_every_name_of_its_service() {
        let shop = project(SHOP);
        let products = &shop.services["products"];
        assert_eq!(
            service_aliases(&shop, products, "services"),
            ["products", "catalogue"]
        );
        assert!(!names_stay_on(&shop, products, "services"));
        assert!(names_stay_on(&shop, &shop.services["cache"], "services"));
        assert!(names_stay_on(&shop, &shop.services["gateway"], "edge"));
    }

    #[test]
    fn external_and_other_driver_networks_keep_the_names() {
        let shared = project(
            r#"
services:
  web:
    image: web
    networks: [shared, own, overlay]
    healthcheck: {test: [CMD, /web, check]}
  client:
    image: client
    networks: [shared, own, overlay]
networks:
  shared: {external: true}
  own: {}
  overlay: {driver: macvlan}
"#,
        );
        let web = &shared.services["web"];
        let names: Vec<String> = resolved_networks(&shared, web)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["demo_own"]);
        assert!(names_stay_on(&shared, web, "shared"));
        assert!(names_stay_on(&shared, web, "overlay"));
        assert_eq!(
            resolver_networks(&shared, &shared.services["client"]),
            ["demo_own"]
        );
    }

    #[test]
    fn a_project_without_gated_services_needs_no_resolver() {
        let plain = project(
            r#"
services:
  web: {image: web}
  db: {image: db}
"#,
        );
        assert!(!uses_resolver(&plain));
        assert!(resolver_networks(&plain, &plain.services["web"]).is_empty());
    }
}

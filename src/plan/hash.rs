//! The config hash: what decides whether a replica must be recreated.
//!
//! Two settings are left out, as Compose leaves them out: the replica count (so scaling
//! never recreates a replica) and `depends_on` (start order is not container config).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::names;
use crate::manifest::model::{Project, Service};

/// The sha256, in lowercase hex, of the canonical JSON of `service` without its replica
/// count and its dependencies. Deterministic: every map in the model is a `BTreeMap` and
/// struct fields serialize in declaration order.
pub fn config_hash(service: &Service) -> String {
    let mut canonical = service.clone();
    // Whether a port is bound on the container or goes through the ingress is container
    // config: a replica that binds a host port must be replaced when the service starts
    // to replicate, and that follows from the replica count. Marking such ports keeps
    // the count itself out, and the hash of a service without them as it was.
    for port in canonical.ports.iter_mut() {
        if crate::ingress::plan::uses_ingress(service, port) {
            port.mode = Some(crate::manifest::model::PortMode::Ingress);
        }
    }
    canonical.deploy.replicas = 0;
    canonical.depends_on.clear();
    // When the image is pulled is not what runs: a changed image id is (it is pinned
    // in the labels), so a new pull policy alone replaces nothing.
    canonical.pull_policy = None;
    // Autoscaling settings change how many replicas run, not what each one is; the
    // update and rollback settings, how a change is rolled out.
    canonical.extensions.autoscale = None;
    canonical.deploy.update_config = None;
    canonical.deploy.rollback_config = None;
    // What `watch` does about changed files is not container config.
    canonical.develop = None;
    // Serializing the model cannot fail: all map keys are strings and no field has a
    // fallible serializer. The Debug form keeps the function total and deterministic anyway.
    let bytes =
        serde_json::to_vec(&canonical).unwrap_or_else(|_| format!("{canonical:?}").into_bytes());
    let digest = Sha256::digest(&bytes);
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The config hash of `service`'s containers in `project`: [`config_hash`] of the
/// service with the DNS aliases other services' `links` give it, which are part of its
/// containers although its own manifest entry does not name them. A service no link
/// points at hashes as [`config_hash`] says.
pub fn replica_config_hash(project: &Project, service: &Service) -> String {
    let link_aliases = names::link_aliases(project, service);
    if link_aliases.is_empty() {
        return config_hash(service);
    }
    let mut effective = service.clone();
    for (network_key, aliases) in link_aliases {
        let attachment = effective.networks.entry(network_key).or_default();
        for alias in aliases {
            if !attachment.aliases.contains(&alias) {
                attachment.aliases.push(alias);
            }
        }
    }
    config_hash(&effective)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::manifest::model::{Condition, Dependency};

    fn web() -> Service {
        Service {
            name: "web".to_string(),
            image: Some("shop/web:1".to_string()),
            environment: BTreeMap::from([("MODE".to_string(), Some("prod".to_string()))]),
            ..Service::default()
        }
    }

    #[test]
    fn hash_is_lowercase_sha256_hex() {
        let hash = config_hash(&web());
        assert_eq!(hash.len(), 64);
        assert!(hash
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_eq!(hash, config_hash(&web()));
    }

    #[test]
    fn scaling_does_not_change_the_hash() {
        let mut scaled = web();
        scaled.deploy.replicas = 5;
        assert_eq!(config_hash(&web()), config_hash(&scaled));
    }

    #[test]
    fn a_published_port_moving_to_the_ingress_changes_the_hash_but_scaling_past_it_does_not() {
        let published = |replicas: u32| {
            let mut service = web();
            service.deploy.replicas = replicas;
            service.ports = vec![crate::manifest::model::Port {
                target: 80,
                published: Some(8080),
                host_ip: None,
                protocol: crate::manifest::model::Protocol::Tcp,
                mode: None,
            }];
            service
        };
        assert_ne!(
            config_hash(&published(1)),
            config_hash(&published(2)),
            "the single replica binds the port; it must make way for the ingress"
        );
        assert_eq!(config_hash(&published(2)), config_hash(&published(5)));
    }

    #[test]
    fn dependencies_do_not_change_the_hash() {
        let mut dependent = web();
        dependent.depends_on.insert(
            "db".to_string(),
            Dependency {
                condition: Condition::ServiceHealthy,
                restart: true,
                required: true,
            },
        );
        assert_eq!(config_hash(&web()), config_hash(&dependent));
    }

    #[test]
    fn a_link_to_the_service_changes_its_hash() {
        let mut project = Project::of_services("demo", [web()]);
        let unlinked = replica_config_hash(&project, &project.services["web"]);
        assert_eq!(unlinked, config_hash(&web()));
        let client = Service {
            name: "client".to_string(),
            links: vec!["web:frontend".to_string()],
            ..Service::default()
        };
        project.services.insert("client".to_string(), client);
        let linked = replica_config_hash(&project, &project.services["web"]);
        assert_ne!(linked, unlinked);
    }

    #[test]
    fn image_change_changes_the_hash() {
        let mut changed = web();
        changed.image = Some("shop/web:2".to_string());
        assert_ne!(config_hash(&web()), config_hash(&changed));
    }

    #[test]
    fn environment_change_changes_the_hash() {
        let mut changed = web();
        changed
            .environment
            .insert("MODE".to_string(), Some("dev".to_string()));
        assert_ne!(config_hash(&web()), config_hash(&changed));
        let mut added = web();
        added.environment.insert("DEBUG".to_string(), None);
        assert_ne!(config_hash(&web()), config_hash(&added));
    }
}

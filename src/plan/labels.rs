//! Every label key msctl puts on the resources it creates, in one place.
//!
//! Labels are how msctl finds what it owns (DESIGN.md, invariant 6): a container, network
//! or volume without [`PROJECT`] is never touched, nor one whose [`PROJECT`] names another
//! project. Keys are part of msctl's compatibility surface: renaming one orphans every
//! resource created before the rename.

use std::collections::BTreeMap;

use crate::manifest::model::Service;

/// The common prefix of msctl's label keys. User labels with this prefix are dropped
/// so a manifest cannot make a container look like a different replica.
pub const PREFIX: &str = "io.msctl.";

/// The project a resource belongs to.
pub const PROJECT: &str = "io.msctl.project";
/// The service a container is a replica of.
pub const SERVICE: &str = "io.msctl.service";
/// The replica number of a container, `1..=n`, in decimal.
pub const REPLICA: &str = "io.msctl.replica";
/// The hash of the service configuration a container was created from ([`super::config_hash`]).
pub const CONFIG_HASH: &str = "io.msctl.config-hash";
/// The msctl version that created a resource.
pub const VERSION: &str = "io.msctl.version";
/// Set to `true` on one-off containers (`msctl run`): they are not replicas.
pub const ONEOFF: &str = "io.msctl.oneoff";
/// The manifest key of a network (`default` for the implicit one).
pub const NETWORK: &str = "io.msctl.network";
/// The manifest key of a named volume.
pub const VOLUME: &str = "io.msctl.volume";

/// On images msctl builds: the digest of the build's inputs (`crate::build::digest`), so
/// an unchanged service is not rebuilt.
pub const BUILD_DIGEST: &str = "io.msctl.build-digest";
/// On images msctl builds: the project and service built for. Not [`PROJECT`] and
/// [`SERVICE`]: containers inherit their image's labels, and a container someone runs
/// from the image by hand must not look like one of msctl's replicas.
pub const BUILD_PROJECT: &str = "io.msctl.build-project";
pub const BUILD_SERVICE: &str = "io.msctl.build-service";

/// The value of [`VERSION`] on resources this build creates.
/// The id of the image a built service runs. Part of the service's config (so a rebuilt
/// image changes the config hash) but never set on a container.
pub const IMAGE_ID: &str = "io.msctl.image-id";

pub const MSCTL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The labels of replica `replica_number` of `service`: the service's own labels, then
/// msctl's, which win over any user label under [`PREFIX`].
pub fn container_labels(
    project_name: &str,
    service: &Service,
    replica_number: u32,
    config_hash: &str,
) -> BTreeMap<String, String> {
    let mut labels = user_labels(&service.labels);
    labels.insert(PROJECT.to_string(), project_name.to_string());
    labels.insert(SERVICE.to_string(), service.name.clone());
    labels.insert(REPLICA.to_string(), replica_number.to_string());
    labels.insert(CONFIG_HASH.to_string(), config_hash.to_string());
    labels.insert(VERSION.to_string(), MSCTL_VERSION.to_string());
    labels
}

/// The labels of the network declared under `network_key`.
pub fn network_labels(
    project_name: &str,
    network_key: &str,
    user: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = user_labels(user);
    labels.insert(PROJECT.to_string(), project_name.to_string());
    labels.insert(NETWORK.to_string(), network_key.to_string());
    labels.insert(VERSION.to_string(), MSCTL_VERSION.to_string());
    labels
}

/// The labels of the named volume declared under `volume_key`.
pub fn volume_labels(
    project_name: &str,
    volume_key: &str,
    user: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = user_labels(user);
    labels.insert(PROJECT.to_string(), project_name.to_string());
    labels.insert(VOLUME.to_string(), volume_key.to_string());
    labels.insert(VERSION.to_string(), MSCTL_VERSION.to_string());
    labels
}

/// The labels of the image msctl builds for `service_name`: the build's own labels,
/// then msctl's, with the digest of the build's inputs.
pub fn image_labels(
    project_name: &str,
    service_name: &str,
    user: &BTreeMap<String, String>,
    build_digest: &str,
) -> BTreeMap<String, String> {
    let mut labels = user_labels(user);
    labels.insert(BUILD_PROJECT.to_string(), project_name.to_string());
    labels.insert(BUILD_SERVICE.to_string(), service_name.to_string());
    labels.insert(BUILD_DIGEST.to_string(), build_digest.to_string());
    labels.insert(VERSION.to_string(), MSCTL_VERSION.to_string());
    labels
}

fn user_labels(user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    user.iter()
        .filter(|(key, _)| !key.starts_with(PREFIX))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msctl_labels_win_over_user_labels() {
        let service = Service {
            name: "web".to_string(),
            labels: BTreeMap::from([
                ("team".to_string(), "shop".to_string()),
                (REPLICA.to_string(), "7".to_string()),
                (ONEOFF.to_string(), "true".to_string()),
            ]),
            ..Service::default()
        };
        let labels = container_labels("demo", &service, 2, "abc");
        assert_eq!(labels.get("team").map(String::as_str), Some("shop"));
        assert_eq!(labels.get(PROJECT).map(String::as_str), Some("demo"));
        assert_eq!(labels.get(SERVICE).map(String::as_str), Some("web"));
        assert_eq!(labels.get(REPLICA).map(String::as_str), Some("2"));
        assert_eq!(labels.get(CONFIG_HASH).map(String::as_str), Some("abc"));
        assert_eq!(labels.get(ONEOFF), None);
    }
}

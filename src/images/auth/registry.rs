//! Matching registry names to the keys the Docker CLI stores credentials under.

/// The key Docker Hub's credentials have in `auths`, in `credHelpers` and for helpers.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The names an image reference can give Docker Hub.
const DOCKER_HUB_HOSTS: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The key the Docker CLI stores `registry`'s credentials under: Docker Hub's
/// `https://index.docker.io/v1/`, else the host[:port] (a scheme or path given with it
/// is dropped).
pub fn server_address(registry: &str) -> String {
    let host = hostname_of(registry);
    if registry == DOCKER_HUB_KEY || is_docker_hub_host(host) {
        DOCKER_HUB_KEY.to_string()
    } else {
        host.to_string()
    }
}

fn is_docker_hub_host(host: &str) -> bool {
    DOCKER_HUB_HOSTS
        .iter()
        .any(|hub| hub.eq_ignore_ascii_case(host))
}

/// The host[:port] of an `auths` key: `https://127.0.0.1:5000/v2/` is `127.0.0.1:5000`
/// (docker/cli's `ConvertToHostname`).
fn hostname_of(key: &str) -> &str {
    let without_scheme = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            key.get(..scheme.len())
                .filter(|prefix| prefix.eq_ignore_ascii_case(scheme))
                .map(|_| &key[scheme.len()..])
        })
        .unwrap_or(key);
    without_scheme
        .split_once('/')
        .map_or(without_scheme, |(host, _)| host)
}

/// Whether the `auths` key `candidate` names the registry whose key is `key`. Docker Hub
/// entries written by hand as `docker.io` or `https://index.docker.io/v2/` count too,
/// which the Docker CLI does not match: there is no other registry they could mean.
pub(super) fn same_registry(candidate: &str, key: &str) -> bool {
    let host = hostname_of(candidate);
    if key == DOCKER_HUB_KEY {
        is_docker_hub_host(host)
    } else {
        host == key
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn server_address_normalises_registry_names() {
        assert_eq!(server_address("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(
            server_address("https://index.docker.io/v1/"),
            DOCKER_HUB_KEY
        );
        assert_eq!(server_address("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(server_address("https://ghcr.io/v2/"), "ghcr.io");
    }
}

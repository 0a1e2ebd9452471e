//! The DNS servers a replica asks after msctl's resolver: the ones Docker would have
//! given it. Docker's embedded DNS asks a container's servers in order and moves on to
//! the next when one answers SERVFAIL; the resolver answers SERVFAIL for every name it
//! does not hold, so the servers after it answer everything else, as without msctl.

use std::net::IpAddr;

/// How many servers Docker's embedded DNS asks; it ignores the rest.
pub const MAX_SERVERS: usize = 3;

/// Docker's own fallback when the host has no server a container can reach.
const DOCKER_DEFAULTS: [&str; 2] = ["8.8.8.8", "8.8.4.4"];

/// Where systemd-resolved writes the servers it forwards to, which Docker reads when the
/// host's resolv.conf names only the local stub.
const SYSTEMD_RESOLVED: &str = "/run/systemd/resolve/resolv.conf";

/// The servers of the engine's host as Docker picks them for a container on a bridge:
/// the host's `/etc/resolv.conf` (systemd-resolved's upstream file when that names only
/// loopback stubs), without loopback and IPv6 addresses, or Google's when none is left.
/// msctl talks to an engine on its own host (probes and the ingress reach the replicas'
/// addresses), so the host's file is the engine's.
pub fn of_host() -> Vec<String> {
    let main = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let mut servers = reachable(&main);
    if servers.is_empty() && !nameservers(&main).is_empty() {
        if let Ok(resolved) = std::fs::read_to_string(SYSTEMD_RESOLVED) {
            servers = reachable(&resolved);
        }
    }
    if servers.is_empty() {
        servers = DOCKER_DEFAULTS.iter().map(|s| s.to_string()).collect();
    }
    servers
}

/// The `nameserver` addresses of a resolv.conf text, in order.
fn nameservers(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            words.next()?.parse().ok()
        })
        .collect()
}

/// The servers of a resolv.conf text a container on a bridge can reach.
fn reachable(text: &str) -> Vec<String> {
    nameservers(text)
        .into_iter()
        .filter(|address| address.is_ipv4() && !address.is_loopback())
        .map(|address| address.to_string())
        .collect()
}

/// A replica's DNS servers: the `gateways` (each once, in order), then `upstream`, at
/// most [`MAX_SERVERS`] in all.
pub fn servers(gateways: impl IntoIterator<Item = String>, upstream: Vec<String>) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for server in gateways.into_iter().chain(upstream) {
        if !all.contains(&server) {
            all.push(server);
        }
    }
    all.truncate(MAX_SERVERS);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_ipv6_servers_are_left_out() {
        let text = "# generated\nsearch example.org\nnameserver 127.0.0.53\nnameserver ::1\n\
                    nameserver 2001:db8::1\nnameserver 10.0.0.2\nnameserver  192.0.2.1 \n";
        assert_eq!(reachable(text), ["10.0.0.2", "192.0.2.1"]);
        assert_eq!(nameservers(text).len(), 5);
        assert!(reachable("nameserver 127.0.0.53\noptions edns0\n").is_empty());
    }

    #[test]
    fn gateways_come_first_once_and_three_at_most() {
        let gateways = ["172.18.0.1", "172.19.0.1", "172.18.0.1"].map(String::from);
        assert_eq!(
            servers(gateways, vec!["10.0.0.2".into(), "10.0.0.3".into()]),
            ["172.18.0.1", "172.19.0.1", "10.0.0.2"]
        );
        assert_eq!(servers(Vec::new(), vec!["1.1.1.1".into()]), ["1.1.1.1"]);
    }
}

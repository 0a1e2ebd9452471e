//! A second Docker engine on this machine, for tests that need a Swarm worker (or any
//! second "host"): `scripts/swarm-node` starts a dockerd with its own containerd, data
//! root and socket in a network namespace of its own, reachable from the root namespace
//! and from other such nodes at `address`.
//!
//! ```ignore
//! let node = SecondNode::start("w1");
//! let docker = block_on(node.docker());
//! // join it to a swarm whose manager the node can reach (not 127.0.0.1):
//! // docker.join_swarm(JoinSwarmOptions { remote_addrs: vec![format!("{manager}:2377")], .. })
//! ```
//!
//! The node is stopped, and everything it made removed, when the value is dropped. Each
//! test needs its own name (1-10 characters of `[a-z0-9-]`): two values with one name
//! would be one node.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use bollard::{Docker, API_DEFAULT_VERSION};

/// A started node: what `scripts/swarm-node start` printed.
#[derive(Debug)]
pub struct SecondNode {
    /// The name it was started with; the netns is `msctl-{name}`.
    pub name: String,
    /// `unix:///run/msctl-nodes/{name}/docker.sock`: a `DOCKER_HOST` value.
    pub socket: String,
    /// The node's own address (in its netns), for `--advertise-addr` and for reaching
    /// ports it publishes in host mode.
    pub address: String,
    /// The root namespace's end of the node's link: the address the node reaches this
    /// machine's main engine at.
    pub host_address: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/swarm-node")
}

impl SecondNode {
    /// Starts node `name`; panics with the script's output when it fails.
    pub fn start(name: &str) -> SecondNode {
        let output = Command::new(script())
            .args(["start", name])
            .output()
            .unwrap_or_else(|err| panic!("running {}: {err}", script().display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            panic!(
                "scripts/swarm-node start {name} failed ({}):\n{}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let value = |key: &str| -> String {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .unwrap_or_else(|| {
                    panic!("scripts/swarm-node start {name} printed no {key}=:\n{stdout}")
                })
                .to_string()
        };
        SecondNode {
            name: name.to_string(),
            socket: value("socket"),
            address: value("address"),
            host_address: value("host_address"),
        }
    }

    /// The socket's path, without `unix://`.
    pub fn socket_path(&self) -> &str {
        self.socket.strip_prefix("unix://").unwrap_or(&self.socket)
    }

    /// A client of the node's engine, API version negotiated.
    pub async fn docker(&self) -> Docker {
        Docker::connect_with_unix(self.socket_path(), 120, API_DEFAULT_VERSION)
            .unwrap_or_else(|err| {
                panic!("connecting to node {} at {}: {err}", self.name, self.socket)
            })
            .negotiate_version()
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "negotiating the API version with node {} at {}: {err}",
                    self.name, self.socket
                )
            })
    }
}

impl Drop for SecondNode {
    fn drop(&mut self) {
        match Command::new(script()).args(["stop", &self.name]).output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!(
                "scripts/swarm-node stop {} failed ({}):\n{}{}",
                self.name,
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(err) => eprintln!("running {} stop {}: {err}", script().display(), self.name),
        }
    }
}

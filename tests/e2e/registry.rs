//! A Docker registry of a test's own on this machine, for the pull and push tests: the
//! `docker-registry` of Debian's package (distribution 2.8; scripts/bootstrap installs
//! it) on a free port, storing in a temporary directory, with or without htpasswd basic
//! auth.
//!
//! ```ignore
//! let registry = Registry::start_with_auth("alice", "s3cret");
//! let pushed = registry.push(own_image(), "shop/web:1");
//! // pushed.name == "127.0.0.1:PORT/shop/web:1", pushed.digest == "sha256:..."
//! assert_eq!(registry.tags("shop/web"), ["1"]);
//! assert_eq!(registry.digest("shop/web:1"), pushed.digest);
//! ```
//!
//! The engine takes registries on 127.0.0.0/8 as insecure and speaks plain HTTP to them,
//! basic auth included: `docker login` and a push with credentials work without TLS.
//!
//! The registry listens on every address of the machine, so that a relay
//! ([`Registry::relay_into_netns`]) can make it `127.0.0.1:PORT` for a second engine in
//! a network namespace too: a Swarm service's image is one name for every node.
//!
//! Dropping the value kills the registry and removes its storage and the local names
//! [`Registry::push`] tagged.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptions, PushImageOptions, RemoveImageOptions, TagImageOptions,
};
use bollard::Docker;
use futures_util::StreamExt;

use super::support::{block_on, engine, test_image};
use super::swarm_node::SecondNode;

/// Where Debian's package installs the registry.
const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// How long a registry has to answer `GET /v2/` once started.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts tried, each on another port, when the probed port was taken before the
/// registry could listen on it.
const START_ATTEMPTS: u32 = 5;

/// The media type of the manifests the engine pushes (schema 2): what a `HEAD` of a
/// manifest must accept for the digest to be the one the engine reported.
const MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// How long a relay has to listen in its network namespace.
const RELAY_TIMEOUT: Duration = Duration::from_secs(5);

/// A running registry.
pub struct Registry {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    credentials: Option<(String, String)>,
    /// The local names `push` tagged, removed on drop.
    local_names: Mutex<Vec<String>>,
}

/// What [`Registry::push`] pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// `127.0.0.1:PORT/repo:tag`: the name to pull it by.
    pub name: String,
    /// `sha256:...`: the digest of its manifest, as the engine reported it.
    pub digest: String,
}

impl Registry {
    /// A registry anyone may push to and pull from.
    pub fn start() -> Registry {
        Registry::start_inner(None)
    }

    /// A registry that lets only `user` with `password` push and pull (htpasswd, bcrypt).
    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        Registry::start_inner(Some((user.to_string(), password.to_string())))
    }

    fn start_inner(credentials: Option<(String, String)>) -> Registry {
        assert!(
            Path::new(REGISTRY_BINARY).exists(),
            "the registry tests need {REGISTRY_BINARY}\n\
             hint: apt-get install docker-registry (scripts/bootstrap does)"
        );
        let dir = tempfile::Builder::new()
            .prefix("msctl-registry-")
            .tempdir()
            .expect("a temporary directory");
        let htpasswd = credentials
            .as_ref()
            .map(|(user, password)| write_htpasswd(dir.path(), user, password));
        let mut log = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = super::support::free_port();
            let mut child = spawn_registry(dir.path(), port, htpasswd.as_deref());
            match wait_until_ready(&mut child, port, dir.path(), credentials.is_some()) {
                Ok(()) => {
                    return Registry {
                        child,
                        dir,
                        port,
                        credentials,
                        local_names: Mutex::new(Vec::new()),
                    }
                }
                Err(failure) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    log = failure;
                    // Another process took the port after the probe: try another one.
                    if !log.contains("address already in use") {
                        break;
                    }
                }
            }
        }
        panic!("the test registry did not start\n--- registry log\n{log}");
    }

    /// `127.0.0.1:PORT`: the registry part of image names.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT/REPO:TAG` for `repo_and_tag` (`REPO:TAG`, or `REPO` for `latest`).
    pub fn image(&self, repo_and_tag: &str) -> String {
        let (repo, tag) = split_tag(repo_and_tag);
        format!("{}/{repo}:{tag}", self.address())
    }

    /// The credentials the registry takes, for the engine (`serveraddress` is
    /// [`Registry::address`]); `None` when it has no auth.
    pub fn credentials(&self) -> Option<DockerCredentials> {
        self.credentials
            .as_ref()
            .map(|(user, password)| DockerCredentials {
                username: Some(user.clone()),
                password: Some(password.clone()),
                serveraddress: Some(self.address()),
                ..Default::default()
            })
    }

    /// What the registry logged so far.
    pub fn log(&self) -> String {
        read_log(self.dir.path())
    }

    /// Tags `local_image` as [`Registry::image`]`(repo_and_tag)` and pushes it through
    /// the engine, with the registry's credentials when it has auth; panics with the
    /// engine's message when the push fails.
    pub fn push(&self, local_image: &str, repo_and_tag: &str) -> PushedImage {
        self.try_push(local_image, repo_and_tag, self.credentials())
            .unwrap_or_else(|message| {
                panic!(
                    "pushing {local_image} as {} failed: {message}\n--- registry log\n{}",
                    self.image(repo_and_tag),
                    self.log()
                )
            })
    }

    /// [`Registry::push`] with `credentials` of the caller's choice (`None`: none sent),
    /// returning the engine's message when the push fails.
    pub fn try_push(
        &self,
        local_image: &str,
        repo_and_tag: &str,
        credentials: Option<DockerCredentials>,
    ) -> Result<PushedImage, String> {
        let (repo, tag) = split_tag(repo_and_tag);
        let repository = format!("{}/{repo}", self.address());
        let name = format!("{repository}:{tag}");
        let client = engine().client();
        let tag_options = TagImageOptions {
            repo: Some(repository.clone()),
            tag: Some(tag.to_string()),
        };
        block_on(client.tag_image(local_image, Some(tag_options)))
            .unwrap_or_else(|err| panic!("cannot tag {local_image} as {name}: {err}"));
        self.local_names
            .lock()
            .expect("the list of local names")
            .push(name.clone());
        let push_options = PushImageOptions {
            tag: Some(tag.to_string()),
            ..Default::default()
        };
        let mut digest = None;
        block_on(async {
            let mut stream = client.push_image(&repository, Some(push_options), credentials);
            while let Some(item) = stream.next().await {
                let info = item.map_err(|err| err.to_string())?;
                if let Some(detail) = info.error_detail {
                    return Err(detail.message.unwrap_or_default());
                }
                // "TAG: digest: sha256:... size: 527"
                if let Some(status) = info.status {
                    if let Some((_, rest)) = status.split_once("digest: ") {
                        digest = rest.split_whitespace().next().map(str::to_string);
                    }
                }
            }
            Ok(())
        })?;
        let digest = digest.ok_or_else(|| format!("the engine reported no digest for {name}"))?;
        Ok(PushedImage { name, digest })
    }

    /// Removes the engine's local [`Registry::image`]`(repo_and_tag)` (the name only;
    /// the image stays under its other names), so that using it pulls it.
    pub fn remove_local(&self, repo_and_tag: &str) {
        let name = self.image(repo_and_tag);
        let options = RemoveImageOptions {
            noprune: true,
            ..Default::default()
        };
        block_on(engine().client().remove_image(&name, Some(options), None))
            .unwrap_or_else(|err| panic!("cannot remove the local {name}: {err}"));
    }

    /// Pulls [`Registry::image`]`(repo_and_tag)` through the engine with the registry's
    /// credentials, returning the engine's message when it fails.
    pub fn try_pull(&self, repo_and_tag: &str) -> Result<(), String> {
        self.try_pull_with(engine().client(), repo_and_tag)
    }

    /// [`Registry::try_pull`] through another engine (a second node's).
    pub fn try_pull_with(&self, client: &Docker, repo_and_tag: &str) -> Result<(), String> {
        let options = CreateImageOptions {
            from_image: Some(self.image(repo_and_tag)),
            ..Default::default()
        };
        block_on(async {
            let mut stream = client.create_image(Some(options), None, self.credentials());
            while let Some(item) = stream.next().await {
                let info = item.map_err(|err| err.to_string())?;
                if let Some(detail) = info.error_detail {
                    return Err(detail.message.unwrap_or_default());
                }
            }
            Ok(())
        })
    }

    /// `sha256:...`: the digest of the schema 2 manifest of `repo_and_tag`, from the
    /// registry's `Docker-Content-Digest`. Panics when the registry has no such tag.
    pub fn digest(&self, repo_and_tag: &str) -> String {
        let (repo, tag) = split_tag(repo_and_tag);
        let path = format!("/v2/{repo}/manifests/{tag}");
        let response = self.request("HEAD", &path, &[("Accept", MANIFEST_V2)]);
        assert_eq!(
            response.status, 200,
            "HEAD {path} answered {}",
            response.status
        );
        response
            .header("Docker-Content-Digest")
            .unwrap_or_else(|| panic!("HEAD {path} answered no Docker-Content-Digest"))
            .to_string()
    }

    /// The tags of `repo` in the registry, as it lists them; none when it does not know
    /// the repository.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let path = format!("/v2/{repo}/tags/list");
        let response = self.request("GET", &path, &[]);
        match response.status {
            404 => Vec::new(),
            200 => {
                let list: serde_json::Value = serde_json::from_str(&response.body)
                    .unwrap_or_else(|err| panic!("GET {path}: {err}: {}", response.body));
                list["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|tag| tag.as_str().map(str::to_string))
                    .collect()
            }
            status => panic!("GET {path} answered {status}: {}", response.body),
        }
    }

    /// `method path` to the registry's API, with the registry's credentials if any.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        let credentials = self
            .credentials
            .as_ref()
            .map(|(user, password)| (user.as_str(), password.as_str()));
        http(self.port, method, path, headers, credentials)
            .unwrap_or_else(|err| panic!("{method} {path} to the registry: {err}"))
    }

    /// Makes the registry `127.0.0.1:PORT` inside network namespace `netns` too (the
    /// one of a `scripts/swarm-node` node, `msctl-NAME`): a socat there forwards to the
    /// registry at the namespace's default gateway, the node's `host_address`. The
    /// relay stops when the value is dropped.
    pub fn relay_into_netns(&self, netns: &str) -> Relay {
        let host_address = default_gateway(netns);
        let log_path = self.dir.path().join(format!("relay-{netns}.log"));
        let log = std::fs::File::create(&log_path)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", log_path.display()));
        let child = Command::new("ip")
            .args(["netns", "exec", netns, "socat"])
            .arg(format!(
                "TCP-LISTEN:{},bind=127.0.0.1,fork,reuseaddr",
                self.port
            ))
            .arg(format!("TCP:{host_address}:{}", self.port))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run ip netns exec {netns} socat: {err}"));
        let mut relay = Relay {
            child,
            netns: netns.to_string(),
            port: self.port,
        };
        relay.wait_until_listening(&log_path);
        relay
    }
}

/// The name of [`own_image`] in this process.
fn own_image_name() -> String {
    format!("msctl-e2e-own-{}:1", std::process::id())
}

/// An image of this test's own (nextest runs each test in its own process): the
/// busybox test image with a label naming the process, so a different image id. Tests
/// push this, not the shared test image: a name put on the shared image would make a
/// `docker rmi` of it in another test only take a name off, not fail as in use.
/// Removed when the test's [`Registry`] is dropped.
pub fn own_image() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let name = own_image_name();
        let mut child = Command::new("docker")
            .args(["build", "-q", "-t", &name, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("docker build runs");
        let dockerfile = format!(
            "FROM {}\nLABEL io.msctl-e2e.own={}\n",
            test_image(),
            std::process::id()
        );
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dockerfile.as_bytes())
            .expect("the Dockerfile is sent");
        let output = child.wait_with_output().expect("docker build ends");
        assert!(output.status.success(), "building {name}: {output:?}");
        name
    })
}

impl Drop for Registry {
    fn drop(&mut self) {
        // By its label, not its name: a name moved to another image (a second push
        // under the same tag) leaves it with only the registry's digest as a name.
        let label = format!("label=io.msctl-e2e.own={}", std::process::id());
        if let Ok(listed) = Command::new("docker")
            .args(["images", "-q", "--no-trunc", "--filter", &label])
            .output()
        {
            for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
                let _ = Command::new("docker").args(["rmi", "-f", id]).output();
            }
        }
        let _ = Command::new("docker")
            .args(["rmi", "-f", &own_image_name()])
            .output();
        let names = std::mem::take(
            &mut *self
                .local_names
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for name in names {
            let options = RemoveImageOptions {
                noprune: true,
                ..Default::default()
            };
            // Gone already (remove_local) or in use by a container a test left: either
            // way nothing to do here.
            let _ = block_on(engine().client().remove_image(&name, Some(options), None));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A socat in a network namespace that forwards `127.0.0.1:PORT` there to a registry.
pub struct Relay {
    child: Child,
    netns: String,
    port: u16,
}

impl Relay {
    /// Whether socat listens on `127.0.0.1:PORT` in the namespace.
    fn is_listening(netns: &str, port: u16) -> bool {
        let output = Command::new("ip")
            .args(["netns", "exec", netns, "ss", "-Hltn"])
            .arg(format!("sport = :{port}"))
            .output()
            .unwrap_or_else(|err| panic!("cannot run ip netns exec {netns} ss: {err}"));
        !String::from_utf8_lossy(&output.stdout).trim().is_empty()
    }

    fn wait_until_listening(&mut self, log_path: &Path) {
        let deadline = Instant::now() + RELAY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the relay into {} exited ({status}):\n{}",
                    self.netns,
                    std::fs::read_to_string(log_path).unwrap_or_default()
                );
            }
            if Relay::is_listening(&self.netns, self.port) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the relay into {} did not listen on 127.0.0.1:{} within {}s:\n{}",
                self.netns,
                self.port,
                RELAY_TIMEOUT.as_secs(),
                std::fs::read_to_string(log_path).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        // `ip netns exec` execs socat: the child is socat. The processes it forked for
        // open connections go first, or they would forward on after the relay is gone.
        let children_path = format!("/proc/{0}/task/{0}/children", self.child.id());
        for pid in std::fs::read_to_string(children_path)
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .filter_map(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response of the registry's HTTP API.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One request to the registry on `127.0.0.1:port`, read until the registry closes the
/// connection. HTTP/1.0, so that the body is never chunked.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    credentials: Option<(&str, &str)>,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some((user, password)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an HTTP response: {head:?}"),
            )
        })?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

/// `(REPO, TAG)` of `REPO:TAG`; `latest` when there is no tag.
fn split_tag(repo_and_tag: &str) -> (&str, &str) {
    match repo_and_tag.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (repo_and_tag, "latest"),
    }
}

/// Writes `dir/htpasswd` with `user`'s bcrypt entry (the registry takes no other hash).
fn write_htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let output = Command::new("htpasswd")
        .args(["-Bbn", user, password])
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "cannot run htpasswd: {err}\n\
                 hint: apt-get install apache2-utils (scripts/bootstrap does)"
            )
        });
    assert!(
        output.status.success(),
        "htpasswd failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = dir.join("htpasswd");
    std::fs::write(&path, &output.stdout)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
    path
}

/// Starts the registry on `0.0.0.0:port`, storing under `dir/data`, logging to
/// `dir/registry.log`.
fn spawn_registry(dir: &Path, port: u16, htpasswd: Option<&Path>) -> Child {
    let mut config = format!(
        "version: 0.1\n\
         log:\n  level: info\n  accesslog:\n    disabled: false\n\
         storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n\
         http:\n  addr: 0.0.0.0:{port}\n",
        data = dir.join("data").display()
    );
    if let Some(htpasswd) = htpasswd {
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: msctl-test\n    path: {}\n",
            htpasswd.display()
        ));
    }
    let config_path = dir.join("config.yml");
    std::fs::write(&config_path, config)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", config_path.display()));
    let log_path = dir.join("registry.log");
    let log = std::fs::File::create(&log_path)
        .unwrap_or_else(|err| panic!("cannot create {}: {err}", log_path.display()));
    let log_err = log
        .try_clone()
        .expect("a second handle of the registry log");
    Command::new(REGISTRY_BINARY)
        .arg("serve")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {REGISTRY_BINARY}: {err}"))
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
}

/// Waits until `GET /v2/` answers 200 (401 with auth); on failure the registry's log
/// and why.
fn wait_until_ready(child: &mut Child, port: u16, dir: &Path, auth: bool) -> Result<(), String> {
    let expected = if auth { 401 } else { 200 };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{}\n(the registry exited: {status})",
                read_log(dir)
            ));
        }
        match http(port, "GET", "/v2/", &[], None) {
            Ok(response) if response.status == expected => return Ok(()),
            Ok(response) => {
                return Err(format!(
                    "{}\n(GET /v2/ on port {port} answered {}, not {expected})",
                    read_log(dir),
                    response.status
                ))
            }
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(err) => {
                return Err(format!(
                    "{}\n(GET /v2/ on port {port} did not answer within {}s: {err})",
                    read_log(dir),
                    START_TIMEOUT.as_secs()
                ))
            }
        }
    }
}

/// The default gateway of network namespace `netns`: for a `scripts/swarm-node` node,
/// the root namespace's end of its link (its `host_address`).
fn default_gateway(netns: &str) -> String {
    let output = Command::new("ip")
        .args(["-n", netns, "-4", "route", "show", "default"])
        .output()
        .unwrap_or_else(|err| panic!("cannot run ip -n {netns} route: {err}"));
    let text = String::from_utf8_lossy(&output.stdout);
    // "default via 10.213.1.1 dev eth0"
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == "via" {
            if let Some(address) = words.next() {
                return address.to_string();
            }
        }
    }
    panic!(
        "network namespace {netns} has no default route: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_loopback_registry_serves_a_pushed_image() {
    let registry = Registry::start();
    assert_eq!(registry.tags("e2e/busybox"), Vec::<String>::new());

    let pushed = registry.push(own_image(), "e2e/busybox:1");

    assert_eq!(
        pushed.name,
        format!("127.0.0.1:{}/e2e/busybox:1", registry.port())
    );
    assert_eq!(registry.tags("e2e/busybox"), ["1"]);
    let digest = registry.digest("e2e/busybox:1");
    assert!(
        digest.starts_with("sha256:") && digest.len() == "sha256:".len() + 64,
        "not a manifest digest: {digest}"
    );
    assert_eq!(pushed.digest, digest);
    // The engine pulls it back from the registry once its local name is gone.
    registry.remove_local("e2e/busybox:1");
    registry
        .try_pull("e2e/busybox:1")
        .unwrap_or_else(|message| panic!("pulling {} failed: {message}", pushed.name));
    let image = block_on(engine().client().inspect_image(&pushed.name))
        .unwrap_or_else(|err| panic!("the pulled {} is not there: {err}", pushed.name));
    let expected = format!("{}/e2e/busybox@{digest}", registry.address());
    assert!(
        image.repo_digests.unwrap_or_default().contains(&expected),
        "the pulled image lacks the repo digest {expected}"
    );
}

#[test]
fn a_registry_with_auth_refuses_a_push_without_credentials() {
    let registry = Registry::start_with_auth("e2e-user", "e2e-password");
    // The API itself asks for credentials.
    let anonymous = http(
        registry.port(),
        "GET",
        "/v2/e2e/busybox/tags/list",
        &[],
        None,
    )
    .expect("the registry answers");
    assert_eq!(anonymous.status, 401);

    let message = registry
        .try_push(own_image(), "e2e/busybox:1", None)
        .expect_err("a push without credentials succeeded");
    assert!(
        message.contains("no basic auth credentials") || message.contains("unauthorized"),
        "unexpected message of the refused push: {message}"
    );
    let wrong = DockerCredentials {
        password: Some("not-the-password".to_string()),
        ..registry
            .credentials()
            .expect("the registry has credentials")
    };
    let message = registry
        .try_push(own_image(), "e2e/busybox:1", Some(wrong))
        .expect_err("a push with a wrong password succeeded");
    assert!(
        message.contains("unauthorized") || message.contains("401"),
        "unexpected message of the push with a wrong password: {message}"
    );
    assert_eq!(registry.tags("e2e/busybox"), Vec::<String>::new());

    let pushed = registry.push(own_image(), "e2e/busybox:1");

    assert_eq!(registry.tags("e2e/busybox"), ["1"]);
    assert_eq!(registry.digest("e2e/busybox:1"), pushed.digest);
}

#[test]
fn a_relay_makes_the_registry_loopback_for_a_second_node() {
    let registry = Registry::start();
    let pushed = registry.push(own_image(), "e2e/busybox:1");
    let node = SecondNode::start("e2ereg");
    let netns = format!("msctl-{}", node.name);
    let node_docker = block_on(node.docker());

    let relay = registry.relay_into_netns(&netns);

    registry
        .try_pull_with(&node_docker, "e2e/busybox:1")
        .unwrap_or_else(|message| panic!("node {} pulling {}: {message}", node.name, pushed.name));
    let image = block_on(node_docker.inspect_image(&pushed.name))
        .unwrap_or_else(|err| panic!("node {} lacks {}: {err}", node.name, pushed.name));
    let expected = format!("{}/e2e/busybox@{}", registry.address(), pushed.digest);
    assert!(
        image.repo_digests.unwrap_or_default().contains(&expected),
        "the image node {} pulled lacks the repo digest {expected}",
        node.name
    );
    drop(relay);
    assert!(
        !Relay::is_listening(&netns, registry.port()),
        "the relay still listens in {netns} after its drop"
    );
}

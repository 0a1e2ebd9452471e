//! What every end-to-end test needs: the test image, a project of its own that is cleaned
//! up whatever happens, msctl run inside it, and the engine to assert state through.
//!
//! These tests run against the real Docker Engine (DESIGN.md: one runs before every
//! session and CI run). No registry is reachable, so the one image they use is built
//! here `FROM scratch` from the static busybox of Debian's `busybox-static`: a shell,
//! `wget` and `httpd` in one file.
//!
//! ```ignore
//! let project = TestProject::new("scale", &format!(r#"
//! services:
//!   web:
//!     image: {image}
//!     command: ["httpd", "-f", "-p", "8080", "-h", "/"]
//!     init: true
//! "#, image = test_image()));
//! let (code, stdout, stderr) = project.msctl(&["up"]);
//! assert_eq!(project.containers().len(), 1);
//! ```
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use msctl::engine::{
    ContainerDetails, ContainerSummary, DockerEngine, Engine, LabelFilter, NetworkSummary,
    VolumeSummary,
};
use msctl::manifest::model::Project;
use msctl::manifest::{load, LoadOptions};
use msctl::plan::spec::{ContainerSpec, NetworkSpec};
use msctl::plan::{config_hash, labels, names};

/// The image the tests run: busybox, with its applets linked in `/bin`.
pub const TEST_IMAGE: &str = "msctl-test-busybox:1";

/// Where the static busybox comes from (Debian's `busybox-static`).
const BUSYBOX: &str = "/bin/busybox";

/// A compose file for `service` running busybox httpd on port 8080, health-checked with
/// `wget` every 500 ms, stopped fast by `init`. `extra` is more YAML for the service,
/// indented by four spaces (`"    deploy:\n      replicas: 2\n"`).
pub fn httpd_service(service: &str, extra: &str) -> String {
    format!(
        r#"  {service}:
    image: {image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/"]
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 500ms
      timeout: 2s
      retries: 3
      start_period: 10s
{extra}"#,
        image = test_image()
    )
}

/// The runtime every engine call of a test process runs on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the e2e tests")
    })
}

/// Runs `future` on [`runtime`] from synchronous test code.
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// The Docker engine the tests run against (`DOCKER_HOST` or the default socket).
pub fn engine() -> &'static DockerEngine {
    static ENGINE: OnceLock<DockerEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        block_on(DockerEngine::connect(None)).unwrap_or_else(|err| {
            panic!(
                "the end-to-end tests need a Docker engine: {err}\nhint: {}",
                err.hint().unwrap_or("start dockerd")
            )
        })
    })
}

/// The test image, built once per test process if the engine does not have it yet.
///
/// nextest runs each test in its own process: a file lock keeps concurrent processes
/// from building it side by side, and the ones that wait find it built.
pub fn test_image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(build_test_image_if_missing);
    TEST_IMAGE
}

fn build_test_image_if_missing() {
    let busybox = std::fs::read(BUSYBOX).unwrap_or_else(|err| {
        panic!(
            "the end-to-end tests need the static busybox at {BUSYBOX} ({err})\n\
             hint: apt-get install busybox-static (scripts/bootstrap does)"
        )
    });
    let lock_path = std::env::temp_dir().join("msctl-test-image.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|err| panic!("cannot open {}: {err}", lock_path.display()));
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .unwrap_or_else(|err| panic!("cannot lock {}: {err}", lock_path.display()));
    if !test_image_is_current() {
        build_test_image(&busybox);
    }
    // Closing the file releases the lock.
    drop(lock);
}

/// Whether the engine has the test image as this code builds it: an image left by an
/// older version of this file (same tag, other contents) is rebuilt.
fn test_image_is_current() -> bool {
    match block_on(engine().client().inspect_image(TEST_IMAGE)) {
        Ok(image) => image
            .config
            .and_then(|config| config.labels)
            .and_then(|labels| labels.get(TEST_IMAGE_REVISION_LABEL).cloned())
            .is_some_and(|revision| revision == TEST_IMAGE_REVISION),
        Err(_) => false,
    }
}

/// Changed whenever what [`build_test_image`] puts in the image changes.
const TEST_IMAGE_REVISION: &str = "2";
const TEST_IMAGE_REVISION_LABEL: &str = "io.msctl.test.revision";

fn build_test_image(busybox: &[u8]) {
    // `/index.html` so that `httpd -h /` answers `wget http://127.0.0.1:8080/`.
    let dockerfile = "FROM scratch\n\
                      COPY busybox /bin/busybox\n\
                      COPY index.html /index.html\n\
                      RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";
    let mut archive = tar::Builder::new(Vec::new());
    for (name, contents, mode) in [
        ("Dockerfile", dockerfile.as_bytes(), 0o644),
        ("busybox", busybox, 0o755),
        ("index.html", b"ok\n".as_slice(), 0o644),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        archive
            .append_data(&mut header, name, contents)
            .expect("an in-memory tar");
    }
    let context = archive.into_inner().expect("an in-memory tar");
    let options = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .t(TEST_IMAGE)
        .rm(true)
        .forcerm(true)
        .labels(&HashMap::from([
            ("io.msctl.test", "true"),
            (TEST_IMAGE_REVISION_LABEL, TEST_IMAGE_REVISION),
        ]))
        .build();
    let output = block_on(async {
        let mut output = String::new();
        let mut stream =
            engine()
                .client()
                .build_image(options, None, Some(bollard::body_full(context.into())));
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(text) = info.stream {
                        output.push_str(&text);
                    }
                    if let Some(detail) = info.error_detail {
                        panic!(
                            "building {TEST_IMAGE} failed: {}\n{output}",
                            detail.message.unwrap_or_default()
                        );
                    }
                }
                Err(err) => panic!("building {TEST_IMAGE} failed: {err}\n{output}"),
            }
        }
        output
    });
    assert!(
        test_image_is_current(),
        "building {TEST_IMAGE} ended without the image:\n{output}"
    );
}

/// A project of one test: a temporary directory with its compose file, a name no other
/// test uses, and everything carrying its label removed on drop, even after a failure.
pub struct TestProject {
    dir: tempfile::TempDir,
    name: String,
}

impl TestProject {
    /// `e2e-<hint>-<pid>-<n>` with `compose_yaml` as its `compose.yaml`.
    pub fn new(name_hint: &str, compose_yaml: &str) -> TestProject {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let number = COUNTER.fetch_add(1, Ordering::Relaxed);
        let hint: String = name_hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let name = format!("e2e-{hint}-{}-{number}", std::process::id());
        let dir = tempfile::Builder::new()
            .prefix(&format!("msctl-{name}-"))
            .tempdir()
            .expect("a temporary directory");
        let project = TestProject { dir, name };
        project.write_compose(compose_yaml);
        std::fs::create_dir_all(project.state_dir()).expect("a state directory");
        project
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// msctl's state directory for this project's commands (`MSCTL_STATE_DIR`).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join(".msctl-state")
    }

    /// Replaces `compose.yaml`, to change the manifest between two commands.
    pub fn write_compose(&self, compose_yaml: &str) {
        self.write_file("compose.yaml", compose_yaml);
    }

    /// Writes a file in the project directory.
    pub fn write_file(&self, relative: &str, contents: &str) {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a directory in the project");
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
    }

    /// `msctl -p <project> ARGS...` in the project directory, with `CI=true NO_COLOR=1`
    /// and `MSCTL_SELF_HEAL=0`, ready to run or spawn. Standard input is closed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_msctl"));
        crate::support::clean_env(&mut command);
        command
            .current_dir(self.dir.path())
            .env("MSCTL_STATE_DIR", self.state_dir())
            // One control plane per engine and name: each test's its own, as if each had
            // an engine of its own (tests of the handover share one name).
            .env("MSCTL_CONTROL_PLANE", &self.name)
            // `up` would start a control plane that outlives the command and repairs
            // what a test breaks on purpose; tests of the control plane turn it on.
            .env("MSCTL_SELF_HEAL", "0")
            .arg("-p")
            .arg(&self.name)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// Runs msctl to completion: (exit code, stdout, stderr); the code is -1 when a
    /// signal killed it.
    pub fn msctl(&self, args: &[&str]) -> (i32, String, String) {
        let output = self
            .command(args)
            .output()
            .unwrap_or_else(|err| panic!("cannot run msctl: {err}"));
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Runs msctl and asserts it succeeded; returns its stdout.
    pub fn msctl_ok(&self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.msctl(args);
        assert_eq!(
            code,
            0,
            "`msctl {}` failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            args.join(" ")
        );
        stdout
    }

    /// Starts msctl in the background with piped stdout and stderr (for `logs -f`).
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start msctl: {err}"))
    }

    /// The project's containers, one-off ones included, sorted by service then replica.
    pub fn containers(&self) -> Vec<ContainerSummary> {
        let mut containers = block_on(engine().list_containers(&LabelFilter::project(&self.name)))
            .unwrap_or_else(|err| panic!("cannot list the containers of {}: {err}", self.name));
        containers.sort_by_key(|container| {
            (
                service_of(container).unwrap_or_default().to_string(),
                replica_of(container).unwrap_or(0),
                container.name.clone(),
            )
        });
        containers
    }

    /// The containers of one service, by replica number.
    pub fn replicas(&self, service: &str) -> Vec<ContainerSummary> {
        self.containers()
            .into_iter()
            .filter(|container| service_of(container) == Some(service))
            .collect()
    }

    pub fn inspect(&self, container_id: &str) -> ContainerDetails {
        block_on(engine().inspect_container(container_id))
            .unwrap_or_else(|err| panic!("cannot inspect {container_id}: {err}"))
    }

    /// The networks carrying the project's label.
    pub fn networks(&self) -> Vec<NetworkSummary> {
        block_on(engine().list_networks(&LabelFilter::project(&self.name)))
            .unwrap_or_else(|err| panic!("cannot list networks: {err}"))
    }

    /// The volumes carrying the project's label.
    pub fn volumes(&self) -> Vec<VolumeSummary> {
        block_on(engine().list_volumes(&LabelFilter::project(&self.name)))
            .unwrap_or_else(|err| panic!("cannot list volumes: {err}"))
    }

    /// The project as msctl loads it from `compose.yaml`.
    pub fn load(&self) -> Project {
        load(&LoadOptions {
            files: vec![self.dir.path().join("compose.yaml")],
            project_name: Some(self.name.clone()),
            project_directory: None,
            env_file: None,
            profiles: Vec::new(),
            cwd: self.dir.path().to_path_buf(),
            environment: std::env::vars().collect(),
        })
        .unwrap_or_else(|err| panic!("the test manifest does not load:\n{}", err.rendered))
        .project
    }

    /// The spec msctl would create replica `replica_number` of `service_name` from.
    pub fn replica_spec(&self, service_name: &str, replica_number: u32) -> ContainerSpec {
        let project = self.load();
        let service = project
            .services
            .get(service_name)
            .unwrap_or_else(|| panic!("no service `{service_name}` in the test manifest"));
        ContainerSpec::for_replica(&project, service, replica_number, &config_hash(service))
    }

    /// Creates the project's networks that do not exist yet, as msctl would.
    pub fn create_networks(&self) {
        let project = self.load();
        block_on(async {
            let existing = engine()
                .list_networks(&LabelFilter::any())
                .await
                .expect("list networks");
            let mut keys: Vec<String> = project.networks.keys().cloned().collect();
            if !keys.iter().any(|key| key == names::DEFAULT_NETWORK) {
                keys.push(names::DEFAULT_NETWORK.to_string());
            }
            for key in keys {
                let network = project.networks.get(&key).cloned().unwrap_or_default();
                if network.external {
                    continue;
                }
                let spec = NetworkSpec::for_network(&project.name, &key, &network);
                if !existing.iter().any(|n| n.name == spec.name) {
                    engine()
                        .create_network(&spec)
                        .await
                        .unwrap_or_else(|err| panic!("cannot create {}: {err}", spec.name));
                }
            }
        });
    }

    /// Creates and starts replica `replica_number` of `service_name` as msctl would (its
    /// spec, labels and networks), without running msctl: for tests of one command that
    /// need replicas another command would make. Returns the container id.
    pub fn start_replica(&self, service_name: &str, replica_number: u32) -> String {
        self.create_networks();
        let spec = self.replica_spec(service_name, replica_number);
        block_on(async {
            let container_id = engine()
                .create_container(&spec)
                .await
                .unwrap_or_else(|err| panic!("cannot create {}: {err}", spec.name));
            engine()
                .start_container(&container_id)
                .await
                .unwrap_or_else(|err| panic!("cannot start {}: {err}", spec.name));
            container_id
        })
    }

    /// Polls `check` every 100 ms until it holds; panics naming `what` after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
        wait_for(what, timeout, &mut check);
    }

    /// Removes every container, network and volume with the project's label.
    fn clean_up(&self) -> Result<(), String> {
        let docker = engine().client();
        let filter = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={}", labels::PROJECT, self.name)],
        )]);
        block_on(async {
            let mut problems = Vec::new();
            let containers = docker
                .list_containers(Some(
                    bollard::query_parameters::ListContainersOptionsBuilder::default()
                        .all(true)
                        .filters(&filter)
                        .build(),
                ))
                .await
                .map_err(|err| err.to_string())?;
            for container in containers {
                let Some(id) = container.id else { continue };
                let options = bollard::query_parameters::RemoveContainerOptionsBuilder::default()
                    .force(true)
                    .v(true)
                    .build();
                if let Err(err) = docker.remove_container(&id, Some(options)).await {
                    problems.push(format!("container {id}: {err}"));
                }
            }
            let networks = docker
                .list_networks(Some(
                    bollard::query_parameters::ListNetworksOptionsBuilder::default()
                        .filters(&filter)
                        .build(),
                ))
                .await
                .map_err(|err| err.to_string())?;
            for network in networks {
                let Some(id) = network.id else { continue };
                if let Err(err) = docker.remove_network(&id).await {
                    problems.push(format!("network {id}: {err}"));
                }
            }
            let volumes = docker
                .list_volumes(Some(
                    bollard::query_parameters::ListVolumesOptionsBuilder::default()
                        .filters(&filter)
                        .build(),
                ))
                .await
                .map_err(|err| err.to_string())?;
            for volume in volumes.volumes.unwrap_or_default() {
                if let Err(err) = docker
                    .remove_volume(
                        &volume.name,
                        None::<bollard::query_parameters::RemoveVolumeOptions>,
                    )
                    .await
                {
                    problems.push(format!("volume {}: {err}", volume.name));
                }
            }
            // The registration of this test's control plane, left behind when it was
            // killed (its name is the project's: `command` sets MSCTL_CONTROL_PLANE).
            let _ = docker
                .remove_volume(
                    &format!("msctl-control-{}", self.name),
                    None::<bollard::query_parameters::RemoveVolumeOptions>,
                )
                .await;
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("; "))
            }
        })
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        // On its own thread: the drop may run inside a runtime (a test that panicked in
        // `block_on`), where blocking on another one is not allowed.
        let result = std::thread::scope(|scope| {
            scope
                .spawn(|| self.clean_up())
                .join()
                .unwrap_or_else(|_| Err("the clean-up panicked".to_string()))
        });
        if let Err(problem) = result {
            // Never panic in drop: a test that already failed would abort the process.
            eprintln!("warning: cleaning up project {}: {problem}", self.name);
        }
    }
}

/// The `io.msctl.service` label of a container.
pub fn service_of(container: &ContainerSummary) -> Option<&str> {
    container.labels.get(labels::SERVICE).map(String::as_str)
}

/// The `io.msctl.replica` label of a container, as a number.
pub fn replica_of(container: &ContainerSummary) -> Option<u32> {
    container
        .labels
        .get(labels::REPLICA)
        .and_then(|replica| replica.parse().ok())
}

/// Polls `check` every 100 ms until it holds; panics naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, check: &mut dyn FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {}s waiting for {what}",
            timeout.as_secs_f64()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A TCP port free on every address of this host, for a test to publish. Taken below the
/// kernel's ephemeral range (32768 and up), where `bind(0)` puts the API listeners of
/// resolvers and control planes that other tests start meanwhile: a port picked there and
/// released can be taken before Docker binds it. Each test process starts at its own
/// place in the range and never gives the same port twice.
pub fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7919) % SPAN;
    loop {
        let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed) * 37) % SPAN;
        let port = u16::try_from(FIRST + offset).expect("in range");
        if std::net::TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return port;
        }
    }
}

/// SIGKILLs the control plane of `state_dir` and its supervisor (first, so it starts
/// nothing again), and waits up to 5 s for the lock to be free.
pub fn kill_control_plane(state_dir: &Path) {
    use msctl::control::process;
    if let Ok(Some(running)) = process::running(state_dir) {
        for pid in running
            .supervisor
            .into_iter()
            .chain(std::iter::once(running.pid))
            .filter_map(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while process::running(state_dir).is_ok_and(|r| r.is_some())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

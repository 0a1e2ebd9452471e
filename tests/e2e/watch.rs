//! `msctl watch`: a change to a service's build context rebuilds and rolls that service
//! alone (start-first), a `sync` rule copies a changed file into the running replica, a
//! failed build leaves the old replicas serving, and SIGTERM ends it with exit 0; bad
//! input is refused with exit 1; and on the shop, an edit of orders' sources rolls orders
//! only while requests through the gateway keep succeeding.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::control::{healing, ControlPlaneGuard};
use super::shop::{customer, http, shop};
use super::support::{httpd_service, test_image, TestProject};

/// A `msctl watch` running in the background, its stderr in a file; killed on drop if
/// the test did not stop it.
struct Watching {
    child: Option<Child>,
    log: PathBuf,
}

impl Watching {
    fn start(project: &TestProject, mut command: std::process::Command) -> Watching {
        let log = project.dir().join("watch.log");
        let file = std::fs::File::create(&log).expect("a log file");
        let child = command
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("msctl watch starts");
        Watching {
            child: Some(child),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log holds `text`; fails early when `watch` ended.
    fn wait_for_line(&mut self, text: &str, timeout: Duration) {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let log = self.log();
            if log.contains(text) {
                return;
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("watch ended ({status}) before `{text}`:\n{log}");
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no `{text}` after {}s:\n{log}",
                timeout.as_secs()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then its exit code.
    fn terminate(&mut self) -> i32 {
        let child = self.child.as_mut().expect("watch runs");
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return status.code().unwrap_or(-1);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "watch did not end after SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sets the stop flag however the scope ends, so a failed assertion does not leave the
/// client threads running (and the scope waiting for them) forever.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A test project whose images msctl built are removed too, however the test ends:
/// after the project's containers, which would keep them in use.
struct WithImages(Option<TestProject>);

impl std::ops::Deref for WithImages {
    type Target = TestProject;

    fn deref(&self) -> &TestProject {
        self.0.as_ref().expect("the project lives until drop")
    }
}

impl Drop for WithImages {
    fn drop(&mut self) {
        let Some(project) = self.0.take() else { return };
        let label = format!("label=io.msctl.build-project={}", project.name());
        drop(project);
        let listed = std::process::Command::new("docker")
            .args(["images", "-q", "--filter", &label])
            .output();
        let Ok(listed) = listed else { return };
        let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !ids.is_empty() {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f"])
                .args(&ids)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn ids(project: &TestProject, service: &str) -> Vec<String> {
    let mut ids: Vec<String> = project
        .replicas(service)
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

/// A file's contents in a container, read with `docker exec`.
fn read_in(container_id: &str, path: &str) -> String {
    let output = std::process::Command::new("docker")
        .args(["exec", container_id, "cat", path])
        .output()
        .expect("docker exec");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn web_dockerfile(image: &str) -> String {
    format!(
        "FROM {image}\nCOPY index.html /www/index.html\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n"
    )
}

#[test]
fn watch_rebuilds_and_rolls_only_the_changed_service_syncs_files_and_survives_a_failed_build() {
    let image = test_image();
    let files = httpd_service(
        "files",
        "    develop:\n      watch:\n        - {action: sync, path: ./site, target: /www, initial_sync: true}\n        - {action: restart, path: ./conf}\n",
    );
    let project = WithImages(Some(TestProject::new(
        "watch",
        &format!(
            r#"services:
  web:
    build: ./web
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 500ms
      timeout: 2s
      retries: 3
      start_period: 10s
    deploy:
      replicas: 2
      update_config: {{parallelism: 1, order: start-first}}
{files}"#
        ),
    )));
    project.write_file("web/Dockerfile", &web_dockerfile(image));
    project.write_file("web/index.html", "v1\n");
    project.write_file("web/.dockerignore", "*.log\n");
    project.write_file("site/index.html", "first\n");
    project.write_file("conf/app.conf", "x=0\n");

    let mut watching = Watching::start(&project, project.command(&["watch"]));
    watching.wait_for_line("watching `files`, `web`", Duration::from_secs(180));
    let web_before = ids(&project, "web");
    let files_before = ids(&project, "files");
    assert_eq!(web_before.len(), 2);
    assert_eq!(files_before.len(), 1);
    // `initial_sync`: the site is in the replica from the start.
    assert!(
        watching
            .log()
            .contains("files: initial sync: 1 file synced to 1 replica"),
        "{}",
        watching.log()
    );
    assert_eq!(read_in(&files_before[0], "/www/index.html"), "first\n");

    // An edit in web's build context: web is rebuilt and both replicas replaced.
    project.write_file("web/index.html", "v2\n");
    watching.wait_for_line(
        "web: rolled 2 replicas (start-first)",
        Duration::from_secs(180),
    );
    let web_after = ids(&project, "web");
    assert_eq!(web_after.len(), 2);
    assert!(
        web_after.iter().all(|id| !web_before.contains(id)),
        "every web replica was replaced"
    );
    for id in &web_after {
        assert_eq!(read_in(id, "/www/index.html"), "v2\n");
    }
    assert_eq!(
        ids(&project, "files"),
        files_before,
        "files was not touched"
    );

    // A sync: the file is copied into the running replica, which is not replaced.
    project.write_file("site/index.html", "second\n");
    watching.wait_for_line("files: 1 file synced to 1 replica", Duration::from_secs(60));
    assert_eq!(ids(&project, "files"), files_before);
    assert_eq!(read_in(&files_before[0], "/www/index.html"), "second\n");

    // A removed file goes from the replica too.
    std::fs::remove_file(project.dir().join("site/index.html")).expect("a file removed");
    watching.wait_for_line(
        "files: 1 file removed from 1 replica",
        Duration::from_secs(60),
    );
    assert_eq!(read_in(&files_before[0], "/www/index.html"), "");

    // A restart rule: the replica restarts, and is not replaced.
    let started = project.inspect(&files_before[0]).started_at;
    project.write_file("conf/app.conf", "x=1\n");
    watching.wait_for_line("files: restarted 1 replica", Duration::from_secs(60));
    assert_eq!(ids(&project, "files"), files_before);
    assert_ne!(project.inspect(&files_before[0]).started_at, started);

    // A build that fails: the running replicas stay, and watch says why.
    project.write_file("web/Dockerfile", &format!("FROM {image}\nRUN exit 3\n"));
    watching.wait_for_line(
        "the running replicas keep serving",
        Duration::from_secs(180),
    );
    assert_eq!(
        ids(&project, "web"),
        web_after,
        "the old replicas keep serving"
    );
    for container in project.replicas("web") {
        assert_eq!(container.state, msctl::plan::ContainerState::Running);
    }

    assert_eq!(watching.terminate(), 0);
    let log = watching.log();
    assert!(log.contains("web: 1 file changed, rebuilding"), "{log}");
    assert!(log.contains("web: build failed:"), "{log}");
    assert!(log.contains("watch stopped (terminated)"), "{log}");
    assert!(!log.contains("files: 1 file changed, rebuilding"), "{log}");
}

#[test]
fn watch_refuses_what_it_cannot_watch_with_exit_1() {
    let image = test_image();
    let project = TestProject::new(
        "watch-bad",
        &format!(
            "services:\n{}  db:\n    image: {image}\n",
            httpd_service(
                "web",
                "    develop:\n      watch:\n        - {action: restart, path: ./conf}\n"
            )
        ),
    );

    let (code, _, stderr) = project.msctl(&["watch", "nosuch"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("nosuch"), "{stderr}");

    let (code, _, stderr) = project.msctl(&["--target", "swarm", "watch"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`msctl watch` works on the local target"),
        "{stderr}"
    );

    let (code, _, stderr) = project.msctl(&["watch", "db"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("service `db` has nothing to watch"),
        "{stderr}"
    );

    project.write_compose(&format!("services:\n  db:\n    image: {image}\n"));
    let (code, _, stderr) = project.msctl(&["watch"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("none of the selected services is configured for watch"),
        "{stderr}"
    );

    // A sync rule without a target: located at its entry.
    project.write_compose(&format!(
        "services:\n  db:\n    image: {image}\n    develop:\n      watch:\n        - action: sync\n          path: ./src\n"
    ));
    let (code, _, stderr) = project.msctl(&["watch"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("compose.yaml:6:11"), "{stderr}");
    assert!(stderr.contains("has no `target`"), "{stderr}");
    assert!(project.containers().is_empty(), "nothing was started");
}

/// The shop's workspace (its services, the root manifest and lock file, msctl's own
/// targets as stubs) copied to a fixed place under target/, so a test can edit its
/// sources.
fn shop_workspace() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = root.join("target").join("e2e-watch-shop");
    let services = copy.join("services");
    if services.exists() {
        std::fs::remove_dir_all(&services).expect("the old copy removed");
    }
    copy_tree(&root.join("services"), &services);
    std::fs::copy(root.join("Cargo.lock"), copy.join("Cargo.lock")).expect("Cargo.lock");
    // The root manifest as it is, with msctl's own targets as stubs: cargo reads every
    // member, and the lock file stays the repository's (msctl hashes it).
    std::fs::copy(root.join("Cargo.toml"), copy.join("Cargo.toml")).expect("Cargo.toml");
    for (stub, text) in [
        ("src/lib.rs", ""),
        ("src/main.rs", "fn main() {}\n"),
        ("tests/lib.rs", ""),
    ] {
        let path = copy.join(stub);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a stub directory");
        std::fs::write(path, text).expect("a stub");
    }
    // The cargo builder's target directory is the repository's: the dependencies are
    // built once for both (only the copy's own crates build apart, their paths differ).
    let shared = root.join("target").join("msctl");
    std::fs::create_dir_all(&shared).expect("the cargo builder's target directory");
    std::fs::create_dir_all(copy.join("target")).expect("the copy's target directory");
    let link = copy.join("target").join("msctl");
    if std::fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(&shared, &link).expect("the target directory linked");
    }
    copy
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("a directory to copy") {
        let entry = entry.expect("an entry");
        let path = entry.path();
        let name = entry.file_name();
        if entry.file_type().expect("a type").is_dir() {
            if name != "target" {
                copy_tree(&path, &to.join(&name));
            }
        } else {
            std::fs::copy(&path, to.join(&name)).expect("a file copied");
        }
    }
}

#[test]
fn watch_of_the_shop_rolls_only_orders_while_requests_through_the_gateway_succeed() {
    let workspace = shop_workspace();
    let (project, port) = shop("watch-shop");
    let project = WithImages(Some(project));
    let root = env!("CARGO_MANIFEST_DIR");
    let yaml = std::fs::read_to_string(project.dir().join("compose.yaml")).expect("manifest");
    project.write_compose(&yaml.replace(
        &format!("workspace: {root}}}"),
        &format!("workspace: {}}}", workspace.display()),
    ));
    project.write_file(
        "compose.override.yaml",
        "services:\n  orders:\n    deploy:\n      update_config: {parallelism: 1, order: start-first, monitor: 2s, failure_action: rollback}\n    healthcheck: {interval: 1s, retries: 3, start_period: 3s}\n",
    );
    let guard = ControlPlaneGuard::new(&project);
    let mut command = healing(&project, &["watch", "--timeout", "1500"]);
    command.env("SHOP_PORT", port.to_string());
    let mut watching = Watching::start(&project, command);
    watching.wait_for_line("(Ctrl-C to stop)", Duration::from_secs(1800));
    let services = ["users", "products", "payments", "gateway"];
    let others: Vec<Vec<String>> = services.iter().map(|s| ids(&project, s)).collect();
    let orders_before = ids(&project, "orders");
    assert_eq!(orders_before.len(), 2);

    let token = customer(port, "watch@example.com");
    let stop = AtomicBool::new(false);
    let ok = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let stop_on_drop = StopOnDrop(&stop);
        for _ in 0..4 {
            scope.spawn(|| {
                let auth = format!("Bearer {token}");
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) = http(
                        "GET",
                        port,
                        "/api/orders/orders",
                        &[("Authorization", &auth)],
                        "",
                    );
                    if (200..300).contains(&status) {
                        ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failures
                            .lock()
                            .expect("failures")
                            .push(format!("{status} {body}"));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            });
        }
        std::thread::sleep(Duration::from_secs(2));
        let main = workspace.join("services/orders/src/main.rs");
        let mut source = std::fs::read_to_string(&main).expect("orders' main.rs");
        source.push_str("\n// Edited by the watch test.\n");
        std::fs::write(&main, source).expect("orders edited");
        watching.wait_for_line(
            "orders: rolled 2 replicas (start-first)",
            Duration::from_secs(900),
        );
        std::thread::sleep(Duration::from_secs(2));
        drop(stop_on_drop);
    });
    let failures = failures.into_inner().expect("failures");
    let ok = ok.load(Ordering::Relaxed);
    assert!(ok > 100, "only {ok} requests answered");
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:?}",
        failures.len(),
        ok + failures.len()
    );
    let orders_after = ids(&project, "orders");
    assert_eq!(orders_after.len(), 2);
    assert!(orders_after.iter().all(|id| !orders_before.contains(id)));
    for (service, before) in services.iter().zip(&others) {
        assert_eq!(&ids(&project, service), before, "{service} was not rolled");
    }
    assert_eq!(watching.terminate(), 0);
    let log = watching.log();
    assert!(log.contains("orders: 1 file changed, rebuilding"), "{log}");
    for service in services {
        assert!(
            !log.contains(&format!("{service}: 1 file changed, rebuilding")),
            "{log}"
        );
    }
    project.msctl_ok(&["down", "--volumes"]);
    drop(guard);
}

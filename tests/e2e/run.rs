//! `msctl run` on the real engine: a one-off container of a service, its dependencies
//! healthy first, its exit code passed through, never counted as a replica, removed by
//! `down`.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use msctl::engine::Engine;
use msctl::plan::labels;

use super::support::{block_on, engine, test_image, TestProject};

/// `app` depends on `db` being healthy; both sleep.
fn project(hint: &str) -> TestProject {
    let image = test_image();
    TestProject::new(
        hint,
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sleep", "300"]
    init: true
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      start_period: 0s
  app:
    image: {image}
    command: ["sleep", "300"]
    init: true
    restart: always
    environment:
      FROM_MANIFEST: manifest
    depends_on:
      db:
        condition: service_healthy
volumes:
  scratch: {{}}
"#
        ),
    )
}

fn oneoffs(project: &TestProject) -> Vec<msctl::engine::ContainerSummary> {
    project
        .containers()
        .into_iter()
        .filter(|c| c.labels.get(labels::ONEOFF).map(String::as_str) == Some("true"))
        .collect()
}

#[test]
fn run_starts_the_dependencies_healthy_then_passes_the_commands_output_and_exit_code() {
    let project = project("run");
    let (code, stdout, stderr) = project.msctl(&[
        "run",
        "--rm",
        "-e",
        "GREETING=hello",
        "app",
        "sh",
        "-c",
        "echo $GREETING $FROM_MANIFEST; echo to-stderr >&2; exit 3",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(stdout, "hello manifest\n", "{stderr}");
    assert!(stderr.contains("to-stderr"), "{stderr}");
    // The dependency is up and healthy; the service itself has no replica, and `--rm`
    // left no container behind.
    let db = project.replicas("db");
    assert_eq!(db.len(), 1, "{db:?}");
    assert_eq!(db[0].health, msctl::plan::Health::Healthy, "{db:?}");
    assert!(
        project.replicas("app").is_empty(),
        "{:?}",
        project.replicas("app")
    );
}

#[test]
fn run_forwards_standard_input_and_keeps_the_container_until_down() {
    let project = project("run-stdin");
    let mut child = project
        .command(&[
            "run",
            "--no-deps",
            "--volume",
            "scratch:/scratch",
            "app",
            "sh",
            "-c",
            "cat > /scratch/got; cat /scratch/got",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msctl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"line one\nline two\n")
        .expect("write stdin");
    let output = child.wait_with_output().expect("msctl ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "line one\nline two\n"
    );
    // `--no-deps`: db was not started. The one-off stays (no `--rm`), labelled as one,
    // with no replica number, and `ps` does not count it as a replica.
    assert!(project.replicas("db").is_empty());
    let left = oneoffs(&project);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0]
            .name
            .starts_with(&format!("{}-app-run-", project.name())),
        "{}",
        left[0].name
    );
    assert_eq!(left[0].labels.get(labels::REPLICA), None);
    let ps: serde_json::Value =
        serde_json::from_str(&project.msctl_ok(&["ps", "--format", "json"])).expect("json");
    let rows = ps.as_array().map(Vec::len).unwrap_or(usize::MAX);
    assert_eq!(rows, 0, "{ps}");
    // The project's volume was created for it, and `down` removes the one-off.
    assert!(project
        .volumes()
        .iter()
        .any(|v| v.name == format!("{}_scratch", project.name())));
    project.msctl_ok(&["down"]);
    assert!(oneoffs(&project).is_empty());
}

#[test]
fn run_detached_prints_the_name_and_the_control_plane_never_counts_it() {
    let project = project("run-detach");
    let name = format!("{}-migrate", project.name());
    let out = project.msctl_ok(&[
        "run",
        "-d",
        "--no-deps",
        "--name",
        &name,
        "--entrypoint",
        "sleep",
        "app",
        "300",
    ]);
    assert_eq!(out.trim(), name);
    let left = oneoffs(&project);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name, name);
    let details =
        block_on(engine().client().inspect_container(&left[0].id, None)).expect("inspect");
    let config = details.config.expect("config");
    assert_eq!(config.entrypoint, Some(vec!["sleep".to_string()]));
    assert_eq!(config.cmd, Some(vec!["300".to_string()]));
    // The service restarts always; its one-off never does.
    let policy = details
        .host_config
        .and_then(|h| h.restart_policy)
        .and_then(|r| r.name)
        .map(|n| n.to_string())
        .unwrap_or_default();
    assert!(policy.is_empty() || policy == "no", "{policy}");
    // `-d --rm`: the engine removes the container once its command ends.
    let gone = project.msctl_ok(&["run", "-d", "--rm", "--no-deps", "app", "true"]);
    let gone = gone.trim().to_string();
    project.wait_for("the engine to remove it", Duration::from_secs(10), || {
        oneoffs(&project).iter().all(|c| c.name != gone)
    });
    // The same name again is refused, saying why.
    let (code, _, stderr) = project.msctl(&["run", "-d", "--no-deps", "--name", &name, "app"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot create container `{name}`")),
        "{stderr}"
    );
    assert!(stderr.contains("--name"), "{stderr}");
}

#[test]
fn run_refuses_an_unknown_service_and_a_missing_host_path_saying_why() {
    let project = project("run-bad");
    let (code, _, stderr) = project.msctl(&["run", "ap", "true"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`ap` is not a service of project"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `app`?"), "{stderr}");

    let (code, _, stderr) = project.msctl(&[
        "run",
        "--no-deps",
        "--volume",
        "./missing:/data",
        "app",
        "true",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("--volume `./missing:/data`: host path"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: bind an existing file or directory"),
        "{stderr}"
    );
    // Nothing was created by either.
    assert!(
        project.containers().is_empty(),
        "{:?}",
        project.containers()
    );
}

#[test]
fn the_control_plane_never_heals_or_counts_a_oneoff_container() {
    use super::control::{events, healing, ControlPlaneGuard};

    let project = TestProject::new(
        "run-heal",
        &format!("services:\n{}", super::support::httpd_service("web", "")),
    );
    let _guard = ControlPlaneGuard::new(&project);
    let up = healing(&project, &["up"]).output().expect("msctl up");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    project.wait_for(
        "the control plane to adopt the project",
        Duration::from_secs(10),
        || events(&project).iter().any(|e| e.kind == "adopted"),
    );

    let out = project.msctl_ok(&["run", "-d", "--no-deps", "web", "sleep", "300"]);
    let name = out.trim().to_string();
    let oneoff = oneoffs(&project).remove(0);
    assert_eq!(oneoff.name, name);
    block_on(engine().kill_container(&oneoff.id, "SIGKILL")).expect("kill");
    // Several of the control plane's rounds (one a second): the one-off stays dead and
    // alone, the service keeps its one replica, and nothing was recorded about it.
    std::thread::sleep(Duration::from_secs(4));
    let left = oneoffs(&project);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].id, oneoff.id);
    assert!(
        matches!(left[0].state, msctl::plan::ContainerState::Exited { .. }),
        "{:?}",
        left[0].state
    );
    let replicas: Vec<_> = project
        .replicas("web")
        .into_iter()
        .filter(|c| !c.labels.contains_key(labels::ONEOFF))
        .collect();
    assert_eq!(replicas.len(), 1, "{replicas:?}");
    let about: Vec<_> = events(&project)
        .into_iter()
        .filter(|e| e.message.contains(&name) || e.replica.contains("run"))
        .collect();
    assert!(about.is_empty(), "{about:?}");
}

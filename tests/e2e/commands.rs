//! The everyday Compose commands beyond up and down (issue 18) against the real engine:
//! each one's main behaviour, and a bad input refused with a clear error and exit 1.

use msctl::engine::Engine;

use super::support::{engine, test_image, TestProject};

fn sleeper(hint: &str, services: &[&str]) -> TestProject {
    let mut yaml = String::from("services:\n");
    for service in services {
        yaml.push_str(&format!(
            "  {service}:\n    image: {image}\n    command: [\"sleep\", \"300\"]\n    init: true\n",
            image = test_image()
        ));
    }
    TestProject::new(hint, &yaml)
}

/// Runs `args` with DOCKER_HOST at a socket that does not exist, asserts exit 1 with
/// the reason and a hint on stderr, and returns stdout.
fn fails_without_an_engine(project: &TestProject, args: &[&str]) -> String {
    let output = project
        .command(args)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .expect("msctl runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the Docker engine at unix:///nonexistent/docker.sock"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What `docker version` says of the engine: (version, newest API version).
fn docker_server_version() -> (String, String) {
    let output = std::process::Command::new("docker")
        .args([
            "version",
            "--format",
            "{{.Server.Version}} {{.Server.APIVersion}}",
        ])
        .output()
        .expect("docker runs");
    let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let (version, api) = text.split_once(' ').expect("two words");
    (version.to_string(), api.to_string())
}

#[test]
fn version_names_msctl_the_engine_and_the_api_version_they_speak() {
    let project = sleeper("version", &["app"]);
    let (engine_version, engine_api) = docker_server_version();
    let negotiated = engine().api_version().to_string();

    let text = project.msctl_ok(&["version"]);
    assert!(
        text.starts_with(&format!("msctl:  {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains(&format!("engine: Docker {engine_version} (linux/")),
        "{text}"
    );
    assert!(
        text.contains(&format!("api:    {negotiated} (the engine speaks ")),
        "{text}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&project.msctl_ok(&["version", "--format", "json"])).expect("json");
    assert_eq!(json["client"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["engine"]["version"], engine_version.as_str());
    assert_eq!(json["engine"]["api_version"], engine_api.as_str());
    assert_eq!(json["api_version"], negotiated.as_str());

    assert_eq!(
        project.msctl_ok(&["version", "--short"]),
        format!("{}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn version_without_an_engine_prints_msctls_own_and_says_why_it_fails() {
    let project = sleeper("version-no-engine", &["app"]);
    let stdout = fails_without_an_engine(&project, &["version"]);
    assert_eq!(stdout, format!("msctl:  {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn top_lists_the_processes_of_each_running_container_of_the_services_named() {
    let project = sleeper("top", &["app", "db"]);
    project.start_replica("app", 1);
    project.start_replica("app", 2);
    project.start_replica("db", 1);

    let text = project.msctl_ok(&["top", "app"]);
    let headers: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with(project.name()))
        .collect();
    assert_eq!(
        headers,
        [
            format!("{}-app-1", project.name()),
            format!("{}-app-2", project.name())
        ],
        "{text}"
    );
    // Each replica's `sleep` (under the init, whose own command line names it too).
    assert_eq!(
        text.lines().filter(|l| l.ends_with("  sleep 300")).count(),
        2,
        "{text}"
    );
    assert!(
        text.lines().nth(1).expect("a title line").contains("PID"),
        "{text}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&project.msctl_ok(&["top", "--format", "json"])).expect("json");
    let listed = json.as_array().expect("an array");
    let services: Vec<(&str, u64)> = listed
        .iter()
        .map(|c| {
            (
                c["service"].as_str().expect("a service"),
                c["replica"].as_u64().expect("a replica"),
            )
        })
        .collect();
    assert_eq!(services, [("app", 1), ("app", 2), ("db", 1)]);
    for container in listed {
        let commands: Vec<&str> = container["processes"]
            .as_array()
            .expect("processes")
            .iter()
            .filter_map(|p| p["CMD"].as_str())
            .collect();
        assert!(
            commands.iter().any(|c| c.contains("sleep 300")),
            "{container}"
        );
    }
}

#[test]
fn top_of_an_unknown_service_or_of_one_with_nothing_running_fails_clearly() {
    let project = sleeper("top-bad", &["app"]);
    let (code, _, stderr) = project.msctl(&["top", "nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "`nope` is not a service of project `{}`",
            project.name()
        )),
        "{stderr}"
    );

    let (code, stdout, stderr) = project.msctl(&["top", "app"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("no container of `app` is running"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: `msctl ps -a`"), "{stderr}");
}

fn docker_port(container: &str, port: &str) -> String {
    let output = std::process::Command::new("docker")
        .args(["port", container, port])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn port_prints_where_a_container_port_is_published_and_the_ingress_address_for_an_ingress_port() {
    let ingress_port = super::support::free_port();
    let project = TestProject::new(
        "port",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "300"]
    init: true
    ports: ["80", "53/udp"]
  api:
    image: {image}
    command: ["sleep", "300"]
    init: true
    ports:
      - target: 8080
        published: {ingress_port}
        host_ip: 127.0.0.1
        mode: ingress
"#,
            image = test_image()
        ),
    );
    project.start_replica("app", 1);
    let container = format!("{}-app-1", project.name());

    let tcp = project.msctl_ok(&["port", "app", "80"]);
    assert_eq!(tcp, format!("{}\n", docker_port(&container, "80/tcp")));
    assert!(tcp.starts_with("0.0.0.0:"), "{tcp}");
    let udp = project.msctl_ok(&["port", "--protocol", "udp", "app", "53"]);
    assert_eq!(udp, format!("{}\n", docker_port(&container, "53/udp")));

    // No container binds an ingress port: the control plane listens on it.
    assert_eq!(
        project.msctl_ok(&["port", "api", "8080"]),
        format!("127.0.0.1:{ingress_port}\n")
    );
}

#[test]
fn port_of_a_port_not_published_or_a_missing_replica_fails_clearly() {
    let project = TestProject::new(
        "port-bad",
        &format!(
            "services:\n  app:\n    image: {image}\n    command: [\"sleep\", \"300\"]\n    init: true\n    ports: [\"80\"]\n",
            image = test_image()
        ),
    );
    project.start_replica("app", 1);

    let (code, stdout, stderr) = project.msctl(&["port", "app", "81"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "replica `{}-app-1` of service `app` does not publish port 81/tcp",
            project.name()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: it publishes: 0.0.0.0:"), "{stderr}");

    let (code, _, stderr) = project.msctl(&["port", "--index", "2", "app", "80"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("service `app` has no replica 2"),
        "{stderr}"
    );

    let (code, _, stderr) = project.msctl(&["port", "nope", "80"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
}

/// The image id Docker gives `reference`, without `sha256:`.
fn docker_image_id(reference: &str) -> String {
    let output = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", reference])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .trim_start_matches("sha256:")
        .to_string()
}

#[test]
fn images_lists_each_containers_image_with_its_id_and_size() {
    let project = sleeper("images", &["app", "db"]);
    project.start_replica("app", 1);
    project.start_replica("app", 2);
    project.start_replica("db", 1);
    let id = docker_image_id(test_image());
    let (repository, tag) = test_image().rsplit_once(':').expect("a tagged test image");

    let text = project.msctl_ok(&["images"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("CONTAINER "), "{text}");
    for (line, replica) in lines[1..].iter().zip(["app-1", "app-2", "db-1"]) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            fields[..4],
            [
                format!("{}-{replica}", project.name()).as_str(),
                repository,
                tag,
                &id[..12]
            ],
            "{text}"
        );
        assert_eq!(fields[5], "MB", "{text}");
    }

    let json: serde_json::Value =
        serde_json::from_str(&project.msctl_ok(&["images", "--format", "json", "db"]))
            .expect("json");
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["service"], "db");
    assert_eq!(rows[0]["replica"], 1);
    assert_eq!(rows[0]["id"], &id[..12]);
    assert!(
        rows[0]["size"].as_u64().expect("a size") > 100_000,
        "{json}"
    );

    // The one image, once.
    assert_eq!(
        project.msctl_ok(&["images", "--ids"]),
        format!("{}\n", &id[..12])
    );
}

#[test]
fn images_of_an_unknown_service_fails_clearly() {
    let project = sleeper("images-bad", &["app"]);
    let (code, stdout, stderr) = project.msctl(&["images", "nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
    assert!(stderr.contains("hint: the services are: app"), "{stderr}");
}

#[test]
fn port_without_a_port_lists_every_mapping_the_ingress_first() {
    let ingress_port = super::support::free_port();
    let project = TestProject::new(
        "port-all",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "300"]
    init: true
    ports:
      - "81"
      - target: 8080
        published: {ingress_port}
        host_ip: 127.0.0.1
        mode: ingress
"#,
            image = test_image()
        ),
    );
    project.start_replica("app", 1);
    let bound = docker_port(&format!("{}-app-1", project.name()), "81/tcp");
    let text = project.msctl_ok(&["port", "app"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            format!("8080/tcp -> 127.0.0.1:{ingress_port} (ingress)").as_str(),
            format!("81/tcp -> {bound}").as_str()
        ],
        "{text}"
    );
}

/// `ls --format json`'s row of `project`, if listed.
fn ls_row(json: &serde_json::Value, project: &str) -> Option<serde_json::Value> {
    json.as_array()
        .expect("an array")
        .iter()
        .find(|row| row["name"] == project)
        .cloned()
}

#[test]
fn ls_lists_the_projects_on_the_engine_with_their_state_self_heal_and_files() {
    let up = sleeper("ls-up", &["app"]);
    up.msctl_ok(&["up", "--detach"]);
    let other = sleeper("ls-other", &["app", "db"]);
    other.start_replica("app", 1);
    let stopped = sleeper("ls-stopped", &["app"]);
    let id = stopped.start_replica("app", 1);
    let status = std::process::Command::new("docker")
        .args(["stop", "-t", "0", &id])
        .output()
        .expect("docker runs");
    assert!(status.status.success());

    let json: serde_json::Value =
        serde_json::from_str(&up.msctl_ok(&["ls", "--format", "json"])).expect("json");
    let row = ls_row(&json, up.name()).expect("the project brought up is listed");
    assert_eq!(row["status"], "running(1)");
    // `up` ran with MSCTL_SELF_HEAL=0, from compose.yaml in the project's directory.
    assert_eq!(row["self_heal"], "off");
    assert_eq!(
        row["config_files"],
        serde_json::json!([up.dir().join("compose.yaml").display().to_string()])
    );
    let row = ls_row(&json, other.name()).expect("another state directory's project");
    assert_eq!(row["status"], "running(1)");
    assert_eq!(row["self_heal"], serde_json::Value::Null);
    assert_eq!(row["config_files"], serde_json::json!([]));
    assert!(ls_row(&json, stopped.name()).is_none(), "{json}");

    let all: serde_json::Value =
        serde_json::from_str(&up.msctl_ok(&["ls", "-a", "--format", "json"])).expect("json");
    let row = ls_row(&all, stopped.name()).expect("-a lists a stopped project");
    assert_eq!(row["status"], "exited(1)");

    let table = up.msctl_ok(&["ls"]);
    let line = table
        .lines()
        .find(|l| l.starts_with(&format!("{} ", up.name())))
        .expect("a line for the project");
    // Columns by field: another project's wider STATUS (`exited(1), running(5)`) moves
    // where this row's columns start.
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[1..3], ["running(1)", "off"], "{table}");
    assert!(table.starts_with("NAME "), "{table}");
    let names = up.msctl_ok(&["-q", "ls"]);
    assert!(names.lines().any(|l| l == up.name()), "{names}");
}

#[test]
fn ls_without_an_engine_fails_clearly() {
    let project = sleeper("ls-no-engine", &["app"]);
    assert_eq!(fails_without_an_engine(&project, &["ls"]), "");
}

/// The states of `service`'s replicas, by replica number.
fn states(project: &TestProject, service: &str) -> Vec<msctl::plan::ContainerState> {
    project
        .replicas(service)
        .into_iter()
        .map(|c| c.state)
        .collect()
}

/// `ps --format json`'s `service:held` of each replica, `service:` for `null`.
fn held_in_ps(project: &TestProject) -> Vec<String> {
    let json: serde_json::Value =
        serde_json::from_str(&project.msctl_ok(&["ps", "--format", "json"])).expect("json");
    json.as_array()
        .expect("an array")
        .iter()
        .map(|row| {
            format!(
                "{}:{}",
                row["service"].as_str().unwrap_or_default(),
                row["held"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn stop_start_and_kill_act_on_the_services_named_only() {
    use msctl::plan::ContainerState::{Exited, Running};
    let project = sleeper("stop-start", &["app", "db"]);
    project.msctl_ok(&["up"]);
    project.msctl_ok(&["scale", "app=2"]);

    let (code, _, stderr) = project.msctl(&["stop", "-t", "1", "app"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("stopped container {}-app-2", project.name())),
        "{stderr}"
    );
    assert!(
        states(&project, "app")
            .iter()
            .all(|s| matches!(s, Exited { .. })),
        "{:?}",
        states(&project, "app")
    );
    assert_eq!(states(&project, "db"), [Running]);
    // `ps` shows a held service's stopped replicas without `-a`, saying why.
    let ps = project.msctl_ok(&["ps"]);
    let app_lines: Vec<&str> = ps.lines().filter(|l| l.contains("-app-")).collect();
    assert_eq!(app_lines.len(), 2, "{ps}");
    assert!(
        app_lines.iter().all(|l| l.contains("stopped on purpose")),
        "{ps}"
    );
    assert_eq!(held_in_ps(&project), ["app:stopped", "app:stopped", "db:"]);

    project.msctl_ok(&["start", "--wait", "app"]);
    assert_eq!(states(&project, "app"), [Running, Running]);
    assert_eq!(held_in_ps(&project), ["app:", "app:", "db:"]);

    project.msctl_ok(&["kill", "db"]);
    assert_eq!(states(&project, "db"), [Exited { code: 137 }]);
    assert_eq!(states(&project, "app"), [Running, Running]);
    // `start` with no service starts every stopped replica.
    project.msctl_ok(&["start"]);
    assert_eq!(states(&project, "db"), [Running]);
}

#[test]
fn stop_start_or_kill_of_an_unknown_service_fails_clearly_and_changes_nothing() {
    use msctl::plan::ContainerState::Running;
    let project = sleeper("stop-bad", &["app"]);
    project.msctl_ok(&["up"]);
    for command in ["stop", "start", "kill"] {
        let (code, _, stderr) = project.msctl(&[command, "app", "nope"]);
        assert_eq!(code, 1, "{command}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "`nope` is not a service of project `{}`",
                project.name()
            )),
            "{command}: {stderr}"
        );
        assert_eq!(states(&project, "app"), [Running], "{command}");
    }
}

#[test]
fn the_control_plane_leaves_a_stopped_service_stopped_until_start() {
    use msctl::plan::ContainerState::Running;
    use std::time::Duration;
    let project = sleeper("stop-heal", &["app", "db"]);
    let _guard = super::control::ControlPlaneGuard::new(&project);
    let run = |args: &[&str]| {
        let output = super::control::healing(&project, args)
            .output()
            .expect("msctl runs");
        assert!(
            output.status.success(),
            "msctl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    run(&["up"]);
    let adopted = |kind: &str, service: &str| {
        super::control::events(&project)
            .iter()
            .any(|e| e.kind == kind && e.service == service)
    };
    project.wait_for(
        "the control plane to adopt the project",
        Duration::from_secs(10),
        || adopted("adopted", ""),
    );

    run(&["stop", "-t", "1", "app"]);
    assert!(
        adopted("stopped", "app"),
        "{:?}",
        super::control::events(&project)
    );
    // Healing still works for the others: a killed db replica comes back.
    let db = project.replicas("db").remove(0);
    kill_and_wait_for_healing(&project, "db", &db.id);
    // Several resyncs later (1 s each), app is still stopped.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !states(&project, "app").contains(&Running),
        "{:?}",
        states(&project, "app")
    );
    assert!(!adopted("died", "app"), "a stop is no failure");

    run(&["start", "--wait", "app"]);
    assert_eq!(states(&project, "app"), [Running]);
    // Released: a killed app replica is healed again.
    let app = project.replicas("app").remove(0);
    kill_and_wait_for_healing(&project, "app", &app.id);
}

/// Kills `container_id` and waits until the control plane has `service` running again:
/// a replica that started after the kill.
fn kill_and_wait_for_healing(project: &TestProject, service: &str, container_id: &str) {
    use std::time::Duration;
    let before = project.inspect(container_id).started_at;
    super::support::block_on(engine().kill_container(container_id, "SIGKILL")).expect("kill");
    project.wait_for(
        &format!("{service} healed"),
        Duration::from_secs(10),
        || {
            project.replicas(service).iter().any(|c| {
                c.state == msctl::plan::ContainerState::Running
                    && (c.id != container_id || project.inspect(&c.id).started_at != before)
            })
        },
    );
}

#[test]
fn pause_freezes_the_replicas_named_and_unpause_thaws_them() {
    use msctl::plan::ContainerState::{Paused, Running};
    let project = sleeper("pause", &["app", "db"]);
    project.msctl_ok(&["up"]);

    let (code, _, stderr) = project.msctl(&["pause", "app"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("paused container {}-app-1", project.name())),
        "{stderr}"
    );
    assert_eq!(states(&project, "app"), [Paused]);
    assert_eq!(states(&project, "db"), [Running]);
    assert_eq!(held_in_ps(&project), ["app:paused", "db:"]);
    let ps = project.msctl_ok(&["ps"]);
    assert!(
        ps.contains("paused on purpose: `msctl unpause` resumes it"),
        "{ps}"
    );

    project.msctl_ok(&["unpause"]);
    assert_eq!(states(&project, "app"), [Running]);
    assert_eq!(held_in_ps(&project), ["app:", "db:"]);

    let (code, _, stderr) = project.msctl(&["pause", "nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
    assert_eq!(states(&project, "app"), [Running]);
}

#[test]
fn start_leaves_a_paused_service_paused_and_unpause_leaves_a_stopped_one_stopped() {
    use msctl::plan::ContainerState::{Exited, Paused, Running};
    let project = sleeper("pause-start", &["app", "db"]);
    project.msctl_ok(&["up"]);
    project.msctl_ok(&["pause", "app"]);
    project.msctl_ok(&["stop", "-t", "1", "db"]);

    // `start` resumes what stop held, and no more.
    project.msctl_ok(&["start"]);
    assert_eq!(states(&project, "app"), [Paused]);
    assert_eq!(states(&project, "db"), [Running]);
    assert_eq!(held_in_ps(&project), ["app:paused", "db:"]);

    // `unpause` thaws what pause held, and no more.
    project.msctl_ok(&["stop", "-t", "1", "db"]);
    project.msctl_ok(&["unpause"]);
    assert_eq!(states(&project, "app"), [Running]);
    assert!(matches!(states(&project, "db")[..], [Exited { .. }]));
    assert_eq!(held_in_ps(&project), ["app:", "db:stopped"]);
}

//! `up`, `scale`, `ps`, `restart` and `down` against the real engine: one intent per
//! test, state asserted through the engine first, output text last.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use msctl::engine::parse_rfc3339_nanos;
use msctl::plan::{ContainerState, Health};

use super::support::{httpd_service, test_image, TestProject};

/// Container name -> id, for "was it recreated?" checks.
fn ids(project: &TestProject) -> BTreeMap<String, String> {
    project
        .containers()
        .into_iter()
        .map(|c| (c.name, c.id))
        .collect()
}

fn started_nanos(project: &TestProject, container_id: &str) -> i64 {
    let details = project.inspect(container_id);
    let started = details.started_at.expect("started");
    parse_rfc3339_nanos(&started).expect("RFC 3339 start time")
}

fn two_services(web_extra: &str) -> String {
    format!(
        "services:\n{}{}",
        httpd_service("db", ""),
        httpd_service(
            "web",
            &format!("    depends_on:\n      db: {{condition: service_healthy}}\n{web_extra}")
        )
    )
}

#[test]
fn up_starts_a_dependant_only_after_its_dependency_is_healthy() {
    let yaml = format!(
        r#"services:
  db:
    image: {image}
    command: ["sh", "-c", "sleep 2; exec httpd -f -p 8080 -h /"]
    init: true
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 300ms
      timeout: 1s
      retries: 20
{web}"#,
        image = test_image(),
        web = httpd_service(
            "web",
            "    depends_on:\n      db: {condition: service_healthy}\n"
        )
    );
    let project = TestProject::new("up-order", &yaml);
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    let db = project.replicas("db").remove(0);
    let web = project.replicas("web").remove(0);
    assert_eq!(project.inspect(&db.id).summary.health, Health::Healthy);
    let gap = started_nanos(&project, &web.id) - started_nanos(&project, &db.id);
    assert!(
        gap >= 2_000_000_000,
        "web started {gap} ns after db, before db could be healthy"
    );
    // up returned only once every replica was ready.
    assert_eq!(project.inspect(&web.id).summary.health, Health::Healthy);
    assert!(stderr.contains("web-1: ready after"), "{stderr}");
}

#[test]
fn a_second_up_with_nothing_changed_touches_nothing_and_says_so() {
    let project = TestProject::new("up-idempotent", &two_services(""));
    project.msctl_ok(&["up"]);
    let before = ids(&project);
    let started: Vec<i64> = before
        .values()
        .map(|id| started_nanos(&project, id))
        .collect();
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(ids(&project), before);
    let again: Vec<i64> = before
        .values()
        .map(|id| started_nanos(&project, id))
        .collect();
    assert_eq!(again, started, "no replica was restarted");
    assert!(stderr.contains("is up to date: nothing to do"), "{stderr}");
}

#[test]
fn a_changed_service_has_only_its_replicas_replaced() {
    let project = TestProject::new("up-change", &two_services("    deploy: {replicas: 2}\n"));
    project.msctl_ok(&["up"]);
    let before = ids(&project);
    project.write_compose(&two_services(
        "    deploy: {replicas: 2}\n    environment: {COLOR: blue}\n",
    ));
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    let after = ids(&project);
    let db = format!("{}-db-1", project.name());
    assert_eq!(after.get(&db), before.get(&db), "db untouched");
    for n in 1..=2 {
        let web = format!("{}-web-{n}", project.name());
        assert!(after.contains_key(&web));
        assert_ne!(after.get(&web), before.get(&web), "{web} replaced");
    }
    assert!(stderr.contains("config changed"), "{stderr}");
}

#[test]
fn scale_up_and_down_never_recreates_replicas_it_keeps() {
    let project = TestProject::new("scale", &two_services(""));
    project.msctl_ok(&["up"]);
    let before = ids(&project);
    let (code, _, stderr) = project.msctl(&["scale", "web=3"]);
    assert_eq!(code, 0, "{stderr}");
    let up = ids(&project);
    assert_eq!(up.len(), 4);
    for name in before.keys() {
        assert_eq!(up.get(name), before.get(name), "{name} kept as it was");
    }
    for replica in project.replicas("web") {
        assert_eq!(
            project.inspect(&replica.id).summary.health,
            Health::Healthy,
            "scale waited for {}",
            replica.name
        );
    }
    let (code, _, stderr) = project.msctl(&["scale", "web=1"]);
    assert_eq!(code, 0, "{stderr}");
    let down = ids(&project);
    assert_eq!(
        down, before,
        "the highest-numbered replicas went, the rest stayed"
    );
}

#[test]
fn a_scaled_count_survives_up_until_the_manifest_count_changes() {
    let project = TestProject::new("scale-persist", &two_services(""));
    project.msctl_ok(&["up"]);
    project.msctl_ok(&["scale", "web=2"]);
    project.msctl_ok(&["up"]);
    assert_eq!(
        project.replicas("web").len(),
        2,
        "up keeps the scaled count"
    );
    project.msctl_ok(&["up", "--reset-scale"]);
    assert_eq!(
        project.replicas("web").len(),
        1,
        "--reset-scale returns to the manifest"
    );
    project.msctl_ok(&["scale", "web=2"]);
    project.write_compose(&two_services("    deploy: {replicas: 3}\n"));
    project.msctl_ok(&["up"]);
    assert_eq!(
        project.replicas("web").len(),
        3,
        "a new manifest count wins"
    );
}

#[test]
fn down_removes_only_this_project() {
    let ours = TestProject::new("down-ours", &two_services(""));
    let theirs = TestProject::new("down-theirs", &two_services(""));
    ours.msctl_ok(&["up"]);
    theirs.msctl_ok(&["up", "--detach"]);
    // A container without msctl's labels, named as if it were one of ours.
    let stranger = format!("{}-web-9", ours.name());
    let created = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &stranger,
            test_image(),
            "sleep",
            "300",
        ])
        .output()
        .expect("docker run");
    assert!(created.status.success(), "{created:?}");
    let theirs_before = ids(&theirs);

    let (code, _, stderr) = ours.msctl(&["down"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(ours.containers().is_empty());
    assert!(ours.networks().is_empty());
    assert_eq!(ids(&theirs), theirs_before);
    let inspect = Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", &stranger])
        .output()
        .expect("docker inspect");
    let _ = Command::new("docker")
        .args(["rm", "-f", &stranger])
        .output();
    assert_eq!(String::from_utf8_lossy(&inspect.stdout).trim(), "true");
}

/// Removes a container `docker run` made when the test ends, passed or failed.
struct Stranger(String);

impl Drop for Stranger {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

#[test]
fn down_names_a_stranger_on_a_project_network_and_finishes_once_it_left() {
    let project = TestProject::new(
        "down-stranger",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    project.msctl_ok(&["up"]);
    let network = format!("{}_default", project.name());
    let stranger = Stranger(format!("{}-debugger", project.name()));
    let created = Command::new("docker")
        .args(["run", "-d", "--name", &stranger.0, "--network", &network])
        .args([test_image(), "sleep", "300"])
        .output()
        .expect("docker run");
    assert!(created.status.success(), "{created:?}");

    let (code, _, stderr) = project.msctl(&["down"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("is still used by `{}`", stranger.0)),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "docker network disconnect {network} {}",
            stranger.0
        )),
        "{stderr}"
    );
    assert!(
        project.containers().is_empty(),
        "the project's replicas are gone"
    );
    let kept: Vec<String> = project.networks().into_iter().map(|n| n.name).collect();
    assert_eq!(
        kept,
        vec![network.as_str()],
        "only the network in use stays"
    );

    let left = Command::new("docker")
        .args(["network", "disconnect", &network, &stranger.0])
        .output()
        .expect("docker network disconnect");
    assert!(left.status.success(), "{left:?}");
    project.msctl_ok(&["down"]);
    assert!(project.networks().is_empty());
    let running = Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", &stranger.0])
        .output()
        .expect("docker inspect");
    assert_eq!(
        String::from_utf8_lossy(&running.stdout).trim(),
        "true",
        "down leaves what is not the project's alone"
    );
}

#[test]
fn down_keeps_volumes_unless_asked() {
    let yaml = format!(
        "services:\n{}volumes:\n  data: {{}}\n",
        httpd_service("web", "    volumes: [data:/data]\n")
    );
    let project = TestProject::new("down-volumes", &yaml);
    project.msctl_ok(&["up"]);
    assert_eq!(project.volumes().len(), 1);
    project.msctl_ok(&["down"]);
    assert_eq!(project.volumes().len(), 1, "data survives a plain down");
    project.msctl_ok(&["down", "-v"]);
    assert!(project.volumes().is_empty());
}

#[test]
fn a_failing_health_check_makes_up_exit_1_naming_the_replica_and_why() {
    let yaml = format!(
        r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "echo starting web; exec httpd -f -p 8080 -h /"]
    init: true
    healthcheck:
      test: ["CMD", "sh", "-c", "echo database unreachable; exit 1"]
      interval: 300ms
      timeout: 1s
      retries: 2
"#,
        image = test_image()
    );
    let project = TestProject::new("up-unhealthy", &yaml);
    let (code, stdout, stderr) = project.msctl(&["up", "--timeout", "60"]);
    assert_eq!(code, 1, "{stderr}");
    let web = project.replicas("web").remove(0);
    assert_eq!(project.inspect(&web.id).summary.health, Health::Unhealthy);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "replica `{}-web-1` of service `web` is not ready: unhealthy",
            project.name()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("last health check: database unreachable"),
        "{stderr}"
    );
    assert!(stderr.contains("starting web"), "last log lines: {stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn ctrl_c_during_up_exits_130_and_the_next_up_converges() {
    let yaml = format!(
        r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "sleep 3; exec httpd -f -p 8080 -h /"]
    init: true
    deploy: {{replicas: 3}}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 300ms
      timeout: 1s
      retries: 30
"#,
        image = test_image()
    );
    let project = TestProject::new("up-interrupt", &yaml);
    let child = project.spawn(&["up"]);
    project.wait_for("a replica to exist", Duration::from_secs(30), || {
        !project.containers().is_empty()
    });
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let output = child.wait_with_output().expect("up ends");
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("interrupted"));

    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    let replicas = project.replicas("web");
    assert_eq!(replicas.len(), 3);
    for replica in replicas {
        let details = project.inspect(&replica.id);
        assert_eq!(details.summary.state, ContainerState::Running);
        assert_eq!(details.summary.health, Health::Healthy);
    }
}

#[test]
fn ps_json_follows_its_documented_schema() {
    let project = TestProject::new(
        "ps-json",
        &two_services("    deploy: {replicas: 2}\n    ports: [\"127.0.0.1::8080\"]\n"),
    );
    project.msctl_ok(&["up"]);
    let stdout = project.msctl_ok(&["ps", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ps.schema.json"))
            .expect("schema"),
    )
    .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&rows)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{stdout}");
    let order: Vec<(String, u64)> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["service"].as_str().unwrap_or("").to_string(),
                r["replica"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("db".to_string(), 1),
            ("web".to_string(), 1),
            ("web".to_string(), 2)
        ]
    );
    assert!(
        rows[1]["ports"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("127.0.0.1:"),
        "{stdout}"
    );
    assert_eq!(rows[1]["health"], "healthy");
    // From one listing, what an inspect says: the same ports, created the same second.
    let id = rows[1]["id"].as_str().expect("an id");
    let inspected = project.inspect(id);
    let listed: Vec<String> = rows[1]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(listed, inspected.ports, "{stdout}");
    let created = rows[1]["created"].as_str().expect("created");
    let inspected_created = inspected.created.expect("created");
    assert_eq!(created.get(..19), inspected_created.get(..19), "{stdout}");
    // The table names the same replicas.
    let table = project.msctl_ok(&["ps"]);
    assert!(table.starts_with("NAME"), "{table}");
    assert_eq!(table.lines().count(), 4, "{table}");
}

#[test]
fn restart_takes_replicas_one_at_a_time() {
    let project = TestProject::new(
        "restart",
        &format!(
            "services:\n{}",
            httpd_service("web", "    deploy: {replicas: 2}\n")
        ),
    );
    project.msctl_ok(&["up"]);
    let replicas = project.replicas("web");
    let before: Vec<i64> = replicas
        .iter()
        .map(|r| started_nanos(&project, &r.id))
        .collect();
    let (code, _, stderr) = project.msctl(&["restart", "web"]);
    assert_eq!(code, 0, "{stderr}");
    let after: Vec<i64> = replicas
        .iter()
        .map(|r| started_nanos(&project, &r.id))
        .collect();
    assert!(
        after[0] > before[0] && after[1] > before[1],
        "both restarted"
    );
    // The second stopped only after the first was ready again, so it started later.
    let first_ready = stderr.find("web-1: ready").expect("web-1 ready line");
    let second_restart = stderr.find(&format!("restart container {}-web-2", project.name()));
    assert!(second_restart.is_none_or(|at| at > first_ready), "{stderr}");
    assert!(after[1] > after[0]);
}

#[test]
fn replicas_reach_each_other_by_service_name() {
    let project = TestProject::new("dns", &two_services("    deploy: {replicas: 2}\n"));
    project.msctl_ok(&["up"]);
    let (code, stdout, stderr) = project.msctl(&[
        "exec",
        "-T",
        "web",
        "--",
        "wget",
        "-q",
        "-O-",
        "http://db:8080/index.html",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.is_empty(), "db answered through the engine's DNS");
}

#[test]
fn naming_a_service_brings_up_it_and_what_it_depends_on_only() {
    let yaml = format!("{}{}", two_services(""), httpd_service("admin", ""));
    let project = TestProject::new("up-select", &yaml);
    project.msctl_ok(&["up", "web"]);
    assert_eq!(project.replicas("web").len(), 1);
    assert_eq!(project.replicas("db").len(), 1);
    assert!(project.replicas("admin").is_empty());
}

#[test]
fn a_direct_probe_decides_readiness_and_names_what_failed() {
    let yaml = format!(
        r#"services:
  web:
    image: {image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/"]
    init: true
    x-msctl:
      probe: {{http: {{port: 8080, path: /index.html}}, interval: 50ms}}
  broken:
    image: {image}
    command: ["httpd", "-f", "-p", "8080", "-h", "/"]
    init: true
    x-msctl:
      probe: {{http: {{port: 8080, path: /missing}}, interval: 50ms}}
"#,
        image = test_image()
    );
    let project = TestProject::new("probe", &yaml);
    let (code, _, stderr) = project.msctl(&["up", "web"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("web-1: ready after"), "{stderr}");
    let (code, _, stderr) = project.msctl(&["up", "broken", "--timeout", "3"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("not ready after"), "{stderr}");
    assert!(
        stderr.contains("status 404"),
        "the probe's answer is quoted: {stderr}"
    );
}

#[test]
fn up_builds_what_changed_and_replaces_only_those_replicas() {
    let context = |project: &TestProject, version: &str| {
        std::fs::copy("/bin/busybox", project.dir().join("app/busybox")).expect("busybox");
        project.write_file("app/index.html", version);
        project.write_file(
            "app/Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\nCOPY index.html /index.html\n",
        );
    };
    let yaml = format!(
        r#"services:
  app:
    build: ./app
    command: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/"]
    init: true
    x-msctl:
      probe: {{http: {{port: 8080, path: /index.html}}}}
{db}"#,
        db = httpd_service("db", "")
    );
    let project = TestProject::new("up-build", &yaml);
    project.write_file("app/.keep", "");
    context(&project, "v1");
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    let before = ids(&project);
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        ids(&project),
        before,
        "unchanged inputs: no build, no replacement"
    );
    assert!(stderr.contains("is up to date: nothing to do"), "{stderr}");

    context(&project, "v2");
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    let after = ids(&project);
    let app = format!("{}-app-1", project.name());
    let db = format!("{}-db-1", project.name());
    assert_ne!(
        after.get(&app),
        before.get(&app),
        "rebuilt image, replaced replica"
    );
    assert_eq!(after.get(&db), before.get(&db));
    let (_, page, _) = project.msctl(&[
        "exec",
        "-T",
        "app",
        "--",
        "/bin/busybox",
        "cat",
        "/index.html",
    ]);
    assert_eq!(page, "v2");
    let _ = project.msctl(&["down", "--rmi", "local"]);
}

#[test]
fn down_removes_services_of_every_profile() {
    let yaml = format!(
        "services:\n{}{}",
        httpd_service("web", ""),
        httpd_service("debug", "    profiles: [debug]\n")
    );
    let project = TestProject::new("down-profiles", &yaml);
    project.msctl_ok(&["--profile", "debug", "up"]);
    assert_eq!(project.containers().len(), 2);
    // Without the profile enabled, down still removes everything of the project.
    let (code, _, stderr) = project.msctl(&["down"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(project.containers().is_empty(), "{stderr}");
    assert!(project.networks().is_empty(), "{stderr}");
}

#[test]
fn every_engine_command_says_when_the_engine_cannot_be_reached() {
    let project = TestProject::new("unreachable", &two_services(""));
    for args in [
        &["up"][..],
        &["ps"],
        &["scale", "web=2"],
        &["restart"],
        &["down"],
        &["exec", "web", "--", "true"],
    ] {
        let output = project
            .command(args)
            .env("DOCKER_HOST", "tcp://127.0.0.1:1")
            .output()
            .expect("msctl runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("cannot reach the Docker engine at tcp://127.0.0.1:1: "),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("hint: "), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn up_brings_back_a_replica_that_died() {
    let project = TestProject::new("up-dead", &two_services("    deploy: {replicas: 2}\n"));
    project.msctl_ok(&["up"]);
    let victim = project.replicas("web").remove(0);
    let killed = Command::new("docker")
        .args(["kill", &victim.id])
        .status()
        .expect("docker kill");
    assert!(killed.success());
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    let details = project.inspect(&victim.id);
    assert_eq!(
        details.summary.state,
        ContainerState::Running,
        "the same replica runs again"
    );
    assert_eq!(details.summary.health, Health::Healthy);
    assert_eq!(project.replicas("web").len(), 2);
    assert!(stderr.contains("stopped"), "the plan says why: {stderr}");
}

#[test]
fn a_dry_run_prints_the_replacements_of_a_changed_manifest_and_changes_nothing() {
    let project = TestProject::new("dry-run", &two_services("    deploy:\n      replicas: 2\n"));
    project.msctl_ok(&["up"]);
    let before = ids(&project);
    assert_eq!(before.len(), 3);

    // Nothing changed: an empty plan, exit 0 even with --detailed-exitcode.
    let (code, stdout, stderr) = project.msctl(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "{stderr}");
    assert!(stderr.contains("would change nothing"), "{stderr}");

    // web's command changes and db scales up.
    project.write_compose(&two_services(
        "    deploy:\n      replicas: 2\n    environment: {COLOUR: blue}\n",
    ));
    let (code, stdout, stderr) = project.msctl(&["up", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    let name = project.name();
    assert_eq!(
        stdout,
        format!(
            "recreate container {name}-web-1 (service:web:1, config changed)\n\
             recreate container {name}-web-2 (service:web:2, config changed)\n"
        ),
        "{stderr}"
    );
    assert_eq!(ids(&project), before, "a dry run changes no container");
    let (code, plan_stdout, _) = project.msctl(&["plan", "--detailed-exitcode"]);
    assert_eq!(code, 2, "changes planned");
    assert_eq!(plan_stdout, stdout, "`plan` and `up --dry-run` agree");
    assert_eq!(ids(&project), before);

    // An error is 1, not 2.
    let (code, _, stderr) = project.msctl(&["plan", "--detailed-exitcode", "nosuch"]);
    assert_eq!(code, 1, "{stderr}");
    project.msctl_ok(&["down"]);
}

#[test]
fn ups_and_downs_at_once_share_one_resolver_and_each_up_gets_its_names() {
    // Four projects come up and go down three times each, all at once: every `down` of
    // what is the last project at that moment retires the resolver while other `up`s
    // are starting it or registering with it. Each `up` must still end with its names
    // answered, and each `down` with nothing of its project left.
    let yaml = format!(
        r#"services:
  web:
    image: {image}
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]
      interval: 500ms
      retries: 10
  client:
    image: {image}
    init: true
    command: [sh, -c, "while true; do sleep 1; done"]
"#,
        image = test_image()
    );
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let yaml = &yaml;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for round in 0..3 {
                        let project = TestProject::new(&format!("race{worker}"), yaml);
                        let (code, _, stderr) = project.msctl(&["up", "--no-self-heal"]);
                        if code != 0 {
                            failures.push(format!("{worker}/{round}: up failed:\n{stderr}"));
                            continue;
                        }
                        let web = project.replicas("web").remove(0);
                        let client = project.replicas("client").remove(0);
                        let address = project
                            .inspect(&web.id)
                            .ip_addresses
                            .get(&format!("{}_default", project.name()))
                            .cloned()
                            .expect("an address on the default network");
                        let found = super::control::resolve_from(&client.id, "web");
                        if found != std::collections::BTreeSet::from([address.clone()]) {
                            failures.push(format!(
                                "{worker}/{round}: `web` resolved to {found:?}, not {address}"
                            ));
                        }
                        let (code, _, stderr) = project.msctl(&["down"]);
                        if code != 0 {
                            failures.push(format!("{worker}/{round}: down failed:\n{stderr}"));
                        } else if !project.containers().is_empty() || !project.networks().is_empty()
                        {
                            failures.push(format!("{worker}/{round}: down left something"));
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a worker"))
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

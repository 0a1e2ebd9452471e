//! The commands on a service's containers (issue 18) against the real engine: `wait`,
//! `rm`, `create`, `attach`, `cp` and `stats`, each one's main behaviour and a bad input
//! refused with a clear error and exit 1.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use msctl::plan::ContainerState;

use super::support::{test_image, TestProject};

/// Services running `command` (a shell line), each with `extra` YAML lines.
fn project(hint: &str, services: &[(&str, &str, &str)]) -> TestProject {
    let mut yaml = String::from("services:\n");
    for (service, command, extra) in services {
        yaml.push_str(&format!(
            "  {service}:\n    image: {image}\n    command: [\"sh\", \"-c\", {command:?}]\n    init: true\n{extra}",
            image = test_image()
        ));
    }
    TestProject::new(hint, &yaml)
}

fn state_of(project: &TestProject, service: &str) -> Vec<ContainerState> {
    let mut replicas = project.replicas(service);
    replicas.sort_by(|a, b| a.name.cmp(&b.name));
    replicas.into_iter().map(|c| c.state).collect()
}

#[test]
fn wait_blocks_until_the_services_containers_stop_and_exits_with_the_first_code() {
    let project = project(
        "wait",
        &[("job", "sleep 2; exit 7", ""), ("app", "sleep 300", "")],
    );
    project.start_replica("job", 1);
    project.start_replica("app", 1);
    let (code, _, stderr) = project.msctl(&["wait", "job"]);
    assert_eq!(code, 7, "{stderr}");
    assert!(
        stderr.contains(&format!("container {}-job-1 exited (7)", project.name())),
        "{stderr}"
    );
    // Nothing runs any more to wait for; an unknown service is refused.
    let (code, _, stderr) = project.msctl(&["wait", "job"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("has no container to wait for"), "{stderr}");
    let (code, _, stderr) = project.msctl(&["wait", "jobs"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("did you mean `job`?"), "{stderr}");

    // `--down-project`: the first to stop takes the project down.
    project.msctl_ok(&["start", "job"]);
    let (code, _, stderr) = project.msctl(&["wait", "--down-project", "job", "app"]);
    assert_eq!(code, 7, "{stderr}");
    assert!(
        project.containers().is_empty(),
        "{:?}",
        project.containers()
    );
}

#[test]
fn rm_removes_stopped_containers_only_and_asks_first() {
    let project = project("rm", &[("app", "sleep 300", ""), ("db", "sleep 300", "")]);
    project.start_replica("app", 1);
    project.start_replica("app", 2);
    project.start_replica("db", 1);
    project.msctl_ok(&["stop", "db"]);

    // No terminal to ask on: refused, nothing removed.
    let (code, _, stderr) = project.msctl(&["rm"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("there is no terminal to ask"), "{stderr}");
    assert!(stderr.contains("hint: pass `-f`"), "{stderr}");
    assert_eq!(project.replicas("db").len(), 1);

    let (code, _, stderr) = project.msctl(&["rm", "-f"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("removed container {}-db-1", project.name())),
        "{stderr}"
    );
    assert!(project.replicas("db").is_empty());
    assert_eq!(state_of(&project, "app").len(), 2, "running ones stay");

    // `-s` stops first; `start` creates the service's replica again.
    let (code, _, stderr) = project.msctl(&["rm", "-s", "-f", "app"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stopped container"), "{stderr}");
    assert!(project.replicas("app").is_empty());
    project.msctl_ok(&["start", "app"]);
    assert_eq!(state_of(&project, "app"), [ContainerState::Running]);

    let (code, _, stderr) = project.msctl(&["rm", "-f", "nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
}

#[test]
fn create_makes_replicas_without_starting_them_and_start_starts_them() {
    let project = project(
        "create",
        &[
            ("db", "sleep 300", ""),
            (
                "app",
                "sleep 300",
                "    depends_on: [db]\n    deploy: {replicas: 2}\n",
            ),
        ],
    );
    let (code, _, stderr) = project.msctl(&["create", "app"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        state_of(&project, "app"),
        [ContainerState::Created, ContainerState::Created]
    );
    assert_eq!(state_of(&project, "db"), [ContainerState::Created]);
    // Created again: nothing new.
    project.msctl_ok(&["create", "app"]);
    assert_eq!(project.containers().len(), 3);

    project.msctl_ok(&["start"]);
    assert_eq!(
        state_of(&project, "app"),
        [ContainerState::Running, ContainerState::Running]
    );
    assert_eq!(state_of(&project, "db"), [ContainerState::Running]);

    let (code, _, stderr) = project.msctl(&["create", "nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
}

#[test]
fn attach_follows_a_replicas_output_feeds_its_input_and_exits_with_its_code() {
    let project = project(
        "attach",
        &[
            ("job", "sleep 3; echo finished; exit 4", ""),
            (
                "echo",
                "read line; echo got $$line; exit 0",
                "    stdin_open: true\n",
            ),
        ],
    );
    project.start_replica("job", 1);
    let (code, stdout, stderr) = project.msctl(&["attach", "--index", "1", "job"]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(stdout, "finished\n");

    project.start_replica("echo", 1);
    let mut child = project
        .command(&["attach", "--index", "1", "echo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msctl runs");
    // Attached before the line is sent: the process reads it.
    std::thread::sleep(Duration::from_millis(500));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"hello\n").expect("write");
    let output = child.wait_with_output().expect("msctl ends");
    drop(stdin);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "got hello\n",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The job has ended: there is nothing to attach to.
    let (code, _, stderr) = project.msctl(&["attach", "--index", "1", "job"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("replica 1 of service `job` is not running: exited (4)"),
        "{stderr}"
    );
}

#[test]
fn cp_copies_files_and_directories_both_ways_into_every_replica() {
    let project = project("cp", &[("app", "sleep 300", "")]);
    project.start_replica("app", 1);
    project.start_replica("app", 2);
    project.write_file("notes.txt", "first line\n");
    project.write_file("conf/sub/a.conf", "alpha\n");

    // The test image has no /tmp: a directory that does not exist is refused.
    let (code, _, stderr) = project.msctl(&["cp", "notes.txt", "app:/tmp/"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot copy to `/tmp/`: no such directory"),
        "{stderr}"
    );
    project.msctl_ok(&["cp", "notes.txt", "app:/etc/"]);
    project.msctl_ok(&["cp", "conf", "app:/etc/settings"]);
    for index in ["1", "2"] {
        let text = project.msctl_ok(&[
            "exec",
            "--index",
            index,
            "app",
            "cat",
            "/etc/notes.txt",
            "/etc/settings/sub/a.conf",
        ]);
        assert_eq!(text, "first line\nalpha\n", "replica {index}");
    }

    project.msctl_ok(&[
        "exec",
        "--index",
        "2",
        "app",
        "sh",
        "-c",
        "echo from two > /etc/two.txt",
    ]);
    project.msctl_ok(&["cp", "--index", "2", "app:/etc/two.txt", "back.txt"]);
    assert_eq!(
        std::fs::read_to_string(project.dir().join("back.txt")).expect("copied"),
        "from two\n"
    );
    std::fs::create_dir(project.dir().join("into")).expect("mkdir");
    project.msctl_ok(&["cp", "app:/etc/settings", "into"]);
    assert_eq!(
        std::fs::read_to_string(project.dir().join("into/settings/sub/a.conf")).expect("copied"),
        "alpha\n"
    );

    let (code, _, stderr) = project.msctl(&["cp", "app:/etc/missing", "x"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`/etc/missing` does not exist in container"),
        "{stderr}"
    );
    let (code, _, stderr) = project.msctl(&["cp", "notes.txt", "app:/no/such/dir/x"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("directory `/no/such/dir` does not exist"),
        "{stderr}"
    );
    let (code, _, stderr) = project.msctl(&["cp", "nope:/x", "x"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
}

#[test]
fn stats_prints_each_replicas_figures_as_json_lines_without_a_terminal() {
    let project = project(
        "stats",
        &[("app", "sleep 300", ""), ("db", "sleep 300", "")],
    );
    project.start_replica("app", 1);
    project.start_replica("db", 1);

    let text = project.msctl_ok(&["stats", "--no-stream", "app"]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["name"], format!("{}-app-1", project.name()));
    assert_eq!(lines[0]["service"], "app");
    assert!(lines[0]["pids"].as_u64().expect("pids") >= 1, "{text}");
    assert!(
        lines[0]["memory_bytes"].as_u64().expect("memory") > 0,
        "{text}"
    );
    assert!(
        lines[0]["memory_limit_bytes"].as_u64().expect("limit") > 0,
        "{text}"
    );

    let table = project.msctl_ok(&["stats", "--no-stream", "--format", "table"]);
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[0].starts_with("NAME") && rows[0].contains("MEM USAGE / LIMIT"),
        "{table}"
    );
    assert_eq!(rows.len(), 3, "{table}");

    // Streaming: a new line for each replica every second or so.
    let mut child = project
        .command(&["stats", "db"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("msctl runs");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..2 {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a line");
        let sample: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(sample["service"], "db");
    }
    let _ = child.kill();
    let _ = child.wait();

    let (code, _, stderr) = project.msctl(&["stats", "nope"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`nope` is not a service"), "{stderr}");
}

#[test]
fn a_create_that_fails_before_creating_anything_holds_nothing_back() {
    let project = TestProject::new(
        "create-fail",
        "services:\n  app:\n    image: msctl-no-such-image:1\n    pull_policy: never\n",
    );
    let (code, _, stderr) = project.msctl(&["create"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("msctl-no-such-image:1"), "{stderr}");
    assert!(project.containers().is_empty());
    let held = msctl::state::StateStore::open(&project.state_dir())
        .expect("the state store")
        .held(project.name())
        .expect("held");
    assert!(held.is_empty(), "{held:?}");
}

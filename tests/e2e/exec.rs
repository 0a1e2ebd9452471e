//! `msctl exec` against the real engine: exit codes, output, input, options, and the
//! replica it runs in.

use std::io::Write;
use std::process::Stdio;

use super::support::{test_image, TestProject};

fn sleeper(hint: &str) -> TestProject {
    TestProject::new(
        hint,
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "300"]
    init: true
"#,
            image = test_image()
        ),
    )
}

#[test]
fn exec_exits_with_the_commands_exit_code_and_passes_its_output() {
    let project = sleeper("exec-code");
    project.start_replica("app", 1);

    let (code, stdout, stderr) = project.msctl(&[
        "exec",
        "-T",
        "app",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(stdout, "out\n");
    assert!(stderr.contains("err"), "{stderr}");

    let stdout = project.msctl_ok(&["exec", "-T", "app", "--", "true"]);
    assert_eq!(stdout, "");
}

#[test]
fn exec_sets_environment_user_and_working_directory() {
    let project = sleeper("exec-options");
    project.start_replica("app", 1);
    let stdout = project.msctl_ok(&[
        "exec",
        "-T",
        "-e",
        "GREETING=hi",
        "-u",
        "1234",
        "-w",
        "/bin",
        "app",
        "--",
        "sh",
        "-c",
        "echo $GREETING $(id -u) $(pwd)",
    ]);
    assert_eq!(stdout, "hi 1234 /bin\n");
}

#[test]
fn exec_forwards_standard_input_and_its_end() {
    let project = sleeper("exec-stdin");
    project.start_replica("app", 1);
    let mut child = project
        .command(&["exec", "-T", "app", "--", "sh", "-c", "cat; echo done"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msctl starts");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(b"hello\nworld\n")
        .expect("write stdin");
    // Dropping stdin above closes it: `cat` ends only if the end of input reaches it.
    let output = child.wait_with_output().expect("msctl ends");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "hello\nworld\ndone\n",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn exec_runs_in_the_replica_index_names() {
    let project = sleeper("exec-index");
    project.start_replica("app", 1);
    let second = project.start_replica("app", 2);
    let stdout = project.msctl_ok(&["exec", "-T", "--index", "2", "app", "--", "hostname"]);
    assert_eq!(stdout.trim(), &second[..12]);

    let (code, _, stderr) = project.msctl(&["exec", "-T", "--index", "5", "app", "--", "true"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("service `app` has no replica 5"),
        "{stderr}"
    );
    assert!(
        stderr.contains("its replicas are: 1 (running), 2 (running)"),
        "{stderr}"
    );
}

#[test]
fn exec_in_a_service_without_replicas_or_unknown_fails_clearly() {
    let project = sleeper("exec-missing");
    let (code, stdout, stderr) = project.msctl(&["exec", "-T", "app", "--", "true"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains(&format!(
            "service `app` of project `{}` has no replica",
            project.name()
        )),
        "{stderr}"
    );

    let (code, _, stderr) = project.msctl(&["exec", "-T", "ap", "--", "true"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`ap` is not a service"), "{stderr}");
    assert!(stderr.contains("did you mean `app`?"), "{stderr}");
}

#[test]
fn exec_allocates_a_terminal_when_stdin_is_one_and_not_with_dash_t() {
    let project = sleeper("exec-tty");
    project.start_replica("app", 1);
    // `script` (util-linux) runs msctl on a pseudo-terminal, as a person's shell would.
    let under_terminal = |exec_args: &str| {
        let line = format!(
            "'{}' -p '{}' exec {exec_args} app -- sh -c 'tty; exit 5'",
            env!("CARGO_BIN_EXE_msctl"),
            project.name()
        );
        let mut command = std::process::Command::new("script");
        crate::support::clean_env(&mut command);
        let output = command
            .current_dir(project.dir())
            .env("MSCTL_STATE_DIR", project.state_dir())
            .args(["-qec", &line, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("`script` runs (util-linux)");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let (code, stdout) = under_terminal("");
    assert_eq!(code, Some(5), "{stdout}");
    assert!(stdout.contains("/dev/pts/"), "a terminal inside: {stdout}");
    let (code, stdout) = under_terminal("-T");
    assert_eq!(code, Some(5), "{stdout}");
    assert!(
        stdout.contains("not a tty"),
        "no terminal with -T: {stdout}"
    );
}

#[test]
fn exec_detached_returns_at_once_and_privileged_gets_the_capabilities() {
    let project = sleeper("exec-detach");
    project.start_replica("app", 1);
    let started = std::time::Instant::now();
    let stdout = project.msctl_ok(&[
        "exec",
        "-d",
        "app",
        "--",
        "sh",
        "-c",
        "sleep 2; echo done > /marker",
    ]);
    assert_eq!(stdout, "");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    project.wait_for(
        "the background command",
        std::time::Duration::from_secs(10),
        || project.msctl(&["exec", "-T", "app", "cat", "/marker"]).1 == "done\n",
    );

    // `--privileged` reaches the engine: this machine's engine runs without the
    // capabilities to grant (as `docker exec --privileged` finds), and says so, where the
    // same command without it runs.
    let plain = project.msctl_ok(&[
        "exec",
        "-T",
        "app",
        "sh",
        "-c",
        "grep CapEff /proc/self/status",
    ]);
    assert!(plain.starts_with("CapEff:"), "{plain}");
    let (code, stdout, stderr) = project.msctl(&[
        "exec",
        "-T",
        "--privileged",
        "app",
        "sh",
        "-c",
        "grep CapEff /proc/self/status",
    ]);
    let docker = std::process::Command::new("docker")
        .args([
            "exec",
            "--privileged",
            &format!("{}-app-1", project.name()),
            "true",
        ])
        .output()
        .expect("docker runs");
    if docker.status.success() {
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains("CapEff:\t000001ffffffffff")
                || stdout.contains("CapEff:\t0000003fffffffff"),
            "{stdout}"
        );
    } else {
        assert_eq!(code, docker.status.code().unwrap_or(-1), "{stdout}{stderr}");
        assert!(stdout.contains("unable to apply caps"), "{stdout}{stderr}");
    }
}

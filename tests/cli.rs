//! The command line: global flags, project discovery and naming, exit codes, streams.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn msctl(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_msctl"));
    cmd.current_dir(dir).env("NO_COLOR", "1").env("CI", "true");
    for (key, _) in std::env::vars() {
        if key.starts_with("MSCTL_") || key.starts_with("COMPOSE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("msctl runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("msctl-cli-")
        .tempdir()
        .expect("tempdir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

const WEB: &str = "services:\n  web:\n    image: nginx\n";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn validate_prints_one_summary_line_on_stdout() {
    let dir = project(&[("compose.yaml", WEB)]);
    let (code, stdout, stderr) = run(msctl(dir.path()).arg("validate"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("compose.yaml: valid: project `msctl-cli-"),
        "{stdout}"
    );
    assert!(stdout.contains("1 service, 1 replica"), "{stdout}");
    assert_eq!(stderr, "");
}

#[test]
fn the_repository_root_runs_the_shop_without_flags() {
    let (code, stdout, stderr) = run(msctl(&repo_root()).arg("validate"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "manifests/compose.yaml: valid: project `shop`, 5 services, 6 replicas"
    );
}

#[test]
fn global_flags_work_after_the_command() {
    let dir = project(&[("a/one.yaml", WEB)]);
    let (code, stdout, stderr) =
        run(msctl(dir.path()).args(["config", "--services", "-f", "a/one.yaml", "-p", "late"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "web\n");
    let (_, json, _) = run(msctl(dir.path()).args([
        "config",
        "-f",
        "a/one.yaml",
        "-p",
        "late",
        "--format",
        "json",
    ]));
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["name"], "late");
}

#[test]
fn project_name_precedence_flag_env_manifest_directory() {
    let dir = project(&[
        (
            "My Dir/compose.yaml",
            "name: from-file\nservices:\n  web:\n    image: nginx\n",
        ),
        ("Other_Dir!/compose.yaml", WEB),
    ]);
    let named = dir.path().join("My Dir");
    let name = |cmd: &mut Command| -> String {
        let (code, out, err) = run(cmd.args(["config", "--format", "json"]));
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).expect("json")["name"]
            .as_str()
            .expect("name")
            .to_string()
    };
    assert_eq!(name(&mut msctl(&named)), "from-file");
    assert_eq!(
        name(msctl(&named).env("MSCTL_PROJECT_NAME", "from-env")),
        "from-env"
    );
    assert_eq!(
        name(
            msctl(&named)
                .env("MSCTL_PROJECT_NAME", "from-env")
                .args(["-p", "from-flag"])
        ),
        "from-flag"
    );
    // No name anywhere: the directory name, normalised as Compose does.
    assert_eq!(
        name(&mut msctl(&dir.path().join("Other_Dir!"))),
        "other_dir"
    );
}

#[test]
fn invalid_project_name_is_an_error() {
    let dir = project(&[("compose.yaml", WEB)]);
    let (code, stdout, stderr) = run(msctl(dir.path()).args(["-p", "Bad Name", "validate"]));
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("project name `Bad Name` from `-p` is not valid"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
}

#[test]
fn msctl_file_lists_files_separated_by_colons() {
    let dir = project(&[
        ("base.yaml", WEB),
        (
            "over.yaml",
            "services:\n  web:\n    image: nginx:2\n  db:\n    image: postgres\n",
        ),
    ]);
    let (code, stdout, stderr) = run(msctl(dir.path())
        .env("MSCTL_FILE", "base.yaml:over.yaml")
        .args(["config", "--images"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "postgres\nnginx:2\n");
}

#[test]
fn discovery_takes_the_override_file_and_looks_in_parents() {
    let dir = project(&[
        ("compose.yaml", WEB),
        (
            "compose.override.yaml",
            "services:\n  web:\n    environment: {A: b}\n",
        ),
        ("sub/dir/.keep", ""),
    ]);
    let (code, stdout, stderr) =
        run(msctl(&dir.path().join("sub/dir")).args(["config", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(value["services"]["web"]["environment"]["A"], "b");
}

#[test]
fn no_manifest_is_an_error_with_a_hint() {
    let dir = project(&[]);
    let (code, stdout, stderr) = run(msctl(dir.path()).arg("validate"));
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert!(stderr.contains("error: no manifest found"), "{stderr}");
    assert!(
        stderr.contains("hint: create one of compose.yaml"),
        "{stderr}"
    );
}

#[test]
fn env_file_flag_chooses_the_variables() {
    let dir = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx:${TAG:?set TAG}\n",
        ),
        (".env", "TAG=from-dotenv\n"),
        ("other.env", "TAG=from-other\n"),
    ]);
    let (_, stdout, _) = run(msctl(dir.path()).args(["config", "--images"]));
    assert_eq!(stdout, "nginx:from-dotenv\n");
    let (_, stdout, _) =
        run(msctl(dir.path()).args(["--env-file", "other.env", "config", "--images"]));
    assert_eq!(stdout, "nginx:from-other\n");
    // The environment wins over the env file.
    let (_, stdout, _) = run(msctl(dir.path())
        .env("TAG", "from-env")
        .args(["config", "--images"]));
    assert_eq!(stdout, "nginx:from-env\n");
    let (code, _, stderr) = run(msctl(dir.path()).args(["--env-file", "missing.env", "validate"]));
    assert_eq!(code, 1);
    assert!(
        stderr.contains("env file `missing.env` does not exist"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = project(&[("compose.yaml", WEB)]);
    let (code, _, stderr) = run(msctl(dir.path()).arg("frobnicate"));
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = run(msctl(dir.path()).args(["config", "--format", "table"]));
    assert_eq!(code, 2);
    let (code, _, _) = run(msctl(dir.path()).args(["validate", "--format", "nope"]));
    assert_eq!(code, 2);
}

#[test]
fn version_and_help() {
    let dir = project(&[]);
    let (code, stdout, _) = run(msctl(dir.path()).arg("--version"));
    assert_eq!(code, 0);
    assert_eq!(
        stdout.trim(),
        format!("msctl {}", env!("CARGO_PKG_VERSION"))
    );
    let (code, stdout, _) = run(msctl(dir.path()).args(["help", "config"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("--services"), "{stdout}");
}

#[test]
fn config_never_prints_secret_contents() {
    let dir = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx\n    secrets: [key]\nsecrets:\n  key:\n    file: ./key.txt\n",
        ),
        ("key.txt", "super-secret-value\n"),
    ]);
    for format in ["json", "yaml"] {
        let (code, stdout, stderr) = run(msctl(dir.path()).args(["config", "--format", format]));
        assert_eq!(code, 0, "{stderr}");
        assert!(!stdout.contains("super-secret-value"), "{stdout}");
        assert!(stdout.contains("key.txt"), "{stdout}");
    }
}

#[test]
fn warnings_go_to_stderr_and_quiet_silences_them() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    attach: false\n",
    )]);
    let (code, stdout, stderr) = run(msctl(dir.path()).arg("validate"));
    assert_eq!(code, 0);
    assert!(stdout.contains("1 warning"), "{stdout}");
    assert!(
        stderr.contains(
            "warning: `attach` in service `web` is not supported by msctl and is ignored"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("compose.yaml:4:5"), "{stderr}");
    let (code, _, stderr) = run(msctl(dir.path()).args(["-q", "validate"]));
    assert_eq!(code, 0);
    assert_eq!(stderr, "");
}

#[test]
fn validate_json_for_scripts() {
    let dir = project(&[("compose.yaml", WEB)]);
    let (code, stdout, _) = run(msctl(dir.path()).args(["validate", "--format", "json"]));
    assert_eq!(code, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(value["valid"], true);
    assert_eq!(value["services"], 1);
}

#[test]
fn config_hash_ignores_replicas() {
    let one = project(&[("compose.yaml", WEB)]);
    let three = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    deploy: {replicas: 3}\n",
    )]);
    let other = project(&[("compose.yaml", "services:\n  web:\n    image: nginx:2\n")]);
    let hash = |dir: &Path| run(msctl(dir).args(["-p", "x", "config", "--hash", "web"])).1;
    assert_eq!(hash(one.path()), hash(three.path()));
    assert_ne!(hash(one.path()), hash(other.path()));
}

#[test]
fn config_yaml_is_plain_compose_yaml() {
    let dir = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx\n    restart: \"no\"\n    secrets: [key]\n    deploy: {resources: {limits: {memory: 64m}}}\n    x-msctl: {probe: {http: {port: 80}}}\nsecrets:\n  key:\n    environment: KEY\n",
        ),
    ]);
    let (code, stdout, stderr) = run(msctl(dir.path()).arg("config"));
    assert_eq!(code, 0, "{stderr}");
    // No YAML tags (`!file`, `!http`) and no bare `no`, which YAML 1.1 reads as false.
    assert!(!stdout.contains('!'), "{stdout}");
    assert!(stdout.contains("restart: 'no'"), "{stdout}");
    assert!(stdout.contains("environment: KEY"), "{stdout}");
    assert!(stdout.contains("memory: '67108864'"), "{stdout}");
}

/// Compose's `!reset` and `!override` in an override file: `config` shows the merge as
/// if the base had never set a reset key, and an overridden value unmerged.
#[test]
fn override_file_tags_reset_and_override_what_the_base_set() {
    let dir = project(&[
        (
            "base.yaml",
            "services:
  web:
    image: nginx
    security_opt: [no-new-privileges:true]
    ports: [\"80:80\", \"443:443\"]
    environment: {LOG: info}
    healthcheck:
      test: [CMD, \"true\"]
      interval: 10s
  api:
    image: api
    ports: [\"9000:9000\"]
    environment: {A: \"1\", B: \"2\"}
",
        ),
        (
            "override.yaml",
            "services:
  web:
    security_opt: !reset []
    ports: !reset []
    healthcheck: !reset null
  api:
    ports: !override [\"8080:9000\"]
    environment: !override {C: \"3\"}
",
        ),
    ]);
    let (code, stdout, stderr) = run(msctl(dir.path()).args([
        "-f",
        "base.yaml",
        "-f",
        "override.yaml",
        "-p",
        "tags",
        "config",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.trim_end(),
        "name: tags
services:
  api:
    image: api
    environment:
      C: '3'
    ports:
    - target: 9000
      published: 8080
      protocol: tcp
    networks:
      default: {}
    deploy:
      replicas: 1
  web:
    image: nginx
    environment:
      LOG: info
    networks:
      default: {}
    deploy:
      replicas: 1",
        "{stderr}"
    );
}

/// The tags travel through anchors, aliases and `<<` merge keys, and an `!override`
/// value is interpolated like any other.
#[test]
fn override_file_tags_work_through_anchors_and_interpolation() {
    let dir = project(&[
        (
            "base.yaml",
            "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n    cap_add: [NET_ADMIN]\n    security_opt: [no-new-privileges:true]\n",
        ),
        (
            "override.yaml",
            "x-gone: &gone !reset []\nx-plain: &plain\n  security_opt: !reset []\nservices:\n  web:\n    <<: *plain\n    ports: !override [\"${PORT:-8080}:80\"]\n    cap_add: *gone\n",
        ),
    ]);
    let (code, stdout, stderr) = run(msctl(dir.path()).env("PORT", "9090").args([
        "-f",
        "base.yaml",
        "-f",
        "override.yaml",
        "config",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let config: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let web = &config["services"]["web"];
    assert_eq!(
        web["ports"],
        serde_json::json!([{"target": 80, "published": 9090, "protocol": "tcp"}]),
        "{stdout}"
    );
    assert!(web.get("cap_add").is_none(), "{stdout}");
    assert!(web.get("security_opt").is_none(), "{stdout}");
}

/// An included project is whole in itself: its files' tags act among them.
#[test]
fn tags_in_an_included_project_act_among_its_own_files() {
    let dir = project(&[
        (
            "compose.yaml",
            "include:\n  - path: [db/a.yaml, db/b.yaml]\nservices:\n  web:\n    image: nginx\n",
        ),
        (
            "db/a.yaml",
            "services:\n  db:\n    image: postgres\n    ports: [\"5432:5432\"]\n    environment: {A: \"1\"}\n",
        ),
        (
            "db/b.yaml",
            "services:\n  db:\n    ports: !reset []\n    environment: !override {B: \"2\"}\n",
        ),
    ]);
    let (code, stdout, stderr) = run(msctl(dir.path()).args(["config", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let config: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let db = &config["services"]["db"];
    assert!(db.get("ports").is_none(), "{stdout}");
    assert_eq!(db["environment"], serde_json::json!({"B": "2"}), "{stdout}");

    // A `!reset` in a file that `over.yaml` includes does not reach `base.yaml`.
    let dir = project(&[
        (
            "base.yaml",
            "services:\n  db:\n    image: postgres\n    ports: [\"6543:5432\"]\n",
        ),
        ("over.yaml", "include: [db/solo.yaml]\n"),
        (
            "db/solo.yaml",
            "services:\n  db:\n    image: postgres\n    ports: !reset []\n",
        ),
    ]);
    let (code, stdout, stderr) = run(msctl(dir.path()).args([
        "-f",
        "base.yaml",
        "-f",
        "over.yaml",
        "config",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let config: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        config["services"]["db"]["ports"][0]["published"], 6543,
        "{stdout}"
    );
}

#[test]
fn an_unknown_tag_in_an_override_file_is_an_error_at_the_tag() {
    let dir = project(&[
        ("base.yaml", WEB),
        ("override.yaml", "services:\n  web:\n    ports: !rest []\n"),
    ]);
    let (code, stdout, stderr) =
        run(msctl(dir.path()).args(["-f", "base.yaml", "-f", "override.yaml", "config"]));
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("error: unknown YAML tag `!rest`"),
        "{stderr}"
    );
    assert!(stderr.contains("--> override.yaml:3:12"), "{stderr}");
    assert!(stderr.contains("`!reset`"), "{stderr}");
}

#[test]
fn verbose_traces_go_to_stderr_without_colour_off_a_terminal() {
    let dir = project(&[("compose.yaml", WEB)]);
    let (code, stdout, stderr) = run(msctl(dir.path()).args(["-vv", "validate"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("INFO loading manifests"), "{stderr}");
    assert!(stderr.contains("DEBUG validating"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no escape codes without a terminal: {stderr:?}"
    );
    assert_eq!(stdout.lines().count(), 1);
}

/// `msctl ARGS...` in `dir` with no engine to reach: a refusal must come before any
/// engine call.
fn without_engine(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = msctl(dir);
    cmd.args(args)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("MSCTL_STATE_DIR", dir.join("state"));
    run(&mut cmd)
}

#[test]
fn up_refuses_ingress_ports_with_self_heal_off_before_anything() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 3\n    ports:\n      - \"8080:80\"\n",
    )]);
    for args in [&["up", "--no-self-heal"][..], &["up"][..]] {
        let mut cmd = msctl(dir.path());
        cmd.args(args)
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .env("MSCTL_STATE_DIR", dir.path().join("state"))
            .env("MSCTL_SELF_HEAL", "0");
        let (code, stdout, stderr) = run(&mut cmd);
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(
                "through msctl's ingress, which runs in the control plane, and self-heal is off"
            ),
            "{stderr}"
        );
        assert!(stderr.contains("compose.yaml:6:5"), "{stderr}");
        assert!(stderr.contains("hint: turn self-heal on"), "{stderr}");
    }
}

#[test]
fn up_refuses_ingress_ports_of_a_service_on_internal_networks_only() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 3\n    ports:\n      - \"8080:80\"\n    networks: [back]\nnetworks:\n  back:\n    internal: true\n",
    )]);
    let (code, _, stderr) = without_engine(dir.path(), &["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("is on no network the host can reach"),
        "{stderr}"
    );
    assert!(stderr.contains("compose.yaml:8:5"), "{stderr}");
}

#[test]
fn scale_refuses_replicas_of_a_service_whose_container_binds_its_port_not_the_ingress() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n",
    )]);
    let (code, _, stderr) = without_engine(dir.path(), &["scale", "web=2"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot have 2 replicas: its container binds host port 8080"),
        "{stderr}"
    );
    assert!(stderr.contains("compose.yaml:4:5"), "{stderr}");
    assert!(
        stderr.contains("give the port `mode: ingress` or `replicas` above 1 in the manifest"),
        "{stderr}"
    );
}

#[test]
fn commands_of_the_local_target_refuse_a_swarm_project_saying_why() {
    let dir = project(&[(
        "compose.yaml",
        "x-msctl: {target: swarm}\nservices:\n  web:\n    image: nginx\n",
    )]);
    for (args, why) in [
        (&["exec", "web", "true"][..], "run `docker exec` there"),
        (
            &["history", "web"][..],
            "the Swarm keeps a service's current and previous spec",
        ),
        (&["events"][..], "the Swarm keeps its own record"),
        (&["top"][..], "run `docker top` there"),
        (&["port", "web", "80"][..], "through its routing mesh"),
        (&["images"][..], "each node keeps the images"),
        (&["stop", "web"][..], "`msctl scale SERVICE=0` stops them"),
        (&["start"][..], "`msctl scale SERVICE=0` stops them"),
        (&["kill"][..], "whatever ends them"),
        (&["pause"][..], "whatever ends them"),
        (&["unpause", "web"][..], "whatever ends them"),
        (
            &["run", "web", "true"][..],
            "a one-off task has no place in a Swarm stack",
        ),
        (&["rm", "-f"][..], "its task history limit"),
        (&["wait", "web"][..], "never all stop"),
        (&["create"][..], "created and started by the Swarm together"),
        (&["attach", "web"][..], "`msctl logs` follows its output"),
        (
            &["cp", "web:/etc/x", "."][..],
            "a replacement task starts from the image",
        ),
        (&["stats"][..], "run `docker stats` there"),
    ] {
        let (code, stdout, stderr) = without_engine(dir.path(), args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.contains(&format!("`msctl {}` works on the local target", args[0])),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains(why), "{args:?}: {stderr}");
        assert!(
            stderr.contains("on a Swarm msctl runs: up, plan"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_pull_policy_is_checked_where_it_is_written() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    pull_policy: sometimes\n  api:\n    image: api\n    pull_policy: build\n  job:\n    image: job\n    pull_policy: every_12h\n",
    )]);
    let (code, _, stderr) = run(msctl(dir.path()).arg("validate"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("`sometimes` is not a pull policy"),
        "{stderr}"
    );
    assert!(stderr.contains("compose.yaml:4:18"), "{stderr}");
    assert!(
        stderr.contains("has `pull_policy: build` but nothing to build"),
        "{stderr}"
    );
    assert!(stderr.contains("compose.yaml:7:5"), "{stderr}");
    assert!(!stderr.contains("service `job`"), "{stderr}");
    assert!(stderr.contains("the manifest has 2 errors"), "{stderr}");
    // `config` writes a policy back as Compose spells it.
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  job:\n    image: job\n    pull_policy: every_12h\n  web:\n    image: web\n    pull_policy: if_not_present\n",
    )
    .expect("write");
    let (code, stdout, stderr) = run(msctl(dir.path()).arg("config"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("pull_policy: every_12h"), "{stdout}");
    assert!(stdout.contains("pull_policy: missing"), "{stdout}");
}

#[test]
fn serve_install_service_writes_a_systemd_unit_that_restarts_the_control_plane() {
    let dir = project(&[]);
    let unit = dir.path().join("msctl.service");
    let state = dir.path().join("state");
    let (code, stdout, stderr) = run(msctl(dir.path())
        .env("MSCTL_STATE_DIR", &state)
        .args(["serve", "--listen", "127.0.0.1:7400"])
        .arg(format!("--install-service={}", unit.display())));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("systemctl daemon-reload && systemctl enable --now msctl.service"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&unit).expect("the unit");
    assert!(
        text.contains(&format!(
            "ExecStart={} serve --listen 127.0.0.1:7400\n",
            env!("CARGO_BIN_EXE_msctl")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Environment=\"MSCTL_STATE_DIR={}\"",
            state.display()
        )),
        "{text}"
    );
    assert!(text.contains("Restart=always\n"), "{text}");
    assert!(text.contains("WantedBy=multi-user.target"), "{text}");

    let (code, _, stderr) = run(msctl(dir.path())
        .arg("serve")
        .arg("--install-service=/nonexistent/dir/msctl.service"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cannot write the unit `/nonexistent/dir/msctl.service`"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_state_store_is_named_with_how_to_recover_never_a_panic() {
    let dir = project(&[("compose.yaml", "services:\n  web:\n    image: nginx\n")]);
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("mkdir");
    std::fs::write(state.join("state.db"), "not a database ".repeat(500)).expect("write");
    let (code, _, stderr) = run(msctl(dir.path())
        .env("MSCTL_STATE_DIR", &state)
        .arg("events"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot open the state store `{}`",
            state.join("state.db").display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: the file is damaged: move it aside"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A tmpfs of `kib` KiB mounted at a new directory, unmounted when dropped.
struct TinyDisk(tempfile::TempDir);

impl TinyDisk {
    fn mount(kib: u32) -> TinyDisk {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "the test needs to mount a tmpfs (root)");
        TinyDisk(dir)
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_under_the_state_store_is_an_error_naming_it() {
    let dir = project(&[("compose.yaml", "services:\n  web:\n    image: nginx\n")]);
    let disk = TinyDisk::mount(64);
    // Fill it, leaving no room for the store.
    let _ = std::fs::write(disk.0.path().join("filler"), vec![0u8; 64 * 1024]);
    let state = disk.0.path().join("state");
    let (code, _, stderr) = run(msctl(dir.path())
        .env("MSCTL_STATE_DIR", &state)
        .arg("events"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&state.display().to_string()), "{stderr}");
    assert!(stderr.contains("full"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

//! Real-world Compose files run unchanged: each container key people write is honoured
//! on the real engine, asserted in the running container (engine inspect, or a command
//! run in it), output text last.

use std::time::Duration;

use bollard::models::ContainerInspectResponse;

use msctl::engine::parse_rfc3339_nanos;

use super::support::{block_on, engine, httpd_service, test_image, TestProject};

/// A busybox service that sleeps, stopped fast by `init`. `extra` is more YAML for the
/// service, indented by four spaces.
fn sleeper(service: &str, extra: &str) -> String {
    format!(
        r#"  {service}:
    image: {image}
    command: ["sleep", "300"]
    init: true
{extra}"#,
        image = test_image()
    )
}

/// The engine's whole view of a container, for keys `ContainerDetails` does not carry.
fn inspect_raw(container_id: &str) -> ContainerInspectResponse {
    block_on(engine().client().inspect_container(container_id, None))
        .unwrap_or_else(|err| panic!("cannot inspect {container_id}: {err}"))
}

/// The id of the one replica of `service`.
fn only_replica(project: &TestProject, service: &str) -> String {
    let replicas = project.replicas(service);
    assert_eq!(replicas.len(), 1, "replicas of {service}: {replicas:?}");
    replicas[0].id.clone()
}

/// `msctl exec -T SERVICE -- sh -c SCRIPT`: (exit code, stdout, stderr).
fn sh(project: &TestProject, service: &str, script: &str) -> (i32, String, String) {
    project.msctl(&["exec", "-T", service, "--", "sh", "-c", script])
}

/// Like [`sh`], asserting success; returns stdout.
fn sh_ok(project: &TestProject, service: &str, script: &str) -> String {
    let (code, stdout, stderr) = sh(project, service, script);
    assert_eq!(code, 0, "`{script}` in {service}\n{stdout}\n{stderr}");
    stdout
}

#[test]
fn container_name_is_the_containers_exact_name() {
    let project = TestProject::new("compat-name", "services: {}\n");
    let fixed = format!("{}-frontend", project.name());
    project.write_compose(&format!(
        "services:\n{}",
        sleeper("web", &format!("    container_name: {fixed}\n"))
    ));
    project.msctl_ok(&["up"]);
    let container_id = only_replica(&project, "web");
    assert_eq!(project.inspect(&container_id).summary.name, fixed);
    assert_eq!(
        inspect_raw(&container_id).name.as_deref(),
        Some(format!("/{fixed}").as_str())
    );
    // Found again by its labels, not its name: nothing to do.
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("is up to date: nothing to do"), "{stderr}");
}

#[test]
fn a_tty_service_has_a_terminal_and_its_logs_show() {
    let project = TestProject::new(
        "compat-tty",
        &format!(
            "services:\n{}",
            sleeper(
                "term",
                "    tty: true\n    stdin_open: true\n    entrypoint: [\"sh\", \"-c\", \"echo hello-from-tty; tty; exec sleep 300\"]\n"
            )
        ),
    );
    project.msctl_ok(&["up"]);
    let config = inspect_raw(&only_replica(&project, "term"))
        .config
        .expect("a config");
    assert_eq!(config.tty, Some(true));
    assert_eq!(config.open_stdin, Some(true));
    let mut stdout = String::new();
    project.wait_for(
        "the tty output in the logs",
        Duration::from_secs(10),
        || {
            stdout = project.msctl_ok(&["logs", "term"]);
            stdout.contains("/dev/pts/")
        },
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout:?}");
    assert_eq!(lines[0], "term-1 | hello-from-tty", "{stdout:?}");
    assert!(lines[1].starts_with("term-1 | /dev/pts/"), "{stdout:?}");
}

#[test]
fn extra_hosts_are_in_the_containers_hosts_file() {
    let project = TestProject::new(
        "compat-hosts",
        &format!(
            "services:\n{}",
            sleeper(
                "app",
                "    extra_hosts:\n      - \"db.internal:10.11.12.13\"\n      - \"metrics.internal:10.11.12.14\"\n"
            )
        ),
    );
    project.msctl_ok(&["up"]);
    let hosts = sh_ok(&project, "app", "cat /etc/hosts");
    let entries: Vec<Vec<&str>> = hosts
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert!(
        entries.contains(&vec!["10.11.12.13", "db.internal"]),
        "{hosts}"
    );
    assert!(
        entries.contains(&vec!["10.11.12.14", "metrics.internal"]),
        "{hosts}"
    );
}

#[test]
fn sysctls_are_set_in_the_containers_kernel_namespace() {
    let project = TestProject::new(
        "compat-sysctls",
        &format!(
            "services:\n{}",
            sleeper(
                "app",
                "    sysctls:\n      net.core.somaxconn: 1234\n      net.ipv4.ip_unprivileged_port_start: 80\n"
            )
        ),
    );
    project.msctl_ok(&["up"]);
    let values = sh_ok(
        &project,
        "app",
        "cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/ip_unprivileged_port_start",
    );
    assert_eq!(values, "1234\n80\n");
}

#[test]
fn ulimits_set_the_soft_and_hard_limits() {
    let project = TestProject::new(
        "compat-ulimits",
        &format!(
            "services:\n{}",
            sleeper(
                "app",
                "    ulimits:\n      nofile:\n        soft: 1234\n        hard: 2345\n      nproc: 777\n"
            )
        ),
    );
    project.msctl_ok(&["up"]);
    let limits = sh_ok(&project, "app", "ulimit -n; ulimit -Hn; ulimit -u");
    assert_eq!(limits, "1234\n2345\n777\n");
}

#[test]
fn logging_options_reach_the_log_config() {
    let project = TestProject::new(
        "compat-logging",
        &format!(
            "services:\n{}",
            sleeper(
                "app",
                "    logging:\n      driver: json-file\n      options:\n        max-size: \"1m\"\n        max-file: \"2\"\n"
            )
        ),
    );
    project.msctl_ok(&["up"]);
    let log_config = inspect_raw(&only_replica(&project, "app"))
        .host_config
        .and_then(|host| host.log_config)
        .expect("a log config");
    assert_eq!(log_config.typ.as_deref(), Some("json-file"));
    let options = log_config.config.expect("log options");
    assert_eq!(options.get("max-size").map(String::as_str), Some("1m"));
    assert_eq!(options.get("max-file").map(String::as_str), Some("2"));
}

#[test]
fn a_service_in_anothers_network_stack_reaches_it_on_localhost() {
    // `a-sidecar` sorts before `web`: only the shared stack orders it after web.
    let yaml = format!(
        "services:\n{}{}",
        sleeper("a-sidecar", "    network_mode: \"service:web\"\n"),
        httpd_service("web", "")
    );
    let project = TestProject::new("compat-netmode", &yaml);
    project.msctl_ok(&["up"]);
    let web = only_replica(&project, "web");
    let sidecar = only_replica(&project, "a-sidecar");
    let network_mode = |container_id: &str| {
        inspect_raw(container_id)
            .host_config
            .and_then(|host| host.network_mode)
            .unwrap_or_default()
    };
    assert_eq!(network_mode(&sidecar), format!("container:{web}"));
    assert!(
        project.inspect(&sidecar).ip_addresses.is_empty(),
        "it joins no network of its own"
    );
    let page = sh_ok(&project, "a-sidecar", "wget -q -O- http://127.0.0.1:8080/");
    assert_eq!(page, "ok\n");
    assert!(
        started_nanos(&project, &sidecar) > started_nanos(&project, &web),
        "the sidecar started before the stack it shares"
    );

    // Replacing web replaces the sidecar too: it would keep a stack that is gone.
    project.write_compose(&format!(
        "services:\n{}{}",
        sleeper("a-sidecar", "    network_mode: \"service:web\"\n"),
        httpd_service("web", "    environment: {COLOR: blue}\n")
    ));
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("network peer replaced"), "{stderr}");
    let new_web = only_replica(&project, "web");
    let new_sidecar = only_replica(&project, "a-sidecar");
    assert_ne!(new_web, web);
    assert_eq!(network_mode(&new_sidecar), format!("container:{new_web}"));
    let page = sh_ok(&project, "a-sidecar", "wget -q -O- http://127.0.0.1:8080/");
    assert_eq!(page, "ok\n");
}

fn started_nanos(project: &TestProject, container_id: &str) -> i64 {
    let started = project.inspect(container_id).started_at.expect("started");
    parse_rfc3339_nanos(&started).expect("an RFC 3339 start time")
}

#[test]
fn a_link_alias_resolves_and_reaches_the_linked_service() {
    let yaml = format!(
        "services:\n{}{}",
        sleeper("client", "    links:\n      - \"web:frontend\"\n"),
        httpd_service("web", "")
    );
    let project = TestProject::new("compat-links", &yaml);
    project.msctl_ok(&["up"]);
    let page = sh_ok(&project, "client", "wget -q -O- http://frontend:8080/");
    assert_eq!(page, "ok\n");
    // Ordered after web by the link alone (`client` sorts first).
    let client = only_replica(&project, "client");
    let web = only_replica(&project, "web");
    assert!(
        started_nanos(&project, &client) > started_nanos(&project, &web),
        "client started before web"
    );
}

#[test]
fn configs_from_a_file_and_from_content_are_readable_and_read_only() {
    let yaml = format!(
        r#"services:
{app}configs:
  app_conf:
    file: ./app.conf
  greeting:
    content: "hello from the manifest"
secrets:
  greeting:
    environment: COMPAT_GREETING_SECRET
"#,
        app = sleeper(
            "app",
            r#"    configs:
      - source: app_conf
        target: /etc/app/app.conf
      - greeting
    secrets:
      - greeting
"#
        )
    );
    let project = TestProject::new("compat-configs", &yaml);
    project.write_file("app.conf", "level = debug\n");
    let output = project
        .command(&["up"])
        .env("COMPAT_GREETING_SECRET", "the secret, not the config")
        .output()
        .expect("msctl runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        sh_ok(&project, "app", "cat /etc/app/app.conf"),
        "level = debug\n"
    );
    // A config and a secret of one name are two files.
    assert_eq!(
        sh_ok(&project, "app", "cat /greeting"),
        "hello from the manifest"
    );
    assert_eq!(
        sh_ok(&project, "app", "cat /run/secrets/greeting"),
        "the secret, not the config"
    );
    for path in ["/etc/app/app.conf", "/greeting"] {
        let (code, _, stderr) = sh(&project, "app", &format!("echo changed > {path}"));
        assert_ne!(code, 0, "{path} is writable");
        assert!(stderr.contains("Read-only file system"), "{stderr}");
    }
}

#[test]
fn an_extends_chain_across_files_merges_command_and_environment() {
    let project = TestProject::new(
        "compat-extends",
        r#"services:
  app:
    extends:
      file: common/base.yaml
      service: worker
    environment:
      ROLE: app
"#,
    );
    project.write_file(
        "common/base.yaml",
        &format!(
            r#"services:
  base:
    image: {image}
    init: true
    command: ["sleep", "300"]
    environment:
      FROM_BASE: "1"
      ROLE: base
  worker:
    extends: base
    command: ["sleep", "301"]
    environment:
      FROM_WORKER: "2"
"#,
            image = test_image()
        ),
    );
    project.msctl_ok(&["up"]);
    let config = inspect_raw(&only_replica(&project, "app"))
        .config
        .expect("a config");
    assert_eq!(
        config.cmd,
        Some(vec!["sleep".to_string(), "301".to_string()])
    );
    let env = config.env.unwrap_or_default();
    for wanted in ["FROM_BASE=1", "FROM_WORKER=2", "ROLE=app"] {
        assert!(env.iter().any(|e| e == wanted), "{wanted} in {env:?}");
    }
    assert!(!env.iter().any(|e| e == "ROLE=base"), "{env:?}");
}

#[test]
fn a_post_start_hook_runs_in_the_replica_before_up_returns() {
    let project = TestProject::new(
        "compat-post-start",
        &format!(
            "services:\n{}",
            sleeper(
                "app",
                r#"    post_start:
      - command: ["sh", "-c", "echo \"$$WHO\" > /hooked; pwd >> /hooked"]
        environment:
          WHO: post-start
        working_dir: /bin
"#
            )
        ),
    );
    project.msctl_ok(&["up"]);
    assert_eq!(sh_ok(&project, "app", "cat /hooked"), "post-start\n/bin\n");
}

#[test]
fn a_failing_post_start_hook_fails_up_naming_the_replica_and_exit_code() {
    let project = TestProject::new(
        "compat-post-start-fails",
        &format!(
            "services:\n{}",
            sleeper(
                "app",
                "    post_start:\n      - command: [\"sh\", \"-c\", \"exit 7\"]\n"
            )
        ),
    );
    let (code, _, stderr) = project.msctl(&["up"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("post_start hook 1 (`sh -c exit 7`) of replica `app-1` (service `app`) exited with code 7"),
        "{stderr}"
    );
}

#[test]
fn a_pre_stop_hook_runs_before_down_stops_the_replica() {
    let project = TestProject::new("compat-pre-stop", "services: {}\n");
    let out = project.dir().join("out");
    std::fs::create_dir_all(&out).expect("a directory to bind");
    project.write_compose(&format!(
        "services:\n{}",
        sleeper(
            "app",
            &format!(
                "    volumes:\n      - {}:/out\n    pre_stop:\n      - command: [\"sh\", \"-c\", \"echo drained > /out/pre-stop\"]\n",
                out.display()
            )
        )
    ));
    project.msctl_ok(&["up"]);
    assert!(!out.join("pre-stop").exists());
    project.msctl_ok(&["down"]);
    assert_eq!(
        std::fs::read_to_string(out.join("pre-stop"))
            .ok()
            .as_deref(),
        Some("drained\n")
    );
    assert!(project.containers().is_empty());
}

#[test]
fn scale_refuses_replicas_of_a_service_with_a_fixed_container_name() {
    let project = TestProject::new("compat-scale-name", "services: {}\n");
    let fixed = format!("{}-only", project.name());
    // container_name is on line 6, column 5.
    project.write_compose(&format!(
        "services:\n{}",
        sleeper("web", &format!("    container_name: {fixed}\n"))
    ));
    project.msctl_ok(&["up"]);
    let (code, _, stderr) = project.msctl(&["scale", "web=2"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("compose.yaml:6:5"), "{stderr}");
    assert!(stderr.contains(&format!("`{fixed}`")), "{stderr}");
    assert_eq!(project.replicas("web").len(), 1);
}

#[test]
fn a_mac_address_is_set_on_the_containers_endpoint() {
    let project = TestProject::new(
        "compat-mac",
        &format!(
            "services:\n{}",
            sleeper("app", "    mac_address: \"02:42:ac:11:00:99\"\n")
        ),
    );
    project.msctl_ok(&["up"]);
    let link = sh_ok(&project, "app", "cat /sys/class/net/eth0/address");
    assert_eq!(link, "02:42:ac:11:00:99\n");
}

#[test]
fn a_fixed_address_on_a_network_with_its_own_subnet_and_options() {
    // A subnet of its own per test process, so parallel runs do not overlap.
    let octet = 100 + std::process::id() % 100;
    let yaml = format!(
        r#"services:
{app}networks:
  back:
    driver_opts:
      com.docker.network.bridge.name: "msctl{octet}"
    attachable: true
    ipam:
      config:
        - subnet: 10.{octet}.7.0/24
          gateway: 10.{octet}.7.1
"#,
        app = sleeper(
            "app",
            "    networks:\n      back:\n        ipv4_address: 10.OCTET.7.42\n"
                .replace("OCTET", &octet.to_string())
                .as_str()
        )
    );
    let project = TestProject::new("compat-ipam", &yaml);
    project.msctl_ok(&["up"]);
    let network_name = format!("{}_back", project.name());
    let details = project.inspect(&only_replica(&project, "app"));
    assert_eq!(
        details.ip_addresses.get(&network_name).map(String::as_str),
        Some(format!("10.{octet}.7.42").as_str())
    );
    let network = block_on(engine().client().inspect_network(
        &network_name,
        None::<bollard::query_parameters::InspectNetworkOptions>,
    ))
    .expect("the network");
    assert_eq!(network.attachable, Some(true));
    assert_eq!(
        network
            .options
            .unwrap_or_default()
            .get("com.docker.network.bridge.name")
            .map(String::as_str),
        Some(format!("msctl{octet}").as_str())
    );
    let pool = &network.ipam.and_then(|ipam| ipam.config).expect("a pool")[0];
    assert_eq!(
        pool.subnet.as_deref(),
        Some(format!("10.{octet}.7.0/24").as_str())
    );
}

#[test]
fn an_inline_dockerfile_is_built_and_rebuilt_when_its_text_changes() {
    let compose = |word: &str| {
        format!(
            r#"services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM {image}
        RUN echo {word} > /inline.txt
    command: ["sleep", "300"]
    init: true
"#,
            image = test_image()
        )
    };
    let project = TestProject::new("compat-inline", &compose("first"));
    project.msctl_ok(&["up"]);
    assert_eq!(sh_ok(&project, "app", "cat /inline.txt"), "first\n");
    project.write_compose(&compose("second"));
    project.msctl_ok(&["up"]);
    assert_eq!(sh_ok(&project, "app", "cat /inline.txt"), "second\n");
    project.msctl_ok(&["down", "--rmi", "local"]);
}

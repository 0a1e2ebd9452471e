//! DockerEngine against the real engine: lifecycle, labels, networks, volumes, logs,
//! events, exec, and errors mapped into kinds.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use msctl::engine::{
    DockerEngine, Engine, EngineError, EventAction, LabelFilter, LogOptions, LogStream,
    NetworkEndpoint,
};
use msctl::plan::spec::{ExecSpec, NetworkAttachment, NetworkSpec, VolumeSpec};
use msctl::plan::{labels, ContainerState, Health};

use super::support::{block_on, engine, httpd_service, test_image, TestProject};

/// A project with one service running `command` (a shell script) in the test image.
fn script_project(hint: &str, script: &str) -> TestProject {
    TestProject::new(
        hint,
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sh", "-c", {script:?}]
    init: true
"#,
            image = test_image()
        ),
    )
}

#[test]
fn a_container_is_created_started_stopped_and_removed_with_its_labels() {
    let project = TestProject::new(
        "lifecycle",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    project.create_networks();
    let spec = project.replica_spec("web", 1);
    let container_id = block_on(engine().create_container(&spec)).expect("create");

    let created = project.inspect(&container_id);
    assert_eq!(created.summary.state, ContainerState::Created);
    assert_eq!(created.summary.name, format!("{}-web-1", project.name()));
    assert_eq!(created.summary.image, test_image());
    assert_eq!(
        created
            .summary
            .labels
            .get(labels::SERVICE)
            .map(String::as_str),
        Some("web")
    );
    assert_eq!(
        created
            .summary
            .labels
            .get(labels::REPLICA)
            .map(String::as_str),
        Some("1")
    );
    assert_eq!(created.started_at, None);

    block_on(engine().start_container(&container_id)).expect("start");
    // Starting a running container is not an error.
    block_on(engine().start_container(&container_id)).expect("start again");
    let running = project.inspect(&container_id);
    assert_eq!(running.summary.state, ContainerState::Running);
    assert!(running.started_at.is_some());
    let network = format!("{}_default", project.name());
    assert!(
        running.ip_addresses.contains_key(&network),
        "{:?} should be on {network}",
        running.ip_addresses
    );

    // httpd answers: it runs under init, which has its signal handlers by now (a stop
    // right after the start raced with them on a loaded machine).
    project.wait_for("httpd to answer", Duration::from_secs(10), || {
        std::process::Command::new("docker")
            .args([
                "exec",
                &container_id,
                "wget",
                "-q",
                "-O",
                "/dev/null",
                "http://127.0.0.1:8080/",
            ])
            .status()
            .is_ok_and(|status| status.success())
    });
    let stop_started = Instant::now();
    block_on(engine().stop_container(&container_id, Duration::from_secs(10))).expect("stop");
    assert!(
        stop_started.elapsed() < Duration::from_secs(8),
        "init makes httpd stop on SIGTERM at once, took {:?}",
        stop_started.elapsed()
    );
    let stopped = project.inspect(&container_id);
    assert!(
        matches!(stopped.summary.state, ContainerState::Exited { .. }),
        "{:?}",
        stopped.summary.state
    );
    assert!(stopped.exit_code.is_some());

    block_on(engine().remove_container(&container_id, true)).expect("remove");
    assert!(project.containers().is_empty());
    let again = block_on(engine().remove_container(&container_id, true));
    assert!(
        matches!(again, Err(EngineError::NotFound { .. })),
        "{again:?}"
    );
}

#[test]
fn listing_by_project_label_never_returns_another_projects_containers() {
    let ours = script_project("labels-ours", "sleep 60");
    let theirs = script_project("labels-theirs", "sleep 60");
    let our_id = ours.start_replica("app", 1);
    let their_id = theirs.start_replica("app", 1);

    let listed =
        block_on(engine().list_containers(&LabelFilter::project(ours.name()))).expect("list");
    let ids: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec![our_id.as_str()]);
    assert!(!ids.contains(&their_id.as_str()));

    let by_service =
        block_on(engine().list_containers(
            &LabelFilter::project(ours.name()).with(labels::SERVICE, Some("other")),
        ))
        .expect("list");
    assert!(by_service.is_empty());
    assert_eq!(listed[0].state, ContainerState::Running);
    assert_eq!(listed[0].health, Health::None);
}

#[test]
fn errors_come_back_as_kinds() {
    let project = script_project("kinds", "sleep 60");
    let container_id = project.start_replica("app", 1);

    let missing = block_on(engine().inspect_container("msctl-no-such-container"));
    assert!(
        matches!(missing, Err(EngineError::NotFound { .. })),
        "{missing:?}"
    );
    let missing = block_on(engine().remove_network("msctl-no-such-network"));
    assert!(
        matches!(missing, Err(EngineError::NotFound { .. })),
        "{missing:?}"
    );
    let missing = block_on(engine().remove_volume("msctl-no-such-volume"));
    assert!(
        matches!(missing, Err(EngineError::NotFound { .. })),
        "{missing:?}"
    );
    let missing = block_on(engine().remove_image("msctl-no-such-image:0"));
    assert!(
        matches!(missing, Err(EngineError::NotFound { .. })),
        "{missing:?}"
    );
    assert_eq!(
        block_on(engine().image_exists("msctl-no-such-image:0")).ok(),
        Some(false)
    );
    assert_eq!(
        block_on(engine().image_exists(test_image())).ok(),
        Some(true)
    );

    // The name is taken by the running replica.
    let spec = project.replica_spec("app", 1);
    let taken = block_on(engine().create_container(&spec));
    assert!(
        matches!(taken, Err(EngineError::Conflict { .. })),
        "{taken:?}"
    );
    let running = block_on(engine().remove_container(&container_id, false));
    assert!(
        matches!(running, Err(EngineError::Conflict { .. })),
        "{running:?}"
    );
    let network = NetworkSpec::for_network(project.name(), "default", &Default::default());
    let duplicate = block_on(engine().create_network(&network));
    assert!(
        matches!(duplicate, Err(EngineError::Conflict { .. })),
        "{duplicate:?}"
    );
    let in_use = block_on(engine().remove_image(test_image()));
    assert!(
        matches!(in_use, Err(EngineError::Conflict { .. })),
        "{in_use:?}"
    );
}

#[test]
fn a_replica_joins_every_network_of_its_service_with_its_aliases() {
    let project = TestProject::new(
        "networks",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "60"]
    init: true
    networks:
      front:
        aliases: [api]
      back: {{}}
networks:
  front: {{}}
  back:
    labels:
      tier: back
"#,
            image = test_image()
        ),
    );
    let container_id = project.start_replica("app", 1);
    let networks = project.networks();
    let names: Vec<&str> = networks.iter().map(|n| n.name.as_str()).collect();
    assert!(
        names.contains(&format!("{}_front", project.name()).as_str()),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("{}_back", project.name()).as_str()),
        "{names:?}"
    );
    let back = networks
        .iter()
        .find(|n| n.name.ends_with("_back"))
        .expect("the back network");
    assert_eq!(back.labels.get("tier").map(String::as_str), Some("back"));

    let details = project.inspect(&container_id);
    let joined: Vec<&String> = details.ip_addresses.keys().collect();
    assert_eq!(joined.len(), 2, "{joined:?}");

    // The alias resolves from another container on the network.
    let probe = ExecSpec {
        command: vec!["nslookup".into(), "api".into()],
        ..ExecSpec::default()
    };
    let code = block_on(engine().exec(&container_id, &probe)).expect("exec");
    assert_eq!(code, 0, "`api` resolves on the front network");
}

#[test]
fn a_network_in_use_is_a_conflict_naming_its_endpoints_until_one_is_removed_by_force() {
    let project = script_project("endpoints", "sleep 60");
    let container_id = project.start_replica("app", 1);
    let network = format!("{}_default", project.name());
    let in_use = block_on(engine().remove_network(&network)).expect_err("in use");
    assert!(in_use.is_conflict(), "{in_use}");

    let name = project.inspect(&container_id).summary.name;
    let endpoints = block_on(engine().network_endpoints(&network)).expect("endpoints");
    assert_eq!(
        endpoints,
        [NetworkEndpoint {
            container_id: container_id.clone(),
            name: name.clone(),
        }]
    );
    // Docker answers a second connect with "endpoint ... already exists": the container
    // is attached already, which is no error and leaves one endpoint.
    let again = NetworkAttachment {
        network_name: network.clone(),
        aliases: Vec::new(),
        ipv4_address: None,
        ipv6_address: None,
    };
    block_on(engine().connect_network(&container_id, &again)).expect("attached already");
    let endpoints = block_on(engine().network_endpoints(&network)).expect("endpoints");
    assert_eq!(endpoints.len(), 1, "{endpoints:?}");
    // By the endpoint's name, as for an endpoint whose container is gone.
    block_on(engine().remove_stale_endpoint(&network, &name)).expect("removed by force");
    let endpoints = block_on(engine().network_endpoints(&network)).expect("endpoints");
    assert!(endpoints.is_empty(), "{endpoints:?}");
    block_on(engine().remove_stale_endpoint(&network, &name)).expect("gone already is no error");
    block_on(engine().remove_network(&network)).expect("nothing holds it now");
}

#[test]
fn a_labelled_volume_is_listed_mounted_and_kept_while_in_use() {
    let project = TestProject::new(
        "volumes",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sh", "-c", "echo kept > /data/file; sleep 60"]
    init: true
    volumes:
      - data:/data
volumes:
  data: {{}}
"#,
            image = test_image()
        ),
    );
    let volume_name = format!("{}_data", project.name());
    let spec = VolumeSpec {
        name: volume_name.clone(),
        driver: None,
        driver_opts: BTreeMap::new(),
        labels: labels::volume_labels(project.name(), "data", &BTreeMap::new()),
    };
    block_on(engine().create_volume(&spec)).expect("create volume");
    // Creating it again is not an error: Docker returns the existing one.
    block_on(engine().create_volume(&spec)).expect("create volume again");
    let listed: Vec<String> = project.volumes().into_iter().map(|v| v.name).collect();
    assert_eq!(listed, vec![volume_name.clone()]);

    let container_id = project.start_replica("app", 1);
    let check = ExecSpec {
        command: vec![
            "sh".into(),
            "-c".into(),
            "sleep 0.5; grep -q kept /data/file".into(),
        ],
        ..ExecSpec::default()
    };
    assert_eq!(block_on(engine().exec(&container_id, &check)).ok(), Some(0));
    let in_use = block_on(engine().remove_volume(&volume_name));
    assert!(
        matches!(in_use, Err(EngineError::Conflict { .. })),
        "{in_use:?}"
    );
}

#[test]
fn a_health_check_makes_the_replica_healthy_and_keeps_its_output() {
    let project = TestProject::new(
        "health",
        &format!("services:\n{}", httpd_service("web", "")),
    );
    let container_id = project.start_replica("web", 1);
    project.wait_for("the replica to be healthy", Duration::from_secs(20), || {
        project.inspect(&container_id).summary.health == Health::Healthy
    });
    let listed = project.replicas("web");
    assert_eq!(
        listed[0].health,
        Health::Healthy,
        "list reports the health too"
    );
    let details = project.inspect(&container_id);
    assert!(!details.health_log.is_empty());
}

#[test]
fn a_failing_health_check_makes_it_unhealthy_with_the_reason() {
    let project = TestProject::new(
        "unhealthy",
        &format!(
            r#"services:
  web:
    image: {image}
    command: ["sleep", "60"]
    init: true
    healthcheck:
      test: ["CMD-SHELL", "echo no server here; exit 1"]
      interval: 300ms
      retries: 1
"#,
            image = test_image()
        ),
    );
    let container_id = project.start_replica("web", 1);
    project.wait_for(
        "the replica to be unhealthy",
        Duration::from_secs(20),
        || project.inspect(&container_id).summary.health == Health::Unhealthy,
    );
    let details = project.inspect(&container_id);
    assert_eq!(
        details.health_log.last().map(String::as_str),
        Some("no server here")
    );
}

#[test]
fn logs_carry_their_stream_and_nanosecond_timestamps_in_order() {
    let project = script_project(
        "logs",
        "for i in 1 2 3; do echo out $$i; echo err $$i >&2; done; sleep 60",
    );
    let container_id = project.start_replica("app", 1);
    let mut lines = Vec::new();
    project.wait_for("six log lines", Duration::from_secs(10), || {
        lines = block_on(async {
            let stream = engine()
                .container_logs(&container_id, &LogOptions::default())
                .await
                .expect("logs");
            stream.collect::<Vec<_>>().await
        })
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .expect("log lines");
        lines.len() == 6
    });
    let stdout: Vec<&str> = lines
        .iter()
        .filter(|l| l.stream == LogStream::Stdout)
        .map(|l| l.message.as_str())
        .collect();
    let stderr: Vec<&str> = lines
        .iter()
        .filter(|l| l.stream == LogStream::Stderr)
        .map(|l| l.message.as_str())
        .collect();
    assert_eq!(stdout, vec!["out 1", "out 2", "out 3"]);
    assert_eq!(stderr, vec!["err 1", "err 2", "err 3"]);
    let now_nanos = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after the epoch")
            .as_nanos(),
    )
    .expect("fits");
    for line in &lines {
        let age = now_nanos - line.timestamp_nanos;
        assert!(
            (0..120_000_000_000).contains(&age),
            "{line:?} has a timestamp {age} ns old"
        );
    }

    let tail = block_on(async {
        engine()
            .container_logs(
                &container_id,
                &LogOptions {
                    tail: Some(2),
                    ..LogOptions::default()
                },
            )
            .await
            .expect("logs")
            .collect::<Vec<_>>()
            .await
    });
    assert_eq!(tail.len(), 2);

    // The logs are read off the socket without bollard: the engine's 404 for a container
    // that is gone must still be `NotFound`, naming it.
    let gone = block_on(async {
        engine()
            .container_logs("msctl-e2e-no-such-container", &LogOptions::default())
            .await
            .map(|_| ())
    });
    match gone {
        Err(EngineError::NotFound { what }) => {
            assert!(what.contains("msctl-e2e-no-such-container"), "{what}")
        }
        other => panic!("logs of a gone container: {other:?}"),
    }
}

#[test]
fn kill_ends_the_replica_and_events_report_its_exit_code() {
    let project = script_project("events", "sleep 60");
    let container_id = project.start_replica("app", 1);
    let died = block_on(async {
        let mut events = engine()
            .events(&LabelFilter::project(project.name()))
            .await
            .expect("events");
        engine()
            .kill_container(&container_id, "SIGKILL")
            .await
            .expect("kill");
        let died = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = events.next().await {
                let event = event.expect("an event");
                if event.action == EventAction::Die {
                    return Some(event);
                }
            }
            None
        })
        .await;
        died.ok().flatten()
    });
    let died = died.expect("a die event within 10 s");
    assert_eq!(died.container_id, container_id);
    assert_eq!(died.exit_code, Some(137));
    assert_eq!(
        died.labels.get(labels::PROJECT).map(String::as_str),
        Some(project.name())
    );
    let details = project.inspect(&container_id);
    assert_eq!(details.summary.state, ContainerState::Exited { code: 137 });
    assert_eq!(details.exit_code, Some(137));
}

#[test]
fn cpu_percent_tells_a_busy_replica_from_an_idle_one() {
    let busy = script_project("cpu-busy", "while :; do :; done");
    let idle = script_project("cpu-idle", "sleep 60");
    let busy_id = busy.start_replica("app", 1);
    let idle_id = idle.start_replica("app", 1);
    let (busy_cpu, idle_cpu) = block_on(async {
        // Let the loop run a moment, then both samples of each.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let busy_cpu = engine().cpu_percent(&busy_id).await.expect("busy stats");
        let idle_cpu = engine().cpu_percent(&idle_id).await.expect("idle stats");
        (busy_cpu, idle_cpu)
    });
    // One shell spinning takes a CPU when it can; on a loaded machine (other tests,
    // builds) it still gets a good share, while a sleeping one gets none.
    assert!(busy_cpu > 25.0, "busy: {busy_cpu}%");
    assert!(idle_cpu < 5.0, "idle: {idle_cpu}%");
}

#[test]
fn exec_returns_the_commands_exit_code() {
    let project = script_project("exec-code", "sleep 60");
    let container_id = project.start_replica("app", 1);
    let spec = ExecSpec {
        command: vec![
            "sh".into(),
            "-c".into(),
            "test \"$GREETING\" = hi && exit 7".into(),
        ],
        env: vec!["GREETING=hi".into()],
        ..ExecSpec::default()
    };
    assert_eq!(block_on(engine().exec(&container_id, &spec)).ok(), Some(7));
    block_on(engine().kill_container(&container_id, "SIGKILL")).expect("kill");
    project.wait_for("the replica to stop", Duration::from_secs(10), || {
        !project
            .inspect(&container_id)
            .summary
            .state
            .eq(&ContainerState::Running)
    });
    let stopped = block_on(engine().exec(&container_id, &spec));
    assert!(
        matches!(stopped, Err(EngineError::Conflict { .. })),
        "exec in a stopped container: {stopped:?}"
    );
}

#[test]
fn secrets_are_read_only_files_and_an_environment_secrets_value_stays_out_of_the_config() {
    let project = TestProject::new(
        "secrets",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sh", "-c", "cat /run/secrets/token /run/secrets/key; echo; touch /run/secrets/token 2>/dev/null || echo read-only; sleep 60"]
    init: true
    secrets: [token, key]
secrets:
  token:
    environment: MSCTL_E2E_TOKEN
  key:
    file: ./key.txt
"#,
            image = test_image()
        ),
    );
    project.write_file("key.txt", "-file-secret");
    let state_dir = project.state_dir();
    let token_file = state_dir.join("secrets").join(project.name()).join("token");
    let mut environment: BTreeMap<String, String> = std::env::vars().collect();
    environment.insert("MSCTL_STATE_DIR".into(), state_dir.display().to_string());
    environment.insert("MSCTL_E2E_TOKEN".into(), "env-secret".into());
    let scoped = block_on(DockerEngine::connect_from_env(&environment)).expect("connect");
    project.create_networks();
    let spec = project.replica_spec("app", 1);
    let container_id = block_on(async {
        let id = scoped.create_container(&spec).await.expect("create");
        scoped.start_container(&id).await.expect("start");
        id
    });
    let mut messages = Vec::new();
    project.wait_for("the secrets printed", Duration::from_secs(10), || {
        messages = block_on(async {
            scoped
                .container_logs(&container_id, &LogOptions::default())
                .await
                .expect("logs")
                .filter_map(|line| async move { line.ok().map(|l| l.message) })
                .collect::<Vec<_>>()
                .await
        });
        messages.len() >= 2
    });
    assert_eq!(messages, vec!["env-secret-file-secret", "read-only"]);
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .expect("the secret file and its directory")
            .permissions()
            .mode()
            & 0o777
    };
    // Readable by the container's user, kept from other host users by its directory.
    assert_eq!(mode(&token_file), 0o444);
    assert_eq!(mode(token_file.parent().expect("dir")), 0o700);
    let inspected =
        block_on(engine().client().inspect_container(&container_id, None)).expect("inspect");
    let env = inspected.config.and_then(|c| c.env).unwrap_or_default();
    assert!(
        !env.iter().any(|entry| entry.contains("env-secret")),
        "{env:?}"
    );
}

#[test]
fn an_unreachable_engine_is_unavailable_within_seconds_naming_the_address() {
    let started = Instant::now();
    let missing_socket = block_on(DockerEngine::connect(Some("unix:///nonexistent.sock")));
    match missing_socket {
        Err(err @ EngineError::Unavailable { .. }) => {
            let text = err.to_string();
            assert!(
                text.starts_with("cannot reach the Docker engine at unix:///nonexistent.sock: "),
                "{text}"
            );
            assert!(err.hint().is_some());
        }
        other => panic!("expected Unavailable, got {:?}", other.map(|_| ())),
    }
    let refused = block_on(DockerEngine::connect(Some("tcp://127.0.0.1:1")));
    match refused {
        Err(err @ EngineError::Unavailable { .. }) => assert!(
            err.to_string()
                .starts_with("cannot reach the Docker engine at tcp://127.0.0.1:1: "),
            "{err}"
        ),
        other => panic!("expected Unavailable, got {:?}", other.map(|_| ())),
    }
    assert!(started.elapsed() < Duration::from_secs(6));
}

#[test]
fn the_negotiated_api_version_is_the_engines_or_older() {
    let version = engine().api_version();
    assert!(
        version.at_least(msctl::engine::docker::ApiVersion::new(1, 41)),
        "{version}"
    );
}

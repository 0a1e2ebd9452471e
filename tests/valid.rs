//! Every valid fixture validates and prints its resolved configuration as JSON; a few
//! fixtures also pin what msctl makes of the parts docker-compose cannot check for us
//! (`x-msctl`, newer Compose keys, the project name).

use serde_json::{json, Value};

use crate::support::{command_line, msctl, repo_root, run, valid_fixture, valid_fixtures};

/// `msctl -f ... config --format json` for the fixture `name`, parsed.
fn config_json(name: &str) -> Value {
    let fixture = valid_fixture(name);
    let mut command = msctl();
    command
        .args(fixture.file_args())
        .args(["config", "--format", "json"]);
    let line = command_line(&command);
    let run = run(&mut command);
    assert_eq!(run.code, Some(0), "{}", run.describe(&line));
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("stdout is not JSON: {error}\n{}", run.describe(&line)))
}

/// The value at a JSON pointer, or a panic naming the pointer and the whole document.
fn at<'a>(config: &'a Value, pointer: &str) -> &'a Value {
    config.pointer(pointer).unwrap_or_else(|| {
        panic!(
            "nothing at `{pointer}` in\n{}",
            serde_json::to_string_pretty(config).unwrap_or_default()
        )
    })
}

fn fixture_path(relative: &str) -> String {
    repo_root()
        .join("tests/fixtures/valid")
        .join(relative)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_valid_fixture_validates_with_a_one_line_summary() {
    let fixtures = valid_fixtures();
    assert!(
        fixtures.len() >= 18,
        "expected at least 18 valid fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let mut command = msctl();
        command.args(fixture.file_args()).arg("validate");
        let line = command_line(&command);
        let run = run(&mut command);
        let stdout_lines = run.stdout.lines().count();
        if run.code != Some(0) || stdout_lines != 1 {
            failures.push(format!(
                "fixture `{}`: expected exit 0 and one stdout line, got {stdout_lines} lines\n{}",
                fixture.name,
                run.describe(&line)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_valid_fixture_prints_its_config_as_json() {
    let mut failures = Vec::new();
    for fixture in valid_fixtures() {
        let mut command = msctl();
        command
            .args(fixture.file_args())
            .args(["config", "--format", "json"]);
        let line = command_line(&command);
        let run = run(&mut command);
        let parsed = serde_json::from_str::<Value>(&run.stdout);
        let problem = match (&run.code, &parsed) {
            (Some(0), Ok(value)) if value.get("services").is_some_and(Value::is_object) => None,
            (Some(0), Ok(_)) => Some("the JSON has no `services` object".to_string()),
            (Some(0), Err(error)) => Some(format!("stdout is not JSON: {error}")),
            _ => Some("expected exit 0".to_string()),
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "fixture `{}`: {problem}\n{}",
                fixture.name,
                run.describe(&line)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn global_flags_are_accepted_after_the_subcommand() {
    let mut command = msctl();
    command.args([
        "validate",
        "-f",
        "tests/fixtures/valid/minimal.yaml",
        "-p",
        "after",
    ]);
    let line = command_line(&command);
    let run = run(&mut command);
    assert_eq!(run.code, Some(0), "{}", run.describe(&line));
}

#[test]
fn project_name_comes_from_the_manifest_unless_given_with_p() {
    assert_eq!(at(&config_json("project-name"), "/name"), "shop-fixture");

    let mut command = msctl();
    command.args([
        "-p",
        "from-flag",
        "-f",
        "tests/fixtures/valid/project-name.yaml",
        "config",
        "--format",
        "json",
    ]);
    let line = command_line(&command);
    let run = run(&mut command);
    assert_eq!(run.code, Some(0), "{}", run.describe(&line));
    let config: Value = serde_json::from_str(&run.stdout).expect("config prints JSON");
    assert_eq!(at(&config, "/name"), "from-flag");
}

#[test]
fn interpolation_applies_defaults_and_unescapes_dollars() {
    let config = config_json("interpolation");
    assert_eq!(at(&config, "/services/web/image"), "nginx:1.25");
    assert_eq!(
        at(&config, "/services/web/environment"),
        &json!({
            "EMPTY_KEPT": "",
            "EMPTY_USES_DEFAULT": "fallback",
            "ESCAPED": "$HOME costs $5",
            "MIXED": "v1.25-dev",
            "TAG": "1.25",
            "UNSET_USES_DEFAULT": "fallback",
            "WITH_DEFAULT": "fallback",
        })
    );
    assert_eq!(
        at(&config, "/services/web/command"),
        &json!(["sh", "-c", "echo ${PATH}"])
    );
}

#[test]
fn dotenv_beside_the_first_manifest_is_read() {
    let config = config_json("with-dotenv");
    assert_eq!(at(&config, "/services/api/image"), "api:2.1.0");
    assert_eq!(at(&config, "/services/api/environment/LOG_LEVEL"), "debug");
    assert_eq!(at(&config, "/services/api/ports/0/published"), 18080);
}

#[test]
fn x_msctl_probes_are_http_or_tcp_checks() {
    let config = config_json("x-msctl-probes");
    assert_eq!(
        at(&config, "/services/api/x-msctl/probe/check"),
        &json!({"http": {"port": 8080, "path": "/healthz"}})
    );
    assert_eq!(
        at(&config, "/services/db/x-msctl/probe/check"),
        &json!({"tcp": {"port": 5432}})
    );
    assert!(config.pointer("/services/worker/x-msctl").is_none());
}

#[test]
fn x_msctl_cargo_build_names_the_package() {
    let config = config_json("x-msctl-cargo-build");
    assert_eq!(
        at(&config, "/services/users/x-msctl/build/package"),
        "users"
    );
    assert_eq!(
        at(&config, "/services/users/x-msctl/build/workspace"),
        repo_root().to_string_lossy().as_ref()
    );
    assert_eq!(
        at(&config, "/services/products/x-msctl/build/bin"),
        "products-server"
    );
    assert_eq!(
        at(&config, "/services/products/x-msctl/probe/check"),
        &json!({"http": {"port": 8080, "path": "/readyz"}})
    );
}

#[test]
fn newer_compose_keys_are_understood() {
    let config = config_json("compose-spec-newer-keys");
    assert_eq!(at(&config, "/services/db/healthcheck/start_interval"), "1s");
    assert_eq!(
        at(&config, "/services/api/depends_on/db"),
        &json!({"condition": "service_healthy", "restart": true, "required": true})
    );
    assert_eq!(
        at(&config, "/services/api/ports"),
        &json!([{"target": 8080, "published": 18080, "host_ip": "127.0.0.1", "protocol": "tcp"}])
    );
    assert_eq!(
        at(&config, "/services/api/environment/FEATURE_ENABLED"),
        "true"
    );
}

#[test]
fn secrets_resolve_to_absolute_files_and_container_paths() {
    let config = config_json("secrets");
    assert_eq!(
        at(&config, "/secrets/db_password"),
        &json!({"file": fixture_path("secrets/db_password.txt")})
    );
    assert_eq!(
        at(&config, "/secrets/tls_cert"),
        &json!({"file": fixture_path("secrets/tls/cert.pem")})
    );
    assert_eq!(
        at(&config, "/services/db/secrets"),
        &json!([
            {"source": "db_password", "target": "/run/secrets/db_password"},
            {"source": "api_key", "target": "/run/secrets/api.key"},
            {"source": "tls_cert", "target": "/etc/tls/cert.pem"},
        ])
    );
}

#[test]
fn healthcheck_tests_are_normalised_to_docker_form() {
    let config = config_json("healthcheck-forms");
    assert_eq!(
        at(&config, "/services/shell-string/healthcheck/test"),
        &json!([
            "CMD-SHELL",
            "wget -q -O- http://localhost:8080/healthz || exit 1"
        ])
    );
    assert_eq!(
        at(&config, "/services/shell-string/healthcheck/interval"),
        "1m30s"
    );
    assert_eq!(
        at(&config, "/services/shell-string/healthcheck/start_period"),
        "500ms"
    );
    assert_eq!(
        at(&config, "/services/none/healthcheck/test"),
        &json!(["NONE"])
    );
    assert_eq!(
        at(&config, "/services/disabled/healthcheck/test"),
        &json!(["NONE"])
    );
}

#[test]
fn replicas_default_to_one_and_follow_scale() {
    let config = config_json("scale");
    assert_eq!(at(&config, "/services/worker/deploy/replicas"), 4);
    assert_eq!(at(&config, "/services/web/deploy/replicas"), 1);
}

#[test]
fn include_brings_in_sub_projects_with_their_own_paths_and_variables() {
    let config = config_json("include");
    let services: Vec<&String> = at(&config, "/services")
        .as_object()
        .expect("services is an object")
        .keys()
        .collect();
    assert_eq!(services, ["app", "opensearch", "prometheus"]);
    // monitoring/.env, not the including project's, gives the included file its variables.
    assert_eq!(
        at(&config, "/services/prometheus/image"),
        "prom/prometheus:v2.51.0"
    );
    // The entry's `env_file` replaces the included directory's `.env`.
    assert_eq!(
        at(&config, "/services/opensearch/image"),
        "opensearchproject/opensearch:2.13.0"
    );
    assert_eq!(
        at(
            &config,
            "/services/opensearch/environment/OPENSEARCH_JAVA_OPTS"
        ),
        "-Xms512m -Xmx512m"
    );
    // Relative bind sources are relative to the included file, not to the includer.
    assert_eq!(
        at(&config, "/services/prometheus/volumes/0/source"),
        fixture_path("include/monitoring/prometheus.yml").as_str()
    );
    assert_eq!(
        at(&config, "/services/opensearch/volumes/0/source"),
        fixture_path("include/search/config/opensearch.yml").as_str()
    );
    // Top-level resources of an included file join the project.
    assert_eq!(at(&config, "/volumes"), &json!({"metrics": {}}));
}

#[test]
fn extends_across_files_rebases_paths_to_the_file_that_wrote_them() {
    let config = config_json("extends");
    for service in ["web", "worker", "scheduler"] {
        assert_eq!(
            at(&config, &format!("/services/{service}/build/context")),
            fixture_path("extends/common/app").as_str(),
            "build context of `{service}`"
        );
        // env files of common/base.yaml are read from common/, later ones winning.
        assert_eq!(
            at(
                &config,
                &format!("/services/{service}/environment/LOG_FORMAT")
            ),
            "text",
            "environment of `{service}`"
        );
        assert_eq!(
            at(&config, &format!("/services/{service}/environment/TZ")),
            "UTC"
        );
        // `base`, two links up the chain, still gives its logging and restart policy.
        assert_eq!(
            at(&config, &format!("/services/{service}/restart")),
            "unless-stopped"
        );
    }
    assert_eq!(
        at(&config, "/services/web/volumes"),
        &json!([{
            "type": "bind",
            "source": fixture_path("extends/common/static"),
            "target": "/srv/static",
            "read_only": true,
        }])
    );
    // The last link of the chain is in compose.yaml: its own paths stay relative to it.
    assert_eq!(
        at(&config, "/services/scheduler/volumes/1/source"),
        fixture_path("extends/schedules").as_str()
    );
    assert_eq!(
        at(&config, "/services/scheduler/command"),
        &json!(["celery", "-A", "shop", "beat"])
    );
    assert_eq!(
        at(&config, "/services/scheduler/environment/ROLE"),
        "worker"
    );
    assert_eq!(
        at(&config, "/services/db/volumes/0/source"),
        fixture_path("extends/common/initdb").as_str()
    );
}

#[test]
fn lifecycle_hooks_inline_dockerfiles_and_optional_dependencies_are_kept() {
    let config = config_json("compose-spec-lifecycle");
    assert_eq!(
        at(&config, "/services/api/build"),
        &json!({
            "context": fixture_path("compose-spec-lifecycle"),
            "dockerfile_inline": "FROM alpine:3.19\nRUN apk add --no-cache curl\n\
                                  COPY server.sh /usr/local/bin/server\nCMD [\"server\"]\n",
        })
    );
    assert_eq!(
        at(&config, "/services/api/depends_on/cache"),
        &json!({"condition": "service_started", "restart": false, "required": false})
    );
    assert_eq!(at(&config, "/services/api/depends_on/db/required"), true);
    assert_eq!(
        at(&config, "/services/api/annotations"),
        &json!({
            "com.example.owner": "payments-team",
            "org.opencontainers.image.source": "https://example.com/shop",
        })
    );
    assert_eq!(
        at(&config, "/services/api/post_start"),
        &json!([
            {"command": ["/bin/sh", "-c", "echo started > /tmp/ready"], "user": "root"},
            {
                "command": ["/usr/local/bin/warm-cache", "--quick"],
                "environment": {"WARM_CACHE_LIMIT": "100"},
            },
        ])
    );
    assert_eq!(
        at(&config, "/services/api/pre_stop"),
        &json!([{
            "command": ["/usr/local/bin/server", "drain", "--timeout", "10"],
            "privileged": true,
            "working_dir": "/srv",
        }])
    );
    let watch = at(&config, "/services/api/develop/watch");
    assert_eq!(watch[0]["action"], json!("sync"));
    assert_eq!(watch[0]["target"], json!("/srv/src"));
    assert!(watch[0]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("/src")));
    assert_eq!(watch[1]["action"], json!("rebuild"));
    assert!(watch[1]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("/server.sh")));
    assert!(watch[1].get("target").is_none());
}

#[test]
fn develop_is_read_for_watch_without_a_warning() {
    let fixture = valid_fixture("compose-spec-lifecycle");
    let mut command = msctl();
    command.args(fixture.file_args()).arg("validate");
    let line = command_line(&command);
    let run = run(&mut command);
    assert_eq!(run.code, Some(0), "{}", run.describe(&line));
    assert!(
        !run.stderr.contains("`develop`"),
        "`develop` is supported: no warning\n{}",
        run.describe(&line)
    );
}

#[test]
fn configs_and_secrets_can_come_from_the_manifest_or_the_environment() {
    let config = config_json("configs-inline");
    assert_eq!(
        at(&config, "/configs"),
        &json!({
            "app_version": {"environment": "FIXTURE_TAG"},
            "nginx_snippet": {
                "content": "location = /healthz {\n    return 200 \"ok\";\n}\n",
            },
        })
    );
    assert_eq!(
        at(&config, "/secrets"),
        &json!({"api_token": {"environment": "FIXTURE_TAG"}})
    );
    assert_eq!(
        at(&config, "/services/web/configs"),
        &json!([
            {"source": "nginx_snippet", "target": "/etc/nginx/conf.d/health.conf"},
            {"source": "app_version", "target": "/app_version"},
        ])
    );
    assert_eq!(
        at(&config, "/services/web/secrets"),
        &json!([{"source": "api_token", "target": "/run/secrets/api_token"}])
    );
}

//! msctl reads the valid fixtures the way docker-compose 1.29 (the reference peer installed
//! beside the engine) does.
//!
//! For each fixture both tools print the resolved configuration: `docker-compose config`
//! (YAML) and `msctl config --format json`. Both are brought into one canonical form per
//! service (durations in milliseconds, memory in bytes, ports and mounts as sorted tuples,
//! short and long syntax alike) and compared field by field. The normaliser here reads
//! docker-compose's short syntax itself, so it shares no parsing code with msctl.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::support::{clean_env, command_line, msctl, run, valid_fixture, valid_fixtures, Fixture};

/// One `#[test]` per compared fixture, and the list `COMPARED` that the completeness test
/// checks against the fixture directory.
macro_rules! compared_fixtures {
    ($($test:ident: $name:literal,)+) => {
        const COMPARED: &[&str] = &[$($name),+];
        $(
            #[test]
            fn $test() {
                compare_fixture($name);
            }
        )+
    };
}

compared_fixtures! {
    anchors_merge: "anchors-merge",
    build_long: "build-long",
    build_string: "build-string",
    configs: "configs",
    container_keys: "container-keys",
    depends_on_long: "depends-on-long",
    depends_on_short: "depends-on-short",
    deploy_full: "deploy-full",
    environment_list: "environment-list",
    environment_map: "environment-map",
    extends: "extends",
    extension_fields: "extension-fields",
    healthcheck_forms: "healthcheck-forms",
    interpolation: "interpolation",
    legacy_limits: "legacy-limits",
    legacy_version_key: "legacy-version-key",
    minimal: "minimal",
    misc_keys: "misc-keys",
    networks_ipam: "networks-ipam",
    networks_list: "networks-list",
    networks_map_aliases: "networks-map-aliases",
    override_files: "override",
    ports_long: "ports-long",
    ports_short: "ports-short",
    profiles: "profiles",
    scale: "scale",
    secrets: "secrets",
    shop: "shop",
    volumes_long: "volumes-long",
    volumes_named: "volumes-named",
    volumes_short: "volumes-short",
    with_dotenv: "with-dotenv",
    x_msctl_cargo_build: "x-msctl-cargo-build",
    x_msctl_probes: "x-msctl-probes",
}

/// Valid fixtures docker-compose 1.29 rejects, and why. `tests/valid.rs` checks what msctl
/// makes of them instead.
const SKIPPED: &[(&str, &str)] = &[
    (
        "compose-spec-newer-keys",
        "docker-compose 1.29 rejects `healthcheck.start_interval`, `depends_on.<name>.required`, \
         `host_ip` in long-syntax ports and boolean environment values",
    ),
    (
        "compose-spec-lifecycle",
        "docker-compose 1.29 rejects `post_start`, `pre_stop`, `annotations`, `develop`, \
         `build.dockerfile_inline`, `depends_on.<name>.required` and \
         `healthcheck.start_interval`",
    ),
    (
        "configs-inline",
        "docker-compose 1.29 rejects `content` and `environment` in top-level configs and \
         `environment` in top-level secrets",
    ),
    (
        "include",
        "docker-compose 1.29 rejects the top-level `include` key",
    ),
    (
        "project-name",
        "docker-compose 1.29 rejects the top-level `name` key",
    ),
];

/// Service keys the normaliser reads. Any other key either tool prints (apart from `x-`
/// extensions, which msctl reads differently) fails the test, so a new fixture or a new
/// field of msctl's model cannot silently go uncompared.
const SERVICE_KEYS: &[&str] = &[
    "build",
    "cap_add",
    "cap_drop",
    "command",
    "configs",
    "container_name",
    "cpu_shares",
    "cpus",
    "cpuset",
    "depends_on",
    "deploy",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "environment",
    "expose",
    "extra_hosts",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "memswap_limit",
    "network_mode",
    "networks",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "privileged",
    "profiles",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "volumes",
    "working_dir",
];

/// Top-level keys the comparison reads; any other either tool prints fails the test.
/// docker-compose prints `version` (informative only), msctl prints the project `name`.
const TOP_LEVEL_KEYS: &[&str] = &[
    "configs", "name", "networks", "secrets", "services", "version", "volumes",
];

#[test]
fn every_valid_fixture_is_compared_or_skipped_with_a_reason() {
    let compared: BTreeSet<&str> = COMPARED.iter().copied().collect();
    let skipped: BTreeSet<&str> = SKIPPED.iter().map(|(name, _)| *name).collect();
    assert!(
        compared.is_disjoint(&skipped),
        "fixtures both compared and skipped: {:?}",
        compared.intersection(&skipped).collect::<Vec<_>>()
    );
    let listed: BTreeSet<&str> = compared.union(&skipped).copied().collect();
    let fixtures = valid_fixtures();
    let on_disk: BTreeSet<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        on_disk, listed,
        "tests/fixtures/valid and the lists in tests/differential.rs differ: \
         compare a new fixture, or skip it with the reason docker-compose rejects it"
    );
    assert!(
        compared.len() >= 12,
        "expected at least 12 fixtures compared with docker-compose, found {}",
        compared.len()
    );
}

/// The skip list stays honest: docker-compose really rejects each skipped fixture.
#[test]
fn skipped_fixtures_are_rejected_by_docker_compose() {
    for (name, reason) in SKIPPED {
        let fixture = valid_fixture(name);
        let mut command = docker_compose(&fixture);
        let line = command_line(&command);
        let run = run(&mut command);
        assert_ne!(
            run.code,
            Some(0),
            "fixture `{name}` is skipped ({reason}) but docker-compose accepts it: compare it\n{}",
            run.describe(&line)
        );
    }
}

fn compare_fixture(name: &str) {
    let fixture = valid_fixture(name);
    let reference = docker_compose_config(&fixture);
    let ours = msctl_config(&fixture);
    let mismatches = differences(&reference, &ours);
    assert!(
        mismatches.is_empty(),
        "fixture `{name}`: msctl and docker-compose 1.29 read it differently\n\n{}",
        mismatches.join("\n")
    );
}

/// `docker-compose -f ... config`, with the environment msctl gets.
fn docker_compose(fixture: &Fixture) -> Command {
    check_docker_compose_version();
    let mut command = Command::new("docker-compose");
    clean_env(&mut command);
    command.args(fixture.file_args()).arg("config");
    command
}

/// Fails, never skips, when the reference is missing: a green run must mean "compared".
fn check_docker_compose_version() {
    static VERSION: OnceLock<Result<String, String>> = OnceLock::new();
    let version = VERSION.get_or_init(|| {
        let output = Command::new("docker-compose")
            .args(["version", "--short"])
            .output()
            .map_err(|error| {
                format!(
                    "cannot run `docker-compose` ({error}): the differential tests compare msctl \
                     with docker-compose 1.29 and need it on PATH"
                )
            })?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if output.status.success() && version.starts_with("1.") {
            Ok(version)
        } else {
            Err(format!(
                "the differential tests are written against docker-compose 1.x (Python), \
                 found `{version}`: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    if let Err(message) = version {
        panic!("{message}");
    }
}

fn docker_compose_config(fixture: &Fixture) -> Value {
    let mut command = docker_compose(fixture);
    let line = command_line(&command);
    let run = run(&mut command);
    assert_eq!(
        run.code,
        Some(0),
        "docker-compose rejects fixture `{}`: if it uses Compose keys newer than 1.29, \
         move it to SKIPPED with the reason\n{}",
        fixture.name,
        run.describe(&line)
    );
    let value: Value = serde_norway::from_str(&run.stdout).unwrap_or_else(|error| {
        panic!(
            "docker-compose printed YAML that does not parse: {error}\n{}",
            run.describe(&line)
        )
    });
    // docker-compose prints a re-loadable file, so a literal `$` comes out as `$$`.
    unescape_dollars(value)
}

fn msctl_config(fixture: &Fixture) -> Value {
    let mut command = msctl();
    command
        .args(fixture.file_args())
        .args(["config", "--format", "json"]);
    let line = command_line(&command);
    let run = run(&mut command);
    assert_eq!(
        run.code,
        Some(0),
        "msctl rejects fixture `{}`\n{}",
        fixture.name,
        run.describe(&line)
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|error| {
        panic!(
            "msctl config printed invalid JSON: {error}\n{}",
            run.describe(&line)
        )
    })
}

fn unescape_dollars(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace("$$", "$")),
        Value::Array(items) => Value::Array(items.into_iter().map(unescape_dollars).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, unescape_dollars(value)))
                .collect(),
        ),
        other => other,
    }
}

// ---------------------------------------------------------------------------------------
// Comparison

/// A line per field that differs, naming the section and service.
fn differences(reference: &Value, ours: &Value) -> Vec<String> {
    let mut mismatches = Vec::new();
    let empty = Map::new();
    let reference_services = reference
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let our_services = ours
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    check_known_keys("docker-compose", reference);
    check_known_keys("msctl", ours);
    for (name, service) in reference_services {
        let Some(our_service) = our_services.get(name) else {
            // msctl may leave services of inactive profiles out of `config`.
            if string_list(service.get("profiles")).is_empty() {
                mismatches.push(format!("service `{name}`: missing from msctl's config"));
            }
            continue;
        };
        let expected = canonical_service(service);
        let mut actual = canonical_service(our_service);
        for pointer in [
            "/deploy/restart_policy",
            "/deploy/update_config",
            "/deploy/rollback_config",
        ] {
            restrict_to_reference_keys(&mut actual, &expected, pointer);
        }
        diff_fields(
            &format!("service `{name}`"),
            &expected,
            &actual,
            &mut mismatches,
        );
    }
    for name in our_services.keys() {
        if !reference_services.contains_key(name) {
            mismatches.push(format!("service `{name}`: not in docker-compose's config"));
        }
    }

    for (section, default_driver) in [("volumes", "local"), ("networks", "bridge")] {
        let expected = canonical_resources(reference.get(section), default_driver);
        let mut actual = canonical_resources(ours.get(section), default_driver);
        // msctl may list the implicit `default` network; docker-compose never prints it.
        if section == "networks" && !expected.contains_key("default") {
            actual.remove("default");
        }
        for (name, resource) in &expected {
            let Some(actual) = actual.get_mut(name) else {
                mismatches.push(format!("{section} `{name}`: missing from msctl's config"));
                continue;
            };
            // docker-compose prints `name` only when the manifest sets it.
            restrict_to_reference_keys(actual, resource, "");
            diff_fields(
                &format!("{section} `{name}`"),
                resource,
                actual,
                &mut mismatches,
            );
        }
        for name in actual.keys() {
            if !expected.contains_key(name) {
                mismatches.push(format!(
                    "{section} `{name}`: not in docker-compose's config"
                ));
            }
        }
    }

    // Top-level secrets and configs: where each comes from (`{"file": absolute path}`).
    for section in ["secrets", "configs"] {
        let expected = reference.get(section).cloned().unwrap_or(json!({}));
        let actual = ours.get(section).cloned().unwrap_or(json!({}));
        if expected != actual {
            mismatches.push(mismatch(section, &expected, &actual));
        }
    }
    mismatches
}

/// Fails when `tool` prints a key this test does not normalise.
fn check_known_keys(tool: &str, config: &Value) {
    for key in config.as_object().into_iter().flat_map(Map::keys) {
        assert!(
            TOP_LEVEL_KEYS.contains(&key.as_str()),
            "{tool} prints the top-level key `{key}`, which this test does not compare: \
             add it to TOP_LEVEL_KEYS and to `differences`"
        );
    }
    let services = config.get("services").and_then(Value::as_object);
    for (name, service) in services.into_iter().flatten() {
        for key in service.as_object().into_iter().flat_map(Map::keys) {
            assert!(
                key.starts_with("x-") || SERVICE_KEYS.contains(&key.as_str()),
                "{tool} prints `{key}` for service `{name}`, which this test does not \
                 normalise: add it to SERVICE_KEYS and `canonical_service`"
            );
        }
    }
}

/// Keeps only the keys of the object at `pointer` in `ours` that the reference prints
/// there; when the reference has nothing there, ours is not compared either.
fn restrict_to_reference_keys(ours: &mut Value, reference: &Value, pointer: &str) {
    let allowed = match reference.pointer(pointer) {
        Some(Value::Object(map)) => Some(map.keys().cloned().collect::<BTreeSet<_>>()),
        _ => None,
    };
    let Some(target) = ours.pointer_mut(pointer) else {
        return;
    };
    match (allowed, target) {
        (Some(keys), Value::Object(map)) => map.retain(|key, _| keys.contains(key)),
        (None, target) => *target = Value::Null,
        (Some(_), _) => {}
    }
}

fn diff_fields(subject: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    let (Some(expected), Some(actual)) = (expected.as_object(), actual.as_object()) else {
        if expected != actual {
            out.push(mismatch(subject, expected, actual));
        }
        return;
    };
    for (field, expected_value) in expected {
        let actual_value = actual.get(field).unwrap_or(&Value::Null);
        if expected_value != actual_value {
            out.push(mismatch(
                &format!("{subject}, `{field}`"),
                expected_value,
                actual_value,
            ));
        }
    }
}

fn mismatch(subject: &str, expected: &Value, actual: &Value) -> String {
    format!("{subject}:\n  docker-compose: {expected}\n  msctl:          {actual}")
}

// ---------------------------------------------------------------------------------------
// Canonical forms. Each function reads both docker-compose's YAML and msctl's JSON.

fn canonical_service(service: &Value) -> Value {
    let field = |key: &str| service.get(key).filter(|value| !value.is_null());
    let mut canonical = json!({
        "image": opt_string(field("image")),
        "build": field("build").map(canonical_build),
        "command": field("command").map(words),
        "entrypoint": field("entrypoint").map(words),
        "environment": key_values(field("environment")),
        "ports": canonical_ports(field("ports")),
        "expose": sorted(string_list(field("expose"))),
        "volumes": canonical_mounts(field("volumes")),
        "networks": canonical_service_networks(field("networks"), field("network_mode")),
        "depends_on": canonical_depends_on(field("depends_on")),
        "healthcheck": field("healthcheck").map(canonical_healthcheck),
        "deploy": canonical_deploy(field("deploy"), field("scale")),
        "restart": opt_string(field("restart")),
        "labels": labels(field("labels")),
        "user": opt_string(field("user")),
        "working_dir": opt_string(field("working_dir")),
        "read_only": field("read_only").and_then(Value::as_bool).unwrap_or(false),
        "cap_add": string_list(field("cap_add")),
        "cap_drop": string_list(field("cap_drop")),
        "security_opt": string_list(field("security_opt")),
        "init": field("init").and_then(Value::as_bool),
        "stop_signal": opt_string(field("stop_signal")),
        "stop_grace_period_ms": field("stop_grace_period").map(duration_ms),
        "tmpfs": string_list(field("tmpfs")),
        "profiles": string_list(field("profiles")),
        "secrets": canonical_service_secrets(field("secrets")),
        "hostname": opt_string(field("hostname")),
    });
    if let (Value::Object(canonical), Value::Object(settings)) =
        (&mut canonical, canonical_container_settings(service))
    {
        canonical.extend(settings);
    }
    canonical
}

/// The keys that tune the container itself (kept apart from `canonical_service` only
/// because one `json!` cannot hold them all).
fn canonical_container_settings(service: &Value) -> Value {
    let field = |key: &str| service.get(key).filter(|value| !value.is_null());
    json!({
        "domainname": opt_string(field("domainname")),
        "container_name": opt_string(field("container_name")),
        "tty": flag(field("tty")),
        "stdin_open": flag(field("stdin_open")),
        "privileged": flag(field("privileged")),
        "logging": field("logging").map(canonical_logging),
        "sysctls": labels(field("sysctls")),
        "ulimits": canonical_ulimits(field("ulimits")),
        "extra_hosts": canonical_extra_hosts(field("extra_hosts")),
        "platform": opt_string(field("platform")),
        "network_mode": opt_string(field("network_mode")),
        "links": sorted(string_list(field("links"))),
        "runtime": opt_string(field("runtime")),
        "dns": string_list(field("dns")),
        "dns_search": string_list(field("dns_search")),
        "dns_opt": string_list(field("dns_opt")),
        "devices": canonical_devices(field("devices")),
        "shm_size_bytes": field("shm_size").map(byte_size),
        "pid": opt_string(field("pid")),
        "ipc": opt_string(field("ipc")),
        "group_add": string_list(field("group_add")),
        "pids_limit": field("pids_limit").map(integer),
        "oom_score_adj": field("oom_score_adj").map(integer),
        "mem_limit_bytes": field("mem_limit").map(byte_size),
        "memswap_limit_bytes": field("memswap_limit").map(swap_limit),
        "cpus": field("cpus").map(cpus),
        "cpu_shares": field("cpu_shares").map(integer),
        "cpuset": opt_string(field("cpuset")),
        "mac_address": opt_string(field("mac_address")),
        "configs": canonical_service_configs(field("configs")),
    })
}

fn flag(value: Option<&Value>) -> bool {
    value.and_then(Value::as_bool).unwrap_or(false)
}

/// The driver and its options (values as text: `max-file: 3` and `"3"` are the same).
fn canonical_logging(logging: &Value) -> Value {
    json!({
        "driver": opt_string(logging.get("driver").filter(|v| !v.is_null())),
        "options": labels(logging.get("options")),
    })
}

/// Name -> `{soft, hard}`; a single number sets both.
fn canonical_ulimits(ulimits: Option<&Value>) -> Value {
    let mut out = BTreeMap::new();
    for (name, limit) in ulimits.and_then(Value::as_object).into_iter().flatten() {
        let (soft, hard) = match limit {
            Value::Object(map) => (
                integer(map.get("soft").expect("a ulimit has `soft`")),
                integer(map.get("hard").expect("a ulimit has `hard`")),
            ),
            single => (integer(single), integer(single)),
        };
        out.insert(name.clone(), json!({"soft": soft, "hard": hard}));
    }
    json!(out)
}

/// Sorted `HOST:IP` entries, from a `HOST:IP` / `HOST=IP` list or a `HOST: IP` mapping.
fn canonical_extra_hosts(extra_hosts: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    match extra_hosts {
        None => {}
        Some(Value::Object(map)) => {
            for (host, ips) in map {
                for ip in string_list(Some(ips)) {
                    out.push(format!("{host}:{ip}"));
                }
            }
        }
        Some(list) => {
            for entry in string_list(Some(list)) {
                // The host name cannot hold `=` or `:`; an IPv6 address holds `:`.
                let separator = entry
                    .find(['=', ':'])
                    .expect("an extra host has an address");
                let (host, ip) = (&entry[..separator], &entry[separator + 1..]);
                let ip = ip.trim_start_matches('[').trim_end_matches(']');
                out.push(format!("{host}:{ip}"));
            }
        }
    }
    sorted(out)
}

/// `(source, target, permissions)` per device, from `HOST[:CONTAINER][:PERMISSIONS]` or
/// the long form; the target defaults to the source and the permissions to `rwm`.
fn canonical_devices(devices: Option<&Value>) -> Value {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for device in devices.and_then(Value::as_array).into_iter().flatten() {
        let entry = match device {
            Value::String(spec) => {
                let parts: Vec<&str> = spec.split(':').collect();
                let (source, target, permissions) = match parts.as_slice() {
                    [source] => (*source, *source, "rwm"),
                    [source, target] if target.starts_with('/') => (*source, *target, "rwm"),
                    [source, permissions] => (*source, *source, *permissions),
                    [source, target, permissions] => (*source, *target, *permissions),
                    _ => panic!("cannot read device `{spec}`"),
                };
                (source.into(), target.into(), permissions.into())
            }
            Value::Object(map) => {
                let source = opt_string(map.get("source")).expect("a device has a source");
                (
                    source.clone(),
                    opt_string(map.get("target")).unwrap_or(source),
                    opt_string(map.get("permissions")).unwrap_or_else(|| "rwm".into()),
                )
            }
            other => panic!("cannot read device {other}"),
        };
        out.push(entry);
    }
    json!(out)
}

/// `(source, target)` with the target as the absolute path inside the container, which
/// the Compose Specification defaults to `/<source>`.
fn canonical_service_configs(configs: Option<&Value>) -> Value {
    let mut out = Vec::new();
    for config in configs.and_then(Value::as_array).into_iter().flatten() {
        let (source, target) = match config {
            Value::String(source) => (source.clone(), None),
            Value::Object(map) => (
                opt_string(map.get("source")).expect("a config has a source"),
                opt_string(map.get("target")),
            ),
            other => panic!("cannot read config {other}"),
        };
        let target = match target {
            Some(target) if target.starts_with('/') => target,
            Some(target) => panic!(
                "config target `{target}` is relative: the normaliser does not know what \
                 docker-compose makes of it"
            ),
            None => format!("/{source}"),
        };
        out.push((source, target));
    }
    json!(out)
}

fn canonical_build(build: &Value) -> Value {
    if let Some(context) = build.as_str() {
        return canonical_build(&json!({ "context": context }));
    }
    let field = |key: &str| build.get(key).filter(|value| !value.is_null());
    // docker-compose resolves a build arg without a value from its environment when it
    // prints the config, and prints "" when the variable is unset; msctl keeps null.
    let args: BTreeMap<String, String> = key_values(field("args"))
        .into_iter()
        .map(|(key, value)| (key, value.unwrap_or_default()))
        .collect();
    json!({
        "context": field("context").map(|c| trim_path(&scalar(c))),
        "dockerfile": opt_string(field("dockerfile")).unwrap_or_else(|| "Dockerfile".into()),
        "args": args,
        "target": opt_string(field("target")),
        "labels": labels(field("labels")),
    })
}

/// `(host_ip, published, target, protocol)`, one per container port, sorted.
type PortKey = (Option<String>, Option<u16>, u16, String);

fn canonical_ports(ports: Option<&Value>) -> Value {
    let mut keys: Vec<PortKey> = Vec::new();
    for port in ports.and_then(Value::as_array).into_iter().flatten() {
        match port {
            Value::String(spec) => keys.extend(parse_short_port(spec)),
            Value::Number(target) => {
                keys.push((None, None, port_number(&target.to_string()), "tcp".into()))
            }
            Value::Object(map) => {
                let get = |key: &str| map.get(key).filter(|value| !value.is_null());
                keys.push((
                    opt_string(get("host_ip")).filter(|ip| !ip.is_empty()),
                    get("published").map(|p| port_number(&scalar(p))),
                    port_number(&scalar(
                        get("target").expect("a long-syntax port has a target"),
                    )),
                    opt_string(get("protocol")).unwrap_or_else(|| "tcp".into()),
                ));
            }
            other => panic!("cannot read port {other}"),
        }
    }
    keys.sort();
    json!(keys)
}

/// docker-compose's short port syntax: `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]`, where
/// PUBLISHED and TARGET may be ranges of the same length.
fn parse_short_port(spec: &str) -> Vec<PortKey> {
    let (addresses, protocol) = spec.rsplit_once('/').unwrap_or((spec, "tcp"));
    let parts: Vec<&str> = addresses.split(':').collect();
    let (host_ip, published, target) = match parts.as_slice() {
        [target] => (None, None, *target),
        [published, target] => (None, Some(*published), *target),
        [host_ip, published, target] => (Some(*host_ip), Some(*published), *target),
        _ => panic!("cannot read short-syntax port `{spec}`"),
    };
    let host_ip = host_ip.filter(|ip| !ip.is_empty()).map(str::to_string);
    let targets = port_range(target);
    let published: Vec<Option<u16>> = match published.filter(|p| !p.is_empty()) {
        None => vec![None; targets.len()],
        Some(published) => port_range(published).into_iter().map(Some).collect(),
    };
    assert_eq!(
        published.len(),
        targets.len(),
        "short-syntax port `{spec}`: ranges of different lengths"
    );
    published
        .into_iter()
        .zip(targets)
        .map(|(published, target)| (host_ip.clone(), published, target, protocol.to_string()))
        .collect()
}

fn port_range(text: &str) -> Vec<u16> {
    match text.split_once('-') {
        Some((start, end)) => (port_number(start)..=port_number(end)).collect(),
        None => vec![port_number(text)],
    }
}

fn port_number(text: &str) -> u16 {
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a port number"))
}

/// `(type, source, target, read_only)` per mount, sorted.
fn canonical_mounts(volumes: Option<&Value>) -> Value {
    let mut mounts: Vec<(String, Option<String>, String, bool)> = Vec::new();
    for volume in volumes.and_then(Value::as_array).into_iter().flatten() {
        match volume {
            Value::String(spec) => mounts.push(parse_short_volume(spec)),
            Value::Object(map) => {
                let get = |key: &str| map.get(key).filter(|value| !value.is_null());
                mounts.push((
                    opt_string(get("type")).unwrap_or_else(|| "volume".into()),
                    opt_string(get("source")).map(|source| trim_path(&source)),
                    opt_string(get("target")).expect("a long-syntax mount has a target"),
                    get("read_only").and_then(Value::as_bool).unwrap_or(false),
                ));
            }
            other => panic!("cannot read volume {other}"),
        }
    }
    mounts.sort();
    json!(mounts)
}

/// docker-compose's short volume syntax: `TARGET`, `SOURCE:TARGET` or `SOURCE:TARGET:MODE`;
/// a source that is a path is a bind mount, any other source a named volume.
fn parse_short_volume(spec: &str) -> (String, Option<String>, String, bool) {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, ""),
        [source, target] => (Some(*source), *target, ""),
        [source, target, mode] => (Some(*source), *target, *mode),
        _ => panic!("cannot read short-syntax volume `{spec}`"),
    };
    let kind = match source {
        Some(source) if source.starts_with(['/', '.', '~']) => "bind",
        _ => "volume",
    };
    let read_only = mode.split(',').any(|option| option == "ro");
    (
        kind.to_string(),
        source.map(trim_path),
        target.to_string(),
        read_only,
    )
}

/// Network name -> sorted aliases and fixed addresses. No networks means the `default`
/// one, unless `network_mode` says the container joins none.
fn canonical_service_networks(networks: Option<&Value>, network_mode: Option<&Value>) -> Value {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    let attachment = |settings: Option<&Value>| {
        let get = |key: &str| settings.and_then(|s| s.get(key)).filter(|v| !v.is_null());
        json!({
            "aliases": sorted(string_list(get("aliases"))),
            "ipv4_address": opt_string(get("ipv4_address")),
            "ipv6_address": opt_string(get("ipv6_address")),
        })
    };
    match networks {
        Some(Value::Array(names)) => {
            for name in names {
                out.insert(scalar(name), attachment(None));
            }
        }
        Some(Value::Object(map)) => {
            for (name, settings) in map {
                out.insert(name.clone(), attachment(Some(settings)));
            }
        }
        Some(other) => panic!("cannot read service networks {other}"),
        None => {}
    }
    if out.is_empty() && network_mode.is_none() {
        out.insert("default".into(), attachment(None));
    }
    json!(out)
}

/// Dependency -> condition; the list form means `service_started`.
fn canonical_depends_on(depends_on: Option<&Value>) -> Value {
    let started = || "service_started".to_string();
    let conditions: BTreeMap<String, String> = match depends_on {
        Some(Value::Array(names)) => names.iter().map(|name| (scalar(name), started())).collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, settings)| {
                let condition = opt_string(settings.get("condition")).unwrap_or_else(started);
                (name.clone(), condition)
            })
            .collect(),
        Some(other) => panic!("cannot read depends_on {other}"),
        None => BTreeMap::new(),
    };
    json!(conditions)
}

fn canonical_healthcheck(healthcheck: &Value) -> Value {
    let field = |key: &str| healthcheck.get(key).filter(|value| !value.is_null());
    let disabled = field("disable").and_then(Value::as_bool).unwrap_or(false);
    let test = match field("test") {
        _ if disabled => vec!["NONE".to_string()],
        // A string test runs in a shell, as Docker's `CMD-SHELL` form.
        Some(Value::String(command)) => vec!["CMD-SHELL".to_string(), command.clone()],
        Some(test) => string_list(Some(test)),
        None => Vec::new(),
    };
    json!({
        "test": test,
        "interval_ms": field("interval").map(duration_ms),
        "timeout_ms": field("timeout").map(duration_ms),
        "retries": field("retries").and_then(Value::as_u64),
        "start_period_ms": field("start_period").map(duration_ms),
    })
}

fn canonical_deploy(deploy: Option<&Value>, scale: Option<&Value>) -> Value {
    let field = |key: &str| {
        deploy
            .and_then(|d| d.get(key))
            .filter(|value| !value.is_null())
    };
    let replicas = field("replicas")
        .or(scale)
        .map(|r| r.as_u64().expect("replicas is a number"))
        .unwrap_or(1);
    let resources = field("resources");
    let spec = |kind: &str| {
        let spec = resources.and_then(|r| r.get(kind));
        let get = |key: &str| {
            spec.and_then(|s| s.get(key))
                .filter(|value| !value.is_null())
        };
        json!({
            "cpus": get("cpus").map(|cpus| {
                scalar(cpus)
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("cannot read cpus {cpus}"))
            }),
            "memory": get("memory").map(byte_size),
        })
    };
    json!({
        "replicas": replicas,
        "resources": { "limits": spec("limits"), "reservations": spec("reservations") },
        "restart_policy": field("restart_policy").map(canonical_settings),
        "update_config": field("update_config").map(canonical_settings),
        "rollback_config": field("rollback_config").map(canonical_settings),
    })
}

/// `restart_policy`, `update_config` or `rollback_config`: only the keys present, with
/// durations in milliseconds and numbers as numbers.
fn canonical_settings(settings: &Value) -> Value {
    let map = settings.as_object().expect("deploy settings are a mapping");
    let mut out = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "delay" | "window" | "monitor" => json!(duration_ms(value)),
            "parallelism" | "max_attempts" => json!(value.as_u64()),
            "max_failure_ratio" => json!(scalar(value).parse::<f64>().ok()),
            _ => json!(scalar(value)),
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// `(source, target)` with the target as the absolute path inside the container.
fn canonical_service_secrets(secrets: Option<&Value>) -> Value {
    let mut out = Vec::new();
    for secret in secrets.and_then(Value::as_array).into_iter().flatten() {
        let (source, target) = match secret {
            Value::String(source) => (source.clone(), None),
            Value::Object(map) => (
                opt_string(map.get("source")).expect("a secret has a source"),
                opt_string(map.get("target")),
            ),
            other => panic!("cannot read secret {other}"),
        };
        let target = match target {
            Some(target) if target.starts_with('/') => target,
            Some(target) => format!("/run/secrets/{target}"),
            None => format!("/run/secrets/{source}"),
        };
        out.push((source, target));
    }
    json!(out)
}

/// Top-level volumes or networks: name -> settings, with the default driver filled in.
fn canonical_resources(section: Option<&Value>, default_driver: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (name, settings) in section.and_then(Value::as_object).into_iter().flatten() {
        let field = |key: &str| settings.get(key).filter(|value| !value.is_null());
        let external = flag(field("external"));
        let mut canonical = json!({
            "driver": opt_string(field("driver")).unwrap_or_else(|| default_driver.into()),
            "driver_opts": labels(field("driver_opts")),
            "external": external,
            "internal": flag(field("internal")),
            "attachable": flag(field("attachable")),
            "enable_ipv6": flag(field("enable_ipv6")),
            "ipam": field("ipam").map(canonical_ipam),
            "labels": labels(field("labels")),
        });
        // An external resource is looked up by its name, which is its key unless given;
        // docker-compose prints that name, msctl only the one written.
        match field("name") {
            Some(explicit_name) => canonical["name"] = json!(scalar(explicit_name)),
            None if external => canonical["name"] = json!(name),
            None => {}
        }
        out.insert(name.clone(), canonical);
    }
    out
}

/// A network's address plan: driver, options, and its pools in the order written.
fn canonical_ipam(ipam: &Value) -> Value {
    let field = |key: &str| ipam.get(key).filter(|value| !value.is_null());
    let pools: Vec<Value> = field("config")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|pool| {
            let get = |key: &str| pool.get(key).filter(|value| !value.is_null());
            json!({
                "subnet": opt_string(get("subnet")),
                "ip_range": opt_string(get("ip_range")),
                "gateway": opt_string(get("gateway")),
                "aux_addresses": labels(get("aux_addresses")),
            })
        })
        .collect();
    json!({
        "driver": opt_string(field("driver")),
        "config": pools,
        "options": labels(field("options")),
    })
}

// ---------------------------------------------------------------------------------------
// Scalars

/// A scalar as text: YAML numbers and booleans as written.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => panic!("expected a scalar, found {other}"),
    }
}

fn opt_string(value: Option<&Value>) -> Option<String> {
    value.filter(|value| !value.is_null()).map(scalar)
}

/// A list of scalars, or a single scalar as a one-item list.
fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(scalar).collect(),
        Some(single) => vec![scalar(single)],
    }
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

/// A `KEY: value` mapping or a `KEY=value` list; a key without a value maps to `None`.
fn key_values(value: Option<&Value>) -> BTreeMap<String, Option<String>> {
    match value {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| (key.clone(), opt_string(Some(value))))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let item = scalar(item);
                match item.split_once('=') {
                    Some((key, value)) => (key.to_string(), Some(value.to_string())),
                    None => (item, None),
                }
            })
            .collect(),
        Some(other) => panic!("cannot read key/value pairs {other}"),
    }
}

/// Labels and driver options: like [`key_values`], with a missing value as "".
fn labels(value: Option<&Value>) -> BTreeMap<String, String> {
    key_values(value)
        .into_iter()
        .map(|(key, value)| (key, value.unwrap_or_default()))
        .collect()
}

/// A command: a list as is, a string split the way a POSIX shell splits words (which is
/// what docker-compose does before handing it to Docker).
fn words(value: &Value) -> Vec<String> {
    match value {
        Value::String(line) => shell_words(line),
        other => string_list(Some(other)),
    }
}

fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '$' | '`')) => word.push(escaped),
                            Some(other) => word.extend(['\\', other]),
                            None => word.push('\\'),
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// `1m30s`, `90s`, `500ms`, `1h`, `1.5s` -> milliseconds.
fn duration_ms(value: &Value) -> u64 {
    let text = scalar(value);
    let mut rest = text.trim();
    assert!(!rest.is_empty(), "empty duration");
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_end]
            .parse()
            .unwrap_or_else(|_| panic!("cannot read duration `{text}`"));
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let millis_per_unit = match &rest[..unit_end] {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "s" => 1_000.0,
            "ms" => 1.0,
            "us" | "µs" => 0.001,
            "ns" => 0.000_001,
            _ => panic!("cannot read duration `{text}`"),
        };
        rest = &rest[unit_end..];
        total += number * millis_per_unit;
    }
    total.round() as u64
}

/// A whole number, written as a number or as text.
fn integer(value: &Value) -> i64 {
    scalar(value)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("cannot read integer {value}"))
}

/// A fraction of CPUs, written as a number or as text.
fn cpus(value: &Value) -> f64 {
    scalar(value)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("cannot read cpus {value}"))
}

/// `memswap_limit`: a byte size, or -1 for unlimited swap.
fn swap_limit(value: &Value) -> i64 {
    match scalar(value).trim() {
        "-1" => -1,
        _ => i64::try_from(byte_size(value)).expect("a swap limit fits in i64"),
    }
}

/// `64m`, `1g`, `512k`, `100b` or a plain number of bytes; units are powers of 1024.
fn byte_size(value: &Value) -> u64 {
    let text = scalar(value).trim().to_ascii_lowercase();
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..number_end]
        .parse()
        .unwrap_or_else(|_| panic!("cannot read byte size `{text}`"));
    let bytes_per_unit: f64 = match &text[number_end..] {
        "" | "b" => 1.0,
        "k" | "kb" => 1024.0,
        "m" | "mb" => 1024.0 * 1024.0,
        "g" | "gb" => 1024.0 * 1024.0 * 1024.0,
        _ => panic!("cannot read byte size `{text}`"),
    };
    (number * bytes_per_unit).round() as u64
}

fn trim_path(path: &str) -> String {
    match path.trim_end_matches('/') {
        "" => "/".to_string(),
        trimmed => trimmed.to_string(),
    }
}

#[test]
fn the_normaliser_reads_docker_compose_short_syntax() {
    assert_eq!(
        parse_short_port("127.0.0.1::9090/tcp"),
        vec![(Some("127.0.0.1".into()), None, 9090, "tcp".into())]
    );
    assert_eq!(
        parse_short_port("7000-7001:8000-8001/udp"),
        vec![
            (None, Some(7000), 8000, "udp".into()),
            (None, Some(7001), 8001, "udp".into()),
        ]
    );
    assert_eq!(
        parse_short_volume("/abs/host:/src:ro"),
        ("bind".into(), Some("/abs/host".into()), "/src".into(), true)
    );
    assert_eq!(
        parse_short_volume("/tmp"),
        ("volume".into(), None, "/tmp".into(), false)
    );
    assert_eq!(duration_ms(&json!("1m30s")), 90_000);
    assert_eq!(duration_ms(&json!("500ms")), 500);
    assert_eq!(byte_size(&json!("64M")), 64 * 1024 * 1024);
    assert_eq!(
        shell_words(r#"sh -c 'echo "$X"' "a b" c\ d"#),
        vec!["sh", "-c", "echo \"$X\"", "a b", "c d"]
    );
}

/// The comparison is not vacuous: equal configs in different syntax agree, and a real
/// difference is reported with its service and field.
#[test]
fn differences_name_the_service_and_the_field() {
    let reference: Value = serde_norway::from_str(
        "services:\n  web:\n    image: nginx\n    ports: ['127.0.0.1:8080:80/tcp']\n    \
         healthcheck: {test: curl -f localhost, interval: 90s}\n    \
         deploy: {resources: {limits: {memory: 64m}}}\n",
    )
    .expect("valid YAML");
    let ours = json!({"services": {"web": {
        "image": "nginx",
        "ports": [{"target": 80, "published": 8080, "host_ip": "127.0.0.1", "protocol": "tcp"}],
        "healthcheck": {"test": ["CMD-SHELL", "curl -f localhost"], "interval": "1m30s"},
        "deploy": {"replicas": 1, "resources": {"limits": {"memory": 67_108_864}}},
    }}});
    assert_eq!(differences(&reference, &ours), Vec::<String>::new());

    let mut changed = ours.clone();
    changed["services"]["web"]["deploy"]["replicas"] = json!(2);
    let mismatches = differences(&reference, &changed);
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert!(
        mismatches[0].starts_with("service `web`, `deploy`"),
        "{mismatches:#?}"
    );
}

/// The container settings in docker-compose's printed forms (short devices, number
/// ulimits, mapped extra hosts, sizes with units) and in msctl's JSON agree, and changing
/// any one of them on msctl's side is reported at that field.
#[test]
fn container_settings_are_compared_in_canonical_form() {
    let reference: Value = serde_norway::from_str(
        "
services:
  app:
    image: app
    container_name: edge
    tty: true
    logging: {driver: json-file, options: {max-file: '3'}}
    sysctls: {net.core.somaxconn: '1024'}
    ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}
    extra_hosts: {db.internal: 10.0.0.5}
    dns: 1.1.1.1
    devices: [/dev/kmsg, '/dev/sda:/dev/xvda:r']
    shm_size: 256m
    group_add: [mail, 1001]
    mem_limit: 1g
    memswap_limit: -1
    cpus: 0.5
    configs: [nginx_conf]
    networks:
      infra: {ipv4_address: 172.28.5.10}
  sidecar:
    image: envoy
    network_mode: service:app
networks:
  infra:
    ipam: {config: [{subnet: 172.28.0.0/16}]}
  outside:
    external: true
    name: outside
",
    )
    .expect("valid YAML");
    let ours = json!({
        "services": {
            "app": {
                "image": "app",
                "container_name": "edge",
                "tty": true,
                "logging": {"driver": "json-file", "options": {"max-file": "3"}},
                "sysctls": ["net.core.somaxconn=1024"],
                "ulimits": {
                    "nproc": {"soft": 65535, "hard": 65535},
                    "nofile": {"soft": 20000, "hard": 40000},
                },
                "extra_hosts": ["db.internal:10.0.0.5"],
                "dns": ["1.1.1.1"],
                "devices": [
                    {"source": "/dev/kmsg", "target": "/dev/kmsg", "permissions": "rwm"},
                    {"source": "/dev/sda", "target": "/dev/xvda", "permissions": "r"},
                ],
                "shm_size": "268435456",
                "group_add": ["mail", "1001"],
                "mem_limit": "1073741824",
                "memswap_limit": -1,
                "cpus": 0.5,
                "configs": [{"source": "nginx_conf", "target": "/nginx_conf"}],
                "networks": {"infra": {"ipv4_address": "172.28.5.10"}},
                "deploy": {"replicas": 1},
            },
            "sidecar": {
                "image": "envoy",
                "network_mode": "service:app",
                "networks": {},
                "deploy": {"replicas": 1},
            },
        },
        "networks": {
            "infra": {"ipam": {"config": [{"subnet": "172.28.0.0/16"}]}},
            "outside": {"external": true},
        },
    });
    assert_eq!(differences(&reference, &ours), Vec::<String>::new());

    for (pointer, changed, subject) in [
        (
            "/services/app/container_name",
            json!("edge-2"),
            "service `app`, `container_name`",
        ),
        ("/services/app/tty", json!(false), "service `app`, `tty`"),
        (
            "/services/app/logging/options/max-file",
            json!("4"),
            "service `app`, `logging`",
        ),
        (
            "/services/app/sysctls",
            json!({}),
            "service `app`, `sysctls`",
        ),
        (
            "/services/app/ulimits/nproc/soft",
            json!(1024),
            "service `app`, `ulimits`",
        ),
        (
            "/services/app/extra_hosts/0",
            json!("db.internal:10.0.0.6"),
            "service `app`, `extra_hosts`",
        ),
        ("/services/app/dns", json!([]), "service `app`, `dns`"),
        (
            "/services/app/devices/1/permissions",
            json!("rw"),
            "service `app`, `devices`",
        ),
        (
            "/services/app/shm_size",
            json!("268435457"),
            "service `app`, `shm_size_bytes`",
        ),
        (
            "/services/app/group_add/1",
            json!("1002"),
            "service `app`, `group_add`",
        ),
        (
            "/services/app/mem_limit",
            json!("1073741823"),
            "service `app`, `mem_limit_bytes`",
        ),
        (
            "/services/app/memswap_limit",
            json!("1073741824"),
            "service `app`, `memswap_limit_bytes`",
        ),
        ("/services/app/cpus", json!(0.25), "service `app`, `cpus`"),
        (
            "/services/app/configs/0/target",
            json!("/etc/nginx.conf"),
            "service `app`, `configs`",
        ),
        (
            "/services/app/networks/infra/ipv4_address",
            json!("172.28.5.11"),
            "service `app`, `networks`",
        ),
        (
            "/services/sidecar/network_mode",
            json!("host"),
            "service `sidecar`, `network_mode`",
        ),
        (
            "/services/sidecar/networks",
            json!({"default": {}}),
            "service `sidecar`, `networks`",
        ),
        (
            "/networks/infra/ipam/config/0/subnet",
            json!("10.0.0.0/8"),
            "networks `infra`, `ipam`",
        ),
        (
            "/networks/outside",
            json!({"external": true, "name": "elsewhere"}),
            "networks `outside`, `name`",
        ),
    ] {
        let mut changed_config = ours.clone();
        *changed_config
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("nothing at {pointer}")) = changed;
        let mismatches = differences(&reference, &changed_config);
        assert_eq!(mismatches.len(), 1, "{pointer}: {mismatches:#?}");
        assert!(
            mismatches[0].starts_with(subject),
            "{pointer}: expected a mismatch at {subject}, got {mismatches:#?}"
        );
    }
}

/// A key the normaliser does not read fails the comparison instead of going unchecked,
/// whichever tool prints it.
#[test]
fn an_unknown_key_on_either_side_is_not_silently_skipped() {
    for (tool, config) in [
        (
            "docker-compose",
            json!({"services": {"web": {"image": "x", "uts": "host"}}}),
        ),
        (
            "msctl",
            json!({"services": {"web": {"image": "x", "post_start": []}}}),
        ),
        ("msctl", json!({"services": {}, "models": {}})),
    ] {
        let result = std::panic::catch_unwind(|| check_known_keys(tool, &config));
        assert!(result.is_err(), "{tool} printing {config} was not caught");
    }
}

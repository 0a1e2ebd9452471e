//! Every broken manifest under `tests/fixtures/invalid` is rejected by `msctl validate` with
//! exit code 1, nothing on stdout, and diagnostics on stderr that point at `file:line:col`.
//! The exact text is pinned by one insta snapshot per fixture, named after the fixture.

use crate::support::{command_line, msctl, repo_root, run, yaml_stems, Run};

/// One `#[test]` per fixture, and the list `INVALID_FIXTURES` that the completeness test
/// compares with the directory, so a fixture cannot be added without its test.
macro_rules! invalid_fixtures {
    ($($test:ident: $stem:literal,)+) => {
        const INVALID_FIXTURES: &[&str] = &[$($stem),+];
        $(
            #[test]
            fn $test() {
                check_invalid_fixture($stem);
            }
        )+
    };
}

invalid_fixtures! {
    absurd_replicas: "absurd-replicas",
    bad_byte_size: "bad-byte-size",
    bad_condition: "bad-condition",
    bad_cpus: "bad-cpus",
    bad_duration: "bad-duration",
    bad_healthcheck_test: "bad-healthcheck-test",
    bad_interpolation_syntax: "bad-interpolation-syntax",
    bad_port_protocol: "bad-port-protocol",
    bad_port_syntax: "bad-port-syntax",
    bad_restart_policy: "bad-restart-policy",
    bad_service_name: "bad-service-name",
    bad_stop_signal: "bad-stop-signal",
    bad_update_order: "bad-update-order",
    bad_volume_name: "bad-volume-name",
    build_context_missing: "build-context-missing",
    container_name_with_replicas: "container-name-with-replicas",
    dependency_cycle: "dependency-cycle",
    develop_watch_rules: "develop-watch-rules",
    depends_on_unknown_service: "depends-on-unknown-service",
    duplicate_published_port: "duplicate-published-port",
    empty_file: "empty-file",
    environment_list_empty_name: "environment-list-empty-name",
    errors_across_services: "errors-across-services",
    extends_cycle: "extends-cycle",
    extends_unknown_service: "extends-unknown-service",
    links_unknown_service: "links-unknown-service",
    mem_limit_conflict: "mem-limit-conflict",
    merge_key_not_mapping: "merge-key-not-mapping",
    multiple_errors: "multiple-errors",
    negative_replicas: "negative-replicas",
    network_mode_unknown_service: "network-mode-unknown-service",
    network_mode_with_networks: "network-mode-with-networks",
    no_image_no_build: "no-image-no-build",
    not_a_mapping: "not-a-mapping",
    port_out_of_range: "port-out-of-range",
    port_range_mismatch: "port-range-mismatch",
    self_dependency: "self-dependency",
    services_not_mapping: "services-not-mapping",
    udp_port_with_replicas: "udp-port-with-replicas",
    undefined_required_variable: "undefined-required-variable",
    unknown_healthcheck_key: "unknown-healthcheck-key",
    unknown_network_reference: "unknown-network-reference",
    unknown_secret_reference: "unknown-secret-reference",
    unknown_service_key_typo: "unknown-service-key-typo",
    unknown_top_level_key: "unknown-top-level-key",
    unknown_volume_reference: "unknown-volume-reference",
    unsupported_behaviour_changing_key: "unsupported-behaviour-changing-key",
    wrong_type_environment: "wrong-type-environment",
    wrong_type_replicas: "wrong-type-replicas",
    x_msctl_cargo_missing_package: "x-msctl-cargo-missing-package",
    x_msctl_probe_bad_port: "x-msctl-probe-bad-port",
    x_msctl_probe_two_checks: "x-msctl-probe-two-checks",
    x_msctl_autoscale_range: "x-msctl-autoscale-range",
    x_msctl_unknown_key: "x-msctl-unknown-key",
    yaml_bad_indent: "yaml-bad-indent",
    yaml_duplicate_key: "yaml-duplicate-key",
    yaml_tab_indent: "yaml-tab-indent",
    yaml_unclosed_quote: "yaml-unclosed-quote",
    yaml_undefined_alias: "yaml-undefined-alias",
    yaml_unknown_tag: "yaml-unknown-tag",
}

fn fixture_path(stem: &str) -> String {
    format!("tests/fixtures/invalid/{stem}.yaml")
}

/// `msctl -f tests/fixtures/invalid/<stem>.yaml validate`.
fn validate(stem: &str) -> (String, Run) {
    let mut command = msctl();
    command.args(["-f", &fixture_path(stem), "validate"]);
    let line = command_line(&command);
    (line.clone(), run(&mut command))
}

/// Every `(line, column)` that `stderr` points at in `path`, written `path:line:col`.
fn locations(stderr: &str, path: &str) -> Vec<(usize, usize)> {
    let needle = format!("{path}:");
    let mut found = Vec::new();
    let mut rest = stderr;
    while let Some(start) = rest.find(&needle) {
        rest = &rest[start + needle.len()..];
        let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after_line = &rest[line.len()..];
        let Some(after_colon) = after_line.strip_prefix(':') else {
            continue;
        };
        let column: String = after_colon
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let (Ok(line), Ok(column)) = (line.parse(), column.parse()) {
            found.push((line, column));
        }
    }
    found
}

fn check_invalid_fixture(stem: &str) {
    let path = fixture_path(stem);
    let source = std::fs::read_to_string(repo_root().join(&path))
        .unwrap_or_else(|error| panic!("{path}: {error}"));
    let (line, run) = validate(stem);
    let context = run.describe(&line);

    assert_eq!(run.code, Some(1), "expected exit code 1\n{context}");
    assert!(
        run.stdout.is_empty(),
        "expected nothing on stdout\n{context}"
    );
    assert!(
        run.stderr.contains("error"),
        "expected an error on stderr\n{context}"
    );
    let locations = locations(&run.stderr, &path);
    assert!(
        !locations.is_empty(),
        "expected stderr to point at `{path}:LINE:COL`\n{context}"
    );
    // Lines and columns are 1-based and inside the file; an empty file has only 1:1.
    let line_count = source.lines().count().max(1);
    for (line, column) in locations {
        assert!(
            (1..=line_count).contains(&line) && column >= 1,
            "`{path}:{line}:{column}` is outside the file ({line_count} lines)\n{context}"
        );
    }

    insta::with_settings!({ description => source, omit_expression => true }, {
        insta::assert_snapshot!(stem, run.stderr);
    });
}

#[test]
fn every_invalid_fixture_has_a_test() {
    let mut listed: Vec<&str> = INVALID_FIXTURES.to_vec();
    listed.sort_unstable();
    assert_eq!(
        yaml_stems("invalid"),
        listed,
        "tests/fixtures/invalid and the list in tests/diagnostics.rs differ"
    );
    assert!(
        listed.len() >= 34,
        "expected at least 34 invalid fixtures, found {}",
        listed.len()
    );
}

#[test]
fn every_diagnostics_snapshot_has_a_fixture() {
    let prefix = "suite__diagnostics__";
    let dir = repo_root().join("tests/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // No snapshot has been accepted yet.
    };
    for entry in entries {
        let file_name = entry
            .expect("read snapshot directory entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(stem) = file_name
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(".snap"))
        else {
            continue;
        };
        assert!(
            INVALID_FIXTURES.contains(&stem),
            "tests/snapshots/{file_name} belongs to no fixture in tests/fixtures/invalid: delete it"
        );
    }
}

/// Validation does not stop at the first problem: each of these files has three unrelated
/// ones, and each is reported once, at its own line.
#[test]
fn all_problems_are_reported_in_one_pass() {
    for (stem, expected_lines) in [
        ("multiple-errors", vec![5, 7, 10]),
        ("errors-across-services", vec![5, 8, 12]),
    ] {
        let path = fixture_path(stem);
        let (line, run) = validate(stem);
        let context = run.describe(&line);
        assert_eq!(run.code, Some(1), "{context}");
        let mut reported: Vec<usize> = run
            .stderr
            .lines()
            .filter(|l| l.trim_start().starts_with("--> "))
            .flat_map(|l| locations(l, &path))
            .map(|(line, _)| line)
            .collect();
        reported.sort_unstable();
        assert_eq!(
            reported, expected_lines,
            "expected one `--> {path}:LINE:COL` per problem\n{context}"
        );
    }
}

#[test]
fn a_typo_in_a_key_suggests_the_nearest_key() {
    let (line, run) = validate("unknown-service-key-typo");
    let context = run.describe(&line);
    assert!(run.stderr.contains("`imag`"), "{context}");
    assert!(
        run.stderr.contains("did you mean `image`"),
        "expected a hint naming `image`\n{context}"
    );
}

//! Hostile manifests (issue 19): inputs built to exhaust a loader, each refused with a
//! located error and exit 1. Each case runs `msctl validate` under a 2 GB address-space
//! limit and a 20 s timeout, so a regression fails here instead of filling the machine,
//! and prints its time and peak memory (`scripts/hostile-inputs` shows them).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// A nine-level "billion laughs": each anchor is nine aliases of the one before.
pub fn alias_bomb() -> String {
    let mut text = String::from(
        "x-a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..=8 {
        let aliases = vec![format!("*a{}", level - 1); 9].join(",");
        text.push_str(&format!("x-a{level}: &a{level} [{aliases}]\n"));
    }
    text.push_str("services:\n  web:\n    image: busybox\n    command: *a8\n");
    text
}

/// `depth` lists, one inside the other, under an extension field.
pub fn nested(depth: usize) -> String {
    format!(
        "services:\n  web:\n    image: busybox\n    x-deep: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// `depth` block mappings, one inside the other.
pub fn nested_block(depth: usize) -> String {
    let mut text = String::from("services:\n  web:\n    image: busybox\n    x-deep:\n");
    for level in 0..depth {
        text.push_str(&" ".repeat(6 + 2 * level));
        text.push_str("a:\n");
    }
    text
}

/// A service whose command is one string of `bytes` bytes.
pub fn long_string(bytes: usize) -> String {
    format!(
        "services:\n  web:\n    image: busybox\n    command: \"{}\"\n",
        "x".repeat(bytes)
    )
}

/// What `msctl validate` did with the manifest `files` (the first is `compose.yaml`).
struct Outcome {
    code: i32,
    stderr: String,
}

fn validate(files: &[(&str, &[u8])]) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    run(dir.path())
}

fn run(dir: &Path) -> Outcome {
    let msctl = env!("CARGO_BIN_EXE_msctl");
    let started = Instant::now();
    // GNU time writes its report to a file, so msctl's stderr stays msctl's.
    let report = dir.join("time-report");
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 2000000; exec timeout 20 /usr/bin/time -f '%M' -o '{}' '{msctl}' validate",
            report.display()
        ))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("MSCTL_FILE")
        .output()
        .expect("sh runs");
    let elapsed = started.elapsed();
    let peak_kb = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| text.lines().last()?.trim().parse::<u64>().ok());
    println!(
        "{}: {:.3} s, peak {} MB",
        dir.display(),
        elapsed.as_secs_f64(),
        peak_kb.map_or("?".to_string(), |kb| (kb / 1024).to_string())
    );
    Outcome {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn refused(outcome: &Outcome, what: &str, at: &str) {
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(outcome.stderr.contains(what), "{}", outcome.stderr);
    assert!(outcome.stderr.contains(at), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("hint:"), "{}", outcome.stderr);
}

#[test]
fn an_alias_bomb_is_refused_where_its_expansion_passes_the_limit() {
    let outcome = validate(&[("compose.yaml", alias_bomb().as_bytes())]);
    refused(
        &outcome,
        "error: the manifest expands to more than 250000 values",
        "--> compose.yaml:",
    );
}

#[test]
fn nesting_twenty_thousand_deep_is_refused() {
    let outcome = validate(&[("compose.yaml", nested(20_000).as_bytes())]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("--> compose.yaml:4:"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("lists and mappings nest deeper than the YAML reader follows"),
        "{}",
        outcome.stderr
    );
    // The 40,000-character line is shown around the place, not whole.
    assert!(outcome.stderr.len() < 1000, "{}", outcome.stderr.len());
    // Below the scanner's own limit, msctl's bound speaks, for flow and block nesting.
    for text in [nested(200), nested_block(200)] {
        let outcome = validate(&[("compose.yaml", text.as_bytes())]);
        refused(
            &outcome,
            "lists and mappings nest more than 128 deep",
            "--> compose.yaml:",
        );
    }
}

#[test]
fn a_64_mb_manifest_is_refused_by_its_size_before_it_is_read() {
    let mut text = long_string(10).into_bytes();
    text.resize(64 * 1024 * 1024, b'\n');
    let outcome = validate(&[("compose.yaml", &text)]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("cannot read manifest `compose.yaml`: the file is 67108864 bytes, over the limit of 4194304"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_one_megabyte_string_is_refused_where_it_is_written() {
    let outcome = validate(&[("compose.yaml", long_string(1_000_000).as_bytes())]);
    refused(
        &outcome,
        "a value of 1000000 bytes, over the limit of 262144",
        "--> compose.yaml:4:14",
    );
}

#[test]
fn an_include_cycle_is_one_error_naming_its_files() {
    let outcome = validate(&[
        (
            "compose.yaml",
            b"include: [b.yaml]\nservices:\n  a:\n    image: busybox\n",
        ),
        (
            "b.yaml",
            b"include: [compose.yaml]\nservices:\n  b:\n    image: busybox\n",
        ),
    ]);
    refused(
        &outcome,
        "`include` cycle: compose.yaml includes b.yaml includes compose.yaml",
        "b.yaml:1:11",
    );
    assert!(
        outcome.stderr.contains("the manifest has 1 error"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn variables_that_multiply_are_refused_in_env_files_and_manifests() {
    // Each variable doubles the one before: 2^20 times 100 KB.
    let mut env = format!("A0={}\n", "x".repeat(100_000));
    for i in 1..=20 {
        env.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    let outcome = validate(&[
        ("compose.yaml", b"services:\n  web:\n    image: busybox\n"),
        (".env", env.as_bytes()),
    ]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains(".env:3: the value grows past 262144 bytes"),
        "{}",
        outcome.stderr
    );

    let uses = "${BIG}".repeat(1000);
    let manifest = format!("services:\n  web:\n    image: busybox\n    command: \"{uses}\"\n");
    let env = format!("BIG={}\n", "x".repeat(200_000));
    let outcome = validate(&[
        ("compose.yaml", manifest.as_bytes()),
        (".env", env.as_bytes()),
    ]);
    refused(
        &outcome,
        "a value grows past 262144 bytes once its variables are put in",
        "--> compose.yaml:4:14",
    );

    let nested = format!("{}x{}", "${A:-".repeat(40), "}".repeat(40));
    let manifest = format!("services:\n  web:\n    image: busybox\n    command: \"{nested}\"\n");
    let outcome = validate(&[("compose.yaml", manifest.as_bytes())]);
    refused(
        &outcome,
        "defaults nest more than 16 deep",
        "--> compose.yaml:4:14",
    );
}

#[test]
fn an_env_file_too_big_is_an_error_not_ignored() {
    let mut env = b"A=1\n".to_vec();
    env.resize(5 * 1024 * 1024, b'\n');
    let outcome = validate(&[
        ("compose.yaml", b"services:\n  web:\n    image: busybox\n"),
        (".env", &env),
    ]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("the file is 5242880 bytes, over the limit of 4194304"),
        "{}",
        outcome.stderr
    );
}

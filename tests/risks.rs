//! `msctl validate` warns about risky settings at the line that asks for them, and
//! `--strict` makes those warnings errors. Each fixture in tests/fixtures/risky says what
//! it expects in `# expect: LINE TEXT` comments at its top.

use crate::support::{command_line, msctl, repo_root, run};

struct Expectation {
    line: u32,
    text: String,
}

fn expectations(path: &std::path::Path) -> Vec<Expectation> {
    std::fs::read_to_string(path)
        .expect("fixture")
        .lines()
        .filter_map(|line| line.strip_prefix("# expect: "))
        .map(|rest| {
            let (line, text) = rest.split_once(' ').expect("`# expect: LINE TEXT`");
            Expectation {
                line: line.parse().expect("a line number"),
                text: text.to_string(),
            }
        })
        .collect()
}

fn risky_fixtures() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("tests/fixtures/risky"))
        .expect("tests/fixtures/risky")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_risky_setting_is_a_warning_at_its_line_and_an_error_under_strict() {
    let fixtures = risky_fixtures();
    assert!(fixtures.len() >= 8, "expected a fixture per risky setting");
    let mut failures = Vec::new();
    for path in &fixtures {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let relative = format!("tests/fixtures/risky/{name}");
        let expected = expectations(path);
        assert!(!expected.is_empty(), "{name} has no `# expect:` line");

        let mut command = msctl();
        command.args(["-f", &relative, "validate"]);
        let line = command_line(&command);
        let warned = run(&mut command);
        if warned.code != Some(0) {
            failures.push(format!(
                "{name}: a warning must not fail validate\n{}",
                warned.describe(&line)
            ));
            continue;
        }
        let warnings = warned.stderr.matches("warning: ").count();
        if warnings != expected.len() {
            failures.push(format!(
                "{name}: expected {} warnings, got {warnings}\n{}",
                expected.len(),
                warned.describe(&line)
            ));
        }
        for expectation in &expected {
            // The message, then the arrow naming the file and line right under it.
            let found = warned.stderr.split("warning: ").any(|block| {
                block.contains(&expectation.text)
                    && block.contains(&format!("{relative}:{}:", expectation.line))
            });
            if !found {
                failures.push(format!(
                    "{name}: no warning `{}` at line {}\n{}",
                    expectation.text,
                    expectation.line,
                    warned.describe(&line)
                ));
            }
        }

        let mut command = msctl();
        command.args(["-f", &relative, "validate", "--strict"]);
        let line = command_line(&command);
        let strict = run(&mut command);
        let errors = strict.stderr.matches("error: ").count();
        if strict.code != Some(1) || !strict.stdout.is_empty() || errors < expected.len() {
            failures.push(format!(
                "{name}: --strict must exit 1 with the warnings as errors\n{}",
                strict.describe(&line)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_shop_passes_strict() {
    let mut command = msctl();
    command.args(["-f", "manifests/compose.yaml", "validate", "--strict"]);
    let line = command_line(&command);
    let result = run(&mut command);
    assert_eq!(result.code, Some(0), "{}", result.describe(&line));
    assert!(result.stderr.is_empty(), "{}", result.describe(&line));
}

#[test]
fn a_manifest_without_risky_settings_has_no_warnings() {
    let mut command = msctl();
    command.args([
        "-f",
        "tests/fixtures/valid/minimal.yaml",
        "validate",
        "--strict",
    ]);
    let line = command_line(&command);
    let result = run(&mut command);
    assert_eq!(result.code, Some(0), "{}", result.describe(&line));
}

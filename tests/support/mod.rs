//! Runs `msctl` the way a user would, from the repository root with a clean environment,
//! and finds the manifest fixtures under `tests/fixtures`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Variables the fixtures interpolate, set for every command the tests run so msctl and
/// docker-compose see the same values. Every variable a fixture reads from the environment
/// starts with `FIXTURE_`; the ones not listed here are always unset.
pub const FIXTURE_ENV: &[(&str, &str)] = &[("FIXTURE_TAG", "1.25"), ("FIXTURE_EMPTY", "")];

/// Prefixes of variables removed from the inherited environment: msctl's and Compose's
/// own settings, and fixture variables a developer may have exported.
const REMOVED_PREFIXES: &[&str] = &["MSCTL_", "COMPOSE_", "FIXTURE_"];

/// Variables that change how output looks (colour, log lines) rather than what it says.
const REMOVED_VARIABLES: &[&str] = &["RUST_LOG", "CLICOLOR_FORCE", "FORCE_COLOR"];

/// The repository root: commands run here, so paths in their output read `tests/fixtures/...`.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `msctl` built for this test run, ready for arguments.
pub fn msctl() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_msctl"));
    clean_env(&mut command);
    command
}

/// Gives `command` the environment and working directory every test command runs with.
pub fn clean_env(command: &mut Command) {
    command.current_dir(repo_root());
    for (key, _) in std::env::vars_os() {
        let removed = key.to_str().is_some_and(|key| {
            REMOVED_PREFIXES
                .iter()
                .any(|prefix| key.starts_with(prefix))
                || REMOVED_VARIABLES.contains(&key)
        });
        if removed {
            command.env_remove(&key);
        }
    }
    command.env("NO_COLOR", "1").env("CI", "true");
    for (key, value) in FIXTURE_ENV {
        command.env(key, value);
    }
}

/// What a finished command printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The command line and everything it printed, for assertion messages.
    pub fn describe(&self, command_line: &str) -> String {
        format!(
            "command: {command_line}\nexit code: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `command` to completion, panicking with the program's name when it cannot start.
pub fn run(command: &mut Command) -> Run {
    let program = command.get_program().to_string_lossy().into_owned();
    let output: Output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run `{program}`: {error}"));
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `program arg arg ...` for messages.
pub fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `tests/fixtures/<kind>` as an absolute path.
pub fn fixtures_dir(kind: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(kind)
}

/// A valid manifest fixture: the files passed with `-f`, relative to the repository root.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    pub files: Vec<String>,
}

impl Fixture {
    /// `-f FILE` for each file, in order.
    pub fn file_args(&self) -> Vec<String> {
        self.files
            .iter()
            .flat_map(|file| ["-f".to_string(), file.clone()])
            .collect()
    }
}

/// Every fixture under `tests/fixtures/valid`, sorted by name.
///
/// A fixture is either `NAME.yaml`, or a directory `NAME/` holding `compose.yaml` (with its
/// `.env`, build contexts and secret files beside it) and, when several files are merged,
/// an `args` file listing the `-f` files relative to the repository root, one per line.
pub fn valid_fixtures() -> Vec<Fixture> {
    let dir = fixtures_dir("valid");
    let mut fixtures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("read fixture directory entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(OsStr::to_str)
            .expect("fixture names are UTF-8")
            .to_string();
        let relative = format!("tests/fixtures/valid/{name}");
        if path.is_dir() {
            let args = path.join("args");
            let files = if args.is_file() {
                std::fs::read_to_string(&args)
                    .unwrap_or_else(|e| panic!("{}: {e}", args.display()))
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty() && !line.starts_with('#'))
                    .map(str::to_string)
                    .collect()
            } else if path.join("compose.yaml").is_file() {
                vec![format!("{relative}/compose.yaml")]
            } else {
                panic!("{relative}/ has neither `compose.yaml` nor `args`: it is not a fixture");
            };
            for file in &files {
                assert!(
                    repo_root().join(file).is_file(),
                    "{relative}/args lists `{file}`, which does not exist"
                );
            }
            fixtures.push(Fixture { name, files });
        } else if path.extension() == Some(OsStr::new("yaml")) {
            fixtures.push(Fixture {
                name,
                files: vec![format!("{relative}.yaml")],
            });
        } else {
            panic!(
                "{}: not a fixture (expected NAME.yaml or NAME/)",
                path.display()
            );
        }
    }
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    fixtures
}

/// The valid fixture called `name`.
pub fn valid_fixture(name: &str) -> Fixture {
    valid_fixtures()
        .into_iter()
        .find(|fixture| fixture.name == name)
        .unwrap_or_else(|| panic!("no valid fixture named `{name}`"))
}

/// The names (file stems) of the `*.yaml` files in `tests/fixtures/<kind>`, sorted.
pub fn yaml_stems(kind: &str) -> Vec<String> {
    let dir = fixtures_dir(kind);
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("read fixture directory entry").path())
        .filter(|path| path.extension() == Some(OsStr::new("yaml")))
        .filter_map(|path| path.file_stem().and_then(OsStr::to_str).map(str::to_string))
        .collect();
    stems.sort();
    stems
}

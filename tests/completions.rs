//! The committed completion scripts are exactly what `msctl completions SHELL` prints, so
//! a change to the command line that forgets to regenerate them fails here.
//! Regenerate with `MSCTL_BLESS=1 cargo nextest run completions`.

use std::path::PathBuf;
use std::process::Command;

const SHELLS: &[(&str, &str)] = &[
    ("bash", "msctl.bash"),
    ("zsh", "_msctl"),
    ("fish", "msctl.fish"),
    ("powershell", "_msctl.ps1"),
    ("elvish", "msctl.elv"),
];

fn generated(shell: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_msctl"))
        .args(["completions", shell])
        .output()
        .expect("msctl runs");
    assert!(
        output.status.success(),
        "msctl completions {shell} failed: {output:?}"
    );
    String::from_utf8(output.stdout).expect("utf-8 script")
}

#[test]
fn committed_completions_match_the_command_line() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var_os("MSCTL_BLESS").is_some();
    let mut stale = Vec::new();
    for (shell, file) in SHELLS {
        let path = dir.join(file);
        let script = generated(shell);
        assert!(script.contains("msctl"), "{shell} script names the program");
        if bless {
            std::fs::write(&path, &script).expect("write completion script");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != script {
            stale.push(format!("completions/{file}"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts: {}\nhint: regenerate them with `MSCTL_BLESS=1 cargo nextest run completions`",
        stale.join(", ")
    );
}

#[test]
fn completions_know_every_command_and_global_flag() {
    let bash = generated("bash");
    for word in [
        "validate",
        "config",
        "completions",
        "--project-directory",
        "--env-file",
        "--format",
        "--no-color",
    ] {
        assert!(bash.contains(word), "bash completion lacks `{word}`");
    }
}

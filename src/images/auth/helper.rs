//! Asking a credential helper (`docker-credential-<name> get`) for a registry's
//! credentials, and finding the helper on PATH.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::config::{describe_json_error, DockerConfig};
use super::error::AuthError;
use super::Credentials;

/// How long a credential helper may take before it is killed. A helper can block on a
/// keychain prompt nobody sees; a pull should fail saying so rather than hang.
pub const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

/// What a helper prints when it has nothing for the server (docker-credential-helpers'
/// `ErrCredentialsNotFound`): the Docker CLI takes it as "no credentials".
const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";

/// The `Username` a helper answers when `Secret` is an identity token (an OAuth refresh
/// token) rather than a password.
const TOKEN_USERNAME: &str = "<token>";

/// The longest piece of a helper's output quoted in an error.
const MAX_QUOTED_CHARS: usize = 200;

/// A credential helper's answer to `get`.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(default, rename = "Username")]
    username: Option<String>,
    #[serde(default, rename = "Secret")]
    secret: Option<String>,
}

impl DockerConfig {
    /// Runs `docker-credential-<helper> get` with `key` on stdin, as docker-credential-helpers'
    /// client does.
    pub(super) async fn ask_helper(
        &self,
        helper: &str,
        registry: &str,
        key: &str,
        timeout: Duration,
    ) -> Result<Option<Credentials>, AuthError> {
        let program = format!("docker-credential-{helper}");
        let Some(executable) = find_program(&program, self.search_path.as_deref()) else {
            return Err(AuthError::HelperNotFound {
                program,
                registry: registry.to_string(),
                config: self.path.clone(),
            });
        };
        let run_error = |source| AuthError::HelperRun {
            program: program.clone(),
            registry: registry.to_string(),
            source,
        };
        let mut command = tokio::process::Command::new(&executable);
        command
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Dropping the exchange on timeout drops the child, which kills it.
            .kill_on_drop(true);
        if let Some(search_path) = &self.search_path {
            command.env("PATH", search_path);
        }
        let mut child = command.spawn().map_err(run_error)?;
        let stdin = child.stdin.take();
        let exchange = async move {
            if let Some(mut stdin) = stdin {
                // A helper may exit without reading stdin; its answer, not the broken
                // pipe, says what happened.
                let _ = stdin.write_all(key.as_bytes()).await;
                drop(stdin);
            }
            child.wait_with_output().await
        };
        let output = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => {
                return Err(AuthError::HelperTimeout {
                    program,
                    registry: registry.to_string(),
                    timeout,
                })
            }
            Ok(result) => result.map_err(run_error)?,
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            // Helpers built on docker-credential-helpers print their errors on stdout.
            if stdout.contains(NOT_FOUND_MESSAGE) || stderr.contains(NOT_FOUND_MESSAGE) {
                return Ok(None);
            }
            return Err(AuthError::HelperFailed {
                program,
                registry: registry.to_string(),
                status: output.status.to_string(),
                message: failure_message(&stdout, &stderr),
            });
        }
        let answer: HelperAnswer =
            serde_json::from_str(&stdout).map_err(|err| AuthError::HelperBadAnswer {
                program: program.clone(),
                registry: registry.to_string(),
                problem: describe_json_error(&err),
            })?;
        let username = answer.username.unwrap_or_default();
        let secret = answer.secret.unwrap_or_default();
        if secret.is_empty() && username.is_empty() {
            return Ok(None);
        }
        let credentials = if username == TOKEN_USERNAME {
            Credentials {
                username: String::new(),
                password: String::new(),
                identity_token: Some(secret),
                server_address: key.to_string(),
            }
        } else {
            Credentials {
                username,
                password: secret,
                identity_token: None,
                server_address: key.to_string(),
            }
        };
        Ok(Some(credentials))
    }
}

/// The first line a failed helper wrote as its error: from stderr, else from stdout
/// unless that looks like JSON (which may be credentials); at most a short line.
fn failure_message(stdout: &str, stderr: &str) -> String {
    let first_line = |text: &str| {
        text.lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(str::to_string)
    };
    let line = first_line(stderr)
        .or_else(|| first_line(stdout).filter(|line| !line.contains('{')))
        .unwrap_or_default();
    if line.chars().count() > MAX_QUOTED_CHARS {
        let cut: String = line.chars().take(MAX_QUOTED_CHARS).collect();
        format!("{cut}...")
    } else {
        line
    }
}

/// `program` on `search_path`: the first executable file of that name, as `exec`'s PATH
/// lookup finds it. Empty PATH entries are skipped: they would mean the current directory.
fn find_program(program: &str, search_path: Option<&OsStr>) -> Option<PathBuf> {
    if program.contains(std::path::MAIN_SEPARATOR) {
        return None;
    }
    std::env::split_paths(search_path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use std::time::Instant;

    use super::super::test_support::{basic, user_password, Fixture};
    use super::super::DOCKER_HUB_KEY;
    use super::*;

    #[tokio::test]
    async fn cred_helper_takes_precedence_over_creds_store_and_auths() {
        let fixture = Fixture::new();
        fixture.helper(
            "special",
            r#"read server; printf '{"ServerURL":"%s","Username":"special-user","Secret":"special-secret"}' "$server""#,
        );
        fixture.helper(
            "store",
            r#"printf '{"Username":"store-user","Secret":"store-secret"}'"#,
        );
        let config = fixture.load(&format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}},
                "credsStore": "store",
                "credHelpers": {{"ghcr.io": "special"}}}}"#,
            basic("file-user:file-pass")
        ));
        assert_eq!(
            config.credentials_for("ghcr.io").await.unwrap(),
            Some(user_password("special-user", "special-secret", "ghcr.io"))
        );
        assert_eq!(
            config.credentials_for("quay.io").await.unwrap(),
            Some(user_password("store-user", "store-secret", "quay.io"))
        );
    }

    #[tokio::test]
    async fn creds_store_is_used_for_every_registry_with_the_hub_key() {
        let fixture = Fixture::new();
        // The helper answers only for the server address it expects on stdin.
        fixture.helper(
            "store",
            r#"[ "$1" = get ] || exit 3
server=$(cat)
case "$server" in
  https://index.docker.io/v1/) printf '{"Username":"hub","Secret":"hub-secret"}' ;;
  127.0.0.1:5000) printf '{"Username":"local","Secret":"local-secret"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac"#,
        );
        let config = fixture.load(&format!(
            r#"{{"credsStore": "store", "auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
            basic("file-user:file-pass")
        ));
        assert_eq!(
            config.credentials_for("docker.io").await.unwrap(),
            Some(user_password("hub", "hub-secret", DOCKER_HUB_KEY))
        );
        assert_eq!(
            config.credentials_for("127.0.0.1:5000").await.unwrap(),
            Some(user_password("local", "local-secret", "127.0.0.1:5000"))
        );
        // The store has nothing for ghcr.io: `auths` is not consulted, as in docker/cli.
        assert_eq!(config.credentials_for("ghcr.io").await.unwrap(), None);
    }

    #[tokio::test]
    async fn empty_cred_helper_entry_keeps_the_registry_in_auths() {
        let fixture = Fixture::new();
        fixture.helper(
            "store",
            r#"printf '{"Username":"store-user","Secret":"store-secret"}'"#,
        );
        let config = fixture.load(&format!(
            r#"{{"credsStore": "store", "credHelpers": {{"ghcr.io": ""}},
                "auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
            basic("file-user:file-pass")
        ));
        assert_eq!(
            config.credentials_for("ghcr.io").await.unwrap(),
            Some(user_password("file-user", "file-pass", "ghcr.io"))
        );
    }

    #[tokio::test]
    async fn helper_token_username_means_identity_token() {
        let fixture = Fixture::new();
        // The helper runs with the PATH of the env map, not msctl's own.
        fixture.helper(
            "store",
            &format!(
                r#"[ "$PATH" = '{}' ] || exit 9
printf '{{"Username":"<token>","Secret":"refresh-token"}}'"#,
                fixture.env()["PATH"]
            ),
        );
        let config = fixture.load(r#"{"credsStore": "store"}"#);
        let found = config.credentials_for("ghcr.io").await.unwrap().unwrap();
        assert_eq!(found.identity_token.as_deref(), Some("refresh-token"));
        assert_eq!(found.username, "");
        assert_eq!(found.password, "");
        let auth = found.to_registry_auth();
        assert_eq!(auth.username, "");
        assert_eq!(auth.identity_token.as_deref(), Some("refresh-token"));
    }

    #[tokio::test]
    async fn helper_without_the_credentials_is_none() {
        let fixture = Fixture::new();
        fixture.helper(
            "stdout",
            "cat >/dev/null; echo 'credentials not found in native keychain'; exit 1",
        );
        fixture.helper(
            "stderr",
            "cat >/dev/null; echo 'credentials not found in native keychain' >&2; exit 1",
        );
        let config = fixture.load(r#"{"credHelpers": {"a.io": "stdout", "b.io": "stderr"}}"#);
        assert_eq!(config.credentials_for("a.io").await.unwrap(), None);
        assert_eq!(config.credentials_for("b.io").await.unwrap(), None);
    }

    #[tokio::test]
    async fn failing_helper_names_itself_and_the_registry_without_the_secret() {
        let fixture = Fixture::new();
        fixture.helper(
            "broken",
            r#"printf '{"Username":"me","Secret":"hunter2-secret"}'
echo "keychain is locked" >&2
echo "second line hunter2-secret" >&2
exit 2"#,
        );
        let config = fixture.load(r#"{"credsStore": "broken"}"#);
        let err = config.credentials_for("ghcr.io").await.unwrap_err();
        let message = err.to_string();
        assert_eq!(
            message,
            "the credential helper `docker-credential-broken` failed for `ghcr.io` (exit status: 2): keychain is locked"
        );
        assert!(!format!("{err:?}").contains("hunter2"));
        assert!(err.hint().unwrap().contains("docker login ghcr.io"));
    }

    #[tokio::test]
    async fn failing_helper_quotes_no_json_from_stdout() {
        let fixture = Fixture::new();
        fixture.helper(
            "broken",
            r#"printf '{"Username":"me","Secret":"hunter2-secret"}'; exit 1"#,
        );
        let config = fixture.load(r#"{"credsStore": "broken"}"#);
        let err = config.credentials_for("ghcr.io").await.unwrap_err();
        assert!(matches!(err, AuthError::HelperFailed { .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn helper_answer_that_is_not_json_is_an_error_without_it() {
        let fixture = Fixture::new();
        fixture.helper("odd", r#"printf '{"Username": "me", "Secret": 42}'"#);
        let config = fixture.load(r#"{"credsStore": "odd"}"#);
        let err = config.credentials_for("ghcr.io").await.unwrap_err();
        assert!(matches!(err, AuthError::HelperBadAnswer { .. }), "{err:?}");
        assert!(!err.to_string().contains("42"), "{err}");
    }

    #[tokio::test]
    async fn missing_helper_is_an_error_with_a_hint() {
        let fixture = Fixture::new();
        let config = fixture.load(r#"{"credsStore": "nonexistent-msctl-test"}"#);
        let err = config.credentials_for("docker.io").await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the credential helper `docker-credential-nonexistent-msctl-test` for `docker.io` (named in `{}`) is not on PATH",
                config.path().display()
            )
        );
        assert!(err
            .hint()
            .unwrap()
            .starts_with("install `docker-credential-nonexistent-msctl-test` on PATH"));
    }

    #[tokio::test]
    async fn hanging_helper_is_killed_after_its_timeout() {
        let fixture = Fixture::new();
        let pid_file = fixture.bin_dir.path().join("pid");
        fixture.helper(
            "hang",
            &format!("echo $$ > '{}'; exec sleep 30", pid_file.display()),
        );
        let config = fixture.load(r#"{"credsStore": "hang"}"#);
        let started = Instant::now();
        let err = config
            .credentials_within("ghcr.io", Duration::from_millis(200))
            .await
            .unwrap_err();
        let waited = started.elapsed();
        assert!(matches!(err, AuthError::HelperTimeout { .. }), "{err:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert!(err.to_string().contains("within 0.2s"), "{err}");

        // The helper's process is gone (or a zombie waiting to be reaped), not sleeping on.
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let stat = format!("/proc/{}/stat", pid.trim());
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let alive = std::fs::read_to_string(&stat)
                .map(|text| {
                    let state = text.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
                    !matches!(state, Some(Some('Z' | 'X')))
                })
                .unwrap_or(false);
            if !alive {
                break;
            }
            assert!(Instant::now() < deadline, "the helper {pid} still runs");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

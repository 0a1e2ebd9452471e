//! Registry credentials the way the Docker CLI keeps and finds them, to send as the
//! Engine API's `X-Registry-Auth` on pull and push.
//!
//! The config is `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`
//! (docker/cli `cli/config`). For a registry, a `credHelpers` entry names the credential
//! helper to ask; else `credsStore` names one for every registry; else the `auths` entry
//! is used, matched by its exact key first and then by its host (`https://host:port/v2/`
//! is `host:port`). Docker Hub is keyed `https://index.docker.io/v1/` everywhere, as
//! `docker login` writes it.
//!
//! Credentials are secrets: neither they nor the base64 `auth` strings ever appear in a
//! `Debug` output or an error message, and a helper's output is only quoted when it
//! cannot be an answer carrying a secret.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

/// The key Docker Hub's credentials have in `auths`, in `credHelpers` and for helpers.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The names an image reference can give Docker Hub.
const DOCKER_HUB_HOSTS: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

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

/// Base64 as the Docker CLI writes `auth` (standard alphabet), read whether or not it is
/// padded, since hand-written and tool-written configs differ there.
const AUTH_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The config exists but cannot be read.
    #[error("cannot read the Docker config `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config is not JSON, or not the shape the Docker CLI writes. The message is
    /// serde_json's own only for syntax errors: a wrong-type message quotes the value,
    /// which could be a secret.
    #[error("the Docker config `{}` is not valid at line {line}, column {column}: {problem}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        problem: String,
    },
    /// An `auths` entry's `auth` does not decode to `user:password`.
    #[error("the `auths` entry for `{key}` in `{}` is not base64 of user:password", path.display())]
    InvalidAuth {
        registry: String,
        key: String,
        path: PathBuf,
    },
    /// The config names a credential helper that is not on PATH.
    #[error("the credential helper `{program}` for `{registry}` (named in `{}`) is not on PATH", config.display())]
    HelperNotFound {
        program: String,
        registry: String,
        config: PathBuf,
    },
    /// The helper could not be started, or its pipes failed.
    #[error("cannot run the credential helper `{program}` for `{registry}`")]
    HelperRun {
        program: String,
        registry: String,
        #[source]
        source: std::io::Error,
    },
    /// The helper exited unsuccessfully; `message` is the first line it wrote as an error.
    #[error("the credential helper `{program}` failed for `{registry}` ({status}){}", quoted(.message))]
    HelperFailed {
        program: String,
        registry: String,
        status: String,
        message: String,
    },
    /// The helper did not answer in time and was killed.
    #[error("the credential helper `{program}` did not answer for `{registry}` within {}s and was stopped", .timeout.as_secs_f64())]
    HelperTimeout {
        program: String,
        registry: String,
        timeout: Duration,
    },
    /// The helper succeeded but its answer is not the JSON helpers answer.
    #[error("the credential helper `{program}` answered for `{registry}` with something other than credentials JSON: {problem}")]
    HelperBadAnswer {
        program: String,
        registry: String,
        problem: String,
    },
}

fn quoted(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// The `docker login` command that stores fresh credentials for `registry`.
fn login_command(registry: &str) -> String {
    if server_address(registry) == DOCKER_HUB_KEY {
        "docker login".to_string()
    } else {
        format!("docker login {registry}")
    }
}

impl AuthError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            AuthError::Read { path, .. } => Some(format!(
                "check the permissions of `{}`, or set DOCKER_CONFIG to another directory",
                path.display()
            )),
            AuthError::Parse { path, .. } => Some(format!(
                "fix `{}` (the Docker CLI writes it as JSON), or move it aside to pull without credentials",
                path.display()
            )),
            AuthError::InvalidAuth { registry, path, .. } => Some(format!(
                "run `{}` again, or fix `{}`",
                login_command(registry),
                path.display()
            )),
            AuthError::HelperNotFound {
                program, config, ..
            } => Some(format!(
                "install `{program}` on PATH, or remove it from `credsStore`/`credHelpers` in `{}`",
                config.display()
            )),
            AuthError::HelperRun { program, .. } => Some(format!(
                "check that `{program}` is an executable program"
            )),
            AuthError::HelperFailed {
                program, registry, ..
            }
            | AuthError::HelperBadAnswer {
                program, registry, ..
            } => Some(format!(
                "run `echo {} | {program} get` to see what it says, or run `{}` again",
                server_address(registry),
                login_command(registry)
            )),
            AuthError::HelperTimeout {
                program, registry, ..
            } => Some(format!(
                "`{program}` may be waiting for a keychain to be unlocked; unlock it, or run `{}` again",
                login_command(registry)
            )),
        }
    }
}

/// The part of `config.json` that holds credentials; the rest of the file is left alone.
#[derive(Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: Option<BTreeMap<String, AuthEntry>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
}

/// One `auths` entry. Deliberately not `Debug`: every field but the key is a secret.
#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// A credential helper's answer to `get`.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(default, rename = "Username")]
    username: Option<String>,
    #[serde(default, rename = "Secret")]
    secret: Option<String>,
}

/// Where the Docker CLI's config lives: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub struct DockerConfig {
    path: PathBuf,
    file: ConfigFile,
    /// The PATH credential helpers are looked up on and run with.
    search_path: Option<OsString>,
}

impl fmt::Debug for DockerConfig {
    /// Names what the config has credentials for, never the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auths: Vec<&String> = self.file.auths.iter().flat_map(|a| a.keys()).collect();
        f.debug_struct("DockerConfig")
            .field("path", &self.path)
            .field("auths", &auths)
            .field("creds_store", &self.file.creds_store)
            .field("cred_helpers", &self.file.cred_helpers)
            .finish()
    }
}

impl DockerConfig {
    /// Reads the config named by the environment given as a map (never reads the process
    /// env itself, except PATH when the map has none): keys DOCKER_CONFIG, HOME, PATH. A
    /// missing file is an empty config (no error); an unreadable or malformed one is an
    /// AuthError naming the file and why (serde_json's line:column).
    ///
    /// With neither DOCKER_CONFIG nor HOME set nothing is read, and the path is the
    /// conventional `~/.docker/config.json`, only for messages: pulling public images
    /// must still work where no home directory is set.
    pub fn load(env: &BTreeMap<String, String>) -> Result<DockerConfig, AuthError> {
        let search_path = match env.get("PATH") {
            Some(path) => Some(OsString::from(path)),
            None => std::env::var_os("PATH"),
        };
        let non_empty = |key: &str| env.get(key).filter(|value| !value.is_empty());
        let path = if let Some(dir) = non_empty("DOCKER_CONFIG") {
            Path::new(dir).join("config.json")
        } else if let Some(home) = non_empty("HOME") {
            Path::new(home).join(".docker").join("config.json")
        } else {
            return Ok(DockerConfig {
                path: PathBuf::from("~/.docker/config.json"),
                file: ConfigFile::default(),
                search_path,
            });
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(AuthError::Read { path, source }),
        };
        let file = parse_config(&path, &bytes)?;
        Ok(DockerConfig {
            path,
            file,
            search_path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credentials for `registry` (a host[:port] as an image reference names it:
    /// "docker.io" for Docker Hub, "127.0.0.1:5000", "ghcr.io"), or None when the config
    /// has none.
    pub async fn credentials_for(&self, registry: &str) -> Result<Option<Credentials>, AuthError> {
        self.credentials_within(registry, HELPER_TIMEOUT).await
    }

    /// [`DockerConfig::credentials_for`], with a credential helper given `helper_timeout`
    /// to answer before it is killed.
    pub async fn credentials_within(
        &self,
        registry: &str,
        helper_timeout: Duration,
    ) -> Result<Option<Credentials>, AuthError> {
        let key = server_address(registry);
        match self.helper_for(&key) {
            Some(helper) => {
                self.ask_helper(helper, registry, &key, helper_timeout)
                    .await
            }
            None => self.look_up_auths(registry, &key),
        }
    }

    /// The helper the Docker CLI asks for `key`: its `credHelpers` entry, else
    /// `credsStore`. An empty name means no helper; an empty `credHelpers` entry thus
    /// keeps that registry in `auths` even with a `credsStore` (as docker/cli's
    /// `getConfiguredCredentialStore` does).
    fn helper_for(&self, key: &str) -> Option<&str> {
        let configured = self
            .file
            .cred_helpers
            .as_ref()
            .and_then(|helpers| helpers.get(key))
            .or(self.file.creds_store.as_ref());
        configured
            .map(String::as_str)
            .filter(|name| !name.is_empty())
    }

    /// The `auths` entry for `key`: the exact key, else the first key (in sorted order,
    /// so the choice is the same on every run) naming the same host.
    fn look_up_auths(&self, registry: &str, key: &str) -> Result<Option<Credentials>, AuthError> {
        let Some(auths) = self.file.auths.as_ref() else {
            return Ok(None);
        };
        let found = auths.get_key_value(key).or_else(|| {
            auths
                .iter()
                .find(|(candidate, _)| same_registry(candidate, key))
        });
        let Some((entry_key, entry)) = found else {
            return Ok(None);
        };
        let invalid = || AuthError::InvalidAuth {
            registry: registry.to_string(),
            key: entry_key.clone(),
            path: self.path.clone(),
        };
        let (username, password) = match entry.auth.as_deref().map(str::trim) {
            Some(auth) if !auth.is_empty() => decode_auth(auth).ok_or_else(invalid)?,
            _ => (
                entry.username.clone().unwrap_or_default(),
                entry.password.clone().unwrap_or_default(),
            ),
        };
        let identity_token = entry.identitytoken.clone().filter(|t| !t.is_empty());
        if username.is_empty() && password.is_empty() && identity_token.is_none() {
            return Ok(None);
        }
        Ok(Some(Credentials {
            username,
            password,
            identity_token,
            server_address: key.to_string(),
        }))
    }

    /// Runs `docker-credential-<helper> get` with `key` on stdin, as docker-credential-helpers'
    /// client does.
    async fn ask_helper(
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

/// Registry credentials, ready for the engine. `Debug` shows the username only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    pub identity_token: Option<String>,
    /// The key the credentials were found under: `https://index.docker.io/v1/` for
    /// Docker Hub, else the registry's host[:port].
    pub server_address: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field(
                "identity_token",
                &self.identity_token.as_ref().map(|_| "<redacted>"),
            )
            .field("server_address", &self.server_address)
            .finish()
    }
}

impl Credentials {
    /// The credentials as the engine sends them (`X-Registry-Auth`, where empty fields
    /// are left out, so an identity token goes without a username or password).
    pub fn to_registry_auth(&self) -> crate::engine::RegistryAuth {
        crate::engine::RegistryAuth {
            username: self.username.clone(),
            password: self.password.clone(),
            identity_token: self.identity_token.clone().filter(|t| !t.is_empty()),
            server_address: self.server_address.clone(),
        }
    }
}

/// The key the Docker CLI stores `registry`'s credentials under: Docker Hub's
/// `https://index.docker.io/v1/`, else the host[:port] (a scheme or path given with it
/// is dropped).
pub fn server_address(registry: &str) -> String {
    let host = hostname_of(registry);
    if registry == DOCKER_HUB_KEY || is_docker_hub_host(host) {
        DOCKER_HUB_KEY.to_string()
    } else {
        host.to_string()
    }
}

fn is_docker_hub_host(host: &str) -> bool {
    DOCKER_HUB_HOSTS
        .iter()
        .any(|hub| hub.eq_ignore_ascii_case(host))
}

/// The host[:port] of an `auths` key: `https://127.0.0.1:5000/v2/` is `127.0.0.1:5000`
/// (docker/cli's `ConvertToHostname`).
fn hostname_of(key: &str) -> &str {
    let without_scheme = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            key.get(..scheme.len())
                .filter(|prefix| prefix.eq_ignore_ascii_case(scheme))
                .map(|_| &key[scheme.len()..])
        })
        .unwrap_or(key);
    without_scheme
        .split_once('/')
        .map_or(without_scheme, |(host, _)| host)
}

/// Whether the `auths` key `candidate` names the registry whose key is `key`. Docker Hub
/// entries written by hand as `docker.io` or `https://index.docker.io/v2/` count too,
/// which the Docker CLI does not match: there is no other registry they could mean.
fn same_registry(candidate: &str, key: &str) -> bool {
    let host = hostname_of(candidate);
    if key == DOCKER_HUB_KEY {
        is_docker_hub_host(host)
    } else {
        host == key
    }
}

/// `user:password` from an `auth` value, split at the first ':' (a password may hold
/// colons); None when it is not base64, not UTF-8, has no ':' or no user.
fn decode_auth(auth: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(AUTH_BASE64.decode(auth).ok()?).ok()?;
    let (username, password) = decoded.split_once(':')?;
    if username.is_empty() {
        return None;
    }
    // Some old tools padded the password with NULs; docker/cli trims them too.
    Some((
        username.to_string(),
        password.trim_matches('\0').to_string(),
    ))
}

fn parse_config(path: &Path, bytes: &[u8]) -> Result<ConfigFile, AuthError> {
    // docker/cli takes an empty file as an empty config.
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ConfigFile::default());
    }
    serde_json::from_slice(bytes).map_err(|err| AuthError::Parse {
        path: path.to_path_buf(),
        line: err.line(),
        column: err.column(),
        problem: describe_json_error(&err),
    })
}

/// What is wrong, without the value: serde_json's data errors quote it ("invalid type:
/// string \"...\""), and in a config or a helper's answer that value may be a secret.
fn describe_json_error(err: &serde_json::Error) -> String {
    match err.classify() {
        serde_json::error::Category::Data => "a value has the wrong type".to_string(),
        serde_json::error::Category::Io => "it cannot be read".to_string(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            let message = err.to_string();
            let suffix = format!(" at line {} column {}", err.line(), err.column());
            message
                .strip_suffix(&suffix)
                .map_or(message.clone(), str::to_string)
        }
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
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    /// A config directory, a directory for helper scripts, and the env naming both.
    struct Fixture {
        config_dir: tempfile::TempDir,
        bin_dir: tempfile::TempDir,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                config_dir: tempfile::tempdir().unwrap(),
                bin_dir: tempfile::tempdir().unwrap(),
            }
        }

        fn env(&self) -> BTreeMap<String, String> {
            BTreeMap::from([
                (
                    "DOCKER_CONFIG".to_string(),
                    self.config_dir.path().display().to_string(),
                ),
                (
                    "PATH".to_string(),
                    format!("{}:/usr/bin:/bin", self.bin_dir.path().display()),
                ),
            ])
        }

        fn write_config(&self, json: &str) {
            std::fs::write(self.config_dir.path().join("config.json"), json).unwrap();
        }

        fn load(&self, json: &str) -> DockerConfig {
            self.write_config(json);
            DockerConfig::load(&self.env()).unwrap()
        }

        /// Writes `docker-credential-<name>` as a shell script. The file is written by a
        /// child shell, never through a descriptor of this process: a descriptor open for
        /// writing, inherited by a process another test forks at that moment, would make
        /// executing the script fail with ETXTBSY.
        fn helper(&self, name: &str, body: &str) {
            let path = self
                .bin_dir
                .path()
                .join(format!("docker-credential-{name}"));
            let mut writer = std::process::Command::new("/bin/sh")
                .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
                .arg(&path)
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = writer.stdin.take().unwrap();
            stdin
                .write_all(format!("#!/bin/sh\n{body}\n").as_bytes())
                .unwrap();
            drop(stdin);
            assert!(writer.wait().unwrap().success());
        }
    }

    fn basic(user_password: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(user_password)
    }

    fn user_password(username: &str, password: &str, server_address: &str) -> Credentials {
        Credentials {
            username: username.to_string(),
            password: password.to_string(),
            identity_token: None,
            server_address: server_address.to_string(),
        }
    }

    #[tokio::test]
    async fn exact_auths_key_wins_over_normalised_key() {
        let fixture = Fixture::new();
        let config = fixture.load(&format!(
            r#"{{"auths": {{
                "http://quay.io": {{"auth": "{}"}},
                "quay.io": {{"auth": "{}"}}
            }}}}"#,
            basic("by-url:p1"),
            basic("exact:p2")
        ));
        // The normalised key sorts first, so only the exact lookup finds `exact`.
        let found = config.credentials_for("quay.io").await.unwrap();
        assert_eq!(found, Some(user_password("exact", "p2", "quay.io")));
    }

    #[tokio::test]
    async fn normalised_auths_key_matches_host_and_port() {
        let fixture = Fixture::new();
        let config = fixture.load(&format!(
            r#"{{"auths": {{
                "https://127.0.0.1:5000/v2/": {{"auth": "{}"}},
                "http://ghcr.io": {{"auth": "{}"}},
                "127.0.0.1:5001": {{"auth": "{}"}}
            }}}}"#,
            basic("local:p1"),
            basic("gh:p2"),
            basic("other:p3")
        ));
        assert_eq!(
            config.credentials_for("127.0.0.1:5000").await.unwrap(),
            Some(user_password("local", "p1", "127.0.0.1:5000"))
        );
        assert_eq!(
            config.credentials_for("ghcr.io").await.unwrap(),
            Some(user_password("gh", "p2", "ghcr.io"))
        );
        // Another port is another registry.
        assert_eq!(config.credentials_for("127.0.0.1").await.unwrap(), None);
    }

    #[tokio::test]
    async fn docker_hub_names_use_the_index_key() {
        let fixture = Fixture::new();
        let config = fixture.load(&format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{}"}}}}}}"#,
            basic("hubuser:hubpass")
        ));
        for registry in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            assert_eq!(
                config.credentials_for(registry).await.unwrap(),
                Some(user_password("hubuser", "hubpass", DOCKER_HUB_KEY)),
                "{registry}"
            );
        }
        assert_eq!(config.credentials_for("ghcr.io").await.unwrap(), None);
    }

    #[tokio::test]
    async fn docker_hub_entry_keyed_by_host_is_found() {
        let fixture = Fixture::new();
        let config = fixture.load(&format!(
            r#"{{"auths": {{"docker.io": {{"auth": "{}"}}}}}}"#,
            basic("hubuser:hubpass")
        ));
        assert_eq!(
            config.credentials_for("docker.io").await.unwrap(),
            Some(user_password("hubuser", "hubpass", DOCKER_HUB_KEY))
        );
    }

    #[tokio::test]
    async fn base64_auth_splits_at_the_first_colon() {
        let fixture = Fixture::new();
        let config = fixture.load(&format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{}", "username": "ignored", "password": "ignored"}}}}}}"#,
            basic("me:pa:ss:word")
        ));
        assert_eq!(
            config.credentials_for("ghcr.io").await.unwrap(),
            Some(user_password("me", "pa:ss:word", "ghcr.io"))
        );
    }

    #[tokio::test]
    async fn username_and_password_fields_count() {
        let fixture = Fixture::new();
        let config = fixture.load(
            r#"{"auths": {"ghcr.io": {"username": "me", "password": "s3cret", "auth": ""}}}"#,
        );
        assert_eq!(
            config.credentials_for("ghcr.io").await.unwrap(),
            Some(user_password("me", "s3cret", "ghcr.io"))
        );
    }

    #[tokio::test]
    async fn identity_token_is_passed() {
        let fixture = Fixture::new();
        let config = fixture.load(&format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{}", "identitytoken": "refresh-token"}}}}}}"#,
            basic("me:")
        ));
        let found = config.credentials_for("ghcr.io").await.unwrap().unwrap();
        assert_eq!(found.identity_token.as_deref(), Some("refresh-token"));
        assert_eq!(found.username, "me");
        let auth = found.to_registry_auth();
        assert_eq!(auth.identity_token.as_deref(), Some("refresh-token"));
        assert_eq!(auth.username, "me");
        assert_eq!(auth.password, "");
        assert_eq!(auth.server_address, "ghcr.io");
    }

    #[tokio::test]
    async fn empty_entry_is_no_credentials() {
        let fixture = Fixture::new();
        let config = fixture
            .load(r#"{"auths": {"ghcr.io": {}, "quay.io": {"auth": "", "identitytoken": ""}}}"#);
        assert_eq!(config.credentials_for("ghcr.io").await.unwrap(), None);
        assert_eq!(config.credentials_for("quay.io").await.unwrap(), None);
    }

    #[tokio::test]
    async fn undecodable_auth_is_an_error_without_the_value() {
        let fixture = Fixture::new();
        let no_colon = basic("justauser");
        let config = fixture.load(&format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "!!not base64!!"}}, "quay.io": {{"auth": "{no_colon}"}}}}}}"#
        ));
        let path = fixture.config_dir.path().join("config.json");
        for (registry, value) in [("ghcr.io", "!!not base64!!"), ("quay.io", &no_colon)] {
            let err = config.credentials_for(registry).await.unwrap_err();
            let message = err.to_string();
            assert_eq!(
                message,
                format!(
                    "the `auths` entry for `{registry}` in `{}` is not base64 of user:password",
                    path.display()
                )
            );
            assert!(!format!("{err:?}").contains(value));
            assert_eq!(
                err.hint().unwrap(),
                format!(
                    "run `docker login {registry}` again, or fix `{}`",
                    path.display()
                )
            );
        }
    }

    #[test]
    fn malformed_json_names_the_file_and_line_column() {
        let fixture = Fixture::new();
        fixture.write_config("{\n  \"auths\": {\n    \"ghcr.io\": {\"auth\": \"abc\"}\n  ,\n}");
        let err = DockerConfig::load(&fixture.env()).unwrap_err();
        let path = fixture.config_dir.path().join("config.json");
        assert_eq!(
            err.to_string(),
            format!(
                "the Docker config `{}` is not valid at line 5, column 1: trailing comma",
                path.display()
            )
        );
        assert!(err.hint().unwrap().contains(&path.display().to_string()));
    }

    #[test]
    fn wrong_type_in_config_does_not_quote_the_value() {
        let fixture = Fixture::new();
        let secret = basic("me:s3cret");
        fixture.write_config(&format!(r#"{{"auths": {{"ghcr.io": "{secret}"}}}}"#));
        let err = DockerConfig::load(&fixture.env()).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("line 1, column"), "{message}");
        assert!(message.ends_with("a value has the wrong type"), "{message}");
        assert!(!format!("{err:?}").contains(&secret));
    }

    #[tokio::test]
    async fn missing_file_is_an_empty_config() {
        let fixture = Fixture::new();
        let config = DockerConfig::load(&fixture.env()).unwrap();
        assert_eq!(
            config.path(),
            fixture.config_dir.path().join("config.json").as_path()
        );
        assert_eq!(config.credentials_for("docker.io").await.unwrap(), None);
    }

    #[tokio::test]
    async fn empty_file_is_an_empty_config() {
        let fixture = Fixture::new();
        let config = fixture.load("  \n");
        assert_eq!(config.credentials_for("ghcr.io").await.unwrap(), None);
    }

    #[test]
    fn docker_config_wins_over_home() {
        let fixture = Fixture::new();
        let home = tempfile::tempdir().unwrap();
        let mut env = fixture.env();
        env.insert("HOME".to_string(), home.path().display().to_string());
        assert_eq!(
            DockerConfig::load(&env).unwrap().path(),
            fixture.config_dir.path().join("config.json").as_path()
        );
        env.remove("DOCKER_CONFIG");
        assert_eq!(
            DockerConfig::load(&env).unwrap().path(),
            home.path().join(".docker/config.json").as_path()
        );
    }

    #[test]
    fn unreadable_config_is_an_error_naming_the_file() {
        let fixture = Fixture::new();
        // A directory where the file should be cannot be read as one.
        std::fs::create_dir(fixture.config_dir.path().join("config.json")).unwrap();
        let err = DockerConfig::load(&fixture.env()).unwrap_err();
        assert!(matches!(err, AuthError::Read { .. }), "{err:?}");
        assert!(err.to_string().starts_with(&format!(
            "cannot read the Docker config `{}`",
            fixture.config_dir.path().join("config.json").display()
        )));
    }

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

    #[test]
    fn debug_redacts_the_secrets() {
        let credentials = Credentials {
            username: "me".to_string(),
            password: "hunter2-password".to_string(),
            identity_token: Some("refresh-token-value".to_string()),
            server_address: "ghcr.io".to_string(),
        };
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("hunter2-password"), "{debug}");
        assert!(!debug.contains("refresh-token-value"), "{debug}");
        assert!(debug.contains("\"me\""), "{debug}");
        assert!(debug.contains("password: \"<redacted>\""), "{debug}");
    }

    #[test]
    fn config_debug_shows_no_credentials() {
        let fixture = Fixture::new();
        let auth = basic("me:hunter2-password");
        let config = fixture.load(&format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{auth}", "password": "plain-password"}}}}}}"#
        ));
        let debug = format!("{config:?}");
        assert!(debug.contains("ghcr.io"), "{debug}");
        assert!(!debug.contains(&auth), "{debug}");
        assert!(!debug.contains("plain-password"), "{debug}");
    }

    #[test]
    fn server_address_normalises_registry_names() {
        assert_eq!(server_address("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(
            server_address("https://index.docker.io/v1/"),
            DOCKER_HUB_KEY
        );
        assert_eq!(server_address("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(server_address("https://ghcr.io/v2/"), "ghcr.io");
    }
}

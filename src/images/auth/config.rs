//! Reading Docker's `config.json`: where it is, what it says, and the `auths` entries.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::Deserialize;

use super::error::AuthError;
use super::helper::HELPER_TIMEOUT;
use super::registry::{same_registry, server_address};
use super::Credentials;

/// Base64 as the Docker CLI writes `auth` (standard alphabet), read whether or not it is
/// padded, since hand-written and tool-written configs differ there.
const AUTH_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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

/// Where the Docker CLI's config lives: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json`.
pub struct DockerConfig {
    pub(super) path: PathBuf,
    file: ConfigFile,
    /// The PATH credential helpers are looked up on and run with.
    pub(super) search_path: Option<OsString>,
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
pub(super) fn describe_json_error(err: &serde_json::Error) -> String {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::super::test_support::{basic, user_password, Fixture};
    use super::super::DOCKER_HUB_KEY;
    use super::*;

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
}

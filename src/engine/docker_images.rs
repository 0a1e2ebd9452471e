//! The Docker engine's image calls that reach a registry: pull, push, tag and inspect.
//!
//! A pull or push is a stream of progress messages that can last minutes for a large
//! image, so it is bounded by the time between two messages ([`TRANSFER_IDLE`]), not
//! by its length. What the registry answers is mapped here, once: refused credentials
//! are [`EngineError::Denied`], the rest keeps the registry's own words.

use std::time::Duration;

use bollard::auth::DockerCredentials;
use bollard::query_parameters::{CreateImageOptions, PushImageOptions, TagImageOptions};
use futures_util::StreamExt;

use super::docker::{map_error, DockerEngine};
use super::{EngineError, ImageDetails, ProgressSink, RegistryAuth, TransferProgress};

/// Longest a pull or push may go without a progress message before it is given up.
pub const TRANSFER_IDLE: Duration = Duration::from_secs(120);

/// Longest an inspect or tag may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

impl DockerEngine {
    pub(super) async fn image_details(
        &self,
        reference: &str,
    ) -> Result<Option<ImageDetails>, EngineError> {
        match self
            .call(
                "inspect_image",
                || format!("image `{reference}`"),
                CALL_TIMEOUT,
                self.client().inspect_image(reference),
            )
            .await
        {
            Ok(inspect) => Ok(Some(ImageDetails {
                id: inspect.id.unwrap_or_default(),
                repo_digests: inspect.repo_digests.unwrap_or_default(),
                repo_tags: inspect.repo_tags.unwrap_or_default(),
                size: inspect
                    .size
                    .and_then(|s| u64::try_from(s).ok())
                    .unwrap_or(0),
                os: inspect.os.unwrap_or_default(),
                architecture: inspect.architecture.unwrap_or_default(),
                variant: inspect.variant.filter(|v| !v.is_empty()),
                last_tag_time_ms: inspect
                    .metadata
                    .and_then(|m| m.last_tag_time)
                    .filter(|t| !t.is_empty() && !t.starts_with("0001-01-01"))
                    .and_then(|t| super::parse_rfc3339_nanos(&t))
                    .map(|nanos| nanos / 1_000_000),
                labels: inspect
                    .config
                    .and_then(|c| c.labels)
                    .map(|labels| labels.into_iter().collect())
                    .unwrap_or_default(),
            })),
            Err(EngineError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub(super) async fn pull(
        &self,
        reference: &str,
        platform: Option<&str>,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<(), EngineError> {
        let (name, tag) = split_for_pull(reference);
        let options = CreateImageOptions {
            from_image: Some(name),
            tag: Some(tag),
            platform: platform.unwrap_or_default().to_string(),
            ..CreateImageOptions::default()
        };
        let mut stream = self
            .client()
            .create_image(Some(options), None, auth.map(credentials));
        loop {
            let next = tokio::time::timeout(TRANSFER_IDLE, stream.next()).await;
            let item = match next {
                Err(_) => {
                    return Err(EngineError::Timeout {
                        operation: format!("pull of `{reference}` (no progress)"),
                        timeout: TRANSFER_IDLE,
                    })
                }
                Ok(None) => return Ok(()),
                Ok(Some(item)) => item,
            };
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        return Err(registry_error("pull", reference, &detail));
                    }
                    let detail = info.progress_detail.unwrap_or_default();
                    progress(TransferProgress {
                        layer: info.id.unwrap_or_default(),
                        status: info.status.unwrap_or_default(),
                        current: detail.current.and_then(|n| u64::try_from(n).ok()),
                        total: detail.total.and_then(|n| u64::try_from(n).ok()),
                    });
                }
                Err(err) => return Err(self.transfer_error("pull", reference, err)),
            }
        }
    }

    pub(super) async fn push(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        progress: ProgressSink<'_>,
    ) -> Result<String, EngineError> {
        let (name, tag) = split_for_pull(reference);
        let options = PushImageOptions {
            tag: Some(tag),
            ..PushImageOptions::default()
        };
        let mut stream = self
            .client()
            .push_image(&name, Some(options), auth.map(credentials));
        let mut digest = None;
        loop {
            let next = tokio::time::timeout(TRANSFER_IDLE, stream.next()).await;
            let item = match next {
                Err(_) => {
                    return Err(EngineError::Timeout {
                        operation: format!("push of `{reference}` (no progress)"),
                        timeout: TRANSFER_IDLE,
                    })
                }
                Ok(None) => break,
                Ok(Some(item)) => item,
            };
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        return Err(registry_error("push", reference, &detail));
                    }
                    let status = info.status.unwrap_or_default();
                    if let Some(found) = pushed_digest(&status) {
                        digest = Some(found);
                    }
                    let detail = info.progress_detail.unwrap_or_default();
                    progress(TransferProgress {
                        layer: String::new(),
                        status,
                        current: detail.current.and_then(|n| u64::try_from(n).ok()),
                        total: detail.total.and_then(|n| u64::try_from(n).ok()),
                    });
                }
                Err(err) => return Err(self.transfer_error("push", reference, err)),
            }
        }
        digest.ok_or_else(|| EngineError::Other {
            operation: "push".to_string(),
            message: format!("the engine pushed `{reference}` but reported no manifest digest"),
        })
    }

    pub(super) async fn tag(&self, source: &str, target: &str) -> Result<(), EngineError> {
        let (repo, tag) = split_for_pull(target);
        let options = TagImageOptions {
            repo: Some(repo),
            tag: Some(tag),
        };
        self.call(
            "tag_image",
            || format!("image `{source}`"),
            CALL_TIMEOUT,
            self.client().tag_image(source, Some(options)),
        )
        .await
    }

    /// Imports `rootfs` (a tar of a root filesystem) as the image `reference`, with
    /// `changes` (Dockerfile instructions: ENTRYPOINT, LABEL, ...) applied.
    pub(super) async fn import(
        &self,
        reference: &str,
        rootfs: Vec<u8>,
        changes: Vec<String>,
    ) -> Result<(), EngineError> {
        let (repo, tag) = split_for_pull(reference);
        let options = bollard::query_parameters::CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(&repo)
            .tag(&tag)
            .changes(changes)
            .build();
        let mut stream = self.client().create_image(
            Some(options),
            Some(bollard::body_full(rootfs.into())),
            None,
        );
        loop {
            match tokio::time::timeout(TRANSFER_IDLE, stream.next()).await {
                Err(_) => {
                    return Err(EngineError::Timeout {
                        operation: format!("import image `{reference}`"),
                        timeout: TRANSFER_IDLE,
                    })
                }
                Ok(None) => return Ok(()),
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(err))) => return Err(self.transfer_error("import", reference, err)),
            }
        }
    }

    /// A failed pull or push: the registry's refusal of credentials is `Denied`, a
    /// transport failure is the engine's, anything else keeps the registry's words.
    fn transfer_error(
        &self,
        operation: &str,
        reference: &str,
        err: bollard::errors::Error,
    ) -> EngineError {
        use bollard::errors::Error as E;
        match err {
            E::DockerResponseServerError { message, .. } => {
                registry_error(operation, reference, &message)
            }
            E::DockerStreamError { error } => registry_error(operation, reference, &error),
            other => map_error(
                self.address(),
                operation,
                format!("image `{reference}`"),
                other,
            ),
        }
    }
}

fn credentials(auth: &RegistryAuth) -> DockerCredentials {
    DockerCredentials {
        username: Some(auth.username.clone()).filter(|u| !u.is_empty()),
        password: Some(auth.password.clone()).filter(|p| !p.is_empty()),
        identitytoken: auth.identity_token.clone(),
        serveraddress: Some(auth.server_address.clone()),
        ..DockerCredentials::default()
    }
}

/// What a registry said, as an error kind: a refusal of the credentials (or their
/// absence) is `Denied`; everything else is `Other` with the registry's words.
pub(super) fn registry_error(operation: &str, reference: &str, message: &str) -> EngineError {
    let message = message.trim().to_string();
    let lower = message.to_lowercase();
    let denied = [
        "unauthorized",
        "no basic auth credentials",
        "authentication required",
        "access denied",
        "denied:",
        "incorrect username or password",
    ]
    .iter()
    .any(|needle| lower.contains(needle));
    if denied {
        EngineError::Denied {
            what: format!("{operation} of `{reference}`"),
            message,
        }
    } else {
        // The registry's words name the image already ("manifest for X not found").
        EngineError::Other {
            operation: operation.to_string(),
            message,
        }
    }
}

/// `name:tag` or `name@digest` as the engine's pull and push take them: the name, and
/// the tag or digest (`latest` when there is neither).
pub fn split_for_pull(reference: &str) -> (String, String) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name.to_string(), digest.to_string());
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            reference[..last_slash + i].to_string(),
            reference[last_slash + i + 1..].to_string(),
        ),
        None => (reference.to_string(), "latest".to_string()),
    }
}

/// The manifest digest in a push's last status line: `1: digest: sha256:... size: 527`.
fn pushed_digest(status: &str) -> Option<String> {
    let start = status.find("digest: sha256:")? + "digest: ".len();
    let digest: String = status[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
        .collect();
    (digest.len() == "sha256:".len() + 64).then_some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_splits_into_name_and_tag_or_digest() {
        assert_eq!(
            split_for_pull("127.0.0.1:5000/shop/orders:2"),
            ("127.0.0.1:5000/shop/orders".into(), "2".into())
        );
        assert_eq!(
            split_for_pull("localhost:5000/app"),
            ("localhost:5000/app".into(), "latest".into())
        );
        assert_eq!(
            split_for_pull("redis@sha256:abc"),
            ("redis".into(), "sha256:abc".into())
        );
    }

    #[test]
    fn the_pushed_digest_is_read_from_the_last_status_line() {
        let hex = "0123456789abcdef".repeat(4);
        assert_eq!(
            pushed_digest(&format!("1: digest: sha256:{hex} size: 527")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(pushed_digest("Pushed"), None);
        assert_eq!(pushed_digest("digest: sha256:short size: 1"), None);
    }

    #[test]
    fn a_refusal_of_credentials_is_denied_and_the_rest_keeps_the_registrys_words() {
        let denied = registry_error(
            "pull",
            "127.0.0.1:5000/x:1",
            "Head \"http://127.0.0.1:5000/v2/x/manifests/1\": no basic auth credentials",
        );
        assert!(matches!(denied, EngineError::Denied { .. }), "{denied:?}");
        let unknown = registry_error(
            "pull",
            "127.0.0.1:5000/x:nope",
            "manifest for 127.0.0.1:5000/x:nope not found: manifest unknown: manifest unknown",
        );
        match unknown {
            EngineError::Other { message, .. } => assert!(message.contains("manifest unknown")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn registry_auth_debug_leaves_the_password_out() {
        let auth = RegistryAuth {
            username: "ci".into(),
            password: "s3cr3t-value".into(),
            identity_token: None,
            server_address: "127.0.0.1:5000".into(),
        };
        let printed = format!("{auth:?}");
        assert!(!printed.contains("s3cr3t-value"), "{printed}");
        assert!(printed.contains("ci"));
    }
}

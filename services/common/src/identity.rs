//! Service identity: a call from one shop service to another carries the caller's
//! credential, and the callee lets it through only when it verifies and the caller is one
//! the endpoint allows.
//!
//! Each calling service has a random token, the Compose secret `<service>_identity`
//! (`manifests/secrets/identity-<service>`, made by `scripts/bootstrap`), mounted only
//! into that service. It sends `X-Service-Credential: <service>:<token>` ([`ServiceIdentity`]).
//! A service that must verify a caller gets the secret `<caller>_identity_digest`: the
//! SHA-256 of the caller's token, in hex ([`ServiceCallers`]). A callee holding only the
//! digest cannot pass itself off as the caller: products verifies orders' calls but can
//! not call payments as orders.
//!
//! [`only_from`] guards routes: no credential, or one that does not verify, is a 401
//! JSON error; a service the callee knows but the route does not allow is a 403.
//!
//! Tokens and digests come from files (Compose secrets), never from the environment, and
//! no `Debug` or log line shows them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::Router;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::env_or;
use crate::error::ApiError;

/// The header a service's credential travels in: `<service>:<token>`.
pub const SERVICE_CREDENTIAL_HEADER: &str = "x-service-credential";

/// Where the Compose secrets are mounted, unless `SECRETS_DIR` says otherwise.
pub const DEFAULT_SECRETS_DIR: &str = "/run/secrets";

/// The shortest token accepted, in bytes.
const MIN_TOKEN_LEN: usize = 16;

/// `SECRETS_DIR`, default `/run/secrets`.
pub fn secrets_dir() -> PathBuf {
    PathBuf::from(env_or("SECRETS_DIR", DEFAULT_SECRETS_DIR))
}

/// This service's own credential, for the calls it makes. Its `Debug` shows the name
/// only.
#[derive(Clone)]
pub struct ServiceIdentity {
    name: String,
    digest: [u8; 32],
    header: HeaderValue,
}

impl std::fmt::Debug for ServiceIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServiceIdentity({:?}, ..)", self.name)
    }
}

impl ServiceIdentity {
    /// `name`'s identity from the secret `<dir>/<name>_identity` (see [`secrets_dir`]).
    pub fn load(dir: &Path, name: &str) -> Result<ServiceIdentity, String> {
        let path = dir.join(format!("{name}_identity"));
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("reading the identity of `{name}` {}: {e}", path.display()))?;
        let token = std::str::from_utf8(bytes.trim_ascii())
            .map_err(|_| format!("the identity {} is not text", path.display()))?;
        ServiceIdentity::new(name, token).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `name` proving itself with `token`: at least 16 printable ASCII characters.
    pub fn new(name: &str, token: &str) -> Result<ServiceIdentity, String> {
        check_name(name)?;
        if token.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "the token of `{name}` is too short: at least {MIN_TOKEN_LEN} bytes are needed"
            ));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "the token of `{name}` may hold printable ASCII only"
            ));
        }
        let mut header = HeaderValue::from_str(&format!("{name}:{token}"))
            .map_err(|_| format!("the token of `{name}` is not a header value"))?;
        // Kept out of HTTP/2 header compression tables and of hyper's debug output.
        header.set_sensitive(true);
        Ok(ServiceIdentity {
            name: name.to_string(),
            digest: Sha256::digest(token.as_bytes()).into(),
            header,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header that proves this identity, to add to a request.
    pub fn header(&self) -> (&'static str, HeaderValue) {
        (SERVICE_CREDENTIAL_HEADER, self.header.clone())
    }

    /// `request` with this service's credential.
    pub fn authenticate(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(SERVICE_CREDENTIAL_HEADER, self.header.clone())
    }
}

/// The callers a service can verify: service name -> SHA-256 of its token. Its `Debug`
/// shows the names only.
#[derive(Clone, Default)]
pub struct ServiceCallers {
    digests: BTreeMap<String, [u8; 32]>,
}

impl std::fmt::Debug for ServiceCallers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ServiceCallers")
            .field(&self.digests.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ServiceCallers {
    /// No caller at all: every guarded route refuses everything.
    pub fn none() -> ServiceCallers {
        ServiceCallers::default()
    }

    /// The callers `names`, each from the secret `<dir>/<name>_identity_digest`.
    pub fn load(dir: &Path, names: &[&str]) -> Result<ServiceCallers, String> {
        let mut callers = ServiceCallers::none();
        for name in names {
            let path = dir.join(format!("{name}_identity_digest"));
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "reading the identity digest of `{name}` {}: {e}",
                    path.display()
                )
            })?;
            callers = callers
                .with_digest(name, text.trim())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(callers)
    }

    /// Also `name`, whose token has the SHA-256 `digest_hex` (64 hex digits).
    pub fn with_digest(mut self, name: &str, digest_hex: &str) -> Result<ServiceCallers, String> {
        check_name(name)?;
        let digest = decode_digest(digest_hex).ok_or_else(|| {
            format!("the identity digest of `{name}` is not 64 hex digits (a SHA-256)")
        })?;
        self.digests.insert(name.to_string(), digest);
        Ok(self)
    }

    /// Also `identity`'s service: a service knows its own credential, so that one sent
    /// back to it is recognised (and refused with a 403 where it is not allowed).
    pub fn with_identity(mut self, identity: &ServiceIdentity) -> ServiceCallers {
        self.digests.insert(identity.name.clone(), identity.digest);
        self
    }

    /// The caller named by the credential in `headers`, if it verifies and is one of
    /// `allowed`: otherwise 401 (none, malformed, unknown service, wrong token) or 403 (a
    /// service this one knows that `allowed` does not list).
    pub fn verify(&self, headers: &HeaderMap, allowed: &[&str]) -> Result<String, ApiError> {
        let invalid = || ApiError::Unauthorized("invalid service credential".into());
        let value = headers.get(SERVICE_CREDENTIAL_HEADER).ok_or_else(|| {
            ApiError::Unauthorized(format!(
                "this endpoint is for other services: `{SERVICE_CREDENTIAL_HEADER}` is missing"
            ))
        })?;
        let value = value.to_str().map_err(|_| invalid())?;
        let (name, token) = value.split_once(':').ok_or_else(invalid)?;
        let expected = self.digests.get(name).ok_or_else(invalid)?;
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if !bool::from(presented.ct_eq(expected)) {
            return Err(invalid());
        }
        if !allowed.contains(&name) {
            return Err(ApiError::Forbidden(format!(
                "service `{name}` may not call this endpoint (only {})",
                allowed.join(", ")
            )));
        }
        Ok(name.to_string())
    }
}

/// The caller a guarded request came from, in the request's extensions for handlers
/// that want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCaller(pub String);

/// `router`'s routes (those added so far) let through only calls from `allowed`
/// services, verified by `callers`, before any extractor reads the request.
pub fn only_from<S>(
    router: Router<S>,
    callers: Arc<ServiceCallers>,
    allowed: &'static [&'static str],
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.route_layer(middleware::from_fn(
        move |mut request: Request, next: Next| {
            let callers = Arc::clone(&callers);
            async move {
                match callers.verify(request.headers(), allowed) {
                    Ok(caller) => {
                        request.extensions_mut().insert(ServiceCaller(caller));
                        next.run(request).await
                    }
                    Err(error) => {
                        tracing::warn!(%error, "service call refused");
                        error.into_response()
                    }
                }
            }
        },
    ))
}

/// The SHA-256 of `token` in lowercase hex: what `<service>_identity_digest` holds
/// (`printf %s TOKEN | sha256sum`).
pub fn identity_digest(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a service name (lowercase letters, digits, `-`, `_`)"
        ))
    }
}

fn decode_digest(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::post;
    use tower::ServiceExt;

    const ORDERS_TOKEN: &str = "orders-token-0123456789abcdef";
    const PAYMENTS_TOKEN: &str = "payments-token-0123456789abcdef";

    fn orders() -> ServiceIdentity {
        ServiceIdentity::new("orders", ORDERS_TOKEN).unwrap()
    }

    fn payments() -> ServiceIdentity {
        ServiceIdentity::new("payments", PAYMENTS_TOKEN).unwrap()
    }

    /// What payments knows: orders' digest, and its own identity.
    fn payments_callers() -> ServiceCallers {
        ServiceCallers::none()
            .with_digest("orders", &identity_digest(ORDERS_TOKEN))
            .unwrap()
            .with_identity(&payments())
    }

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(
                SERVICE_CREDENTIAL_HEADER,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn the_allowed_caller_with_its_token_passes() {
        let (name, value) = orders().header();
        let mut map = HeaderMap::new();
        map.insert(name, value);
        assert_eq!(
            payments_callers().verify(&map, &["orders"]),
            Ok("orders".to_string())
        );
    }

    #[test]
    fn missing_malformed_unknown_and_wrong_credentials_are_401() {
        let callers = payments_callers();
        let wrong = format!("orders:{PAYMENTS_TOKEN}");
        let unknown = format!("products:{ORDERS_TOKEN}");
        let bare = ORDERS_TOKEN.to_string();
        let truncated = format!("orders:{}", &ORDERS_TOKEN[1..]);
        for value in [
            None,
            Some(""),
            Some(bare.as_str()),
            Some("orders:"),
            Some(wrong.as_str()),
            Some(unknown.as_str()),
            Some(truncated.as_str()),
        ] {
            let result = callers.verify(&headers(value), &["orders"]);
            assert!(
                matches!(result, Err(ApiError::Unauthorized(_))),
                "{value:?}: {result:?}"
            );
        }
    }

    #[test]
    fn a_known_service_the_route_does_not_allow_is_403() {
        let own = format!("payments:{PAYMENTS_TOKEN}");
        let result = payments_callers().verify(&headers(Some(&own)), &["orders"]);
        assert!(matches!(result, Err(ApiError::Forbidden(_))), "{result:?}");
    }

    #[test]
    fn identities_and_digests_load_from_secret_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("orders_identity"),
            format!("{ORDERS_TOKEN}\n"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("orders_identity_digest"),
            format!("{}\n", identity_digest(ORDERS_TOKEN)),
        )
        .unwrap();
        let identity = ServiceIdentity::load(dir.path(), "orders").unwrap();
        let callers = ServiceCallers::load(dir.path(), &["orders"]).unwrap();
        let mut map = HeaderMap::new();
        let (name, value) = identity.header();
        map.insert(name, value);
        assert_eq!(callers.verify(&map, &["orders"]), Ok("orders".into()));

        assert!(ServiceIdentity::load(dir.path(), "payments").is_err());
        assert!(ServiceCallers::load(dir.path(), &["payments"]).is_err());
        std::fs::write(dir.path().join("short_identity"), "short").unwrap();
        assert!(ServiceIdentity::load(dir.path(), "short").is_err());
        std::fs::write(dir.path().join("bad_identity_digest"), "abc").unwrap();
        assert!(ServiceCallers::load(dir.path(), &["bad"]).is_err());
    }

    #[test]
    fn nothing_shows_a_token_or_a_digest() {
        let identity = orders();
        let callers = payments_callers();
        let shown = format!("{identity:?} {callers:?}");
        assert!(!shown.contains(ORDERS_TOKEN), "{shown}");
        assert!(!shown.contains(&identity_digest(ORDERS_TOKEN)), "{shown}");
        assert!(identity.header().1.is_sensitive());
        assert_eq!(
            shown,
            r#"ServiceIdentity("orders", ..) ServiceCallers(["orders", "payments"])"#
        );
    }

    #[test]
    fn the_digest_is_sha256_hex_as_sha256sum_prints_it() {
        // printf %s abc | sha256sum
        assert_eq!(
            identity_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn guarded_routes_answer_json_errors_before_reading_the_body() {
        let app = only_from(
            Router::new().route("/charges", post(|| async { "charged" })),
            Arc::new(payments_callers()),
            &["orders"],
        );
        let cases = [
            (None, 401),
            (Some(format!("orders:{PAYMENTS_TOKEN}")), 401),
            (Some(format!("payments:{PAYMENTS_TOKEN}")), 403),
            (Some(format!("orders:{ORDERS_TOKEN}")), 200),
        ];
        for (credential, status) in cases {
            let mut request = axum::http::Request::post("/charges");
            if let Some(credential) = &credential {
                request = request.header(SERVICE_CREDENTIAL_HEADER, credential);
            }
            let response = app
                .clone()
                .oneshot(request.body(Body::from("not json")).unwrap())
                .await
                .unwrap_or_else(|e| match e {});
            assert_eq!(response.status().as_u16(), status, "{credential:?}");
            if status != 200 {
                assert_eq!(
                    response.headers()[axum::http::header::CONTENT_TYPE],
                    "application/json"
                );
            }
        }
    }
}

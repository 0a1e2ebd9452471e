//! Signed tokens: JWTs with HS256 (HMAC-SHA256), issued by users and checked by every
//! service holding the same key (the Compose secret `token_key`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// The only header this crate issues and accepts: no `alg` negotiation, no `none`.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// The shortest key accepted, in bytes.
const MIN_KEY_LEN: usize = 16;

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: i64,
    /// The user's email.
    pub email: String,
    /// `admin` or `customer`.
    pub role: String,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: u64,
}

impl Claims {
    /// Whether the role is `admin`.
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// The HMAC key that signs and checks tokens. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct TokenKey {
    key: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// The key in the file at `path` (the Compose secret), without surrounding
    /// whitespace (a trailing newline is not part of the key).
    pub fn from_file(path: &Path) -> Result<TokenKey, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("reading the token key {}: {e}", path.display()))?;
        TokenKey::from_bytes(bytes.trim_ascii())
            .map_err(|e| format!("the token key {}: {e}", path.display()))
    }

    /// A key of these bytes, at least 16 of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<TokenKey, String> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(format!(
                "{} bytes is too short, at least {MIN_KEY_LEN} are needed",
                bytes.len()
            ));
        }
        Ok(TokenKey {
            key: bytes.to_vec(),
        })
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
        match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        }
    }

    /// A token for the user `sub`, valid for `ttl` from now.
    pub fn issue(&self, sub: i64, email: &str, role: &str, ttl: Duration) -> String {
        let claims = Claims {
            sub,
            email: email.to_string(),
            role: role.to_string(),
            exp: now_secs().saturating_add(ttl.as_secs()),
        };
        self.sign(&claims)
    }

    /// The token of these claims as they are (tests make expired ones with it).
    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{signature}")
    }

    /// The claims of `token` if this key signed it and it has not expired:
    /// otherwise 401, `token expired` or `invalid token`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = || ApiError::Unauthorized("invalid token".into());
        let mut parts = token.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).map_err(|_| invalid())?;
        let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| invalid())?;
        let header: serde_json::Value = serde_json::from_slice(&header).map_err(|_| invalid())?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(invalid());
        }
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if claims.exp <= now_secs() {
            return Err(ApiError::Unauthorized("token expired".into()));
        }
        Ok(claims)
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The caller, from `Authorization: Bearer <token>`; rejects with a 401 [`ApiError`].
///
/// The router's state must hand out the key: implement `FromRef<YourState> for
/// Arc<TokenKey>`, e.g.
///
/// ```
/// # use std::sync::Arc;
/// # use shop_common::TokenKey;
/// #[derive(Clone)]
/// struct AppState { key: Arc<TokenKey> }
///
/// impl axum::extract::FromRef<AppState> for Arc<TokenKey> {
///     fn from_ref(state: &AppState) -> Self {
///         Arc::clone(&state.key)
///     }
/// }
/// ```
///
/// or use `Arc<TokenKey>` itself as the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser(pub Claims);

impl AuthUser {
    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("admins only".into()))
        }
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    Arc<TokenKey>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let key = Arc::<TokenKey>::from_ref(state);
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))?;
        let value = header
            .to_str()
            .map_err(|_| ApiError::Unauthorized("invalid authorization header".into()))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token,
            _ => return Err(ApiError::Unauthorized("expected a bearer token".into())),
        };
        key.verify(token).map(AuthUser)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn key(byte: u8) -> TokenKey {
        TokenKey::from_bytes(&[byte; 32]).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn issue_then_verify() {
        let key = key(1);
        let token = key.issue(7, "a@shop.test", "admin", Duration::from_secs(60));
        let claims = key.verify(&token);
        assert!(
            matches!(&claims, Ok(c) if c.sub == 7 && c.email == "a@shop.test" && c.is_admin()),
            "{claims:?}"
        );
        let exp = claims.map(|c| c.exp).unwrap_or(0);
        assert!(exp >= now_secs() + 59 && exp <= now_secs() + 60);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let key = key(1);
        let expired = key.issue(7, "a@shop.test", "customer", Duration::ZERO);
        assert_eq!(
            key.verify(&expired),
            Err(ApiError::Unauthorized("token expired".into()))
        );
        let old = key.sign(&Claims {
            sub: 7,
            email: "a@shop.test".into(),
            role: "customer".into(),
            exp: 1,
        });
        assert_eq!(
            key.verify(&old),
            Err(ApiError::Unauthorized("token expired".into()))
        );
    }

    #[test]
    fn bad_tokens_are_refused() {
        let invalid = Err(ApiError::Unauthorized("invalid token".into()));
        let token = key(1).issue(7, "a@shop.test", "customer", Duration::from_secs(60));
        // Another key's token.
        assert_eq!(key(2).verify(&token), invalid);
        // A changed payload keeps the signature of the old one.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD
            .encode(r#"{"sub":7,"email":"a@shop.test","role":"admin","exp":99999999999}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
        assert_eq!(key(1).verify(&forged), invalid);
        // alg none.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(key(1).verify(&none), invalid);
        for junk in ["", "a", "a.b", "a.b.c", "a.b.c.d", "...", "é.é.é"] {
            assert_eq!(key(1).verify(junk), invalid, "{junk}");
        }
    }

    #[test]
    fn keys_come_from_files_without_the_newline() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("token-key");
        std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").unwrap_or_default();
        let from_file = TokenKey::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let from_bytes = TokenKey::from_bytes(b"0123456789abcdef0123456789abcdef")
            .unwrap_or_else(|e| panic!("{e}"));
        let token = from_file.issue(1, "a@shop.test", "customer", Duration::from_secs(60));
        assert!(from_bytes.verify(&token).is_ok());
        assert!(TokenKey::from_bytes(b"short").is_err());
        assert!(TokenKey::from_file(&dir.path().join("missing")).is_err());
        assert_eq!(format!("{from_file:?}"), "TokenKey(..)");
    }

    #[tokio::test]
    async fn the_extractor_reads_the_bearer_token() {
        let key = Arc::new(key(1));
        let app = Router::new()
            .route("/", get(|AuthUser(c): AuthUser| async move { c.email }))
            .with_state(Arc::clone(&key));
        let token = key.issue(7, "a@shop.test", "customer", Duration::from_secs(60));
        let cases = [
            (Some(format!("Bearer {token}")), 200),
            (Some(format!("bearer {token}")), 200),
            (Some(token.clone()), 401),
            (Some(format!("Basic {token}")), 401),
            (Some("Bearer nope".into()), 401),
            (None, 401),
        ];
        for (header, status) in cases {
            let mut request = axum::http::Request::get("/");
            if let Some(header) = &header {
                request = request.header(AUTHORIZATION, header);
            }
            let request = request.body(Body::empty()).unwrap_or_default();
            let response = app
                .clone()
                .oneshot(request)
                .await
                .unwrap_or_else(|e| match e {});
            assert_eq!(response.status().as_u16(), status, "{header:?}");
        }
    }
}

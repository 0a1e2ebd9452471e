//! Password hashing with Argon2id (PHC strings), off the async threads and bounded in
//! concurrency: each hash takes ~19 MiB, and the container has 128 MiB.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use shop_common::ApiError;
use tokio::sync::Semaphore;

/// How many hashes run at once.
const CONCURRENT_HASHES: usize = 2;

/// Hashes and checks passwords.
#[derive(Debug)]
pub struct Passwords {
    params: Params,
    permits: Semaphore,
    /// A hash checked when the email is unknown, so that such a login costs the same
    /// time as a wrong password and does not tell which emails exist.
    dummy: String,
}

impl Passwords {
    /// Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).
    pub fn production() -> Result<Passwords, String> {
        Passwords::new(Params::default())
    }

    /// Argon2id with the smallest parameters: for tests only.
    pub fn fast_insecure() -> Result<Passwords, String> {
        let params = Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None)
            .map_err(|e| e.to_string())?;
        Passwords::new(params)
    }

    /// Argon2id with `params`.
    pub fn new(params: Params) -> Result<Passwords, String> {
        let dummy = hash_with(&params, "not a password of anyone")?;
        Ok(Passwords {
            params,
            permits: Semaphore::new(CONCURRENT_HASHES),
            dummy,
        })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self.permit().await?;
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))?
            .map_err(ApiError::Internal)
    }

    /// Whether `password` matches `phc`; with no `phc` (unknown user), checks a dummy
    /// hash and answers false.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, ApiError> {
        let _permit = self.permit().await?;
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.clone());
        let matches = tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
            Ok(hash) => Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok(),
            Err(error) => {
                tracing::error!(%error, "a stored password hash does not parse");
                false
            }
        })
        .await
        .map_err(|e| ApiError::Internal(format!("verifying task: {e}")))?;
        Ok(known && matches)
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        self.permits
            .acquire()
            .await
            .map_err(|_| ApiError::Unavailable("shutting down".into()))
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| format!("hashing a password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() -> Result<(), ApiError> {
        let passwords = Passwords::fast_insecure().map_err(ApiError::Internal)?;
        let phc = passwords.hash("correct horse".into()).await?;
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(
            passwords
                .verify("correct horse".into(), Some(phc.clone()))
                .await?
        );
        assert!(
            !passwords
                .verify("wrong horse".into(), Some(phc.clone()))
                .await?
        );
        assert!(!passwords.verify("correct horse".into(), None).await?);
        assert!(!passwords.verify("x".into(), Some("garbage".into())).await?);
        // Two hashes of one password differ (salted).
        assert_ne!(passwords.hash("correct horse".into()).await?, phc);
        Ok(())
    }
}

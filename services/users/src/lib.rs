//! The users service: registration, login, and the signed tokens every other service
//! checks.
//!
//! - `POST /register {email, password, name?}` -> 201 `{id, email}`; 409 when the email
//!   is taken; 400 for an email of the wrong shape or a password under 8 characters.
//! - `POST /login {email, password}` -> 200 `{token, expires_at}` (Unix seconds); 401
//!   with one message whether the email is unknown or the password wrong.
//! - `GET /me` with `Authorization: Bearer <token>` -> `{id, email, name, role}`.
//!
//! Role: `admin` for the emails in `ADMIN_EMAILS` (comma-separated, default
//! `admin@shop.test`), else `customer`. It is decided at login, so a change of the list
//! applies to the next token.

pub mod domain;
pub mod passwords;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use shop_common::rusqlite::{params, OptionalExtension};
use shop_common::{
    env_duration, env_or, with_observability, ApiError, ApiResult, AuthUser, Claims, Config, Db,
    DbError, Json, Metrics, TokenKey,
};

pub use domain::{Email, Password};
pub use passwords::Passwords;

/// The schema, in order: append, never edit.
pub const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_users.sql")];

/// The default of `ADMIN_EMAILS`.
pub const DEFAULT_ADMIN_EMAILS: &str = "admin@shop.test";

/// What the handlers share. Cloning shares it.
#[derive(Clone)]
pub struct AppState {
    /// The users database.
    pub db: Db,
    /// Signs tokens.
    pub key: Arc<TokenKey>,
    /// How long a token lasts.
    pub token_ttl: Duration,
    /// Lowercased emails that get the `admin` role.
    pub admin_emails: Arc<HashSet<String>>,
    /// Password hashing.
    pub passwords: Arc<Passwords>,
    /// This service's metrics.
    pub metrics: Arc<Metrics>,
}

impl FromRef<AppState> for Arc<TokenKey> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.key)
    }
}

impl AppState {
    /// A state of these parts; `admin_emails` is comma-separated.
    pub fn new(
        db: Db,
        key: TokenKey,
        token_ttl: Duration,
        admin_emails: &str,
        passwords: Passwords,
    ) -> AppState {
        let admin_emails = admin_emails
            .split(',')
            .map(|email| email.trim().to_lowercase())
            .filter(|email| !email.is_empty())
            .collect();
        AppState {
            db,
            key: Arc::new(key),
            token_ttl,
            admin_emails: Arc::new(admin_emails),
            passwords: Arc::new(passwords),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// The state of the running service: the database at `config.database_path`, the
    /// key in the file `TOKEN_KEY_FILE` (the Compose secret: the key is never taken from
    /// the environment itself), `TOKEN_TTL` (default 1h), `ADMIN_EMAILS`.
    pub fn from_env(config: &Config) -> Result<AppState, String> {
        let key_file = std::env::var_os("TOKEN_KEY_FILE")
            .filter(|v| !v.is_empty())
            .ok_or("TOKEN_KEY_FILE is required (the path of the token key secret)")?;
        let key = TokenKey::from_file(key_file.as_ref())?;
        let token_ttl = env_duration("TOKEN_TTL", Duration::from_secs(3600))?;
        if token_ttl < Duration::from_secs(1) {
            return Err("TOKEN_TTL must be at least 1s".into());
        }
        let admin_emails = env_or("ADMIN_EMAILS", DEFAULT_ADMIN_EMAILS);
        let db = Db::open(&config.database_path, MIGRATIONS)
            .map_err(|e| format!("database {}: {e}", config.database_path.display()))?;
        let passwords = Passwords::production()?;
        Ok(AppState::new(db, key, token_ttl, &admin_emails, passwords))
    }

    /// `admin` or `customer`.
    pub fn role_for(&self, email: &str) -> &'static str {
        if self.admin_emails.contains(email) {
            "admin"
        } else {
            "customer"
        }
    }
}

/// The service's router, with `/healthz`, `/readyz` and `/metrics`.
pub fn app(state: AppState) -> Router {
    let metrics = Arc::clone(&state.metrics);
    let db = state.db.clone();
    let router = Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/me", get(me))
        .with_state(state);
    with_observability(router, metrics, Arc::new(move || db.is_ready()))
}

/// `POST /register`.
#[derive(Debug, Deserialize)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The answer to `POST /register`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Registered {
    pub id: i64,
    pub email: String,
}

/// `POST /login`.
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// The answer to `POST /login`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LoggedIn {
    pub token: String,
    /// Unix seconds.
    pub expires_at: u64,
}

/// The answer to `GET /me`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub role: String,
}

async fn register(
    State(state): State<AppState>,
    Json(request): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<Registered>)> {
    let email = Email::parse(&request.email)?;
    let password = Password::parse(request.password)?;
    let name = domain::parse_name(request.name)?;
    let hash = state.passwords.hash(password.expose().to_string()).await?;
    let stored = email.as_str().to_string();
    let id = state
        .db
        .call(move |conn| {
            conn.execute(
                "INSERT INTO users (email, password_hash, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![stored, hash, name, now_secs() as i64],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
        .map_err(|error| match error {
            DbError::Constraint(_) => ApiError::Conflict("email already registered".into()),
            other => other.into(),
        })?;
    tracing::info!(user = id, "registered");
    state
        .metrics
        .add("users_registered_total", "Users registered.", 1);
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            id,
            email: email.as_str().to_string(),
        }),
    ))
}

async fn login(
    State(state): State<AppState>,
    Json(request): Json<LoginRequest>,
) -> ApiResult<Json<LoggedIn>> {
    let email = request.email.trim().to_lowercase();
    let lookup = email.clone();
    let user: Option<(i64, String)> = state
        .db
        .call(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, password_hash FROM users WHERE email = ?1",
                    [lookup],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?)
        })
        .await?;
    let (id, phc) = match user {
        Some((id, phc)) => (Some(id), Some(phc)),
        None => (None, None),
    };
    let matches = state.passwords.verify(request.password, phc).await?;
    let Some(id) = id.filter(|_| matches) else {
        state
            .metrics
            .add("users_login_failures_total", "Logins refused.", 1);
        return Err(ApiError::Unauthorized("invalid email or password".into()));
    };
    let claims = Claims {
        sub: id,
        role: state.role_for(&email).to_string(),
        email,
        exp: now_secs().saturating_add(state.token_ttl.as_secs()),
    };
    let token = state.key.sign(&claims);
    state
        .metrics
        .add("users_logins_total", "Logins accepted.", 1);
    Ok(Json(LoggedIn {
        token,
        expires_at: claims.exp,
    }))
}

async fn me(State(state): State<AppState>, AuthUser(claims): AuthUser) -> ApiResult<Json<Me>> {
    let id = claims.sub;
    let user: Option<(String, Option<String>)> = state
        .db
        .call(move |conn| {
            Ok(conn
                .query_row("SELECT email, name FROM users WHERE id = ?1", [id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?)
        })
        .await?;
    let (email, name) =
        user.ok_or_else(|| ApiError::Unauthorized("the token's user does not exist".into()))?;
    Ok(Json(Me {
        id,
        role: state.role_for(&email).to_string(),
        email,
        name,
    }))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

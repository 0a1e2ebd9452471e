//! One SQLite database per service, shared safely by its replicas (WAL on the volume).

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::error::ApiError;

/// How long a statement waits for another replica's write lock before failing as busy.
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// A database error. Into [`ApiError`]: `Busy` -> 503, `Constraint` -> 409, `NotFound`
/// -> 404, `Api` as it is, the rest -> 500.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database stayed locked by another writer past the busy timeout.
    #[error("database busy")]
    Busy,
    /// A UNIQUE, CHECK, FOREIGN KEY or NOT NULL constraint refused the write.
    #[error("constraint violated: {0}")]
    Constraint(String),
    /// A query expecting one row found none.
    #[error("not found")]
    NotFound,
    /// A domain answer from inside a [`Db::call`] closure (`Err(ApiError::...)?` works there).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Any other SQLite error.
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    /// The database could not be opened or migrated, or a worker thread failed.
    #[error("{0}")]
    Other(String),
}

impl From<rusqlite::Error> for DbError {
    fn from(error: rusqlite::Error) -> Self {
        match &error {
            rusqlite::Error::QueryReturnedNoRows => DbError::NotFound,
            rusqlite::Error::SqliteFailure(failure, message) => match failure.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => DbError::Busy,
                ErrorCode::ConstraintViolation => {
                    DbError::Constraint(message.clone().unwrap_or_else(|| failure.to_string()))
                }
                _ => DbError::Sqlite(error),
            },
            _ => DbError::Sqlite(error),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Busy => ApiError::Unavailable("database busy, try again".into()),
            DbError::Constraint(message) => ApiError::Conflict(message),
            DbError::NotFound => ApiError::NotFound("not found".into()),
            DbError::Api(error) => error,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A service's database: one connection behind a mutex, used from blocking threads.
/// Cloning shares the connection.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    migrations: usize,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("migrations", &self.migrations)
            .finish_non_exhaustive()
    }
}

/// WAL mode, foreign keys and the migrations, on a freshly opened connection.
fn prepare(conn: &mut Connection, path: &Path, migrations: &[&str]) -> Result<(), DbError> {
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
        return Err(DbError::Other(format!(
            "{}: journal_mode is {mode}, not wal",
            path.display()
        )));
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(conn, migrations)
}

impl Db {
    /// Opens (creating it and its folder if missing) the database at `path`, with
    /// `journal_mode=WAL`, `busy_timeout=5000` and `foreign_keys=ON`, and applies the
    /// `migrations` it has not applied yet.
    ///
    /// Migration `i` (0-based) moves `PRAGMA user_version` from `i` to `i + 1`; each
    /// takes one `BEGIN IMMEDIATE` transaction with its version check, so replicas starting
    /// together apply each migration once (the others wait on the lock, then see it done).
    /// Never edit a released migration: append a new one.
    pub fn open(path: &Path, migrations: &[&str]) -> Result<Db, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbError::Other(format!("creating {}: {e}", parent.display())))?;
        }
        let mut conn = Connection::open(path)
            .map_err(|e| DbError::Other(format!("opening {}: {e}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Switching to WAL while another replica opens the same file can answer `Busy`
        // at once, without waiting on the busy timeout: try again until it passes.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match prepare(&mut conn, path, migrations) {
                Err(DbError::Busy) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                result => break result?,
            }
        }
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            migrations: migrations.len(),
        })
    }

    /// Runs `f` with the connection on a blocking thread. Errors of `f` (a
    /// `rusqlite::Error` or an [`ApiError`], both through `?`) come back as they are.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic inside `f` rolled its transaction back on unwinding: the connection
            // is still sound.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Other(format!("database task failed: {e}")))?
    }

    /// Whether the database answers with every migration applied. A connection busy
    /// with another request counts as ready: it is working.
    pub fn is_ready(&self) -> bool {
        let conn = match self.conn.try_lock() {
            Ok(conn) => conn,
            Err(TryLockError::WouldBlock) => return true,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        };
        conn.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
            .map(|version| version >= self.migrations as i64)
            .unwrap_or(false)
    }
}

fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), DbError> {
    for (index, sql) in migrations.iter().enumerate() {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > index as i64 {
            continue; // applied, by this process earlier or by another replica
        }
        tx.execute_batch(sql)
            .map_err(|e| DbError::Other(format!("migration {}: {e}", index + 1)))?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(migration = index + 1, "applied database migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[&str] = &[
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);",
        "ALTER TABLE items ADD COLUMN quantity INTEGER NOT NULL DEFAULT 0 CHECK (quantity >= 0);",
    ];

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
    }

    fn version(db: &Db) -> i64 {
        let conn = db.conn.lock().unwrap_or_else(PoisonError::into_inner);
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap_or(-1)
    }

    #[tokio::test]
    async fn migrations_apply_once_and_are_idempotent() -> Result<(), DbError> {
        let dir = temp();
        let path = dir.path().join("sub").join("test.db");
        let db = Db::open(&path, &MIGRATIONS[..1])?;
        assert_eq!(version(&db), 1);
        assert!(db.is_ready());
        db.call(|c| Ok(c.execute("INSERT INTO items (name) VALUES ('tea')", [])?))
            .await?;
        drop(db);
        // Reopening with one more migration applies only the new one; again, nothing.
        let db = Db::open(&path, MIGRATIONS)?;
        assert_eq!(version(&db), 2);
        let db = Db::open(&path, MIGRATIONS)?;
        assert_eq!(version(&db), 2);
        assert!(db.is_ready());
        let (count, quantity): (i64, i64) = db
            .call(|c| {
                Ok(
                    c.query_row("SELECT count(*), sum(quantity) FROM items", [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?,
                )
            })
            .await?;
        assert_eq!((count, quantity), (1, 0));
        let mode: String = db
            .call(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .await?;
        assert_eq!(mode, "wal");
        let fk: i64 = db
            .call(|c| Ok(c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?))
            .await?;
        assert_eq!(fk, 1);
        Ok(())
    }

    #[test]
    fn replicas_opening_at_once_migrate_once() {
        let dir = temp();
        let path = dir.path().join("race.db");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Db::open(&path, MIGRATIONS).map(|db| version(&db)))
            })
            .collect();
        for thread in threads {
            let result = thread.join().unwrap_or_else(|_| panic!("thread panicked"));
            assert!(matches!(result, Ok(2)), "{result:?}");
        }
    }

    #[test]
    fn a_bad_migration_fails_and_leaves_the_version() {
        let dir = temp();
        let path = dir.path().join("bad.db");
        let result = Db::open(&path, &[MIGRATIONS[0], "THIS IS NOT SQL"]);
        assert!(matches!(result, Err(DbError::Other(ref m)) if m.starts_with("migration 2")));
        let db = Db::open(&path, &MIGRATIONS[..1]);
        assert!(matches!(db.map(|db| version(&db)), Ok(1)));
    }

    #[tokio::test]
    async fn errors_map_to_api_errors() -> Result<(), DbError> {
        let dir = temp();
        let db = Db::open(&dir.path().join("e.db"), MIGRATIONS)?;
        let insert = || db.call(|c| Ok(c.execute("INSERT INTO items (name) VALUES ('tea')", [])?));
        insert().await?;
        let duplicate = insert().await;
        assert!(
            matches!(duplicate, Err(DbError::Constraint(_))),
            "{duplicate:?}"
        );
        let api = ApiError::from(duplicate.err().unwrap_or(DbError::Busy));
        assert!(matches!(api, ApiError::Conflict(_)));
        let missing = db
            .call(|c| {
                Ok(
                    c.query_row("SELECT id FROM items WHERE name = 'x'", [], |r| {
                        r.get::<_, i64>(0)
                    })?,
                )
            })
            .await;
        assert!(matches!(missing, Err(DbError::NotFound)));
        let domain = db
            .call(|_| -> Result<(), DbError> { Err(ApiError::Forbidden("no".into()))? })
            .await;
        assert_eq!(
            domain.map_err(ApiError::from),
            Err(ApiError::Forbidden("no".into()))
        );
        assert!(matches!(
            ApiError::from(DbError::Busy),
            ApiError::Unavailable(_)
        ));
        Ok(())
    }
}

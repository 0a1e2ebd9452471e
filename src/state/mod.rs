//! The embedded state store: desired state that is not in the manifests (a `scale`),
//! shared by every msctl command and, later, the control plane.
//!
//! One SQLite database in msctl's state directory; every change is one transaction, so
//! two commands never see half a change. Actual state is never stored here: it is read
//! from the engine by labels every time (DESIGN.md, invariant 1).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot open the state store `{path}`: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create msctl's state directory `{path}`: {source}")]
    Directory {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state store query failed: {0}")]
    Query(#[from] rusqlite::Error),
}

/// msctl's own directory: `MSCTL_STATE_DIR`, else `$XDG_STATE_HOME/msctl`, else
/// `~/.local/state/msctl`, else a directory under the system's temporary directory.
pub fn state_dir(env: &BTreeMap<String, String>) -> PathBuf {
    let non_empty = |key: &str| env.get(key).filter(|v| !v.is_empty()).map(PathBuf::from);
    non_empty("MSCTL_STATE_DIR")
        .or_else(|| non_empty("XDG_STATE_HOME").map(|d| d.join("msctl")))
        .or_else(|| non_empty("HOME").map(|h| h.join(".local/state/msctl")))
        .unwrap_or_else(|| std::env::temp_dir().join("msctl-state"))
}

/// A replica count set by `msctl scale`, remembered with the manifest's count at the time
/// so that a later change of the manifest's count wins over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleOverride {
    pub replicas: u32,
    pub manifest_replicas: u32,
}

pub struct StateStore {
    connection: Connection,
}

impl StateStore {
    pub fn open(dir: &Path) -> Result<StateStore, StateError> {
        std::fs::create_dir_all(dir).map_err(|source| StateError::Directory {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join("state.db");
        let connection = Connection::open(&path).map_err(|source| StateError::Open {
            path: path.clone(),
            source,
        })?;
        let open_error = |source| StateError::Open {
            path: path.clone(),
            source,
        };
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(open_error)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE IF NOT EXISTS scale (
                     project TEXT NOT NULL,
                     service TEXT NOT NULL,
                     replicas INTEGER NOT NULL,
                     manifest_replicas INTEGER NOT NULL,
                     PRIMARY KEY (project, service)
                 );",
            )
            .map_err(open_error)?;
        Ok(StateStore { connection })
    }

    /// Record counts set by `scale`, all or none.
    pub fn set_scale(
        &mut self,
        project: &str,
        counts: &BTreeMap<String, ScaleOverride>,
    ) -> Result<(), StateError> {
        let tx = self.connection.transaction()?;
        for (service, count) in counts {
            tx.execute(
                "INSERT INTO scale (project, service, replicas, manifest_replicas)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (project, service) DO UPDATE
                 SET replicas = excluded.replicas, manifest_replicas = excluded.manifest_replicas",
                params![project, service, count.replicas, count.manifest_replicas],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn scale_override(
        &self,
        project: &str,
        service: &str,
    ) -> Result<Option<ScaleOverride>, StateError> {
        Ok(self
            .connection
            .query_row(
                "SELECT replicas, manifest_replicas FROM scale WHERE project = ?1 AND service = ?2",
                params![project, service],
                |row| {
                    Ok(ScaleOverride {
                        replicas: row.get(0)?,
                        manifest_replicas: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// The counts to run: the override where the manifest's count has not changed since
    /// `scale` set it; overrides made stale by a manifest change are forgotten.
    pub fn effective_scale(
        &mut self,
        project: &str,
        manifest: &BTreeMap<String, u32>,
    ) -> Result<BTreeMap<String, u32>, StateError> {
        let tx = self.connection.transaction()?;
        let mut out = BTreeMap::new();
        let rows: Vec<(String, u32, u32)> = {
            let mut stmt = tx.prepare(
                "SELECT service, replicas, manifest_replicas FROM scale WHERE project = ?1",
            )?;
            let rows = stmt.query_map(params![project], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        for (service, replicas, manifest_replicas) in rows {
            match manifest.get(&service) {
                Some(current) if *current == manifest_replicas => {
                    out.insert(service, replicas);
                }
                _ => {
                    tx.execute(
                        "DELETE FROM scale WHERE project = ?1 AND service = ?2",
                        params![project, service],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Forget every override of the project (`up --reset-scale`, `down`).
    pub fn reset_scale(&mut self, project: &str) -> Result<(), StateError> {
        self.connection
            .execute("DELETE FROM scale WHERE project = ?1", params![project])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, u32, u32)]) -> BTreeMap<String, ScaleOverride> {
        pairs
            .iter()
            .map(|(s, r, m)| {
                (
                    s.to_string(),
                    ScaleOverride {
                        replicas: *r,
                        manifest_replicas: *m,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn scale_persists_until_the_manifest_count_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("open");
        store
            .set_scale("shop", &counts(&[("orders", 3, 1), ("users", 2, 1)]))
            .expect("set");
        // Reopening finds the same state.
        drop(store);
        let mut store = StateStore::open(dir.path()).expect("reopen");
        let manifest: BTreeMap<String, u32> = [("orders".to_string(), 1), ("users".to_string(), 4)]
            .into_iter()
            .collect();
        let effective = store.effective_scale("shop", &manifest).expect("effective");
        assert_eq!(effective.get("orders"), Some(&3));
        // users' manifest count changed from 1 to 4: the manifest wins and the override goes.
        assert_eq!(effective.get("users"), None);
        assert_eq!(store.scale_override("shop", "users").expect("query"), None);
        // Another project is separate.
        assert!(store
            .effective_scale("other", &manifest)
            .expect("other")
            .is_empty());
        store.reset_scale("shop").expect("reset");
        assert!(store
            .effective_scale("shop", &manifest)
            .expect("after reset")
            .is_empty());
    }
}

//! The embedded state store: desired state that is not in the manifests (a `scale`),
//! shared by every msctl command and the control plane: what `up` last asked for, the
//! event log, and which services the control plane is backing off.
//!
//! One SQLite database in msctl's state directory; every change is one transaction, so
//! two commands never see half a change. Actual state is never stored here: it is read
//! from the engine by labels every time (DESIGN.md, invariant 1).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

mod error;
pub use error::StateError;

/// A replica count set by `msctl scale`, remembered with the manifest's count at the time
/// so that a later change of the manifest's count wins over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
                 );
                 CREATE TABLE IF NOT EXISTS desired (
                     project TEXT PRIMARY KEY,
                     working_dir TEXT NOT NULL,
                     spec TEXT NOT NULL,
                     self_heal INTEGER NOT NULL,
                     updated_at_ms INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS events (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     at_ms INTEGER NOT NULL,
                     project TEXT NOT NULL,
                     service TEXT NOT NULL,
                     replica TEXT NOT NULL,
                     kind TEXT NOT NULL,
                     message TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS events_by_project ON events (project, id);
                 CREATE TABLE IF NOT EXISTS backoff (
                     project TEXT NOT NULL,
                     service TEXT NOT NULL,
                     failures INTEGER NOT NULL,
                     next_attempt_ms INTEGER NOT NULL,
                     reason TEXT NOT NULL,
                     PRIMARY KEY (project, service)
                 );
                 CREATE TABLE IF NOT EXISTS pulls (
                     image TEXT PRIMARY KEY,
                     pulled_at_ms INTEGER NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS held (
                     project TEXT NOT NULL,
                     service TEXT NOT NULL,
                     how TEXT NOT NULL,
                     PRIMARY KEY (project, service)
                 );
                 CREATE TABLE IF NOT EXISTS config_files (
                     project TEXT PRIMARY KEY,
                     files TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS rollouts (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     project TEXT NOT NULL,
                     service TEXT NOT NULL,
                     record TEXT NOT NULL
                 );",
            )
            .map_err(open_error)?;
        Ok(StateStore { connection })
    }

    /// Records that `image` (a reference, as a manifest names it) was pulled at `at_ms`:
    /// the `daily`, `weekly` and `every_` pull policies count from it.
    pub fn record_pull(&mut self, image: &str, at_ms: i64) -> Result<(), StateError> {
        self.connection.execute(
            "INSERT INTO pulls (image, pulled_at_ms) VALUES (?1, ?2)
             ON CONFLICT (image) DO UPDATE SET pulled_at_ms = excluded.pulled_at_ms",
            params![image, at_ms],
        )?;
        Ok(())
    }

    /// When `image` was last pulled by msctl, in ms since the epoch.
    pub fn last_pull(&self, image: &str) -> Result<Option<i64>, StateError> {
        Ok(self
            .connection
            .query_row(
                "SELECT pulled_at_ms FROM pulls WHERE image = ?1",
                params![image],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Keeps a rollout of `project` for `msctl history`; returns its number.
    pub fn record_rollout(
        &mut self,
        project: &str,
        record: &crate::rollout::record::Record,
    ) -> Result<i64, StateError> {
        let json = serde_json::to_string(record)
            .map_err(|e| StateError::Corrupt(format!("rollout of `{}`: {e}", record.service)))?;
        self.connection.execute(
            "INSERT INTO rollouts (project, service, record) VALUES (?1, ?2, ?3)",
            params![project, record.service, json],
        )?;
        Ok(self.connection.last_insert_rowid())
    }

    /// The rollouts of `service` in `project`, oldest first, with their numbers.
    pub fn rollouts(
        &self,
        project: &str,
        service: &str,
    ) -> Result<Vec<(i64, crate::rollout::record::Record)>, StateError> {
        let mut stmt = self.connection.prepare(
            "SELECT id, record FROM rollouts WHERE project = ?1 AND service = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![project, service], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row?;
            let mut record: crate::rollout::record::Record = serde_json::from_str(&json)
                .map_err(|e| StateError::Corrupt(format!("rollout {id} of `{service}`: {e}")))?;
            // A service's name is its key in the project, not a field of its JSON.
            record.to_config.name = record.service.clone();
            if let Some(from) = record.from_config.as_mut() {
                from.name = record.service.clone();
            }
            out.push((id, record));
        }
        Ok(out)
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

    /// Every override of the project as recorded, stale ones included.
    pub fn scale_overrides(
        &self,
        project: &str,
    ) -> Result<BTreeMap<String, ScaleOverride>, StateError> {
        let mut stmt = self
            .connection
            .prepare("SELECT service, replicas, manifest_replicas FROM scale WHERE project = ?1")?;
        let rows = stmt.query_map(params![project], |row| {
            Ok((
                row.get::<_, String>(0)?,
                ScaleOverride {
                    replicas: row.get(1)?,
                    manifest_replicas: row.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forget every override of the project (`up --reset-scale`, `down`).
    pub fn reset_scale(&mut self, project: &str) -> Result<(), StateError> {
        self.connection
            .execute("DELETE FROM scale WHERE project = ?1", params![project])?;
        Ok(())
    }
}

/// What `up` last asked for a project: the resolved manifest, and whether the control
/// plane keeps it healthy.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub project: crate::manifest::model::Project,
    pub self_heal: bool,
    pub updated_at_ms: i64,
}

/// One thing that happened to a project, as `msctl events` and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub project: String,
    /// Empty for an event of the whole project.
    pub service: String,
    /// The replica's container name, or empty.
    pub replica: String,
    /// `started`, `ready`, `unhealthy`, `died`, `replaced`, `scaled`, `backoff`, ...
    pub kind: String,
    pub message: String,
}

impl StoredEvent {
    /// The event as a log line (the log adds the time): `<project> <service> <kind>: <message>`.
    pub fn log_line(&self) -> String {
        let mut whom = self.project.clone();
        if !self.service.is_empty() {
            whom.push(' ');
            whom.push_str(&self.service);
        }
        format!("{whom} {}: {}", self.kind, self.message)
    }
}

/// How many events are kept per project; older ones are dropped.
pub const EVENTS_KEPT: i64 = 2000;

impl StateStore {
    /// Keep `project` as the desired state of its name (one transaction).
    pub fn save_desired(
        &mut self,
        project: &crate::manifest::model::Project,
        self_heal: bool,
        now_ms: i64,
    ) -> Result<(), StateError> {
        let spec = serde_json::to_string(project).map_err(|e| {
            StateError::Corrupt(format!("cannot encode project `{}`: {e}", project.name))
        })?;
        self.connection.execute(
            "INSERT INTO desired (project, working_dir, spec, self_heal, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (project) DO UPDATE
             SET working_dir = excluded.working_dir, spec = excluded.spec,
                 self_heal = excluded.self_heal, updated_at_ms = excluded.updated_at_ms",
            params![
                project.name,
                project.working_dir.display().to_string(),
                spec,
                self_heal,
                now_ms
            ],
        )?;
        Ok(())
    }

    /// The desired state of `project`, if `up` recorded one.
    pub fn desired(&self, project: &str) -> Result<Option<Desired>, StateError> {
        let row: Option<(String, String, bool, i64)> = self
            .connection
            .query_row(
                "SELECT working_dir, spec, self_heal, updated_at_ms FROM desired WHERE project = ?1",
                params![project],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?;
        row.map(|(dir, spec, self_heal, updated_at_ms)| {
            let project = crate::manifest::model::Project::from_json(&spec, PathBuf::from(dir))
                .map_err(|e| StateError::Corrupt(format!("desired state of `{project}`: {e}")))?;
            Ok(Desired {
                project,
                self_heal,
                updated_at_ms,
            })
        })
        .transpose()
    }

    /// Records that `services` of `project` were stopped on purpose (`how`: `stopped`,
    /// `killed`): the control plane leaves them as they are until `start` or `up`.
    pub fn hold(
        &mut self,
        project: &str,
        services: &[String],
        how: &str,
    ) -> Result<(), StateError> {
        let tx = self.connection.transaction()?;
        for service in services {
            tx.execute(
                "INSERT INTO held (project, service, how) VALUES (?1, ?2, ?3)
                 ON CONFLICT (project, service) DO UPDATE SET how = excluded.how",
                params![project, service, how],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Lets the control plane keep `services` of `project` again (`start`, `up`).
    pub fn release(&mut self, project: &str, services: &[String]) -> Result<(), StateError> {
        let tx = self.connection.transaction()?;
        for service in services {
            tx.execute(
                "DELETE FROM held WHERE project = ?1 AND service = ?2",
                params![project, service],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The services of `project` stopped on purpose, with how.
    pub fn held(&self, project: &str) -> Result<BTreeMap<String, String>, StateError> {
        let mut stmt = self
            .connection
            .prepare("SELECT service, how FROM held WHERE project = ?1")?;
        let rows = stmt.query_map(params![project], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces what is held of `project` with `held` (a control plane handed a project).
    pub fn set_held(
        &mut self,
        project: &str,
        held: &BTreeMap<String, String>,
    ) -> Result<(), StateError> {
        let tx = self.connection.transaction()?;
        tx.execute("DELETE FROM held WHERE project = ?1", params![project])?;
        for (service, how) in held {
            tx.execute(
                "INSERT INTO held (project, service, how) VALUES (?1, ?2, ?3)",
                params![project, service, how],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Keeps the manifest files `project` was last brought up from (`msctl ls` shows them).
    pub fn save_config_files(
        &mut self,
        project: &str,
        files: &[PathBuf],
    ) -> Result<(), StateError> {
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let files = serde_json::to_string(&files).map_err(|e| {
            StateError::Corrupt(format!("cannot encode the files of `{project}`: {e}"))
        })?;
        self.connection.execute(
            "INSERT INTO config_files (project, files) VALUES (?1, ?2)
             ON CONFLICT (project) DO UPDATE SET files = excluded.files",
            params![project, files],
        )?;
        Ok(())
    }

    /// The manifest files `project` was last brought up from; empty when unknown.
    pub fn config_files(&self, project: &str) -> Result<Vec<String>, StateError> {
        let files: Option<String> = self
            .connection
            .query_row(
                "SELECT files FROM config_files WHERE project = ?1",
                params![project],
                |row| row.get(0),
            )
            .optional()?;
        match files {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StateError::Corrupt(format!("config files of `{project}`: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    /// The names of every project with a desired state.
    pub fn desired_projects(&self) -> Result<Vec<String>, StateError> {
        let mut stmt = self
            .connection
            .prepare("SELECT project FROM desired ORDER BY project")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Turn the control plane's care for `project` on or off; false when it has no
    /// desired state.
    pub fn set_self_heal(&mut self, project: &str, on: bool) -> Result<bool, StateError> {
        let changed = self.connection.execute(
            "UPDATE desired SET self_heal = ?2 WHERE project = ?1",
            params![project, on],
        )?;
        Ok(changed > 0)
    }

    /// The names of the projects the control plane keeps healthy (self-heal on).
    pub fn self_healing_projects(&self) -> Result<Vec<String>, StateError> {
        let mut stmt = self
            .connection
            .prepare("SELECT project FROM desired WHERE self_heal ORDER BY project")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forget the desired state, the events and the backoff of `project` (`down`).
    pub fn forget_project(&mut self, project: &str) -> Result<(), StateError> {
        let tx = self.connection.transaction()?;
        tx.execute("DELETE FROM desired WHERE project = ?1", params![project])?;
        tx.execute("DELETE FROM events WHERE project = ?1", params![project])?;
        tx.execute("DELETE FROM backoff WHERE project = ?1", params![project])?;
        tx.execute("DELETE FROM rollouts WHERE project = ?1", params![project])?;
        tx.execute(
            "DELETE FROM config_files WHERE project = ?1",
            params![project],
        )?;
        tx.execute("DELETE FROM held WHERE project = ?1", params![project])?;
        tx.commit()?;
        Ok(())
    }

    /// Record an event, keeping the newest [`EVENTS_KEPT`] of its project.
    pub fn record_event(&mut self, event: &StoredEvent) -> Result<i64, StateError> {
        let tx = self.connection.transaction()?;
        tx.execute(
            "INSERT INTO events (at_ms, project, service, replica, kind, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                event.at_ms,
                event.project,
                event.service,
                event.replica,
                event.kind,
                event.message
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "DELETE FROM events WHERE project = ?1 AND id <= ?2 - ?3",
            params![event.project, id, EVENTS_KEPT],
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Events after `after_id` (0: from the oldest kept), oldest first, of one project
    /// or of all.
    pub fn events(
        &self,
        project: Option<&str>,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StateError> {
        let mut stmt = self.connection.prepare(
            "SELECT id, at_ms, project, service, replica, kind, message FROM events
             WHERE id > ?1 AND (?2 IS NULL OR project = ?2)
             ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after_id, project, limit], |row| {
            Ok(StoredEvent {
                id: row.get(0)?,
                at_ms: row.get(1)?,
                project: row.get(2)?,
                service: row.get(3)?,
                replica: row.get(4)?,
                kind: row.get(5)?,
                message: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// A service the control plane holds back after its replicas kept failing, as `ps` and
/// the API show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceBackoff {
    /// Failures in a row.
    pub failures: u32,
    /// When the control plane tries again, in milliseconds since the Unix epoch.
    pub next_attempt_ms: i64,
    /// Why: the last failure, e.g. `replica `shop-web-1` exited with code 3`.
    pub reason: String,
}

impl StateStore {
    /// Record that `service` is backing off (replacing what was recorded).
    pub fn set_backoff(
        &mut self,
        project: &str,
        service: &str,
        backoff: &ServiceBackoff,
    ) -> Result<(), StateError> {
        self.connection.execute(
            "INSERT INTO backoff (project, service, failures, next_attempt_ms, reason)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (project, service) DO UPDATE
             SET failures = excluded.failures, next_attempt_ms = excluded.next_attempt_ms,
                 reason = excluded.reason",
            params![
                project,
                service,
                backoff.failures,
                backoff.next_attempt_ms,
                backoff.reason
            ],
        )?;
        Ok(())
    }

    /// Forget the backoff of one service, or of every service of `project` (`None`).
    pub fn clear_backoff(
        &mut self,
        project: &str,
        service: Option<&str>,
    ) -> Result<(), StateError> {
        self.connection.execute(
            "DELETE FROM backoff WHERE project = ?1 AND (?2 IS NULL OR service = ?2)",
            params![project, service],
        )?;
        Ok(())
    }

    /// The services of `project` that are backing off, by name.
    pub fn backoffs(&self, project: &str) -> Result<BTreeMap<String, ServiceBackoff>, StateError> {
        let mut stmt = self.connection.prepare(
            "SELECT service, failures, next_attempt_ms, reason FROM backoff WHERE project = ?1",
        )?;
        let rows = stmt.query_map(params![project], |row| {
            Ok((
                row.get(0)?,
                ServiceBackoff {
                    failures: row.get(1)?,
                    next_attempt_ms: row.get(2)?,
                    reason: row.get(3)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
    fn the_last_pull_of_an_image_is_kept_across_opens_and_replaced_by_a_newer_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("open");
        assert_eq!(store.last_pull("redis:7").expect("read"), None);
        store.record_pull("redis:7", 1_000).expect("record");
        store.record_pull("redis:7", 2_000).expect("record again");
        store.record_pull("nginx:1", 5).expect("record another");
        drop(store);
        let store = StateStore::open(dir.path()).expect("reopen");
        assert_eq!(store.last_pull("redis:7").expect("read"), Some(2_000));
        assert_eq!(store.last_pull("nginx:1").expect("read"), Some(5));
    }

    #[test]
    fn held_services_are_kept_until_released_or_replaced_or_forgotten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("open");
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        store
            .hold("shop", &names(&["orders", "users"]), "stopped")
            .expect("hold");
        store
            .hold("shop", &names(&["orders"]), "killed")
            .expect("again");
        store
            .hold("other", &names(&["web"]), "stopped")
            .expect("other");
        drop(store);
        let mut store = StateStore::open(dir.path()).expect("reopen");
        let held = store.held("shop").expect("read");
        assert_eq!(
            held.iter()
                .map(|(s, h)| (s.as_str(), h.as_str()))
                .collect::<Vec<_>>(),
            [("orders", "killed"), ("users", "stopped")]
        );
        store.release("shop", &names(&["users"])).expect("release");
        assert_eq!(store.held("shop").expect("read").len(), 1);
        store
            .set_held(
                "shop",
                &BTreeMap::from([("web".to_string(), "stopped".to_string())]),
            )
            .expect("set");
        assert_eq!(
            store.held("shop").expect("read").keys().collect::<Vec<_>>(),
            ["web"]
        );
        store.forget_project("shop").expect("forget");
        assert!(store.held("shop").expect("read").is_empty());
        assert_eq!(store.held("other").expect("read").len(), 1);
    }

    #[test]
    fn config_files_are_kept_replaced_and_forgotten_with_the_project() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("open");
        assert!(store.config_files("shop").expect("read").is_empty());
        let files = [PathBuf::from("/srv/shop/compose.yaml")];
        store.save_config_files("shop", &files).expect("save");
        let more = [
            PathBuf::from("/srv/shop/compose.yaml"),
            PathBuf::from("/srv/shop/compose.prod.yaml"),
        ];
        store.save_config_files("shop", &more).expect("replace");
        drop(store);
        let mut store = StateStore::open(dir.path()).expect("reopen");
        assert_eq!(
            store.config_files("shop").expect("read"),
            ["/srv/shop/compose.yaml", "/srv/shop/compose.prod.yaml"]
        );
        store.forget_project("shop").expect("forget");
        assert!(store.config_files("shop").expect("read").is_empty());
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

    #[test]
    fn desired_state_and_events_persist_per_project() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = StateStore::open(dir.path()).expect("open");
        let project = crate::manifest::model::Project {
            registry: None,
            target: Default::default(),
            name: "shop".to_string(),
            working_dir: PathBuf::from("/srv/shop"),
            services: BTreeMap::from([(
                "web".to_string(),
                crate::manifest::model::Service {
                    name: "web".to_string(),
                    image: Some("web:1".to_string()),
                    ..Default::default()
                },
            )]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        };
        store.save_desired(&project, true, 10).expect("save");
        drop(store);
        let mut store = StateStore::open(dir.path()).expect("reopen");
        let desired = store.desired("shop").expect("read").expect("desired");
        assert_eq!(desired.project, project);
        assert!(desired.self_heal);
        assert!(store.set_self_heal("shop", false).expect("off"));
        assert!(
            !store
                .desired("shop")
                .expect("read")
                .expect("desired")
                .self_heal
        );
        assert!(!store.set_self_heal("other", false).expect("none"));
        assert_eq!(store.desired_projects().expect("list"), ["shop"]);

        for i in 0..(EVENTS_KEPT + 5) {
            store
                .record_event(&StoredEvent {
                    id: 0,
                    at_ms: i,
                    project: "shop".to_string(),
                    service: "web".to_string(),
                    replica: "shop-web-1".to_string(),
                    kind: "died".to_string(),
                    message: format!("exit {i}"),
                })
                .expect("record");
        }
        let all = store.events(Some("shop"), 0, 10_000).expect("events");
        assert_eq!(all.len() as i64, EVENTS_KEPT);
        assert_eq!(
            all.last().expect("last").message,
            format!("exit {}", EVENTS_KEPT + 4)
        );
        let newer = store
            .events(None, all[all.len() - 2].id, 10)
            .expect("after");
        assert_eq!(newer.len(), 1);

        assert_eq!(
            store.self_healing_projects().expect("list"),
            Vec::<String>::new()
        );
        assert!(store.set_self_heal("shop", true).expect("on"));
        assert_eq!(store.self_healing_projects().expect("list"), ["shop"]);
        let backoff = ServiceBackoff {
            failures: 3,
            next_attempt_ms: 99,
            reason: "replica `shop-web-1` exited with code 3".to_string(),
        };
        store.set_backoff("shop", "web", &backoff).expect("backoff");
        store.set_backoff("shop", "db", &backoff).expect("backoff");
        store.clear_backoff("shop", Some("db")).expect("clear one");
        assert_eq!(
            store.backoffs("shop").expect("backoffs"),
            BTreeMap::from([("web".to_string(), backoff)])
        );

        store.forget_project("shop").expect("forget");
        assert!(store.backoffs("shop").expect("backoffs").is_empty());
        assert_eq!(store.desired("shop").expect("read"), None);
        assert!(store
            .events(Some("shop"), 0, 10)
            .expect("events")
            .is_empty());
    }
}

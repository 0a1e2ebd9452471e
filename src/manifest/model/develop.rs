//! A service's `develop` section: what `msctl watch` does when files change.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::values::is_false;

/// `develop`: how `msctl watch` follows a service's sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Develop {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<WatchRule>,
}

/// One `develop.watch` entry: files under `path` (less `ignore`, and only `include`
/// when it is given) trigger `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchRule {
    pub action: WatchAction,
    /// Absolute path on the host: a file or a directory.
    pub path: PathBuf,
    /// Where `path` goes in the container (absolute), for the sync actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Patterns (`.dockerignore` syntax, relative to `path`) whose files are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// When given, only files matching one of these patterns count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Sync every file under `path` when `watch` starts, not only the changed ones.
    #[serde(default, skip_serializing_if = "is_false")]
    pub initial_sync: bool,
}

/// What `watch` does about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WatchAction {
    /// Build the image again and roll the service per `update_config`.
    #[serde(rename = "rebuild")]
    Rebuild,
    /// Copy the changed files into every running replica.
    #[serde(rename = "sync")]
    Sync,
    /// Copy the changed files, then restart the replicas.
    #[serde(rename = "sync+restart")]
    SyncRestart,
    /// Restart the replicas.
    #[serde(rename = "restart")]
    Restart,
}

impl WatchAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            WatchAction::Rebuild => "rebuild",
            WatchAction::Sync => "sync",
            WatchAction::SyncRestart => "sync+restart",
            WatchAction::Restart => "restart",
        }
    }

    /// Whether the action copies files into the replicas (and so needs a `target`).
    pub fn syncs(&self) -> bool {
        matches!(self, WatchAction::Sync | WatchAction::SyncRestart)
    }
}

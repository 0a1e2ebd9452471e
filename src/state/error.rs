//! What can go wrong with the state store, and what the operator can do about it.

use std::path::PathBuf;

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
    #[error("state store query failed: {source}{}", recovery(source))]
    Query {
        #[from]
        source: rusqlite::Error,
    },
    #[error("the state store holds something msctl cannot read: {0}")]
    Corrupt(String),
}

impl StateError {
    /// What to do about it, when something can be done.
    pub fn hint(&self) -> Option<String> {
        let StateError::Open { path, .. } = self else {
            return match self {
                StateError::Directory { path, .. } => Some(format!(
                    "msctl keeps its state in `{}`: make it writable, or set MSCTL_STATE_DIR to a directory that is",
                    path.display()
                )),
                _ => None,
            };
        };
        match self.code() {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => Some(format!(
                "the file is damaged: move it aside (`mv {0} {0}.damaged`) and msctl starts a new one; running containers are untouched (msctl finds them by label), the `scale` counts, holds, rollout history and events are lost, and the next `msctl up` records the desired state again",
                path.display()
            )),
            Some(rusqlite::ErrorCode::DiskFull) => Some(format!(
                "the disk holding `{}` is full: free space there (or set MSCTL_STATE_DIR elsewhere); nothing was changed",
                path.display()
            )),
            Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied | rusqlite::ErrorCode::CannotOpen) => Some(format!(
                "msctl must read and write `{}`: check its permissions, or set MSCTL_STATE_DIR to a directory it may use",
                path.display()
            )),
            _ => None,
        }
    }

    fn code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            StateError::Open { source, .. } | StateError::Query { source } => {
                source.sqlite_error_code()
            }
            _ => None,
        }
    }
}

/// What a failed query means for the operator, after its message: said here because a
/// query's error does not know the store's path (the open error does, with a hint).
fn recovery(error: &rusqlite::Error) -> &'static str {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => {
            " (the disk holding msctl's state directory is full: free space there; nothing was changed)"
        }
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
            " (the state store `state.db` in msctl's state directory is damaged: move it aside and msctl starts a new one; running containers are untouched)"
        }
        _ => "",
    }
}

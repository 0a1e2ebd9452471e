//! Where msctl keeps its own files (the state store, secret and config files it writes
//! for the engine): a leaf module, so the engine and the store find the same directory
//! without importing each other.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// msctl's own directory: `MSCTL_STATE_DIR`, else `$XDG_STATE_HOME/msctl`, else
/// `~/.local/state/msctl`, else a directory under the system's temporary directory.
pub fn state_dir(env: &BTreeMap<String, String>) -> PathBuf {
    let non_empty = |key: &str| env.get(key).filter(|v| !v.is_empty()).map(PathBuf::from);
    non_empty("MSCTL_STATE_DIR")
        .or_else(|| non_empty("XDG_STATE_HOME").map(|d| d.join("msctl")))
        .or_else(|| non_empty("HOME").map(|h| h.join(".local/state/msctl")))
        .unwrap_or_else(|| std::env::temp_dir().join("msctl-state"))
}

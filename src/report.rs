//! What a long operation (converge, a rollout, a build, a pull) reports as it goes, and
//! how Ctrl-C stops it: the vocabulary shared by the operations and by the views that
//! print them (`crate::output::progress`), so that neither imports the other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Set by Ctrl-C: no new action starts once it is set.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What happens, for the progress view.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An action begins: its plan line.
    Started { resource: String, line: String },
    /// An action finished.
    Done { resource: String, line: String },
    /// A replica is ready, this long after waiting began.
    Ready { replica: String, after: Duration },
    /// A ready replica took its service's names (`crate::serving`): `replica` is the
    /// container's name.
    Serving { service: String, replica: String },
    /// Anything worth a line: warnings of the plan, waiting for a dependency.
    Note(String),
}

pub trait Reporter: Send + Sync {
    fn event(&self, event: Event);
}

/// Where a long-running task (the control plane's) writes its lines: stderr for
/// `msctl serve`, the log file in the background.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

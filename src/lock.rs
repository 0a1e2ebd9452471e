//! One msctl command at a time per project: an exclusive lock file in msctl's state
//! directory. A second command waits, saying why, and gives up clearly after a timeout.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot create the lock file `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another msctl command is still working on project `{project}` after {waited:?}")]
    Timeout { project: String, waited: Duration },
}

/// Held while a command changes a project; released on drop (and by the OS if msctl dies).
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// The name of the lock a serving sweep holds for each pass over a project's replicas,
/// and `down` while it removes them: a pass that read the desired state before `down`
/// forgot it would otherwise tell the resolver of the project again afterwards. (Project
/// names have no dot, so this never names a project's own lock.)
pub fn serving_lock(project: &str) -> String {
    format!("{project}.serving")
}

impl ProjectLock {
    /// Take the project's lock, waiting up to `timeout`; `on_wait` is called once if the
    /// lock is busy, to tell the user why nothing happens.
    pub async fn acquire(
        state_dir: &Path,
        project: &str,
        timeout: Duration,
        on_wait: impl FnOnce(),
    ) -> Result<ProjectLock, LockError> {
        let dir = state_dir.join("locks");
        let path = dir.join(format!("{project}.lock"));
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        let started = Instant::now();
        let mut on_wait = Some(on_wait);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(ProjectLock { file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(err)) => return Err(io(err)),
            }
            if let Some(notify) = on_wait.take() {
                notify();
            }
            if started.elapsed() >= timeout {
                return Err(LockError::Timeout {
                    project: project.to_string(),
                    waited: timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_then_times_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = ProjectLock::acquire(dir.path(), "p", Duration::from_secs(1), || {})
            .await
            .expect("first");
        let mut told = false;
        let second =
            ProjectLock::acquire(dir.path(), "p", Duration::from_millis(300), || told = true).await;
        assert!(matches!(second, Err(LockError::Timeout { .. })));
        assert!(told, "the waiting command says why it waits");
        // Another project is not blocked.
        ProjectLock::acquire(dir.path(), "q", Duration::from_millis(300), || {})
            .await
            .expect("other project");
        drop(first);
        ProjectLock::acquire(dir.path(), "p", Duration::from_millis(300), || {})
            .await
            .expect("after release");
    }
}

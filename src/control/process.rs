//! The control plane as a process: one per state directory, found through files there.
//!
//! - `control.pid`: the running control plane holds an exclusive lock on it for its whole
//!   life (the kernel drops the lock when the process dies, even by SIGKILL) and writes
//!   `<pid> <foreground|background>` in it. A second one sees the lock and stops.
//! - `control.log`: the standard output and error of a background control plane (kept
//!   under 1 MiB: a bigger one is moved to `control.log.1` when the next one starts).
//! - `api-token`: the API's bearer token, 32 random bytes as hex, mode 0600.
//! - `api-addr`: the address the API listens on, once it does.
//!
//! `msctl up` starts a background control plane with [`start_background`]: a detached
//! `msctl serve --background` whose standard streams go to the log file and which calls
//! setsid(2) first thing, so it has no terminal and survives the one that ran `up`
//! closing. That process is the control plane's supervisor ([`supervise`]): it runs the
//! control plane itself (`serve --background --supervised`) and starts it again whenever
//! it dies of anything but a clean exit (a SIGKILL, a crash), so a killed control plane
//! is back within a second with no command typed. The control plane writes its
//! supervisor's pid beside its own in `control.pid`. `msctl down` stops both with
//! [`stop_background`] once no project needs them.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const PID_FILE: &str = "control.pid";
pub const LOG_FILE: &str = "control.log";
pub const TOKEN_FILE: &str = "api-token";
pub const ADDR_FILE: &str = "api-addr";

/// A log bigger than this is moved aside when a background control plane starts.
const LOG_KEPT_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot use `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a control plane already runs for this state directory (pid {pid}, {mode})")]
    AlreadyRunning { pid: i32, mode: Mode },
    #[error("cannot start the control plane `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the control plane stopped at once ({status}); its log `{log}` says:\n{tail}")]
    Exited {
        status: String,
        log: PathBuf,
        tail: String,
    },
    #[error("the control plane did not start within {0:?}")]
    Slow(Duration),
    #[error("the control plane (pid {pid}) did not stop: {why}")]
    Stop { pid: i32, why: String },
    #[error("the API token file `{0}` is not 64 hex digits: delete it and start the control plane again")]
    BadToken(PathBuf),
    #[error("the operating system gave no random bytes for the API token: {0}")]
    Random(String),
}

/// How a control plane was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `msctl serve` run by an operator: left alone by `down`.
    Foreground,
    /// Started by `msctl up`; stopped by `down` when no project needs it.
    Background,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Foreground => "foreground",
            Mode::Background => "background",
        })
    }
}

/// The control plane running for a state directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    pub pid: i32,
    pub mode: Mode,
    /// The supervisor that starts it again when it dies, if one does.
    pub supervisor: Option<i32>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ProcessError + '_ {
    move |source| ProcessError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn open_pid_file(state_dir: &Path) -> Result<(File, PathBuf), ProcessError> {
    std::fs::create_dir_all(state_dir).map_err(io(state_dir))?;
    let path = state_dir.join(PID_FILE);
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    Ok((file, path))
}

fn read_pid_file(file: &mut File) -> Option<Running> {
    use std::io::Seek;
    let mut text = String::new();
    file.seek(std::io::SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    let mut words = text.split_whitespace();
    let pid = words.next()?.parse().ok()?;
    let mode = match words.next()? {
        "background" => Mode::Background,
        _ => Mode::Foreground,
    };
    let supervisor = words.next().and_then(|word| word.parse().ok());
    Some(Running {
        pid,
        mode,
        supervisor,
    })
}

/// The lock a running control plane holds; released when dropped or when it dies.
#[derive(Debug)]
pub struct Instance {
    file: File,
    state_dir: PathBuf,
}

impl Instance {
    /// Become the control plane of `state_dir`, or say which one already is.
    pub fn claim(state_dir: &Path, mode: Mode) -> Result<Instance, ProcessError> {
        Instance::claim_supervised(state_dir, mode, None)
    }

    /// [`Instance::claim`], for a control plane `supervisor` (a pid) starts again when it
    /// dies.
    pub fn claim_supervised(
        state_dir: &Path,
        mode: Mode,
        supervisor: Option<i32>,
    ) -> Result<Instance, ProcessError> {
        let (mut file, path) = open_pid_file(state_dir)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                // The holder writes its pid right after locking: give it a moment.
                let started = Instant::now();
                loop {
                    if let Some(running) = read_pid_file(&mut file) {
                        return Err(ProcessError::AlreadyRunning {
                            pid: running.pid,
                            mode: running.mode,
                        });
                    }
                    if started.elapsed() > Duration::from_secs(1) {
                        return Err(ProcessError::AlreadyRunning { pid: 0, mode });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Err(std::fs::TryLockError::Error(err)) => return Err(io(&path)(err)),
        }
        file.set_len(0).map_err(io(&path))?;
        let text = match supervisor {
            Some(supervisor) => format!("{} {mode} {supervisor}\n", std::process::id()),
            None => format!("{} {mode}\n", std::process::id()),
        };
        (&file).write_all(text.as_bytes()).map_err(io(&path))?;
        let _ = std::fs::remove_file(state_dir.join(ADDR_FILE));
        Ok(Instance {
            file,
            state_dir: state_dir.to_path_buf(),
        })
    }

    /// Says where the API listens (`api-addr`).
    pub fn publish_address(&self, address: std::net::SocketAddr) -> Result<(), ProcessError> {
        let path = self.state_dir.join(ADDR_FILE);
        let partial = self.state_dir.join(format!("{ADDR_FILE}.tmp"));
        std::fs::write(&partial, format!("{address}\n")).map_err(io(&partial))?;
        std::fs::rename(&partial, &path).map_err(io(&path))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.state_dir.join(ADDR_FILE));
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The control plane running for `state_dir`, if one is.
pub fn running(state_dir: &Path) -> Result<Option<Running>, ProcessError> {
    let path = state_dir.join(PID_FILE);
    let mut file = match File::options().read(true).write(true).open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io(&path)(err)),
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Ok(None)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let started = Instant::now();
            loop {
                if let Some(running) = read_pid_file(&mut file) {
                    return Ok(Some(running));
                }
                if started.elapsed() > Duration::from_secs(1) {
                    return Ok(Some(Running {
                        pid: 0,
                        mode: Mode::Foreground,
                        supervisor: None,
                    }));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(std::fs::TryLockError::Error(err)) => Err(io(&path)(err)),
    }
}

/// What [`start_background`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// A control plane was already running.
    AlreadyRunning(Running),
    /// This pid was started.
    Started(i32),
}

/// Make sure a control plane runs for `state_dir`: start `program serve --background`
/// detached if none does, and wait until it holds the lock.
pub fn start_background(
    state_dir: &Path,
    program: &Path,
    timeout: Duration,
) -> Result<Started, ProcessError> {
    if let Some(running) = running(state_dir)? {
        return Ok(Started::AlreadyRunning(running));
    }
    let log_path = state_dir.join(LOG_FILE);
    if std::fs::metadata(&log_path).is_ok_and(|m| m.len() > LOG_KEPT_BYTES) {
        let _ = std::fs::rename(&log_path, state_dir.join(format!("{LOG_FILE}.1")));
    }
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(&log_path))?;
    let log_err = log.try_clone().map_err(io(&log_path))?;
    let mut child = Command::new(program)
        .args(["serve", "--background"])
        .env("MSCTL_STATE_DIR", state_dir)
        .current_dir(state_dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|source| ProcessError::Spawn {
            program: program.display().to_string(),
            source,
        })?;
    let pid = child.id() as i32;
    let started = Instant::now();
    loop {
        match running(state_dir)? {
            // The supervisor started runs the control plane.
            Some(running) if running.pid == pid || running.supervisor == Some(pid) => {
                return Ok(Started::Started(running.pid))
            }
            // Another `up` won the race: the one it started serves.
            Some(running) if running.pid != 0 && child.try_wait().ok().flatten().is_some() => {
                return Ok(Started::AlreadyRunning(running));
            }
            _ => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            let tail = std::fs::read_to_string(&log_path)
                .unwrap_or_default()
                .lines()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            return Err(ProcessError::Exited {
                status: status.to_string(),
                log: log_path,
                tail,
            });
        }
        if started.elapsed() > timeout {
            return Err(ProcessError::Slow(timeout));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stop the background control plane of `state_dir` (SIGTERM, then SIGKILL after
/// `timeout`); a foreground one is an operator's and is left alone. Returns the pid
/// stopped.
pub fn stop_background(state_dir: &Path, timeout: Duration) -> Result<Option<i32>, ProcessError> {
    let Some(found) = running(state_dir)? else {
        return Ok(None);
    };
    if found.mode != Mode::Background || found.pid <= 0 {
        return Ok(None);
    }
    let pid = found.pid;
    let Some(process) = rustix::process::Pid::from_raw(pid) else {
        return Ok(None);
    };
    // The supervisor first, so it starts nothing again; it passes SIGTERM on.
    if let Some(supervisor) = found.supervisor.and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(supervisor, rustix::process::Signal::TERM);
    }
    let gone = |within: Duration| -> Result<bool, ProcessError> {
        let started = Instant::now();
        loop {
            if running(state_dir)?.is_none_or(|r| r.pid != pid) {
                return Ok(true);
            }
            if started.elapsed() > within {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    if let Err(err) = rustix::process::kill_process(process, rustix::process::Signal::TERM) {
        // Gone between the look and the signal.
        if gone(Duration::ZERO)? {
            return Ok(Some(pid));
        }
        return Err(ProcessError::Stop {
            pid,
            why: err.to_string(),
        });
    }
    if gone(timeout)? {
        return Ok(Some(pid));
    }
    let _ = rustix::process::kill_process(process, rustix::process::Signal::KILL);
    if gone(Duration::from_secs(2))? {
        return Ok(Some(pid));
    }
    Err(ProcessError::Stop {
        pid,
        why: "it holds its lock after SIGKILL".to_string(),
    })
}

/// The first wait before a dead control plane is started again; it doubles up to
/// [`RESTART_MAX`], and is back to this after a control plane that lived a minute.
const RESTART_FIRST: Duration = Duration::from_millis(100);
const RESTART_MAX: Duration = Duration::from_secs(5);

/// Supervises the background control plane: runs `program serve --background
/// --supervised` (its streams are this process's, the log file) and starts it again
/// whenever it dies of anything but a clean exit, after a short wait that grows while it
/// keeps dying. A clean exit (stopped by SIGTERM, or another control plane does the
/// work) ends the supervision; so does SIGTERM or SIGINT, which is passed on first.
pub async fn supervise(program: &Path, log: &crate::report::Log) -> Result<(), ProcessError> {
    use tokio::signal::unix::{signal, SignalKind};
    let signals = || -> std::io::Result<_> {
        Ok((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    };
    let (mut term, mut interrupt) = signals().map_err(io(Path::new("signals")))?;
    let spawn_error = |source| ProcessError::Spawn {
        program: program.display().to_string(),
        source,
    };
    let mut delay = RESTART_FIRST;
    loop {
        let started = Instant::now();
        let mut child = tokio::process::Command::new(program)
            .args(["serve", "--background", "--supervised"])
            .stdin(Stdio::null())
            .spawn()
            .map_err(spawn_error)?;
        let pid = child.id().and_then(|id| i32::try_from(id).ok());
        let status = tokio::select! {
            status = child.wait() => status.map_err(spawn_error)?,
            _ = term.recv() => return stop_child(&mut child, pid).await,
            _ = interrupt.recv() => return stop_child(&mut child, pid).await,
        };
        if status.success() {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            delay = RESTART_FIRST;
        }
        log(&format!(
            "the control plane (pid {}) ended ({status}): starting it again in {} ms",
            pid.unwrap_or(0),
            delay.as_millis()
        ));
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = term.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        }
        delay = (delay * 2).min(RESTART_MAX);
    }
}

/// Passes SIGTERM on to the supervised control plane and waits for it to end.
async fn stop_child(
    child: &mut tokio::process::Child,
    pid: Option<i32>,
) -> Result<(), ProcessError> {
    if let Some(pid) = pid.and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let _ = child.wait().await;
    Ok(())
}

/// Detach from the terminal and the session of whoever started this process.
pub fn detach() -> Result<(), ProcessError> {
    rustix::process::setsid()
        .map(|_| ())
        .map_err(|err| io(Path::new("setsid"))(err.into()))
}

/// The API's bearer token: read from `api-token`, or created there (mode 0600).
pub fn api_token(state_dir: &Path) -> Result<String, ProcessError> {
    std::fs::create_dir_all(state_dir).map_err(io(state_dir))?;
    let path = state_dir.join(TOKEN_FILE);
    match File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| ProcessError::Random(e.to_string()))?;
            let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            file.write_all(format!("{token}\n").as_bytes())
                .map_err(io(&path))?;
            Ok(token)
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let token = text.trim().to_string();
            if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ProcessError::BadToken(path));
            }
            // Someone loosened it: nobody but the owner reads a credential.
            let mode = std::fs::metadata(&path)
                .map_err(io(&path))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(io(&path))?;
            }
            Ok(token)
        }
        Err(err) => Err(io(&path)(err)),
    }
}

/// Where the running control plane's API listens, from `api-addr`.
pub fn api_address(state_dir: &Path) -> Option<std::net::SocketAddr> {
    std::fs::read_to_string(state_dir.join(ADDR_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_control_plane_per_state_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(running(dir.path()).expect("look"), None);
        let first = Instance::claim(dir.path(), Mode::Background).expect("first");
        let found = running(dir.path()).expect("look").expect("running");
        assert_eq!(found.pid, std::process::id() as i32);
        assert_eq!(found.mode, Mode::Background);
        // flock(2) locks belong to the open file: a second open in this process conflicts
        // as another process's would.
        match Instance::claim(dir.path(), Mode::Foreground) {
            Err(ProcessError::AlreadyRunning { pid, mode }) => {
                assert_eq!(pid, std::process::id() as i32);
                assert_eq!(mode, Mode::Background);
            }
            other => panic!("expected AlreadyRunning, got {other:?}"),
        }
        first
            .publish_address("127.0.0.1:7311".parse().expect("address"))
            .expect("publish");
        assert_eq!(
            api_address(dir.path()),
            Some("127.0.0.1:7311".parse().expect("address"))
        );
        drop(first);
        assert_eq!(running(dir.path()).expect("look"), None);
        assert_eq!(api_address(dir.path()), None);
    }

    #[test]
    fn a_stale_pid_file_never_blocks_and_the_supervisor_is_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        // What a control plane killed with SIGKILL leaves: its line, and no lock.
        std::fs::write(dir.path().join(PID_FILE), "999999 background 999998\n").expect("write");
        std::fs::write(dir.path().join(ADDR_FILE), "127.0.0.1:7311\n").expect("write");
        assert_eq!(running(dir.path()).expect("look"), None);
        let claimed =
            Instance::claim_supervised(dir.path(), Mode::Background, Some(4242)).expect("claimed");
        let found = running(dir.path()).expect("look").expect("running");
        assert_eq!(found.pid, std::process::id() as i32);
        assert_eq!(found.supervisor, Some(4242));
        assert_eq!(
            api_address(dir.path()),
            None,
            "the dead one's address is gone"
        );
        drop(claimed);
        assert_eq!(running(dir.path()).expect("look"), None);
    }

    #[test]
    fn the_token_is_random_hex_readable_by_its_owner_only_and_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let token = api_token(dir.path()).expect("create");
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        let path = dir.path().join(TOKEN_FILE);
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(api_token(dir.path()).expect("read"), token);
        let other = tempfile::tempdir().expect("tempdir");
        assert_ne!(api_token(other.path()).expect("create"), token);
        std::fs::write(&path, "short\n").expect("write");
        assert!(matches!(
            api_token(dir.path()),
            Err(ProcessError::BadToken(_))
        ));
    }
}

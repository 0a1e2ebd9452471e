//! One control plane per Docker engine, whichever state directory started it.
//!
//! The running control plane registers in the engine: a volume `msctl-control` (or
//! `msctl-control-<name>` with `MSCTL_CONTROL_PLANE=<name>`) whose labels hold its API
//! address, its token, its state directory, its pid and its host. Docker creates a
//! volume name once and hands the existing volume to every later create, so the labels
//! of the first create stand: two control planes starting at once both create it, read
//! it back, and the one that finds another's labels there leaves the engine to it.
//!
//! `up` from any state directory looks the registration up: when the control plane
//! there is another state directory's, `up` hands it the project's desired state over
//! its API (`PUT /v1/projects/{p}/desired`) instead of starting a second one, and `down`
//! from that state directory takes the project back from it (`DELETE /v1/projects/{p}`)
//! before it removes anything. A registration whose control plane does not answer is
//! stale (it was killed) and replaced by the next control plane that starts.
//!
//! The token is in a label: whoever can read the engine's volumes can drive its
//! containers already.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::apiclient::ApiClient;
use crate::engine::{Engine, EngineError, LabelFilter};
use crate::plan::spec::VolumeSpec;

/// The label that marks the registration volume.
pub const ROLE: &str = "io.msctl.control";
pub const API: &str = "io.msctl.control.api";
pub const TOKEN: &str = "io.msctl.control.token";
pub const STATE_DIR: &str = "io.msctl.control.state-dir";
pub const PID: &str = "io.msctl.control.pid";
pub const HOST: &str = "io.msctl.control.host";
/// Names the control plane on the engine: engines shared by separate msctl setups
/// (isolated CI jobs, the e2e tests) give each its own.
pub const NAME_ENV: &str = "MSCTL_CONTROL_PLANE";
const VOLUME: &str = "msctl-control";

/// A control plane as registered in the engine.
#[derive(Clone, PartialEq, Eq)]
pub struct Registration {
    pub api: SocketAddr,
    pub token: String,
    pub state_dir: PathBuf,
    pub pid: i32,
    pub host: String,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("api", &self.api)
            .field("token", &"<redacted>")
            .field("state_dir", &self.state_dir)
            .field("pid", &self.pid)
            .field("host", &self.host)
            .finish()
    }
}

impl Registration {
    fn labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (ROLE.to_string(), "plane".to_string()),
            (API.to_string(), self.api.to_string()),
            (TOKEN.to_string(), self.token.clone()),
            (STATE_DIR.to_string(), self.state_dir.display().to_string()),
            (PID.to_string(), self.pid.to_string()),
            (HOST.to_string(), self.host.clone()),
        ])
    }

    fn from_labels(labels: &BTreeMap<String, String>) -> Option<Registration> {
        Some(Registration {
            api: labels.get(API)?.parse().ok()?,
            token: labels.get(TOKEN)?.clone(),
            state_dir: PathBuf::from(labels.get(STATE_DIR)?),
            pid: labels.get(PID)?.parse().ok()?,
            host: labels.get(HOST)?.clone(),
        })
    }

    /// A client of its API.
    pub fn client(&self) -> ApiClient {
        ApiClient::new("msctl control plane", self.api, self.token.clone())
    }

    /// Whether it is this state directory's own control plane.
    pub fn serves(&self, state_dir: &std::path::Path) -> bool {
        same_dir(&self.state_dir, state_dir)
    }
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    let canonical = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.into());
    canonical(a) == canonical(b)
}

/// The registration volume's name for the control plane name in `environment`.
pub fn volume_name(environment: &BTreeMap<String, String>) -> String {
    match environment.get(NAME_ENV).map(|n| n.trim()) {
        Some(name) if !name.is_empty() => format!("{VOLUME}-{name}"),
        _ => VOLUME.to_string(),
    }
}

/// This machine's name, so that a control plane on another machine sharing the engine
/// (its API on that machine's loopback) is not taken for a local one.
pub fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

async fn read(engine: &dyn Engine, volume: &str) -> Result<Option<Registration>, EngineError> {
    let found = engine
        .list_volumes(&LabelFilter::any().with(ROLE, Some("plane")))
        .await?;
    Ok(found
        .into_iter()
        .find(|v| v.name == volume)
        .and_then(|v| Registration::from_labels(&v.labels)))
}

/// Whether the registered control plane answers, with its token, on this host.
pub async fn alive(registration: &Registration) -> bool {
    if registration.host != host_name() {
        return false;
    }
    matches!(
        registration.client().call("GET", "/v1/projects".to_string(), None).await,
        Ok(answer) if answer.status == 200
    )
}

/// The control plane registered for the engine, if it answers.
pub async fn find(engine: &dyn Engine, volume: &str) -> Result<Option<Registration>, EngineError> {
    match read(engine, volume).await? {
        Some(registration) if alive(&registration).await => Ok(Some(registration)),
        _ => Ok(None),
    }
}

/// What [`claim`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// `me` is the engine's control plane now.
    Mine,
    /// Another one is, and answers.
    Other(Registration),
}

/// Registers `me` as the engine's control plane, unless another one answers there.
pub async fn claim(
    engine: &dyn Engine,
    volume: &str,
    me: &Registration,
) -> Result<Claimed, EngineError> {
    for _ in 0..3 {
        let spec = VolumeSpec {
            name: volume.to_string(),
            labels: me.labels(),
            ..VolumeSpec::default()
        };
        engine.create_volume(&spec).await?;
        match read(engine, volume).await? {
            Some(found) if &found == me => return Ok(Claimed::Mine),
            Some(found) if alive(&found).await => return Ok(Claimed::Other(found)),
            // Stale (its control plane was killed) or unreadable: replace it.
            _ => match engine.remove_volume(volume).await {
                Ok(()) => {}
                Err(err) if err.is_not_found() => {}
                Err(err) => return Err(err),
            },
        }
    }
    Err(EngineError::Other {
        operation: "register the control plane".to_string(),
        message: format!("volume `{volume}` kept changing while this control plane claimed it"),
    })
}

/// Removes the registration if it is still `me`'s.
pub async fn release(engine: &dyn Engine, volume: &str, me: &Registration) {
    if let Ok(Some(found)) = read(engine, volume).await {
        if &found == me {
            let _ = engine.remove_volume(volume).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;

    fn registration(api: &str, dir: &str) -> Registration {
        Registration {
            api: api.parse().unwrap(),
            token: "t".to_string(),
            state_dir: PathBuf::from(dir),
            pid: 7,
            host: host_name(),
        }
    }

    #[test]
    fn the_name_comes_from_the_environment() {
        let mut env = BTreeMap::new();
        assert_eq!(volume_name(&env), "msctl-control");
        env.insert(NAME_ENV.to_string(), "ci-42".to_string());
        assert_eq!(volume_name(&env), "msctl-control-ci-42");
    }

    #[tokio::test]
    async fn the_first_claim_stands_and_a_stale_one_is_replaced() {
        let engine = FakeEngine::new();
        // Nothing answers on these ports: each registration is stale to the next.
        let first = registration("127.0.0.1:9", "/a");
        assert_eq!(claim(&engine, VOLUME, &first).await.unwrap(), Claimed::Mine);
        assert_eq!(read(&engine, VOLUME).await.unwrap(), Some(first.clone()));
        let second = registration("127.0.0.1:11", "/b");
        assert_eq!(
            claim(&engine, VOLUME, &second).await.unwrap(),
            Claimed::Mine
        );
        assert_eq!(read(&engine, VOLUME).await.unwrap(), Some(second.clone()));
        assert_eq!(find(&engine, VOLUME).await.unwrap(), None, "none answers");
        // Only the holder's release removes it.
        release(&engine, VOLUME, &first).await;
        assert!(read(&engine, VOLUME).await.unwrap().is_some());
        release(&engine, VOLUME, &second).await;
        assert!(read(&engine, VOLUME).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_claim_yields_to_a_control_plane_that_answers() {
        // A stand-in API answering /v1/projects with 200.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]")
                    .await;
            }
        });
        let engine = FakeEngine::new();
        let running = registration(&addr.to_string(), "/a");
        assert_eq!(
            claim(&engine, VOLUME, &running).await.unwrap(),
            Claimed::Mine
        );
        let late = registration("127.0.0.1:9", "/b");
        assert_eq!(
            claim(&engine, VOLUME, &late).await.unwrap(),
            Claimed::Other(running.clone())
        );
        assert_eq!(find(&engine, VOLUME).await.unwrap(), Some(running.clone()));
        assert!(running.serves(std::path::Path::new("/a")));
        assert!(!running.serves(std::path::Path::new("/b")));
        server.abort();
    }
}

//! A throwaway registry for the pull scenario: Debian's `docker-registry` (distribution
//! 2.8) serving plain http on a free loopback port, its storage in the bench's temporary
//! directory. The engine trusts 127.0.0.0/8 without TLS, so neither it nor any tool needs
//! configuring to push to it or pull from it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long the registry may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A running registry, killed by [`Registry::stop`] (or, on an early return, on drop).
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`, the registry part of every image reference pushed to it.
    pub address: String,
    log: PathBuf,
}

impl Registry {
    /// Starts `program serve CONFIG` with its storage and log under `dir`, and waits until
    /// it answers `GET /v2/`.
    pub async fn start(program: &str, dir: &Path) -> Result<Registry> {
        let storage = dir.join("storage");
        std::fs::create_dir_all(&storage)
            .with_context(|| format!("cannot create {}", storage.display()))?;
        let address = format!("127.0.0.1:{}", free_port()?);
        let config = dir.join("config.yml");
        std::fs::write(&config, config_yaml(&storage, &address))
            .with_context(|| format!("cannot write {}", config.display()))?;
        let log = dir.join("registry.log");
        let stdout =
            File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let stderr = stdout
            .try_clone()
            .with_context(|| format!("cannot reopen {}", log.display()))?;
        let child = Command::new(program)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("cannot run `{program}` (hint: apt-get install -y docker-registry)")
            })?;
        let mut registry = Registry {
            child,
            address,
            log,
        };
        registry.wait_ready().await?;
        Ok(registry)
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the registry exited at once ({status}): {}",
                    self.log_tail()
                );
            }
            if answers(&self.address).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the registry did not answer on {} within {} s: {}",
                    self.address,
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The end of the registry's log, to explain a failure.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        match lines.len() {
            0 => format!("nothing in {}", self.log.display()),
            len => lines[len.saturating_sub(3)..].join(" / "),
        }
    }

    /// Kills the registry and waits until it is gone.
    pub async fn stop(mut self) -> Result<()> {
        self.child
            .start_kill()
            .context("cannot kill the registry")?;
        self.child
            .wait()
            .await
            .context("cannot wait for the registry to exit")?;
        Ok(())
    }
}

/// A port nothing listens on now. The registry binds it a moment later; on a machine that
/// runs the bench alone nothing takes it in between.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .context("cannot find a free port on 127.0.0.1")?;
    Ok(listener.local_addr()?.port())
}

/// The registry's configuration: filesystem storage, plain http on `address`, and quiet
/// logs, so the registry spends its time on blobs and not on writing lines.
fn config_yaml(storage: &Path, address: &str) -> String {
    // A JSON string is a valid YAML scalar, whatever the temporary directory's name.
    let root = serde_json::Value::from(storage.display().to_string());
    format!(
        "version: 0.1\n\
         log:\n  level: warn\n  accesslog:\n    disabled: true\n\
         storage:\n  filesystem:\n    rootdirectory: {root}\n  \
         maintenance:\n    uploadpurging:\n      enabled: false\n\
         http:\n  addr: {address}\n"
    )
}

/// Whether the registry at `address` answers `GET /v2/` with 200 (its API version check).
async fn answers(address: &str) -> bool {
    let probe = async {
        let mut stream = TcpStream::connect(address).await?;
        let request = format!("GET /v2/ HTTP/1.0\r\nHost: {address}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        // HTTP/1.0: the registry closes the connection after its (tiny) answer.
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        std::io::Result::Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    match tokio::time::timeout(Duration::from_secs(1), probe).await {
        Ok(Ok(head)) => head.starts_with("HTTP/1.") && head.get(8..13) == Some(" 200 "),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_quotes_the_storage_path_and_listens_on_loopback() {
        let yaml = config_yaml(Path::new("/tmp/a b/storage"), "127.0.0.1:5999");
        assert!(yaml.starts_with("version: 0.1\n"), "{yaml}");
        assert!(
            yaml.contains("    rootdirectory: \"/tmp/a b/storage\"\n"),
            "{yaml}"
        );
        assert!(yaml.contains("http:\n  addr: 127.0.0.1:5999\n"), "{yaml}");
    }
}

//! The resolver's container: one per Docker engine, whoever runs msctl, found by its
//! label. It runs this very msctl binary (`msctl resolver`) in the host's network
//! namespace, so it can listen on every bridge's gateway (the host side of the bridge)
//! and the CLI and the control plane reach its API on the host's loopback.
//!
//! Its image holds the running binary, the dynamic loader it asks for and the shared
//! libraries the process has mapped, at the paths they have on the host: a root
//! filesystem made of exactly what this binary needs, whether it was linked statically
//! or not. The image's tag is derived from the binary's path, size and modification
//! time, so a rebuilt msctl gets a new image and an unchanged one reuses its own.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::client::Client;
use crate::engine::{ContainerSummary, Engine, LabelFilter};
use crate::manifest::model::RestartMode;
use crate::plan::spec::ContainerSpec;
use crate::plan::ContainerState;

/// The container's name: one per engine.
pub const NAME: &str = "msctl-resolver";
/// The label that marks the resolver (its container and its images).
pub const ROLE: &str = "io.msctl.resolver";
/// The label with the address of its API (`127.0.0.1:PORT`).
pub const API: &str = "io.msctl.resolver.api";
/// The label with the bearer token of its API.
pub const TOKEN: &str = "io.msctl.resolver.token";
/// The label with the version of its API: a resolver that speaks another one is
/// replaced by the msctl that needs this one.
pub const PROTOCOL_LABEL: &str = "io.msctl.resolver.protocol";
/// This msctl's version of the resolver's API; raised when the API changes.
pub const PROTOCOL: &str = "4";
/// The environment variable the resolver reads its token from.
pub const TOKEN_ENV: &str = "MSCTL_RESOLVER_TOKEN";
/// The repository of its images.
const REPOSITORY: &str = "msctl-resolver";
/// How long a started resolver has to answer its API.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the resolver cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum ResolverError {
    #[error("msctl resolver: {0}")]
    Engine(#[from] crate::engine::EngineError),
    #[error("msctl resolver: cannot build its image from `{path}`: {message}")]
    Image { path: String, message: String },
    #[error("msctl resolver: container `{NAME}` {0}")]
    NotStarted(String),
    #[error("msctl resolver: container `{NAME}` was removed as it started")]
    Removed,
}

impl ResolverError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ResolverError::NotStarted(_) => Some(
                "see `docker logs msctl-resolver`; it needs port 53 free on the networks' gateways",
            ),
            _ => None,
        }
    }
}

/// The resolver this process last talked to: how to reach it, never what it holds.
static KNOWN: Mutex<Option<Client>> = Mutex::new(None);

fn remember(client: Option<Client>) {
    *KNOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = client;
}

fn remembered() -> Option<Client> {
    KNOWN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Forgets the resolver this process talked to (it did not answer): the next call
/// looks for it on the engine again.
pub fn forget_known() {
    remember(None);
}

/// The running resolver, if there is one, without starting any.
pub async fn running(engine: &dyn Engine) -> Result<Option<Client>, ResolverError> {
    if let Some(client) = remembered() {
        return Ok(Some(client));
    }
    let found = find(engine).await?;
    let client = found
        .filter(|container| container.state == ContainerState::Running)
        .and_then(|container| client_of(&container));
    remember(client.clone());
    Ok(client)
}

/// The resolver, started (and its image built) when the engine has none running.
///
/// Several msctl may do this at once (parallel `up`s, a `down` of the last project
/// elsewhere): one that finds a resolver another is starting waits for it, one that
/// loses the race to create it uses the winner's, and one that finds it retired or gone
/// starts another, for as long as [`START_TIMEOUT`] allows.
pub async fn ensure(engine: &dyn Engine) -> Result<Client, ResolverError> {
    if let Some(client) = remembered() {
        return Ok(client);
    }
    let started = Instant::now();
    let mut attempts = 0u32;
    loop {
        if attempts > 0 && started.elapsed() > 2 * START_TIMEOUT {
            return Err(ResolverError::NotStarted(format!(
                "kept being replaced while msctl started it ({attempts} tries in {}s)",
                2 * START_TIMEOUT.as_secs()
            )));
        }
        attempts += 1;
        let (id, client) = match find(engine).await? {
            // Running, or being started by another msctl (created, or restarted by the
            // engine): wait for it to answer.
            Some(container)
                if matches!(
                    container.state,
                    ContainerState::Running | ContainerState::Created | ContainerState::Restarting
                ) && container.labels.get(PROTOCOL_LABEL).map(String::as_str)
                    == Some(PROTOCOL) =>
            {
                match client_of(&container) {
                    Some(client) => (container.id, client),
                    None => {
                        remove(engine, &container.id).await;
                        continue;
                    }
                }
            }
            Some(container) => {
                // Stopped (by hand, or the engine restarted; its API address may be
                // taken by now), or of another msctl speaking another version of its
                // API: a new one is made.
                remove(engine, &container.id).await;
                continue;
            }
            None => match create(engine).await {
                Ok(made) => made,
                // Another msctl made it first: use that one.
                Err(ResolverError::Engine(err)) if err.is_conflict() => continue,
                Err(err) => return Err(err),
            },
        };
        match wait_healthy(engine, &id, &client).await {
            Ok(()) => {}
            Err(ResolverError::Removed) => continue,
            Err(err) => return Err(err),
        }
        remember(Some(client.clone()));
        return Ok(client);
    }
}

/// Removes the resolver `client` talks to, which retired when the last project it
/// served was removed: what `down` does then. A resolver another msctl started since
/// (another address) is left alone.
pub async fn remove_resolver(engine: &dyn Engine, client: &Client) -> Result<(), ResolverError> {
    forget_known();
    if let Some(container) = find(engine).await? {
        if client_of(&container).is_some_and(|found| found.addr() == client.addr()) {
            remove(engine, &container.id).await;
        }
    }
    Ok(())
}

async fn find(engine: &dyn Engine) -> Result<Option<ContainerSummary>, ResolverError> {
    let filter = LabelFilter::any().with(ROLE, Some("container"));
    let mut found = engine.list_containers(&filter).await?;
    found.retain(|container| container.name == NAME);
    Ok(found.into_iter().next())
}

fn client_of(container: &ContainerSummary) -> Option<Client> {
    let addr: SocketAddr = container.labels.get(API)?.parse().ok()?;
    let token = container.labels.get(TOKEN)?.clone();
    Some(Client::new(addr, token))
}

async fn remove(engine: &dyn Engine, id: &str) {
    // Gone already, or removed by another msctl meanwhile: either way it is not there.
    let _ = engine.stop_container(id, Duration::from_secs(2)).await;
    let _ = engine.remove_container(id, true).await;
}

/// Waits for the resolver container `id` to answer. [`ResolverError::Removed`]: it went
/// meanwhile or retired (the last project's `down` elsewhere), and a retired one is
/// removed here already, so the caller starts another.
async fn wait_healthy(engine: &dyn Engine, id: &str, client: &Client) -> Result<(), ResolverError> {
    let started = Instant::now();
    loop {
        let last = match client.health().await {
            Ok(_) => return Ok(()),
            Err(err) if err.is_retired() => {
                remove(engine, id).await;
                return Err(ResolverError::Removed);
            }
            Err(err) => err.to_string(),
        };
        let late = started.elapsed() > START_TIMEOUT;
        match find(engine).await? {
            Some(container) if container.id == id => match container.state {
                // Stopped (it exits 0 on SIGTERM): another msctl's `down` retired it
                // between our look and its removal. Look again.
                ContainerState::Exited { code: 0 } => return Err(ResolverError::Removed),
                ContainerState::Exited { code } => {
                    return Err(ResolverError::NotStarted(format!(
                        "exited with code {code} as it started"
                    )));
                }
                // Created and never started: the msctl that made it died in between.
                ContainerState::Created if late => {
                    remove(engine, id).await;
                    return Err(ResolverError::Removed);
                }
                _ if late => {
                    return Err(ResolverError::NotStarted(format!(
                        "did not answer within {}s: {last}",
                        START_TIMEOUT.as_secs()
                    )));
                }
                _ => {}
            },
            // Removed or replaced meanwhile: look again.
            _ => return Err(ResolverError::Removed),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn create(engine: &dyn Engine) -> Result<(String, Client), ResolverError> {
    let image = image(engine).await?;
    let port = free_port().map_err(|err| ResolverError::NotStarted(err.to_string()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let token = token().map_err(|err| ResolverError::NotStarted(err.to_string()))?;
    let labels = BTreeMap::from([
        (ROLE.to_string(), "container".to_string()),
        (API.to_string(), addr.to_string()),
        (TOKEN.to_string(), token.clone()),
        (PROTOCOL_LABEL.to_string(), PROTOCOL.to_string()),
    ]);
    let spec = ContainerSpec {
        name: NAME.to_string(),
        image: image.reference,
        labels,
        entrypoint: Some(vec!["/msctl".to_string()]),
        command: Some(vec![
            "resolver".to_string(),
            "--listen".to_string(),
            addr.to_string(),
        ]),
        environment: BTreeMap::from([
            (TOKEN_ENV.to_string(), Some(token.clone())),
            ("LD_LIBRARY_PATH".to_string(), Some(image.library_path)),
        ]),
        network_mode: Some("host".to_string()),
        restart: Some(RestartMode::UnlessStopped),
        stop_timeout: Some(Duration::from_secs(2)),
        ..ContainerSpec::default()
    };
    let id = engine.create_container(&spec).await?;
    if let Err(err) = engine.start_container(&id).await {
        remove(engine, &id).await;
        return Err(err.into());
    }
    Ok((id, Client::new(addr, token)))
}

/// A port on the host's loopback that nothing listens on now.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}

fn token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

struct Image {
    reference: String,
    /// Where its libraries are, for the loader.
    library_path: String,
}

/// The resolver's image for this binary: imported when the engine does not have it.
async fn image(engine: &dyn Engine) -> Result<Image, ResolverError> {
    let exe = std::env::current_exe().map_err(|err| ResolverError::Image {
        path: "/proc/self/exe".to_string(),
        message: err.to_string(),
    })?;
    let failed = |message: String| ResolverError::Image {
        path: exe.display().to_string(),
        message,
    };
    let libraries = mapped_libraries(&exe);
    let library_path = library_path(&libraries);
    let metadata = std::fs::metadata(&exe).map_err(|err| failed(err.to_string()))?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_nanos())
        .unwrap_or_default();
    let key = Sha256::digest(format!(
        "{}\n{}\n{}\n{modified}\n{}",
        env!("CARGO_PKG_VERSION"),
        exe.display(),
        metadata.len(),
        library_path
    ));
    let tag: String = key.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let reference = format!("{REPOSITORY}:{tag}");
    if engine.inspect_image(&reference).await?.is_none() {
        let exe_for_tar = exe.clone();
        let rootfs = tokio::task::spawn_blocking(move || rootfs(&exe_for_tar, &libraries))
            .await
            .map_err(|err| failed(err.to_string()))?
            .map_err(|err| failed(err.to_string()))?;
        let changes = vec![
            r#"ENTRYPOINT ["/msctl"]"#.to_string(),
            format!("LABEL {ROLE}=image"),
        ];
        engine.import_image(&reference, rootfs, changes).await?;
    }
    Ok(Image {
        reference,
        library_path,
    })
}

/// The shared objects this process has mapped (the loader included), by their paths.
fn mapped_libraries(exe: &Path) -> Vec<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut found: Vec<PathBuf> = Vec::new();
    for line in maps.lines() {
        let Some(path) = line.split_whitespace().nth(5) else {
            continue;
        };
        let path = PathBuf::from(path);
        let is_shared = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.contains(".so"));
        if path.is_absolute() && is_shared && path != exe && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// `LD_LIBRARY_PATH` for the libraries: their directories, each once.
fn library_path(libraries: &[PathBuf]) -> String {
    let mut dirs: Vec<String> = Vec::new();
    for library in libraries {
        if let Some(dir) = library.parent().map(|dir| dir.display().to_string()) {
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs.join(":")
}

/// The root filesystem: `/msctl`, the loader at the path the binary names, and the
/// libraries at their own paths.
fn rootfs(exe: &Path, libraries: &[PathBuf]) -> std::io::Result<Vec<u8>> {
    let binary = std::fs::read(exe)?;
    let interpreter = crate::build::cargo::elf_interpreter(&binary)
        .map_err(|err| std::io::Error::other(format!("{err:?}")))?;
    let mut tar = tar::Builder::new(Vec::new());
    append(&mut tar, "msctl", &binary)?;
    let mut written: Vec<String> = vec!["msctl".to_string()];
    for library in libraries {
        let inside = library
            .display()
            .to_string()
            .trim_start_matches('/')
            .to_string();
        if written.contains(&inside) {
            continue;
        }
        append(&mut tar, &inside, &std::fs::read(library)?)?;
        written.push(inside);
    }
    if let Some(interpreter) = interpreter {
        let inside = interpreter.trim_start_matches('/').to_string();
        if !written.contains(&inside) {
            // The path the binary names may be a link on the host: the file it leads to.
            append(&mut tar, &inside, &std::fs::read(&interpreter)?)?;
        }
    }
    tar.into_inner()
}

fn append(tar: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, path, bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_rootfs_holds_the_binary_and_what_it_loads() {
        let exe = std::env::current_exe().expect("the test binary");
        let libraries = mapped_libraries(&exe);
        let bytes = rootfs(&exe, &libraries).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let paths: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|entry| entry.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(paths[0], "msctl");
        for library in &libraries {
            let inside = library.display().to_string();
            assert!(
                paths.contains(&inside.trim_start_matches('/').to_string()),
                "{inside} missing from {paths:?}"
            );
        }
        let binary = std::fs::read(&exe).unwrap();
        if let Some(loader) = crate::build::cargo::elf_interpreter(&binary).unwrap() {
            assert!(paths.contains(&loader.trim_start_matches('/').to_string()));
        }
    }

    #[test]
    fn the_library_path_names_each_directory_once() {
        let libraries = [
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/usr/lib/libz.so",
        ]
        .map(PathBuf::from);
        assert_eq!(library_path(&libraries), "/lib/x86_64-linux-gnu:/usr/lib");
    }
}

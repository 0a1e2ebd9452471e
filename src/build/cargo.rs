//! The cargo builder (`x-msctl.build.cargo`): cargo builds a static binary, and msctl
//! imports a root filesystem holding just that binary (and the service's extra files) as
//! an image. No Dockerfile, no base image, no registry.
//!
//! The build uses its own target directory, `<workspace>/target/msctl`, because its
//! RUSTFLAGS (static linking) differ from a developer's: sharing `target/` would make
//! each of them rebuild everything the other built.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::context::{append_file, file_header, mode_of};
use super::dockerfile::{blocking, quote};
use super::progress::{BuildEvent, BuildReporter};
use super::{digest, image_id_of, BuildError, ImageRef};
use crate::manifest::model::CargoBuild;
use crate::plan::labels;

/// The target msctl builds for: the engine's platform, linked statically.
pub const TARGET_TRIPLE: &str = "x86_64-unknown-linux-gnu";
/// Static linking with glibc's static libraries.
pub const RUSTFLAGS: &str = "-C target-feature=+crt-static";
/// How many of cargo's last output lines a failure quotes.
const QUOTED_LINES: usize = 40;

/// `<workspace>/target/msctl`.
pub fn target_dir(workspace: &Path) -> PathBuf {
    workspace.join("target").join("msctl")
}

/// Workspace digests, computed once per [`super::ensure_images`] call: services built
/// from one workspace share it, and hashing a workspace is most of a no-op check's time.
#[derive(Debug, Default)]
pub struct WorkspaceDigests {
    cells: std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::OnceCell<String>>>>,
}

impl WorkspaceDigests {
    /// The digest of `workspace`, hashing it on the first call only.
    pub async fn get(&self, service: &str, workspace: &Path) -> Result<String, BuildError> {
        let cell = match self.cells.lock() {
            Ok(mut cells) => cells.entry(workspace.to_path_buf()).or_default().clone(),
            // A poisoned map only loses the sharing, never the digest.
            Err(_) => Arc::default(),
        };
        let digest = cell
            .get_or_try_init(|| {
                let workspace = workspace.to_path_buf();
                let service_name = service.to_string();
                blocking(service, move || {
                    digest::workspace_digest(&workspace).map_err(|source| BuildError::Digest {
                        service: service_name,
                        source,
                    })
                })
            })
            .await?;
        Ok(digest.clone())
    }
}

impl WorkspaceDigests {
    /// The digest of what building `package` of `workspace` reads
    /// ([`digest::package_digest`]), computed once per package.
    pub async fn package(
        &self,
        service: &str,
        workspace: &Path,
        package: &str,
    ) -> Result<String, BuildError> {
        let key = workspace.join(format!("\0{package}"));
        let cell = match self.cells.lock() {
            Ok(mut cells) => cells.entry(key).or_default().clone(),
            Err(_) => Arc::default(),
        };
        let digest = cell
            .get_or_try_init(|| {
                let workspace = workspace.to_path_buf();
                let package = package.to_string();
                let service_name = service.to_string();
                blocking(service, move || {
                    digest::package_digest(&workspace, &package).map_err(|source| {
                        BuildError::Digest {
                            service: service_name,
                            source,
                        }
                    })
                })
            })
            .await?;
        Ok(digest.clone())
    }
}

/// The input digest of a cargo build.
pub async fn input_digest(
    service: &str,
    cargo: &CargoBuild,
    workspaces: &WorkspaceDigests,
) -> Result<String, BuildError> {
    let workspace_digest = workspaces
        .package(service, &cargo.workspace, &cargo.package)
        .await?;
    let cargo = cargo.clone();
    let service_name = service.to_string();
    blocking(service, move || {
        digest::cargo_digest(&workspace_digest, &cargo, &BTreeMap::new()).map_err(|source| {
            BuildError::Digest {
                service: service_name,
                source,
            }
        })
    })
    .await
}

/// Builds the binary with cargo (holding `cargo_lock`: cargo locks its target directory,
/// so concurrent cargo builds would only wait for each other), then imports the image.
#[allow(clippy::too_many_arguments)]
pub async fn build(
    docker: &Docker,
    project_name: &str,
    service: &str,
    cargo: &CargoBuild,
    image: &str,
    cargo_lock: &tokio::sync::Mutex<()>,
    workspaces: &WorkspaceDigests,
    progress: &dyn BuildReporter,
) -> Result<ImageRef, BuildError> {
    let started = Instant::now();
    let build_digest = input_digest(service, cargo, workspaces).await?;
    progress.event(BuildEvent::Started {
        service: service.to_string(),
        image: image.to_string(),
        builder: "cargo",
    });
    let binary = {
        let _guard = cargo_lock.lock().await;
        run_cargo(service, cargo, progress).await?
    };

    let image_labels = labels::image_labels(project_name, service, &BTreeMap::new(), &build_digest);
    let cargo_for_tar = cargo.clone();
    let service_name = service.to_string();
    let rootfs = blocking(service, move || {
        rootfs_tar(&service_name, &cargo_for_tar, &binary)
    })
    .await?;

    progress.event(BuildEvent::Output {
        service: service.to_string(),
        line: format!(
            "importing a {} byte root filesystem as `{image}`",
            rootfs.len()
        ),
    });
    import(docker, service, image, &cargo.bin, &image_labels, rootfs).await?;

    let image_id = image_id_of(docker, service, image).await?;
    progress.event(BuildEvent::Built {
        service: service.to_string(),
        image: image.to_string(),
        image_id: image_id.clone(),
        elapsed: started.elapsed(),
    });
    Ok(ImageRef {
        name: image.to_string(),
        id: image_id,
        build_digest: Some(build_digest),
        built: true,
    })
}

/// The `cargo build` command line for `cargo`.
pub fn cargo_command(cargo: &CargoBuild) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("cargo");
    command
        .current_dir(&cargo.workspace)
        .arg("build")
        .args(["--package", &cargo.package])
        .args(["--bin", &cargo.bin])
        .args(["--profile", &cargo.profile])
        .args(["--target", TARGET_TRIPLE])
        .arg("--target-dir")
        .arg(target_dir(&cargo.workspace))
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--color",
            "never",
        ]);
    if !cargo.features.is_empty() {
        command.args(["--features", &cargo.features.join(",")]);
    }
    // RUSTFLAGS must be exactly msctl's: the encoded form and config would win over it.
    command
        .env("RUSTFLAGS", RUSTFLAGS)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Runs cargo, streaming its messages; returns the built binary's path.
async fn run_cargo(
    service: &str,
    cargo: &CargoBuild,
    progress: &dyn BuildReporter,
) -> Result<PathBuf, BuildError> {
    let mut command = cargo_command(cargo);
    let mut child = command.spawn().map_err(|source| BuildError::CargoSpawn {
        service: service.to_string(),
        source,
    })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(BuildError::Internal {
            service: service.to_string(),
            message: "cargo's output pipes were not created".to_string(),
        });
    };

    // stdout: JSON messages, where the binary's path is; stderr: what a person reads.
    let read_artifacts = async {
        let mut executable = None;
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(path) = executable_of(&line, &cargo.bin) {
                executable = Some(path);
            }
        }
        executable
    };
    let read_messages = async {
        let mut tail: Vec<String> = Vec::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tail.len() == QUOTED_LINES {
                tail.remove(0);
            }
            tail.push(line.clone());
            if !line.trim().is_empty() {
                progress.event(BuildEvent::Output {
                    service: service.to_string(),
                    line,
                });
            }
        }
        tail
    };
    let (executable, tail) = tokio::join!(read_artifacts, read_messages);
    let status = child
        .wait()
        .await
        .map_err(|source| BuildError::CargoSpawn {
            service: service.to_string(),
            source,
        })?;
    if !status.success() {
        return Err(BuildError::Cargo {
            service: service.to_string(),
            status: status.to_string(),
            output: errors_of(&tail).join("\n"),
        });
    }
    executable.ok_or_else(|| BuildError::Cargo {
        service: service.to_string(),
        status: format!("no binary `{}` among what it built", cargo.bin),
        output: tail.join("\n"),
    })
}

/// The part of cargo's last lines worth quoting in an error: from its first `error`
/// line on (all of them when there is none), without the `Compiling` noise before it.
fn errors_of(tail: &[String]) -> &[String] {
    match tail.iter().position(|line| line.starts_with("error")) {
        Some(first) => &tail[first..],
        None => tail,
    }
}

/// The executable path of a `compiler-artifact` message for the binary `bin`.
fn executable_of(line: &str, bin: &str) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let target = message.get("target")?;
    let is_bin = target
        .get("kind")?
        .as_array()?
        .iter()
        .any(|k| k.as_str() == Some("bin"));
    if !is_bin || target.get("name")?.as_str()? != bin {
        return None;
    }
    Some(PathBuf::from(message.get("executable")?.as_str()?))
}

/// The root filesystem of the image: `/<bin>` (0755), the extra files at their image
/// paths with their parent directories, and `/tmp` (1777), in a deterministic tar.
fn rootfs_tar(service: &str, cargo: &CargoBuild, binary: &Path) -> Result<Vec<u8>, BuildError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        let service = service.to_string();
        move |source| BuildError::Io {
            service,
            path,
            source,
        }
    };
    let bytes = fs::read(binary).map_err(io_error(binary))?;
    match elf_interpreter(&bytes) {
        Ok(None) => {}
        Ok(Some(interpreter)) => {
            return Err(BuildError::NotStatic {
                service: service.to_string(),
                path: binary.to_path_buf(),
                reason: format!("it needs the dynamic loader `{interpreter}`"),
            })
        }
        Err(problem) => {
            return Err(BuildError::NotStatic {
                service: service.to_string(),
                path: binary.to_path_buf(),
                reason: problem.to_string(),
            })
        }
    }

    // Image path (no leading `/`) -> what goes there; a BTreeMap keeps the tar sorted.
    let mut entries: BTreeMap<String, RootfsEntry> = BTreeMap::new();
    entries.insert("tmp".to_string(), RootfsEntry::Directory(0o1777));
    entries.insert(cargo.bin.clone(), RootfsEntry::Binary);
    for (host, image_path) in &cargo.files {
        collect_host_entries(
            Path::new(host),
            image_path.trim_start_matches('/'),
            &mut entries,
        )
        .map_err(|(path, source)| BuildError::Io {
            service: service.to_string(),
            path,
            source,
        })?;
    }
    for dir in &cargo.data_dirs {
        entries.insert(
            dir.path
                .trim_start_matches('/')
                .trim_end_matches('/')
                .to_string(),
            RootfsEntry::OwnedDirectory {
                mode: 0o755,
                uid: dir.uid,
                gid: dir.gid,
            },
        );
    }
    let parents: Vec<String> = entries
        .keys()
        .flat_map(|path| {
            path.match_indices('/')
                .map(|(i, _)| path[..i].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for parent in parents {
        entries
            .entry(parent)
            .or_insert(RootfsEntry::Directory(0o755));
    }

    let mut builder = tar::Builder::new(Vec::new());
    let write_error = |source| BuildError::Io {
        service: service.to_string(),
        path: PathBuf::from("<root filesystem tar>"),
        source,
    };
    for (path, entry) in &entries {
        match entry {
            RootfsEntry::Directory(mode) => {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(*mode);
                header.set_size(0);
                header.set_mtime(0);
                header.set_uid(0);
                header.set_gid(0);
                builder
                    .append_data(&mut header, path, std::io::empty())
                    .map_err(write_error)?;
            }
            RootfsEntry::OwnedDirectory { mode, uid, gid } => {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(*mode);
                header.set_size(0);
                header.set_mtime(0);
                header.set_uid(u64::from(*uid));
                header.set_gid(u64::from(*gid));
                builder
                    .append_data(&mut header, path, std::io::empty())
                    .map_err(write_error)?;
            }
            RootfsEntry::Binary => {
                let mut header = file_header(bytes.len() as u64, 0o755);
                builder
                    .append_data(&mut header, path, bytes.as_slice())
                    .map_err(write_error)?;
            }
            RootfsEntry::File(host) => {
                let metadata = fs::metadata(host).map_err(io_error(host))?;
                append_file(&mut builder, host, Path::new(path), &metadata).map_err(|err| {
                    BuildError::Io {
                        service: service.to_string(),
                        path: host.clone(),
                        source: std::io::Error::other(err.to_string()),
                    }
                })?;
            }
            RootfsEntry::Symlink(target) => {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                header.set_mtime(0);
                header.set_uid(0);
                header.set_gid(0);
                builder
                    .append_link(&mut header, path, target)
                    .map_err(write_error)?;
            }
        }
    }
    builder.into_inner().map_err(write_error)
}

#[derive(Debug, Clone, PartialEq)]
enum RootfsEntry {
    Directory(u32),
    /// A data directory owned by the service's user (a volume's mount point).
    OwnedDirectory {
        mode: u32,
        uid: u32,
        gid: u32,
    },
    Binary,
    File(PathBuf),
    Symlink(PathBuf),
}

/// Adds `host` (a file, a symlink, or a directory and what it holds) at `image_path`.
fn collect_host_entries(
    host: &Path,
    image_path: &str,
    entries: &mut BTreeMap<String, RootfsEntry>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let error = |source| (host.to_path_buf(), source);
    let metadata = fs::symlink_metadata(host).map_err(error)?;
    if metadata.file_type().is_symlink() {
        let target = fs::read_link(host).map_err(error)?;
        entries.insert(image_path.to_string(), RootfsEntry::Symlink(target));
    } else if metadata.is_dir() {
        entries.insert(
            image_path.to_string(),
            RootfsEntry::Directory(mode_of(&metadata)),
        );
        let mut children = fs::read_dir(host)
            .map_err(error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(error)?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            let child_image_path = format!("{image_path}/{}", child.file_name().to_string_lossy());
            collect_host_entries(&child.path(), &child_image_path, entries)?;
        }
    } else {
        entries.insert(
            image_path.to_string(),
            RootfsEntry::File(host.to_path_buf()),
        );
    }
    Ok(())
}

/// Imports `rootfs` as `image` with `ENTRYPOINT ["/<bin>"]` and `labels`.
async fn import(
    docker: &Docker,
    service: &str,
    image: &str,
    bin: &str,
    labels: &BTreeMap<String, String>,
    rootfs: Vec<u8>,
) -> Result<(), BuildError> {
    let (repository, tag) = split_reference(image);
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repository)
        .tag(tag)
        .changes(import_changes(bin, labels))
        .build();
    let mut stream =
        docker.create_image(Some(options), Some(bollard::body_full(rootfs.into())), None);
    while let Some(item) = stream.next().await {
        if let Err(err) = item {
            use bollard::errors::Error as E;
            let message = match err {
                E::DockerStreamError { error } => error,
                E::DockerResponseServerError { message, .. } => message,
                other => other.to_string(),
            };
            return Err(BuildError::Failed {
                service: service.to_string(),
                step: Some("import the root filesystem".to_string()),
                message: message.trim().to_string(),
            });
        }
    }
    Ok(())
}

/// The Dockerfile instructions applied on import.
fn import_changes(bin: &str, labels: &BTreeMap<String, String>) -> Vec<String> {
    let entrypoint = serde_json::Value::from(vec![format!("/{bin}")]).to_string();
    let mut changes = vec![format!("ENTRYPOINT {entrypoint}")];
    if !labels.is_empty() {
        let pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{}={}", quote(k, '\\'), quote(v, '\\')))
            .collect();
        changes.push(format!("LABEL {}", pairs.join(" ")));
    }
    changes
}

/// `name[:tag]` -> (`name`, `tag`); the tag is `latest` when absent. A `:` before the
/// last `/` belongs to a registry's port, not to a tag.
pub fn split_reference(image: &str) -> (&str, &str) {
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].rfind(':') {
        Some(i) => (&image[..name_start + i], &image[name_start + i + 1..]),
        None => (image, "latest"),
    }
}

/// Why a file cannot be checked as a static ELF binary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElfProblem {
    #[error("it is not an ELF binary")]
    NotElf,
    #[error("its ELF headers are cut short")]
    Truncated,
}

/// The dynamic loader an ELF binary asks for (its `PT_INTERP`), or `None` for a static
/// binary (static-pie included).
pub fn elf_interpreter(bytes: &[u8]) -> Result<Option<String>, ElfProblem> {
    const PT_INTERP: u32 = 3;
    if bytes.get(..4) != Some(b"\x7fELF".as_slice()) {
        return Err(ElfProblem::NotElf);
    }
    let wide = match bytes.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err(ElfProblem::NotElf),
    };
    let little = match bytes.get(5) {
        Some(1) => true,
        Some(2) => false,
        _ => return Err(ElfProblem::NotElf),
    };
    let read = |offset: usize, size: usize| -> Result<u64, ElfProblem> {
        let field = bytes
            .get(offset..offset + size)
            .ok_or(ElfProblem::Truncated)?;
        let mut value = 0u64;
        for i in 0..size {
            let byte = if little {
                field[size - 1 - i]
            } else {
                field[i]
            };
            value = (value << 8) | u64::from(byte);
        }
        Ok(value)
    };
    let as_index = |value: u64| usize::try_from(value).map_err(|_| ElfProblem::Truncated);
    let (phoff, phentsize, phnum) = if wide {
        (read(0x20, 8)?, read(0x36, 2)?, read(0x38, 2)?)
    } else {
        (read(0x1c, 4)?, read(0x2a, 2)?, read(0x2c, 2)?)
    };
    for index in 0..phnum {
        let header = as_index(phoff + index * phentsize)?;
        if read(header, 4)? != u64::from(PT_INTERP) {
            continue;
        }
        let (offset, size) = if wide {
            (read(header + 0x08, 8)?, read(header + 0x20, 8)?)
        } else {
            (read(header + 0x04, 4)?, read(header + 0x10, 4)?)
        };
        let start = as_index(offset)?;
        let end = start
            .checked_add(as_index(size)?)
            .ok_or(ElfProblem::Truncated)?;
        let path = bytes.get(start..end).ok_or(ElfProblem::Truncated)?;
        let path = String::from_utf8_lossy(path)
            .trim_end_matches('\0')
            .to_string();
        return Ok(Some(path));
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_workspace_is_hashed_once_per_session() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        let workspaces = WorkspaceDigests::default();
        let first = workspaces.get("a", dir.path()).await.unwrap();
        fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        // The same session keeps the first answer; a new one sees the change.
        assert_eq!(workspaces.get("b", dir.path()).await.unwrap(), first);
        let fresh = WorkspaceDigests::default();
        assert_ne!(fresh.get("a", dir.path()).await.unwrap(), first);
    }

    #[test]
    fn cargo_failures_quote_from_the_first_error() {
        let tail: Vec<String> = [
            "   Compiling x v0.1.0",
            "error[E0308]: mismatched types",
            " --> src/main.rs:1:26",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(errors_of(&tail), &tail[1..]);
        let no_error = vec!["warning: x".to_string()];
        assert_eq!(errors_of(&no_error), no_error.as_slice());
    }

    #[test]
    fn references_split_into_repository_and_tag() {
        assert_eq!(split_reference("demo-web"), ("demo-web", "latest"));
        assert_eq!(split_reference("shop/orders:1.2"), ("shop/orders", "1.2"));
        assert_eq!(
            split_reference("localhost:5000/orders"),
            ("localhost:5000/orders", "latest")
        );
        assert_eq!(
            split_reference("localhost:5000/orders:dev"),
            ("localhost:5000/orders", "dev")
        );
    }

    #[test]
    fn import_changes_set_the_entrypoint_and_quoted_labels() {
        let labels = BTreeMap::from([
            ("io.msctl.service".to_string(), "web".to_string()),
            ("odd".to_string(), "say \"hi\" \\o/ $HOME".to_string()),
        ]);
        assert_eq!(
            import_changes("hello", &labels),
            vec![
                "ENTRYPOINT [\"/hello\"]".to_string(),
                "LABEL \"io.msctl.service\"=\"web\" \"odd\"=\"say \\\"hi\\\" \\\\o/ \\$HOME\""
                    .to_string(),
            ]
        );
    }

    #[test]
    fn static_binaries_have_no_interpreter() {
        // Debian's busybox-static, which the e2e tests use too, is static; this test
        // binary, built by cargo without crt-static, is dynamic.
        let busybox = fs::read("/bin/busybox").unwrap();
        assert_eq!(elf_interpreter(&busybox), Ok(None));
        let me = fs::read(std::env::current_exe().unwrap()).unwrap();
        let interpreter = elf_interpreter(&me).unwrap();
        assert!(
            interpreter
                .as_deref()
                .is_some_and(|i| i.contains("ld-linux")),
            "{interpreter:?}"
        );
    }

    #[test]
    fn non_elf_files_are_refused() {
        assert_eq!(elf_interpreter(b"#!/bin/sh\n"), Err(ElfProblem::NotElf));
        assert_eq!(
            elf_interpreter(b"\x7fELF\x02\x01"),
            Err(ElfProblem::Truncated)
        );
    }

    #[test]
    fn cargo_messages_give_the_binary_path() {
        let line = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"hello"},"executable":"/ws/target/msctl/x86_64-unknown-linux-gnu/release/hello"}"#;
        assert_eq!(
            executable_of(line, "hello"),
            Some(PathBuf::from(
                "/ws/target/msctl/x86_64-unknown-linux-gnu/release/hello"
            ))
        );
        assert_eq!(executable_of(line, "other"), None);
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"hello"},"executable":null}"#;
        assert_eq!(executable_of(lib, "hello"), None);
        assert_eq!(executable_of("   Compiling hello", "hello"), None);
    }

    #[test]
    fn the_rootfs_holds_the_binary_the_files_and_their_parents() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::copy("/bin/busybox", d.join("bin")).unwrap();
        fs::write(d.join("app.toml"), "a = 1\n").unwrap();
        fs::create_dir_all(d.join("static/css")).unwrap();
        fs::write(d.join("static/css/site.css"), "body{}").unwrap();
        let cargo = CargoBuild {
            workspace: d.to_path_buf(),
            package: "hello".to_string(),
            bin: "hello".to_string(),
            profile: "release".to_string(),
            features: Vec::new(),
            files: BTreeMap::from([
                (
                    d.join("app.toml").display().to_string(),
                    "/etc/app/app.toml".to_string(),
                ),
                (
                    d.join("static").display().to_string(),
                    "/srv/static".to_string(),
                ),
            ]),
            data_dirs: Vec::new(),
        };
        let tar_bytes = rootfs_tar("web", &cargo, &d.join("bin")).unwrap();
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let listed: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        let paths: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "etc",
                "etc/app",
                "etc/app/app.toml",
                "hello",
                "srv",
                "srv/static",
                "srv/static/css",
                "srv/static/css/site.css",
                "tmp",
            ]
        );
        assert!(listed.contains(&("hello".to_string(), 0o755)));
        assert!(listed.contains(&("tmp".to_string(), 0o1777)));
        // Deterministic: the same inputs give the same bytes.
        assert_eq!(
            tar_bytes,
            rootfs_tar("web", &cargo, &d.join("bin")).unwrap()
        );
    }

    #[test]
    fn a_dynamic_binary_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let cargo = CargoBuild {
            workspace: dir.path().to_path_buf(),
            package: "x".to_string(),
            bin: "x".to_string(),
            profile: "release".to_string(),
            features: Vec::new(),
            files: BTreeMap::new(),
            data_dirs: Vec::new(),
        };
        let me = std::env::current_exe().unwrap();
        let err = rootfs_tar("web", &cargo, &me)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("is not statically linked"), "{err}");
        assert!(err.contains("ld-linux"), "{err}");
    }

    #[test]
    fn volume_mount_points_are_owned_by_the_service_user() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let me = std::env::current_exe().unwrap();
        let static_bin = d.join("bin");
        // Any static ELF will do; fall back to the test binary's bytes only if static.
        let busybox = std::path::Path::new("/bin/busybox");
        std::fs::copy(
            if busybox.exists() {
                busybox
            } else {
                me.as_path()
            },
            &static_bin,
        )
        .unwrap();
        let cargo = CargoBuild {
            workspace: d.to_path_buf(),
            package: "hello".to_string(),
            bin: "hello".to_string(),
            profile: "release".to_string(),
            features: Vec::new(),
            files: BTreeMap::new(),
            data_dirs: vec![crate::manifest::model::DataDir {
                path: "/var/lib/data".to_string(),
                uid: 10001,
                gid: 10002,
            }],
        };
        let tar_bytes = rootfs_tar("web", &cargo, &static_bin).unwrap();
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let owners: Vec<(String, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.uid().unwrap(),
                    h.gid().unwrap(),
                )
            })
            .collect();
        assert!(
            owners.contains(&("var/lib/data".to_string(), 10001, 10002)),
            "{owners:?}"
        );
        assert!(
            owners.contains(&("var/lib".to_string(), 0, 0)),
            "{owners:?}"
        );
    }
}

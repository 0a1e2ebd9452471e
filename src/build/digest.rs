//! Digests of everything a build reads, so an unchanged service is never rebuilt.
//!
//! An image msctl builds carries [`crate::plan::labels::BUILD_DIGEST`]; `up` recomputes
//! the digest and skips the build when the image under the service's name carries the
//! same one. A digest covers the inputs, not the output: the context tar (or, for
//! cargo, the workspace's files), the Dockerfile's name, build args, target, labels and
//! [`SCHEME`], which changes whenever msctl changes how it turns inputs into images.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::manifest::model::{Build, CargoBuild};

/// Bumped when the same inputs would give a different image (a new rootfs layout, ...).
pub const SCHEME: &str = "msctl-build-v1";

/// Directory names never hashed in a cargo workspace: VCS data and build output.
const SKIPPED_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj"];

#[derive(Debug, thiserror::Error)]
#[error("cannot read `{}`", path.display())]
pub struct DigestError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// A canonical, line-based description of inputs, hashed into a `sha256:` digest.
#[derive(Debug, Default)]
struct Description {
    text: String,
}

impl Description {
    fn new(kind: &str) -> Description {
        let mut description = Description::default();
        description.field("scheme", SCHEME);
        description.field("kind", kind);
        description
    }

    /// One `key=value` line; values are JSON strings so no value can forge a line.
    fn field(&mut self, key: &str, value: &str) {
        self.text.push_str(key);
        self.text.push('=');
        self.text
            .push_str(&serde_json::Value::String(value.to_string()).to_string());
        self.text.push('\n');
    }

    fn optional(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.field(key, value),
            None => {
                self.text.push_str(key);
                self.text.push_str("=null\n");
            }
        }
    }

    fn map(&mut self, key: &str, map: &BTreeMap<String, String>) {
        for (k, v) in map {
            self.field(&format!("{key}.{}", json(k)), v);
        }
    }

    fn digest(&self) -> String {
        format!("sha256:{:x}", Sha256::digest(self.text.as_bytes()))
    }
}

fn json(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// The digest of a Dockerfile build: the context tar's digest ([`super::context`]), the
/// Dockerfile's name in it, and the build's args, target and labels.
pub fn dockerfile_digest(
    context_digest: &str,
    dockerfile_in_context: &str,
    build: &Build,
) -> String {
    let mut description = Description::new("dockerfile");
    description.field("context", context_digest);
    description.field("dockerfile", dockerfile_in_context);
    for (key, value) in &build.args {
        description.optional(&format!("arg.{}", json(key)), value.as_deref());
    }
    description.optional("target", build.target.as_deref());
    description.map("label", &build.labels);
    description.digest()
}

/// The digest of a cargo build: the workspace's files (`workspace_digest`, from
/// [`workspace_digest`]), the extra files and where they go, and the cargo options.
pub fn cargo_digest(
    workspace_digest: &str,
    cargo: &CargoBuild,
    user_labels: &BTreeMap<String, String>,
) -> Result<String, DigestError> {
    let mut description = Description::new("cargo");
    description.field("workspace", workspace_digest);
    description.field("package", &cargo.package);
    description.field("bin", &cargo.bin);
    description.field("profile", &cargo.profile);
    description.field("features", &cargo.features.join(","));
    description.field("target", super::cargo::TARGET_TRIPLE);
    description.field("rustflags", super::cargo::RUSTFLAGS);
    for (host, image_path) in &cargo.files {
        let mut hasher = Sha256::new();
        hash_tree(Path::new(host), "", &mut hasher, &|_| false)?;
        description.field(
            &format!("file.{}", json(image_path)),
            &format!("{:x}", hasher.finalize()),
        );
    }
    for dir in &cargo.data_dirs {
        description.field(
            &format!("dir.{}", json(&dir.path)),
            &format!("{}:{}", dir.uid, dir.gid),
        );
    }
    description.map("label", user_labels);
    Ok(description.digest())
}

/// The sha256 of every file under `workspace` that can change what cargo builds: all of
/// them except VCS data and build output (directories holding a `CACHEDIR.TAG`, as cargo's
/// target directories do, and `<workspace>/target`).
pub fn workspace_digest(workspace: &Path) -> Result<String, DigestError> {
    let default_target = workspace.join("target");
    let mut hasher = Sha256::new();
    hash_tree(workspace, "", &mut hasher, &|dir: &Path| {
        dir == default_target
            || dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| SKIPPED_DIRS.contains(&n))
            || dir.join("CACHEDIR.TAG").is_file()
    })?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Hashes a file, or a directory recursively in lexical order: each entry's relative
/// path, kind, executable bit and contents (a symlink's target, not what it points to).
fn hash_tree(
    path: &Path,
    relative: &str,
    hasher: &mut Sha256,
    skip_dir: &dyn Fn(&Path) -> bool,
) -> Result<(), DigestError> {
    let read_error = |source| DigestError {
        path: path.to_path_buf(),
        source,
    };
    let metadata = fs::symlink_metadata(path).map_err(read_error)?;
    let file_type = metadata.file_type();
    if file_type.is_symlink() {
        let target = fs::read_link(path).map_err(read_error)?;
        record(hasher, 'l', relative, &target.to_string_lossy());
    } else if file_type.is_dir() {
        if skip_dir(path) {
            return Ok(());
        }
        record(hasher, 'd', relative, "");
        let mut entries = fs::read_dir(path)
            .map_err(read_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(read_error)?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let name = entry.file_name();
            let child = if relative.is_empty() {
                name.to_string_lossy().into_owned()
            } else {
                format!("{relative}/{}", name.to_string_lossy())
            };
            hash_tree(&entry.path(), &child, hasher, skip_dir)?;
        }
    } else if file_type.is_file() {
        let executable = super::context::mode_of(&metadata) & 0o111 != 0;
        record(
            hasher,
            if executable { 'x' } else { 'f' },
            relative,
            &metadata.len().to_string(),
        );
        let mut file = fs::File::open(path).map_err(read_error)?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buffer).map_err(read_error)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
    }
    Ok(())
}

/// One entry's header in the hash: unambiguous because each part is length-prefixed.
fn record(hasher: &mut Sha256, kind: char, relative: &str, extra: &str) {
    hasher.update([kind as u8]);
    hasher.update((relative.len() as u64).to_le_bytes());
    hasher.update(relative.as_bytes());
    hasher.update((extra.len() as u64).to_le_bytes());
    hasher.update(extra.as_bytes());
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    fn write(dir: &Path, path: &str, text: &str) {
        let full = dir.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, text).unwrap();
    }

    fn digest_of(
        cargo: &CargoBuild,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, DigestError> {
        cargo_digest(&workspace_digest(&cargo.workspace)?, cargo, labels)
    }

    fn cargo(workspace: &Path) -> CargoBuild {
        CargoBuild {
            workspace: workspace.to_path_buf(),
            package: "hello".to_string(),
            bin: "hello".to_string(),
            profile: "release".to_string(),
            features: Vec::new(),
            files: BTreeMap::new(),
            data_dirs: Vec::new(),
        }
    }

    #[test]
    fn dockerfile_digest_changes_with_each_input() {
        let build = Build {
            context: PathBuf::from("/ctx"),
            dockerfile: None,
            args: BTreeMap::from([("A".to_string(), Some("1".to_string()))]),
            target: None,
            labels: BTreeMap::new(),
            dockerfile_inline: None,
        };
        let base = dockerfile_digest("sha256:aa", "Dockerfile", &build);
        assert_eq!(base, dockerfile_digest("sha256:aa", "Dockerfile", &build));
        assert_ne!(base, dockerfile_digest("sha256:bb", "Dockerfile", &build));
        assert_ne!(base, dockerfile_digest("sha256:aa", "other", &build));
        let mut changed = build.clone();
        changed.args.insert("A".to_string(), Some("2".to_string()));
        assert_ne!(base, dockerfile_digest("sha256:aa", "Dockerfile", &changed));
        let mut unset = build.clone();
        unset.args.insert("A".to_string(), None);
        assert_ne!(base, dockerfile_digest("sha256:aa", "Dockerfile", &unset));
        let mut target = build.clone();
        target.target = Some("final".to_string());
        assert_ne!(base, dockerfile_digest("sha256:aa", "Dockerfile", &target));
        let mut labelled = build.clone();
        labelled
            .labels
            .insert("team".to_string(), "shop".to_string());
        assert_ne!(
            base,
            dockerfile_digest("sha256:aa", "Dockerfile", &labelled)
        );
        // The context path itself is not an input: moving the project keeps the image.
        let mut moved = build;
        moved.context = PathBuf::from("/elsewhere");
        assert_eq!(base, dockerfile_digest("sha256:aa", "Dockerfile", &moved));
    }

    #[test]
    fn cargo_digest_follows_sources_but_not_build_output() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Cargo.toml", "[workspace]\n");
        write(d, "src/main.rs", "fn main() {}\n");
        write(d, "fuzz/Cargo.toml", "[workspace]\n");
        let labels = BTreeMap::new();
        let first = digest_of(&cargo(d), &labels).unwrap();
        assert_eq!(first, digest_of(&cargo(d), &labels).unwrap());

        // Build output and VCS data are not inputs.
        write(d, "target/release/hello", "binary");
        write(
            d,
            "fuzz/target/CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55",
        );
        write(d, "fuzz/target/debug/x", "x");
        write(d, ".git/HEAD", "ref: refs/heads/main");
        assert_eq!(first, digest_of(&cargo(d), &labels).unwrap());

        write(d, "src/main.rs", "fn main() { println!(\"hi\"); }\n");
        let edited = digest_of(&cargo(d), &labels).unwrap();
        assert_ne!(first, edited);
        write(d, "src/extra.rs", "");
        assert_ne!(edited, digest_of(&cargo(d), &labels).unwrap());

        let mut with_feature = cargo(d);
        with_feature.features.push("fast".to_string());
        assert_ne!(
            digest_of(&cargo(d), &labels).unwrap(),
            digest_of(&with_feature, &labels).unwrap()
        );
    }

    #[test]
    fn cargo_digest_covers_extra_files_and_where_they_go() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "ws/Cargo.toml", "[workspace]\n");
        write(d, "conf/app.toml", "a = 1\n");
        let host = d.join("conf/app.toml").display().to_string();
        let mut build = cargo(&d.join("ws"));
        build
            .files
            .insert(host.clone(), "/etc/app.toml".to_string());
        let labels = BTreeMap::new();
        let first = digest_of(&build, &labels).unwrap();
        write(d, "conf/app.toml", "a = 2\n");
        let edited = digest_of(&build, &labels).unwrap();
        assert_ne!(first, edited);
        build.files.insert(host, "/etc/other.toml".to_string());
        assert_ne!(edited, digest_of(&build, &labels).unwrap());
    }

    #[test]
    fn a_missing_extra_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "Cargo.toml", "[workspace]\n");
        let mut build = cargo(dir.path());
        build
            .files
            .insert("/nonexistent/msctl/file".to_string(), "/f".to_string());
        let err = digest_of(&build, &BTreeMap::new())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("cannot read `/nonexistent/msctl/file`")
        );
    }
}

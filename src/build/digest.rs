//! Digests of everything a build reads, so an unchanged service is never rebuilt.
//!
//! An image msctl builds carries [`crate::plan::labels::BUILD_DIGEST`]; `up` recomputes
//! the digest and skips the build when the image under the service's name carries the
//! same one. A digest covers the inputs, not the output: the context tar (or, for
//! cargo, the files the package builds from: [`package_digest`]), the Dockerfile's
//! name, build args, target, labels and [`SCHEME`], which changes whenever msctl
//! changes how it turns inputs into images.

use std::collections::{BTreeMap, BTreeSet};
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

/// The digest of a cargo build: the package's files (`workspace_digest`, from
/// [`package_digest`]), the extra files and where they go, and the cargo options.
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

/// Files of a workspace's root that every package's build reads.
const WORKSPACE_FILES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
    ".cargo",
];

/// The sha256 of what cargo reads to build `package` of `workspace`: the workspace's
/// manifest, lock file, toolchain file and `.cargo` config, and the directories of the
/// package and of the path dependencies it builds with (normal and build, transitively),
/// so that a change to one service's sources changes only its digest. When cargo cannot
/// describe the workspace, the whole workspace ([`workspace_digest`]).
pub fn package_digest(workspace: &Path, package: &str) -> Result<String, DigestError> {
    let Some(dirs) = cargo_metadata(workspace).and_then(|m| package_dirs(&m, package)) else {
        return workspace_digest(workspace);
    };
    let default_target = workspace.join("target");
    let skip = |dir: &Path| {
        dir == default_target
            || dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| SKIPPED_DIRS.contains(&n))
            || dir.join("CACHEDIR.TAG").is_file()
    };
    let mut hasher = Sha256::new();
    record(&mut hasher, 'p', package, "");
    for name in WORKSPACE_FILES {
        let path = workspace.join(name);
        if fs::symlink_metadata(&path).is_ok() {
            hash_tree(&path, name, &mut hasher, &skip)?;
        }
    }
    for dir in dirs {
        let relative = match dir.strip_prefix(workspace) {
            Ok(inside) => inside.to_string_lossy().into_owned(),
            Err(_) => dir.to_string_lossy().into_owned(),
        };
        hash_tree(&dir, &relative, &mut hasher, &skip)?;
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// `cargo metadata --no-deps` of `workspace`, or `None` when cargo cannot give it.
fn cargo_metadata(workspace: &Path) -> Option<serde_json::Value> {
    let output = std::process::Command::new("cargo")
        .current_dir(workspace)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
            "--color",
            "never",
        ])
        .env_remove("CARGO_TARGET_DIR")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

/// The directories of `package` and of the workspace's path dependencies it builds with,
/// from `cargo metadata`'s JSON; `None` when the package is not there.
pub fn package_dirs(metadata: &serde_json::Value, package: &str) -> Option<BTreeSet<PathBuf>> {
    let packages = metadata.get("packages")?.as_array()?;
    let dir_of = |manifest: &str| Path::new(manifest).parent().map(Path::to_path_buf);
    let by_name: BTreeMap<&str, &serde_json::Value> = packages
        .iter()
        .filter_map(|p| Some((p.get("name")?.as_str()?, p)))
        .collect();
    let mut dirs = BTreeSet::new();
    let mut pending = vec![*by_name.get(package)?];
    let mut seen = BTreeSet::new();
    while let Some(current) = pending.pop() {
        let Some(name) = current.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        if !seen.insert(name.to_string()) {
            continue;
        }
        dirs.insert(dir_of(current.get("manifest_path")?.as_str()?)?);
        for dependency in current
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
        {
            // Dev-dependencies do not go into a binary.
            if dependency.get("kind").and_then(|k| k.as_str()) == Some("dev") {
                continue;
            }
            let Some(path) = dependency.get("path").and_then(|p| p.as_str()) else {
                continue;
            };
            let dependency_name = dependency.get("name").and_then(|n| n.as_str());
            match dependency_name.and_then(|n| by_name.get(n)) {
                Some(member) => pending.push(member),
                // A path dependency outside the workspace: its directory as it is.
                None => {
                    dirs.insert(PathBuf::from(path));
                }
            }
        }
    }
    Some(dirs)
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
    fn a_package_depends_on_its_own_and_its_path_dependencies_directories_only() {
        let metadata = serde_json::json!({"packages": [
            {"name": "orders", "manifest_path": "/w/services/orders/Cargo.toml", "dependencies": [
                {"name": "common", "path": "/w/services/common", "kind": null},
                {"name": "products", "path": "/w/services/products", "kind": "dev"},
                {"name": "serde", "kind": null}
            ]},
            {"name": "common", "manifest_path": "/w/services/common/Cargo.toml", "dependencies": []},
            {"name": "products", "manifest_path": "/w/services/products/Cargo.toml", "dependencies": [
                {"name": "common", "path": "/w/services/common", "kind": null}
            ]}
        ]});
        let dirs = package_dirs(&metadata, "orders").unwrap();
        assert_eq!(
            dirs,
            BTreeSet::from([
                PathBuf::from("/w/services/common"),
                PathBuf::from("/w/services/orders")
            ])
        );
        assert!(package_dirs(&metadata, "nope").is_none());
    }

    #[test]
    fn a_change_to_one_package_leaves_the_other_packages_digest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        write(
            &dir,
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
        );
        for name in ["a", "b"] {
            write(
                &dir,
                &format!("{name}/Cargo.toml"),
                &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
            );
            write(&dir, &format!("{name}/src/main.rs"), "fn main() {}\n");
        }
        let a = package_digest(&dir, "a").unwrap();
        let b = package_digest(&dir, "b").unwrap();
        assert_ne!(a, b);
        write(&dir, "a/src/main.rs", "fn main() { println!(); }\n");
        assert_ne!(package_digest(&dir, "a").unwrap(), a);
        assert_eq!(package_digest(&dir, "b").unwrap(), b);
        write(
            &dir,
            "Cargo.toml",
            "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n# x\n",
        );
        assert_ne!(package_digest(&dir, "b").unwrap(), b);
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

//! A Dockerfile build context as the tar stream the engine receives.
//!
//! The context directory is walked in lexical order, as Docker's client walks it, leaving
//! out what `.dockerignore` excludes ([`super::ignore`]). The Dockerfile and
//! `.dockerignore` are always sent, even when a rule excludes them. Symlinks stay
//! symlinks and permission bits are kept; owners are root and every mtime is zero, so the
//! same files always give the same bytes and the same digest ([`context_digest`]).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::ignore::{self, IgnoreError, IgnoreRules};

/// The name of the Dockerfile msctl sends to the engine (and, in the digested tar, of a
/// Dockerfile from outside the context or written inline in the manifest). Listed in the
/// sent `.dockerignore`, so the engine leaves it out of what `COPY` sees, as the docker
/// CLI does with a Dockerfile from stdin. A file of the context with this name is never
/// sent: the name is msctl's.
pub const SENT_DOCKERFILE_NAME: &str = ".dockerfile.msctl";

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("cannot read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{}` is not usable", path.display())]
    Ignore {
        path: PathBuf,
        #[source]
        source: IgnoreError,
    },
    #[error("no Dockerfile `{}` in the build context `{}`", dockerfile.display(), context.display())]
    NoDockerfile {
        context: PathBuf,
        dockerfile: PathBuf,
    },
    #[error("`{}` changed while it was being read", path.display())]
    Changed { path: PathBuf },
    #[error("cannot write the build context")]
    Write(#[source] io::Error),
}

impl ContextError {
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ContextError::NoDockerfile { .. } => Some(
                "`build.dockerfile` is relative to the build context; create the file or fix the path",
            ),
            ContextError::Ignore { .. } => Some(
                "`.dockerignore` patterns are Go filepath.Match patterns; escape `[`, `-`, `]` and `\\` with `\\`",
            ),
            ContextError::Changed { .. } => Some("run the build again once files stop changing"),
            _ => None,
        }
    }
}

/// Where the context is and which Dockerfile it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextSource {
    pub directory: PathBuf,
    /// `build.dockerfile`: relative to the context, or absolute; `Dockerfile` when unset.
    pub dockerfile: Option<String>,
    /// `build.dockerfile_inline`: the Dockerfile's text, which wins over `dockerfile`.
    /// It goes into the tar as [`SENT_DOCKERFILE_NAME`], so its text is part of the
    /// context's digest.
    pub inline_dockerfile: Option<String>,
}

/// A context ready to send: the tar, its sha256 and the Dockerfile's name inside it.
#[derive(Debug, Clone)]
pub struct BuildContext {
    pub tar: Vec<u8>,
    /// `sha256:<hex>` of `tar`.
    pub digest: String,
    /// The Dockerfile's path in the tar, `/`-separated, for the build's `dockerfile` option.
    pub dockerfile: String,
}

/// The tar of `source`, in memory, with its digest.
pub fn context_tar(source: &ContextSource) -> Result<BuildContext, ContextError> {
    let mut tar = Vec::new();
    let dockerfile = write_context(source, &mut tar)?;
    let digest = format!("sha256:{:x}", Sha256::digest(&tar));
    Ok(BuildContext {
        tar,
        digest,
        dockerfile,
    })
}

/// What [`context_tar`] would give, without keeping the tar in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextDigest {
    /// `sha256:<hex>` of the tar.
    pub digest: String,
    /// The Dockerfile's path in the tar.
    pub dockerfile: String,
}

/// The digest [`context_tar`] would give, streaming the tar through the hash.
pub fn context_digest(source: &ContextSource) -> Result<ContextDigest, ContextError> {
    let mut hasher = HashWriter(Sha256::new());
    let dockerfile = write_context(source, &mut hasher)?;
    Ok(ContextDigest {
        digest: format!("sha256:{:x}", hasher.0.finalize()),
        dockerfile,
    })
}

struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The tar to send to the engine: the context as [`context_tar`] made it, with
/// `dockerfile_text` as [`SENT_DOCKERFILE_NAME`] and that name appended to
/// `.dockerignore` (created, listing itself, when there is none) so the engine removes
/// both from the context before the build, as it does for the docker CLI.
pub fn engine_tar(context_tar: &[u8], dockerfile_text: &str) -> Result<Vec<u8>, ContextError> {
    let mut archive = tar::Archive::new(context_tar);
    let mut builder = tar::Builder::new(Vec::new());
    let mut dockerignore: Option<(tar::Header, Vec<u8>)> = None;
    for entry in archive.entries().map_err(ContextError::Write)? {
        let mut entry = entry.map_err(ContextError::Write)?;
        let path = entry.path().map_err(ContextError::Write)?.into_owned();
        let mut header = entry.header().clone();
        if path == Path::new(".dockerignore") {
            let mut contents = Vec::new();
            entry
                .read_to_end(&mut contents)
                .map_err(ContextError::Write)?;
            dockerignore = Some((header, contents));
            continue;
        }
        if path == Path::new(SENT_DOCKERFILE_NAME) {
            continue;
        }
        match entry.link_name().map_err(ContextError::Write)? {
            Some(target) if header.entry_type().is_symlink() => {
                let target = target.into_owned();
                builder.append_link(&mut header, &path, &target)
            }
            _ => builder.append_data(&mut header, &path, &mut entry),
        }
        .map_err(ContextError::Write)?;
    }
    let (mut header, mut contents) =
        dockerignore.unwrap_or_else(|| (file_header(0, 0o644), b".dockerignore".to_vec()));
    contents.extend_from_slice(format!("\n{SENT_DOCKERFILE_NAME}\n").as_bytes());
    header.set_size(contents.len() as u64);
    builder
        .append_data(&mut header, ".dockerignore", contents.as_slice())
        .map_err(ContextError::Write)?;
    let mut header = file_header(dockerfile_text.len() as u64, 0o644);
    builder
        .append_data(
            &mut header,
            SENT_DOCKERFILE_NAME,
            dockerfile_text.as_bytes(),
        )
        .map_err(ContextError::Write)?;
    builder.into_inner().map_err(ContextError::Write)
}

/// The rules of `<directory>/.dockerignore` (none when it does not exist).
pub fn read_ignore_rules(directory: &Path) -> Result<IgnoreRules, ContextError> {
    let path = directory.join(".dockerignore");
    match fs::read(&path) {
        Ok(bytes) => IgnoreRules::parse(&String::from_utf8_lossy(&bytes))
            .map_err(|source| ContextError::Ignore { path, source }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(IgnoreRules::default()),
        Err(source) => Err(ContextError::Read { path, source }),
    }
}

/// Writes the context of `source` as a tar to `out`; returns the Dockerfile's name in it.
pub fn write_context<W: Write>(source: &ContextSource, out: W) -> Result<String, ContextError> {
    let directory = &source.directory;
    let (inside_name, outside_path) = match &source.inline_dockerfile {
        Some(_) => (None, None),
        None => locate_dockerfile(source)?,
    };
    let mut rules = read_ignore_rules(directory)?;
    if inside_name.is_none() {
        // msctl puts its own file under this name below: one from the context would
        // shadow it.
        rules
            .push(SENT_DOCKERFILE_NAME, false, 0)
            .map_err(|source| ContextError::Ignore {
                path: directory.join(".dockerignore"),
                source,
            })?;
    }
    // Docker's client keeps these two whatever the rules say.
    let mut always = vec![".dockerignore".to_string()];
    always.extend(inside_name.clone());
    for name in always {
        if rules.is_excluded(&name) {
            rules
                .push(&name, true, 0)
                .map_err(|source| ContextError::Ignore {
                    path: directory.join(".dockerignore"),
                    source,
                })?;
        }
    }

    let mut builder = tar::Builder::new(out);
    walk(&mut builder, directory, "", &rules)?;
    let added = match (&source.inline_dockerfile, outside_path) {
        (Some(text), _) => Some(text.as_bytes().to_vec()),
        (None, Some(path)) => Some(fs::read(&path).map_err(|source| ContextError::Read {
            path: path.clone(),
            source,
        })?),
        (None, None) => None,
    };
    let name = match added {
        Some(bytes) => {
            let mut header = file_header(bytes.len() as u64, 0o644);
            builder
                .append_data(&mut header, SENT_DOCKERFILE_NAME, bytes.as_slice())
                .map_err(ContextError::Write)?;
            SENT_DOCKERFILE_NAME.to_string()
        }
        None => inside_name.unwrap_or_else(|| "Dockerfile".to_string()),
    };
    builder.into_inner().map_err(ContextError::Write)?;
    Ok(name)
}

/// The Dockerfile as a path inside the context (`/`-separated), or, for one outside it,
/// its host path.
fn locate_dockerfile(
    source: &ContextSource,
) -> Result<(Option<String>, Option<PathBuf>), ContextError> {
    let directory = &source.directory;
    let written = match &source.dockerfile {
        Some(name) => name.clone(),
        // Docker's client falls back to `dockerfile` when `Dockerfile` is missing.
        None if !directory.join("Dockerfile").exists()
            && directory.join("dockerfile").is_file() =>
        {
            "dockerfile".to_string()
        }
        None => "Dockerfile".to_string(),
    };
    let host_path = directory.join(&written);
    if !host_path.is_file() {
        return Err(ContextError::NoDockerfile {
            context: directory.clone(),
            dockerfile: PathBuf::from(written),
        });
    }
    let relative = if Path::new(&written).is_absolute() {
        host_path
            .strip_prefix(directory)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    } else {
        Some(written.replace('\\', "/"))
    };
    match relative.map(|r| ignore::clean(&r)) {
        Some(inside) if inside != ".." && !inside.starts_with("../") && inside != "." => {
            Ok((Some(inside), None))
        }
        _ => Ok((None, Some(host_path))),
    }
}

fn walk<W: Write>(
    builder: &mut tar::Builder<W>,
    directory: &Path,
    prefix: &str,
    rules: &IgnoreRules,
) -> Result<(), ContextError> {
    let read_error = |source| ContextError::Read {
        path: directory.to_path_buf(),
        source,
    };
    let mut entries = fs::read_dir(directory)
        .map_err(read_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let file_name = entry.file_name();
        let relative = format!("{prefix}{}", file_name.to_string_lossy());
        let path = entry.path();
        let metadata = fs::symlink_metadata(&path).map_err(|source| ContextError::Read {
            path: path.clone(),
            source,
        })?;
        let file_type = metadata.file_type();
        if rules.is_excluded(&relative) {
            // Docker still walks an excluded directory when an exception names something
            // in it; the directory itself is not sent.
            if file_type.is_dir() && rules.may_reinclude_under(&relative) {
                walk(builder, &path, &format!("{relative}/"), rules)?;
            }
            continue;
        }
        let tar_path = tar_path(prefix, &file_name);
        if file_type.is_dir() {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Directory);
            set_common(&mut header, mode_of(&metadata), 0);
            builder
                .append_data(&mut header, &tar_path, io::empty())
                .map_err(ContextError::Write)?;
            walk(builder, &path, &format!("{relative}/"), rules)?;
        } else if file_type.is_symlink() {
            let target = fs::read_link(&path).map_err(|source| ContextError::Read {
                path: path.clone(),
                source,
            })?;
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            set_common(&mut header, 0o777, 0);
            builder
                .append_link(&mut header, &tar_path, &target)
                .map_err(ContextError::Write)?;
        } else if file_type.is_file() {
            append_file(builder, &path, &tar_path, &metadata)?;
        } else {
            tracing::debug!(path = %path.display(), "build context: skipping a special file");
        }
    }
    Ok(())
}

/// Appends a regular file, failing if its size changes while it is read (a tar whose
/// header disagrees with its data would be corrupt).
pub(crate) fn append_file<W: Write>(
    builder: &mut tar::Builder<W>,
    path: &Path,
    tar_path: &Path,
    metadata: &fs::Metadata,
) -> Result<(), ContextError> {
    let size = metadata.len();
    let file = File::open(path).map_err(|source| ContextError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut counting = CountingReader {
        inner: file.take(size),
        count: 0,
    };
    let mut header = file_header(size, mode_of(metadata));
    builder
        .append_data(&mut header, tar_path, &mut counting)
        .map_err(|source| ContextError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if counting.count != size {
        return Err(ContextError::Changed {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

fn tar_path(prefix: &str, file_name: &std::ffi::OsStr) -> PathBuf {
    let mut path = PathBuf::from(prefix);
    path.push(file_name);
    path
}

pub(crate) fn file_header(size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    set_common(&mut header, mode, size);
    header
}

fn set_common(header: &mut tar::Header, mode: u32, size: u64) {
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
}

#[cfg(unix)]
pub(crate) fn mode_of(metadata: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
pub(crate) fn mode_of(metadata: &fs::Metadata) -> u32 {
    if metadata.is_dir() {
        0o755
    } else {
        0o644
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn source(dir: &Path) -> ContextSource {
        ContextSource {
            directory: dir.to_path_buf(),
            dockerfile: None,
            inline_dockerfile: None,
        }
    }

    fn write(dir: &Path, path: &str, text: &str) {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(full, text).unwrap();
    }

    /// Every entry of a tar: (path, kind, mode, link target).
    fn entries(tar_bytes: &[u8]) -> Vec<(String, char, u32, String)> {
        let mut archive = tar::Archive::new(tar_bytes);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                let header = entry.header();
                let kind = match header.entry_type() {
                    tar::EntryType::Directory => 'd',
                    tar::EntryType::Symlink => 'l',
                    tar::EntryType::Regular => 'f',
                    _ => '?',
                };
                let target = entry
                    .link_name()
                    .unwrap()
                    .map(|t| t.display().to_string())
                    .unwrap_or_default();
                assert_eq!(header.mtime().unwrap(), 0);
                assert_eq!(header.uid().unwrap(), 0);
                (
                    entry
                        .path()
                        .unwrap()
                        .display()
                        .to_string()
                        .trim_end_matches('/')
                        .to_string(),
                    kind,
                    header.mode().unwrap(),
                    target,
                )
            })
            .collect()
    }

    fn names(tar_bytes: &[u8]) -> Vec<String> {
        entries(tar_bytes).into_iter().map(|e| e.0).collect()
    }

    #[test]
    fn dockerignore_rules_decide_what_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Dockerfile", "FROM scratch\n");
        write(
            d,
            ".dockerignore",
            "*.log\nsecrets\ndocs\n!docs/keep.md\n**/tmp\n",
        );
        write(d, "app.txt", "app");
        write(d, "debug.log", "noise");
        write(d, "sub/nested.log", "kept: *.log is only at the root");
        write(d, "secrets/key", "k");
        write(d, "docs/keep.md", "keep");
        write(d, "docs/drop.md", "drop");
        write(d, "a/b/tmp/x", "x");
        let context = context_tar(&source(d)).unwrap();
        assert_eq!(
            names(&context.tar),
            vec![
                ".dockerignore",
                "Dockerfile",
                "a",
                "a/b",
                "app.txt",
                "docs/keep.md",
                "sub",
                "sub/nested.log",
            ]
        );
        assert_eq!(context.dockerfile, "Dockerfile");
    }

    #[test]
    fn dockerfile_and_dockerignore_are_sent_even_when_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "build/app.Dockerfile", "FROM scratch\n");
        write(d, "build/other", "o");
        write(d, ".dockerignore", "*\n");
        let context = context_tar(&ContextSource {
            directory: d.to_path_buf(),
            dockerfile: Some("./build/app.Dockerfile".to_string()),
            inline_dockerfile: None,
        })
        .unwrap();
        assert_eq!(
            names(&context.tar),
            vec![".dockerignore", "build/app.Dockerfile"]
        );
        assert_eq!(context.dockerfile, "build/app.Dockerfile");
    }

    #[test]
    fn a_dockerfile_outside_the_context_is_added_under_its_own_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "ctx/file", "f");
        write(d, "elsewhere/Dockerfile", "FROM scratch\n");
        let context = context_tar(&ContextSource {
            directory: d.join("ctx"),
            dockerfile: Some("../elsewhere/Dockerfile".to_string()),
            inline_dockerfile: None,
        })
        .unwrap();
        assert_eq!(names(&context.tar), vec!["file", SENT_DOCKERFILE_NAME]);
        assert_eq!(context.dockerfile, SENT_DOCKERFILE_NAME);
    }

    #[test]
    fn the_engine_tar_sends_msctls_dockerfile_and_hides_it_from_copy() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Dockerfile", "FROM scratch\n");
        write(d, "app.txt", "app");
        let context = context_tar(&source(d)).unwrap();
        let sent = engine_tar(&context.tar, "FROM scratch\nLABEL a=b\n").unwrap();
        assert_eq!(
            names(&sent),
            vec![
                "Dockerfile",
                "app.txt",
                ".dockerignore",
                SENT_DOCKERFILE_NAME
            ]
        );
        let mut archive = tar::Archive::new(sent.as_slice());
        let mut texts = BTreeMap::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut text = String::new();
            let path = entry.path().unwrap().display().to_string();
            entry.read_to_string(&mut text).unwrap();
            texts.insert(path, text);
        }
        assert_eq!(
            texts[".dockerignore"],
            format!(".dockerignore\n{SENT_DOCKERFILE_NAME}\n")
        );
        assert_eq!(texts[SENT_DOCKERFILE_NAME], "FROM scratch\nLABEL a=b\n");
        assert_eq!(texts["Dockerfile"], "FROM scratch\n");

        // An existing .dockerignore keeps its rules and gets the name appended.
        write(d, ".dockerignore", "*.log");
        let context = context_tar(&source(d)).unwrap();
        let sent = engine_tar(&context.tar, "FROM scratch\n").unwrap();
        let mut archive = tar::Archive::new(sent.as_slice());
        let ignore = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .find(|e| e.path().unwrap() == Path::new(".dockerignore"))
            .map(|mut e| {
                let mut text = String::new();
                e.read_to_string(&mut text).unwrap();
                text
            });
        assert_eq!(ignore, Some(format!("*.log\n{SENT_DOCKERFILE_NAME}\n")));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_stay_symlinks_and_modes_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Dockerfile", "FROM scratch\n");
        write(d, "run.sh", "#!/bin/sh\n");
        fs::set_permissions(d.join("run.sh"), fs::Permissions::from_mode(0o750)).unwrap();
        std::os::unix::fs::symlink("run.sh", d.join("link")).unwrap();
        let context = context_tar(&source(d)).unwrap();
        let all = entries(&context.tar);
        assert!(all.contains(&("link".to_string(), 'l', 0o777, "run.sh".to_string())));
        assert!(all.contains(&("run.sh".to_string(), 'f', 0o750, String::new())));
    }

    #[test]
    fn the_digest_depends_on_contents_not_on_times_or_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Dockerfile", "FROM scratch\n");
        write(d, "b.txt", "b");
        write(d, "a.txt", "a");
        let first = context_digest(&source(d)).unwrap().digest;
        assert_eq!(first, context_tar(&source(d)).unwrap().digest);
        // Rewriting the same bytes later (a new mtime) changes nothing.
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(d, "a.txt", "a");
        assert_eq!(context_digest(&source(d)).unwrap().digest, first);
        write(d, "a.txt", "A");
        assert_ne!(context_digest(&source(d)).unwrap().digest, first);
    }

    #[test]
    fn ignored_files_do_not_change_the_digest() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "Dockerfile", "FROM scratch\n");
        write(d, ".dockerignore", "*.log\n");
        let first = context_digest(&source(d)).unwrap().digest;
        write(d, "new.log", "noise");
        assert_eq!(context_digest(&source(d)).unwrap().digest, first);
    }

    #[test]
    fn an_inline_dockerfile_is_sent_under_msctls_name_and_digested() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // No Dockerfile in the context, and a file that would take msctl's name.
        write(d, "file", "f");
        write(d, SENT_DOCKERFILE_NAME, "FROM user-file\n");
        let inline = |text: &str| ContextSource {
            directory: d.to_path_buf(),
            dockerfile: Some("Dockerfile.absent".to_string()),
            inline_dockerfile: Some(text.to_string()),
        };
        let context = context_tar(&inline("FROM scratch\nCOPY file /file\n")).unwrap();
        assert_eq!(context.dockerfile, SENT_DOCKERFILE_NAME);
        assert_eq!(names(&context.tar), vec!["file", SENT_DOCKERFILE_NAME]);
        let mut archive = tar::Archive::new(context.tar.as_slice());
        let mut sent = String::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.path().unwrap() == Path::new(SENT_DOCKERFILE_NAME) {
                entry.read_to_string(&mut sent).unwrap();
            }
        }
        assert_eq!(sent, "FROM scratch\nCOPY file /file\n");

        let first = context_digest(&inline("FROM scratch\nCOPY file /file\n")).unwrap();
        assert_eq!(first.digest, context.digest);
        let changed = context_digest(&inline("FROM scratch\nCOPY file /other\n")).unwrap();
        assert_ne!(
            changed.digest, first.digest,
            "the inline text is a build input"
        );
    }

    #[test]
    fn a_missing_dockerfile_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = context_tar(&ContextSource {
            directory: dir.path().to_path_buf(),
            dockerfile: Some("web.Dockerfile".to_string()),
            inline_dockerfile: None,
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            err.starts_with("no Dockerfile `web.Dockerfile` in the build context"),
            "{err}"
        );
    }
}

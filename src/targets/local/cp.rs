//! `msctl cp SERVICE:PATH LOCAL` and `msctl cp LOCAL SERVICE:PATH`: files copied between a
//! service's containers and this machine, as `docker cp` copies them.
//!
//! Out of a container: from `--index`, else the first replica. Into a service: into
//! every replica (a replica the control plane starts later gets the image's files, not
//! these), or `--index`'s. A destination that is an existing directory receives the
//! source under its own name; any other destination is the source's new name, in a
//! directory that must exist. `-` is a tar archive on standard input or output.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::cli::CpArgs;
use crate::engine::{ContainerSummary, Engine, EngineError};
use crate::manifest::model::Project;
use crate::session::{CommandError, Context};

use super::exec::numbered_replicas;

/// One side of the copy.
#[derive(Debug, PartialEq, Eq)]
enum Side<'a> {
    Local(&'a str),
    Service { service: &'a str, path: &'a str },
}

fn side(arg: &str) -> Side<'_> {
    if arg == "-" || arg.starts_with(['/', '.', '~']) {
        return Side::Local(arg);
    }
    match arg.split_once(':') {
        Some((service, path)) if !service.is_empty() && !service.contains('/') => {
            Side::Service { service, path }
        }
        _ => Side::Local(arg),
    }
}

pub fn cp(ctx: &Context, project: &Project, args: &CpArgs) -> Result<(), CommandError> {
    let usage = || {
        CommandError::Usage(format!(
            "`msctl cp {} {}`: exactly one side must be SERVICE:PATH, e.g. `msctl cp web:/etc/app.conf ./app.conf`",
            args.source, args.destination
        ))
    };
    match (side(&args.source), side(&args.destination)) {
        (Side::Service { service, path }, Side::Local(local)) => {
            let path = container_path(path)?;
            ctx.check_services(project, &[service.to_string()])?;
            ctx.block_on(async {
                let engine = ctx.engine().await?;
                let containers =
                    containers(engine.as_ref(), project, service, args.index, false).await?;
                let container = &containers[0];
                let tar = engine
                    .download_path(&container.id, &path)
                    .await
                    .map_err(|err| missing(err, &path, &container.name))?;
                write_local(ctx, &tar, local)?;
                ctx.printer
                    .status(&format!("copied {}:{path} to {local}", container.name));
                Ok(())
            })
        }
        (Side::Local(local), Side::Service { service, path }) => {
            let path = container_path(path)?;
            ctx.check_services(project, &[service.to_string()])?;
            ctx.block_on(async {
                let engine = ctx.engine().await?;
                let containers =
                    containers(engine.as_ref(), project, service, args.index, true).await?;
                for container in &containers {
                    let (dir, tar) = upload(
                        ctx,
                        engine.as_ref(),
                        container,
                        local,
                        &path,
                        args.follow_link,
                    )
                    .await?;
                    engine
                        .upload_archive(&container.id, &dir, tar, args.archive)
                        .await
                        .map_err(|err| CommandError::with_hint(err.hint(), err))?;
                    ctx.printer
                        .status(&format!("copied {local} to {}:{path}", container.name));
                }
                Ok(())
            })
        }
        _ => Err(usage()),
    }
}

/// An absolute path in the container (a relative one is from `/`, as `docker cp` reads
/// it).
fn container_path(path: &str) -> Result<String, CommandError> {
    if path.is_empty() {
        return Err(CommandError::Usage(
            "`SERVICE:` names no path in the container: write SERVICE:/path".to_string(),
        ));
    }
    Ok(if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    })
}

/// The containers to copy out of (the first) or into (every one), as `--index` says.
async fn containers(
    engine: &dyn Engine,
    project: &Project,
    service: &str,
    index: Option<u32>,
    into: bool,
) -> Result<Vec<ContainerSummary>, CommandError> {
    let replicas = numbered_replicas(engine, &project.name, service).await?;
    if replicas.is_empty() {
        return Err(CommandError::hinted(
            anyhow::anyhow!(
                "service `{service}` of project `{}` has no container",
                project.name
            ),
            "`msctl up` creates its replicas",
        ));
    }
    let chosen: Vec<ContainerSummary> = match index {
        Some(index) => {
            let Some((_, container)) = replicas.iter().find(|(number, _)| *number == index) else {
                let numbers: Vec<String> = replicas.iter().map(|(n, _)| n.to_string()).collect();
                return Err(CommandError::hinted(
                    anyhow::anyhow!("service `{service}` has no replica {index}"),
                    format!("its replicas are: {}", numbers.join(", ")),
                ));
            };
            vec![container.clone()]
        }
        None if into => replicas.into_iter().map(|(_, c)| c).collect(),
        None => replicas.into_iter().take(1).map(|(_, c)| c).collect(),
    };
    Ok(chosen)
}

fn missing(err: EngineError, path: &str, container: &str) -> CommandError {
    match err {
        EngineError::NotFound { .. } => CommandError::hinted(
            anyhow::anyhow!("`{path}` does not exist in container `{container}`"),
            format!(
                "`msctl exec` into it and `ls` to look (`msctl exec SERVICE ls {}`)",
                parent_of(path)
            ),
        ),
        other => CommandError::with_hint(other.hint(), other),
    }
}

fn parent_of(path: &str) -> &str {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/",
        Some((parent, _)) => parent,
    }
}

fn name_of(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

/// Writes a container's archive to `local`: the archive itself for `-`, into `local`
/// when it is a directory, else as `local`.
fn write_local(ctx: &Context, tar: &[u8], local: &str) -> Result<(), CommandError> {
    if local == "-" {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(tar)
            .and_then(|()| stdout.flush())
            .map_err(|e| CommandError::Failed(e.into()));
    }
    let destination = ctx.cwd.join(local);
    let (dir, rename) = if destination.is_dir() {
        (destination.clone(), None)
    } else {
        let parent = destination
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| ctx.cwd.clone());
        if !parent.is_dir() {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "cannot copy to `{local}`: directory `{}` does not exist",
                    parent.display()
                ),
                "create it first, or copy into an existing directory",
            ));
        }
        let name = destination
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (parent, Some(name))
    };
    extract(tar, &dir, rename.as_deref())
        .map_err(|err| CommandError::Failed(anyhow::anyhow!("cannot copy to `{local}`: {err}")))
}

/// Unpacks `tar` under `dir`, its top entry renamed to `rename` when given. An entry
/// that would land outside `dir` is refused.
fn extract(tar: &[u8], dir: &Path, rename: Option<&str>) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(tar);
    let mut top: Option<PathBuf> = None;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let mut parts = path
            .components()
            .filter(|c| !matches!(c, Component::CurDir));
        let Some(first) = parts.next() else { continue };
        if path.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        }) {
            return Err(std::io::Error::other(format!(
                "the archive's entry `{}` leaves the destination",
                path.display()
            )));
        }
        let first = PathBuf::from(first.as_os_str());
        match &top {
            None => top = Some(first.clone()),
            Some(seen) if *seen != first => {
                return Err(std::io::Error::other(
                    "the archive has more than one top entry",
                ))
            }
            Some(_) => {}
        }
        let mut target = dir.join(rename.map(PathBuf::from).unwrap_or(first));
        for part in parts {
            target.push(part.as_os_str());
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry.unpack(&target)?;
    }
    if top.is_none() {
        return Err(std::io::Error::other("the engine sent an empty archive"));
    }
    Ok(())
}

/// The directory to extract into and the archive of `local` for one container: into
/// `path` when it is a directory there, else as `path`, in its directory.
async fn upload(
    ctx: &Context,
    engine: &dyn Engine,
    container: &ContainerSummary,
    local: &str,
    path: &str,
    follow_link: bool,
) -> Result<(String, Vec<u8>), CommandError> {
    let engine_error = |err: EngineError| CommandError::with_hint(err.hint(), err);
    if local == "-" {
        let stat = engine
            .path_stat(&container.id, path)
            .await
            .map_err(engine_error)?;
        if !stat.is_some_and(|s| s.is_dir) {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "`{path}` is not a directory in container `{}`",
                    container.name
                ),
                "a tar archive on standard input is extracted into a directory",
            ));
        }
        let mut tar = Vec::new();
        std::io::stdin()
            .read_to_end(&mut tar)
            .map_err(|e| CommandError::Failed(e.into()))?;
        return Ok((path.to_string(), tar));
    }
    let source = ctx.cwd.join(local);
    let metadata = if follow_link {
        std::fs::metadata(&source)
    } else {
        std::fs::symlink_metadata(&source)
    }
    .map_err(|err| {
        CommandError::hinted(
            anyhow::anyhow!("cannot copy `{local}`: {err}"),
            "name an existing file or directory",
        )
    })?;
    let stat = engine
        .path_stat(&container.id, path)
        .await
        .map_err(engine_error)?;
    let (dir, name) = match stat {
        Some(stat) if stat.is_dir => (path.to_string(), name_of(local).to_string()),
        Some(_) if metadata.is_dir() => {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "cannot copy directory `{local}` over file `{path}` in container `{}`",
                    container.name
                ),
                "copy it into a directory",
            ))
        }
        None if path.ends_with('/') => {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "cannot copy to `{path}`: no such directory in container `{}`",
                    container.name
                ),
                "copy into an existing directory, or name the file without a trailing `/`",
            ))
        }
        _ => {
            let parent = parent_of(path).to_string();
            let parent_stat = engine
                .path_stat(&container.id, &parent)
                .await
                .map_err(engine_error)?;
            if !parent_stat.is_some_and(|s| s.is_dir) {
                return Err(CommandError::hinted(
                    anyhow::anyhow!(
                        "cannot copy to `{path}`: directory `{parent}` does not exist in container `{}`",
                        container.name
                    ),
                    "copy into an existing directory",
                ));
            }
            (parent, name_of(path).to_string())
        }
    };
    let tar = archive(&source, &name, metadata.is_dir(), follow_link)
        .map_err(|err| CommandError::Failed(anyhow::anyhow!("cannot read `{local}`: {err}")))?;
    Ok((dir, tar))
}

/// A tar archive of `source` whose top entry is `name`.
fn archive(source: &Path, name: &str, is_dir: bool, follow_link: bool) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(follow_link);
    if is_dir {
        builder.append_dir_all(name, source)?;
    } else {
        builder.append_path_with_name(source, name)?;
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_is_a_service_path_unless_it_looks_like_a_local_one() {
        assert_eq!(
            side("web:/etc/app"),
            Side::Service {
                service: "web",
                path: "/etc/app"
            }
        );
        assert_eq!(
            side("web:"),
            Side::Service {
                service: "web",
                path: ""
            }
        );
        assert_eq!(side("./web:1"), Side::Local("./web:1"));
        assert_eq!(side("/tmp/a:b"), Side::Local("/tmp/a:b"));
        assert_eq!(side("dir/a:b"), Side::Local("dir/a:b"));
        assert_eq!(side("-"), Side::Local("-"));
        assert_eq!(side("notes.txt"), Side::Local("notes.txt"));
        assert_eq!(parent_of("/etc/app.conf"), "/etc");
        assert_eq!(parent_of("/data"), "/");
        assert_eq!(name_of("/etc/app/"), "app");
    }

    #[test]
    fn an_archive_round_trips_and_its_top_entry_takes_the_new_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = dir.path().join("conf");
        std::fs::create_dir_all(source.join("sub")).expect("mkdir");
        std::fs::write(source.join("sub/a.txt"), "alpha").expect("write");
        let tar = archive(&source, "conf", true, false).expect("archive");

        let into = dir.path().join("into");
        std::fs::create_dir(&into).expect("mkdir");
        extract(&tar, &into, None).expect("extract");
        assert_eq!(
            std::fs::read_to_string(into.join("conf/sub/a.txt")).expect("read"),
            "alpha"
        );

        extract(&tar, dir.path(), Some("renamed")).expect("extract renamed");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("renamed/sub/a.txt")).expect("read"),
            "alpha"
        );
    }

    #[test]
    fn an_entry_leaving_the_destination_is_refused() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_mode(0o644);
        header.set_cksum();
        // The tar crate refuses to write `..` through its checked setters.
        let name = b"x/../../escape";
        header.as_gnu_mut().expect("gnu header").name[..name.len()].copy_from_slice(name);
        header.set_cksum();
        builder.append(&header, &b"e"[..]).expect("append");
        let tar = builder.into_inner().expect("tar");
        let dir = tempfile::tempdir().expect("temp dir");
        let err = extract(&tar, dir.path(), None).expect_err("refused");
        assert!(err.to_string().contains("leaves the destination"), "{err}");
    }
}

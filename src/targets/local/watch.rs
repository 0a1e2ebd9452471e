//! `msctl watch` on the local engine: `up` the services, then follow their files and act
//! on each batch of changes, one line per action.
//!
//! A batch is the changes that arrive less than [`QUIET`] apart. For each service it
//! touches: a `rebuild` rule's change makes the service a candidate, and only the
//! candidates whose build inputs' digest differs from their image's are rebuilt, by the
//! same `up` as `msctl up SERVICE` (so the roll follows `update_config`, start-first
//! keeping the old replicas serving until the new ones are ready, and a failed build
//! changes nothing); a sync copies the changed files into every replica; a restart (or
//! `sync+restart`) restarts the replicas one at a time, as `msctl restart` does.
//!
//! Files are followed directory by directory (never under an ignored one: a cargo
//! workspace's `target/` alone has thousands), and new directories as they appear.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};

use crate::build::watch::{Rules, ServiceChanges};
use crate::cli::{RestartArgs, UpArgs, WatchArgs};
use crate::engine::Engine;
use crate::manifest::model::{Project, UpdateOrder};
use crate::manifest::Loaded;
use crate::session::{CommandError, Context};

/// How long a batch of changes waits for more before `watch` acts on it.
const QUIET: Duration = Duration::from_millis(300);
/// The longest a batch gathers changes before `watch` acts on it.
const LONGEST_BATCH: Duration = Duration::from_secs(3);

enum Message {
    Changed(Vec<PathBuf>),
    WatchFailed(String),
    Stop(&'static str),
}

pub fn watch(ctx: &Context, loaded: &Loaded, args: &WatchArgs) -> Result<(), CommandError> {
    let project = &loaded.project;
    ctx.check_services(project, &args.services)?;
    let chosen: Vec<&crate::manifest::model::Service> = if args.services.is_empty() {
        project.services.values().collect()
    } else {
        args.services
            .iter()
            .filter_map(|name| project.services.get(name))
            .collect()
    };
    let rules = Rules::of(chosen).map_err(|err| {
        CommandError::hinted(
            err,
            "fix the pattern in the service's `develop.watch` (`.dockerignore` syntax), or its build context's `.dockerignore`",
        )
    })?;
    for name in &args.services {
        if !rules.watches(name) {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "service `{name}` has nothing to watch: it has no `develop.watch` and no build"
                ),
                "add `develop: {watch: [{action: sync+restart, path: ./src, target: /app}]}` or a `build:` to it",
            ));
        }
    }
    if rules.rules.is_empty() {
        return Err(CommandError::hinted(
            anyhow::anyhow!(
                "none of the selected services is configured for watch: project `{}` has no service with `develop.watch` or a build",
                project.name
            ),
            "add a `develop.watch` section (or a `build:`) to the services to follow",
        ));
    }
    let watched: BTreeSet<String> = rules.rules.iter().map(|r| r.service.clone()).collect();

    let (sender, receiver) = mpsc::channel();
    let fs_sender = sender.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let message = match event {
            Ok(event) if counts(&event.kind) => Message::Changed(event.paths),
            Ok(_) => return,
            Err(err) => Message::WatchFailed(err.to_string()),
        };
        // The receiver is gone only when `watch` returns.
        let _ = fs_sender.send(message);
    })
    .map_err(|err| {
        CommandError::hinted(
            anyhow::anyhow!("cannot follow file changes: {err}"),
            "the host's inotify limits may be reached (`fs.inotify.max_user_instances`, `max_user_watches`)",
        )
    })?;
    let mut followed = BTreeSet::new();
    for root in rules.roots() {
        if !root.exists() {
            ctx.printer.status(&format!(
                "warning: `{}` does not exist: nothing to follow there until it does",
                root.display()
            ));
        }
        let start = if root.is_dir() {
            root.clone()
        } else {
            match root.parent() {
                Some(parent) => parent.to_path_buf(),
                None => continue,
            }
        };
        follow(&mut watcher, &rules, &start, &mut followed).map_err(|err| {
            CommandError::hinted(
                anyhow::anyhow!("cannot follow `{}`: {err}", start.display()),
                "the host's inotify limits may be reached (`fs.inotify.max_user_watches`)",
            )
        })?;
    }
    // Followed from before `up`: an edit made while it builds is acted on after it.
    if !args.no_up {
        super::up::up(ctx, loaded, up_args(args.services.clone(), args))?;
    }

    catch_signals(sender)?;

    for rule in rules.rules.iter().filter(|rule| rule.initial_sync) {
        let files: BTreeMap<PathBuf, String> = rule
            .files()
            .into_iter()
            .filter_map(|path| {
                let relative = rule.matches(&path)?;
                let target = rule.target.as_deref()?;
                Some((path, format!("{}/{relative}", target.trim_end_matches('/'))))
            })
            .collect();
        sync(ctx, project, &rule.service, &files, "initial sync: ");
    }

    ctx.printer.status(&format!(
        "watching {} (Ctrl-C to stop)",
        watched
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    loop {
        let Ok(first) = receiver.recv() else {
            return Ok(());
        };
        let mut paths = BTreeSet::new();
        let mut stop = None;
        let mut take = |message: Message, paths: &mut BTreeSet<PathBuf>| match message {
            Message::Changed(changed) => paths.extend(changed),
            Message::WatchFailed(error) => ctx
                .printer
                .status(&format!("warning: following files: {error}")),
            Message::Stop(why) => stop = Some(why),
        };
        take(first, &mut paths);
        // Files that never stop changing (a log written without pause) still get a
        // batch every [`LONGEST_BATCH`].
        let batch_started = std::time::Instant::now();
        while batch_started.elapsed() < LONGEST_BATCH {
            match receiver.recv_timeout(QUIET) {
                Ok(next) => take(next, &mut paths),
                Err(_) => break,
            }
        }
        if let Some(why) = stop {
            ctx.printer.status(&format!("watch stopped ({why})"));
            return Ok(());
        }
        // A new directory is followed from now on, and what it already holds counts.
        for path in paths.clone() {
            if path.is_dir() && !followed.contains(&path) {
                if let Err(err) = follow(&mut watcher, &rules, &path, &mut followed) {
                    ctx.printer.status(&format!(
                        "warning: cannot follow `{}`: {err}",
                        path.display()
                    ));
                }
                for rule in &rules.rules {
                    paths.extend(
                        rule.files()
                            .into_iter()
                            .filter(|file| file.starts_with(&path)),
                    );
                }
            }
        }
        paths.retain(|path| !path.is_dir());
        let changes = rules.changes(&paths);
        apply(ctx, loaded, &rules, &changes, args);
    }
}

/// What `watch` passes to `up`: the services, waiting until they are ready.
fn up_args(services: Vec<String>, args: &WatchArgs) -> UpArgs {
    UpArgs {
        services,
        detach: false,
        timeout: args.timeout,
        remove_orphans: false,
        force_recreate: false,
        no_recreate: false,
        no_build: false,
        build: false,
        reset_scale: false,
        no_self_heal: args.no_self_heal,
        dry_run: false,
        pull: None,
    }
}

/// Whether an event can mean a file's contents, name or presence changed (reads and
/// opens cannot).
fn counts(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Other => false,
        EventKind::Any | EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
    }
}

/// Follows `dir` and the directories under it that some rule may match in.
fn follow(
    watcher: &mut notify::RecommendedWatcher,
    rules: &Rules,
    dir: &Path,
    followed: &mut BTreeSet<PathBuf>,
) -> notify::Result<()> {
    if followed.contains(dir) || rules.rules.iter().all(|rule| rule.skips_dir(dir)) {
        return Ok(());
    }
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    followed.insert(dir.to_path_buf());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut children: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_dir()))
        .map(|entry| entry.path())
        .collect();
    children.sort();
    for child in children {
        follow(watcher, rules, &child, followed)?;
    }
    Ok(())
}

/// Ctrl-C and SIGTERM end `watch` between batches (a batch in flight finishes: a roll
/// is never left half done). Returns once both are caught.
fn catch_signals(sender: mpsc::Sender<Message>) -> Result<(), CommandError> {
    let (ready_sender, ready) = mpsc::channel::<Result<(), String>>();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => {
                let _ = ready_sender.send(Err(err.to_string()));
                return;
            }
        };
        runtime.block_on(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (mut interrupt, mut terminate) = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(err), _) | (_, Err(err)) => {
                    let _ = ready_sender.send(Err(err.to_string()));
                    return;
                }
            };
            let _ = ready_sender.send(Ok(()));
            let why = tokio::select! {
                _ = interrupt.recv() => "interrupted",
                _ = terminate.recv() => "terminated",
            };
            let _ = sender.send(Message::Stop(why));
        });
    });
    match ready.recv() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(CommandError::Failed(anyhow::anyhow!(
            "cannot catch Ctrl-C and SIGTERM: {err}"
        ))),
        Err(_) => Err(CommandError::Failed(anyhow::anyhow!(
            "cannot catch Ctrl-C and SIGTERM: the signal thread ended"
        ))),
    }
}

/// Acts on one batch: rebuilds first (one `up` for all of them), then syncs and restarts.
fn apply(
    ctx: &Context,
    loaded: &Loaded,
    rules: &Rules,
    changes: &BTreeMap<String, ServiceChanges>,
    args: &WatchArgs,
) {
    let project = &loaded.project;
    let candidates: Vec<String> = changes
        .iter()
        .filter(|(_, c)| !c.rebuild.is_empty())
        .map(|(name, _)| name.clone())
        .collect();
    if !candidates.is_empty() {
        rebuild(ctx, loaded, rules, changes, &candidates, args);
    }
    for (name, change) in changes {
        if !change.rebuild.is_empty() {
            continue;
        }
        if !change.sync.is_empty() {
            sync(ctx, project, name, &change.sync, "");
        }
        if change.restart {
            let replicas = replica_ids(ctx, project, name).len();
            // A sync's line said how many files; a restart alone says it here.
            if change.sync.is_empty() {
                ctx.printer.status(&format!(
                    "{name}: {} changed, restarting",
                    files_text(change.files)
                ));
            }
            let restart = RestartArgs {
                services: vec![name.clone()],
                timeout: None,
                ready_timeout: args.timeout,
            };
            match super::restart::restart(ctx, project, &restart) {
                Ok(()) => ctx
                    .printer
                    .status(&format!("{name}: restarted {}", replicas_text(replicas))),
                Err(err) => ctx
                    .printer
                    .error(&format!("{name}: restart failed: {}", one_line(&err))),
            }
        }
    }
}

/// Rebuilds the candidates whose build inputs changed and rolls them with `up`.
fn rebuild(
    ctx: &Context,
    loaded: &Loaded,
    rules: &Rules,
    changes: &BTreeMap<String, ServiceChanges>,
    candidates: &[String],
    args: &WatchArgs,
) {
    let project = &loaded.project;
    let stale = match ctx.block_on(stale_images(ctx, project, candidates)) {
        Ok(stale) => stale,
        Err(err) => {
            ctx.printer.error(&format!(
                "{}: cannot tell whether the build inputs changed: {}",
                candidates.join(", "),
                one_line(&err)
            ));
            return;
        }
    };
    if stale.is_empty() {
        // An implicit rule over a shared cargo workspace makes every service of it a
        // candidate: one line for the batch, not one per service.
        let explicit: Vec<&String> = candidates
            .iter()
            .filter(|name| {
                rules
                    .rules
                    .iter()
                    .any(|rule| &rule.service == *name && !rule.implicit)
            })
            .collect();
        for name in explicit {
            let files_changed = changes.get(name).map_or(0, |c| c.files);
            ctx.printer.status(&format!(
                "{name}: {} changed, but not its image's build inputs: nothing to rebuild",
                files_text(files_changed)
            ));
        }
        return;
    }
    let before: BTreeMap<String, BTreeSet<String>> = stale
        .iter()
        .map(|name| (name.clone(), replica_ids(ctx, project, name)))
        .collect();
    for name in &stale {
        let files_changed = changes.get(name).map_or(0, |c| c.files);
        ctx.printer.status(&format!(
            "{name}: {} changed, rebuilding",
            files_text(files_changed)
        ));
    }
    match super::up::up(ctx, loaded, up_args(stale.clone(), args)) {
        Ok(()) => {
            for name in &stale {
                let after = replica_ids(ctx, project, name);
                let old = before.get(name).cloned().unwrap_or_default();
                let new = after.difference(&old).count();
                let order = project
                    .services
                    .get(name)
                    .and_then(|s| s.deploy.update_config.as_ref())
                    .map(|u| u.order);
                let how = match order {
                    Some(UpdateOrder::StartFirst) => " (start-first)",
                    Some(UpdateOrder::StopFirst) => " (stop-first)",
                    None => "",
                };
                if new == 0 {
                    ctx.printer.status(&format!(
                        "{name}: rebuilt; its replicas already ran this image"
                    ));
                } else {
                    ctx.printer
                        .status(&format!("{name}: rolled {}{how}", replicas_text(new)));
                }
            }
        }
        Err(err) => {
            let what = if is_build_failure(&err) {
                "build failed"
            } else {
                "roll failed"
            };
            // The build's own output (cargo's diagnostics) was streamed above: its
            // first line says which failed and how.
            let reason = one_line(&err);
            let reason = match err_first_line(&err) {
                Some(first) => first,
                None => reason,
            };
            for name in &stale {
                ctx.printer.error(&format!(
                    "{name}: {what}: {reason}; the running replicas keep serving"
                ));
            }
        }
    }
}

/// The candidates whose image is missing or carries another build digest than their
/// inputs now have.
async fn stale_images(
    ctx: &Context,
    project: &Project,
    candidates: &[String],
) -> Result<Vec<String>, CommandError> {
    let engine = ctx.engine().await?;
    let mut stale = Vec::new();
    for name in candidates {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let digest = crate::build::input_digest(service)
            .await
            .map_err(|err| CommandError::Failed(err.into()))?;
        let Some(digest) = digest else {
            continue;
        };
        let image = crate::plan::names::image_name(&project.name, service);
        let current = engine
            .inspect_image(&image)
            .await
            .map_err(|err| CommandError::Failed(err.into()))?
            .and_then(|details| {
                details
                    .labels
                    .get(crate::plan::labels::BUILD_DIGEST)
                    .cloned()
            });
        if current.as_deref() != Some(digest.as_str()) {
            stale.push(name.clone());
        }
    }
    Ok(stale)
}

/// The container ids of `service`'s replicas (none when the engine cannot say).
fn replica_ids(ctx: &Context, project: &Project, service: &str) -> BTreeSet<String> {
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let replicas = crate::converge::replicas_of(
            engine.as_ref(),
            project,
            &BTreeSet::from([service.to_string()]),
        )
        .await
        .map_err(|err| CommandError::Failed(err.into()))?;
        Ok(replicas.into_iter().map(|r| r.container_id).collect())
    })
    .unwrap_or_default()
}

/// Copies `files` (host path -> path in the container) into every replica of
/// `service`, saying so in one line.
fn sync(
    ctx: &Context,
    project: &Project,
    service: &str,
    files: &BTreeMap<PathBuf, String>,
    prefix: &str,
) {
    let present: BTreeMap<&PathBuf, &String> =
        files.iter().filter(|(host, _)| host.is_file()).collect();
    let removed: Vec<String> = files
        .iter()
        .filter(|(host, _)| !host.exists())
        .map(|(_, target)| target.clone())
        .collect();
    if present.is_empty() && removed.is_empty() {
        return;
    }
    let result = ctx.block_on(async {
        let engine = ctx.engine().await?;
        let tar = sync_tar(&present).map_err(|err| {
            CommandError::Failed(anyhow::anyhow!("cannot read the changed files: {err}"))
        })?;
        copy_to_replicas(engine.as_ref(), project, service, tar, &removed).await
    });
    match result {
        Ok((replicas, kept)) => {
            let what = match (present.len(), removed.len()) {
                (synced, 0) => format!("{} synced to", files_text(synced)),
                (0, gone) => format!("{} removed from", files_text(gone)),
                (synced, gone) => format!("{} synced and {gone} removed in", files_text(synced)),
            };
            ctx.printer.status(&format!(
                "{service}: {prefix}{what} {}",
                replicas_text(replicas)
            ));
            for replica in kept {
                ctx.printer.status(&format!(
                    "warning: {service}: files removed here stay in `{replica}` until it is recreated: `rm` did not run there"
                ));
            }
        }
        Err(err) => ctx.printer.error(&format!(
            "{service}: {prefix}sync failed: {}",
            one_line(&err)
        )),
    }
}

/// Sends `tar` to every replica of `service` and removes `removed` (paths in the
/// container) with `rm`; returns the number of replicas and those where `rm` failed.
async fn copy_to_replicas(
    engine: &dyn Engine,
    project: &Project,
    service: &str,
    tar: Vec<u8>,
    removed: &[String],
) -> Result<(usize, Vec<String>), CommandError> {
    let replicas =
        crate::converge::replicas_of(engine, project, &BTreeSet::from([service.to_string()]))
            .await
            .map_err(|err| CommandError::Failed(err.into()))?;
    let mut kept = Vec::new();
    for replica in &replicas {
        engine
            .upload_archive(&replica.container_id, "/", tar.clone(), false)
            .await
            .map_err(|err| {
                CommandError::Failed(anyhow::anyhow!("replica `{}`: {err}", replica.label()))
            })?;
        if removed.is_empty() {
            continue;
        }
        // An image without `rm` (a scratch image) keeps the files: a warning, not a
        // failure, since what was synced is there.
        let mut command = vec!["rm".to_string(), "-rf".to_string(), "--".to_string()];
        command.extend(removed.iter().cloned());
        let spec = crate::plan::spec::ExecSpec {
            command,
            output: crate::plan::spec::ExecOutput::Stderr,
            ..Default::default()
        };
        if !matches!(engine.exec(&replica.container_id, &spec).await, Ok(0)) {
            kept.push(replica.label());
        }
    }
    Ok((replicas.len(), kept))
}

/// A tar of `files`, each under its path in the container (relative to `/`), owned by
/// root with the host file's permissions.
fn sync_tar(files: &BTreeMap<&PathBuf, &String>) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (host, target) in files {
        let contents = std::fs::read(host)?;
        let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(host)?.permissions());
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(mode & 0o7777);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(now);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(
            &mut header,
            target.trim_start_matches('/'),
            contents.as_slice(),
        )?;
    }
    builder.into_inner()
}

/// Whether `up` failed at its build (nothing changed), rather than at the roll.
fn is_build_failure(err: &CommandError) -> bool {
    let error = match err {
        CommandError::Failed(error) | CommandError::Hinted { error, .. } => error,
        _ => return false,
    };
    error.chain().any(|cause| {
        cause.is::<crate::build::BuildError>()
            || matches!(
                cause.downcast_ref::<crate::images::ImageError>(),
                Some(crate::images::ImageError::Build(_))
            )
    })
}

/// The first line of a multi-line error (a build failure quoting cargo's output), or
/// `None` for an error of one line.
fn err_first_line(err: &CommandError) -> Option<String> {
    let text = match err {
        CommandError::Failed(error) | CommandError::Hinted { error, .. } => format!("{error:#}"),
        other => other.to_string(),
    };
    let first = text.lines().next()?.trim_end_matches(':').to_string();
    (text.lines().count() > 1).then_some(first)
}

/// An error on one line: its message and causes, then its hint.
fn one_line(err: &CommandError) -> String {
    match err {
        CommandError::Failed(error) => format!("{error:#}"),
        CommandError::Hinted { error, hint } => format!("{error:#} (hint: {hint})"),
        other => other.to_string(),
    }
    .replace('\n', " ")
}

fn files_text(count: usize) -> String {
    format!("{count} {}", if count == 1 { "file" } else { "files" })
}

fn replicas_text(count: usize) -> String {
    format!(
        "{count} {}",
        if count == 1 { "replica" } else { "replicas" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_opens_do_not_count_as_changes_and_writes_do() {
        use notify::event::{CreateKind, ModifyKind};
        assert!(!counts(&EventKind::Access(AccessKind::Open(
            notify::event::AccessMode::Read
        ))));
        assert!(!counts(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(counts(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(counts(&EventKind::Create(CreateKind::File)));
        assert!(counts(&EventKind::Modify(ModifyKind::Any)));
    }

    #[test]
    fn a_sync_tar_puts_each_file_at_its_container_path_with_its_mode() {
        let dir = tempfile::tempdir().expect("a directory");
        let host = dir.path().join("run.sh");
        std::fs::write(&host, "echo hi\n").expect("a file");
        std::fs::set_permissions(&host, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("its mode");
        let target = "/app/bin/run.sh".to_string();
        let files = BTreeMap::from([(&host, &target)]);
        let tar = sync_tar(&files).expect("a tar");
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .expect("entries")
            .map(|entry| {
                let entry = entry.expect("an entry");
                let header = entry.header();
                (
                    entry.path().expect("a path").display().to_string(),
                    header.mode().expect("a mode"),
                    header.uid().expect("a uid"),
                )
            })
            .collect();
        assert_eq!(entries, vec![("app/bin/run.sh".to_string(), 0o755, 0)]);
    }
}

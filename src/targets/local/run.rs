//! `msctl run SERVICE [COMMAND...]`: a one-off container of a service.
//!
//! The services it depends on are brought up and waited for (as `msctl up DEP...` does)
//! unless `--no-deps`; its own image is made ready, its networks and volumes created,
//! and the container created from the service's spec with `run`'s changes
//! ([`OneOff`]): labelled one-off, so no replica count, no control plane, no ingress and
//! no gated name ever counts it, and `down` removes it with the rest. msctl attaches to
//! it before starting it, and exits with its exit code.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::Path;

use crate::build::BuildPolicy;
use crate::cli::{RunArgs, UpArgs};
use crate::engine::EngineError;
use crate::manifest::model::{MountType, Project};
use crate::manifest::Loaded;
use crate::plan::spec::{AttachSpec, ContainerSpec, MountSpec, OneOff};
use crate::session::images::{image_options, pin_images};
use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, loaded: &Loaded, args: &RunArgs) -> Result<(), CommandError> {
    ctx.check_services(&loaded.project, std::slice::from_ref(&args.service))?;
    let service_name = args.service.as_str();
    let mut oneoff = one_off(ctx, &loaded.project, args)?;
    let stdin_is_terminal = std::io::stdin().is_terminal();
    oneoff.tty = !args.no_tty && !args.detach && stdin_is_terminal;
    oneoff.stdin = args.interactive && !args.detach;
    // Attached, msctl removes the container once it has its exit code; detached, the
    // engine does when it exits.
    oneoff.auto_remove = args.rm && args.detach;

    if !args.no_deps {
        let dependencies = dependencies(&loaded.project, service_name);
        if !dependencies.is_empty() {
            super::up::up(
                ctx,
                loaded,
                UpArgs {
                    services: dependencies,
                    detach: false,
                    timeout: args.timeout,
                    remove_orphans: args.remove_orphans,
                    force_recreate: false,
                    no_recreate: false,
                    no_build: false,
                    build: false,
                    reset_scale: false,
                    no_self_heal: false,
                    dry_run: false,
                    pull: args.pull,
                },
            )?;
        }
    }

    let code = ctx.block_on(async {
        let engine = ctx.engine().await?;
        let mut project = loaded.project.clone();
        let selected = BTreeSet::from([args.service.clone()]);
        let options = image_options(BuildPolicy::from_flags(false, args.build), args.pull);
        let images = ctx
            .ensure_images(engine.as_ref(), Some(loaded), &project, &selected, options)
            .await?;
        pin_images(&mut project, &images);
        let warnings = crate::converge::prepare_infrastructure(
            engine.as_ref(),
            &project,
            &selected,
            &declared_volumes(&project, &args.volumes),
        )
        .await
        .map_err(|err| CommandError::Failed(err.into()))?;
        for warning in warnings {
            ctx.printer.warnings(&format!("warning: {warning}\n"));
        }
        let Some(service) = project.services.get(service_name) else {
            return Err(CommandError::Failed(anyhow::anyhow!(
                "service `{service_name}` left the project"
            )));
        };
        let hash = crate::plan::replica_config_hash(&project, service);
        let spec = ContainerSpec::for_oneoff(&project, service, &hash, &oneoff);
        for left_out in engine.left_out(&spec) {
            ctx.printer
                .warnings(&format!("warning: service `{service_name}`: {left_out}\n"));
        }
        let id = engine
            .create_container(&spec)
            .await
            .map_err(|err| match err {
                EngineError::Conflict { .. } => CommandError::hinted(
                    anyhow::anyhow!("cannot create container `{}`: {err}", spec.name),
                    "a container has that name; choose another with `--name`, or remove it",
                ),
                other => CommandError::from(other),
            })?;
        if args.detach {
            if let Err(err) = engine.start_container(&id).await {
                let _ = engine.remove_container(&id, true).await;
                return Err(CommandError::from(err));
            }
            ctx.printer
                .data(&spec.name)
                .map_err(|e| CommandError::Failed(e.into()))?;
            return Ok(0);
        }
        let attach = AttachSpec {
            stdin: oneoff.stdin,
            tty: oneoff.tty,
            start: true,
            detach_keys: None,
            proxy_signals: true,
        };
        let attached = engine.attach(&id, &attach).await;
        let code = match attached {
            Ok(Some(code)) => code,
            Ok(None) => {
                ctx.printer.status(&format!(
                    "detached from `{}`, which runs on; `msctl down` removes it\n",
                    spec.name
                ));
                return Ok(0);
            }
            Err(err) => {
                if args.rm {
                    let _ = engine.remove_container(&id, true).await;
                }
                return Err(CommandError::from(err));
            }
        };
        if args.rm {
            engine
                .remove_container(&id, true)
                .await
                .map_err(CommandError::from)?;
        }
        Ok(code)
    })?;
    if code != 0 {
        // The command's own exit code is msctl's, as with `exec`.
        std::process::exit(i32::try_from(code).unwrap_or(1));
    }
    Ok(())
}

/// The services `service` needs started first that the project has.
fn dependencies(project: &Project, service: &str) -> Vec<String> {
    project
        .services
        .get(service)
        .map(|service| {
            crate::plan::dependencies::dependencies(service)
                .into_keys()
                .filter(|name| project.services.contains_key(name))
                .collect()
        })
        .unwrap_or_default()
}

/// The project's declared volumes that `--volume`s name.
fn declared_volumes(project: &Project, volumes: &[String]) -> BTreeSet<String> {
    volumes
        .iter()
        .filter_map(|text| crate::manifest::validate::volumes::parse_mount_short(text).ok())
        .filter(|mount| mount.kind == MountType::Volume)
        .filter_map(|mount| mount.source)
        .filter(|key| project.volumes.contains_key(key))
        .collect()
}

/// `run`'s flags as changes to the service's container.
fn one_off(ctx: &Context, project: &Project, args: &RunArgs) -> Result<OneOff, CommandError> {
    let mut environment = BTreeMap::new();
    for file in &args.env_from_file {
        environment.extend(env_file(&ctx.cwd.join(file), &ctx.environment)?);
    }
    for entry in super::exec::environment(&args.env, &ctx.environment)? {
        if let Some((key, value)) = entry.split_once('=') {
            environment.insert(key.to_string(), value.to_string());
        }
    }
    let mut labels = BTreeMap::new();
    for label in &args.labels {
        let (key, value) = label.split_once('=').unwrap_or((label.as_str(), ""));
        if key.is_empty() || key.starts_with(crate::plan::labels::PREFIX) {
            return Err(CommandError::Usage(format!(
                "--label `{label}`: write KEY=VALUE, with a key not under `{}`",
                crate::plan::labels::PREFIX
            )));
        }
        labels.insert(key.to_string(), value.to_string());
    }
    let mut ports = Vec::new();
    for text in &args.publish {
        let parsed = crate::manifest::ports::parse_port_short(text).map_err(|why| {
            CommandError::Usage(format!(
                "--publish `{text}`: {why}; write [[IP:]HOST:]CONTAINER[/PROTOCOL]"
            ))
        })?;
        ports.extend(parsed);
    }
    let mut mounts = Vec::new();
    for text in &args.volumes {
        mounts.push(mount(project, text, &ctx.cwd, ctx.environment.get("HOME"))?);
    }
    let entrypoint = match &args.entrypoint {
        Some(line) => Some(
            shell_words::split(line)
                .map_err(|err| CommandError::Usage(format!("--entrypoint `{line}`: {err}")))?,
        ),
        None => None,
    };
    let id = random_id().map_err(|err| CommandError::Failed(anyhow::anyhow!(err)))?;
    Ok(OneOff {
        name: args
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}-run-{id}", project.name, args.service)),
        command: (!args.command.is_empty()).then(|| args.command.clone()),
        entrypoint,
        environment,
        labels,
        user: args.user.clone(),
        working_dir: args.workdir.clone(),
        ports,
        service_ports: args.service_ports,
        mounts,
        tty: false,
        stdin: false,
        auto_remove: false,
        cap_add: args.cap_add.clone(),
        cap_drop: args.cap_drop.clone(),
        use_aliases: args.use_aliases,
    })
}

/// An `--env-from-file` file's variables (a bare `KEY` takes msctl's value, or none).
fn env_file(
    path: &Path,
    msctl_environment: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        CommandError::hinted(
            anyhow::anyhow!("--env-from-file `{}`: {err}", path.display()),
            "name a file of KEY=VALUE lines",
        )
    })?;
    let parsed = crate::manifest::dotenv::parse(&text, msctl_environment).map_err(|err| {
        CommandError::Usage(format!("{}:{}: {}", path.display(), err.line, err.message))
    })?;
    Ok(parsed
        .into_iter()
        .filter_map(|(key, value)| {
            let value = value.or_else(|| msctl_environment.get(&key).cloned())?;
            Some((key, value))
        })
        .collect())
}

/// A `--volume`: a host path (relative to the current directory, `~` for the home
/// directory), a volume of the project (by its key), or another engine volume.
fn mount(
    project: &Project,
    text: &str,
    cwd: &Path,
    home: Option<&String>,
) -> Result<MountSpec, CommandError> {
    let parsed = crate::manifest::validate::volumes::parse_mount_short(text)
        .map_err(|(why, hint)| CommandError::Usage(format!("--volume `{text}`: {why}; {hint}")))?;
    if !parsed.target.starts_with('/') {
        return Err(CommandError::Usage(format!(
            "--volume `{text}`: the target `{}` is not an absolute path in the container",
            parsed.target
        )));
    }
    let source = match (parsed.kind, parsed.source) {
        (MountType::Bind, Some(source)) => {
            let path = match (source.strip_prefix('~'), home) {
                (Some(rest), Some(home)) => Path::new(home).join(rest.trim_start_matches('/')),
                _ => cwd.join(&source),
            };
            let path = path.canonicalize().map_err(|err| {
                CommandError::hinted(
                    anyhow::anyhow!("--volume `{text}`: host path `{}`: {err}", path.display()),
                    "bind an existing file or directory",
                )
            })?;
            Some(path.display().to_string())
        }
        (MountType::Volume, Some(key)) => Some(match project.volumes.get(&key) {
            Some(volume) => crate::plan::names::volume_name(&project.name, &key, volume),
            None => key,
        }),
        (_, source) => source,
    };
    Ok(MountSpec {
        kind: parsed.kind,
        source,
        target: parsed.target,
        read_only: parsed.read_only,
    })
}

/// Twelve hex digits, as Compose names its one-off containers.
fn random_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        crate::manifest::demo_project(
            "name: demo\nservices:\n  web:\n    image: busybox\n    depends_on: [db]\n    links: [cache]\n  db:\n    image: busybox\n  cache:\n    image: busybox\nvolumes:\n  data: {}\n",
        )
    }

    #[test]
    fn a_services_dependencies_are_its_depends_on_and_links() {
        assert_eq!(dependencies(&project(), "web"), vec!["cache", "db"]);
        assert!(dependencies(&project(), "db").is_empty());
    }

    #[test]
    fn a_volume_flag_names_a_project_volume_or_a_host_path() {
        let dir = std::env::temp_dir();
        let data = mount(&project(), "data:/data:ro", &dir, None).expect("valid");
        assert_eq!(data.source.as_deref(), Some("demo_data"));
        assert!(data.read_only);
        let other = mount(&project(), "elsewhere:/x", &dir, None).expect("valid");
        assert_eq!(other.source.as_deref(), Some("elsewhere"));
        let bind = mount(&project(), ".:/src", &dir, None).expect("valid");
        assert_eq!(bind.kind, MountType::Bind);
        let canonical = dir.canonicalize().expect("temp dir");
        assert_eq!(
            bind.source.as_deref(),
            Some(canonical.to_str().expect("utf-8"))
        );
        let anonymous = mount(&project(), "/cache", &dir, None).expect("valid");
        assert_eq!(anonymous.source, None);
        for bad in [
            "./no-such-dir-here:/x",
            "data:relative",
            "a:b:c:d",
            "data:/x:bogus",
        ] {
            assert!(
                mount(&project(), bad, &dir, None).is_err(),
                "{bad} was accepted"
            );
        }
    }
}

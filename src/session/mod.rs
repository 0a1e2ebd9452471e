//! What every command gets, whatever its target: the global flags resolved against
//! the environment ([`Context`]: the printer, the engine, the state store, the
//! project's lock, the progress view), how a command fails ([`CommandError`]), and what
//! several targets share: images made ready, the engine's other control plane, the plan
//! printed, the logs written.

pub mod explain;
pub mod images;
pub mod keeper;
pub mod log_output;
pub mod planning;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::manifest::{load, LoadError, LoadOptions, Loaded};
use crate::output::Printer;

/// How a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Invalid manifests: the diagnostics are already rendered.
    #[error(transparent)]
    Manifest(#[from] LoadError),
    /// Anything else that failed (exit 1).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
    /// Failed, and there is something the user can do about it (exit 1).
    #[error("{error}")]
    Hinted { error: anyhow::Error, hint: String },
    /// The command line itself is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Ctrl-C: what was in flight finished, nothing new started (exit 130).
    #[error("interrupted")]
    Interrupted,
    /// `plan --detailed-exitcode` found changes to make (exit 2, nothing more to say).
    #[error("changes planned")]
    Changes,
}

impl CommandError {
    pub fn hinted(error: impl Into<anyhow::Error>, hint: impl Into<String>) -> Self {
        CommandError::Hinted {
            error: error.into(),
            hint: hint.into(),
        }
    }
}

/// An engine's error as a command's, with the engine's hint (how to reach it, what to
/// free) when it has one.
impl From<crate::engine::EngineError> for CommandError {
    fn from(err: crate::engine::EngineError) -> Self {
        CommandError::with_hint(err.hint(), err)
    }
}

impl CommandError {
    /// `error`, with `hint` when there is one.
    pub fn with_hint(hint: Option<impl Into<String>>, error: impl Into<anyhow::Error>) -> Self {
        match hint {
            Some(hint) => CommandError::hinted(error, hint),
            None => CommandError::Failed(error.into()),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            CommandError::Manifest(_) | CommandError::Failed(_) | CommandError::Hinted { .. } => 1,
            CommandError::Usage(_) | CommandError::Changes => 2,
            CommandError::Interrupted => 130,
        }
    }
}

/// What every command gets: the global flags resolved against the environment.
pub struct Context {
    pub global: GlobalArgs,
    pub printer: Printer,
    pub cwd: PathBuf,
    pub environment: BTreeMap<String, String>,
}

impl Context {
    pub fn new(global: GlobalArgs) -> anyhow::Result<Self> {
        let mut environment: BTreeMap<String, String> = std::env::vars().collect();
        // `--target` wins over MSCTL_TARGET and the manifest: the loader reads it there.
        if let Some(target) = global.target {
            environment.insert("MSCTL_TARGET".to_string(), target.as_str().to_string());
        }
        let printer = Printer::new(global.no_color, global.quiet, &|k| {
            environment.get(k).cloned()
        });
        let cwd = std::env::current_dir()
            .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
        Ok(Context {
            global,
            printer,
            cwd,
            environment,
        })
    }

    pub fn load_options(&self) -> LoadOptions {
        let files = if self.global.files.is_empty() {
            Vec::new()
        } else {
            self.global.files.clone()
        };
        LoadOptions {
            files,
            project_name: self.global.project_name.clone(),
            project_directory: self.global.project_directory.clone(),
            env_file: self.global.env_file.clone(),
            profiles: self.global.profiles.clone(),
            cwd: self.cwd.clone(),
            environment: self.environment.clone(),
        }
    }

    /// Load the project and print its warnings.
    pub fn load(&self) -> Result<Loaded, CommandError> {
        let loaded = load(&self.load_options())?;
        self.printer.warnings(&loaded.render_warnings());
        Ok(loaded)
    }

    /// The project's name for commands that find everything by label: from the manifest,
    /// or from `-p` alone when the manifest cannot be loaded (files lost, msctl still
    /// finds and removes what it created). The loaded project comes along when there is one.
    pub fn project_by_name(
        &self,
        every_profile: bool,
    ) -> Result<(String, Option<crate::manifest::model::Project>), CommandError> {
        let loaded = if every_profile {
            self.load_every_profile()
        } else {
            self.load()
        };
        match loaded {
            Ok(loaded) => Ok((loaded.project.name.clone(), Some(loaded.project))),
            Err(err) => match &self.global.project_name {
                Some(name) if crate::manifest::load::valid_project_name(name) => {
                    Ok((name.clone(), None))
                }
                _ => Err(err),
            },
        }
    }

    /// Load the project with every profile enabled: for commands that clean up, which
    /// must see the containers of services whose profile is not enabled now.
    pub fn load_every_profile(&self) -> Result<Loaded, CommandError> {
        let mut options = self.load_options();
        options.profiles = vec!["*".to_string()];
        let loaded = load(&options)?;
        self.printer.warnings(&loaded.render_warnings());
        Ok(loaded)
    }

    /// Run a command's async body on a runtime sized for this work: engine calls are
    /// I/O-bound, a few threads serve them all.
    pub fn block_on<T>(
        &self,
        body: impl std::future::Future<Output = Result<T, CommandError>>,
    ) -> Result<T, CommandError> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2);
        run_on(builder, body)
    }

    /// Run a command that streams from many engine connections at once (`logs`) on one
    /// thread: each wake-up then serves every connection with data, and no wake-up
    /// crosses threads. The engine writes one line per write, so on two threads most of
    /// msctl's time went to waking the other thread (10 replicas x 100,000 lines: msctl's
    /// CPU 4.3 s on two threads, 3.0 s on one; the output ends a second sooner).
    pub fn block_on_one_thread<T>(
        &self,
        body: impl std::future::Future<Output = Result<T, CommandError>>,
    ) -> Result<T, CommandError> {
        run_on(tokio::runtime::Builder::new_current_thread(), body)
    }

    /// Connect to the Docker engine (`DOCKER_HOST` or the default socket).
    pub async fn engine(&self) -> Result<std::sync::Arc<dyn crate::engine::Engine>, CommandError> {
        match crate::engine::docker::DockerEngine::connect_from_env(&self.environment).await {
            Ok(engine) => Ok(std::sync::Arc::new(engine)),
            Err(err) => {
                let hint = err.hint().unwrap_or_default().to_string();
                Err(CommandError::hinted(err, hint))
            }
        }
    }

    /// Whether `MSCTL_SELF_HEAL` turns self-heal off (`0`, `false`, `no`, `off`).
    pub fn self_heal_disabled(&self) -> bool {
        self.environment.get("MSCTL_SELF_HEAL").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "0" | "false" | "no" | "off"
            )
        })
    }

    /// msctl's state directory (state store, locks, secret files).
    pub fn state_dir(&self) -> PathBuf {
        crate::dirs::state_dir(&self.environment)
    }

    pub fn state_store(&self) -> Result<crate::state::StateStore, CommandError> {
        crate::state::StateStore::open(&self.state_dir()).map_err(|e| match e.hint() {
            Some(hint) => CommandError::hinted(e, hint),
            None => CommandError::Failed(e.into()),
        })
    }

    /// The replicas each service runs: the count `scale` set, while the manifest's count
    /// has not changed since, else the manifest's; with `reset`, the manifest's.
    pub fn replica_counts(
        &self,
        project: &crate::manifest::model::Project,
        reset: bool,
    ) -> Result<BTreeMap<String, u32>, CommandError> {
        let manifest = project.manifest_replicas();
        if reset {
            return Ok(manifest);
        }
        self.state_store()?
            .effective_scale(&project.name, &manifest)
            .map_err(|e| CommandError::Failed(e.into()))
    }

    /// Take the project's lock, saying so when another command holds it.
    pub async fn lock(&self, project: &str) -> Result<crate::lock::ProjectLock, CommandError> {
        let timeout = self
            .environment
            .get("MSCTL_LOCK_TIMEOUT")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(120);
        let printer = self.printer;
        crate::lock::ProjectLock::acquire(
            &self.state_dir(),
            project,
            std::time::Duration::from_secs(timeout),
            || {
                printer.status(&format!(
                    "waiting: another msctl command is working on project `{project}`"
                ))
            },
        )
        .await
        .map_err(|e| {
            CommandError::hinted(
                e,
                "wait for the other command to finish, or raise MSCTL_LOCK_TIMEOUT (seconds)",
            )
        })
    }

    /// The progress view: spinners on a terminal, plain lines otherwise.
    pub fn reporter(&self) -> Box<dyn crate::report::Reporter> {
        if self.printer.interactive && !self.printer.quiet {
            Box::new(crate::output::progress::TtyReporter::new(
                self.printer.quiet,
            ))
        } else {
            Box::new(crate::output::progress::PlainReporter::new(self.printer))
        }
    }

    /// Ctrl-C sets `cancel` (no new action starts); a second Ctrl-C exits at once.
    pub fn watch_interrupts(&self, cancel: &crate::report::Cancel) {
        let cancel = cancel.clone();
        let printer = self.printer;
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel();
                printer.error(
                    "interrupted: finishing the actions in flight (Ctrl-C again to stop now)",
                );
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        });
    }

    /// Names given on the command line must be services of the project.
    pub fn check_services(
        &self,
        project: &crate::manifest::model::Project,
        names: &[String],
    ) -> Result<(), CommandError> {
        for name in names {
            if !project.services.contains_key(name) {
                let known: Vec<&str> = project.services.keys().map(String::as_str).collect();
                let hint = match crate::manifest::fields::did_you_mean(name, known.iter().copied())
                {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the services are: {}", known.join(", ")),
                };
                return Err(CommandError::hinted(
                    anyhow::anyhow!("`{name}` is not a service of project `{}`", project.name),
                    hint,
                ));
            }
        }
        Ok(())
    }
}

/// The commands that mean something on a Swarm.
const SWARM_COMMANDS: &str =
    "up, plan, down, ps, scale, logs, restart, rollback, config, validate, build, export";

impl Context {
    /// The target a command works on: the loaded project's, else `--target` or
    /// MSCTL_TARGET (a command that finds everything by label may have no manifest).
    pub fn target_of(
        &self,
        project: Option<&crate::manifest::model::Project>,
    ) -> crate::manifest::model::Target {
        match project {
            Some(project) => project.target,
            None => self
                .environment
                .get("MSCTL_TARGET")
                .and_then(|t| crate::manifest::model::Target::parse(t.trim()))
                .unwrap_or_default(),
        }
    }

    /// A command that has no meaning on a Swarm, asked of a Swarm project.
    pub fn local_only(
        &self,
        command: &str,
        project: &crate::manifest::model::Project,
        why: &str,
    ) -> Result<(), CommandError> {
        if project.target == crate::manifest::model::Target::Swarm {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "`msctl {command}` works on the local target; project `{}` runs on a Swarm: {why}",
                    project.name
                ),
                format!("on a Swarm msctl runs: {SWARM_COMMANDS}"),
            ));
        }
        Ok(())
    }
}

fn run_on<T>(
    mut builder: tokio::runtime::Builder,
    body: impl std::future::Future<Output = Result<T, CommandError>>,
) -> Result<T, CommandError> {
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(body)
}

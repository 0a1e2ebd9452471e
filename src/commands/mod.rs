//! One file per command. Each turns its arguments into options and calls core code.

pub mod completions;
pub mod config;
pub mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::{Cli, Command, GlobalArgs};
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
    /// The command line itself is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
}

impl CommandError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CommandError::Manifest(_) | CommandError::Failed(_) => 1,
            CommandError::Usage(_) => 2,
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
        let environment: BTreeMap<String, String> = std::env::vars().collect();
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
}

pub fn run(cli: Cli) -> Result<(), CommandError> {
    let ctx = Context::new(cli.global)?;
    match cli.command {
        Command::Validate(args) => validate::run(&ctx, args),
        Command::Config(args) => config::run(&ctx, args),
        Command::Completions(args) => completions::run(&ctx, args),
    }
}

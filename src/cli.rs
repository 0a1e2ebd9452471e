//! The command line: clap definitions only. Global flags work before or after the command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "msctl",
    version,
    about = "Run Compose-format microservice projects on Docker: build, start, scale, health-check",
    propagate_version = true,
    disable_help_subcommand = false
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Manifest file (repeatable; later files override earlier ones)
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Project name (default: `name:` in the manifest, else the directory name)
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
    pub project_name: Option<String>,

    /// Directory relative paths are resolved against (default: the first manifest's)
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,

    /// Env file for interpolation (default: `.env` in the project directory)
    #[arg(long, global = true, value_name = "FILE")]
    pub env_file: Option<PathBuf>,

    /// Enable services of this profile (repeatable; `*` enables all)
    #[arg(long = "profile", global = true, value_name = "PROFILE")]
    pub profiles: Vec<String>,

    /// Output format of commands that print data
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,

    /// Print only errors on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More detail on stderr (-v info, -vv debug, -vvv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Never colour output (also: NO_COLOR, CI=true)
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the manifests; print a summary, or every problem with its place
    Validate(ValidateArgs),
    /// Print the resolved manifest: merged, interpolated, defaults applied
    Config(ConfigArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print only the service names, one per line
    #[arg(long, group = "only")]
    pub services: bool,
    /// Print only the volume names, one per line
    #[arg(long, group = "only")]
    pub volumes: bool,
    /// Print only the networks names, one per line
    #[arg(long, group = "only")]
    pub networks: bool,
    /// Print only the profile names, one per line
    #[arg(long = "profiles", id = "list_profiles", group = "only")]
    pub profiles: bool,
    /// Print only the images of the services, one per line
    #[arg(long, group = "only")]
    pub images: bool,
    /// Print each service's config hash (`*` or a comma-separated list of services)
    #[arg(long, group = "only", value_name = "SERVICES")]
    pub hash: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    pub shell: clap_complete::Shell,
}

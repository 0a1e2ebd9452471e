//! The command line: clap definitions only. Global flags work before or after the command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod normalize;

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
    #[arg(
        short = 'p',
        long = "project-name",
        visible_alias = "project",
        global = true,
        value_name = "NAME"
    )]
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

    /// Where the project runs: `local` (this engine's containers) or `swarm` (services
    /// of the Swarm this engine manages); over `x-msctl.target` (also: MSCTL_TARGET)
    #[arg(long = "target", id = "run_target", global = true, value_enum)]
    pub target: Option<TargetArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    Local,
    Swarm,
}

impl TargetArg {
    pub fn as_str(&self) -> &'static str {
        match self {
            TargetArg::Local => "local",
            TargetArg::Swarm => "swarm",
        }
    }
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
    /// Build what is missing or changed, then create and start replicas until all are ready
    Up(UpArgs),
    /// Print what `up` would do, one line per action, changing nothing
    Plan(PlanArgs),
    /// Stop and remove the project's containers and networks
    Down(DownArgs),
    /// List the project's replicas with their state and health
    Ps(PsArgs),
    /// Set the number of replicas of services: SERVICE=N
    Scale(ScaleArgs),
    /// Show the logs of services' replicas, merged in time order
    Logs(LogsArgs),
    /// Build or rebuild services' images
    Build(BuildArgs),
    /// Pull services' images from their registries
    Pull(PullArgs),
    /// Push the images msctl builds to their registries
    Push(PushArgs),
    /// Restart services one replica at a time, each ready before the next
    Restart(RestartArgs),
    /// Roll a service back to its config before its last completed rollout
    Rollback(RollbackArgs),
    /// List a service's rollouts: when, how they ended, from which image to which
    History(HistoryArgs),
    /// Run a command in a running replica
    Exec(ExecArgs),
    /// Run a one-off command in a new container of a service (dependencies first)
    Run(RunArgs),
    /// Remove stopped containers of the services (one-off containers too)
    Rm(RmArgs),
    /// Wait until the services' containers stop; exit with the first one's exit code
    Wait(WaitArgs),
    /// Create the services' replicas without starting them (`start` or `up` does)
    Create(CreateArgs),
    /// Attach to a replica's main process: its output, and your input
    Attach(AttachArgs),
    /// Copy files between a service's containers and this machine
    Cp(CpArgs),
    /// Live CPU, memory, network and block I/O of each replica
    Stats(StatsArgs),
    /// Show what happened to projects: replicas that died and were replaced, backoff, scaling
    Events(EventsArgs),
    /// Run the control plane in the foreground: keep projects healthy, serve the HTTP API
    Serve(ServeArgs),
    /// Answer readiness-gated service names (DNS) on the networks' gateways; `up` runs
    /// it in a container of its own, one per engine
    Resolver(ResolverArgs),
    /// Translate the project into another orchestrator's manifests
    Export(ExportArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Show msctl's version, the Docker engine's, and the API version they speak
    Version(VersionArgs),
    /// Show the processes running in services' containers
    Top(TopArgs),
    /// Print the host address a service's container port is published on
    Port(PortArgs),
    /// List the images services' containers run
    Images(ImagesArgs),
    /// List the projects with containers on this engine
    Ls(LsArgs),
    /// Stop services' replicas, and keep self-heal from starting them until `start`
    Stop(StopArgs),
    /// Start services' stopped replicas again
    Start(StartArgs),
    /// Send services' replicas a signal (SIGKILL: force stop, held like `stop`)
    Kill(KillArgs),
    /// Freeze services' running replicas, and keep self-heal off them until `unpause`
    Pause(PauseArgs),
    /// Thaw services' paused replicas
    Unpause(PauseArgs),
    /// Bring services up, then rebuild and roll, sync or restart them as their files change
    Watch(WatchArgs),
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Services to watch (default: every service with `develop.watch` or a build)
    pub services: Vec<String>,
    /// Do not bring the services up first: watch what already runs
    #[arg(long)]
    pub no_up: bool,
    /// Longest wait for new replicas to be ready after a rebuild, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Do not start the control plane when bringing the services up (also:
    /// MSCTL_SELF_HEAL=0)
    #[arg(long)]
    pub no_self_heal: bool,
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// Services whose replicas to pause or unpause (default: all)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Services to stop (default: all)
    pub services: Vec<String>,
    /// Grace period after the stop signal, in seconds (default: each service's
    /// stop_grace_period, else 10)
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Services to start, with what they depend on (default: all)
    pub services: Vec<String>,
    /// Wait until the replicas are ready
    #[arg(long)]
    pub wait: bool,
    /// Longest wait with `--wait`, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub wait_timeout: u64,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Services whose replicas to signal (default: all)
    pub services: Vec<String>,
    /// The signal
    #[arg(short, long, default_value = "SIGKILL")]
    pub signal: String,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Also list projects whose containers are all stopped
    #[arg(short, long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Services whose containers' images to list (default: all)
    pub services: Vec<String>,
    /// Only print image ids, each once (also: the global `-q`, as in Compose)
    #[arg(long)]
    pub ids: bool,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    /// The service
    pub service: String,
    /// The port inside the container (default: list every mapping)
    pub private_port: Option<u16>,
    /// Which replica (default: 1)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// The port's protocol
    #[arg(long, value_enum, default_value_t = PortProtocol::Tcp)]
    pub protocol: PortProtocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PortProtocol {
    Tcp,
    Udp,
    Sctp,
}

impl PortProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "tcp",
            PortProtocol::Udp => "udp",
            PortProtocol::Sctp => "sctp",
        }
    }
}

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Services whose containers to show (default: all)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print msctl's version number only
    #[arg(long)]
    pub short: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Services to bring up, with what they depend on (default: all)
    pub services: Vec<String>,
    /// Return once replicas are started, without waiting for them to be ready
    #[arg(short, long)]
    pub detach: bool,
    /// Longest wait for every replica to be ready, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Also remove containers of services no longer in the manifest
    #[arg(long)]
    pub remove_orphans: bool,
    /// Recreate every replica, even unchanged ones
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// Never recreate existing replicas, even changed ones
    #[arg(long)]
    pub no_recreate: bool,
    /// Do not build images, even missing ones
    #[arg(long, conflicts_with = "build")]
    pub no_build: bool,
    /// Build images before starting, even unchanged ones
    #[arg(long)]
    pub build: bool,
    /// Forget counts set by `scale`: use the manifest's replicas again
    #[arg(long)]
    pub reset_scale: bool,
    /// Do not keep the project healthy afterwards: no control plane replaces replicas
    /// that die (also: MSCTL_SELF_HEAL=0)
    #[arg(long)]
    pub no_self_heal: bool,
    /// Print the plan, one line per action, and change nothing (as `msctl plan`)
    #[arg(long)]
    pub dry_run: bool,
    /// Pull images before starting: `always`, `missing`, `never` [default: each
    /// service's `pull_policy`]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PullArg>,
}

/// `--pull` of `up` and `plan`: over every service's `pull_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullArg {
    Always,
    Missing,
    Never,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Services whose images to pull (default: every service with `image:`)
    pub services: Vec<String>,
    /// Also pull the images of the services they depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Warn about images that cannot be pulled instead of failing
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Leave out services msctl builds
    #[arg(long)]
    pub ignore_buildable: bool,
    /// `always` pulls every image, `missing` only those the engine lacks
    #[arg(long, value_name = "POLICY", value_parser = ["always", "missing"], default_value = "always")]
    pub policy: String,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Services whose built images to push (default: every service msctl builds)
    pub services: Vec<String>,
    /// Also push the images of the services they depend on
    #[arg(long)]
    pub include_deps: bool,
    /// Warn about images that cannot be pushed instead of failing
    #[arg(long)]
    pub ignore_push_failures: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The service to roll back
    pub service: String,
    /// Longest wait for the rolled-back replicas to be ready, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The service whose rollouts to list
    pub service: String,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Services to plan for, with what they depend on (default: all)
    pub services: Vec<String>,
    /// Exit 0 when nothing would change, 2 when something would, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan removing containers of services no longer in the manifest
    #[arg(long)]
    pub remove_orphans: bool,
    /// Plan recreating every replica, even unchanged ones
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// Plan never recreating existing replicas
    #[arg(long)]
    pub no_recreate: bool,
    /// Plan building no image
    #[arg(long, conflicts_with = "build")]
    pub no_build: bool,
    /// Plan building every buildable image
    #[arg(long)]
    pub build: bool,
    /// Plan with the manifest's replicas, forgetting counts set by `scale`
    #[arg(long)]
    pub reset_scale: bool,
    /// Plan pulling images: `always`, `missing`, `never` [default: each service's
    /// `pull_policy`]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PullArg>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Keep printing new events as they happen (`-f` after `events`)
    #[arg(long)]
    pub follow: bool,
    /// Only the last N events before following
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address of the HTTP API [default: 127.0.0.1:7311, or a free port when that one is
    /// taken; the address is written to `api-addr` in the state directory]
    #[arg(long, env = "MSCTL_API_ADDR", value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Seconds between two rounds of a project when no event comes
    #[arg(long, env = "MSCTL_RESYNC_INTERVAL", value_name = "SECONDS", default_value = "5", value_parser = seconds)]
    pub resync: std::time::Duration,
    /// Seconds a service is held back after its first failure (doubled after each next)
    #[arg(long, env = "MSCTL_BACKOFF_INITIAL", value_name = "SECONDS", default_value = "0.5", value_parser = seconds)]
    pub backoff_initial: std::time::Duration,
    /// Longest a failing service is held back, in seconds
    #[arg(long, env = "MSCTL_BACKOFF_MAX", value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    pub backoff_max: std::time::Duration,
    /// Seconds between two CPU measurements of an autoscaled service's replicas
    #[arg(long, env = "MSCTL_AUTOSCALE_INTERVAL", value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub autoscale_interval: std::time::Duration,
    /// Seconds between two readiness checks of a project's replicas, which decide which
    /// of them its service names and its ingress ports lead to
    #[arg(long, env = "MSCTL_READINESS_INTERVAL", value_name = "SECONDS", default_value = "1", value_parser = seconds)]
    pub readiness_interval: std::time::Duration,
    /// Started by `msctl up`: detach from the terminal, stop when no project needs it;
    /// without `--supervised`, supervise the control plane (start it again when it dies)
    #[arg(long, hide = true)]
    pub background: bool,
    /// The control plane a supervisor runs (with `--background`)
    #[arg(long, hide = true, requires = "background")]
    pub supervised: bool,
    /// Write a systemd unit that runs this control plane (restarted whenever it dies)
    /// to FILE, then exit
    #[arg(long, value_name = "FILE", num_args = 0..=1, require_equals = true,
          default_missing_value = "/etc/systemd/system/msctl.service", conflicts_with = "background")]
    pub install_service: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ResolverArgs {
    /// Address of its HTTP API, through which msctl says which replicas serve
    #[arg(long, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Port it answers DNS on, on each gateway it serves
    #[arg(long, value_name = "PORT", default_value = "53")]
    pub dns_port: u16,
    /// The bearer token of its API
    #[arg(
        long,
        env = "MSCTL_RESOLVER_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: String,
}

/// A positive number of seconds, fractions allowed (`0.5`).
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !value.is_finite() || value <= 0.0 || value > 86_400.0 {
        return Err(format!(
            "`{text}` must be more than 0 and at most 86400 seconds"
        ));
    }
    Ok(std::time::Duration::from_secs_f64(value))
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Also remove the project's named volumes (data is lost); `-v` after `down` too
    #[arg(long)]
    pub volumes: bool,
    /// Also remove images: `local` (built by msctl) or `all`
    #[arg(long, value_name = "TYPE", value_parser = ["local", "all"])]
    pub rmi: Option<String>,
    /// Seconds to wait for each container to stop before killing it (default: its stop_grace_period)
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Also remove containers of services no longer in the manifest
    #[arg(long)]
    pub remove_orphans: bool,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Also show stopped replicas
    #[arg(short, long)]
    pub all: bool,
    /// Only print container ids (also: the global `-q`, as in Compose)
    #[arg(long)]
    pub ids: bool,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// SERVICE=N pairs
    #[arg(required = true, value_name = "SERVICE=N")]
    pub targets: Vec<String>,
    /// Return once replicas are started, without waiting for them to be ready
    #[arg(long)]
    pub no_wait: bool,
    /// Longest wait for new replicas to be ready, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only these services (default: all)
    pub services: Vec<String>,
    /// Follow new lines, and replicas that start later (`-f` after `logs`)
    #[arg(long)]
    pub follow: bool,
    /// Lines to show from the end of each replica's log
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,
    /// Only lines since this time (RFC 3339, or a duration like 10m ago)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only lines before this time (RFC 3339, or a duration like 10m ago)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Do not prefix lines with `service-n |`
    #[arg(long)]
    pub no_prefix: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Services to build (default: all with `build` or `x-msctl.build`)
    pub services: Vec<String>,
    /// Build without the engine's layer cache
    #[arg(long)]
    pub no_cache: bool,
    /// Base images of Dockerfiles: `missing` pulls one the engine lacks, `never` fails
    #[arg(long, value_name = "POLICY", value_parser = ["missing", "never"], default_value = "missing")]
    pub pull: String,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Services to restart (default: all)
    pub services: Vec<String>,
    /// Seconds to wait for each replica to stop before killing it
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Longest wait for each restarted replica to be ready, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub ready_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The service to run the command in
    pub service: String,
    /// Replica number (default: the first ready replica)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Do not allocate a TTY, even when stdin is one
    #[arg(short = 'T', long = "no-tty")]
    pub no_tty: bool,
    /// Start the command in the background and return at once
    #[arg(short, long)]
    pub detach: bool,
    /// Give the command extended privileges
    #[arg(long)]
    pub privileged: bool,
    /// Environment variables for the command
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Run as this user
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Services to create, with what they depend on (default: all)
    pub services: Vec<String>,
    /// Build images first, even unchanged ones
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Do not build images, even missing ones
    #[arg(long)]
    pub no_build: bool,
    /// Pull images first: `always`, `missing`, `never` [default: each service's
    /// `pull_policy`]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PullArg>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The service whose replica to attach to
    pub service: String,
    /// Replica number (default: the first running replica)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Do not attach standard input
    #[arg(long)]
    pub no_stdin: bool,
    /// Pass the signals msctl receives on to the process (`--sig-proxy=false` does not)
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub sig_proxy: bool,
    /// Keys that detach and leave the process running (default: ctrl-p,ctrl-q)
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// `SERVICE:PATH` or a local path (`-` for a tar archive on standard input)
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// `SERVICE:PATH` or a local path (`-` for a tar archive on standard output)
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
    /// Replica number (default: from the first replica; to every replica)
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Keep the files' owners (uid and gid)
    #[arg(short, long)]
    pub archive: bool,
    /// Follow a symbolic link given as the source
    #[arg(short = 'L', long)]
    pub follow_link: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Only these services
    pub services: Vec<String>,
    /// Also list stopped replicas (with no figures)
    #[arg(short, long)]
    pub all: bool,
    /// Print one sample and exit (the default without a terminal is a sample a second)
    #[arg(long)]
    pub no_stream: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Services whose stopped containers to remove (default: all)
    pub services: Vec<String>,
    /// Do not ask for confirmation, needed without a terminal (`-f` after `rm`)
    #[arg(long)]
    pub force: bool,
    /// Stop the containers first, holding the services stopped as `msctl stop` does
    #[arg(short, long)]
    pub stop: bool,
    /// Also remove the containers' anonymous volumes (`-v` after `rm`)
    #[arg(long)]
    pub volumes: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Services whose containers to wait for
    #[arg(required = true)]
    pub services: Vec<String>,
    /// Take the project down (as `msctl down`) when the first container stops
    #[arg(long)]
    pub down_project: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The service whose container to run
    pub service: String,
    /// The command and its arguments (default: the service's)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
    /// Remove the container when the command ends
    #[arg(long)]
    pub rm: bool,
    /// Start the container and print its name, without waiting for the command
    #[arg(short, long)]
    pub detach: bool,
    /// Name the container (default: PROJECT-SERVICE-run-ID)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Environment variables for the command (`KEY` alone takes msctl's value)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Environment variables from a file of KEY=VALUE lines (repeatable)
    #[arg(long = "env-from-file", value_name = "FILE")]
    pub env_from_file: Vec<PathBuf>,
    /// Labels for the container
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Mount a volume or host path, `[SOURCE:]TARGET[:ro]` (`-v` after `run`)
    #[arg(long = "volume", value_name = "VOLUME")]
    pub volumes: Vec<String>,
    /// Publish a port, `[[IP:]HOST:]CONTAINER[/PROTOCOL]` (`-p` after `run`)
    #[arg(long = "publish", value_name = "PORT")]
    pub publish: Vec<String>,
    /// Publish the ports the service declares
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Give the container the service's names on its networks
    #[arg(long)]
    pub use_aliases: bool,
    /// Do not start the services it depends on
    #[arg(long)]
    pub no_deps: bool,
    /// Do not allocate a TTY, even when stdin is one
    #[arg(short = 'T', long = "no-tty")]
    pub no_tty: bool,
    /// Keep standard input attached (`--interactive=false` detaches it)
    #[arg(
        short,
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub interactive: bool,
    /// Override the image's entrypoint (a command line, split as a shell would)
    #[arg(long, value_name = "COMMAND")]
    pub entrypoint: Option<String>,
    /// Run as this user
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Add Linux capabilities
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Build the image first, even when it is up to date
    #[arg(long)]
    pub build: bool,
    /// Pull images first: `always`, `missing`, `never` [default: each service's
    /// `pull_policy`]
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PullArg>,
    /// Also remove containers of services no longer in the manifest (when starting
    /// the dependencies)
    #[arg(long)]
    pub remove_orphans: bool,
    /// Longest wait for the dependencies to be ready, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Treat every warning (risky settings, ignored keys, unset variables) as an error
    #[arg(long)]
    pub strict: bool,
}

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
pub struct ExportArgs {
    /// What to translate to
    #[arg(value_enum)]
    pub target: ExportTarget,
    /// Write one file per object into this directory (created; must be empty) instead
    /// of one YAML stream on stdout
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// Deployments, Services, NetworkPolicies, autoscalers, claims, Secrets, ConfigMaps
    Kubernetes,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    pub shell: clap_complete::Shell,
}

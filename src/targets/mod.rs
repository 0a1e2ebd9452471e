//! Where a project runs: the local engine ([`local`], msctl's own planner, executor and
//! control plane) or a Swarm ([`swarm`], which translates the manifest into Swarm
//! services). Each is a [`Target`]; the commands whose work depends on where the project runs
//! (`up`, `plan`, `down`, `ps`, `scale`, `logs`, `restart`, `rollback`, `exec`, `run`, `rm`, `wait`, `create`, `attach`, `cp`, `stats`, `top`, `port`, `images`, `stop`, `start`, `kill`, `pause`, `unpause`, `watch`) read their
//! arguments, load the project and call its target, so that no command knows the other
//! target's code and none imports another.

use std::collections::BTreeMap;

use crate::cli::{
    AttachArgs, CpArgs, CreateArgs, DownArgs, ExecArgs, ImagesArgs, KillArgs, LogsArgs, PauseArgs,
    PortArgs, PsArgs, RestartArgs, RmArgs, RollbackArgs, RunArgs, ScaleArgs, StartArgs, StatsArgs,
    StopArgs, TopArgs, UpArgs, WaitArgs, WatchArgs,
};
use crate::manifest::model::Project;
use crate::manifest::Loaded;
use crate::session::log_output::Asked;
use crate::session::planning::Planning;
use crate::session::{CommandError, Context};

pub mod local;
pub mod swarm;

/// What a command does on a target. The services a command names were checked against
/// the project, except where a method says it checks them.
pub trait Target: Sync {
    /// `up`: get the images, bring the selected services to the manifest, wait until they
    /// are ready (unless `--detach`), and record the desired state. Checks the services.
    fn up(&self, ctx: &Context, loaded: &Loaded, args: UpArgs) -> Result<(), CommandError>;

    /// `plan` and `up --dry-run`: print what `up` would do, changing nothing; returns the
    /// number of steps.
    fn plan(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        planning: &Planning,
    ) -> Result<usize, CommandError>;

    /// `down`: remove what the project runs, found by label (`project`, when the manifest
    /// could be loaded, gives each service's grace period).
    fn down(
        &self,
        ctx: &Context,
        project_name: &str,
        project: Option<&Project>,
        args: &DownArgs,
    ) -> Result<(), CommandError>;

    /// `ps`: the project's replicas or tasks, as a table or JSON.
    fn ps(&self, ctx: &Context, project_name: &str, args: &PsArgs) -> Result<(), CommandError>;

    /// `scale`: `counts` replicas for each service named, kept as desired state.
    fn scale(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        counts: &BTreeMap<String, u32>,
        args: &ScaleArgs,
    ) -> Result<(), CommandError>;

    /// `logs`: the chosen services' logs, merged by time. Checks the services.
    fn logs(
        &self,
        ctx: &Context,
        project: &Project,
        args: &LogsArgs,
        asked: &Asked,
    ) -> Result<(), CommandError>;

    /// `restart`: the chosen services' replicas, one at a time. Checks the services.
    fn restart(
        &self,
        ctx: &Context,
        project: &Project,
        args: &RestartArgs,
    ) -> Result<(), CommandError>;

    /// `exec`: run a command in one replica of a service and exit with its exit code.
    fn exec(&self, ctx: &Context, project: &Project, args: &ExecArgs) -> Result<(), CommandError>;

    /// `run`: a one-off container of a service, its dependencies ready first; exits with
    /// its command's exit code. Checks the service.
    fn run(&self, ctx: &Context, loaded: &Loaded, args: &RunArgs) -> Result<(), CommandError>;

    /// `rm`: remove the chosen services' stopped containers. Checks the services.
    fn rm(&self, ctx: &Context, project: &Project, args: &RmArgs) -> Result<(), CommandError>;

    /// `wait`: block until the services' containers stop; exit with the first one's
    /// exit code. Checks the services.
    fn wait(&self, ctx: &Context, project: &Project, args: &WaitArgs) -> Result<(), CommandError>;

    /// `create`: create the chosen services' missing replicas without starting them,
    /// and hold the services stopped. Checks the services.
    fn create(&self, ctx: &Context, loaded: &Loaded, args: &CreateArgs)
        -> Result<(), CommandError>;

    /// `attach`: wire msctl's streams to a replica's main process. Checks the service.
    fn attach(
        &self,
        ctx: &Context,
        project: &Project,
        args: &AttachArgs,
    ) -> Result<(), CommandError>;

    /// `cp`: copy files between a service's containers and this machine. Checks the
    /// service.
    fn cp(&self, ctx: &Context, project: &Project, args: &CpArgs) -> Result<(), CommandError>;

    /// `stats`: the chosen services' resource use, live. Checks the services.
    fn stats(&self, ctx: &Context, project: &Project, args: &StatsArgs)
        -> Result<(), CommandError>;

    /// `top`: the processes of the chosen services' running containers. Checks the
    /// services.
    fn top(&self, ctx: &Context, project: &Project, args: &TopArgs) -> Result<(), CommandError>;

    /// `port`: the host address a service's container port is published on. Checks the
    /// service.
    fn port(&self, ctx: &Context, project: &Project, args: &PortArgs) -> Result<(), CommandError>;

    /// `images`: the images the chosen services' containers run. Checks the services.
    fn images(
        &self,
        ctx: &Context,
        project: &Project,
        args: &ImagesArgs,
    ) -> Result<(), CommandError>;

    /// `stop`: stop the chosen services' replicas and hold them stopped. Checks the
    /// services.
    fn stop(&self, ctx: &Context, project: &Project, args: &StopArgs) -> Result<(), CommandError>;

    /// `start`: start the chosen services' stopped replicas and release them. Checks
    /// the services.
    fn start(&self, ctx: &Context, project: &Project, args: &StartArgs)
        -> Result<(), CommandError>;

    /// `kill`: signal the chosen services' running replicas. Checks the services.
    fn kill(&self, ctx: &Context, project: &Project, args: &KillArgs) -> Result<(), CommandError>;

    /// `pause`: freeze the chosen services' running replicas and hold them. Checks the
    /// services.
    fn pause(&self, ctx: &Context, project: &Project, args: &PauseArgs)
        -> Result<(), CommandError>;

    /// `unpause`: thaw the chosen services' paused replicas and release them. Checks
    /// the services.
    fn unpause(
        &self,
        ctx: &Context,
        project: &Project,
        args: &PauseArgs,
    ) -> Result<(), CommandError>;

    /// `watch`: bring the services up (unless `--no-up`), then rebuild and roll, sync or
    /// restart them as their files change, until Ctrl-C or SIGTERM. Checks the services.
    fn watch(&self, ctx: &Context, loaded: &Loaded, args: &WatchArgs) -> Result<(), CommandError>;

    /// `rollback`: undo the service's last rollout. Checks the service.
    fn rollback(
        &self,
        ctx: &Context,
        project: &Project,
        args: &RollbackArgs,
    ) -> Result<(), CommandError>;
}

/// The implementation of `target`.
pub fn of(target: crate::manifest::model::Target) -> &'static dyn Target {
    match target {
        crate::manifest::model::Target::Local => &local::Local,
        crate::manifest::model::Target::Swarm => &swarm::Swarm,
    }
}

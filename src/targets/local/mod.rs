//! The local target: the project's replicas are containers of one Docker engine, which
//! msctl plans, creates, health-checks and (through its control plane) keeps healthy.

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

mod attach;
mod cp;
mod create;
mod down;
mod exec;
mod images;
mod lifecycle;
mod logs;
mod ls;
mod plan;
mod port;
mod ps;
mod restart;
mod rm;
mod rollback;
mod run;
mod scale;
mod stats;
mod top;
mod up;
mod wait;
mod watch;

pub use ls::ls;

/// The local engine as a [`super::Target`].
pub struct Local;

impl super::Target for Local {
    fn up(&self, ctx: &Context, loaded: &Loaded, args: UpArgs) -> Result<(), CommandError> {
        up::up(ctx, loaded, args)
    }

    fn plan(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        planning: &Planning,
    ) -> Result<usize, CommandError> {
        plan::plan(ctx, loaded, planning)
    }

    fn down(
        &self,
        ctx: &Context,
        project_name: &str,
        project: Option<&Project>,
        args: &DownArgs,
    ) -> Result<(), CommandError> {
        down::down(ctx, project_name, project, args)
    }

    fn ps(&self, ctx: &Context, project_name: &str, args: &PsArgs) -> Result<(), CommandError> {
        ps::ps(ctx, project_name, args)
    }

    fn scale(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        counts: &BTreeMap<String, u32>,
        args: &ScaleArgs,
    ) -> Result<(), CommandError> {
        scale::scale(ctx, loaded, counts, args)
    }

    fn logs(
        &self,
        ctx: &Context,
        project: &Project,
        args: &LogsArgs,
        asked: &Asked,
    ) -> Result<(), CommandError> {
        logs::logs(ctx, project, args, asked)
    }

    fn restart(
        &self,
        ctx: &Context,
        project: &Project,
        args: &RestartArgs,
    ) -> Result<(), CommandError> {
        restart::restart(ctx, project, args)
    }

    fn exec(&self, ctx: &Context, project: &Project, args: &ExecArgs) -> Result<(), CommandError> {
        exec::exec(ctx, project, args)
    }

    fn run(&self, ctx: &Context, loaded: &Loaded, args: &RunArgs) -> Result<(), CommandError> {
        run::run(ctx, loaded, args)
    }

    fn rm(&self, ctx: &Context, project: &Project, args: &RmArgs) -> Result<(), CommandError> {
        rm::rm(ctx, project, args)
    }

    fn wait(&self, ctx: &Context, project: &Project, args: &WaitArgs) -> Result<(), CommandError> {
        wait::wait(ctx, project, args)
    }

    fn create(
        &self,
        ctx: &Context,
        loaded: &Loaded,
        args: &CreateArgs,
    ) -> Result<(), CommandError> {
        create::create(ctx, loaded, args)
    }

    fn attach(
        &self,
        ctx: &Context,
        project: &Project,
        args: &AttachArgs,
    ) -> Result<(), CommandError> {
        attach::attach(ctx, project, args)
    }

    fn cp(&self, ctx: &Context, project: &Project, args: &CpArgs) -> Result<(), CommandError> {
        cp::cp(ctx, project, args)
    }

    fn stats(
        &self,
        ctx: &Context,
        project: &Project,
        args: &StatsArgs,
    ) -> Result<(), CommandError> {
        stats::stats(ctx, project, args)
    }

    fn top(&self, ctx: &Context, project: &Project, args: &TopArgs) -> Result<(), CommandError> {
        top::top(ctx, project, args)
    }

    fn port(&self, ctx: &Context, project: &Project, args: &PortArgs) -> Result<(), CommandError> {
        port::port(ctx, project, args)
    }

    fn images(
        &self,
        ctx: &Context,
        project: &Project,
        args: &ImagesArgs,
    ) -> Result<(), CommandError> {
        images::images(ctx, project, args)
    }

    fn stop(&self, ctx: &Context, project: &Project, args: &StopArgs) -> Result<(), CommandError> {
        lifecycle::stop(ctx, project, args)
    }

    fn start(
        &self,
        ctx: &Context,
        project: &Project,
        args: &StartArgs,
    ) -> Result<(), CommandError> {
        lifecycle::start(ctx, project, args)
    }

    fn kill(&self, ctx: &Context, project: &Project, args: &KillArgs) -> Result<(), CommandError> {
        lifecycle::kill(ctx, project, args)
    }

    fn pause(
        &self,
        ctx: &Context,
        project: &Project,
        args: &PauseArgs,
    ) -> Result<(), CommandError> {
        lifecycle::pause(ctx, project, args)
    }

    fn unpause(
        &self,
        ctx: &Context,
        project: &Project,
        args: &PauseArgs,
    ) -> Result<(), CommandError> {
        lifecycle::unpause(ctx, project, args)
    }

    fn watch(&self, ctx: &Context, loaded: &Loaded, args: &WatchArgs) -> Result<(), CommandError> {
        watch::watch(ctx, loaded, args)
    }

    fn rollback(
        &self,
        ctx: &Context,
        project: &Project,
        args: &RollbackArgs,
    ) -> Result<(), CommandError> {
        rollback::rollback(ctx, project, args)
    }
}

/// What the local target's unit tests build their engine listings from.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::collections::BTreeMap;

    use crate::engine::ContainerSummary;
    use crate::plan::{labels, ContainerState, Health};

    /// Container `name` of `service` (replica `replica` when given), as the engine lists
    /// it, its id its name.
    pub fn container(
        name: &str,
        service: &str,
        replica: Option<u32>,
        state: ContainerState,
    ) -> ContainerSummary {
        let mut labels = BTreeMap::from([(labels::SERVICE.to_string(), service.to_string())]);
        if let Some(replica) = replica {
            labels.insert(labels::REPLICA.to_string(), replica.to_string());
        }
        ContainerSummary {
            id: name.to_string(),
            name: name.to_string(),
            image: "img".to_string(),
            labels,
            state,
            health: Health::None,
            network_mode: None,
            networks: Vec::new(),
        }
    }
}

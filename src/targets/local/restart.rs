//! `msctl restart`: restart replicas one at a time, each ready again before the next, so
//! a replicated service keeps serving throughout. A replica's `pre_stop` hooks run
//! before it stops and its `post_start` hooks once it runs again.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::cli::RestartArgs;
use crate::converge::{replicas_of, ConvergeError};
use crate::executor::Replica;
use crate::health::wait_ready;
use crate::output::progress::seconds;
use crate::plan::spec::hook_exec;
use crate::plan::{dependencies, ContainerState, DEFAULT_STOP_TIMEOUT};
use crate::report::Event;

use crate::manifest::model::Project;
use crate::session::{CommandError, Context};

pub fn restart(ctx: &Context, project: &Project, args: &RestartArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let chosen: BTreeSet<String> = if args.services.is_empty() {
        project.services.keys().cloned().collect()
    } else {
        args.services.iter().cloned().collect()
    };
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&project.name).await?;
        let started = Instant::now();
        let reporter = ctx.reporter();
        let mut restarted = 0;
        for name in dependencies::dependency_order(project) {
            if !chosen.contains(&name) {
                continue;
            }
            let Some(service) = project.services.get(&name) else {
                continue;
            };
            let grace = args
                .timeout
                .map(Duration::from_secs)
                .or(service.stop_grace_period)
                .unwrap_or(DEFAULT_STOP_TIMEOUT);
            let replicas = replicas_of(engine.as_ref(), project, &BTreeSet::from([name.clone()]))
                .await
                .map_err(|e| CommandError::Failed(e.into()))?;
            let pre_stop: Vec<_> = service.pre_stop.iter().map(hook_exec).collect();
            let post_start: Vec<_> = service.post_start.iter().map(hook_exec).collect();
            for replica in replicas {
                reporter.event(Event::Started {
                    resource: format!("service:{}:{}", name, replica.replica_number),
                    line: format!("restart container {}", replica.container_name),
                });
                let hooks = Replica::new(&name, replica.replica_number, &replica.container_id);
                // Hooks run in a container that runs: a stopped one has nothing to run them in.
                let running = !pre_stop.is_empty()
                    && engine
                        .inspect_container(&replica.container_id)
                        .await
                        .is_ok_and(|details| details.summary.state == ContainerState::Running);
                if running {
                    for warning in hooks.pre_stop(engine.as_ref(), &pre_stop).await {
                        reporter.event(Event::Note(format!("warning: {warning}")));
                    }
                }
                engine
                    .stop_container(&replica.container_id, grace)
                    .await
                    .map_err(|e| CommandError::Failed(e.into()))?;
                engine
                    .start_container(&replica.container_id)
                    .await
                    .map_err(|e| CommandError::Failed(e.into()))?;
                hooks
                    .post_start(engine.as_ref(), &post_start)
                    .await
                    .map_err(|e| CommandError::Failed(e.into()))?;
                reporter.event(Event::Done {
                    resource: format!("service:{}:{}", name, replica.replica_number),
                    line: format!("restart container {}", replica.container_name),
                });
                let watched = [(replica.clone(), service, false)];
                let result = wait_ready(
                    engine.as_ref(),
                    &watched,
                    Duration::from_secs(args.ready_timeout),
                    |r, after, _| {
                        reporter.event(Event::Ready {
                            replica: r.label(),
                            after,
                        })
                    },
                )
                .await;
                if let Err(err) = result {
                    drop(reporter);
                    return Err(crate::session::explain::explain(
                        engine.as_ref(),
                        ConvergeError::NotReady(err),
                    )
                    .await);
                }
                restarted += 1;
            }
        }
        drop(reporter);
        ctx.printer.status(&format!(
            "restarted {restarted} replicas in {}",
            seconds(started.elapsed())
        ));
        Ok(())
    })
}

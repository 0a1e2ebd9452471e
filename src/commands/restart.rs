//! `msctl restart`: restart replicas one at a time, each ready again before the next, so
//! a replicated service keeps serving throughout.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::cli::RestartArgs;
use crate::converge::{replicas_of, ConvergeError, Event};
use crate::health::wait_ready;
use crate::output::progress::seconds;
use crate::plan::DEFAULT_STOP_TIMEOUT;

use super::{CommandError, Context};

pub fn run(ctx: &Context, args: RestartArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let project = loaded.project;
    ctx.check_services(&project, &args.services)?;
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
        for name in project.dependency_order() {
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
            let replicas = replicas_of(engine.as_ref(), &project, &BTreeSet::from([name.clone()]))
                .await
                .map_err(|e| CommandError::Failed(e.into()))?;
            for replica in replicas {
                reporter.event(Event::Started {
                    resource: format!("service:{}:{}", name, replica.replica_number),
                    line: format!("restart container {}", replica.container_name),
                });
                engine
                    .stop_container(&replica.container_id, grace)
                    .await
                    .map_err(|e| CommandError::Failed(e.into()))?;
                engine
                    .start_container(&replica.container_id)
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
                    |r, after| {
                        reporter.event(Event::Ready {
                            replica: r.label(),
                            after,
                        })
                    },
                )
                .await;
                if let Err(err) = result {
                    drop(reporter);
                    return Err(
                        super::up::explain(engine.as_ref(), ConvergeError::NotReady(err)).await,
                    );
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

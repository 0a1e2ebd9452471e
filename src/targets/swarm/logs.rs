//! `logs` on the Swarm target: every task's log, merged by time, through the same sink
//! as the local target's (`session/log_output.rs`).

use super::*;

/// `logs` of a Swarm project: each task's log (`/tasks/{id}/logs`), merged by time and
/// written as the local target writes them, the prefix naming the task's node
/// (`orders.2@node`) and the JSON lines carrying `node`. With `-f`, tasks started later
/// (scale, restart, update) are picked up every 2 s.
pub(super) fn logs(
    ctx: &Context,
    project: &Project,
    args: &LogsArgs,
    asked: &crate::session::log_output::Asked,
) -> Result<(), CommandError> {
    use crate::engine::merged_logs::LogSink;
    use crate::session::log_output::{output_error, Output, Source};
    ctx.check_services(project, &args.services)?;
    let LogOptions { since, until, .. } = asked.options;
    ctx.block_on_one_thread(async {
        let swarm = connect(ctx).await?;
        let services = swarm
            .services(&project.name)
            .await
            .map_err(|e| failed(e.into()))?;
        let nodes: BTreeMap<String, String> = swarm
            .nodes()
            .await
            .map_err(|e| failed(e.into()))?
            .into_iter()
            .map(|n| (n.id, n.hostname))
            .collect();
        let node_name = |id: &str| nodes.get(id).cloned().unwrap_or_default();
        let chosen: BTreeMap<String, String> = services
            .iter()
            .filter(|s| args.services.is_empty() || args.services.contains(&s.service))
            .map(|s| (s.id.clone(), s.service.clone()))
            .collect();
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<(String, u64, LineResult)>(1024);
        // One stream per task that has had a container; with -f, new tasks as they come.
        let mut started = std::collections::BTreeSet::new();
        let swarm_ref = &swarm;
        let chosen_ref = &chosen;
        let mut start = move |task: &crate::engine::swarm::TaskInfo, since: Option<i64>| {
            let Some(service) = chosen_ref.get(&task.service_id) else {
                return;
            };
            if task.container_id.is_empty() || !started.insert(task.id.clone()) {
                return;
            }
            let mut lines = Box::pin(swarm_ref.task_logs(
                &task.id,
                &task.node_id,
                args.follow,
                args.tail,
                since,
            ));
            let sender = sender.clone();
            let name = service.clone();
            let slot = task.slot;
            tokio::spawn(async move {
                while let Some(line) = lines.next().await {
                    if sender.send((name.clone(), slot, line)).await.is_err() {
                        break;
                    }
                }
            });
        };
        let tasks = swarm
            .tasks(&project.name, None)
            .await
            .map_err(|e| failed(e.into()))?;
        for task in &tasks {
            start(task, since);
        }
        let mut start = Some(start);
        let initial: Vec<Source> = tasks
            .iter()
            .filter(|task| !task.container_id.is_empty())
            .filter_map(|task| {
                let service = chosen.get(&task.service_id)?;
                Some(Source::of_task(service, task.slot, &node_name(&task.node_id)))
            })
            .collect();
        let mut sink = Output::new(&initial, args, asked);
        // Task id -> its source number in the sink, added at its first line.
        let mut numbers: BTreeMap<String, usize> = BTreeMap::new();
        let mut write = |sink: &mut Output,
                         service: &str,
                         slot: u64,
                         line: &crate::engine::swarm::ServiceLogLine|
         -> std::io::Result<()> {
            if until.is_some_and(|u| line.line.timestamp_nanos / 1_000_000_000 >= u) {
                return Ok(());
            }
            let number = *numbers.entry(line.task_id.clone()).or_insert_with(|| {
                sink.add(Source::of_task(service, slot, &node_name(&line.node_id)))
            });
            sink.line(number, &line.line)
        };
        // The history of every task, merged in time order.
        let mut history = Vec::new();
        if args.follow {
            // Following streams never end: take what arrives in a short while as history.
            let end = tokio::time::Instant::now() + Duration::from_millis(1500);
            while let Ok(Some(item)) = tokio::time::timeout_at(end, receiver.recv()).await {
                history.push(item);
            }
        } else {
            // Every stream holds a sender: the channel ends when the last one has.
            start = None;
            while let Some(item) = receiver.recv().await {
                history.push(item);
            }
        }
        let mut lines = Vec::new();
        for (service, slot, line) in history {
            lines.push((service, slot, line.map_err(|e| failed(e.into()))?));
        }
        lines.sort_by_key(|(_, _, line)| line.line.timestamp_nanos);
        for (service, slot, line) in &lines {
            if let Err(err) = write(&mut sink, service, *slot, line) {
                return output_error(err);
            }
        }
        if let Err(err) = sink.flush() {
            return output_error(err);
        }
        if !args.follow {
            return Ok(());
        }
        let follow_since = crate::clock::now_seconds();
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        let mut resync = tokio::time::interval(Duration::from_secs(2));
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = resync.tick() => {
                    // Tasks started since (scale, restart, update): their logs too.
                    if let (Ok(tasks), Some(start)) = (swarm.tasks(&project.name, None).await, start.as_mut()) {
                        for task in &tasks {
                            start(task, Some(follow_since));
                        }
                    }
                }
                next = receiver.recv() => match next {
                    Some((service, slot, Ok(line))) => {
                        if let Err(err) = write(&mut sink, &service, slot, &line).and_then(|()| sink.flush()) {
                            return output_error(err);
                        }
                    }
                    Some((_, _, Err(err))) => return Err(failed(err.into())),
                    None => break,
                }
            }
        }
        Ok(())
    })
}

type LineResult = Result<crate::engine::swarm::ServiceLogLine, crate::engine::EngineError>;

//! The logs of several containers as one stream, in timestamp order.
//!
//! Every container's log is already in time order, so a k-way merge suffices: one task
//! per container reads its log in batches (the engine serves them in parallel), and the
//! merge repeatedly takes the earliest head. Memory stays bounded by a few batches per
//! container, however long the logs.
//!
//! Following adds what a single `docker logs -f` lacks: the history of every replica is
//! printed merged first, then new lines as they arrive, and replicas that start later
//! (scale up, restart, replacement) are picked up from the engine's events, with a
//! periodic re-list as a safety net.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{ContainerSummary, Engine, EngineError, EventAction, LabelFilter, LogLine, LogOptions};
use crate::plan::{labels, ContainerState, Health};

/// Lines read from a container before they are handed to the merge.
const BATCH_LINES: usize = 2048;
/// Batches read ahead per container.
const BATCHES_AHEAD: usize = 4;
/// How often following re-lists the containers, in case an event was missed.
const RESYNC_INTERVAL: Duration = Duration::from_secs(5);
/// Lines printed between two flushes while following.
const FOLLOW_FLUSH_LINES: usize = 4096;

/// Where merged lines go.
pub trait LogSink {
    /// A container whose lines may follow; the first one added is source 0, and so on.
    fn add_source(&mut self, container: &ContainerSummary);
    /// One line of source `source`.
    fn line(&mut self, source: usize, line: &LogLine) -> std::io::Result<()>;
    /// Nothing more for now: make what was written visible.
    fn flush(&mut self) -> std::io::Result<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Writing the output failed (a closed pipe included: callers decide what it means).
    #[error("cannot write the logs: {0}")]
    Output(#[from] std::io::Error),
}

/// Orders containers the way logs present them: by service, then replica number.
pub fn sort_for_logs(containers: &mut [ContainerSummary]) {
    containers.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
}

fn sort_key(container: &ContainerSummary) -> (&str, u32, &str) {
    (
        container
            .labels
            .get(labels::SERVICE)
            .map(String::as_str)
            .unwrap_or(""),
        container
            .labels
            .get(labels::REPLICA)
            .and_then(|replica| replica.parse().ok())
            .unwrap_or(u32::MAX),
        &container.name,
    )
}

/// Reads the logs of `containers` (not following) and writes them to `sink` merged in
/// timestamp order; lines with the same timestamp keep the order of `containers`.
/// Adds every container to `sink` as a source first. Returns, per container, the
/// timestamp of its last line.
pub async fn print_merged<E: Engine + ?Sized>(
    engine: &E,
    containers: &[ContainerSummary],
    options: &LogOptions,
    sink: &mut dyn LogSink,
) -> Result<Vec<Option<i64>>, LogsError> {
    for container in containers {
        sink.add_source(container);
    }
    let history = LogOptions {
        follow: false,
        ..*options
    };
    merge(engine, containers, &history, 0, sink).await
}

/// Sources `first_source..` are `containers`, already added to the sink.
async fn merge<E: Engine + ?Sized>(
    engine: &E,
    containers: &[ContainerSummary],
    options: &LogOptions,
    first_source: usize,
    sink: &mut dyn LogSink,
) -> Result<Vec<Option<i64>>, LogsError> {
    let mut readers = Vec::with_capacity(containers.len());
    for container in containers {
        let stream = engine.container_logs(&container.id, options).await?;
        readers.push(spawn_batch_reader(stream));
    }
    let mut cursors: Vec<Cursor> = readers
        .into_iter()
        .map(|(receiver, task)| Cursor {
            batch: Vec::new().into_iter(),
            receiver,
            task,
        })
        .collect();
    let mut last = vec![None; cursors.len()];
    let mut heads: Vec<Option<LogLine>> = Vec::with_capacity(cursors.len());
    let mut heap = BinaryHeap::with_capacity(cursors.len());
    for (index, cursor) in cursors.iter_mut().enumerate() {
        let head = cursor.next().await?;
        if let Some(line) = &head {
            heap.push(Reverse((line.timestamp_nanos, index)));
        }
        heads.push(head);
    }
    while let Some(Reverse((_, index))) = heap.pop() {
        // Emit this source's lines for as long as they come before every other head:
        // long runs of one replica then cost no heap operation per line.
        let bound = heap.peek().map(|Reverse(next)| *next);
        let cursor = &mut cursors[index];
        let mut head = heads[index].take();
        while let Some(line) = head {
            if bound.is_some_and(|bound| (line.timestamp_nanos, index) > bound) {
                heap.push(Reverse((line.timestamp_nanos, index)));
                head = Some(line);
                break;
            }
            sink.line(first_source + index, &line)?;
            last[index] = Some(line.timestamp_nanos);
            head = cursor.next().await?;
        }
        heads[index] = head;
    }
    sink.flush()?;
    Ok(last)
}

type Batch = Result<Vec<LogLine>, EngineError>;

/// Reads a log stream in batches on its own task, a few batches ahead of the merge.
fn spawn_batch_reader(
    mut stream: futures_util::stream::BoxStream<'static, Result<LogLine, EngineError>>,
) -> (mpsc::Receiver<Batch>, JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel::<Batch>(BATCHES_AHEAD);
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH_LINES);
        while let Some(item) = stream.next().await {
            match item {
                Ok(line) => {
                    batch.push(line);
                    if batch.len() == BATCH_LINES {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_LINES));
                        if sender.send(Ok(full)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(err) => {
                    let _ = sender.send(Err(err)).await;
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = sender.send(Ok(batch)).await;
        }
    });
    (receiver, task)
}

struct Cursor {
    batch: std::vec::IntoIter<LogLine>,
    receiver: mpsc::Receiver<Batch>,
    task: JoinHandle<()>,
}

impl Cursor {
    async fn next(&mut self) -> Result<Option<LogLine>, EngineError> {
        loop {
            if let Some(line) = self.batch.next() {
                return Ok(Some(line));
            }
            match self.receiver.recv().await {
                Some(Ok(batch)) => self.batch = batch.into_iter(),
                Some(Err(err)) => return Err(err),
                None => return Ok(None),
            }
        }
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // Stop reading a log nobody merges any more (an output error, an interrupt).
        self.task.abort();
    }
}

/// What following needs to know about each container.
struct Followed {
    container_id: String,
    /// The timestamp of the last line written: following resumes after it.
    last_nanos: Option<i64>,
    /// Lines at or before this time were already shown (or deliberately not).
    shown_until: Option<i64>,
    task: Option<JoinHandle<()>>,
}

enum Message {
    Line(usize, LogLine),
    Ended(usize, Option<EngineError>),
}

/// `logs -f`: the history of the project's containers that `wanted` selects, merged in
/// timestamp order, then their new lines as they come, including those of containers
/// that start later. Ends when `stop` completes, when `options.until` passes, or on an
/// output error.
pub async fn follow_merged<E: Engine + ?Sized>(
    engine: &E,
    project_name: &str,
    wanted: &(dyn Fn(&BTreeMap<String, String>) -> bool + Sync),
    options: &LogOptions,
    sink: &mut dyn LogSink,
    stop: impl Future<Output = ()>,
) -> Result<(), LogsError> {
    tokio::pin!(stop);
    // Events first: a container that starts while the history prints is not missed.
    let filter = LabelFilter::project(project_name);
    let mut events = Some(engine.events(&filter).await?);
    let mut containers: Vec<ContainerSummary> = engine
        .list_containers(&filter)
        .await?
        .into_iter()
        .filter(|container| wanted(&container.labels))
        .collect();
    sort_for_logs(&mut containers);
    let history_start = now_nanos();
    let history = tokio::select! {
        biased;
        () = &mut stop => return Ok(sink.flush()?),
        history = print_merged(engine, &containers, options, sink) => history?,
    };
    if options
        .until
        .is_some_and(|until| until.saturating_mul(1_000_000_000) <= history_start)
    {
        return Ok(());
    }

    let (sender, mut receiver) = mpsc::channel::<Message>(FOLLOW_FLUSH_LINES);
    let mut followed: Vec<Followed> = containers
        .iter()
        .zip(history)
        .map(|(container, last)| Followed {
            container_id: container.id.clone(),
            last_nanos: last,
            // No line yet: whatever it writes after the history was read is new.
            shown_until: Some(last.unwrap_or(history_start - 1)),
            task: None,
        })
        .collect();
    let mut by_id: HashMap<String, usize> = followed
        .iter()
        .enumerate()
        .map(|(index, entry)| (entry.container_id.clone(), index))
        .collect();
    for (index, container) in containers.iter().enumerate() {
        if is_up(container.state) {
            start_following(engine, &mut followed[index], index, options, &sender).await;
        }
    }
    let until_sleep = async {
        match options.until {
            Some(until) => {
                let wait = until.saturating_mul(1_000_000_000) - now_nanos();
                tokio::time::sleep(Duration::from_nanos(u64::try_from(wait).unwrap_or(0))).await
            }
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until_sleep);
    let mut resync = tokio::time::interval(RESYNC_INTERVAL);
    resync.tick().await;

    loop {
        tokio::select! {
            biased;
            () = &mut stop => break,
            () = &mut until_sleep => break,
            message = receiver.recv() => {
                let Some(message) = message else { break };
                let mut pending = Some(message);
                let mut written = 0;
                while let Some(message) = pending.take() {
                    match message {
                        Message::Line(index, line) => {
                            followed[index].last_nanos = Some(line.timestamp_nanos);
                            sink.line(index, &line)?;
                            written += 1;
                        }
                        Message::Ended(index, error) => {
                            followed[index].task = None;
                            if let Some(error) = error.filter(|error| !error.is_not_found()) {
                                tracing::warn!("following the log of container {}: {error}", followed[index].container_id);
                            }
                            // It may have restarted while its stream was closing.
                            let running = engine
                                .inspect_container(&followed[index].container_id)
                                .await
                                .is_ok_and(|details| is_up(details.summary.state));
                            if running {
                                start_following(engine, &mut followed[index], index, options, &sender).await;
                            }
                        }
                    }
                    if written < FOLLOW_FLUSH_LINES {
                        pending = receiver.try_recv().ok();
                    }
                }
                sink.flush()?;
            }
            event = next_event(&mut events) => {
                match event {
                    Some(Ok(event)) => {
                        if !matches!(event.action, EventAction::Start | EventAction::Restart | EventAction::Unpause)
                            || !wanted(&event.labels)
                        {
                            continue;
                        }
                        let container = ContainerSummary {
                            id: event.container_id.clone(),
                            name: event.container_name.clone(),
                            image: String::new(),
                            labels: event.labels.clone(),
                            state: ContainerState::Running,
                            health: Health::None,
                            network_mode: None,
                            networks: Vec::new(),
                        };
                        follow_container(engine, &container, &mut followed, &mut by_id, options, &sender, sink).await;
                    }
                    Some(Err(error)) => {
                        tracing::warn!("engine events stopped ({error}); re-listing every {}s instead", RESYNC_INTERVAL.as_secs());
                        events = None;
                    }
                    None => events = None,
                }
            }
            _ = resync.tick() => {
                let listed = match engine.list_containers(&filter).await {
                    Ok(listed) => listed,
                    Err(error) => {
                        tracing::warn!("re-listing the containers: {error}");
                        continue;
                    }
                };
                let mut listed: Vec<ContainerSummary> = listed
                    .into_iter()
                    .filter(|container| wanted(&container.labels) && is_up(container.state))
                    .collect();
                sort_for_logs(&mut listed);
                for container in &listed {
                    follow_container(engine, container, &mut followed, &mut by_id, options, &sender, sink).await;
                }
            }
        }
    }
    for entry in &followed {
        if let Some(task) = &entry.task {
            task.abort();
        }
    }
    sink.flush()?;
    Ok(())
}

/// Follows `container` unless it already is: a new one from its first line, a known one
/// after its last line.
async fn follow_container<E: Engine + ?Sized>(
    engine: &E,
    container: &ContainerSummary,
    followed: &mut Vec<Followed>,
    by_id: &mut HashMap<String, usize>,
    options: &LogOptions,
    sender: &mpsc::Sender<Message>,
    sink: &mut dyn LogSink,
) {
    let index = match by_id.get(&container.id) {
        Some(index) => *index,
        None => {
            sink.add_source(container);
            followed.push(Followed {
                container_id: container.id.clone(),
                last_nanos: None,
                shown_until: None,
                task: None,
            });
            by_id.insert(container.id.clone(), followed.len() - 1);
            followed.len() - 1
        }
    };
    if followed[index].task.is_none() {
        start_following(engine, &mut followed[index], index, options, sender).await;
    }
}

async fn start_following<E: Engine + ?Sized>(
    engine: &E,
    entry: &mut Followed,
    index: usize,
    options: &LogOptions,
    sender: &mpsc::Sender<Message>,
) {
    let after = match (entry.last_nanos, entry.shown_until) {
        (Some(last), Some(shown)) => Some(last.max(shown)),
        (last, shown) => last.or(shown),
    };
    let follow = LogOptions {
        follow: true,
        tail: None,
        // Docker's `since` is in whole seconds: ask from the second of the last line
        // shown, and drop what was shown already.
        since: match after {
            Some(after) => Some(after.div_euclid(1_000_000_000)),
            None => options.since,
        },
        until: options.until,
    };
    let sender = sender.clone();
    let stream = engine.container_logs(&entry.container_id, &follow).await;
    entry.task = Some(tokio::spawn(async move {
        let mut stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                let _ = sender.send(Message::Ended(index, Some(error))).await;
                return;
            }
        };
        while let Some(item) = stream.next().await {
            match item {
                Ok(line) => {
                    if after.is_some_and(|after| line.timestamp_nanos <= after) {
                        continue;
                    }
                    if sender.send(Message::Line(index, line)).await.is_err() {
                        return;
                    }
                }
                Err(error) => {
                    let _ = sender.send(Message::Ended(index, Some(error))).await;
                    return;
                }
            }
        }
        let _ = sender.send(Message::Ended(index, None)).await;
    }));
    entry.shown_until = after;
}

async fn next_event(
    events: &mut Option<
        futures_util::stream::BoxStream<'static, Result<super::EngineEvent, EngineError>>,
    >,
) -> Option<Result<super::EngineEvent, EngineError>> {
    match events {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

/// A container whose log can still grow.
fn is_up(state: ContainerState) -> bool {
    matches!(
        state,
        ContainerState::Running | ContainerState::Restarting | ContainerState::Paused
    )
}

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::engine::LogStream;

    #[derive(Default)]
    struct Collect {
        sources: Vec<String>,
        lines: Vec<(usize, i64, String)>,
    }

    impl LogSink for Collect {
        fn add_source(&mut self, container: &ContainerSummary) {
            self.sources.push(container.name.clone());
        }
        fn line(&mut self, source: usize, line: &LogLine) -> std::io::Result<()> {
            self.lines
                .push((source, line.timestamp_nanos, line.message.clone()));
            Ok(())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn container(id: &str, service: &str, replica: u32) -> ContainerSummary {
        ContainerSummary {
            id: id.to_string(),
            name: format!("demo-{service}-{replica}"),
            image: "img".to_string(),
            labels: BTreeMap::from([
                (labels::PROJECT.to_string(), "demo".to_string()),
                (labels::SERVICE.to_string(), service.to_string()),
                (labels::REPLICA.to_string(), replica.to_string()),
            ]),
            state: ContainerState::Running,
            health: Health::None,
            network_mode: None,
            networks: Vec::new(),
        }
    }

    fn line(timestamp_nanos: i64, message: &str) -> LogLine {
        LogLine {
            stream: LogStream::Stdout,
            timestamp_nanos,
            message: message.to_string(),
        }
    }

    #[tokio::test]
    async fn lines_of_several_containers_come_out_in_timestamp_order() {
        let engine = FakeEngine::new();
        let containers = vec![
            container("a", "web", 1),
            container("b", "web", 2),
            container("c", "db", 1),
        ];
        for container in &containers {
            engine.add_container(container.clone());
        }
        // Long enough that the merge crosses batch boundaries.
        for i in 0..5000i64 {
            engine.add_log_line("a", line(i * 3, &format!("a{i}")));
            engine.add_log_line("b", line(i * 3 + 1, &format!("b{i}")));
            if i % 2 == 0 {
                engine.add_log_line("c", line(i * 3 + 2, &format!("c{i}")));
            }
        }
        let mut sink = Collect::default();
        let last = print_merged(&engine, &containers, &LogOptions::default(), &mut sink)
            .await
            .expect("merged");
        assert_eq!(sink.sources, vec!["demo-web-1", "demo-web-2", "demo-db-1"]);
        assert_eq!(sink.lines.len(), 5000 + 5000 + 2500);
        assert!(sink.lines.windows(2).all(|pair| pair[0].1 < pair[1].1));
        assert_eq!(
            &sink.lines[..3]
                .iter()
                .map(|l| l.2.as_str())
                .collect::<Vec<_>>(),
            &["a0", "b0", "c0"]
        );
        assert_eq!(
            last,
            vec![Some(4999 * 3), Some(4999 * 3 + 1), Some(4998 * 3 + 2)]
        );
    }

    #[tokio::test]
    async fn equal_timestamps_keep_the_order_of_the_containers() {
        let engine = FakeEngine::new();
        let containers = vec![container("a", "web", 1), container("b", "web", 2)];
        for container in &containers {
            engine.add_container(container.clone());
        }
        engine.add_log_line("b", line(5, "b"));
        engine.add_log_line("a", line(5, "a"));
        engine.add_log_line("a", line(5, "a again"));
        let mut sink = Collect::default();
        print_merged(&engine, &containers, &LogOptions::default(), &mut sink)
            .await
            .expect("merged");
        let messages: Vec<&str> = sink.lines.iter().map(|l| l.2.as_str()).collect();
        assert_eq!(messages, vec!["a", "a again", "b"]);
    }

    #[test]
    fn containers_sort_by_service_then_replica_number() {
        let mut containers = vec![
            container("x", "web", 10),
            container("y", "web", 2),
            container("z", "api", 1),
        ];
        sort_for_logs(&mut containers);
        let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["demo-api-1", "demo-web-2", "demo-web-10"]);
    }
}

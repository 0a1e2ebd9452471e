//! How `logs` prints, for both targets: what was asked (`Asked`), where a line comes
//! from (`Source`: a replica, or a Swarm task on a node) and the sink that writes the
//! merged lines as text with padded, coloured prefixes or as JSON lines (`Output`).
//! `targets/local/logs.rs` and `targets/swarm/logs.rs` both write through it.

use std::collections::BTreeMap;
use std::io::{BufWriter, IsTerminal, Stdout, Write};

use serde::Serialize;

use crate::cli::{Format, LogsArgs};
use crate::engine::merged_logs::LogSink;
use crate::engine::{
    format_rfc3339_nanos, parse_rfc3339_nanos, ContainerSummary, LogLine, LogOptions,
};
use crate::manifest::units::parse_duration;
use crate::plan::labels;

use super::{CommandError, Context};

/// Bytes of output gathered before a write to stdout.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Service colours on a terminal, in the order services are met: cyan, yellow, green,
/// magenta, blue, then their bright forms.
const COLORS: &[&str] = &["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

/// What `logs` was asked, read from the command line once for both targets.
pub struct Asked {
    pub options: LogOptions,
    pub json: bool,
    /// Colour the prefixes (a terminal, and colour not turned off).
    pub color: bool,
}

impl Asked {
    pub fn read(ctx: &Context, args: &LogsArgs) -> Result<Asked, CommandError> {
        let now = crate::clock::now_seconds();
        let time = |flag: &str, text: &Option<String>| {
            text.as_deref()
                .map(|text| parse_time(text, now).map_err(|message| usage(flag, text, &message)))
                .transpose()
        };
        let options = LogOptions {
            follow: args.follow,
            tail: args.tail,
            since: time("--since", &args.since)?,
            until: time("--until", &args.until)?,
        };
        let json = match ctx.global.format {
            Some(Format::Json) => true,
            None | Some(Format::Table) => false,
            Some(Format::Yaml) => {
                return Err(CommandError::Usage(
                    "`logs` prints text or json (one object per line), not yaml".to_string(),
                ))
            }
        };
        let color = ctx.printer.color && std::io::stdout().is_terminal();
        Ok(Asked {
            options,
            json,
            color,
        })
    }
}

fn usage(flag: &str, text: &str, message: &str) -> CommandError {
    CommandError::Usage(format!(
        "{flag} `{text}`: {message}; give an RFC 3339 time (2024-05-01T12:00:00Z), \
         a duration ago (10m, 1h30m) or Unix seconds"
    ))
}

/// A time for `--since`/`--until`, in Unix seconds: RFC 3339, a duration before `now`
/// (`10m`, `1h30m`), or Unix seconds.
pub fn parse_time(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if let Some(nanos) = parse_rfc3339_nanos(text) {
        return Ok(nanos.div_euclid(1_000_000_000));
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    match parse_duration(text) {
        Ok(ago) => Ok(now - i64::try_from(ago.as_secs()).unwrap_or(i64::MAX / 2)),
        Err(_) => Err("not a time".to_string()),
    }
}

/// What one line needs to know about where it comes from: a replica, or a Swarm task.
pub struct Source {
    service: String,
    replica: Option<u32>,
    /// The Swarm node a task runs on; `None` on the local target.
    node: Option<String>,
    /// `web-1` (`web.1@node` for a task), or the container name for a container without
    /// replica labels.
    label: String,
    color: Option<&'static str>,
}

impl Source {
    pub fn of_container(container: &ContainerSummary) -> Source {
        let service = container.labels.get(labels::SERVICE).cloned();
        let replica = container
            .labels
            .get(labels::REPLICA)
            .and_then(|replica| replica.parse::<u32>().ok());
        let label = match (&service, replica) {
            (Some(service), Some(replica)) => format!("{service}-{replica}"),
            _ => container.name.clone(),
        };
        Source {
            service: service.unwrap_or_else(|| container.name.clone()),
            replica,
            node: None,
            label,
            color: None,
        }
    }

    /// A Swarm task: its slot (none in global mode, where a node has one task).
    pub fn of_task(service: &str, slot: u64, node: &str) -> Source {
        let replica = u32::try_from(slot).ok().filter(|slot| *slot > 0);
        let label = match replica {
            Some(slot) => format!("{service}.{slot}@{node}"),
            None => format!("{service}@{node}"),
        };
        Source {
            service: service.to_string(),
            replica,
            node: Some(node.to_string()),
            label,
            color: None,
        }
    }
}

/// Writes merged lines to stdout: text or JSON lines, buffered.
pub struct Output {
    out: BufWriter<Stdout>,
    sources: Vec<Source>,
    /// The prefix of each source, rendered and padded.
    prefixes: Vec<Vec<u8>>,
    width: usize,
    colors: BTreeMap<String, &'static str>,
    json: bool,
    color: bool,
    timestamps: bool,
    no_prefix: bool,
}

impl Output {
    /// Prefixes are padded to the widest label of `initial`, the sources known now.
    pub fn new<'a>(
        initial: impl IntoIterator<Item = &'a Source>,
        args: &LogsArgs,
        asked: &Asked,
    ) -> Output {
        let width = initial
            .into_iter()
            .map(|source| source.label.len())
            .max()
            .unwrap_or(0);
        Output {
            out: BufWriter::with_capacity(OUTPUT_BUFFER, std::io::stdout()),
            sources: Vec::new(),
            prefixes: Vec::new(),
            width,
            colors: BTreeMap::new(),
            json: asked.json,
            color: asked.color,
            timestamps: args.timestamps,
            no_prefix: args.no_prefix,
        }
    }

    /// A source whose lines may follow; returns its number for [`LogSink::line`].
    pub fn add(&mut self, mut source: Source) -> usize {
        if self.color {
            let next = COLORS[self.colors.len() % COLORS.len()];
            source.color = Some(*self.colors.entry(source.service.clone()).or_insert(next));
        }
        // A replica that starts later may have a wider prefix: it is padded to its own.
        self.width = self.width.max(source.label.len());
        self.prefixes.push(self.render_prefix(&source));
        self.sources.push(source);
        self.sources.len() - 1
    }

    fn render_prefix(&self, source: &Source) -> Vec<u8> {
        if self.no_prefix {
            return Vec::new();
        }
        let padded = format!("{:<width$} | ", source.label, width = self.width);
        match source.color {
            Some(code) => format!("\x1b[{code}m{}\x1b[0m", padded).into_bytes(),
            None => padded.into_bytes(),
        }
    }
}

#[derive(Serialize)]
struct JsonLine<'a> {
    service: &'a str,
    replica: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
    stream: &'static str,
    timestamp: String,
    message: &'a str,
}

impl LogSink for Output {
    fn add_source(&mut self, container: &ContainerSummary) {
        self.add(Source::of_container(container));
    }

    fn line(&mut self, source: usize, line: &LogLine) -> std::io::Result<()> {
        let Some(origin) = self.sources.get(source) else {
            return Ok(());
        };
        if self.json {
            let record = JsonLine {
                service: &origin.service,
                replica: origin.replica,
                node: origin.node.as_deref(),
                stream: line.stream.as_str(),
                timestamp: format_rfc3339_nanos(line.timestamp_nanos),
                message: &line.message,
            };
            serde_json::to_writer(&mut self.out, &record)?;
            return self.out.write_all(b"\n");
        }
        if let Some(prefix) = self.prefixes.get(source) {
            self.out.write_all(prefix)?;
        }
        if self.timestamps {
            self.out
                .write_all(format_rfc3339_nanos(line.timestamp_nanos).as_bytes())?;
            self.out.write_all(b" ")?;
        }
        self.out.write_all(line.message.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A closed stdout (`msctl logs | head`) ends the logs with success.
pub fn output_error(err: std::io::Error) -> Result<(), CommandError> {
    if err.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(CommandError::Failed(
            anyhow::Error::from(err).context("cannot write the logs"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_named_by_service_slot_and_node_and_its_json_carries_the_node() {
        let task = Source::of_task("orders", 2, "worker-1");
        assert_eq!(task.label, "orders.2@worker-1");
        assert_eq!(task.replica, Some(2));
        // Global mode: one task per node, no slot.
        let global = Source::of_task("agent", 0, "worker-1");
        assert_eq!(global.label, "agent@worker-1");
        assert_eq!(global.replica, None);

        let line = |node| JsonLine {
            service: "orders",
            replica: Some(2),
            node,
            stream: "stdout",
            timestamp: "2026-11-27T03:00:00.000000001Z".to_string(),
            message: "ready",
        };
        let swarm = serde_json::to_value(line(Some("worker-1"))).expect("json");
        assert_eq!(swarm["node"], "worker-1");
        // The local target's lines keep their documented keys: no `node`.
        let local = serde_json::to_value(line(None)).expect("json");
        let keys: Vec<&String> = local.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["service", "replica", "stream", "timestamp", "message"],
            "{local}"
        );
    }

    #[test]
    fn times_are_rfc3339_durations_ago_or_unix_seconds() {
        let now = 1_700_000_000;
        assert_eq!(parse_time("2023-11-14T22:13:20Z", now), Ok(1_700_000_000));
        assert_eq!(parse_time("10m", now), Ok(now - 600));
        assert_eq!(parse_time("1h30m", now), Ok(now - 5400));
        assert_eq!(parse_time("1699999999", now), Ok(1_699_999_999));
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("", now).is_err());
    }
}

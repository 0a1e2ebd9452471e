//! `msctl stats [SERVICE...]`: CPU, memory, network and block I/O of the project's
//! running containers, sampled by the engine over a second. On a terminal a table
//! redrawn each second; otherwise (or with `--format json`) one JSON object per
//! container and sample, a line each, so a script can follow it. `--no-stream` prints
//! one sample.

use std::io::IsTerminal;

use futures_util::stream::{self, StreamExt};

use crate::cli::{Format, StatsArgs};
use crate::engine::{
    ContainerSummary, Engine, EngineError, LabelFilter, Stats, DEFAULT_CONCURRENCY,
};
use crate::manifest::model::Project;
use crate::output::table::{columns, human_bytes};
use crate::plan::ContainerState;
use crate::session::{CommandError, Context};

pub fn stats(ctx: &Context, project: &Project, args: &StatsArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let terminal = std::io::stdout().is_terminal();
    let json = match ctx.global.format {
        Some(Format::Json) => true,
        Some(Format::Table) => false,
        Some(Format::Yaml) => return Err(CommandError::Usage(
            "`msctl stats` prints a table or JSON lines: use `--format table` or `--format json`"
                .to_string(),
        )),
        None => !terminal,
    };
    let redraw = terminal && !json && !args.no_stream;
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        loop {
            let listed = engine
                .list_containers(&LabelFilter::project(&project.name))
                .await
                .map_err(CommandError::from)?;
            let chosen = chosen(listed, &args.services, args.all);
            let samples = sample(engine.as_ref(), &chosen).await?;
            let text = if json {
                json_lines(&samples)
            } else {
                table(&samples)
            };
            let text = if redraw {
                // Home and clear: the table is drawn over the last one.
                format!("\x1b[H\x1b[2J{text}")
            } else {
                text
            };
            ctx.printer
                .data(&text)
                .map_err(|e| CommandError::Failed(e.into()))?;
            if args.no_stream {
                return Ok(());
            }
            if chosen.is_empty() {
                // Nothing to sample paces nothing: look again in a second.
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    })
}

/// The containers to show, by name: running ones, or every one with `all`.
fn chosen(listed: Vec<ContainerSummary>, services: &[String], all: bool) -> Vec<ContainerSummary> {
    let mut chosen: Vec<ContainerSummary> = listed
        .into_iter()
        .filter(|c| {
            services.is_empty() || c.service().is_some_and(|s| services.iter().any(|n| n == s))
        })
        .filter(|c| all || c.state == ContainerState::Running)
        .collect();
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    chosen
}

/// One sample of each container, at most [`DEFAULT_CONCURRENCY`] at once; `None` for a
/// container that is not running (it stopped since it was listed, or `--all` shows it).
async fn sample<'a>(
    engine: &dyn Engine,
    containers: &'a [ContainerSummary],
) -> Result<Vec<(&'a ContainerSummary, Option<Stats>)>, CommandError> {
    let samples: Vec<_> = stream::iter(containers)
        .map(|container| async move {
            if container.state != ContainerState::Running {
                return Ok((container, None));
            }
            match engine.stats(&container.id).await {
                Ok(stats) => Ok((container, Some(stats))),
                Err(EngineError::NotFound { .. } | EngineError::Conflict { .. }) => {
                    Ok((container, None))
                }
                Err(err) => Err(CommandError::from(err)),
            }
        })
        .buffered(DEFAULT_CONCURRENCY)
        .collect()
        .await;
    samples.into_iter().collect()
}

fn table(samples: &[(&ContainerSummary, Option<Stats>)]) -> String {
    let mut rows = vec![[
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ]
    .map(String::from)
    .to_vec()];
    for (container, stats) in samples {
        let row = match stats {
            Some(s) => vec![
                container.name.clone(),
                format!("{:.2}%", s.cpu_percent),
                format!(
                    "{} / {}",
                    human_bytes(s.memory_bytes, true),
                    human_bytes(s.memory_limit_bytes, true)
                ),
                format!("{:.2}%", memory_percent(s)),
                format!(
                    "{} / {}",
                    human_bytes(s.network_rx_bytes, false),
                    human_bytes(s.network_tx_bytes, false)
                ),
                format!(
                    "{} / {}",
                    human_bytes(s.block_read_bytes, false),
                    human_bytes(s.block_write_bytes, false)
                ),
                s.pids.to_string(),
            ],
            None => {
                let mut row = vec![container.name.clone()];
                row.extend(["--", "-- / --", "--", "-- / --", "-- / --", "--"].map(String::from));
                row
            }
        };
        rows.push(row);
    }
    columns(&rows, "   ")
}

fn json_lines(samples: &[(&ContainerSummary, Option<Stats>)]) -> String {
    let mut out = String::new();
    for (container, stats) in samples {
        let mut line = serde_json::json!({
            "name": container.name,
            "service": container.service(),
            "replica": container.replica(),
            "state": container.state.to_string(),
        });
        if let (Some(stats), Some(object)) = (stats, line.as_object_mut()) {
            if let Ok(serde_json::Value::Object(figures)) = serde_json::to_value(stats) {
                object.extend(figures);
            }
            object.insert(
                "memory_percent".to_string(),
                serde_json::json!(memory_percent(stats)),
            );
        }
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn memory_percent(stats: &Stats) -> f64 {
    if stats.memory_limit_bytes == 0 {
        return 0.0;
    }
    stats.memory_bytes as f64 / stats.memory_limit_bytes as f64 * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str, state: ContainerState) -> ContainerSummary {
        super::super::fixtures::container(name, "web", Some(1), state)
    }

    #[test]
    fn a_sample_reads_as_docker_stats_and_as_one_json_line() {
        let running = container("demo-web-1", ContainerState::Running);
        let stopped = container("demo-web-2", ContainerState::Exited { code: 0 });
        let stats = Stats {
            cpu_percent: 12.345,
            memory_bytes: 10 * 1024 * 1024,
            memory_limit_bytes: 100 * 1024 * 1024,
            network_rx_bytes: 1_500,
            network_tx_bytes: 2_000_000,
            block_read_bytes: 0,
            block_write_bytes: 4_096,
            pids: 3,
        };
        let samples = vec![(&running, Some(stats)), (&stopped, None)];
        assert_eq!(
            table(&samples),
            "NAME         CPU %    MEM USAGE / LIMIT   MEM %    NET I/O           BLOCK I/O     PIDS\n\
             demo-web-1   12.35%   10.0MiB / 100MiB    10.00%   1.50kB / 2.00MB   0B / 4.10kB   3\n\
             demo-web-2   --       -- / --             --       -- / --           -- / --       --\n"
        );
        let lines = json_lines(&samples);
        let first: serde_json::Value =
            serde_json::from_str(lines.lines().next().expect("a line")).expect("json");
        assert_eq!(first["name"], "demo-web-1");
        assert_eq!(first["service"], "web");
        assert_eq!(first["replica"], 1);
        assert_eq!(first["pids"], 3);
        assert_eq!(first["memory_percent"], 10.0);
        let second: serde_json::Value =
            serde_json::from_str(lines.lines().nth(1).expect("a line")).expect("json");
        assert_eq!(second["state"], "exited (0)");
        assert!(second.get("cpu_percent").is_none());
    }
}

//! `msctl top [SERVICE...]`: the processes of each running container of the chosen
//! services (replicas and one-off containers), as the engine's host lists them, one
//! table per container in service and replica order; with `--format json`, an array
//! of one object per container.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde::Serialize;

use crate::cli::{Format, TopArgs};
use crate::engine::{ContainerSummary, EngineError, LabelFilter, Processes};
use crate::manifest::model::Project;
use crate::plan::{labels, ContainerState};
use crate::session::{CommandError, Context};

/// One container's processes, as `--format json` prints them.
#[derive(Debug, Serialize)]
struct Listed {
    service: String,
    replica: Option<u32>,
    name: String,
    /// One object per process, keyed by the column titles of `ps`.
    processes: Vec<serde_json::Map<String, serde_json::Value>>,
}

pub fn top(ctx: &Context, project: &Project, args: &TopArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let json = match ctx.global.format {
        Some(Format::Json) => true,
        None | Some(Format::Table) => false,
        Some(Format::Yaml) => {
            return Err(CommandError::Usage(
                "`top` prints tables or json, not yaml".to_string(),
            ))
        }
    };
    let chosen: BTreeSet<&str> = args.services.iter().map(String::as_str).collect();
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let listed = engine
            .list_containers(&LabelFilter::project(&project.name))
            .await
            .map_err(|err| CommandError::with_hint(err.hint(), err))?;
        let mut running: Vec<ContainerSummary> = listed
            .into_iter()
            .filter(|c| c.state == ContainerState::Running)
            .filter(|c| {
                c.labels
                    .get(labels::SERVICE)
                    .is_some_and(|s| chosen.is_empty() || chosen.contains(s.as_str()))
            })
            .collect();
        running.sort_by_key(|c| (c.service().map(str::to_string), c.replica(), c.name.clone()));
        if running.is_empty() {
            let which = if args.services.is_empty() {
                format!("project `{}` has no running container", project.name)
            } else {
                format!(
                    "no container of {} is running",
                    args.services
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(CommandError::hinted(
                anyhow::anyhow!(which),
                "`msctl ps -a` shows their state; `msctl up` starts them",
            ));
        }
        let answers = join_all(running.iter().map(|c| engine.top(&c.id))).await;
        let mut tables = Vec::new();
        for (container, answer) in running.iter().zip(answers) {
            match answer {
                Ok(processes) => tables.push((container, processes)),
                // Stopped since it was listed: nothing runs in it to list.
                Err(EngineError::Conflict { .. } | EngineError::NotFound { .. }) => {}
                Err(err) => return Err(CommandError::with_hint(err.hint(), err)),
            }
        }
        let text = if json {
            let objects: Vec<Listed> = tables
                .iter()
                .map(|(container, processes)| Listed {
                    service: container.service().unwrap_or_default().to_string(),
                    replica: container.replica(),
                    name: container.name.clone(),
                    processes: objects_of(processes),
                })
                .collect();
            serde_json::to_string_pretty(&objects).map_err(anyhow::Error::from)? + "\n"
        } else {
            tables
                .iter()
                .map(|(container, processes)| format!("{}\n{}", container.name, table(processes)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let _ = ctx.printer.data(&text);
        Ok(())
    })
}

/// Each process as an object keyed by the column titles.
fn objects_of(processes: &Processes) -> Vec<serde_json::Map<String, serde_json::Value>> {
    processes
        .rows
        .iter()
        .map(|row| {
            processes
                .titles
                .iter()
                .zip(row)
                .map(|(title, value)| (title.clone(), serde_json::Value::from(value.clone())))
                .collect()
        })
        .collect()
}

/// The titles and rows in columns padded to their widest value; the last column as is.
fn table(processes: &Processes) -> String {
    let rows: Vec<Vec<String>> = std::iter::once(&processes.titles)
        .chain(&processes.rows)
        .cloned()
        .collect();
    crate::output::table::columns(&rows, "  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processes() -> Processes {
        Processes {
            titles: vec!["UID".into(), "PID".into(), "CMD".into()],
            rows: vec![
                vec!["root".into(), "1".into(), "sleep 300".into()],
                vec!["nobody".into(), "12345".into(), "sh -c x".into()],
            ],
        }
    }

    #[test]
    fn the_table_pads_every_column_but_the_last() {
        assert_eq!(
            table(&processes()),
            "UID     PID    CMD\nroot    1      sleep 300\nnobody  12345  sh -c x\n"
        );
    }

    #[test]
    fn json_keys_each_value_by_its_title() {
        let objects = objects_of(&processes());
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1]["PID"], "12345");
        assert_eq!(objects[0]["CMD"], "sleep 300");
    }
}

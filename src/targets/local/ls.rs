//! `msctl ls [-a]`: the projects with containers on this engine (with `-a`, those whose
//! containers are all stopped too), found by msctl's project label whoever brought them
//! up: each one's containers by state (`running(3), exited(1)`), whether this state
//! directory keeps it healthy (self-heal `on`/`off`, `-` for a project it did not bring
//! up), and the manifest files its last `up` read (`-` when unknown here). `--format
//! json` as an array; the global `-q` prints the names only.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cli::{Format, LsArgs};
use crate::engine::LabelFilter;
use crate::plan::labels;

use super::ps::state_name;
use crate::session::{CommandError, Context};

/// One row of `ls`; the field order is the JSON field order.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct Row {
    name: String,
    status: String,
    /// `on`, `off`, or `null` when this state directory did not bring it up.
    self_heal: Option<&'static str>,
    config_files: Vec<String>,
}

pub fn ls(ctx: &Context, args: &LsArgs) -> Result<(), CommandError> {
    let format = ctx.global.format;
    if format == Some(Format::Yaml) {
        return Err(CommandError::Usage(
            "`ls` prints table or json, not yaml".to_string(),
        ));
    }
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let containers = engine
            .list_containers(&LabelFilter::any().with(labels::PROJECT, None))
            .await
            .map_err(|err| CommandError::with_hint(err.hint(), err))?;
        // Project -> state name -> how many containers are in it.
        let mut projects: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
        for container in &containers {
            let Some(project) = container.labels.get(labels::PROJECT) else {
                continue;
            };
            *projects
                .entry(project.clone())
                .or_default()
                .entry(state_name(container.state))
                .or_default() += 1;
        }
        if !args.all {
            projects.retain(|_, states| states.contains_key("running"));
        }
        let store = ctx.state_store()?;
        let failed = |e: crate::state::StateError| CommandError::Failed(e.into());
        let mut rows = Vec::new();
        for (name, states) in projects {
            let self_heal = store.desired(&name).map_err(failed)?.map(|desired| {
                if desired.self_heal {
                    "on"
                } else {
                    "off"
                }
            });
            rows.push(Row {
                status: states
                    .iter()
                    .map(|(state, count)| format!("{state}({count})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self_heal,
                config_files: store.config_files(&name).map_err(failed)?,
                name,
            });
        }
        drop(store);
        let text = if ctx.global.quiet {
            rows.iter().map(|r| format!("{}\n", r.name)).collect()
        } else if format == Some(Format::Json) {
            serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)? + "\n"
        } else {
            table(&rows)
        };
        let _ = ctx.printer.data(&text);
        Ok(())
    })
}

fn table(rows: &[Row]) -> String {
    let header = ["NAME", "STATUS", "SELF-HEAL", "CONFIG FILES"].map(str::to_string);
    let lines: Vec<Vec<String>> = std::iter::once(header.to_vec())
        .chain(rows.iter().map(|r| {
            vec![
                r.name.clone(),
                r.status.clone(),
                r.self_heal.unwrap_or("-").to_string(),
                if r.config_files.is_empty() {
                    "-".to_string()
                } else {
                    r.config_files.join(",")
                },
            ]
        }))
        .collect();
    crate::output::table::columns(&lines, "  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_dash_for_what_this_state_directory_does_not_know() {
        let rows = [
            Row {
                name: "shop".to_string(),
                status: "exited(1), running(5)".to_string(),
                self_heal: Some("on"),
                config_files: vec!["/srv/shop/compose.yaml".to_string()],
            },
            Row {
                name: "other".to_string(),
                status: "running(1)".to_string(),
                self_heal: None,
                config_files: Vec::new(),
            },
        ];
        assert_eq!(
            table(&rows),
            "NAME   STATUS                 SELF-HEAL  CONFIG FILES\n\
             shop   exited(1), running(5)  on         /srv/shop/compose.yaml\n\
             other  running(1)             -          -\n"
        );
    }
}

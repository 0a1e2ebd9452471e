//! `msctl config`: the resolved manifest, as YAML (default) or JSON, or one list of names.

use crate::cli::{ConfigArgs, Format};
use crate::plan::replica_config_hash;

use crate::session::{CommandError, Context};

pub fn run(ctx: &Context, args: ConfigArgs) -> Result<(), CommandError> {
    let loaded = ctx.load()?;
    let project = &loaded.project;
    let lines = |items: Vec<String>| items.iter().map(|s| format!("{s}\n")).collect::<String>();
    let text = if args.services {
        lines(crate::plan::dependencies::dependency_order(project))
    } else if args.volumes {
        lines(project.volumes.keys().cloned().collect())
    } else if args.networks {
        lines(project.networks.keys().cloned().collect())
    } else if args.profiles {
        let mut profiles: Vec<String> = project
            .services
            .values()
            .flat_map(|s| s.profiles.clone())
            .collect();
        profiles.sort();
        profiles.dedup();
        lines(profiles)
    } else if args.images {
        lines(
            project
                .services
                .iter()
                .map(|(name, s)| {
                    s.image
                        .clone()
                        .unwrap_or_else(|| format!("{}-{name}", project.name))
                })
                .collect(),
        )
    } else if let Some(selection) = &args.hash {
        let wanted: Vec<&str> = selection
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let all = wanted.contains(&"*");
        if let Some(unknown) = wanted
            .iter()
            .find(|w| **w != "*" && !project.services.contains_key(**w))
        {
            return Err(CommandError::Failed(anyhow::anyhow!(
                "`{unknown}` is not a service of project `{}` (services: {})",
                project.name,
                project
                    .services
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        lines(
            project
                .services
                .iter()
                .filter(|(name, _)| all || wanted.contains(&name.as_str()))
                .map(|(name, service)| format!("{name} {}", replica_config_hash(project, service)))
                .collect(),
        )
    } else {
        match ctx.global.format {
            Some(Format::Json) => {
                serde_json::to_string_pretty(project).map_err(anyhow::Error::from)? + "\n"
            }
            None | Some(Format::Yaml) => {
                // Through JSON, so enums come out as plain maps (`file: PATH`), not YAML
                // tags (`!file PATH`) that other Compose readers reject.
                let value = serde_json::to_value(project).map_err(anyhow::Error::from)?;
                crate::output::yaml::yaml11_safe(
                    &serde_norway::to_string(&value).map_err(anyhow::Error::from)?,
                )
            }
            Some(Format::Table) => {
                return Err(CommandError::Usage(
                    "`config` prints yaml or json, not table".to_string(),
                ))
            }
        }
    };
    if ctx.global.quiet
        && !(args.services
            || args.volumes
            || args.networks
            || args.profiles
            || args.images
            || args.hash.is_some())
    {
        // `config -q` only validates, as in Compose.
        return Ok(());
    }
    ctx.printer.data(&text).map_err(anyhow::Error::from)?;
    Ok(())
}

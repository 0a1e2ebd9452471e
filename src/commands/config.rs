//! `msctl config`: the resolved manifest, as YAML (default) or JSON, or one list of names.

use crate::cli::{ConfigArgs, Format};
use crate::plan::replica_config_hash;

use super::{CommandError, Context};

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
                yaml11_safe(&serde_norway::to_string(&value).map_err(anyhow::Error::from)?)
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

/// serde_norway writes YAML 1.2, where `no` is a string; YAML 1.1 readers (PyYAML, so
/// docker-compose 1.x) would read it as `false`. Quote such scalars so the output means
/// the same to every reader.
pub(super) fn yaml11_safe(text: &str) -> String {
    const AMBIGUOUS: &[&str] = &[
        "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let split = line.rfind(": ").map(|i| i + 2).or_else(|| {
            line.trim_start()
                .starts_with("- ")
                .then(|| line.find("- ").map(|i| i + 2))
                .flatten()
        });
        match split {
            Some(at) if AMBIGUOUS.contains(&&line[at..]) => {
                out.push_str(&line[..at]);
                out.push('\'');
                out.push_str(&line[at..]);
                out.push('\'');
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn yaml11_booleans_are_quoted() {
        let text = "restart: no\nname: noway\nlist:\n- on\n- x\nk: 'no'\n";
        assert_eq!(
            super::yaml11_safe(text),
            "restart: 'no'\nname: noway\nlist:\n- 'on'\n- x\nk: 'no'\n"
        );
    }
}

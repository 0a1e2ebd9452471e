//! `msctl images [SERVICE...]`: the image each container of the chosen services runs
//! (replicas and one-off containers): its repository, tag, id and size, one row per
//! container in service and replica order; `--format json` as an array, `--ids` (or the
//! global `-q`) the image ids only, each once.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;
use serde::Serialize;

use crate::cli::{Format, ImagesArgs};
use crate::engine::{split_image_tag, ContainerSummary, ImageDetails, LabelFilter};
use crate::images::progress::megabytes;
use crate::manifest::model::Project;
use crate::plan::labels;
use crate::session::{CommandError, Context};

/// One row of `images`; the field order is the JSON field order.
#[derive(Debug, Clone, Serialize, PartialEq)]
struct Row {
    container: String,
    service: String,
    replica: Option<u32>,
    repository: String,
    tag: String,
    id: String,
    /// Bytes.
    size: u64,
}

pub fn images(ctx: &Context, project: &Project, args: &ImagesArgs) -> Result<(), CommandError> {
    ctx.check_services(project, &args.services)?;
    let chosen: BTreeSet<&str> = args.services.iter().map(String::as_str).collect();
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let failed = |err: crate::engine::EngineError| CommandError::with_hint(err.hint(), err);
        let mut containers: Vec<ContainerSummary> = engine
            .list_containers(&LabelFilter::project(&project.name))
            .await
            .map_err(failed)?
            .into_iter()
            .filter(|c| {
                c.labels
                    .get(labels::SERVICE)
                    .is_some_and(|s| chosen.is_empty() || chosen.contains(s.as_str()))
            })
            .collect();
        containers.sort_by_key(|c| (c.service().map(str::to_string), c.replica(), c.name.clone()));
        // Each image once, however many containers run it.
        let references: BTreeSet<&str> = containers.iter().map(|c| c.image.as_str()).collect();
        let inspected = join_all(references.iter().map(|r| engine.inspect_image(r))).await;
        let mut details: BTreeMap<&str, ImageDetails> = BTreeMap::new();
        for (reference, answer) in references.iter().zip(inspected) {
            if let Some(found) = answer.map_err(failed)? {
                details.insert(reference, found);
            }
        }
        let rows: Vec<Row> = containers
            .iter()
            .map(|c| row(c, details.get(c.image.as_str())))
            .collect();
        let text = if args.ids || ctx.global.quiet {
            let mut seen = BTreeSet::new();
            rows.iter()
                .filter(|r| !r.id.is_empty() && seen.insert(r.id.clone()))
                .map(|r| format!("{}\n", r.id))
                .collect()
        } else {
            match ctx.global.format {
                Some(Format::Json) => {
                    serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)? + "\n"
                }
                None | Some(Format::Table) => table(&rows),
                Some(Format::Yaml) => {
                    return Err(CommandError::Usage(
                        "`images` prints table or json, not yaml".to_string(),
                    ))
                }
            }
        };
        let _ = ctx.printer.data(&text);
        if rows.is_empty() {
            ctx.printer.status(&format!(
                "project `{}` has no container{}: `msctl up` creates them",
                project.name,
                if chosen.is_empty() {
                    String::new()
                } else {
                    " of the services named".to_string()
                }
            ));
        }
        Ok(())
    })
}

/// A container's row: the repository and tag of the name it was created from (or of
/// the image's first name, when it was created from an id), the image's id and size.
fn row(container: &ContainerSummary, image: Option<&ImageDetails>) -> Row {
    let name = if container.image.starts_with("sha256:") {
        image
            .and_then(|i| i.repo_tags.first().cloned())
            .unwrap_or_default()
    } else {
        container.image.clone()
    };
    let (repository, tag) = if name.is_empty() {
        ("<none>".to_string(), "<none>".to_string())
    } else if name.contains('@') {
        let (repository, _) = name.split_once('@').expect("has @");
        (repository.to_string(), "<none>".to_string())
    } else {
        split_image_tag(&name)
    };
    Row {
        container: container.name.clone(),
        service: container.service().unwrap_or_default().to_string(),
        replica: container.replica(),
        repository,
        tag,
        id: image
            .map(|i| {
                i.id.trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect()
            })
            .unwrap_or_default(),
        size: image.map_or(0, |i| i.size),
    }
}

fn table(rows: &[Row]) -> String {
    let header = ["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"].map(str::to_string);
    let lines: Vec<Vec<String>> = std::iter::once(header.to_vec())
        .chain(rows.iter().map(|r| {
            vec![
                r.container.clone(),
                r.repository.clone(),
                r.tag.clone(),
                if r.id.is_empty() {
                    "<missing>".to_string()
                } else {
                    r.id.clone()
                },
                if r.id.is_empty() {
                    "-".to_string()
                } else {
                    megabytes(r.size)
                },
            ]
        }))
        .collect();
    crate::output::table::columns(&lines, "  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str) -> ContainerSummary {
        ContainerSummary {
            id: "c1".to_string(),
            name: "shop-web-1".to_string(),
            image: image.to_string(),
            labels: BTreeMap::from([
                (labels::SERVICE.to_string(), "web".to_string()),
                (labels::REPLICA.to_string(), "1".to_string()),
            ]),
            state: crate::plan::ContainerState::Running,
            health: crate::plan::Health::None,
            network_mode: None,
            networks: Vec::new(),
        }
    }

    fn details() -> ImageDetails {
        ImageDetails {
            id: "sha256:0123456789abcdef0123".to_string(),
            repo_tags: vec!["shop/web:1.2".to_string()],
            size: 4_200_000,
            ..ImageDetails::default()
        }
    }

    #[test]
    fn a_row_names_the_image_the_container_was_created_from() {
        let by_name = row(&container("127.0.0.1:5000/shop/web:2.0"), Some(&details()));
        assert_eq!(
            (
                by_name.repository.as_str(),
                by_name.tag.as_str(),
                by_name.id.as_str()
            ),
            ("127.0.0.1:5000/shop/web", "2.0", "0123456789ab")
        );
        let by_id = row(&container("sha256:0123456789abcdef0123"), Some(&details()));
        assert_eq!(
            (by_id.repository.as_str(), by_id.tag.as_str()),
            ("shop/web", "1.2")
        );
        let gone = row(&container("shop/old:1"), None);
        assert_eq!((gone.id.as_str(), gone.size), ("", 0));
        assert_eq!(
            table(&[gone]),
            "CONTAINER   REPOSITORY  TAG  IMAGE ID   SIZE\nshop-web-1  shop/old    1    <missing>  -\n"
        );
    }
}

//! Images from registries: references, credentials, pull policies, pulling and pushing.
//!
//! `reference` parses image names (`redis:7`, `127.0.0.1:5000/shop/orders@sha256:...`)
//! into registry, repository, tag and digest; `auth` finds the credentials the Docker
//! CLI keeps for a registry (`~/.docker/config.json`, credential helpers); `policy`
//! decides, purely, which images a command pulls; `pull` and `push` apply that through
//! the engine with bounded concurrency and progress lines.

pub mod auth;
pub mod policy;
pub mod progress;
pub mod pull;
pub mod push;

use std::collections::BTreeMap;

use crate::build::{BuildError, BuildPolicy, ImageRef};
use crate::engine::{Engine, EngineError};
use crate::manifest::model::Project;

pub use policy::PullOverride;
pub use pull::{PullError, PullJob, PullPlan, Pulled, Refusal};

/// How a command gets its services' images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageOptions {
    /// `--pull`, over every service's `pull_policy`.
    pub pull: Option<PullOverride>,
    /// When buildable services are built.
    pub build: BuildPolicy,
}

/// What [`ensure`] did.
#[derive(Debug, Default)]
pub struct Ensured {
    /// Service -> the image its replicas run, for every selected service.
    pub images: BTreeMap<String, ImageRef>,
    /// The pulls that worked, for the state store's pull times.
    pub pulled: Vec<Pulled>,
    /// Pulls that failed for services that are built instead: said, not errors.
    pub built_instead: Vec<PullError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("service `{}`: image `{}` is not on the engine, and {} forbids pulling it", .0.service, .0.image, if .0.by_flag { "`--pull never`" } else { "its `pull_policy`" })]
    Refused(Refusal),
    #[error(transparent)]
    Pull(PullError),
    #[error(transparent)]
    Build(BuildError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl ImageError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ImageError::Refused(refusal) if refusal.by_flag => Some(format!(
                "leave out `--pull never`, or pull `{}` first (`msctl pull {}`)",
                refusal.image, refusal.service
            )),
            ImageError::Refused(refusal) => Some(format!(
                "pull it yourself (`docker pull {}`), load it (`docker load`), or let msctl pull it: `pull_policy: missing`",
                refusal.image
            )),
            ImageError::Pull(err) => err.hint(),
            ImageError::Build(err) => err.hint(),
            ImageError::Engine(err) => err.hint().map(str::to_string),
        }
    }
}

/// The services among `selected` that msctl builds (`build` or `x-msctl.build`).
pub fn buildable(project: &Project, selected: &[String]) -> Vec<String> {
    selected
        .iter()
        .filter(|name| {
            project
                .services
                .get(*name)
                .is_some_and(|s| crate::build::build_spec(s).is_some())
        })
        .cloned()
        .collect()
}

/// Makes sure every service in `selected` has its image, before anything runs: pulls
/// what the policies say (all pulls run to their end; the first failure, by image, is
/// the error, unless the service is built: then it is built instead), then builds the
/// buildable services per `options.build`. Returns the image of every selected service
/// with its id, which `up` pins into the config so a new image replaces replicas.
#[allow(clippy::too_many_arguments)]
pub async fn ensure(
    engine: &dyn Engine,
    project: &Project,
    selected: &[String],
    options: ImageOptions,
    config: &auth::DockerConfig,
    last_pulls: &BTreeMap<String, i64>,
    now_ms: i64,
    pull_reporter: &dyn progress::ImageReporter,
    build_reporter: &dyn crate::build::BuildReporter,
) -> Result<Ensured, ImageError> {
    let planned = pull::plan(engine, project, selected, options.pull, last_pulls, now_ms).await?;
    if let Some(refusal) = planned.refused.into_iter().next() {
        return Err(ImageError::Refused(refusal));
    }
    let mut ensured = Ensured::default();
    let results = pull::pull_all(
        engine,
        &planned.jobs,
        config,
        pull_reporter,
        pull::PULL_CONCURRENCY,
    )
    .await
    .map_err(ImageError::Pull)?;
    let mut first_error = None;
    for (job, result) in planned.jobs.iter().zip(results) {
        match result {
            Ok(pulled) => ensured.pulled.push(pulled),
            Err(err) if job.fallback_to_build => ensured.built_instead.push(err),
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    if let Some(err) = first_error {
        return Err(ImageError::Pull(err));
    }

    let buildable = buildable(project, selected);
    if !buildable.is_empty() {
        let built = crate::build::ensure_images(project, &buildable, options.build, build_reporter)
            .await
            .map_err(ImageError::Build)?;
        ensured.images.extend(built);
    }

    let pulled_ids: BTreeMap<&str, &str> = ensured
        .pulled
        .iter()
        .map(|p| (p.image.as_str(), p.id.as_str()))
        .collect();
    for name in selected {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        if ensured.images.contains_key(name) {
            continue;
        }
        let Some(image) = &service.image else {
            continue;
        };
        let id = match pulled_ids.get(image.as_str()) {
            Some(id) => id.to_string(),
            None => match planned.local_ids.get(name) {
                Some(id) => id.clone(),
                None => {
                    return Err(ImageError::Engine(EngineError::NotFound {
                        what: format!("image `{image}` of service `{name}`"),
                    }))
                }
            },
        };
        ensured.images.insert(
            name.clone(),
            ImageRef {
                name: image.clone(),
                id,
                build_digest: None,
                built: false,
            },
        );
    }
    Ok(ensured)
}

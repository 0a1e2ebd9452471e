//! What `up`, `scale`, `plan` and the Swarm commands share about images: getting them
//! (pull, then build) with the Docker CLI's credentials and the state store's pull
//! times, planning that without changing anything, and saying why one cannot be had.
//! Not a command: the [`Context`] side of [`crate::images`].

use std::collections::{BTreeMap, BTreeSet};

use super::{CommandError, Context};
use crate::build::{BuildPolicy, ImagePlan, ImageRef};
use crate::cli::PullArg;
use crate::engine::Engine;
use crate::images::auth::DockerConfig;
use crate::images::{ImageError, ImageOptions, PullOverride};
use crate::manifest::model::Project;
use crate::manifest::Loaded;

/// `--pull` as the image layer reads it.
pub fn pull_override(arg: Option<PullArg>) -> Option<PullOverride> {
    arg.map(|arg| match arg {
        PullArg::Always => PullOverride::Always,
        PullArg::Missing => PullOverride::Missing,
        PullArg::Never => PullOverride::Never,
    })
}

impl Context {
    /// The Docker CLI's config (`DOCKER_CONFIG`, else ~/.docker), for credentials.
    pub fn docker_config(&self) -> Result<DockerConfig, CommandError> {
        DockerConfig::load(&self.environment)
            .map_err(|err| CommandError::with_hint(err.hint(), err))
    }

    /// When msctl last pulled each image of `project`'s services.
    fn last_pulls(&self, project: &Project) -> Result<BTreeMap<String, i64>, CommandError> {
        let store = self.state_store()?;
        let mut out = BTreeMap::new();
        for image in project.services.values().filter_map(|s| s.image.as_deref()) {
            if let Some(at) = store
                .last_pull(image)
                .map_err(|e| CommandError::Failed(e.into()))?
            {
                out.insert(image.to_string(), at);
            }
        }
        Ok(out)
    }

    /// Gets the image of every selected service before anything runs: pulls what
    /// `options` and the policies say, builds what is buildable, records the pulls'
    /// times, and says which pulls failed for services that are built instead.
    /// `loaded` places a refusal at its `pull_policy` (or `image`) in the manifest.
    pub async fn ensure_images(
        &self,
        engine: &dyn Engine,
        loaded: Option<&Loaded>,
        project: &Project,
        selected: &BTreeSet<String>,
        options: ImageOptions,
    ) -> Result<BTreeMap<String, ImageRef>, CommandError> {
        let selected: Vec<String> = selected.iter().cloned().collect();
        let config = self.docker_config()?;
        let last_pulls = self.last_pulls(project)?;
        let pull_reporter = crate::images::progress::reporter(self.printer, false);
        let build_reporter =
            crate::build::progress::reporter(self.printer, self.printer.interactive);
        let ensured = crate::images::ensure(
            engine,
            project,
            &selected,
            options,
            &config,
            &last_pulls,
            crate::clock::now_ms(),
            pull_reporter.as_ref(),
            build_reporter.as_ref(),
        )
        .await;
        drop(pull_reporter);
        let ensured = ensured.map_err(|err| self.image_failed(loaded, project, err))?;
        self.record_pulls(&ensured.pulled)?;
        for err in &ensured.built_instead {
            self.printer
                .status(&format!("warning: {err}; building it instead"));
        }
        Ok(ensured.images)
    }

    /// Keeps when each pulled image was pulled, for `daily`, `weekly` and `every_`.
    pub fn record_pulls(&self, pulled: &[crate::images::Pulled]) -> Result<(), CommandError> {
        if pulled.is_empty() {
            return Ok(());
        }
        let mut store = self.state_store()?;
        let now = crate::clock::now_ms();
        for pull in pulled {
            store
                .record_pull(&pull.image, now)
                .map_err(|e| CommandError::Failed(e.into()))?;
        }
        Ok(())
    }

    /// What `up` would do about the selected services' images, changing nothing: one
    /// plan line per pull and build, and each service's image id (or what it waits on:
    /// `to be pulled: missing`), so that the replicas' plan shows the right changes.
    pub async fn plan_images(
        &self,
        engine: &dyn Engine,
        loaded: Option<&Loaded>,
        project: &Project,
        selected: &BTreeSet<String>,
        options: ImageOptions,
    ) -> Result<(Vec<String>, BTreeMap<String, String>), CommandError> {
        let selected: Vec<String> = selected.iter().cloned().collect();
        let last_pulls = self.last_pulls(project)?;
        let planned = crate::images::pull::plan(
            engine,
            project,
            &selected,
            options.pull,
            &last_pulls,
            crate::clock::now_ms(),
        )
        .await
        .map_err(|e| self.image_failed(loaded, project, e.into()))?;
        if let Some(refusal) = planned.refused.first() {
            return Err(self.image_failed(loaded, project, ImageError::Refused(refusal.clone())));
        }
        let mut lines = Vec::new();
        let mut ids: BTreeMap<String, String> = planned.local_ids.clone();
        for job in &planned.jobs {
            let services = job
                .services
                .iter()
                .map(|s| format!("service:{s}"))
                .collect::<Vec<_>>()
                .join(", ");
            lines.push(format!(
                "pull image {} ({services}, {})",
                job.image, job.reason
            ));
            for service in &job.services {
                // A pull of an image the engine has usually brings the same one; a
                // missing one's id is not known until it is pulled.
                ids.entry(service.clone())
                    .or_insert_with(|| format!("to be pulled: {}", job.reason));
            }
        }
        let buildable = crate::images::buildable(project, &selected);
        let builds = crate::build::plan_images(project, &buildable, options.build)
            .await
            .map_err(|e| self.image_failed(loaded, project, ImageError::Build(e)))?;
        for (name, plan) in builds {
            let id = match plan {
                ImagePlan::Current(current) => current.id,
                ImagePlan::Build { image, reason } => {
                    lines.push(format!("build image {image} (service:{name}, {reason})"));
                    format!("to be built: {reason}")
                }
            };
            ids.insert(name, id);
        }
        Ok((lines, ids))
    }

    /// An image error as a command error: a refused pull placed at the service's
    /// `pull_policy` (or `image`) in the manifest, the rest with its hint.
    pub fn image_failed(
        &self,
        loaded: Option<&Loaded>,
        project: &Project,
        err: ImageError,
    ) -> CommandError {
        if let (ImageError::Refused(refusal), Some(loaded)) = (&err, loaded) {
            let key = match project.services.get(&refusal.service) {
                Some(service) if service.pull_policy.is_some() && !refusal.by_flag => "pull_policy",
                _ => "image",
            };
            return CommandError::Manifest(crate::manifest::LoadError {
                rendered: loaded.error_at(
                    &["services", refusal.service.as_str(), key],
                    &err.to_string(),
                    &err.hint().unwrap_or_default(),
                ),
                error_count: 1,
            });
        }
        CommandError::with_hint(err.hint(), err)
    }
}

/// The services `pull` and `push` work on: every one when none is named, else the
/// named ones (with what they depend on, for `--include-deps`).
pub fn asked_services(
    project: &Project,
    services: &[String],
    include_deps: bool,
) -> BTreeSet<String> {
    if services.is_empty() {
        project.services.keys().cloned().collect()
    } else if include_deps {
        crate::plan::dependencies::with_dependencies(project, services)
    } else {
        services.iter().cloned().collect()
    }
}

/// The build policy and `--pull` of a command, as one value.
pub fn image_options(build: BuildPolicy, pull: Option<PullArg>) -> ImageOptions {
    ImageOptions {
        pull: pull_override(pull),
        build,
    }
}

/// A rebuilt or newly pulled image must replace the replicas running the old one: the
/// image id goes into the service's config (as a label msctl never puts on
/// containers), so its config hash changes exactly when the image does.
pub fn pin_images(project: &mut Project, images: &BTreeMap<String, ImageRef>) {
    for (name, image) in images {
        if let Some(service) = project.services.get_mut(name) {
            service
                .labels
                .insert(crate::plan::labels::IMAGE_ID.to_string(), image.id.clone());
        }
    }
}

//! Image builds: Dockerfile contexts sent to the engine, and the cargo builder.
//!
//! Every image msctl builds is tagged with the service's image name
//! ([`crate::plan::names::image_name`]) and labelled with the digest of its inputs
//! ([`digest`]). [`ensure_images`] recomputes that digest and builds only what is
//! missing or changed, so an `up` with nothing changed skips builds in milliseconds.
//!
//! Architecture Invariant: this module speaks bollard only for image builds, imports and
//! inspections; containers, networks and volumes go through [`crate::engine`].

pub mod cargo;
pub mod context;
pub mod digest;
pub mod dockerfile;
pub mod ignore;
pub mod progress;
pub mod watch;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use futures_util::StreamExt;

pub use progress::{BuildEvent, BuildReporter, PlainBuildReporter, Silent, TtyBuildReporter};

use crate::engine::EngineError;
use crate::manifest::model::{Build, CargoBuild, Project, Service};
use crate::plan::{labels, names};

/// Longest wait for one engine call that is not a build (inspect, tag).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// When [`ensure_images`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildPolicy {
    /// Build what is missing or whose inputs changed (`up`).
    Missing,
    /// Build everything buildable (`build`, `up --build`).
    Always,
    /// Build nothing; a missing image is an error (`up --no-build`).
    Never,
}

impl BuildPolicy {
    /// The policy of `up`'s `--no-build` and `--build` flags.
    pub fn from_flags(no_build: bool, build: bool) -> BuildPolicy {
        if no_build {
            BuildPolicy::Never
        } else if build {
            BuildPolicy::Always
        } else {
            BuildPolicy::Missing
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// Build without the engine's layer cache.
    pub no_cache: bool,
    /// How many services build at once (cargo builds still run one at a time).
    pub parallelism: usize,
    /// Pull a base image the engine lacks before a Dockerfile build.
    pub pull_base: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            no_cache: false,
            parallelism: 2,
            pull_base: true,
        }
    }
}

/// The image a service runs, as [`ensure_images`] found or built it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The name containers are created from: `image:`, or `<project>-<service>`.
    pub name: String,
    /// The engine's image id, `sha256:...`.
    pub id: String,
    /// The digest of the inputs it was built from, for images msctl built.
    pub build_digest: Option<String>,
    /// Whether this call built it.
    pub built: bool,
}

/// How a service's image is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BuildSpec<'a> {
    Dockerfile(&'a Build),
    Cargo(&'a CargoBuild),
}

/// How `service` is built, or `None` for a service that only names an image.
pub fn build_spec(service: &Service) -> Option<BuildSpec<'_>> {
    match (&service.build, &service.extensions.build) {
        (Some(build), _) => Some(BuildSpec::Dockerfile(build)),
        (None, Some(cargo)) => Some(BuildSpec::Cargo(cargo)),
        (None, None) => None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("`{service}` is not a service of project `{project}`")]
    UnknownService { project: String, service: String },
    #[error(
        "service `{service}` has nothing to build: it has neither `build` nor `x-msctl.build`"
    )]
    NothingToBuild { service: String },
    #[error("service `{service}`: its build context cannot be sent")]
    Context {
        service: String,
        #[source]
        source: context::ContextError,
    },
    #[error("service `{service}`: cannot compute the digest of its build inputs")]
    Digest {
        service: String,
        #[source]
        source: digest::DigestError,
    },
    #[error("service `{service}`: base image `{image}` is not on the engine and {}", if why.starts_with('`') { why.clone() } else { format!("cannot be pulled: {why}") })]
    BaseImageMissing {
        service: String,
        image: String,
        why: String,
    },
    #[error("service `{service}`: image `{image}` is not on the engine{}", match reason {
        MissingReason::NoBuild => ", and building is turned off",
        MissingReason::NotBuildable => ", and it was not pulled",
    })]
    ImageMissing {
        service: String,
        image: String,
        reason: MissingReason,
    },
    #[error("building service `{service}` failed{}: {message}", match step {
        Some(step) => format!(" at `{step}`"),
        None => String::new(),
    })]
    Failed {
        service: String,
        /// The build step that failed (`Step 2/3 : COPY app /app`), when known.
        step: Option<String>,
        message: String,
    },
    #[error("service `{service}`: cannot run `cargo`")]
    CargoSpawn {
        service: String,
        #[source]
        source: std::io::Error,
    },
    #[error("service `{service}`: cargo build failed ({status}){}", if output.is_empty() { String::new() } else { format!("; its last lines:\n{output}") })]
    Cargo {
        service: String,
        status: String,
        output: String,
    },
    #[error("service `{service}`: binary `{}` is not statically linked: {reason}", path.display())]
    NotStatic {
        service: String,
        path: PathBuf,
        reason: String,
    },
    #[error("service `{service}`: cannot read `{}`", path.display())]
    Io {
        service: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("service `{service}`: {operation} failed: {message}")]
    Engine {
        service: String,
        operation: &'static str,
        /// The engine answered 404: what was asked for does not exist.
        not_found: bool,
        message: String,
    },
    #[error("service `{service}`: {operation} timed out after {}s", timeout.as_secs())]
    Timeout {
        service: String,
        operation: &'static str,
        timeout: Duration,
    },
    #[error(transparent)]
    Connect(#[from] EngineError),
    #[error("service `{service}`: {message}")]
    Internal { service: String, message: String },
}

/// Why an image that is needed is not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingReason {
    /// The service is buildable but the policy was [`BuildPolicy::Never`].
    NoBuild,
    /// The service only names an image, and no registry can be reached.
    NotBuildable,
}

impl BuildError {
    /// The service the error is about, when it is about one.
    pub fn service(&self) -> Option<&str> {
        match self {
            BuildError::UnknownService { service, .. }
            | BuildError::NothingToBuild { service }
            | BuildError::Context { service, .. }
            | BuildError::Digest { service, .. }
            | BuildError::BaseImageMissing { service, .. }
            | BuildError::ImageMissing { service, .. }
            | BuildError::Failed { service, .. }
            | BuildError::CargoSpawn { service, .. }
            | BuildError::Cargo { service, .. }
            | BuildError::NotStatic { service, .. }
            | BuildError::Io { service, .. }
            | BuildError::Engine { service, .. }
            | BuildError::Timeout { service, .. }
            | BuildError::Internal { service, .. } => Some(service),
            BuildError::Connect(_) => None,
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            BuildError::Context { source, .. } => source.hint().map(str::to_string),
            BuildError::BaseImageMissing { image, .. } => Some(format!(
                "check the name of `{image}`; pull it yourself (`docker login`, then `docker pull {image}`), build it with msctl or `docker build`, load it with `docker load`, or start the Dockerfile `FROM scratch`"
            )),
            BuildError::ImageMissing {
                service,
                reason: MissingReason::NoBuild,
                ..
            } => Some(format!(
                "run `msctl build {service}`, or `up` without `--no-build`"
            )),
            BuildError::ImageMissing {
                service,
                reason: MissingReason::NotBuildable,
                ..
            } => Some(format!(
                "load the image with `docker load`, or give `{service}` a `build:` section"
            )),
            BuildError::CargoSpawn { .. } => {
                Some("install Rust with rustup, and make sure `cargo` is on PATH".to_string())
            }
            BuildError::Cargo { .. } => Some(
                "the lines above are cargo's; fix the build, or run the same `cargo build` yourself"
                    .to_string(),
            ),
            BuildError::NotStatic { .. } => Some(format!(
                "msctl links with `{}`; a dependency that links a C library dynamically (openssl, ...) defeats it: use rustls, or the crate's `vendored`/`static` feature",
                cargo::RUSTFLAGS
            )),
            BuildError::Failed { step: Some(_), .. } => {
                Some("fix the Dockerfile step above; `msctl build SERVICE` shows the whole output".to_string())
            }
            BuildError::Connect(err) => err.hint().map(str::to_string),
            BuildError::Timeout { .. } => {
                Some("the Docker engine is slow to answer; is it overloaded?".to_string())
            }
            _ => None,
        }
    }
}

/// Runs one engine call (not a build stream) under [`CALL_TIMEOUT`].
pub(crate) async fn engine_call<T>(
    service: &str,
    operation: &'static str,
    future: impl Future<Output = Result<T, bollard::errors::Error>>,
) -> Result<T, BuildError> {
    match tokio::time::timeout(CALL_TIMEOUT, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(engine_error(service, operation, err)),
        Err(_) => Err(BuildError::Timeout {
            service: service.to_string(),
            operation,
            timeout: CALL_TIMEOUT,
        }),
    }
}

fn engine_error(service: &str, operation: &'static str, err: bollard::errors::Error) -> BuildError {
    use bollard::errors::Error as E;
    let (not_found, message) = match err {
        E::DockerResponseServerError {
            status_code,
            message,
        } => (status_code == 404, message.trim().to_string()),
        E::DockerStreamError { error } => (false, error.trim().to_string()),
        other => (false, other.to_string()),
    };
    BuildError::Engine {
        service: service.to_string(),
        operation,
        not_found,
        message,
    }
}

/// An image already on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ExistingImage {
    id: String,
    build_digest: Option<String>,
}

async fn existing_image(
    docker: &Docker,
    service: &str,
    image: &str,
) -> Result<Option<ExistingImage>, BuildError> {
    match engine_call(service, "inspect image", docker.inspect_image(image)).await {
        Ok(inspect) => Ok(Some(ExistingImage {
            id: inspect.id.unwrap_or_default(),
            build_digest: inspect
                .config
                .and_then(|config| config.labels)
                .and_then(|labels| labels.get(labels::BUILD_DIGEST).cloned()),
        })),
        Err(BuildError::Engine {
            not_found: true, ..
        }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The id of `image`, which was just built.
pub(crate) async fn image_id_of(
    docker: &Docker,
    service: &str,
    image: &str,
) -> Result<String, BuildError> {
    match existing_image(docker, service, image).await? {
        Some(existing) => Ok(existing.id),
        None => Err(BuildError::Internal {
            service: service.to_string(),
            message: format!("image `{image}` is not on the engine right after its build"),
        }),
    }
}

/// What the builds of one call share: cargo runs one at a time, and each cargo
/// workspace is hashed once.
#[derive(Debug, Default)]
struct Session {
    cargo_lock: tokio::sync::Mutex<()>,
    workspaces: cargo::WorkspaceDigests,
}

/// The digest of everything `service`'s build reads; `None` for a service without a
/// build. Reads and hashes its context or cargo workspace.
pub async fn input_digest(service: &Service) -> Result<Option<String>, BuildError> {
    digest_in(service, &Session::default()).await
}

async fn digest_in(service: &Service, session: &Session) -> Result<Option<String>, BuildError> {
    match build_spec(service) {
        None => Ok(None),
        Some(BuildSpec::Dockerfile(build)) => dockerfile::input_digest(&service.name, build)
            .await
            .map(Some),
        Some(BuildSpec::Cargo(cargo)) => {
            cargo::input_digest(&service.name, cargo, &session.workspaces)
                .await
                .map(Some)
        }
    }
}

/// Whether `service` must be built: it is buildable and its image is missing or was
/// built from other inputs.
pub async fn needs_build(
    docker: &Docker,
    project: &Project,
    service: &Service,
) -> Result<bool, BuildError> {
    let Some(digest) = input_digest(service).await? else {
        return Ok(false);
    };
    let image = names::image_name(&project.name, service);
    let existing = existing_image(docker, &service.name, &image).await?;
    Ok(existing.and_then(|e| e.build_digest) != Some(digest))
}

/// Builds `service`'s image now, whatever is on the engine, and tags it with its image
/// name.
pub async fn build_service(
    docker: &Docker,
    project: &Project,
    service: &Service,
    options: &BuildOptions,
    progress: &dyn BuildReporter,
) -> Result<ImageRef, BuildError> {
    build_in(
        docker,
        project,
        service,
        options,
        &Session::default(),
        progress,
    )
    .await
}

async fn build_in(
    docker: &Docker,
    project: &Project,
    service: &Service,
    options: &BuildOptions,
    session: &Session,
    progress: &dyn BuildReporter,
) -> Result<ImageRef, BuildError> {
    let image = names::image_name(&project.name, service);
    let result = match build_spec(service) {
        None => Err(BuildError::NothingToBuild {
            service: service.name.clone(),
        }),
        Some(BuildSpec::Dockerfile(build)) => {
            dockerfile::build(
                docker,
                &project.name,
                &service.name,
                build,
                &image,
                options,
                progress,
            )
            .await
        }
        Some(BuildSpec::Cargo(cargo)) => {
            cargo::build(
                docker,
                &project.name,
                &service.name,
                cargo,
                &image,
                &session.cargo_lock,
                &session.workspaces,
                progress,
            )
            .await
        }
    };
    if let Err(err) = &result {
        progress.event(BuildEvent::Failed {
            service: service.name.clone(),
            message: err.to_string(),
        });
    }
    result
}

/// What `up` would do about a buildable service's image, found without building.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImagePlan {
    /// The image on the engine is current: `up` runs it as it is.
    Current(ImageRef),
    /// `up` would build it, for this reason (`missing`, `inputs changed`, `--build`).
    Build { image: String, reason: String },
}

/// What `up` would do with `policy` about the images of the buildable services among
/// `services`, building nothing (`msctl plan`, `up --dry-run`).
pub async fn plan_images(
    project: &Project,
    services: &[String],
    policy: BuildPolicy,
) -> Result<BTreeMap<String, ImagePlan>, BuildError> {
    let engine = crate::engine::docker::DockerEngine::connect(None).await?;
    let docker = engine.client();
    let mut plans = BTreeMap::new();
    for name in services {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let Some(digest) = input_digest(service).await? else {
            continue;
        };
        let image = names::image_name(&project.name, service);
        let existing = existing_image(docker, &service.name, &image).await?;
        let plan = match (existing, policy) {
            (None, BuildPolicy::Never) => {
                return Err(BuildError::ImageMissing {
                    service: service.name.clone(),
                    image,
                    reason: MissingReason::NoBuild,
                })
            }
            (None, _) => ImagePlan::Build {
                image,
                reason: "missing".to_string(),
            },
            (Some(_), BuildPolicy::Always) => ImagePlan::Build {
                image,
                reason: "--build".to_string(),
            },
            (Some(existing), BuildPolicy::Missing)
                if existing.build_digest.as_deref() != Some(digest.as_str()) =>
            {
                ImagePlan::Build {
                    image,
                    reason: "inputs changed".to_string(),
                }
            }
            (Some(existing), _) => ImagePlan::Current(ImageRef {
                name: image,
                id: existing.id,
                build_digest: existing.build_digest,
                built: false,
            }),
        };
        plans.insert(name.clone(), plan);
    }
    Ok(plans)
}

/// Makes sure every service in `services` has its image, building per `policy`, with
/// the engine `DOCKER_HOST` names (or the default socket). See [`ensure_images_with`].
pub async fn ensure_images(
    project: &Project,
    services: &[String],
    policy: BuildPolicy,
    progress: &dyn BuildReporter,
) -> Result<BTreeMap<String, ImageRef>, BuildError> {
    let engine = crate::engine::docker::DockerEngine::connect(None).await?;
    ensure_images_with(
        engine.client(),
        project,
        services,
        policy,
        &BuildOptions::default(),
        progress,
    )
    .await
}

/// Makes sure every service in `services` has its image; returns service -> image.
///
/// Buildable services are built per `policy`, up to `options.parallelism` at once, cargo
/// builds one at a time. A service that only names an image must have it already: nothing
/// can be pulled. Every build runs to its end even when another fails; the error returned
/// is the first failed service's, by name.
pub async fn ensure_images_with(
    docker: &Docker,
    project: &Project,
    services: &[String],
    policy: BuildPolicy,
    options: &BuildOptions,
    progress: &dyn BuildReporter,
) -> Result<BTreeMap<String, ImageRef>, BuildError> {
    let mut selected = Vec::new();
    for name in services {
        let service = project
            .services
            .get(name)
            .ok_or_else(|| BuildError::UnknownService {
                project: project.name.clone(),
                service: name.clone(),
            })?;
        selected.push(service);
    }
    let session = Session::default();
    let results: BTreeMap<String, Result<ImageRef, BuildError>> =
        futures_util::stream::iter(selected)
            .map(|service| {
                let session = &session;
                async move {
                    let result =
                        ensure_one(docker, project, service, policy, options, session, progress)
                            .await;
                    (service.name.clone(), result)
                }
            })
            .buffer_unordered(options.parallelism.max(1))
            .collect()
            .await;
    let mut images = BTreeMap::new();
    for (name, result) in results {
        images.insert(name, result?);
    }
    Ok(images)
}

async fn ensure_one(
    docker: &Docker,
    project: &Project,
    service: &Service,
    policy: BuildPolicy,
    options: &BuildOptions,
    session: &Session,
    progress: &dyn BuildReporter,
) -> Result<ImageRef, BuildError> {
    let image = names::image_name(&project.name, service);
    let found = |existing: ExistingImage| ImageRef {
        name: image.clone(),
        id: existing.id,
        build_digest: existing.build_digest,
        built: false,
    };
    let missing = |reason| BuildError::ImageMissing {
        service: service.name.clone(),
        image: image.clone(),
        reason,
    };
    if build_spec(service).is_none() {
        return match existing_image(docker, &service.name, &image).await? {
            Some(existing) => Ok(found(existing)),
            None => Err(missing(MissingReason::NotBuildable)),
        };
    }
    match policy {
        BuildPolicy::Always => {}
        BuildPolicy::Never => {
            return match existing_image(docker, &service.name, &image).await? {
                Some(existing) => Ok(found(existing)),
                None => Err(missing(MissingReason::NoBuild)),
            };
        }
        BuildPolicy::Missing => {
            let (digest, existing) = tokio::join!(
                digest_in(service, session),
                existing_image(docker, &service.name, &image)
            );
            let (digest, existing) = (digest?, existing?);
            if let Some(existing) = existing {
                if existing.build_digest.is_some() && existing.build_digest == digest {
                    progress.event(BuildEvent::UpToDate {
                        service: service.name.clone(),
                        image: image.clone(),
                    });
                    return Ok(found(existing));
                }
            }
        }
    }
    build_in(docker, project, service, options, session, progress).await
}

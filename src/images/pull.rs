//! Pulling: which images a command pulls ([`plan`], from what the engine has and
//! [`super::policy::decide`]), and pulling them ([`pull_all`]): one pull per image
//! however many services run it, up to a bound at once, each with the credentials of
//! its registry, every one run to its end so that all failures are known at once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::auth::{AuthError, DockerConfig};
use super::policy::{decide, Decision, LocalImage, PullOverride};
use super::progress::{ImageEvent, ImageReporter, LayerProgress};
use crate::engine::{Engine, EngineError, RegistryAuth, TransferProgress};
use crate::manifest::model::{Project, Service};
use crate::manifest::reference::Reference;

/// How many pulls run at once. The engine itself bounds the layers it downloads at
/// once (`max-concurrent-downloads`, 3 by default, across every pull), so asking for
/// more images at once only overlaps their manifest and auth round trips; the bound
/// keeps the open progress streams few for a project of 100 services.
pub const PULL_CONCURRENCY: usize = 10;

/// One image to pull, for every service that runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullJob {
    /// The reference as the manifest writes it.
    pub image: String,
    pub platform: Option<String>,
    /// The services that run it, sorted.
    pub services: Vec<String>,
    /// Why it is pulled (`missing`, `pull_policy: always`, ...).
    pub reason: String,
    /// Every service is built: a failed pull means a build, not an error.
    pub fallback_to_build: bool,
}

/// A service whose image the engine lacks and its policy does not let msctl pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub service: String,
    pub image: String,
    /// `--pull never` refused it, not the manifest's `pull_policy`.
    pub by_flag: bool,
}

/// What [`plan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullPlan {
    pub jobs: Vec<PullJob>,
    pub refused: Vec<Refusal>,
    /// Service -> the id of the image the engine has now under its name, for every
    /// service with an image name (pulled or not).
    pub local_ids: BTreeMap<String, String>,
}

/// The services among `selected` that name an image msctl may pull: every service
/// with `image:` (a service without one is built under `<project>-<service>`).
fn with_image_names<'a>(project: &'a Project, selected: &[String]) -> Vec<&'a Service> {
    selected
        .iter()
        .filter_map(|name| project.services.get(name))
        .filter(|service| service.image.is_some())
        .collect()
}

/// Decides the pulls for `selected`: inspects each distinct image once (concurrently),
/// then applies each service's policy. `last_pulls` is what the state store recorded
/// (reference -> ms since the epoch); an image without a record counts from the
/// engine's last tag time.
pub async fn plan(
    engine: &dyn Engine,
    project: &Project,
    selected: &[String],
    pull: Option<PullOverride>,
    last_pulls: &BTreeMap<String, i64>,
    now_ms: i64,
) -> Result<PullPlan, EngineError> {
    let services = with_image_names(project, selected);
    let mut distinct: Vec<&str> = services.iter().filter_map(|s| s.image.as_deref()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let inspected: Vec<(&str, Result<_, EngineError>)> = futures_util::stream::iter(distinct)
        .map(|image| async move { (image, engine.inspect_image(image).await) })
        .buffer_unordered(crate::engine::DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let mut details = BTreeMap::new();
    for (image, result) in inspected {
        details.insert(image, result?);
    }

    let mut out = PullPlan::default();
    let mut jobs: BTreeMap<(String, Option<String>), PullJob> = BTreeMap::new();
    for service in services {
        let Some(image) = service.image.as_deref() else {
            continue;
        };
        let found = details.get(image).cloned().flatten();
        if let Some(found) = &found {
            out.local_ids.insert(service.name.clone(), found.id.clone());
        }
        let local = LocalImage {
            present: found.is_some(),
            platform_matches: match (&found, service.platform.as_deref()) {
                (Some(found), Some(platform)) => found.is_for_platform(platform),
                _ => true,
            },
            last_pulled_ms: last_pulls
                .get(image)
                .copied()
                .or_else(|| found.as_ref().and_then(|f| f.last_tag_time_ms)),
        };
        let buildable = crate::build::build_spec(service).is_some();
        match decide(service, buildable, local, pull, now_ms) {
            Decision::Keep => {}
            Decision::Refused { by_flag } => out.refused.push(Refusal {
                service: service.name.clone(),
                image: image.to_string(),
                by_flag,
            }),
            Decision::Pull {
                reason,
                fallback_to_build,
            } => {
                let key = (image.to_string(), service.platform.clone());
                let job = jobs.entry(key).or_insert_with(|| PullJob {
                    image: image.to_string(),
                    platform: service.platform.clone(),
                    services: Vec::new(),
                    reason,
                    fallback_to_build: true,
                });
                job.services.push(service.name.clone());
                job.fallback_to_build &= fallback_to_build;
            }
        }
    }
    out.jobs = jobs.into_values().collect();
    Ok(out)
}

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{}: cannot {} image `{image}` {} registry `{registry}`: {}", services_text(services), action.verb(), action.preposition(), failure_text(failure))]
    Failed {
        action: Action,
        services: Vec<String>,
        image: String,
        registry: String,
        failure: Failure,
        /// Where the credentials sent came from, when some were sent.
        credentials_from: Option<String>,
    },
    #[error(
        "{}: cannot read the credentials for registry `{registry}`",
        services_text(services)
    )]
    Credentials {
        services: Vec<String>,
        registry: String,
        #[source]
        source: AuthError,
    },
}

/// Which way an image moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pull,
    Push,
}

impl Action {
    fn verb(&self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
        }
    }

    fn preposition(&self) -> &'static str {
        match self {
            Action::Pull => "from",
            Action::Push => "to",
        }
    }
}

/// How a pull or push failed, as the engine told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The registry wants credentials, or refused the ones sent.
    Denied(String),
    /// The engine's or registry's own words (an unknown tag: `manifest unknown`).
    Answered(String),
    /// No progress for this long.
    Stalled(Duration),
    /// The engine itself cannot be reached.
    Engine(String),
}

impl Failure {
    /// The failure an engine error of a pull or push is.
    pub fn of(err: EngineError) -> Failure {
        match err {
            EngineError::Denied { message, .. } => Failure::Denied(message),
            EngineError::Timeout { timeout, .. } => Failure::Stalled(timeout),
            EngineError::Other { message, .. } => Failure::Answered(message),
            EngineError::NotFound { what } => Failure::Answered(format!("{what} not found")),
            other => Failure::Engine(other.to_string()),
        }
    }
}

pub(super) fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::Denied(message) => format!("access denied ({message})"),
        Failure::Answered(message) => message.clone(),
        Failure::Stalled(idle) => format!("no progress for {}s", idle.as_secs()),
        Failure::Engine(message) => message.clone(),
    }
}

fn services_text(services: &[String]) -> String {
    match services {
        [one] => format!("service `{one}`"),
        many => format!(
            "services {}",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl PullError {
    pub fn hint(&self) -> Option<String> {
        match self {
            PullError::Failed {
                action,
                registry,
                failure: Failure::Denied(_),
                credentials_from: Some(from),
                ..
            } => Some(format!(
                "the registry refused the credentials msctl sent from {from}: run `docker login {registry}` again, or check that the account may {} this image",
                action.verb()
            )),
            PullError::Failed {
                registry,
                failure: Failure::Denied(_),
                credentials_from: None,
                ..
            } => Some(format!(
                "the registry wants credentials and the Docker CLI has none for it: run `docker login {registry}` (msctl reads the Docker CLI's credentials, `DOCKER_CONFIG` or ~/.docker/config.json)"
            )),
            PullError::Failed {
                action: Action::Pull,
                image,
                failure: Failure::Answered(message),
                ..
            } if message.contains("not found") || message.contains("manifest unknown") => Some(format!(
                "check the name and tag of `{image}`: the registry has no such image or tag"
            )),
            PullError::Failed {
                failure: Failure::Stalled(_),
                ..
            } => Some("the registry or the network stalled; try again, or pull the image with `docker pull` to see more".to_string()),
            PullError::Failed {
                failure: Failure::Engine(_),
                ..
            } => Some("is the Docker daemon running? check DOCKER_HOST, or run `docker version`".to_string()),
            PullError::Failed { .. } => None,
            PullError::Credentials { source, .. } => source.hint(),
        }
    }

    /// The services the error is about.
    pub fn services(&self) -> &[String] {
        match self {
            PullError::Failed { services, .. } | PullError::Credentials { services, .. } => {
                services
            }
        }
    }
}

/// A pull that worked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub image: String,
    pub services: Vec<String>,
    /// The id of the image the engine now has under the name.
    pub id: String,
}

/// The credentials of every registry the jobs pull from, each found once (a
/// credential helper is a process to run).
pub async fn credentials_by_registry<'a>(
    config: &DockerConfig,
    images: impl Iterator<Item = (&'a str, &'a [String])>,
) -> Result<BTreeMap<String, Option<RegistryAuth>>, PullError> {
    let mut by_registry: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (image, services) in images {
        by_registry
            .entry(Reference::parse(image).registry)
            .or_default()
            .extend(services.iter().cloned());
    }
    let mut out = BTreeMap::new();
    for (registry, mut services) in by_registry {
        services.sort();
        services.dedup();
        let found =
            config
                .credentials_for(&registry)
                .await
                .map_err(|source| PullError::Credentials {
                    services,
                    registry: registry.clone(),
                    source,
                })?;
        out.insert(registry, found.map(|c| c.to_registry_auth()));
    }
    Ok(out)
}

/// Pulls every job, up to `concurrency` at once; returns each job's outcome in the
/// jobs' order. Credentials are read once per registry before the first pull, and a
/// config or credential helper that cannot be read is the error before any pull.
pub async fn pull_all(
    engine: &dyn Engine,
    jobs: &[PullJob],
    config: &DockerConfig,
    reporter: &dyn ImageReporter,
    concurrency: usize,
) -> Result<Vec<Result<Pulled, PullError>>, PullError> {
    let auths = credentials_by_registry(
        config,
        jobs.iter()
            .map(|j| (j.image.as_str(), j.services.as_slice())),
    )
    .await?;
    let auths = &auths;
    let results: Vec<(usize, Result<Pulled, PullError>)> =
        futures_util::stream::iter(jobs.iter().enumerate())
            .map(|(index, job)| async move {
                let registry = Reference::parse(&job.image).registry;
                let auth = auths.get(&registry).cloned().flatten();
                (
                    index,
                    pull_one(engine, job, &registry, auth, config, reporter).await,
                )
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut ordered: Vec<Option<Result<Pulled, PullError>>> = jobs.iter().map(|_| None).collect();
    for (index, result) in results {
        ordered[index] = Some(result);
    }
    Ok(ordered.into_iter().flatten().collect())
}

async fn pull_one(
    engine: &dyn Engine,
    job: &PullJob,
    registry: &str,
    auth: Option<RegistryAuth>,
    config: &DockerConfig,
    reporter: &dyn ImageReporter,
) -> Result<Pulled, PullError> {
    let started = Instant::now();
    reporter.event(ImageEvent::Pulling {
        image: job.image.clone(),
        services: job.services.clone(),
        reason: job.reason.clone(),
    });
    let layers = std::sync::Mutex::new(LayerProgress::default());
    let sink = |message: TransferProgress| {
        let summary = match layers.lock() {
            Ok(mut layers) => layers.update(&message),
            Err(_) => return,
        };
        if let Some(summary) = summary {
            reporter.event(ImageEvent::Progress {
                image: job.image.clone(),
                summary,
            });
        }
    };
    let result = engine
        .pull_image(&job.image, job.platform.as_deref(), auth.as_ref(), &sink)
        .await;
    let failed = |failure: Failure| PullError::Failed {
        action: Action::Pull,
        services: job.services.clone(),
        image: job.image.clone(),
        registry: registry.to_string(),
        failure,
        credentials_from: auth.as_ref().map(|_| config.path().display().to_string()),
    };
    let outcome = match result {
        Ok(()) => match engine.inspect_image(&job.image).await {
            Ok(Some(found)) => Ok(Pulled {
                image: job.image.clone(),
                services: job.services.clone(),
                id: found.id,
            }),
            Ok(None) => Err(failed(Failure::Answered(
                "the engine reported the pull done but has no image by that name".to_string(),
            ))),
            Err(err) => Err(failed(Failure::Engine(err.to_string()))),
        },
        Err(err) => Err(failed(Failure::of(err))),
    };
    match &outcome {
        Ok(pulled) => reporter.event(ImageEvent::Pulled {
            image: job.image.clone(),
            id: pulled.id.clone(),
            elapsed: started.elapsed(),
        }),
        Err(err) => reporter.event(ImageEvent::Failed {
            image: job.image.clone(),
            message: match err {
                PullError::Failed { failure, .. } => failure_text(failure),
                other => other.to_string(),
            },
        }),
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::images::progress::Silent;
    use crate::manifest::model::PullPolicy;

    fn project(services: &[(&str, &str, Option<PullPolicy>)]) -> Project {
        Project {
            name: "demo".to_string(),
            services: services
                .iter()
                .map(|(name, image, policy)| {
                    (
                        name.to_string(),
                        Service {
                            name: name.to_string(),
                            image: Some(image.to_string()),
                            pull_policy: *policy,
                            ..Service::default()
                        },
                    )
                })
                .collect(),
            ..Project::default()
        }
    }

    fn names(project: &Project) -> Vec<String> {
        project.services.keys().cloned().collect()
    }

    fn empty_config() -> (tempfile::TempDir, DockerConfig) {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = BTreeMap::from([(
            "DOCKER_CONFIG".to_string(),
            dir.path().display().to_string(),
        )]);
        let config = DockerConfig::load(&env).expect("an empty config");
        (dir, config)
    }

    #[tokio::test]
    async fn one_pull_per_image_however_many_services_run_it() {
        let engine = FakeEngine::default();
        engine.add_image("nginx:1");
        let project = project(&[
            ("a", "redis:7", None),
            ("b", "redis:7", None),
            ("c", "nginx:1", None),
            ("d", "nginx:1", Some(PullPolicy::Always)),
        ]);
        let planned = plan(
            &engine,
            &project,
            &names(&project),
            None,
            &BTreeMap::new(),
            0,
        )
        .await
        .expect("plan");
        let jobs: Vec<(&str, Vec<String>)> = planned
            .jobs
            .iter()
            .map(|j| (j.image.as_str(), j.services.clone()))
            .collect();
        assert_eq!(
            jobs,
            vec![
                ("nginx:1", vec!["d".to_string()]),
                ("redis:7", vec!["a".to_string(), "b".to_string()]),
            ]
        );
        // Each distinct image is inspected once, whatever the number of services.
        let inspects = engine
            .calls()
            .iter()
            .filter(|c| c.starts_with("inspect_image"))
            .count();
        assert_eq!(inspects, 2);
        assert_eq!(
            planned.local_ids.get("c").map(String::as_str),
            Some("sha256:fake-nginx:1")
        );
    }

    #[tokio::test]
    async fn never_with_a_missing_image_is_a_refusal_and_no_pull() {
        let engine = FakeEngine::default();
        let project = project(&[("cache", "redis:7", Some(PullPolicy::Never))]);
        let planned = plan(
            &engine,
            &project,
            &names(&project),
            None,
            &BTreeMap::new(),
            0,
        )
        .await
        .expect("plan");
        assert!(planned.jobs.is_empty());
        assert_eq!(
            planned.refused,
            vec![Refusal {
                service: "cache".to_string(),
                image: "redis:7".to_string(),
                by_flag: false
            }]
        );
    }

    #[tokio::test]
    async fn a_recorded_pull_within_the_period_keeps_the_image() {
        let engine = FakeEngine::default();
        engine.add_image("redis:7");
        let day = PullPolicy::Every(Duration::from_secs(86_400));
        let project = project(&[("cache", "redis:7", Some(day))]);
        let now = 10 * 86_400_000;
        let recent = BTreeMap::from([("redis:7".to_string(), now - 3_600_000)]);
        let planned = plan(&engine, &project, &names(&project), None, &recent, now)
            .await
            .expect("plan");
        assert!(planned.jobs.is_empty());
        let old = BTreeMap::from([("redis:7".to_string(), now - 2 * 86_400_000)]);
        let planned = plan(&engine, &project, &names(&project), None, &old, now)
            .await
            .expect("plan");
        assert_eq!(planned.jobs.len(), 1);
    }

    #[tokio::test]
    async fn every_job_runs_to_its_end_and_each_failure_names_its_services() {
        let engine = FakeEngine::default();
        engine.add_registry_image("redis:7", None);
        let (_dir, config) = empty_config();
        let jobs = vec![
            PullJob {
                image: "nginx:nope".to_string(),
                platform: None,
                services: vec!["web".to_string()],
                reason: "missing".to_string(),
                fallback_to_build: false,
            },
            PullJob {
                image: "redis:7".to_string(),
                platform: None,
                services: vec!["cache".to_string()],
                reason: "missing".to_string(),
                fallback_to_build: false,
            },
        ];
        let results = pull_all(&engine, &jobs, &config, &Silent, 4)
            .await
            .expect("credentials");
        assert_eq!(results.len(), 2);
        let err = results[0].as_ref().expect_err("an unknown tag fails");
        let text = err.to_string();
        assert!(
            text.contains("service `web`") && text.contains("nginx:nope"),
            "{text}"
        );
        assert!(
            text.contains("registry `docker.io`") && text.contains("manifest unknown"),
            "{text}"
        );
        let pulled = results[1].as_ref().expect("redis pulled");
        assert_eq!(pulled.id, "sha256:fake-redis:7");
        assert!(engine.images().contains(&"redis:7".to_string()));
    }

    #[tokio::test]
    async fn a_registry_that_wants_credentials_is_denied_with_a_login_hint() {
        let engine = FakeEngine::default();
        engine.add_registry_image("127.0.0.1:5000/app:1", Some("ci:right"));
        let (_dir, config) = empty_config();
        let jobs = vec![PullJob {
            image: "127.0.0.1:5000/app:1".to_string(),
            platform: None,
            services: vec!["app".to_string()],
            reason: "missing".to_string(),
            fallback_to_build: false,
        }];
        let results = pull_all(&engine, &jobs, &config, &Silent, 1)
            .await
            .expect("credentials");
        let err = results[0].as_ref().expect_err("no credentials");
        assert!(err.to_string().contains("access denied"), "{err}");
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains("docker login 127.0.0.1:5000"), "{hint}");
    }
}

//! Pushing the images msctl builds to their registry: where each one goes
//! ([`push_target`]), and pushing them ([`push_all`]) with the registry's credentials,
//! up to a bound at once.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::StreamExt;

use super::auth::DockerConfig;
use super::progress::{ImageEvent, ImageReporter};
use super::pull::{credentials_by_registry, Action, Failure, PullError};
use crate::engine::{Engine, TransferProgress};
use crate::manifest::model::{Project, Service};
use crate::manifest::reference::Reference;
use crate::plan::names;

/// Where `service`'s built image is pushed, or `None` when it names no registry to push
/// to and the project names none either:
/// - an `image:` whose name has a registry host (`127.0.0.1:5000/shop/orders:2`) is
///   pushed as it is;
/// - else, with `x-msctl.registry` (`127.0.0.1:5000/shop`), the image name (or
///   `<project>-<service>`) under that registry;
/// - else an `image:` on Docker Hub (`acme/orders:2`) as it is.
///
/// A name without a tag gets `:latest`, so one push sends one tag.
pub fn push_target(project: &Project, service: &Service) -> Option<String> {
    let with_tag = |name: String| {
        let reference = Reference::parse(&name);
        if reference.tag.is_none() && reference.digest.is_none() {
            format!("{name}:latest")
        } else {
            name
        }
    };
    match (&service.image, &project.registry) {
        (Some(image), _) if Reference::parse(image).registry_named => Some(with_tag(image.clone())),
        (image, Some(registry)) => {
            let name = image
                .clone()
                .unwrap_or_else(|| names::image_name(&project.name, service));
            Some(with_tag(format!("{registry}/{name}")))
        }
        (Some(image), None) => Some(with_tag(image.clone())),
        (None, None) => None,
    }
}

/// One built image to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushJob {
    pub service: String,
    /// The local image msctl built (`names::image_name`).
    pub local: String,
    /// The name it is pushed under.
    pub target: String,
}

/// A push that worked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pushed {
    pub service: String,
    pub image: String,
    /// The manifest digest the registry stored.
    pub digest: String,
}

impl Pushed {
    /// The pinned reference nodes pull: `name@sha256:...` (the tag dropped).
    pub fn pinned(&self) -> String {
        let (name, _tag) = crate::engine::split_image_tag(&self.image);
        format!("{name}@{}", self.digest)
    }
}

/// Pushes every job, up to `concurrency` at once: tags the local image with the target
/// name first when they differ. Returns each job's outcome in the jobs' order; a
/// config or credential helper that cannot be read is the error before any push.
pub async fn push_all(
    engine: &dyn Engine,
    jobs: &[PushJob],
    config: &DockerConfig,
    reporter: &dyn ImageReporter,
    concurrency: usize,
) -> Result<Vec<Result<Pushed, PullError>>, PullError> {
    let services: Vec<Vec<String>> = jobs.iter().map(|j| vec![j.service.clone()]).collect();
    let auths = credentials_by_registry(
        config,
        jobs.iter()
            .zip(&services)
            .map(|(j, s)| (j.target.as_str(), s.as_slice())),
    )
    .await?;
    let auths = &auths;
    let results: Vec<(usize, Result<Pushed, PullError>)> =
        futures_util::stream::iter(jobs.iter().enumerate())
            .map(|(index, job)| async move {
                let registry = Reference::parse(&job.target).registry;
                let auth = auths.get(&registry).cloned().flatten();
                let started = Instant::now();
                reporter.event(ImageEvent::Pushing {
                    image: job.target.clone(),
                    service: job.service.clone(),
                });
                let failed = |failure: Failure| PullError::Failed {
                    action: Action::Push,
                    services: vec![job.service.clone()],
                    image: job.target.clone(),
                    registry: registry.clone(),
                    failure,
                    credentials_from: auth.as_ref().map(|_| config.path().display().to_string()),
                };
                let sink = |_: TransferProgress| {};
                let pushed = async {
                    if job.local != job.target {
                        engine
                            .tag_image(&job.local, &job.target)
                            .await
                            .map_err(|e| failed(Failure::of(e)))?;
                    }
                    engine
                        .push_image(&job.target, auth.as_ref(), &sink)
                        .await
                        .map_err(|e| failed(Failure::of(e)))
                }
                .await;
                let result = match pushed {
                    Ok(digest) => {
                        reporter.event(ImageEvent::Pushed {
                            image: job.target.clone(),
                            digest: digest.clone(),
                            elapsed: started.elapsed(),
                        });
                        Ok(Pushed {
                            service: job.service.clone(),
                            image: job.target.clone(),
                            digest,
                        })
                    }
                    Err(err) => {
                        if let PullError::Failed { failure, .. } = &err {
                            reporter.event(ImageEvent::Failed {
                                image: job.target.clone(),
                                message: super::pull::failure_text(failure),
                            });
                        }
                        Err(err)
                    }
                };
                (index, result)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let mut ordered: BTreeMap<usize, Result<Pushed, PullError>> = results.into_iter().collect();
    Ok((0..jobs.len()).filter_map(|i| ordered.remove(&i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fake::FakeEngine;
    use crate::images::progress::Silent;

    fn service(name: &str, image: Option<&str>) -> Service {
        Service {
            name: name.to_string(),
            image: image.map(str::to_string),
            ..Service::default()
        }
    }

    fn project(registry: Option<&str>) -> Project {
        Project {
            name: "shop".to_string(),
            registry: registry.map(str::to_string),
            ..Project::default()
        }
    }

    #[test]
    fn an_image_name_with_a_registry_is_pushed_as_it_is() {
        let p = project(Some("other:5000"));
        assert_eq!(
            push_target(&p, &service("orders", Some("127.0.0.1:5000/shop/orders:2"))),
            Some("127.0.0.1:5000/shop/orders:2".to_string())
        );
        assert_eq!(
            push_target(&p, &service("orders", Some("127.0.0.1:5000/shop/orders"))),
            Some("127.0.0.1:5000/shop/orders:latest".to_string())
        );
    }

    #[test]
    fn the_project_registry_takes_the_image_name_or_the_built_name() {
        let p = project(Some("127.0.0.1:5000/acme"));
        assert_eq!(
            push_target(&p, &service("orders", Some("orders:2"))),
            Some("127.0.0.1:5000/acme/orders:2".to_string())
        );
        assert_eq!(
            push_target(&p, &service("orders", None)),
            Some("127.0.0.1:5000/acme/shop-orders:latest".to_string())
        );
    }

    #[test]
    fn without_any_registry_a_docker_hub_name_is_kept_and_no_name_is_nowhere() {
        let p = project(None);
        assert_eq!(
            push_target(&p, &service("orders", Some("acme/orders:2"))),
            Some("acme/orders:2".to_string())
        );
        assert_eq!(push_target(&p, &service("orders", None)), None);
    }

    #[tokio::test]
    async fn a_built_image_is_tagged_with_its_target_and_pushed() {
        let engine = FakeEngine::default();
        engine.add_image("shop-orders");
        let (dir, config) = {
            let dir = tempfile::tempdir().expect("tempdir");
            let env = BTreeMap::from([(
                "DOCKER_CONFIG".to_string(),
                dir.path().display().to_string(),
            )]);
            let config = DockerConfig::load(&env).expect("config");
            (dir, config)
        };
        let jobs = vec![PushJob {
            service: "orders".to_string(),
            local: "shop-orders".to_string(),
            target: "127.0.0.1:5000/acme/shop-orders:latest".to_string(),
        }];
        let results = push_all(&engine, &jobs, &config, &Silent, 2)
            .await
            .expect("credentials");
        let pushed = results[0].as_ref().expect("pushed");
        assert_eq!(
            pushed.pinned(),
            format!("127.0.0.1:5000/acme/shop-orders@sha256:{}", "0".repeat(64))
        );
        assert_eq!(
            engine.pushed(),
            vec!["127.0.0.1:5000/acme/shop-orders:latest"]
        );
        drop(dir);
    }
}

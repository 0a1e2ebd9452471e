//! The autoscaler's part of a round: measure the CPU use of the services with
//! `x-msctl.autoscale`, decide their counts, and keep and record each decision.

use std::collections::BTreeMap;
use std::time::Instant;

use super::ProjectWorker;
use crate::engine::observe;
use crate::manifest::model::{Autoscale, Project};
use crate::plan::{autoscale, ContainerState, Health};
use crate::state::ScaleOverride;

impl ProjectWorker {
    /// What the autoscaler decides for the services with `x-msctl.autoscale`, from
    /// the CPU use of their ready replicas; nothing between two measurements.
    pub(super) async fn autoscale(
        &mut self,
        project: &Project,
    ) -> Vec<(String, autoscale::Decision)> {
        let services: Vec<(&String, &Autoscale)> = project
            .services
            .iter()
            .filter_map(|(name, s)| s.extensions.autoscale.as_ref().map(|a| (name, a)))
            .collect();
        let now = Instant::now();
        if services.is_empty()
            || self
                .measured
                .is_some_and(|at| now.duration_since(at) < self.settings.autoscale_every)
        {
            return Vec::new();
        }
        self.measured = Some(now);
        let observed = match observe(self.engine.as_ref(), &project.name).await {
            Ok(observed) => observed,
            Err(err) => {
                self.error(format!("cannot observe the project to autoscale it: {err}"));
                return Vec::new();
            }
        };
        let scale = self.scale(project);
        let mut decisions = Vec::new();
        for (name, settings) in services {
            let ready: Vec<&str> = observed
                .containers
                .iter()
                .filter(|c| {
                    c.service() == Some(name.as_str())
                        && c.state == ContainerState::Running
                        && matches!(c.health, Health::None | Health::Healthy)
                })
                .map(|c| c.id.as_str())
                .collect();
            let engine = &self.engine;
            let samples: Vec<f64> =
                futures_util::future::join_all(ready.iter().map(|id| engine.cpu_percent(id)))
                    .await
                    .into_iter()
                    .filter_map(Result::ok)
                    .collect();
            let current = scale
                .get(name)
                .copied()
                .unwrap_or_else(|| project.services[name].replicas());
            let since = now.duration_since(*self.autoscaled.get(name).unwrap_or(&self.started));
            if let Some(decision) = autoscale::decide(settings, current, &samples, Some(since)) {
                decisions.push((name.clone(), decision));
            }
        }
        decisions
    }

    /// Keep each decision as the service's count (as `msctl scale` does) and record it.
    pub(super) fn apply_autoscale(
        &mut self,
        project: &Project,
        decisions: Vec<(String, autoscale::Decision)>,
    ) {
        for (name, decision) in decisions {
            let count = BTreeMap::from([(
                name.clone(),
                ScaleOverride {
                    replicas: decision.to,
                    manifest_replicas: project.services[&name].replicas(),
                },
            )]);
            if let Err(err) = self.store.set_scale(&project.name, &count) {
                self.error(format!(
                    "cannot record the autoscaled count of `{name}`: {err}"
                ));
                continue;
            }
            self.autoscaled.insert(name.clone(), Instant::now());
            self.record(
                &name,
                "",
                "scaled",
                format!(
                    "autoscaled `{name}` from {} to {} replicas: {}",
                    decision.from, decision.to, decision.reason
                ),
            );
        }
    }
}

//! What the control plane saw at its last round of each project, for `/metrics`.
//!
//! It is a report, not a source of truth: the API's replica lists are read from the
//! engine on each request (DESIGN.md, invariant 1).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the reconcile duration histogram, in seconds.
const BUCKETS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceStatus {
    pub desired: u32,
    pub ready: u32,
    /// Replicas the control plane started again or replaced since it started.
    pub restarts: u64,
    /// Failures in a row (0 when not backing off).
    pub failures: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Count per bucket of [`BUCKETS`] (not cumulative).
    counts: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        if self.counts.len() != BUCKETS.len() {
            self.counts = vec![0; BUCKETS.len()];
        }
        if let Some(index) = BUCKETS.iter().position(|le| seconds <= *le) {
            self.counts[index] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectStatus {
    pub services: BTreeMap<String, ServiceStatus>,
    pub reconcile: Histogram,
}

/// A per-service metric: name, type, help, and how to read it.
type Gauge = (
    &'static str,
    &'static str,
    &'static str,
    fn(&ServiceStatus) -> f64,
);

/// Shared between the project workers, which write it, and the API, which reads it.
#[derive(Debug, Clone, Default)]
pub struct Status(Arc<Mutex<BTreeMap<String, ProjectStatus>>>);

impl Status {
    pub fn update(&self, project: &str, change: impl FnOnce(&mut ProjectStatus)) {
        let mut projects = self.0.lock().unwrap_or_else(|p| p.into_inner());
        change(projects.entry(project.to_string()).or_default());
    }

    pub fn remove(&self, project: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(project);
    }

    pub fn project(&self, project: &str) -> Option<ProjectStatus> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(project)
            .cloned()
    }

    /// The Prometheus text exposition of every project.
    pub fn prometheus(&self) -> String {
        let projects = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut out = String::new();
        let gauges: [Gauge; 4] = [
            (
                "msctl_replicas_desired",
                "gauge",
                "Replicas the desired state asks for.",
                |s| f64::from(s.desired),
            ),
            (
                "msctl_replicas_ready",
                "gauge",
                "Replicas ready at the last reconcile.",
                |s| f64::from(s.ready),
            ),
            (
                "msctl_restarts_total",
                "counter",
                "Replicas the control plane started again or replaced.",
                |s| s.restarts as f64,
            ),
            (
                "msctl_backoff_failures",
                "gauge",
                "Failures in a row of a service the control plane is backing off (0: none).",
                |s| f64::from(s.failures),
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (project, status) in &projects {
                for (service, service_status) in &status.services {
                    let _ = writeln!(
                        out,
                        "{name}{{project=\"{}\",service=\"{}\"}} {}",
                        escape(project),
                        escape(service),
                        value(service_status)
                    );
                }
            }
        }
        let name = "msctl_reconcile_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} How long a reconcile round of a project took.\n# TYPE {name} histogram"
        );
        for (project, status) in &projects {
            let project = escape(project);
            let histogram = &status.reconcile;
            let mut cumulative = 0;
            for (index, le) in BUCKETS.iter().enumerate() {
                cumulative += histogram.counts.get(index).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "{name}_bucket{{project=\"{project}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{project=\"{project}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(out, "{name}_sum{{project=\"{project}\"}} {}", histogram.sum);
            let _ = writeln!(
                out,
                "{name}_count{{project=\"{project}\"}} {}",
                histogram.count
            );
        }
        out
    }
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_name_each_service_and_the_histogram_is_cumulative() {
        let status = Status::default();
        status.update("shop", |project| {
            project.services.insert(
                "web".to_string(),
                ServiceStatus {
                    desired: 3,
                    ready: 2,
                    restarts: 5,
                    failures: 0,
                },
            );
            project.reconcile.observe(Duration::from_millis(20));
            project.reconcile.observe(Duration::from_millis(300));
            project.reconcile.observe(Duration::from_secs(60));
        });
        let text = status.prometheus();
        for line in [
            "msctl_replicas_desired{project=\"shop\",service=\"web\"} 3",
            "msctl_replicas_ready{project=\"shop\",service=\"web\"} 2",
            "msctl_restarts_total{project=\"shop\",service=\"web\"} 5",
            "# TYPE msctl_restarts_total counter",
            "msctl_reconcile_duration_seconds_bucket{project=\"shop\",le=\"0.01\"} 0",
            "msctl_reconcile_duration_seconds_bucket{project=\"shop\",le=\"0.025\"} 1",
            "msctl_reconcile_duration_seconds_bucket{project=\"shop\",le=\"0.5\"} 2",
            "msctl_reconcile_duration_seconds_bucket{project=\"shop\",le=\"30\"} 2",
            "msctl_reconcile_duration_seconds_bucket{project=\"shop\",le=\"+Inf\"} 3",
            "msctl_reconcile_duration_seconds_count{project=\"shop\"} 3",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
    }
}

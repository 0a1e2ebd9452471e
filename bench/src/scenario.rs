//! The scenarios, the issue's targets for each, and the samples collected per tool.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::ValueEnum;

use crate::tool::Tool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum)]
pub enum Scenario {
    /// Cold up until every replica is healthy
    ColdUp,
    /// A second up with nothing changed
    NoopUp,
    /// List the project's containers
    Ps,
    /// Scale one service 1 -> N until the new replicas are healthy
    Scale,
    /// Read every line of the logger's replicas
    Logs,
    /// Stop and remove everything
    Down,
    /// Pull every image of a second file from a loopback registry
    Pull,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::ColdUp,
        Scenario::NoopUp,
        Scenario::Ps,
        Scenario::Scale,
        Scenario::Logs,
        Scenario::Down,
        Scenario::Pull,
    ];

    /// The name used by `--only` and in progress lines.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ColdUp => "cold-up",
            Scenario::NoopUp => "noop-up",
            Scenario::Ps => "ps",
            Scenario::Scale => "scale",
            Scenario::Logs => "logs",
            Scenario::Down => "down",
            Scenario::Pull => "pull",
        }
    }

    /// Whether the raw Engine API has a counterpart (a no-op up is nothing to it).
    pub fn has_raw(self) -> bool {
        self != Scenario::NoopUp
    }

    /// The issue's acceptance target for msctl against docker-compose, where it sets one
    /// (none for pull, which is compared with Compose v5).
    pub fn compose_target(self) -> Option<Target> {
        match self {
            Scenario::ColdUp => Some(Target::Ratio(0.6)),
            Scenario::NoopUp | Scenario::Ps => Some(Target::Ratio(0.15)),
            Scenario::Scale => Some(Target::Ratio(0.7)),
            Scenario::Logs => Some(Target::Throughput(10.0)),
            Scenario::Down => Some(Target::Ratio(0.6)),
            Scenario::Pull => None,
        }
    }

    /// Whether the docker-compose column is Compose v5 rather than docker-compose 1.29:
    /// the pull scenario compares msctl with the Compose of today.
    pub fn compose_v5(self) -> bool {
        self == Scenario::Pull
    }

    /// The issue's acceptance target for msctl against the raw baseline, where it sets one.
    pub fn raw_target(self) -> Option<Target> {
        match self {
            Scenario::ColdUp => Some(Target::PlusSeconds(0.3)),
            Scenario::Logs => Some(Target::Ratio(1.5)),
            _ => None,
        }
    }
}

/// A target for msctl's median time against another tool's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// msctl / other <= this.
    Ratio(f64),
    /// other / msctl >= this: msctl reads the same lines this many times faster.
    Throughput(f64),
    /// msctl <= other + this many seconds.
    PlusSeconds(f64),
}

impl Target {
    pub fn met(self, msctl_seconds: f64, other_seconds: f64) -> bool {
        match self {
            Target::Ratio(ratio) => msctl_seconds <= other_seconds * ratio,
            Target::Throughput(factor) => msctl_seconds * factor <= other_seconds,
            Target::PlusSeconds(slack) => msctl_seconds <= other_seconds + slack,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Target::Ratio(ratio) => format!("≤ {ratio}x"),
            Target::Throughput(factor) => format!("≥ {factor}x throughput"),
            Target::PlusSeconds(slack) => format!("≤ raw + {slack} s"),
        }
    }
}

/// What the runs of one scenario gave one tool.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    pub times: Vec<Duration>,
    pub errors: Vec<String>,
}

impl Samples {
    /// The median in seconds, only when every run succeeded.
    pub fn median(&self) -> Option<f64> {
        if !self.errors.is_empty() {
            return None;
        }
        median(&self.times)
    }
}

pub fn median(times: &[Duration]) -> Option<f64> {
    let mut seconds: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    seconds.sort_by(f64::total_cmp);
    let middle = seconds.len() / 2;
    match seconds.len() {
        0 => None,
        len if len % 2 == 1 => Some(seconds[middle]),
        _ => Some((seconds[middle - 1] + seconds[middle]) / 2.0),
    }
}

/// Every sample of the bench, by scenario then tool.
#[derive(Debug, Default)]
pub struct Results {
    cells: BTreeMap<(Scenario, Tool), Samples>,
}

impl Results {
    pub fn record(&mut self, scenario: Scenario, tool: Tool, outcome: &anyhow::Result<Duration>) {
        let samples = self.cells.entry((scenario, tool)).or_default();
        match outcome {
            Ok(elapsed) => samples.times.push(*elapsed),
            Err(error) => samples.errors.push(format!("{error:#}")),
        }
    }

    pub fn get(&self, scenario: Scenario, tool: Tool) -> Option<&Samples> {
        self.cells.get(&(scenario, tool))
    }

    /// How many (scenario, tool) cells had at least one failed run.
    pub fn failed_cells(&self) -> usize {
        self.cells.values().filter(|s| !s.errors.is_empty()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let times: Vec<Duration> = [4, 1, 3, 2].map(Duration::from_secs).to_vec();
        assert_eq!(median(&times), Some(2.5));
        assert_eq!(median(&times[..3]), Some(3.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn targets_read_as_the_issue_states_them() {
        assert!(Target::Ratio(0.15).met(0.1, 1.0));
        assert!(!Target::Ratio(0.15).met(0.2, 1.0));
        assert!(Target::Throughput(10.0).met(2.0, 20.0));
        assert!(!Target::Throughput(10.0).met(2.1, 20.0));
        assert!(Target::PlusSeconds(0.3).met(1.3, 1.0));
        assert!(!Target::PlusSeconds(0.3).met(1.31, 1.0));
    }
}

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

    /// Whether the scenario is measured at every project size. The logger's replicas and
    /// the pull images do not depend on `--services`: those run at the first size only.
    pub fn per_size(self) -> bool {
        !matches!(self, Scenario::Logs | Scenario::Pull)
    }

    /// The issue's acceptance target for msctl against Compose v5, where it sets one.
    pub fn compose_target(self) -> Option<Target> {
        match self {
            Scenario::ColdUp => Some(Target::Ratio(0.6)),
            Scenario::NoopUp | Scenario::Ps => Some(Target::Ratio(0.3)),
            Scenario::Scale => Some(Target::Ratio(0.7)),
            Scenario::Logs => Some(Target::Throughput(1.5)),
            Scenario::Down | Scenario::Pull => None,
        }
    }

    /// The issue's acceptance target for msctl against the raw floor, where it sets one.
    pub fn raw_target(self) -> Option<Target> {
        match self {
            Scenario::ColdUp => Some(Target::PlusSeconds(0.5)),
            Scenario::Logs => Some(Target::Ratio(1.0)),
            Scenario::Down => Some(Target::RatioPlusSeconds(1.0, 0.2)),
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
    /// msctl <= other * ratio + this many seconds.
    RatioPlusSeconds(f64, f64),
}

impl Target {
    pub fn met(self, msctl_seconds: f64, other_seconds: f64) -> bool {
        match self {
            Target::Ratio(ratio) => msctl_seconds <= other_seconds * ratio,
            Target::Throughput(factor) => msctl_seconds * factor <= other_seconds,
            Target::PlusSeconds(slack) => msctl_seconds <= other_seconds + slack,
            Target::RatioPlusSeconds(ratio, slack) => {
                msctl_seconds <= other_seconds * ratio + slack
            }
        }
    }

    pub fn describe(self) -> String {
        match self {
            Target::Ratio(ratio) => format!("≤ {ratio}x"),
            Target::Throughput(factor) => format!("≥ {factor}x throughput"),
            Target::PlusSeconds(slack) => format!("≤ raw + {slack} s"),
            Target::RatioPlusSeconds(ratio, slack) => format!("≤ {ratio:.1}x raw + {slack} s"),
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

/// Every sample of the bench, by project size (`--services`), scenario, then tool.
#[derive(Debug, Default)]
pub struct Results {
    cells: BTreeMap<(u32, Scenario, Tool), Samples>,
}

impl Results {
    pub fn record(
        &mut self,
        size: u32,
        scenario: Scenario,
        tool: Tool,
        outcome: &anyhow::Result<Duration>,
    ) {
        let samples = self.cells.entry((size, scenario, tool)).or_default();
        match outcome {
            Ok(elapsed) => samples.times.push(*elapsed),
            Err(error) => samples.errors.push(format!("{error:#}")),
        }
    }

    pub fn get(&self, size: u32, scenario: Scenario, tool: Tool) -> Option<&Samples> {
        self.cells.get(&(size, scenario, tool))
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
        assert!(Target::Ratio(0.3).met(0.3, 1.0));
        assert!(!Target::Ratio(0.3).met(0.31, 1.0));
        assert!(Target::Throughput(1.5).met(2.0, 3.0));
        assert!(!Target::Throughput(1.5).met(2.1, 3.0));
        assert!(Target::PlusSeconds(0.5).met(1.5, 1.0));
        assert!(!Target::PlusSeconds(0.5).met(1.51, 1.0));
        assert!(Target::RatioPlusSeconds(1.0, 0.2).met(2.2, 2.0));
        assert!(!Target::RatioPlusSeconds(1.0, 0.2).met(2.21, 2.0));
        assert_eq!(
            Target::RatioPlusSeconds(1.0, 0.2).describe(),
            "≤ 1.0x raw + 0.2 s"
        );
        assert_eq!(Target::PlusSeconds(0.5).describe(), "≤ raw + 0.5 s");
    }
}

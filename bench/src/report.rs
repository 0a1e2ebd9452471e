//! The table of medians and ratios, and the results file around it.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::scenario::{Results, Samples, Scenario, Target};
use crate::tool::Tool;

/// What the table's row labels and the logs throughput need to know.
#[derive(Debug, Clone)]
pub struct Shape {
    pub services: usize,
    pub scale_to: u32,
    pub log_replicas: u32,
    pub log_lines: u32,
    pub runs: usize,
    pub pull_images: u32,
    /// What the pull row's docker-compose column ran, e.g. `compose v5.6.1`.
    pub pull_compose: String,
}

impl Shape {
    fn total_log_lines(&self) -> u64 {
        self.log_replicas as u64 * self.log_lines as u64
    }

    fn row_label(&self, scenario: Scenario) -> String {
        match scenario {
            Scenario::ColdUp => format!("cold up → all healthy ({} services)", self.services),
            Scenario::NoopUp => "no-op up".into(),
            Scenario::Ps => "ps".into(),
            Scenario::Scale => format!("scale web 1→{} until healthy", self.scale_to),
            Scenario::Logs => format!(
                "logs {} replicas × {} lines",
                self.log_replicas,
                thousands(self.log_lines as u64)
            ),
            Scenario::Down => "down".into(),
            Scenario::Pull => format!(
                "pull {} images from a loopback registry (docker-compose column: {})",
                self.pull_images, self.pull_compose
            ),
        }
    }
}

/// The markdown table of medians: scenario | msctl | docker-compose | raw | ratios, each
/// ratio with the target and PASS/FAIL.
pub fn table(results: &Results, scenarios: &[Scenario], shape: &Shape) -> String {
    let mut out = String::from(
        "| scenario | msctl | docker-compose | raw | msctl/compose | msctl/raw |\n\
         |---|---:|---:|---:|---|---|\n",
    );
    for &scenario in scenarios {
        let samples = |tool| results.get(scenario, tool);
        let median = |tool| samples(tool).and_then(Samples::median);
        let cells = Tool::ALL.map(|tool| cell(scenario, samples(tool), shape));
        let msctl = median(Tool::Msctl);
        let versus_compose = ratio(msctl, median(Tool::Compose), scenario.compose_target());
        let versus_raw = if scenario.has_raw() {
            ratio(msctl, median(Tool::Raw), scenario.raw_target())
        } else {
            "-".to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {versus_compose} | {versus_raw} |",
            shape.row_label(scenario),
            cells[0],
            cells[1],
            cells[2]
        );
    }
    out
}

fn cell(scenario: Scenario, samples: Option<&Samples>, shape: &Shape) -> String {
    let Some(samples) = samples else {
        return "-".into();
    };
    if let Some(error) = samples.errors.first() {
        let runs = samples.errors.len() + samples.times.len();
        let failed = if samples.errors.len() < runs {
            format!(" ({} of {runs} runs)", samples.errors.len())
        } else {
            String::new()
        };
        return format!("error{failed}: {}", escape(&shorten(error, 90)));
    }
    let Some(median) = samples.median() else {
        return "-".into();
    };
    if scenario == Scenario::Logs {
        let per_second = shape.total_log_lines() as f64 / median;
        format!("{median:.3} s ({} lines/s)", si(per_second))
    } else {
        format!("{median:.3} s")
    }
}

fn ratio(msctl: Option<f64>, other: Option<f64>, target: Option<Target>) -> String {
    let verdict = |msctl: f64, other: f64| {
        target.map(|t| {
            let pass = if t.met(msctl, other) { "PASS" } else { "FAIL" };
            format!(" (target {}: {pass})", t.describe())
        })
    };
    match (msctl, other) {
        (Some(msctl), Some(other)) if other > 0.0 => {
            let ratio = msctl / other;
            let shown = if ratio < 0.1 {
                format!("{ratio:.3}x")
            } else {
                format!("{ratio:.2}x")
            };
            let throughput = match target {
                Some(Target::Throughput(_)) => format!(" = {:.1}x throughput", other / msctl),
                _ => String::new(),
            };
            format!(
                "{shown}{throughput}{}",
                verdict(msctl, other).unwrap_or_default()
            )
        }
        _ => match target {
            Some(t) => format!("- (target {})", t.describe()),
            None => "-".into(),
        },
    }
}

/// Every failed run's message, by scenario and tool, each distinct message once.
pub fn errors(results: &Results, scenarios: &[Scenario]) -> String {
    let mut out = String::new();
    for &scenario in scenarios {
        for tool in Tool::ALL {
            let Some(samples) = results.get(scenario, tool) else {
                continue;
            };
            let mut seen: Vec<&String> = Vec::new();
            for error in &samples.errors {
                if !seen.contains(&error) {
                    seen.push(error);
                    let _ = writeln!(out, "- {} / {}: {error}", scenario.name(), tool.column());
                }
            }
        }
    }
    out
}

/// Every sample, in run order, for whoever doubts a median.
pub fn samples(results: &Results, scenarios: &[Scenario]) -> String {
    let mut out = String::from("| scenario | tool | runs (s) |\n|---|---|---|\n");
    for &scenario in scenarios {
        for tool in Tool::ALL {
            let Some(samples) = results.get(scenario, tool) else {
                continue;
            };
            let times: Vec<String> = samples
                .times
                .iter()
                .map(|t| format!("{:.3}", t.as_secs_f64()))
                .collect();
            let failed = if samples.errors.is_empty() {
                String::new()
            } else {
                format!(" ({} failed)", samples.errors.len())
            };
            let _ = writeln!(
                out,
                "| {} | {} | {}{failed} |",
                scenario.name(),
                tool.column(),
                times.join(" ")
            );
        }
    }
    out
}

/// Where and with what the bench ran.
#[derive(Debug, Clone)]
pub struct Environment {
    pub date: String,
    pub machine: String,
    pub engine: String,
    pub compose: String,
    /// Compose v5's version (or why it cannot be run), when the pull scenario ran.
    pub compose5: Option<String>,
    pub msctl: String,
    /// /proc/loadavg's 1, 5 and 15 minute averages before and after: other work on the
    /// machine slows every tool down, docker-compose's CPU-bound logs most.
    pub load_before: String,
    pub load_after: String,
}

impl Environment {
    pub fn render(&self) -> String {
        let compose5 = match &self.compose5 {
            Some(version) => {
                format!("- compose v5 (the pull row's docker-compose column): {version}\n")
            }
            None => String::new(),
        };
        format!(
            "- date: {}\n- machine: {}\n- load average (1, 5, 15 min): {} before, {} after\n\
             - engine: Docker {}\n- docker-compose: {}\n{compose5}- msctl: {}\n",
            self.date,
            self.machine,
            self.load_before,
            self.load_after,
            self.engine,
            self.compose,
            self.msctl
        )
    }
}

/// nproc, memory, CPU model and kernel, from /proc.
pub fn machine() -> String {
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into());
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, model)| model.trim().to_string())
        .unwrap_or_else(|| "?".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_else(|_| "?".into());
    format!("{nproc} CPUs (nproc), {memory} memory, {cpu}, Linux {kernel}")
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "?".into())
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
pub fn now_utc() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn shorten(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max - 1).collect();
    format!("{cut}…")
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

fn si(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.0}k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn a_row_shows_medians_ratios_and_verdicts() {
        let mut results = Results::default();
        for (tool, seconds) in [(Tool::Msctl, 0.5), (Tool::Compose, 5.0), (Tool::Raw, 0.4)] {
            results.record(
                Scenario::ColdUp,
                tool,
                &Ok(Duration::from_secs_f64(seconds)),
            );
        }
        results.record(
            Scenario::Ps,
            Tool::Msctl,
            &Err(anyhow::anyhow!("no | ps yet")),
        );
        let shape = Shape {
            services: 10,
            scale_to: 10,
            log_replicas: 10,
            log_lines: 100_000,
            runs: 1,
            pull_images: 10,
            pull_compose: "compose v5.6.1".into(),
        };
        for (tool, seconds) in [(Tool::Compose, 2.0), (Tool::Raw, 1.0)] {
            results.record(Scenario::Pull, tool, &Ok(Duration::from_secs_f64(seconds)));
        }
        results.record(
            Scenario::Pull,
            Tool::Msctl,
            &Err(anyhow::anyhow!("error: unrecognized subcommand 'pull'")),
        );
        let scenarios = [Scenario::ColdUp, Scenario::Ps, Scenario::Pull];
        let table = table(&results, &scenarios, &shape);
        assert!(
            table.contains(
                "| cold up → all healthy (10 services) | 0.500 s | 5.000 s | 0.400 s | \
             0.10x (target ≤ 0.6x: PASS) | 1.25x (target ≤ raw + 0.3 s: PASS) |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| ps | error: no \\| ps yet | - | - | - (target ≤ 0.15x) | - |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| pull 10 images from a loopback registry (docker-compose column: compose v5.6.1) \
                 | error: error: unrecognized subcommand 'pull' | 2.000 s | 1.000 s | - | - |"
            ),
            "{table}"
        );
    }

    #[test]
    fn numbers_read_easily() {
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(si(812_345.0), "812k");
        assert_eq!(si(1_500_000.0), "1.50M");
        assert_eq!(shorten("a  b\nc", 10), "a b c");
        assert_eq!(shorten("abcdefghijk", 5), "abcd…");
    }
}

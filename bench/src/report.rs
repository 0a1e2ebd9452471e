//! The table of medians and ratios, and the results file around it.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::scenario::{Results, Samples, Scenario, Target};
use crate::tool::Tool;

/// What the tables' row labels and the logs throughput need to know.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The project sizes (`--services`), in the order they ran.
    pub sizes: Vec<u32>,
    pub scale_to: u32,
    pub log_replicas: u32,
    pub log_lines: u32,
    pub runs: usize,
    pub pull_images: u32,
    /// The compose column's header, e.g. `compose v5.6.1`.
    pub compose: String,
}

impl Shape {
    fn total_log_lines(&self) -> u64 {
        self.log_replicas as u64 * self.log_lines as u64
    }

    /// The size logs and pull run at (they do not depend on it).
    pub fn first_size(&self) -> u32 {
        self.sizes.first().copied().unwrap_or(0)
    }

    /// Whether `scenario` is measured at `size`.
    pub fn runs_at(&self, scenario: Scenario, size: u32) -> bool {
        scenario.per_size() || size == self.first_size()
    }

    fn row_label(&self, scenario: Scenario, size: u32) -> String {
        match scenario {
            Scenario::ColdUp => format!("cold up → all healthy ({size} services)"),
            Scenario::NoopUp => "no-op up".into(),
            Scenario::Ps => "ps".into(),
            Scenario::Scale => format!("scale web 1→{} until healthy", self.scale_to),
            Scenario::Logs => format!(
                "logs {} replicas × {} lines",
                self.log_replicas,
                thousands(self.log_lines as u64)
            ),
            Scenario::Down => "down".into(),
            Scenario::Pull => format!("pull {} images from a loopback registry", self.pull_images),
        }
    }
}

/// A `## N services` section with its table for every size, in order.
pub fn tables(results: &Results, scenarios: &[Scenario], shape: &Shape) -> String {
    let mut out = String::new();
    for &size in &shape.sizes {
        let _ = writeln!(out, "## {size} services\n");
        out.push_str(&table(results, size, scenarios, shape));
        out.push('\n');
    }
    out
}

/// The markdown table of medians at one size: scenario | msctl | compose | raw | ratios,
/// each ratio with the target and PASS/FAIL. Logs and pull are in the first
/// size's table only.
pub fn table(results: &Results, size: u32, scenarios: &[Scenario], shape: &Shape) -> String {
    let mut out = format!(
        "| scenario | msctl | {} | raw | msctl/compose | msctl/raw |\n\
         |---|---:|---:|---:|---|---|\n",
        shape.compose
    );
    for &scenario in scenarios {
        if !shape.runs_at(scenario, size) {
            continue;
        }
        let samples = |tool| results.get(size, scenario, tool);
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
            shape.row_label(scenario, size),
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

/// Every failed run's message, by size, scenario and tool, each distinct message once.
pub fn errors(results: &Results, scenarios: &[Scenario], shape: &Shape) -> String {
    let mut out = String::new();
    for &size in &shape.sizes {
        for &scenario in scenarios {
            for tool in Tool::ALL {
                let Some(samples) = results.get(size, scenario, tool) else {
                    continue;
                };
                let mut seen: Vec<&String> = Vec::new();
                for error in &samples.errors {
                    if !seen.contains(&error) {
                        seen.push(error);
                        let _ = writeln!(
                            out,
                            "- {size} services / {} / {}: {error}",
                            scenario.name(),
                            tool.column()
                        );
                    }
                }
            }
        }
    }
    out
}

/// Every sample, in run order, for whoever doubts a median.
pub fn samples(results: &Results, scenarios: &[Scenario], shape: &Shape) -> String {
    let mut out = String::from("| services | scenario | tool | runs (s) |\n|---:|---|---|---|\n");
    for (size, scenario) in shape
        .sizes
        .iter()
        .flat_map(|&size| scenarios.iter().map(move |&scenario| (size, scenario)))
    {
        for tool in Tool::ALL {
            let Some(samples) = results.get(size, scenario, tool) else {
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
                "| {size} | {} | {} | {}{failed} |",
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
    /// Compose v5's version, or why it cannot be run.
    pub compose: String,
    pub msctl: String,
    /// /proc/loadavg's 1, 5 and 15 minute averages before and after: other work on the
    /// machine slows every tool down.
    pub load_before: String,
    pub load_after: String,
}

impl Environment {
    pub fn render(&self) -> String {
        format!(
            "- date: {}\n- machine: {}\n- load average (1, 5, 15 min): {} before, {} after\n\
             - engine: Docker {}\n- compose: {}\n- msctl: {}\n",
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
        let at = |seconds: f64| Ok(Duration::from_secs_f64(seconds));
        for (tool, seconds) in [(Tool::Msctl, 0.5), (Tool::Compose, 5.0), (Tool::Raw, 0.4)] {
            results.record(10, Scenario::ColdUp, tool, &at(seconds));
        }
        for (tool, seconds) in [(Tool::Msctl, 3.0), (Tool::Compose, 4.0), (Tool::Raw, 2.7)] {
            results.record(50, Scenario::Down, tool, &at(seconds));
        }
        results.record(
            10,
            Scenario::Ps,
            Tool::Msctl,
            &Err(anyhow::anyhow!("no | ps yet")),
        );
        let shape = Shape {
            sizes: vec![10, 50],
            scale_to: 10,
            log_replicas: 10,
            log_lines: 100_000,
            runs: 1,
            pull_images: 10,
            compose: "compose v5.6.1".into(),
        };
        for (tool, seconds) in [(Tool::Compose, 2.0), (Tool::Raw, 1.0)] {
            results.record(10, Scenario::Pull, tool, &at(seconds));
        }
        results.record(
            10,
            Scenario::Pull,
            Tool::Msctl,
            &Err(anyhow::anyhow!("error: unrecognized subcommand 'pull'")),
        );
        let scenarios = [
            Scenario::ColdUp,
            Scenario::Ps,
            Scenario::Down,
            Scenario::Pull,
        ];
        let tables = tables(&results, &scenarios, &shape);
        let (first, second) = tables.split_once("## 50 services").expect("two sections");
        assert!(first.starts_with("## 10 services\n\n| scenario | msctl | compose v5.6.1 |"));
        assert!(
            first.contains(
                "| cold up → all healthy (10 services) | 0.500 s | 5.000 s | 0.400 s | \
             0.10x (target ≤ 0.6x: PASS) | 1.25x (target ≤ raw + 0.5 s: PASS) |"
            ),
            "{tables}"
        );
        assert!(
            first.contains("| ps | error: no \\| ps yet | - | - | - (target ≤ 0.3x) | - |"),
            "{tables}"
        );
        assert!(
            first.contains(
                "| pull 10 images from a loopback registry \
                 | error: error: unrecognized subcommand 'pull' | 2.000 s | 1.000 s | - | - |"
            ),
            "{tables}"
        );
        assert!(
            second.contains(
                "| down | 3.000 s | 4.000 s | 2.700 s | 0.75x | \
                 1.11x (target ≤ 1.0x raw + 0.2 s: FAIL) |"
            ),
            "{tables}"
        );
        assert!(!second.contains("pull"), "{tables}");
        let samples = samples(&results, &scenarios, &shape);
        assert!(
            samples.contains("| 50 | down | msctl | 3.000 |"),
            "{samples}"
        );
        let errors = errors(&results, &scenarios, &shape);
        assert!(
            errors.contains("- 10 services / ps / msctl: no | ps yet"),
            "{errors}"
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

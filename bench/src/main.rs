//! msctl-bench: msctl, Compose v5 and the raw Engine API side by side on generated Compose
//! files of several sizes (and, for pull, on a file of images in a loopback registry). Run
//! it through `bench/run`, which builds both in release mode.

mod command;
mod engine;
mod image;
mod manifest;
mod pull;
mod raw;
mod registry;
mod report;
mod runner;
mod scenario;
mod tool;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;

use crate::manifest::Project;
use crate::report::{Environment, Shape};
use crate::runner::{Runner, Settings};
use crate::scenario::Scenario;
use crate::tool::Tool;

#[derive(Debug, Parser)]
#[command(
    name = "msctl-bench",
    about = "Benchmark msctl against Compose v5 and the raw Engine API",
    after_help = "Run it through bench/run from the repository root; it builds msctl first.",
    args_override_self = true
)]
struct Args {
    /// Runs per scenario, tool and size; the tables show medians
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Project sizes: health-checked services in the generated file, comma-separated; every
    /// selected scenario runs at each size in turn (logs and pull at the first only)
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "10,50,100",
        value_parser = clap::value_parser!(u32).range(1..=500)
    )]
    services: Vec<u32>,
    /// Only these scenarios (repeatable, or comma-separated); default: all
    #[arg(long, value_enum, value_name = "SCENARIO", value_delimiter = ',')]
    only: Vec<Scenario>,
    /// Only these tools (repeatable, or comma-separated); default: all
    #[arg(long, value_enum, value_name = "TOOL", value_delimiter = ',')]
    tools: Vec<Tool>,
    /// Replicas of `web` the scale scenario goes to
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..))]
    scale_to: u32,
    /// Replicas of the logger service
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    log_replicas: u32,
    /// Lines each logger replica prints
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    log_lines: u32,
    /// The msctl binary
    #[arg(long, default_value = "target/release/msctl")]
    msctl: PathBuf,
    /// The Compose v5 program (v5.6.1) of the compose column
    #[arg(long, value_name = "PROGRAM", default_value = "compose5")]
    compose5: String,
    /// The registry program the pull scenario serves its images with
    #[arg(long, default_value = "docker-registry")]
    docker_registry: String,
    /// Images the pull scenario pulls
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=99))]
    pull_images: u32,
    /// The static busybox to build the image from (default: /bin/busybox)
    #[arg(long)]
    busybox: Option<PathBuf>,
    /// Longest any one command or wait may take, in seconds
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Where to write the results (markdown)
    #[arg(long, default_value = "bench/results/latest.md")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let load_before = report::load_average();
    let docker = engine::connect().await?;
    let engine_version = engine::version(&docker).await?;
    let busybox = image::find_busybox(args.busybox.as_deref())?;
    eprintln!(
        "bench: building {} from {}",
        manifest::IMAGE,
        busybox.display()
    );
    image::build(&docker, &busybox).await?;

    let scenarios: Vec<Scenario> = if args.only.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        Scenario::ALL
            .into_iter()
            .filter(|s| args.only.contains(s))
            .collect()
    };
    let tools: Vec<Tool> = if args.tools.is_empty() {
        Tool::ALL.to_vec()
    } else {
        Tool::ALL
            .into_iter()
            .filter(|t| args.tools.contains(t))
            .collect()
    };
    let sizes = distinct(&args.services);
    // Without the compose column, a missing Compose v5 is nobody's concern.
    let compose = if tools.contains(&Tool::Compose) {
        compose_version(&args.compose5).await
    } else {
        Err("Compose v5 was not looked for (--tools without compose)".into())
    };
    match &compose {
        Ok(version) if !version.starts_with("5.") => eprintln!(
            "bench: warning: `{}` is Compose {version}, not v5 (the issue compares with v5.6.1)",
            args.compose5
        ),
        Ok(_) => {}
        // Every compose cell would be an error: say so now, not after the whole run.
        Err(error) if tools.contains(&Tool::Compose) => {
            anyhow::bail!("{error}\n\nhint: or leave it out with --tools msctl,raw")
        }
        Err(_) => {}
    }
    let msctl = msctl_binary(&args.msctl);
    let msctl_version = match &msctl {
        Ok(path) => describe_msctl(path).await,
        Err(error) => error.clone(),
    };
    if let Err(error) = &msctl {
        eprintln!("bench: warning: {error}");
    }
    let dir = tempfile::Builder::new()
        .prefix("msctl-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    // One file per size, each with the same logger.
    let mut projects = Vec::new();
    for &size in &sizes {
        let project = Project::new(size, args.log_replicas, args.log_lines);
        let file = dir.path().join(format!("compose-{size}.yaml"));
        std::fs::write(&file, project.compose_yaml())
            .with_context(|| format!("cannot write {}", file.display()))?;
        projects.push((size, project, file));
    }

    // A run interrupted earlier may have left containers behind.
    let (removed, stuck) = engine::clean_earlier_runs(&docker).await?;
    if !removed.is_empty() {
        eprintln!(
            "bench: removed leftovers of earlier runs: {}",
            removed.join(", ")
        );
    }
    for error in stuck {
        eprintln!("bench: warning: a leftover network stays (it is in nobody's way): {error}");
    }
    let msctl_state = dir.path().join("msctl-state");
    let invocation = invocation_id();

    let settings = Settings {
        runs: args.runs as usize,
        scenarios: scenarios.clone(),
        tools: tools.clone(),
        scale_to: args.scale_to,
        timeout: Duration::from_secs(args.timeout),
        msctl: msctl.clone(),
        compose: compose.clone().map(|_| args.compose5.clone()),
        registry: args.docker_registry.clone(),
        pull_images: args.pull_images,
        busybox: busybox.clone(),
    };
    eprintln!(
        "bench: {} runs of {} by {} at {} services (files in {}){}",
        settings.runs,
        scenarios
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
        tools
            .iter()
            .map(|t| t.column())
            .collect::<Vec<_>>()
            .join(", "),
        join(&sizes),
        dir.path().display(),
        if sizes.len() > 1 && scenarios.iter().any(|s| !s.per_size()) {
            format!("; logs and pull at {} only", sizes[0])
        } else {
            String::new()
        }
    );
    let mut results = scenario::Results::default();
    for (index, (size, project, file)) in projects.iter().enumerate() {
        eprintln!("bench: {size} services: {}", file.display());
        let runner = Runner {
            docker: &docker,
            settings: &settings,
            size: *size,
            project,
            file,
            invocation: &invocation,
            msctl_state: &msctl_state,
        };
        runner.run(&mut results, index == 0).await;
    }

    let shape = Shape {
        sizes: sizes.clone(),
        scale_to: args.scale_to,
        log_replicas: args.log_replicas,
        log_lines: args.log_lines,
        runs: settings.runs,
        pull_images: args.pull_images,
        compose: match &compose {
            Ok(version) => format!("compose v{version}"),
            Err(_) => "compose v5".into(),
        },
    };
    let tables = report::tables(&results, &scenarios, &shape);
    let errors = report::errors(&results, &scenarios, &shape);
    println!("{tables}");
    if !errors.is_empty() {
        println!("Errors:\n\n{errors}");
    }

    let environment = Environment {
        date: report::now_utc(),
        machine: report::machine(),
        engine: engine_version,
        compose: compose.map_or_else(|error| error, |version| format!("Compose v{version}")),
        msctl: msctl_version,
        load_before,
        load_after: report::load_average(),
    };
    let elapsed = started.elapsed();
    let document = results_document(
        &environment,
        &shape,
        &tables,
        &errors,
        &results,
        &scenarios,
        &tools,
        elapsed,
    );
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&args.out, document)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "bench: wrote {} ({:.0} s in all)",
        args.out.display(),
        elapsed.as_secs_f64()
    );

    let failed = results.failed_cells();
    if failed > 0 {
        eprintln!("bench: {failed} scenario/tool cells had failed runs (see the errors above)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::too_many_arguments)]
fn results_document(
    environment: &Environment,
    shape: &Shape,
    tables: &str,
    errors: &str,
    results: &scenario::Results,
    scenarios: &[Scenario],
    tools: &[Tool],
    elapsed: Duration,
) -> String {
    let mut out =
        format!(
        "# msctl benchmark: latest run\n\n{}- parameters: {} services, {} runs per scenario, tool \
         and size (medians shown), scale web 1→{}, logs {} replicas × {} lines, pull {} images, \
         scenarios: {}, tools: {}\n\
         - whole bench: {:.0} s\n\n",
        environment.render(),
        join(&shape.sizes),
        shape.runs,
        shape.scale_to,
        shape.log_replicas,
        shape.log_lines,
        shape.pull_images,
        scenarios.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "),
        tools.iter().map(|t| t.column()).collect::<Vec<_>>().join(", "),
        elapsed.as_secs_f64()
    );
    out.push_str(tables);
    out.push_str(
        "Targets are the issue's acceptance targets for msctl (medians on this machine).\n\
         The compose column is Compose v5 in every scenario. Its up and scale are\n\
         `up -d --wait` (`--no-recreate --scale web=N` for scale), timed to the command's exit:\n\
         it returns once Docker reports every container healthy. msctl's up and scale wait\n\
         for readiness themselves (its x-msctl http probe); raw is timed until Docker reports\n\
         every replica healthy, polled every 50 ms. Docker's first health check runs one\n\
         interval after start: 1 s up to 20 services, a second more per 20 (3 s at 50, 5 s\n\
         at 100), so that the checks alone do not fill the machine's two cores. Down's target is against raw, not compose. Other work on the machine\n\
         (see the load average) slows every tool. How each tool is timed: bench/README.md.\n",
    );
    if scenarios.contains(&Scenario::Logs) {
        out.push_str(
            "Logs: compose = `logs --no-color logger`, msctl = `logs --no-prefix logger`,\n\
             raw = `docker logs` for every replica at once; every tool must print every line.\n",
        );
    }
    let once: Vec<&str> = scenarios
        .iter()
        .filter(|s| !s.per_size())
        .map(|s| s.name())
        .collect();
    if !once.is_empty() && shape.sizes.len() > 1 {
        let _ = writeln!(
            out,
            "{} ran at {} services only, in that table: the logger's replicas and the pull\n\
             images are the same at every size.",
            once.join(" and "),
            shape.first_size()
        );
    }
    if scenarios.contains(&Scenario::Pull) {
        let _ = write!(
            out,
            "Pull has no target. Every tool pulls all {} images from a registry on 127.0.0.1;\n\
             they are removed from the engine before each run. Raw = one POST /images/create\n\
             per image, all at once.\n",
            shape.pull_images
        );
    }
    if !errors.is_empty() {
        out.push_str("\n## Errors\n\n");
        out.push_str(errors);
    }
    out.push_str("\n## Every run\n\n");
    out.push_str(&report::samples(results, scenarios, shape));
    out
}

/// The sizes, each once, in the order given.
fn distinct(sizes: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &size in sizes {
        if !out.contains(&size) {
            out.push(size);
        }
    }
    out
}

fn join(sizes: &[u32]) -> String {
    sizes
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A short id that tells this bench run's projects from an earlier run's.
fn invocation_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or(0);
    format!("{:04x}", (nanos ^ std::process::id()) & 0xffff)
}

const COMPOSE5_HINT: &str =
    "scripts/bootstrap installs Compose v5 as compose5, or pass --compose5 PROGRAM";

/// `PROGRAM version --short`, or why it cannot be run (with a hint on how to install it).
async fn compose_version(program: &str) -> Result<String, String> {
    let hint = COMPOSE5_HINT;
    let output = tokio::process::Command::new(program)
        .args(["version", "--short"])
        .output()
        .await;
    match output {
        Ok(output) if output.status.success() => {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        }
        Ok(output) => Err(format!(
            "`{program} version` failed: {}",
            command::summarize_stderr(&String::from_utf8_lossy(&output.stderr))
        )),
        Err(error) => Err(format!("cannot run `{program}`: {error} (hint: {hint})")),
    }
}

/// The msctl binary as an absolute path (commands run in the temporary directory).
fn msctl_binary(path: &Path) -> Result<PathBuf, String> {
    match std::fs::canonicalize(path) {
        Ok(path) if path.is_file() => Ok(path),
        _ => Err(format!(
            "no msctl binary at {} (hint: bench/run builds it with cargo build --release)",
            path.display()
        )),
    }
}

/// `msctl --version` and the commit it was built from, for the report.
async fn describe_msctl(path: &Path) -> String {
    let version = tokio::process::Command::new(path)
        .arg("--version")
        .output()
        .await
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "msctl (version unknown)".into());
    let commit = tokio::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .await
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match commit {
        Some(commit) => format!("{version}, commit {commit}"),
        None => version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_is_a_list_of_sizes_and_the_defaults_are_the_issues() {
        let args = Args::try_parse_from(["msctl-bench"]).expect("defaults parse");
        assert_eq!(args.services, [10, 50, 100]);
        assert_eq!(args.runs, 3);
        assert_eq!(args.compose5, "compose5");
        let args =
            Args::try_parse_from(["msctl-bench", "--services", "3,100,3"]).expect("a list parses");
        assert_eq!(distinct(&args.services), [3, 100]);
        assert!(Args::try_parse_from(["msctl-bench", "--services", "10,0"]).is_err());
        assert!(Args::try_parse_from(["msctl-bench", "--docker-compose", "x"]).is_err());
    }
}

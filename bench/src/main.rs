//! msctl-bench: msctl, docker-compose 1.29 and the raw Engine API side by side on one
//! generated Compose file (and, for pull, Compose v5 on a second one). Run it through
//! `bench/run`, which builds both in release mode.

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
    about = "Benchmark msctl against docker-compose 1.29 and the raw Engine API",
    after_help = "Run it through bench/run from the repository root; it builds msctl first.",
    args_override_self = true
)]
struct Args {
    /// Runs per scenario and tool; the table shows medians
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Health-checked services in the generated file
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=99))]
    services: u32,
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
    /// The docker-compose program
    #[arg(long, default_value = "docker-compose")]
    docker_compose: String,
    /// The Compose v5 program the pull scenario compares with
    #[arg(long, default_value = "compose5")]
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
    let compose = compose_version(&args.docker_compose, COMPOSE_HINT).await;
    // Only the pull scenario runs Compose v5: without it, a missing one is nobody's concern.
    let compose5 = if scenarios.contains(&Scenario::Pull) && tools.contains(&Tool::Compose) {
        Some(compose_version(&args.compose5, COMPOSE5_HINT).await)
    } else {
        None
    };
    let msctl = msctl_binary(&args.msctl);
    let msctl_version = match &msctl {
        Ok(path) => describe_msctl(path).await,
        Err(error) => error.clone(),
    };
    if let Err(error) = &msctl {
        eprintln!("bench: warning: {error}");
    }
    if let Err(error) = &compose {
        eprintln!("bench: warning: {error}");
    }
    if let Some(Err(error)) = &compose5 {
        eprintln!("bench: warning: {error}");
    }
    let project = Project::new(args.services, args.log_replicas, args.log_lines);
    let dir = tempfile::Builder::new()
        .prefix("msctl-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, project.compose_yaml())
        .with_context(|| format!("cannot write {}", file.display()))?;

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
        compose: compose.clone().map(|_| args.docker_compose.clone()),
        compose5: match &compose5 {
            Some(Ok(_)) => Ok(args.compose5.clone()),
            Some(Err(error)) => Err(error.clone()),
            None => Err("Compose v5 was not looked for".into()),
        },
        registry: args.docker_registry.clone(),
        pull_images: args.pull_images,
        busybox: busybox.clone(),
    };
    eprintln!(
        "bench: {} runs of {} by {} on {} services (file: {})",
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
        args.services,
        file.display()
    );
    let runner = Runner {
        docker: &docker,
        settings: &settings,
        project: &project,
        file: &file,
        invocation: &invocation,
        msctl_state: &msctl_state,
    };
    let results = runner.run().await;

    let shape = Shape {
        services: project.web.len(),
        scale_to: args.scale_to,
        log_replicas: args.log_replicas,
        log_lines: args.log_lines,
        runs: settings.runs,
        pull_images: args.pull_images,
        pull_compose: match &compose5 {
            Some(Ok(version)) => format!("compose v{version}"),
            _ => "compose v5".into(),
        },
    };
    let table = report::table(&results, &scenarios, &shape);
    let errors = report::errors(&results, &scenarios);
    println!("{table}");
    if !errors.is_empty() {
        println!("Errors:\n\n{errors}");
    }

    let environment = Environment {
        date: report::now_utc(),
        machine: report::machine(),
        engine: engine_version,
        compose: compose.unwrap_or_else(|error| error),
        compose5: compose5.map(|version| version.unwrap_or_else(|error| error)),
        msctl: msctl_version,
        load_before,
        load_after: report::load_average(),
    };
    let elapsed = started.elapsed();
    let document = results_document(
        &environment,
        &shape,
        &args,
        &table,
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
    args: &Args,
    table: &str,
    errors: &str,
    results: &scenario::Results,
    scenarios: &[Scenario],
    tools: &[Tool],
    elapsed: Duration,
) -> String {
    let mut out = format!(
        "# msctl benchmark: latest run\n\n{}- parameters: {} services, {} runs per scenario and tool \
         (medians shown), scale to {}, logs {} replicas × {} lines, pull {} images, scenarios: {}, \
         tools: {}\n\
         - whole bench: {:.0} s\n\n",
        environment.render(),
        shape.services,
        shape.runs,
        args.scale_to,
        shape.log_replicas,
        shape.log_lines,
        shape.pull_images,
        scenarios.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "),
        tools.iter().map(|t| t.column()).collect::<Vec<_>>().join(", "),
        elapsed.as_secs_f64()
    );
    out.push_str(table);
    out.push_str(
        "\nTargets are the issue's acceptance targets for msctl (medians on this machine).\n\
         msctl's up and scale wait for readiness themselves (its x-msctl http probe);\n\
         docker-compose (no --wait in 1.29) and raw are timed until Docker reports every\n\
         replica healthy, polled every 50 ms; Docker's first health check runs 1 s after start.\n\
         Raw logs = `docker logs` for every replica at once. Other work on the machine (see the\n\
         load average) slows every tool, docker-compose's CPU-bound logs the most.\n\
         How each tool is timed: bench/README.md.\n",
    );
    if scenarios.iter().any(|s| s.compose_v5()) {
        let _ = write!(
            out,
            "Pull: the docker-compose column is {} (`compose5 pull --quiet`), not 1.29, and\n\
             there is no target. Every tool pulls all {} images from a registry on 127.0.0.1;\n\
             they are removed from the engine before each run. Raw = one POST /images/create\n\
             per image, all at once.\n",
            shape.pull_compose, shape.pull_images
        );
    }
    if !errors.is_empty() {
        out.push_str("\n## Errors\n\n");
        out.push_str(errors);
    }
    out.push_str("\n## Every run\n\n");
    out.push_str(&report::samples(results, scenarios));
    out
}

/// A short id that tells this bench run's projects from an earlier run's.
fn invocation_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ d.as_secs() as u32)
        .unwrap_or(0);
    format!("{:04x}", (nanos ^ std::process::id()) & 0xffff)
}

const COMPOSE_HINT: &str = "scripts/bootstrap installs docker-compose";
const COMPOSE5_HINT: &str = "bench/README.md says how to install Compose v5 as compose5";

/// `PROGRAM version --short`, or why it cannot be run (with `hint` on how to install it).
async fn compose_version(program: &str, hint: &str) -> Result<String, String> {
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

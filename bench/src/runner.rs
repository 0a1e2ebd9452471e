//! The runs at one project size: each tool's lifecycle (cold up, no-op up, ps, scale, down)
//! from a clean state, tools interleaved so a slow moment of the machine hits all of them
//! alike; then, at the first size only, logs and pull (from a registry started for it).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use bollard::Docker;
use futures_util::future::join_all;

use crate::command::{self, Outcome};
use crate::engine;
use crate::manifest::{self, Project, PullService, LOGGER_PROFILE, LOG_LINE_MARK, SCALED_SERVICE};
use crate::pull;
use crate::raw;
use crate::registry::Registry;
use crate::scenario::{Results, Scenario};
use crate::tool::Deployment;
use crate::tool::Tool;

/// What to run, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub runs: usize,
    pub scenarios: Vec<Scenario>,
    /// The tools measured, in [`Tool::ALL`]'s order.
    pub tools: Vec<Tool>,
    pub scale_to: u32,
    /// Longest any one command or wait may take.
    pub timeout: Duration,
    /// The msctl binary, or why it cannot be run.
    pub msctl: Result<PathBuf, String>,
    /// The Compose v5 program, or why it cannot be run.
    pub compose: Result<String, String>,
    /// The registry program the pull scenario serves its images with.
    pub registry: String,
    /// Images the pull scenario pulls.
    pub pull_images: u32,
    /// The static busybox every image is built from.
    pub busybox: PathBuf,
}

impl Settings {
    fn selected(&self, scenario: Scenario) -> bool {
        self.scenarios.contains(&scenario)
    }
}

/// The scenarios measured in one pass through a project's life, in that order.
const LIFECYCLE: [Scenario; 5] = [
    Scenario::ColdUp,
    Scenario::NoopUp,
    Scenario::Ps,
    Scenario::Scale,
    Scenario::Down,
];

/// The runs at one project size (`--services`).
pub struct Runner<'a> {
    pub docker: &'a Docker,
    pub settings: &'a Settings,
    /// The health-checked services in `project`, the size results are recorded under.
    pub size: u32,
    pub project: &'a Project,
    /// The generated Compose file; commands run in its directory.
    pub file: &'a Path,
    /// Tells this bench run's projects from any other's.
    pub invocation: &'a str,
    /// msctl's state directory for the bench (`MSCTL_STATE_DIR`), so its store starts empty
    /// and the user's is left alone.
    pub msctl_state: &'a Path,
}

impl Runner<'_> {
    /// Every selected lifecycle scenario at this size; with `first`, logs and pull too
    /// (they do not depend on the size, so they run once, at the first size).
    pub async fn run(&self, results: &mut Results, first: bool) {
        if LIFECYCLE.iter().any(|&s| self.settings.selected(s)) {
            for run in 0..self.settings.runs {
                for tool in rotated(&self.settings.tools, run) {
                    self.lifecycle(tool, run, results).await;
                }
            }
        }
        if first && self.settings.selected(Scenario::Logs) {
            self.logs_scenario(results).await;
        }
        if first && self.settings.selected(Scenario::Pull) {
            self.pull_scenario(results).await;
        }
    }

    fn progress(&self, run: usize, tool: Tool, scenario: Scenario, outcome: &Result<Duration>) {
        progress(self.size, run, self.settings.runs, tool, scenario, outcome);
    }

    /// One run for one tool: clean state, then each selected step. A step a later one
    /// needs (cold up before ps, down at the end) runs untimed when not selected.
    async fn lifecycle(&self, tool: Tool, run: usize, results: &mut Results) {
        // The size is in the name: every size has projects of its own.
        let name = format!("s{}-{}", self.size, run + 1);
        let d = &Deployment::new(tool, self.invocation, &name);
        let selected: Vec<Scenario> = LIFECYCLE
            .into_iter()
            .filter(|&s| self.settings.selected(s) && (tool != Tool::Raw || s.has_raw()))
            .collect();
        if selected.is_empty() {
            return;
        }
        let mut record = |scenario: Scenario, outcome: Result<Duration>| {
            if selected.contains(&scenario) {
                self.progress(run, tool, scenario, &outcome);
                results.record(self.size, scenario, tool, &outcome);
            }
        };

        if let Err(error) = self.clean(d).await {
            let reason = format!("setup failed: cleaning up before the run: {error:#}");
            for &scenario in &selected {
                record(scenario, Err(anyhow!(reason.clone())));
            }
            return;
        }

        let cold_up = self.cold_up(d).await;
        let mut blocker = cold_up
            .as_ref()
            .err()
            .map(|error| format!("setup failed: cold up: {error:#}"));
        record(Scenario::ColdUp, cold_up);

        for scenario in [Scenario::NoopUp, Scenario::Ps, Scenario::Scale] {
            if !selected.contains(&scenario) {
                continue;
            }
            if let Some(reason) = &blocker {
                record(scenario, Err(anyhow!(reason.clone())));
                continue;
            }
            let outcome = match scenario {
                Scenario::NoopUp => self.noop_up(d).await,
                Scenario::Ps => self.ps(d).await,
                _ => self.scale(d).await,
            };
            record(scenario, outcome);
            if scenario == Scenario::Scale {
                // Down is measured on the project as the file describes it.
                if let Err(error) = self.scale_back(d).await {
                    blocker = Some(format!("setup failed: scaling back to 1: {error:#}"));
                }
            }
        }

        if selected.contains(&Scenario::Down) {
            match &blocker {
                Some(reason) => record(Scenario::Down, Err(anyhow!(reason.clone()))),
                None => record(Scenario::Down, self.down(d).await),
            }
        } else if blocker.is_none() {
            if let Err(error) = self.down(d).await {
                eprintln!(
                    "bench: {} down failed (cleaning up by force): {error:#}",
                    tool.column()
                );
            }
        }
        if let Err(error) = self.clean(d).await {
            eprintln!("bench: cleaning up {} failed: {error:#}", d.project);
        }
    }

    /// Removes any leftover of the project (untimed).
    async fn clean(&self, d: &Deployment) -> Result<()> {
        let removed = engine::force_clean(self.docker, d).await?;
        if !removed.is_empty() {
            eprintln!(
                "bench: removed leftovers of {}: {}",
                d.project,
                removed.join(", ")
            );
        }
        Ok(())
    }

    /// The msctl or Compose v5 command line for `tool`'s project.
    async fn cli(
        &self,
        d: &Deployment,
        logger: bool,
        args: &[&str],
        needle: &[u8],
    ) -> Result<Outcome> {
        let program = self.program(d.tool)?;
        self.cli_with(program, self.file, d, logger, args, needle)
            .await
    }

    /// The msctl binary or the Compose v5 program.
    fn program(&self, tool: Tool) -> Result<OsString> {
        Ok(match tool {
            Tool::Msctl => self.settings.msctl.clone().map_err(|e| anyhow!(e))?.into(),
            Tool::Compose => self
                .settings
                .compose
                .clone()
                .map_err(|e| anyhow!(e))?
                .into(),
            Tool::Raw => bail!("the raw baseline has no command line"),
        })
    }

    /// `program -p project -f file [--profile logs] args...`, in the file's directory.
    async fn cli_with(
        &self,
        program: OsString,
        file: &Path,
        d: &Deployment,
        logger: bool,
        args: &[&str],
        needle: &[u8],
    ) -> Result<Outcome> {
        let mut full: Vec<String> = vec![
            "-p".into(),
            d.project.clone(),
            "-f".into(),
            file.display().to_string(),
        ];
        if logger {
            full.extend(["--profile".into(), LOGGER_PROFILE.into()]);
        }
        full.extend(args.iter().map(|arg| arg.to_string()));
        let state: [(&str, &OsStr); 1] = [("MSCTL_STATE_DIR", self.msctl_state.as_os_str())];
        let env: &[(&str, &OsStr)] = if d.tool == Tool::Msctl { &state } else { &[] };
        let context = command::Context {
            env,
            ..self.command_context()
        };
        command::run(program, &full, context, needle).await
    }

    fn command_context(&self) -> command::Context<'_> {
        command::Context {
            dir: self.file.parent().unwrap_or(Path::new(".")),
            env: &[],
            timeout: self.settings.timeout,
        }
    }

    fn web_count(&self) -> usize {
        self.project.web.len()
    }

    async fn cold_up(&self, d: &Deployment) -> Result<Duration> {
        let start = Instant::now();
        match d.tool {
            Tool::Msctl => {
                // msctl waits for readiness itself (its own http probe).
                self.cli(d, false, &["up"], b"").await?;
                let elapsed = start.elapsed();
                engine::expect_running(self.docker, d, None, self.web_count())
                    .await
                    .context("after `msctl up` returned")?;
                Ok(elapsed)
            }
            Tool::Compose => {
                // `--wait` returns once every container is healthy (Docker's healthcheck).
                let outcome = self.cli(d, false, &["up", "-d", "--wait"], b"").await?;
                engine::expect_healthy(self.docker, d, None, self.web_count())
                    .await
                    .context("after `compose up --wait` returned")?;
                Ok(outcome.elapsed)
            }
            Tool::Raw => {
                raw::create_network(self.docker, d).await?;
                raw::create_and_start(self.docker, d, raw::all_replicas(&self.project.web)).await?;
                self.wait_healthy(d, None, self.web_count()).await?;
                Ok(start.elapsed())
            }
        }
    }

    async fn wait_healthy(
        &self,
        d: &Deployment,
        service: Option<&str>,
        expected: usize,
    ) -> Result<()> {
        engine::wait_healthy(self.docker, d, service, expected, self.settings.timeout).await
    }

    async fn noop_up(&self, d: &Deployment) -> Result<Duration> {
        let before = engine::container_ids(self.docker, d).await?;
        let outcome = match d.tool {
            Tool::Msctl => self.cli(d, false, &["up"], b"").await?,
            _ => self.cli(d, false, &["up", "-d", "--wait"], b"").await?,
        };
        let after = engine::container_ids(self.docker, d).await?;
        if before != after {
            bail!(
                "the second up changed the containers ({} before, {} after, not the same ids)",
                before.len(),
                after.len()
            );
        }
        Ok(outcome.elapsed)
    }

    async fn ps(&self, d: &Deployment) -> Result<Duration> {
        let expected = self.web_count();
        if d.tool == Tool::Raw {
            let start = Instant::now();
            let rows = raw::ps(self.docker, d).await?;
            let elapsed = start.elapsed();
            if rows != expected {
                bail!("listed {rows} containers, expected {expected}");
            }
            return Ok(elapsed);
        }
        let outcome = self.cli(d, false, &["ps"], b"").await?;
        if outcome.stdout_lines < expected as u64 {
            bail!(
                "printed {} lines for {expected} containers",
                outcome.stdout_lines
            );
        }
        Ok(outcome.elapsed)
    }

    async fn scale(&self, d: &Deployment) -> Result<Duration> {
        let to = self.settings.scale_to;
        let target = format!("{SCALED_SERVICE}={to}");
        let before = engine::container_ids(self.docker, d).await?;
        let start = Instant::now();
        let elapsed = match d.tool {
            Tool::Msctl => {
                let outcome = self.cli(d, false, &["scale", &target], b"").await?;
                engine::expect_running(self.docker, d, Some(SCALED_SERVICE), to as usize)
                    .await
                    .context("after `msctl scale` returned")?;
                outcome.elapsed
            }
            Tool::Compose => {
                let args = ["up", "-d", "--wait", "--no-recreate", "--scale", &target];
                let outcome = self.cli(d, false, &args, b"").await?;
                engine::expect_healthy(self.docker, d, Some(SCALED_SERVICE), to as usize)
                    .await
                    .context("after `compose up --wait --scale` returned")?;
                outcome.elapsed
            }
            Tool::Raw => {
                let web = self
                    .project
                    .web
                    .iter()
                    .find(|s| s.name == SCALED_SERVICE)
                    .context("the generated project has no scaled service")?;
                raw::create_and_start(self.docker, d, (2..=to).map(|number| (web, number))).await?;
                self.wait_healthy(d, Some(SCALED_SERVICE), to as usize)
                    .await?;
                start.elapsed()
            }
        };
        let after = engine::container_ids(self.docker, d).await?;
        if let Some(gone) = before.iter().find(|id| !after.contains(id)) {
            bail!("scaling {SCALED_SERVICE} removed or recreated container {gone}");
        }
        Ok(elapsed)
    }

    /// Untimed: back to one replica of the scaled service.
    async fn scale_back(&self, d: &Deployment) -> Result<()> {
        let current = engine::containers(self.docker, d, Some(SCALED_SERVICE)).await?;
        if current.len() > 1 {
            let target = format!("{SCALED_SERVICE}=1");
            match d.tool {
                Tool::Msctl => {
                    self.cli(d, false, &["scale", &target], b"").await?;
                }
                Tool::Compose => {
                    let args = ["up", "-d", "--no-recreate", "--scale", &target];
                    self.cli(d, false, &args, b"").await?;
                }
                Tool::Raw => {
                    let extra = raw::replicas_above(self.docker, d, SCALED_SERVICE, 1).await?;
                    raw::stop_and_remove(self.docker, &extra).await?;
                }
            }
        }
        engine::expect_running(self.docker, d, Some(SCALED_SERVICE), 1).await?;
        Ok(())
    }

    async fn down(&self, d: &Deployment) -> Result<Duration> {
        let start = Instant::now();
        match d.tool {
            Tool::Msctl | Tool::Compose => {
                self.cli(d, false, &["down"], b"").await?;
            }
            Tool::Raw => raw::down(self.docker, d).await?,
        }
        let elapsed = start.elapsed();
        let left = engine::containers(self.docker, d, None).await?;
        if !left.is_empty() {
            let names: Vec<String> = left.iter().map(engine::name).collect();
            bail!("down left containers behind: {}", names.join(", "));
        }
        if engine::network_exists(self.docker, d).await? {
            bail!("down left the network {} behind", d.network());
        }
        Ok(elapsed)
    }

    /// Logs: every tool's logger replicas are started and have printed all their lines
    /// before any run; reading them changes nothing, so the runs share that setup.
    async fn logs_scenario(&self, results: &mut Results) {
        let runs = self.settings.runs;
        let deployments: Vec<Deployment> = (self.settings.tools.iter())
            .map(|&tool| Deployment::new(tool, self.invocation, "logs"))
            .collect();
        let mut ready = Vec::new();
        for d in &deployments {
            eprintln!("bench: {}: starting the logger replicas", d.tool.column());
            match self.logs_setup(d).await {
                Ok(ids) => ready.push((d, ids)),
                Err(error) => {
                    let outcome = Err(anyhow!("setup failed: {error:#}"));
                    self.progress(0, d.tool, Scenario::Logs, &outcome);
                    results.record(self.size, Scenario::Logs, d.tool, &outcome);
                }
            }
        }
        for run in 0..runs {
            for (d, ids) in rotated(&ready, run) {
                let outcome = self.logs(d, &ids).await;
                self.progress(run, d.tool, Scenario::Logs, &outcome);
                results.record(self.size, Scenario::Logs, d.tool, &outcome);
            }
        }
        for d in &deployments {
            let down = match d.tool {
                Tool::Raw => raw::down(self.docker, d).await,
                _ => self.cli(d, true, &["down"], b"").await.map(|_| ()),
            };
            if let Err(error) = down {
                eprintln!(
                    "bench: {} down failed (cleaning up by force): {error:#}",
                    d.tool.column()
                );
            }
            if let Err(error) = self.clean(d).await {
                eprintln!("bench: cleaning up {} failed: {error:#}", d.project);
            }
        }
    }

    /// Starts the logger replicas and waits until each printed its last line.
    async fn logs_setup(&self, d: &Deployment) -> Result<Vec<String>> {
        self.clean(d).await?;
        let logger = &self.project.logger;
        match d.tool {
            Tool::Msctl => {
                self.cli(d, true, &["up", &logger.name], b"").await?;
            }
            Tool::Compose => {
                self.cli(d, true, &["up", "-d", &logger.name], b"").await?;
            }
            Tool::Raw => {
                raw::create_network(self.docker, d).await?;
                let replicas = raw::all_replicas(std::slice::from_ref(logger));
                raw::create_and_start(self.docker, d, replicas).await?;
            }
        }
        let replicas = logger.replicas as usize;
        let ids = engine::expect_running(self.docker, d, Some(&logger.name), replicas).await?;
        let last = self.project.last_log_line();
        engine::wait_logs_complete(self.docker, &ids, &last, self.settings.timeout).await?;
        Ok(ids)
    }

    /// One read of every logger line; fails unless exactly all of them were printed.
    async fn logs(&self, d: &Deployment, ids: &[String]) -> Result<Duration> {
        let needle = LOG_LINE_MARK.as_bytes();
        let logger = &self.project.logger.name;
        let (elapsed, lines) = match d.tool {
            Tool::Msctl => {
                let args = ["logs", "--no-prefix", logger];
                let outcome = self.cli(d, true, &args, needle).await?;
                (outcome.elapsed, outcome.matching_lines)
            }
            Tool::Compose => {
                let args = ["logs", "--no-color", logger];
                let outcome = self.cli(d, true, &args, needle).await?;
                (outcome.elapsed, outcome.matching_lines)
            }
            Tool::Raw => {
                // The baseline: `docker logs` for every replica at once.
                let context = self.command_context();
                let start = Instant::now();
                let outcomes = join_all(ids.iter().map(|id| {
                    let args = ["logs".to_string(), id.clone()];
                    async move { command::run("docker", &args, context, needle).await }
                }))
                .await;
                let elapsed = start.elapsed();
                let mut lines = 0;
                for outcome in outcomes {
                    lines += outcome?.matching_lines;
                }
                (elapsed, lines)
            }
        };
        let expected = self.project.logger.replicas as u64 * self.project.log_lines as u64;
        if lines != expected {
            bail!("printed {lines} log lines, expected {expected}");
        }
        Ok(elapsed)
    }
}

/// What the pull runs share: the registry, the images pushed to it, the file naming them.
struct PullSetup {
    registry: Registry,
    services: Vec<PullService>,
    file: PathBuf,
}

impl Runner<'_> {
    /// Pull: a registry and its images set up once (untimed), then each run removes the
    /// images from the engine and times one tool pulling all of them back.
    async fn pull_scenario(&self, results: &mut Results) {
        let runs = self.settings.runs;
        eprintln!(
            "bench: pull: starting {} and pushing {} images to it",
            self.settings.registry, self.settings.pull_images
        );
        let setup = match self.pull_setup().await {
            Ok(setup) => setup,
            Err(error) => {
                let outcome = Err(anyhow!("setup failed: {error:#}"));
                for &tool in &self.settings.tools {
                    self.progress(0, tool, Scenario::Pull, &outcome);
                    results.record(self.size, Scenario::Pull, tool, &outcome);
                }
                return;
            }
        };
        for run in 0..runs {
            for tool in rotated(&self.settings.tools, run) {
                let d = Deployment::new(tool, self.invocation, &format!("pull{}", run + 1));
                let outcome = self.pull(&d, &setup).await;
                self.progress(run, tool, Scenario::Pull, &outcome);
                results.record(self.size, Scenario::Pull, tool, &outcome);
            }
        }
        // No image is left naming a registry that is about to go away.
        if let Err(error) = pull::remove(self.docker, &setup.services).await {
            eprintln!("bench: pull: removing the images failed: {error:#}");
        }
        if let Err(error) = setup.registry.stop().await {
            eprintln!("bench: pull: stopping the registry failed: {error:#}");
        }
    }

    /// Starts the registry, builds and pushes the images, writes the file naming them.
    async fn pull_setup(&self) -> Result<PullSetup> {
        let removed = pull::remove_leftovers(self.docker).await?;
        if !removed.is_empty() {
            eprintln!(
                "bench: removed pull images of earlier runs: {}",
                removed.join(", ")
            );
        }
        let dir = self.command_context().dir.join("registry");
        let registry = Registry::start(&self.settings.registry, &dir).await?;
        let services = PullService::all(&registry.address, self.settings.pull_images);
        let file = self.command_context().dir.join("pull.yaml");
        let prepared = async {
            let seed = u64::from_str_radix(self.invocation, 16).unwrap_or(0) << 32;
            pull::build_and_push(self.docker, &self.settings.busybox, &services, seed)
                .await
                .context("building and pushing the images")?;
            std::fs::write(&file, manifest::pull_compose_yaml(&services))
                .with_context(|| format!("cannot write {}", file.display()))
        };
        if let Err(error) = prepared.await {
            if let Err(stop) = registry.stop().await {
                eprintln!("bench: pull: stopping the registry failed: {stop:#}");
            }
            // The images built before the failure would only be leftovers.
            if let Err(remove) = pull::remove(self.docker, &services).await {
                eprintln!("bench: pull: removing the images failed: {remove:#}");
            }
            return Err(error);
        }
        eprintln!("bench: pull: registry on {}", registry.address);
        Ok(PullSetup {
            registry,
            services,
            file,
        })
    }

    /// One pull of every image by one tool, timed from its start until it is done, then
    /// checked on the engine.
    async fn pull(&self, d: &Deployment, setup: &PullSetup) -> Result<Duration> {
        let services = &setup.services;
        pull::remove(self.docker, services)
            .await
            .context("setup failed: removing the images before the pull")?;
        let elapsed = match d.tool {
            Tool::Msctl | Tool::Compose => {
                let program = self.program(d.tool)?;
                let args = ["pull", "--quiet"];
                self.cli_with(program, &setup.file, d, false, &args, b"")
                    .await?
                    .elapsed
            }
            Tool::Raw => {
                let start = Instant::now();
                pull::raw_pull(self.docker, services).await?;
                start.elapsed()
            }
        };
        pull::expect_present(self.docker, services)
            .await
            .context("after the pull returned")?;
        Ok(elapsed)
    }
}

/// `items` starting at position `run`, so no tool always goes first.
fn rotated<T: Clone>(items: &[T], run: usize) -> Vec<T> {
    if items.is_empty() {
        return Vec::new();
    }
    let start = run % items.len();
    items[start..]
        .iter()
        .chain(&items[..start])
        .cloned()
        .collect()
}

fn progress(
    size: u32,
    run: usize,
    runs: usize,
    tool: Tool,
    scenario: Scenario,
    outcome: &Result<Duration>,
) {
    let what = match outcome {
        Ok(elapsed) => format!("{:.3} s", elapsed.as_secs_f64()),
        Err(error) => format!("error: {error:#}"),
    };
    eprintln!(
        "bench: {size:>3} services, run {}/{runs} {:<10} {:<8} {what}",
        run + 1,
        tool.column(),
        scenario.name()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_starts_with_the_next_tool() {
        assert_eq!(rotated(&[1, 2, 3], 0), [1, 2, 3]);
        assert_eq!(rotated(&[1, 2, 3], 1), [2, 3, 1]);
        assert_eq!(rotated(&[1, 2, 3], 5), [3, 1, 2]);
        assert!(rotated::<u8>(&[], 1).is_empty());
    }
}

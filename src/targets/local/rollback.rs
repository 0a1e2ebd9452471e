//! `msctl rollback SERVICE`: undo the last completed rollout of a service by hand: its
//! replicas go back to the config and image they ran before it, per `rollback_config`,
//! and that becomes the service's desired state (the control plane keeps it; the next
//! `up` rolls the manifest's config out again).

use std::time::{Duration, Instant};

use crate::cli::RollbackArgs;
use crate::converge::{roll_back, ConvergeOptions};
use crate::engine::DEFAULT_CONCURRENCY;
use crate::manifest::model::Project;
use crate::plan::{HealOptions, PlanOptions};
use crate::report::Cancel;
use crate::session::{CommandError, Context};

pub fn rollback(
    ctx: &Context,
    manifest: &Project,
    args: &RollbackArgs,
) -> Result<(), CommandError> {
    ctx.check_services(manifest, std::slice::from_ref(&args.service))?;
    let failed = |e: crate::state::StateError| CommandError::Failed(e.into());
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let _lock = ctx.lock(&manifest.name).await?;
        let cancel = Cancel::default();
        ctx.watch_interrupts(&cancel);
        let started = Instant::now();
        let mut store = ctx.state_store()?;
        let rollouts = store.rollouts(&manifest.name, &args.service).map_err(failed)?;
        let Some((number, last)) = rollouts
            .iter()
            .rev()
            .find(|(_, r)| r.outcome == "completed" && r.from_config.is_some())
        else {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "service `{}` has no completed rollout to roll back",
                    args.service
                ),
                format!("`msctl history {}` lists its rollouts", args.service),
            ));
        };
        let Some(target) = last.from_config.clone() else {
            return Err(CommandError::Failed(anyhow::anyhow!("rollout {number} has no earlier config")));
        };
        let desired = store.desired(&manifest.name).map_err(failed)?;
        let (mut project, self_heal) = match desired {
            Some(desired) => (desired.project, desired.self_heal),
            None => (manifest.clone(), false),
        };
        let current = project
            .services
            .get(&args.service)
            .cloned()
            .unwrap_or_else(|| last.to_config.clone());
        project.services.insert(args.service.clone(), target.clone());
        let options = ConvergeOptions {
            plan: PlanOptions::default(),
            heal: HealOptions::default(),
            single_round: false,
            wait: true,
            timeout: Duration::from_secs(args.timeout),
            concurrency: DEFAULT_CONCURRENCY,
            previous: None,
        };
        let reporter = ctx.reporter();
        let started_ms = crate::clock::now_ms();
        let report = roll_back(
            engine.as_ref(),
            &project,
            &target,
            &current,
            Instant::now() + options.timeout,
            reporter.as_ref(),
            &cancel,
        )
        .await;
        drop(reporter);
        let report = report.map_err(|err| CommandError::Failed(err.into()))?;
        let record = crate::rollout::Record {
            service: args.service.clone(),
            started_ms,
            finished_ms: crate::clock::now_ms(),
            outcome: if report.failures.is_empty() { "completed" } else { "failed" }.to_string(),
            reason: if report.failures.is_empty() {
                format!("rollback of rollout {number} by hand")
            } else {
                format!("rollback of rollout {number} by hand: {}", report.failures.join("; "))
            },
            replicas: report.replaced + report.failures.len(),
            from_hash: Some(crate::plan::replica_config_hash(&project, &current)),
            to_hash: crate::plan::replica_config_hash(&project, &target),
            from_image: current.labels.get(crate::plan::labels::IMAGE_ID).cloned(),
            to_image: target.labels.get(crate::plan::labels::IMAGE_ID).cloned(),
            from_config: Some(current),
            to_config: target,
        };
        store.record_rollout(&manifest.name, &record).map_err(failed)?;
        if !report.failures.is_empty() {
            return Err(CommandError::hinted(
                anyhow::anyhow!(
                    "the rollback of `{}` failed: {}",
                    args.service,
                    report.failures.join("; ")
                ),
                format!("`msctl logs {}` shows why", args.service),
            ));
        }
        store
            .save_desired(&project, self_heal, crate::clock::now_ms())
            .map_err(failed)?;
        ctx.printer.status(&format!(
            "service `{}` rolled back to its config before rollout {number}: {} replicas replaced in {}",
            args.service,
            report.replaced,
            crate::output::progress::seconds(started.elapsed())
        ));
        Ok(())
    })
}

//! The engine's control plane when it is another state directory's (see
//! [`crate::control::registry`]): `up` and `scale` take a project back from it before
//! they change it and hand it over again after, and `down` takes it back before it
//! removes anything, so that exactly one control plane keeps a project and none works
//! on it while a command does.

use crate::control::api::Handoff;
use crate::control::registry::{self, Registration};
use crate::engine::Engine;
use crate::state::StoredEvent;

use super::{CommandError, Context};

/// The engine's control plane, when it runs and is not this state directory's.
pub async fn foreign(ctx: &Context, engine: &dyn Engine) -> Option<Registration> {
    let volume = registry::volume_name(&ctx.environment);
    match registry::find(engine, &volume).await {
        Ok(Some(found)) if !found.serves(&ctx.state_dir()) => Some(found),
        Ok(_) => None,
        Err(err) => {
            ctx.printer.status(&format!(
                "warning: cannot look up the engine's control plane: {err}"
            ));
            None
        }
    }
}

fn failed(keeper: &Registration, what: String) -> CommandError {
    CommandError::hinted(
        anyhow::anyhow!(what),
        format!(
            "the engine's control plane is the one of state directory `{}` (pid {}); `msctl serve` there shows why",
            keeper.state_dir.display(),
            keeper.pid
        ),
    )
}

/// Makes `keeper` forget `project` and waits until it no longer works on it. Returns
/// whether it kept it.
pub async fn take_back(keeper: &Registration, project: &str) -> Result<bool, CommandError> {
    let path = format!("/v1/projects/{}", crate::apiclient::segment(project));
    let client = keeper.client();
    let answer = client
        .call("DELETE", path.clone(), None)
        .await
        .map_err(|e| failed(keeper, format!("cannot take project `{project}` back: {e}")))?;
    #[derive(serde::Deserialize)]
    struct Kept {
        kept: bool,
    }
    let kept: Kept = client
        .json(&format!("DELETE {path}"), &answer)
        .map_err(|e| failed(keeper, e.to_string()))?;
    Ok(kept.kept)
}

/// Hands `keeper` the desired state and scale counts this state directory recorded for
/// `project`, for it to keep.
pub async fn hand_over(
    ctx: &Context,
    keeper: &Registration,
    project: &str,
) -> Result<(), CommandError> {
    let store = ctx.state_store()?;
    let state_failed = |e: crate::state::StateError| CommandError::Failed(e.into());
    let Some(desired) = store.desired(project).map_err(state_failed)? else {
        return Ok(());
    };
    let handoff = Handoff {
        project: desired.project,
        scale: store.scale_overrides(project).map_err(state_failed)?,
        held: store.held(project).map_err(state_failed)?,
        from: ctx.state_dir().display().to_string(),
    };
    drop(store);
    let client = keeper.client();
    let body = client
        .encode(&handoff)
        .map_err(|e| failed(keeper, e.to_string()))?;
    let path = format!(
        "/v1/projects/{}/desired",
        crate::apiclient::segment(project)
    );
    client
        .call("PUT", path, Some(body))
        .await
        .map_err(|e| failed(keeper, format!("cannot hand project `{project}` over: {e}")))?;
    Ok(())
}

/// Runs `body` with `project` taken back from the engine's other control plane, when
/// that one keeps it, and hands it over again however `body` ends: with the desired
/// state, counts and holds `body` left in this state directory.
pub async fn taken_back<T>(
    ctx: &Context,
    engine: &dyn Engine,
    project: &str,
    body: impl std::future::Future<Output = Result<T, CommandError>>,
) -> Result<T, CommandError> {
    let keeper = match foreign(ctx, engine).await {
        Some(keeper) if take_back(&keeper, project).await? => Some(keeper),
        _ => None,
    };
    let result = body.await;
    if let Some(keeper) = &keeper {
        hand_over(ctx, keeper, project).await?;
    }
    result
}

/// The project's events as `keeper` holds them, oldest first.
pub async fn events(keeper: &Registration, project: &str) -> Vec<StoredEvent> {
    #[derive(serde::Deserialize)]
    struct View {
        id: i64,
        service: String,
        replica: String,
        kind: String,
        message: String,
    }
    let path = format!(
        "/v1/events?project={}&after=0&limit=10000",
        crate::apiclient::segment(project)
    );
    let client = keeper.client();
    let Ok(answer) = client.call("GET", path.clone(), None).await else {
        return Vec::new();
    };
    let views: Vec<View> = client.json(&path, &answer).unwrap_or_default();
    views
        .into_iter()
        .map(|v| StoredEvent {
            id: v.id,
            at_ms: 0,
            project: project.to_string(),
            service: v.service,
            replica: v.replica,
            kind: v.kind,
            message: v.message,
        })
        .collect()
}

/// Start the background control plane if none runs. Failing to is a warning: the
/// project is up; only its self-heal is missing, and the next `up` tries again.
pub fn ensure_control_plane(ctx: &Context, project_name: &str) {
    use crate::control::process::{start_background, Started};
    let state_dir = ctx.state_dir();
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(err) => {
            ctx.printer.status(&format!(
                "warning: self-heal is off for now: cannot find msctl's own program to start the control plane: {err}"
            ));
            return;
        }
    };
    match start_background(&state_dir, &program, std::time::Duration::from_secs(10)) {
        Ok(Started::Started(pid)) => ctx.printer.status(&format!(
            "control plane started (pid {pid}): it keeps project `{project_name}` healthy; `msctl events` shows what it does, `msctl down` stops it with the last project"
        )),
        Ok(Started::AlreadyRunning(running)) => ctx.printer.status(&format!(
            "control plane running (pid {}): it keeps project `{project_name}` healthy",
            running.pid
        )),
        Err(err) => ctx.printer.status(&format!(
            "warning: self-heal is off for now: {err}\n\nhint: run `msctl serve` to see why, or `msctl up --no-self-heal` to go without"
        )),
    }
}

/// `ps` and the other commands that look at a project: when this state directory keeps
/// it with self-heal on, no control plane runs for it here (killed, the machine
/// restarted) and none of another state directory keeps the engine, start one again.
pub async fn revive_control_plane(ctx: &Context, engine: &dyn Engine, project_name: &str) {
    if ctx.self_heal_disabled() {
        return;
    }
    let kept = ctx
        .state_store()
        .ok()
        .and_then(|store| store.desired(project_name).ok().flatten())
        .is_some_and(|desired| desired.self_heal);
    if !kept {
        return;
    }
    if crate::control::process::running(&ctx.state_dir()).is_ok_and(|r| r.is_some()) {
        return;
    }
    if foreign(ctx, engine).await.is_some() {
        return;
    }
    ctx.printer.status(&format!(
        "no control plane runs to keep project `{project_name}` healthy: starting one"
    ));
    ensure_control_plane(ctx, project_name);
}

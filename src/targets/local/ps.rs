//! `msctl ps`: the project's replicas with their state and health, as a table or JSON.
//!
//! The JSON shape is stable (docs/ps.schema.json, checked by an e2e test): an array of objects with service,
//! replica, name, id, image, state, health, exit_code, ports, created, backoff; sorted by
//! service then replica.
//!
//! A port published through the ingress (see `ingress::plan`) is listed on each replica
//! of its service, marked `(ingress)`: no container binds it, the control plane does.
//!
//! A service the control plane is backing off (its replicas kept failing) shows why and
//! when it tries again: `backoff` in JSON, a NOTE column in the table; so does a service
//! `msctl stop` or `kill` holds (`held` in JSON). The stopped replicas of either are
//! listed even without `--all`.

use serde::Serialize;

use crate::cli::{Format, PsArgs};
use crate::engine::{Engine, LabelFilter};
use std::collections::BTreeMap;

use crate::plan::{labels, ContainerState, Health};
use crate::state::ServiceBackoff;

use crate::session::{CommandError, Context};

/// One row of `ps`; the field order is the JSON field order.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub service: String,
    pub replica: u32,
    pub name: String,
    pub id: String,
    pub image: String,
    pub state: String,
    pub health: String,
    pub exit_code: Option<i64>,
    pub ports: Vec<String>,
    pub created: Option<String>,
    /// The control plane holds the replica's service back: `null` when it does not.
    pub backoff: Option<Backoff>,
    /// `stopped` or `killed` when `msctl stop` or `kill` holds the service (self-heal
    /// leaves it until `start`, `scale` or `up`); `null` otherwise.
    pub held: Option<String>,
}

/// Why and until when the control plane holds a service back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Backoff {
    /// Failures in a row.
    pub failures: u32,
    /// RFC 3339.
    pub next_attempt: String,
    pub reason: String,
}

pub fn ps(ctx: &Context, project_name: &str, args: &PsArgs) -> Result<(), CommandError> {
    let project_name = project_name.to_string();
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        crate::session::keeper::revive_control_plane(ctx, engine.as_ref(), &project_name).await;
        let store = ctx.state_store()?;
        let backoffs = store
            .backoffs(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        let held = store
            .held(&project_name)
            .map_err(|e| CommandError::Failed(e.into()))?;
        // The ingress carries the ports of the desired state the control plane keeps.
        let desired = store
            .desired(&project_name)
            .ok()
            .flatten()
            .filter(|desired| desired.self_heal)
            .map(|desired| desired.project);
        drop(store);
        let mut rows = rows(
            engine.as_ref(),
            &project_name,
            &args.services,
            args.all,
            &backoffs,
            &held,
        )
        .await?;
        let now = crate::clock::now_ms();
        for row in &mut rows {
            if let Some(service) = desired.as_ref().and_then(|p| p.services.get(&row.service)) {
                row.ports.extend(ingress_ports(service));
            }
            row.backoff = backoffs.get(&row.service).map(|b| Backoff {
                failures: b.failures,
                next_attempt: crate::control::format_ms(b.next_attempt_ms),
                reason: b.reason.clone(),
            });
            row.held = held.get(&row.service).cloned();
        }
        let text = if args.ids || ctx.global.quiet {
            rows.iter().map(|r| format!("{}\n", r.id)).collect()
        } else {
            match ctx.global.format {
                Some(Format::Json) => {
                    serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)? + "\n"
                }
                None | Some(Format::Table) => table(&rows, &backoffs, &held, now),
                Some(Format::Yaml) => {
                    return Err(CommandError::Usage(
                        "`ps` prints table or json, not yaml".to_string(),
                    ))
                }
            }
        };
        ctx.printer.data(&text).map_err(anyhow::Error::from)?;
        Ok(())
    })
}

pub async fn rows(
    engine: &dyn Engine,
    project_name: &str,
    services: &[String],
    all: bool,
    backing_off: &BTreeMap<String, ServiceBackoff>,
    held: &BTreeMap<String, String>,
) -> Result<Vec<Row>, CommandError> {
    // One listing: state, health, ports and creation time are all in it.
    let containers = engine
        .list_containers_with_ports(&LabelFilter::project(project_name))
        .await
        .map_err(|e| CommandError::Failed(e.into()))?;
    let mut rows = Vec::new();
    for listed in containers {
        let summary = &listed.summary;
        let service = summary.labels.get(labels::SERVICE);
        let shown = all
            || summary.state == ContainerState::Running
            || summary.state == ContainerState::Restarting
            || service.is_some_and(|s| backing_off.contains_key(s) || held.contains_key(s));
        let asked = services.is_empty() || service.is_some_and(|s| services.contains(s));
        if !shown || !asked {
            continue;
        }
        rows.push(Row {
            service: service.cloned().unwrap_or_default(),
            replica: summary
                .labels
                .get(labels::REPLICA)
                .and_then(|r| r.parse().ok())
                .unwrap_or(0),
            name: summary.name.clone(),
            id: summary.id.clone(),
            image: summary.image.clone(),
            state: state_name(summary.state).to_string(),
            health: health_name(summary.health).to_string(),
            exit_code: match summary.state {
                ContainerState::Exited { code } => Some(code),
                _ => None,
            },
            ports: listed.ports.clone(),
            created: listed.created.clone(),
            backoff: None,
            held: None,
        });
    }
    rows.sort_by(|a, b| (&a.service, a.replica, &a.name).cmp(&(&b.service, b.replica, &b.name)));
    Ok(rows)
}

/// The ports the ingress publishes for `service`, as `ps` shows them on each replica:
/// `HOST_IP:PUBLISHED->TARGET/tcp (ingress)`.
pub fn ingress_ports(service: &crate::manifest::model::Service) -> Vec<String> {
    crate::ingress::plan::ingress_ports(service)
        .into_iter()
        .map(crate::ingress::plan::describe)
        .collect()
}

pub fn state_name(state: ContainerState) -> &'static str {
    match state {
        ContainerState::Created => "created",
        ContainerState::Running => "running",
        ContainerState::Paused => "paused",
        ContainerState::Restarting => "restarting",
        ContainerState::Exited { .. } => "exited",
        ContainerState::Dead => "dead",
    }
}

pub fn health_name(health: Health) -> &'static str {
    match health {
        Health::None => "none",
        Health::Starting => "starting",
        Health::Healthy => "healthy",
        Health::Unhealthy => "unhealthy",
    }
}

/// What the NOTE column says of a service the control plane holds back.
fn backoff_note(backoff: &ServiceBackoff, now_ms: i64) -> String {
    let failures = match backoff.failures {
        1 => "1 failure".to_string(),
        n => format!("{n} failures"),
    };
    let wait = backoff.next_attempt_ms - now_ms;
    if wait > 0 {
        format!(
            "backing off after {failures} ({}): next attempt in {:.1}s at {}",
            backoff.reason,
            wait as f64 / 1000.0,
            crate::control::format_ms(backoff.next_attempt_ms)
        )
    } else {
        format!("retrying after {failures} ({})", backoff.reason)
    }
}

fn table(
    rows: &[Row],
    backoffs: &BTreeMap<String, ServiceBackoff>,
    held: &BTreeMap<String, String>,
    now_ms: i64,
) -> String {
    let mut header = vec![
        "NAME", "SERVICE", "REPLICA", "STATE", "HEALTH", "IMAGE", "PORTS",
    ];
    // The column appears only when there is something to say.
    let notes = rows
        .iter()
        .any(|r| backoffs.contains_key(&r.service) || held.contains_key(&r.service));
    if notes {
        header.push("NOTE");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let state = match r.exit_code {
                Some(code) if r.state == "exited" => format!("exited ({code})"),
                _ => r.state.clone(),
            };
            let mut row = vec![
                r.name.clone(),
                r.service.clone(),
                r.replica.to_string(),
                state,
                r.health.clone(),
                r.image.clone(),
                r.ports.join(", "),
            ];
            if notes {
                let note = match (held.get(&r.service), backoffs.get(&r.service)) {
                    (Some(how), _) if how == "paused" => {
                        "paused on purpose: `msctl unpause` resumes it".to_string()
                    }
                    (Some(how), _) => {
                        format!("{how} on purpose: `msctl start` (or `scale`, `up`) resumes it")
                    }
                    (None, Some(backoff)) => backoff_note(backoff, now_ms),
                    (None, None) => String::new(),
                };
                row.push(note);
            }
            row
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let line = |cols: &[String]| {
        cols.iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = widths[i]))
            .collect::<Vec<_>>()
            .join("   ")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}

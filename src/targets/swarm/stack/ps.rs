//! `ps` on a Swarm: one row per task.

use std::collections::BTreeMap;

use crate::engine::swarm::SwarmEngine;

use super::*;

/// A row of `ps`: one task.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskRow {
    /// `<project>_<service>.<slot>` (or `.<node id>` for a global service).
    pub name: String,
    pub service: String,
    pub slot: u64,
    pub task: String,
    pub node: String,
    pub image: String,
    pub desired: String,
    pub state: String,
    pub since: i64,
    pub error: String,
    pub ports: Vec<String>,
}

/// The project's tasks, newest first per slot; with `all` the finished ones too.
pub async fn ps(
    swarm: &SwarmEngine,
    project: &str,
    services: &[String],
    all: bool,
) -> Result<Vec<TaskRow>, SwarmError> {
    let listed = swarm.services(project).await?;
    let nodes: BTreeMap<String, String> = swarm
        .nodes()
        .await?
        .into_iter()
        .map(|n| (n.id, n.hostname))
        .collect();
    let tasks = swarm.tasks(project, None).await?;
    let mut rows = Vec::new();
    for task in tasks {
        let Some(service) = listed.iter().find(|s| s.id == task.service_id) else {
            continue;
        };
        if !services.is_empty() && !services.contains(&service.service) {
            continue;
        }
        if !all && task.desired != "running" {
            continue;
        }
        let slot_name = if task.slot > 0 {
            task.slot.to_string()
        } else {
            task.node_id.clone()
        };
        let ports = if task.state == "running" {
            service
                .ports
                .iter()
                .map(|(published, target, protocol, mode)| {
                    let on = if mode == "host" {
                        nodes.get(&task.node_id).cloned().unwrap_or_default()
                    } else {
                        "*".to_string()
                    };
                    format!("{on}:{published}->{target}/{protocol}")
                })
                .collect()
        } else {
            Vec::new()
        };
        rows.push(TaskRow {
            name: format!("{}.{slot_name}", service.name),
            service: service.service.clone(),
            slot: task.slot,
            task: task.id.clone(),
            node: nodes.get(&task.node_id).cloned().unwrap_or_default(),
            image: if task.image == service.image && !service.image_name.is_empty() {
                format!("{}@{}", service.image_name, short_id(&task.image))
            } else {
                short_id(&task.image).to_string()
            },
            desired: task.desired.clone(),
            state: task.state.clone(),
            since: task.since,
            error: if task.error.is_empty() {
                String::new()
            } else {
                task.error.clone()
            },
            ports,
        });
    }
    rows.sort_by(|a, b| {
        a.service
            .cmp(&b.service)
            .then(a.slot.cmp(&b.slot))
            .then(b.since.cmp(&a.since))
    });
    Ok(rows)
}

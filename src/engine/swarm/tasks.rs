//! The tasks of a project's services: listing them on their nodes, and reading a
//! task's log.

use std::collections::HashMap;

use futures_util::{Stream, StreamExt};

use super::{seconds_of, state_text, template_key, SwarmEngine};
use crate::engine::{EngineError, LogLine};
use crate::plan::labels;

/// A task of a service, on a node.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    pub id: String,
    pub service_id: String,
    /// The replica's slot (1, 2, ...); 0 for a global service's tasks.
    pub slot: u64,
    pub node_id: String,
    pub desired: String,
    /// `new` ... `running`, `complete`, `failed`, `shutdown`, `rejected`, ...
    pub state: String,
    pub message: String,
    pub error: String,
    pub container_id: String,
    pub image: String,
    /// When the task reached its state, in seconds since the Unix epoch.
    pub since: i64,
    /// The key of the template the task was made from (see `ServiceInfo::template_key`).
    pub template_key: String,
}

/// One line of a task's log.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceLogLine {
    pub task_id: String,
    pub node_id: String,
    pub line: LogLine,
}

impl SwarmEngine {
    /// The tasks of the project's services (of one service when `service_id` is set).
    pub async fn tasks(
        &self,
        project: &str,
        service_id: Option<&str>,
    ) -> Result<Vec<TaskInfo>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        match service_id {
            Some(id) => {
                filters.insert("service".to_string(), vec![id.to_string()]);
            }
            None => {
                filters.insert(
                    "label".to_string(),
                    vec![format!("{}={project}", labels::PROJECT)],
                );
            }
        }
        let tasks = self
            .call(
                "list tasks",
                || format!("the tasks of project `{project}`"),
                docker.list_tasks(Some(bollard::query_parameters::ListTasksOptions {
                    filters: Some(filters),
                })),
            )
            .await?;
        Ok(tasks
            .into_iter()
            .map(|task| {
                let status = task.status.unwrap_or_default();
                TaskInfo {
                    id: task.id.unwrap_or_default(),
                    service_id: task.service_id.unwrap_or_default(),
                    slot: task.slot.unwrap_or_default().max(0) as u64,
                    node_id: task.node_id.unwrap_or_default(),
                    desired: state_text(&task.desired_state),
                    state: state_text(&status.state),
                    message: status.message.unwrap_or_default(),
                    error: status.err.unwrap_or_default(),
                    container_id: status
                        .container_status
                        .and_then(|c| c.container_id)
                        .unwrap_or_default(),
                    image: task
                        .spec
                        .as_ref()
                        .and_then(|s| s.container_spec.as_ref())
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default(),
                    since: seconds_of(status.timestamp.as_ref()),
                    template_key: template_key(task.spec.as_ref()),
                }
            })
            .collect())
    }

    /// A task's log, one line at a time.
    pub fn task_logs(
        &self,
        task_id: &str,
        node_id: &str,
        follow: bool,
        tail: Option<u64>,
        since: Option<i64>,
    ) -> impl Stream<Item = Result<ServiceLogLine, EngineError>> + Send + 'static {
        let docker = self.engine.client().clone();
        let address = self.engine.address().to_string();
        let task = task_id.to_string();
        let node = node_id.to_string();
        let options = bollard::query_parameters::LogsOptions {
            follow,
            stdout: true,
            stderr: true,
            since: since.unwrap_or(0) as i32,
            until: 0,
            timestamps: true,
            tail: tail
                .map(|t| t.to_string())
                .unwrap_or_else(|| "all".to_string()),
        };
        docker
            .task_logs(&task, Some(options))
            .map(move |item| match item {
                Ok(output) => Ok(ServiceLogLine {
                    task_id: task.clone(),
                    node_id: node.clone(),
                    line: crate::engine::docker::log_line(output, 0),
                }),
                Err(err) => Err(crate::engine::docker::map_error(
                    &address,
                    "task logs",
                    format!("the logs of task {task}"),
                    err,
                )),
            })
    }
}

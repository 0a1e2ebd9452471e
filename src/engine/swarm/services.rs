//! The Swarm services of a project: listing them as msctl sees them, reading a spec
//! back, creating, updating (or rolling back) and removing one, and setting the replica
//! count of a spec.

use std::collections::HashMap;

use bollard::models::ServiceSpec;

use super::{
    gone_already_is_done, label_map, seconds_of, state_text, template_key, SwarmEngine, IMAGE_NAME,
};
use crate::engine::EngineError;
use crate::plan::labels;

/// A Swarm service msctl made, as the Swarm reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    pub id: String,
    /// The Swarm's name: `<project>_<service>`.
    pub name: String,
    /// The manifest's service name.
    pub service: String,
    pub version: u64,
    pub config_hash: String,
    /// `None` for a global service.
    pub replicas: Option<u64>,
    /// The image reference the spec runs (`sha256:...` for images msctl sent).
    pub image: String,
    /// The image name it was made from (the label msctl sets).
    pub image_name: String,
    /// `updating`, `paused`, `completed`, `rollback_started`, `rollback_paused`,
    /// `rollback_completed`, or empty when no update ran.
    pub update_state: String,
    pub update_message: String,
    /// When the last update (or rollback) began, in seconds since the Unix epoch.
    pub update_started: i64,
    /// The task template's key: a task runs the service's current spec when its own
    /// key is the same.
    pub template_key: String,
    /// Published ports: (published, target, protocol, mode).
    pub ports: Vec<(u16, u16, String, String)>,
}

/// Set the replica count of a spec (replicated services only).
pub fn set_replicas(spec: &mut ServiceSpec, replicas: u64) {
    if let Some(replicated) = spec.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
        replicated.replicas = Some(replicas as i64);
    }
}

impl SwarmEngine {
    /// The project's services.
    pub async fn services(&self, project: &str) -> Result<Vec<ServiceInfo>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        );
        let services = self
            .call(
                "list services",
                || format!("the services of project `{project}`"),
                docker.list_services(Some(bollard::query_parameters::ListServicesOptions {
                    filters: Some(filters),
                    status: None,
                })),
            )
            .await?;
        let mut out: Vec<ServiceInfo> = services
            .into_iter()
            .map(|service| {
                let spec = service.spec.unwrap_or_default();
                let labels_of = label_map(spec.labels.clone());
                let update = service.update_status.unwrap_or_default();
                let ports = service
                    .endpoint
                    .and_then(|e| e.ports)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| {
                        (
                            p.published_port.unwrap_or_default() as u16,
                            p.target_port.unwrap_or_default() as u16,
                            state_text(&p.protocol),
                            state_text(&p.publish_mode),
                        )
                    })
                    .collect();
                ServiceInfo {
                    id: service.id.unwrap_or_default(),
                    name: spec.name.clone().unwrap_or_default(),
                    service: labels_of.get(labels::SERVICE).cloned().unwrap_or_default(),
                    version: service.version.and_then(|v| v.index).unwrap_or_default(),
                    config_hash: labels_of
                        .get(labels::CONFIG_HASH)
                        .cloned()
                        .unwrap_or_default(),
                    replicas: spec
                        .mode
                        .as_ref()
                        .and_then(|m| m.replicated.as_ref())
                        .map(|r| r.replicas.unwrap_or_default().max(0) as u64),
                    image: spec
                        .task_template
                        .as_ref()
                        .and_then(|t| t.container_spec.as_ref())
                        .and_then(|c| c.image.clone())
                        .unwrap_or_default(),
                    image_name: labels_of.get(IMAGE_NAME).cloned().unwrap_or_default(),
                    update_state: state_text(&update.state),
                    update_message: update.message.unwrap_or_default(),
                    update_started: seconds_of(update.started_at.as_ref()),
                    template_key: template_key(spec.task_template.as_ref()),
                    ports,
                }
            })
            .collect();
        out.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(out)
    }

    /// The current spec of a service, with its version (for an update).
    pub async fn current_spec(&self, id: &str) -> Result<(ServiceSpec, u64), EngineError> {
        let docker = self.engine.client();
        let service = self
            .call(
                "inspect service",
                || format!("service {id}"),
                docker
                    .inspect_service(id, None::<bollard::query_parameters::InspectServiceOptions>),
            )
            .await?;
        Ok((
            service.spec.unwrap_or_default(),
            service.version.and_then(|v| v.index).unwrap_or_default(),
        ))
    }

    pub async fn create_service(&self, spec: ServiceSpec) -> Result<String, EngineError> {
        let docker = self.engine.client();
        let name = spec.name.clone().unwrap_or_default();
        let auth = self.auth_for(&spec);
        let created = self
            .call(
                "create service",
                || format!("service {name}"),
                docker.create_service(spec, auth),
            )
            .await?;
        Ok(created.id.unwrap_or_default())
    }

    /// Replace a service's spec (`rollback`: return to the previous spec instead).
    pub async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: ServiceSpec,
        rollback: bool,
    ) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let options = bollard::query_parameters::UpdateServiceOptions {
            version: version as i32,
            rollback: if rollback {
                Some("previous".to_string())
            } else {
                None
            },
            ..Default::default()
        };
        let response = self
            .call(
                "update service",
                || format!("service {id}"),
                docker.update_service(id, spec.clone(), options, self.auth_for(&spec)),
            )
            .await?;
        for warning in response.warnings.unwrap_or_default() {
            tracing::debug!("update service {id}: {warning}");
        }
        Ok(())
    }

    pub async fn remove_service(&self, id: &str) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let removed = self
            .call(
                "remove service",
                || format!("service {id}"),
                docker.delete_service(id),
            )
            .await;
        gone_already_is_done(removed)
    }
}

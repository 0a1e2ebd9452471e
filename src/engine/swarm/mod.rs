//! The Swarm target's side of the Engine API: services, tasks, nodes, overlay networks,
//! secrets and configs of the Swarm whose manager msctl talks to, and the images msctl
//! sends to each node. The only module besides docker.rs that speaks bollard for them.
//!
//! What msctl decides (which services to create, update or remove) lives in
//! `crate::targets::swarm::stack`; here are the calls and the translation of a service into a Swarm
//! service spec, which is where "a Swarm cannot do this" is found.
//!
//! Split by concern: `spec` translates a manifest service into a Swarm service spec;
//! `services` and `tasks` create, update, remove and observe services and their tasks;
//! `objects` the overlay networks, secrets and configs; `nodes` the Swarm's state, its
//! nodes and the images sent to them. Here are the connection, its calls and the
//! decoding every part shares.

mod nodes;
mod objects;
mod services;
mod spec;
mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::models::{ServiceSpec, TaskSpec};
use sha2::{Digest, Sha256};

use super::docker::{ApiVersion, DockerEngine};
use super::EngineError;

pub use nodes::{image_id, NodeInfo, SwarmStatus, ENGINE_LABEL};
pub use objects::{
    network_request, object_content, object_name, resolve_object_ids, SwarmObject, CONFIG_KEY,
    SECRET_KEY,
};
pub use services::{set_replicas, ServiceInfo};
pub use spec::{endpoint_mode, publish_mode, service_name, service_spec, SwarmInputs, Translated};
pub use tasks::{ServiceLogLine, TaskInfo};

/// How long one Swarm call may take: they are control-plane writes, answered at once.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// The label of a Swarm service, network, secret or config: the image name a service runs.
pub const IMAGE_NAME: &str = "io.msctl.image";

/// A JSON value with every object's keys in sorted order.
fn canonical(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(canonical).collect())
        }
        other => other,
    }
}

/// What makes two task templates run the same thing: container, resources, placement,
/// restart policy and the forced-update counter.
fn template_key(template: Option<&TaskSpec>) -> String {
    let Some(template) = template else {
        return String::new();
    };
    let parts = serde_json::json!([
        template.container_spec,
        template.resources,
        template.placement,
        template.restart_policy,
        template.force_update,
        template.log_driver,
    ]);
    let digest = Sha256::digest(canonical(parts).to_string().as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn seconds_of(date: Option<&bollard::models::BollardDate>) -> i64 {
    date.and_then(|t| crate::engine::parse_rfc3339_nanos(&t.to_string()))
        .map(|ns| ns / 1_000_000_000)
        .unwrap_or_default()
}

fn state_text<T: std::fmt::Debug>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map(|v| format!("{v:?}").to_ascii_lowercase())
        .unwrap_or_default()
}

fn label_map(labels: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    labels.unwrap_or_default().into_iter().collect()
}

/// A connection to a Swarm manager's engine.
#[derive(Clone)]
pub struct SwarmEngine {
    engine: DockerEngine,
    /// Registry host -> the credentials sent with a service spec whose image is there,
    /// so that the nodes can pull it.
    registry_auths: std::sync::Arc<std::sync::RwLock<BTreeMap<String, super::RegistryAuth>>>,
}

impl SwarmEngine {
    pub fn new(engine: DockerEngine) -> SwarmEngine {
        SwarmEngine {
            engine,
            registry_auths: std::sync::Arc::default(),
        }
    }

    /// The credentials to send along with the specs of services whose images are in
    /// these registries (by host).
    pub fn set_registry_auths(&self, auths: BTreeMap<String, super::RegistryAuth>) {
        if let Ok(mut held) = self.registry_auths.write() {
            *held = auths;
        }
    }

    /// The credentials for the registry of `spec`'s image, when msctl has some.
    fn auth_for(&self, spec: &ServiceSpec) -> Option<bollard::auth::DockerCredentials> {
        let image = spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.image.as_deref())?;
        // Keyed as `credentials_by_registry` keys them (`index.docker.io` is `docker.io`).
        let registry = crate::manifest::reference::Reference::parse(image).registry;
        let auths = self.registry_auths.read().ok()?;
        let auth = auths.get(&registry)?;
        Some(bollard::auth::DockerCredentials {
            username: Some(auth.username.clone()).filter(|u| !u.is_empty()),
            password: Some(auth.password.clone()).filter(|p| !p.is_empty()),
            identitytoken: auth.identity_token.clone(),
            serveraddress: Some(auth.server_address.clone()),
            ..Default::default()
        })
    }

    pub fn api_version(&self) -> ApiVersion {
        self.engine.api_version()
    }

    /// The manager's engine itself: its images, its volumes.
    pub fn manager(&self) -> &DockerEngine {
        &self.engine
    }

    pub fn address(&self) -> &str {
        self.engine.address()
    }

    async fn call<T>(
        &self,
        operation: &str,
        what: impl FnOnce() -> String,
        future: impl std::future::Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        self.engine
            .call(operation, what, CALL_TIMEOUT, future)
            .await
    }
}

/// A removal of something that is not there any more did what was asked.
fn gone_already_is_done(removed: Result<(), EngineError>) -> Result<(), EngineError> {
    match removed {
        Err(err) if err.is_not_found() => Ok(()),
        other => other,
    }
}

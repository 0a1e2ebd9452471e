//! The project's overlay networks, secrets and configs on the Swarm: their names and
//! contents, the network a project network becomes, the ids a service spec needs, and
//! the calls that list, create and remove them.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use bollard::models::{NetworkCreateRequest, SecretSpec, ServiceSpec};
use sha2::{Digest, Sha256};

use super::{gone_already_is_done, label_map, SwarmEngine};
use crate::engine::EngineError;
use crate::manifest::model::{Network, Secret};
use crate::plan::{labels, names};

/// The label of a Swarm secret or config: the key it is declared under.
pub const SECRET_KEY: &str = "io.msctl.secret";
pub const CONFIG_KEY: &str = "io.msctl.config";

/// A secret or config msctl made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmObject {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// The name of a Swarm secret or config: the key and its content's hash, since a Swarm
/// secret cannot change (a new content is a new secret the service moves to).
pub fn object_name(project: &str, key: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{project}_{key}_{hex}")
}

/// The content of a secret or config, read where the manifest says it is.
pub fn object_content(
    kind: &str,
    key: &str,
    source: &Secret,
    environment: &BTreeMap<String, String>,
) -> Result<Vec<u8>, String> {
    match source {
        Secret::File(path) => std::fs::read(path)
            .map_err(|e| format!("{kind} `{key}`: cannot read {}: {e}", path.display())),
        Secret::Environment(variable) => environment
            .get(variable)
            .map(|v| v.clone().into_bytes())
            .ok_or_else(|| {
                format!("{kind} `{key}`: the environment variable {variable} is not set")
            }),
        Secret::Content(text) => Ok(text.clone().into_bytes()),
    }
}

/// Fill in the ids of the secrets and configs a spec names: the Swarm wants both.
pub fn resolve_object_ids(spec: &mut ServiceSpec, ids: &BTreeMap<String, String>) {
    let Some(container) = spec
        .task_template
        .as_mut()
        .and_then(|t| t.container_spec.as_mut())
    else {
        return;
    };
    for secret in container.secrets.iter_mut().flatten() {
        secret.secret_id = secret
            .secret_name
            .as_ref()
            .and_then(|n| ids.get(n))
            .cloned();
    }
    for config in container.configs.iter_mut().flatten() {
        config.config_id = config
            .config_name
            .as_ref()
            .and_then(|n| ids.get(n))
            .cloned();
    }
}

/// The overlay network a project network becomes.
pub fn network_request(project: &str, key: &str, network: &Network) -> NetworkCreateRequest {
    let ipam = network.ipam.as_ref().map(|ipam| bollard::models::Ipam {
        driver: ipam.driver.clone(),
        config: Some(
            ipam.config
                .iter()
                .map(|pool| bollard::models::IpamConfig {
                    subnet: pool.subnet.clone(),
                    ip_range: pool.ip_range.clone(),
                    gateway: pool.gateway.clone(),
                    auxiliary_addresses: (!pool.aux_addresses.is_empty())
                        .then(|| pool.aux_addresses.clone().into_iter().collect()),
                })
                .collect(),
        ),
        options: (!ipam.options.is_empty()).then(|| ipam.options.clone().into_iter().collect()),
    });
    NetworkCreateRequest {
        name: names::network_name(project, key, network),
        driver: Some("overlay".to_string()),
        scope: Some("swarm".to_string()),
        internal: Some(network.internal),
        // Attachable: `docker run --network` and msctl's own checks can join it.
        attachable: Some(true),
        options: Some(network.driver_opts.clone().into_iter().collect()),
        labels: Some(
            labels::network_labels(project, key, &network.labels)
                .into_iter()
                .collect(),
        ),
        ipam,
        ..Default::default()
    }
}

impl SwarmEngine {
    /// The project's networks on the Swarm (name -> id).
    pub async fn networks(&self, project: &str) -> Result<BTreeMap<String, String>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        );
        filters.insert("scope".to_string(), vec!["swarm".to_string()]);
        let networks = self
            .call(
                "list networks",
                || format!("the networks of project `{project}`"),
                docker.list_networks(Some(bollard::query_parameters::ListNetworksOptions {
                    filters: Some(filters),
                })),
            )
            .await?;
        Ok(networks
            .into_iter()
            .map(|n| (n.name.unwrap_or_default(), n.id.unwrap_or_default()))
            .collect())
    }

    /// The scope of a network that exists (`swarm`, `local`), or `None`.
    pub async fn network_scope(&self, name: &str) -> Result<Option<String>, EngineError> {
        let docker = self.engine.client();
        match self
            .call(
                "inspect network",
                || format!("network {name}"),
                docker.inspect_network(
                    name,
                    None::<bollard::query_parameters::InspectNetworkOptions>,
                ),
            )
            .await
        {
            Ok(network) => Ok(Some(network.scope.unwrap_or_default())),
            Err(err) if err.is_not_found() => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn create_network(&self, request: NetworkCreateRequest) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let name = request.name.clone();
        self.call(
            "create network",
            || format!("network {name}"),
            docker.create_network(request),
        )
        .await
        .map(|_| ())
    }

    /// Remove a network; one still in use by tasks shutting down is `Conflict`.
    pub async fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let removed = self
            .call(
                "remove network",
                || format!("network {id}"),
                docker.remove_network(id),
            )
            .await;
        gone_already_is_done(removed)
    }

    /// The project's secrets (`configs`: its configs).
    pub async fn objects(
        &self,
        project: &str,
        configs: bool,
    ) -> Result<Vec<SwarmObject>, EngineError> {
        let docker = self.engine.client();
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        );
        let out: Vec<SwarmObject> = if configs {
            self.call(
                "list configs",
                || format!("the configs of project `{project}`"),
                docker.list_configs(Some(bollard::query_parameters::ListConfigsOptions {
                    filters: Some(filters),
                })),
            )
            .await?
            .into_iter()
            .map(|c| {
                let spec = c.spec.unwrap_or_default();
                SwarmObject {
                    id: c.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: label_map(spec.labels),
                }
            })
            .collect()
        } else {
            self.call(
                "list secrets",
                || format!("the secrets of project `{project}`"),
                docker.list_secrets(Some(bollard::query_parameters::ListSecretsOptions {
                    filters: Some(filters),
                })),
            )
            .await?
            .into_iter()
            .map(|s| {
                let spec = s.spec.unwrap_or_default();
                SwarmObject {
                    id: s.id.unwrap_or_default(),
                    name: spec.name.unwrap_or_default(),
                    labels: label_map(spec.labels),
                }
            })
            .collect()
        };
        Ok(out)
    }

    /// Create a secret (`config`: a config) named `name` holding `content`.
    pub async fn create_object(
        &self,
        project: &str,
        key: &str,
        name: &str,
        content: &[u8],
        config: bool,
    ) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let data = base64::engine::general_purpose::STANDARD.encode(content);
        let mut object_labels = HashMap::new();
        object_labels.insert(labels::PROJECT.to_string(), project.to_string());
        if config {
            object_labels.insert(CONFIG_KEY.to_string(), key.to_string());
            let spec = bollard::models::ConfigSpec {
                name: Some(name.to_string()),
                labels: Some(object_labels),
                data: Some(data),
                templating: None,
            };
            self.call(
                "create config",
                || format!("config {name}"),
                docker.create_config(spec),
            )
            .await
            .map(|_| ())
        } else {
            object_labels.insert(SECRET_KEY.to_string(), key.to_string());
            let spec = SecretSpec {
                name: Some(name.to_string()),
                labels: Some(object_labels),
                data: Some(data),
                ..Default::default()
            };
            self.call(
                "create secret",
                || format!("secret {name}"),
                docker.create_secret(spec),
            )
            .await
            .map(|_| ())
        }
    }

    /// Remove a secret or config; one a service still uses is `Conflict`.
    pub async fn remove_object(&self, id: &str, config: bool) -> Result<(), EngineError> {
        let docker = self.engine.client();
        let result = if config {
            self.call(
                "remove config",
                || format!("config {id}"),
                docker.delete_config(id),
            )
            .await
        } else {
            self.call(
                "remove secret",
                || format!("secret {id}"),
                docker.delete_secret(id),
            )
            .await
        };
        gone_already_is_done(result)
    }
}

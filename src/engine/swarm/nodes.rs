//! The Swarm itself: this engine's place in it, its nodes, and the images msctl sends
//! from the manager's engine to each node's (no registry needed).

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;

use super::{label_map, state_text, SwarmEngine, CALL_TIMEOUT};
use crate::engine::docker::DockerEngine;
use crate::engine::EngineError;

/// How long sending one image to a node may take.
const IMAGE_TIMEOUT: Duration = Duration::from_secs(600);

/// The node label that tells msctl how to reach a node's engine, to send it images
/// (`docker node update --label-add io.msctl.engine=unix:///... NODE`).
pub const ENGINE_LABEL: &str = "io.msctl.engine";

/// The engine's place in a Swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmStatus {
    /// `inactive`, `pending`, `active`, `error`, `locked`.
    pub state: String,
    /// Whether this engine is a manager (can change services).
    pub manager: bool,
    pub node_id: String,
}

/// A node of the Swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `ready`, `down`, `unknown`, `disconnected`.
    pub state: String,
    /// `active`, `pause`, `drain`.
    pub availability: String,
    /// The node's address in the Swarm.
    pub address: String,
    pub labels: BTreeMap<String, String>,
}

impl NodeInfo {
    /// Whether the Swarm places new tasks on this node.
    pub fn takes_tasks(&self) -> bool {
        self.state == "ready" && self.availability == "active"
    }
}

impl SwarmEngine {
    /// This engine's place in a Swarm.
    pub async fn status(&self) -> Result<SwarmStatus, EngineError> {
        let docker = self.engine.client();
        let info = self
            .call("info", || "the engine".to_string(), docker.info())
            .await?;
        let swarm = info.swarm.unwrap_or_default();
        Ok(SwarmStatus {
            state: state_text(&swarm.local_node_state),
            manager: swarm.control_available.unwrap_or(false),
            node_id: swarm.node_id.unwrap_or_default(),
        })
    }

    pub async fn nodes(&self) -> Result<Vec<NodeInfo>, EngineError> {
        let docker = self.engine.client();
        let nodes = self
            .call(
                "list nodes",
                || "the Swarm's nodes".to_string(),
                docker.list_nodes(None::<bollard::query_parameters::ListNodesOptions>),
            )
            .await?;
        let mut out: Vec<NodeInfo> = nodes
            .into_iter()
            .map(|node| {
                let spec = node.spec.unwrap_or_default();
                let status = node.status.unwrap_or_default();
                NodeInfo {
                    id: node.id.unwrap_or_default(),
                    hostname: node
                        .description
                        .and_then(|d| d.hostname)
                        .unwrap_or_default(),
                    role: state_text(&spec.role),
                    state: state_text(&status.state),
                    availability: state_text(&spec.availability),
                    address: status.addr.unwrap_or_default(),
                    labels: label_map(spec.labels),
                }
            })
            .collect();
        out.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The id of an image on this engine, if it has it.
    pub async fn image_id(&self, name: &str) -> Result<Option<String>, EngineError> {
        image_id(&self.engine, name).await
    }

    /// Send an image from this engine to another node's engine (`docker save | docker
    /// load` through the API), tagging it there with `tag` too.
    pub async fn send_image(
        &self,
        id: &str,
        tag: &str,
        to: &DockerEngine,
    ) -> Result<(), EngineError> {
        let source = self.engine.client().clone();
        let target = to.client().clone();
        let id_owned = id.to_string();
        let send = async move {
            let body = source.export_image(&id_owned);
            let mut loading = target.import_image_stream(
                bollard::query_parameters::ImportImageOptions {
                    quiet: true,
                    ..Default::default()
                },
                body,
                None,
            );
            while let Some(progress) = loading.next().await {
                let progress = progress?;
                if let Some(error) = progress.error_detail.and_then(|e| e.message) {
                    return Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 500,
                        message: error,
                    });
                }
            }
            Ok(())
        };
        self.engine
            .call(
                "send image",
                || format!("image {id} to the engine at {}", to.address()),
                IMAGE_TIMEOUT,
                send,
            )
            .await?;
        if let Some((repo, tag_part)) = split_tag(tag) {
            to.call(
                "tag image",
                || format!("image {id}"),
                CALL_TIMEOUT,
                to.client().tag_image(
                    id,
                    Some(bollard::query_parameters::TagImageOptions {
                        repo: Some(repo),
                        tag: Some(tag_part),
                    }),
                ),
            )
            .await?;
        }
        Ok(())
    }
}

/// `repo:tag` split at the tag's colon (not a registry port's).
fn split_tag(reference: &str) -> Option<(String, String)> {
    let slash = reference.rfind('/').map(|i| i + 1).unwrap_or(0);
    match reference[slash..].rfind(':') {
        Some(i) => Some((
            reference[..slash + i].to_string(),
            reference[slash + i + 1..].to_string(),
        )),
        None => Some((reference.to_string(), "latest".to_string())),
    }
}

/// The id of an image on an engine, if it has it.
pub async fn image_id(engine: &DockerEngine, name: &str) -> Result<Option<String>, EngineError> {
    match engine
        .call(
            "inspect image",
            || format!("image {name}"),
            CALL_TIMEOUT,
            engine.client().inspect_image(name),
        )
        .await
    {
        Ok(image) => Ok(image.id),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_tag_splits_at_its_tag_not_a_registry_port() {
        assert_eq!(
            split_tag("shop-orders"),
            Some(("shop-orders".into(), "latest".into()))
        );
        assert_eq!(split_tag("web:1.2"), Some(("web".into(), "1.2".into())));
        assert_eq!(
            split_tag("registry:5000/web"),
            Some(("registry:5000/web".into(), "latest".into()))
        );
    }
}

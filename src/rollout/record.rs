//! The rollout records the store keeps (`msctl history`, `msctl rollback`): defined here,
//! beside the table they live in, so the store imports no module above it.

use crate::manifest::model::Service;

/// A rollout as `msctl history` shows it and `msctl rollback` reads it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub service: String,
    pub started_ms: i64,
    pub finished_ms: i64,
    /// `completed`, `rolled back`, `paused`, or `failed`.
    pub outcome: String,
    /// Why it did not complete; what it was (`rollback of rollout 3`) otherwise.
    pub reason: String,
    pub replicas: usize,
    pub from_hash: Option<String>,
    pub to_hash: String,
    /// The image ids, where msctl built the image.
    pub from_image: Option<String>,
    pub to_image: Option<String>,
    /// The service's config before and after, as the model's JSON: what a rollback
    /// returns to.
    pub from_config: Option<Service>,
    pub to_config: Service,
}

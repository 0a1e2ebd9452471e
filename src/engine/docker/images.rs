//! Images on the engine itself: whether one is there, and removing one. Pulls, pushes,
//! tags, imports and inspection are in `docker_images.rs`, beside this folder.

use bollard::query_parameters::RemoveImageOptionsBuilder;

use super::{DockerEngine, CALL_TIMEOUT};
use crate::engine::EngineError;

impl DockerEngine {
    pub(super) async fn image_exists_impl(&self, reference: &str) -> Result<bool, EngineError> {
        match self
            .call(
                "image_exists",
                || format!("image `{reference}`"),
                CALL_TIMEOUT,
                self.docker.inspect_image(reference),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    pub(super) async fn remove_image_impl(&self, reference: &str) -> Result<(), EngineError> {
        let options = RemoveImageOptionsBuilder::default().build();
        self.call(
            "remove_image",
            || format!("image `{reference}`"),
            CALL_TIMEOUT,
            self.docker.remove_image(reference, Some(options), None),
        )
        .await
        .map(|_| ())
    }
}

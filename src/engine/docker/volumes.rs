//! Volumes: listing, creation and removal.

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder};

use super::{DockerEngine, CALL_TIMEOUT};
use crate::engine::{EngineError, LabelFilter, VolumeSpec, VolumeSummary};

impl DockerEngine {
    pub(super) async fn list_volumes_impl(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<VolumeSummary>, EngineError> {
        let options = ListVolumesOptionsBuilder::default()
            .filters(&DockerEngine::label_filters(filter))
            .build();
        let listed = self
            .call(
                "list_volumes",
                || "volumes".to_string(),
                CALL_TIMEOUT,
                self.docker.list_volumes(Some(options)),
            )
            .await?;
        let mut volumes: Vec<VolumeSummary> = listed
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| VolumeSummary {
                name: volume.name,
                labels: volume.labels.into_iter().collect(),
            })
            .filter(|volume| filter.matches(&volume.labels))
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    pub(super) async fn create_volume_impl(&self, spec: &VolumeSpec) -> Result<(), EngineError> {
        let request = VolumeCreateRequest {
            name: Some(spec.name.clone()),
            driver: spec.driver.clone(),
            driver_opts: (!spec.driver_opts.is_empty())
                .then(|| spec.driver_opts.clone().into_iter().collect()),
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..VolumeCreateRequest::default()
        };
        self.call(
            "create_volume",
            || format!("volume `{}`", spec.name),
            CALL_TIMEOUT,
            self.docker.create_volume(request),
        )
        .await
        .map(|_| ())
    }

    pub(super) async fn remove_volume_impl(&self, name: &str) -> Result<(), EngineError> {
        let options = RemoveVolumeOptionsBuilder::default().force(false).build();
        self.call(
            "remove_volume",
            || format!("volume `{name}`"),
            CALL_TIMEOUT,
            self.docker.remove_volume(name, Some(options)),
        )
        .await
    }
}

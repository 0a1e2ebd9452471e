//! Files in and out of a container (`cp`): what is at a path, a path as a tar archive,
//! and a tar archive extracted into a directory.

use bollard::query_parameters::{
    ContainerArchiveInfoOptions, DownloadFromContainerOptions, UploadToContainerOptions,
};
use futures_util::stream::StreamExt;

use super::containers::container_what;
use super::{map_error, DockerEngine, CALL_TIMEOUT};
use crate::engine::{EngineError, PathStat};

/// Go's `os.ModeDir`, as the engine reports a path's mode.
const MODE_DIR: u32 = 1 << 31;

impl DockerEngine {
    pub(super) async fn path_stat_impl(
        &self,
        container_id: &str,
        path: &str,
    ) -> Result<Option<PathStat>, EngineError> {
        let options = ContainerArchiveInfoOptions {
            path: path.to_string(),
        };
        let answer = self
            .call(
                "cp",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker
                    .get_container_archive_info(container_id, Some(options)),
            )
            .await;
        match answer {
            Ok(stat) => Ok(Some(PathStat {
                is_dir: stat.file_mode & MODE_DIR != 0,
                size: stat.size,
                link_target: stat.link_target,
            })),
            Err(EngineError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub(super) async fn download_path_impl(
        &self,
        container_id: &str,
        path: &str,
    ) -> Result<Vec<u8>, EngineError> {
        let options = DownloadFromContainerOptions {
            path: path.to_string(),
        };
        let mut stream = self
            .docker
            .download_from_container(container_id, Some(options));
        let mut tar = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| {
                map_error(
                    &self.address,
                    "cp",
                    format!("`{path}` in container `{container_id}`"),
                    err,
                )
            })?;
            tar.extend_from_slice(&chunk);
        }
        Ok(tar)
    }

    pub(super) async fn upload_archive_impl(
        &self,
        container_id: &str,
        dir: &str,
        tar: Vec<u8>,
        keep_owner: bool,
    ) -> Result<(), EngineError> {
        let options = UploadToContainerOptions {
            path: dir.to_string(),
            no_overwrite_dir_non_dir: Some("true".to_string()),
            copy_uidgid: keep_owner.then(|| "true".to_string()),
        };
        self.call(
            "cp",
            || format!("`{dir}` in container `{container_id}`"),
            CALL_TIMEOUT,
            self.docker.upload_to_container(
                container_id,
                Some(options),
                bollard::body_full(tar.into()),
            ),
        )
        .await
    }
}

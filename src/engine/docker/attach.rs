//! `attach` and `wait`: a container's main process wired to msctl's standard streams (for
//! `run` and `attach`), and its exit code.

use std::time::Duration;

use bollard::query_parameters::{AttachContainerOptions, WaitContainerOptions};
use futures_util::stream::StreamExt;

use super::containers::container_what;
use super::relay::{relay, Relay, Resize};
use super::{map_error, DockerEngine, CALL_TIMEOUT};
use crate::engine::{AttachSpec, EngineError, ExecOutput};

impl DockerEngine {
    pub(super) async fn attach_impl(
        &self,
        container_id: &str,
        spec: &AttachSpec,
    ) -> Result<Option<i64>, EngineError> {
        let options = AttachContainerOptions {
            detach_keys: spec.detach_keys.clone(),
            logs: false,
            stream: true,
            stdin: spec.stdin,
            stdout: true,
            stderr: true,
        };
        let attached = self
            .call(
                "attach",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.attach_container(container_id, Some(options)),
            )
            .await?;
        // Attached before it starts, so not a line of its output is missed.
        if spec.start {
            self.start_container_impl(container_id).await?;
        }
        // Without a terminal, Ctrl-C and SIGTERM are the process's, as `docker run` passes
        // them on; with one, Ctrl-C is a key the terminal sends.
        let signals = (spec.proxy_signals && !spec.tty).then(|| {
            let docker = self.docker.clone();
            let id = container_id.to_string();
            tokio::spawn(async move { proxy_signals(docker, id).await })
        });
        let relayed = relay(
            &self.address,
            "attach",
            container_id,
            attached.output,
            attached.input,
            Relay {
                tty: spec.tty,
                stdin: spec.stdin,
                output: ExecOutput::Inherit,
                resize: Resize::Container(self.docker.clone(), container_id.to_string()),
            },
        )
        .await;
        if let Some(task) = signals {
            task.abort();
        }
        if let Some(err) = relayed {
            return Err(err);
        }
        // The output ends when the process does, or when the detach keys were typed: then
        // the container runs on. The engine may mark it stopped an instant after its
        // output ends.
        if spec.stdin {
            for attempt in 0..20 {
                let state = self
                    .call(
                        "attach",
                        container_what(container_id),
                        CALL_TIMEOUT,
                        self.docker.inspect_container(container_id, None),
                    )
                    .await?
                    .state;
                let running = state.as_ref().and_then(|s| s.running) == Some(true);
                if !running {
                    break;
                }
                if attempt == 19 {
                    return Ok(None);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        self.wait_impl(container_id).await.map(Some)
    }

    pub(super) async fn wait_impl(&self, container_id: &str) -> Result<i64, EngineError> {
        let options = WaitContainerOptions {
            condition: "not-running".to_string(),
        };
        let mut waited = self.docker.wait_container(container_id, Some(options));
        match waited.next().await {
            Some(Ok(response)) => Ok(response.status_code),
            // bollard reports a non-zero exit as an error carrying the code.
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(err)) => Err(map_error(
                &self.address,
                "wait",
                format!("container `{container_id}`"),
                err,
            )),
            None => Err(EngineError::Other {
                operation: "wait".to_string(),
                message: format!(
                    "the engine ended the wait on container `{container_id}` without an exit code"
                ),
            }),
        }
    }
}

/// Sends SIGINT and SIGTERM msctl receives on to the container, until aborted.
async fn proxy_signals(docker: bollard::Docker, container_id: String) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        let options = bollard::query_parameters::KillContainerOptions {
            signal: name.to_string(),
        };
        let _ = docker.kill_container(&container_id, Some(options)).await;
    }
}

//! `exec`: a command run in a container, its output copied to msctl's, its input read
//! from msctl's standard input, its terminal sized as msctl's, and its exit code.

use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};

use super::containers::container_what;
use super::relay::{relay, Relay, Resize};
use super::{DockerEngine, CALL_TIMEOUT};
use crate::engine::{EngineError, ExecSpec};

impl DockerEngine {
    pub(super) async fn exec_impl(
        &self,
        container_id: &str,
        spec: &ExecSpec,
    ) -> Result<i64, EngineError> {
        let attach = !spec.detach;
        let options = CreateExecOptions::<String> {
            attach_stdin: Some(spec.attach_stdin && attach),
            attach_stdout: Some(attach),
            attach_stderr: Some(attach),
            tty: Some(spec.tty && attach),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            cmd: Some(spec.command.clone()),
            user: spec.user.clone(),
            working_dir: spec.workdir.clone(),
            privileged: spec.privileged.then_some(true),
            ..CreateExecOptions::default()
        };
        let created = self
            .call(
                "exec",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.create_exec(container_id, options),
            )
            .await?;
        let exec_id = created.id;
        let start = StartExecOptions {
            detach: spec.detach,
            tty: spec.tty && attach,
            output_capacity: None,
        };
        let started = self
            .call(
                "exec",
                container_what(container_id),
                CALL_TIMEOUT,
                self.docker.start_exec(&exec_id, Some(start)),
            )
            .await?;
        if spec.detach {
            return Ok(0);
        }
        let StartExecResults::Attached { output, input } = started else {
            return Err(EngineError::Other {
                operation: "exec".to_string(),
                message: "the engine started the command detached".to_string(),
            });
        };
        let relayed = relay(
            &self.address,
            "exec",
            container_id,
            output,
            input,
            Relay {
                tty: spec.tty,
                stdin: spec.attach_stdin,
                output: spec.output,
                resize: Resize::Exec(self.docker.clone(), exec_id.clone()),
            },
        )
        .await;
        if let Some(err) = relayed {
            return Err(err);
        }
        // The output ends when the process does; the engine may record the exit code an
        // instant later.
        for attempt in 0..50 {
            let inspected = self
                .call(
                    "exec",
                    container_what(container_id),
                    CALL_TIMEOUT,
                    self.docker.inspect_exec(&exec_id),
                )
                .await?;
            if inspected.running != Some(true) {
                if let Some(code) = inspected.exit_code {
                    return Ok(code);
                }
            }
            tokio::time::sleep(Duration::from_millis(if attempt < 10 { 10 } else { 100 })).await;
        }
        Err(EngineError::Other {
            operation: "exec".to_string(),
            message: format!(
                "the command in container `{container_id}` ended its output but the engine reports no exit code"
            ),
        })
    }
}

//! `exec`: a command run in a container, its output copied to msctl's, its input read
//! from msctl's standard input, its terminal sized as msctl's, and its exit code.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::stream::StreamExt;
use tokio::io::AsyncWriteExt;

use super::containers::container_what;
use super::{map_error, DockerEngine, CALL_TIMEOUT};
use crate::engine::{EngineError, ExecOutput, ExecSpec};

impl DockerEngine {
    pub(super) async fn exec_impl(
        &self,
        container_id: &str,
        spec: &ExecSpec,
    ) -> Result<i64, EngineError> {
        let options = CreateExecOptions::<String> {
            attach_stdin: Some(spec.attach_stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(spec.tty),
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
            detach: false,
            tty: spec.tty,
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
        let StartExecResults::Attached { mut output, input } = started else {
            return Err(EngineError::Other {
                operation: "exec".to_string(),
                message: "the engine started the command detached".to_string(),
            });
        };
        let terminal = if spec.tty {
            crate::engine::terminal::RawTerminal::enter()
        } else {
            None
        };
        // The command's terminal takes the size of msctl's, now and whenever it changes.
        let resize_task = terminal.as_ref().map(|_| {
            let docker = self.docker.clone();
            let exec_id = exec_id.clone();
            tokio::spawn(async move {
                let mut window_changes =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
                        .ok();
                loop {
                    if let Some((width, height)) = crate::engine::terminal::size() {
                        let options = bollard::exec::ResizeExecOptions { width, height };
                        let _ = docker.resize_exec(&exec_id, options).await;
                    }
                    match &mut window_changes {
                        Some(signal) => {
                            if signal.recv().await.is_none() {
                                return;
                            }
                        }
                        None => return,
                    }
                }
            })
        });
        let stdin_task = if spec.attach_stdin {
            Some(tokio::spawn(forward_stdin(input)))
        } else {
            drop(input);
            None
        };
        let mut stdout = tokio::io::stdout();
        let mut stderr = tokio::io::stderr();
        let mut failure = None;
        while let Some(item) = output.next().await {
            let written = match item {
                Ok(LogOutput::StdErr { message }) => write_flush(&mut stderr, &message).await,
                Ok(other) if spec.output == ExecOutput::Stderr => {
                    write_flush(&mut stderr, &other.into_bytes()).await
                }
                Ok(other) => write_flush(&mut stdout, &other.into_bytes()).await,
                Err(err) => {
                    failure = Some(map_error(
                        &self.address,
                        "exec",
                        format!("container `{container_id}`"),
                        err,
                    ));
                    break;
                }
            };
            // A closed stdout (`msctl exec ... | head`) is not the command's failure.
            if let Err(err) = written {
                if err.kind() != std::io::ErrorKind::BrokenPipe {
                    tracing::debug!("exec: cannot write output: {err}");
                }
            }
        }
        for task in [stdin_task, resize_task].into_iter().flatten() {
            task.abort();
        }
        drop(terminal);
        if let Some(err) = failure {
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

async fn write_flush(
    out: &mut (impl tokio::io::AsyncWrite + Unpin),
    bytes: &[u8],
) -> std::io::Result<()> {
    out.write_all(bytes).await?;
    out.flush().await
}

/// Copies msctl's standard input to the command, then closes the command's input.
///
/// Standard input is read on its own thread: a read blocked on a terminal cannot be
/// cancelled, and a thread left blocked does not keep the process from exiting, where a
/// task of tokio's blocking pool would keep the runtime from shutting down.
async fn forward_stdin(mut input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let spawned = std::thread::Builder::new()
        .name("msctl-stdin".to_string())
        .spawn(move || {
            use std::io::Read as _;
            let mut stdin = std::io::stdin();
            let mut buffer = vec![0u8; 8192];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => {
                        if sender.blocking_send(buffer[..read].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
    if spawned.is_err() {
        let _ = input.shutdown().await;
        return;
    }
    while let Some(chunk) = receiver.recv().await {
        if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
            return;
        }
    }
    let _ = input.shutdown().await;
}

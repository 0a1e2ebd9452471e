//! A process's streams wired to msctl's: its output copied to msctl's stdout and stderr,
//! msctl's standard input forwarded to it, and, with a terminal, msctl's terminal in raw
//! mode and its size passed on. `exec` and `attach` (with `run`) share it.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::Docker;
use futures_util::stream::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::map_error;
use crate::engine::{EngineError, ExecOutput};

/// What to wire.
pub(super) struct Relay {
    pub tty: bool,
    pub stdin: bool,
    pub output: ExecOutput,
    pub resize: Resize,
}

/// Whose terminal takes the size of msctl's.
pub(super) enum Resize {
    Exec(Docker, String),
    Container(Docker, String),
}

impl Resize {
    async fn to(&self, width: u16, height: u16) {
        match self {
            Resize::Exec(docker, exec_id) => {
                let options = bollard::exec::ResizeExecOptions { width, height };
                let _ = docker.resize_exec(exec_id, options).await;
            }
            Resize::Container(docker, container_id) => {
                let options = bollard::query_parameters::ResizeContainerTTYOptions {
                    w: i32::from(width),
                    h: i32::from(height),
                };
                let _ = docker.resize_container_tty(container_id, options).await;
            }
        }
    }
}

/// Copies `output` until it ends; `None` then, or the error that cut it.
pub(super) async fn relay(
    address: &str,
    operation: &str,
    container_id: &str,
    mut output: Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>,
    input: Pin<Box<dyn AsyncWrite + Send>>,
    relay: Relay,
) -> Option<EngineError> {
    let terminal = if relay.tty {
        crate::engine::terminal::RawTerminal::enter()
    } else {
        None
    };
    // The process's terminal takes the size of msctl's, now and whenever it changes.
    let resize_task = terminal.as_ref().map(|_| {
        let resize = relay.resize;
        tokio::spawn(async move {
            let mut window_changes =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok();
            loop {
                if let Some((width, height)) = crate::engine::terminal::size() {
                    resize.to(width, height).await;
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
    let stdin_task = if relay.stdin {
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
            Ok(other) if relay.output == ExecOutput::Stderr => {
                write_flush(&mut stderr, &other.into_bytes()).await
            }
            Ok(other) => write_flush(&mut stdout, &other.into_bytes()).await,
            Err(err) => {
                failure = Some(map_error(
                    address,
                    operation,
                    format!("container `{container_id}`"),
                    err,
                ));
                break;
            }
        };
        // A closed stdout (`msctl exec ... | head`) is not the process's failure.
        if let Err(err) = written {
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                tracing::debug!("{operation}: cannot write output: {err}");
            }
        }
    }
    for task in [stdin_task, resize_task].into_iter().flatten() {
        task.abort();
    }
    drop(terminal);
    failure
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

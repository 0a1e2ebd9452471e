//! Running one tool's command: timed from spawn until it exited and its stdout was read
//! to the end, with stdout's lines counted (never printed) and stderr kept for errors.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// How much of stderr is kept to explain a failure.
const STDERR_KEPT: usize = 16 * 1024;

/// What a finished command printed and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub elapsed: Duration,
    pub stdout_lines: u64,
    /// Lines of stdout containing the needle passed to [`run`].
    pub matching_lines: u64,
}

/// Where and how a command runs.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub dir: &'a Path,
    /// Set in the command's environment (on top of the bench's own).
    pub env: &'a [(&'a str, &'a OsStr)],
    pub timeout: Duration,
}

/// Runs `program args`; fails with the command's own error text when it exits non-zero,
/// and kills it when it outlives the timeout.
pub async fn run(
    program: impl Into<OsString>,
    args: &[String],
    context: Context<'_>,
    needle: &[u8],
) -> Result<Outcome> {
    let Context { dir, env, timeout } = context;
    let program = program.into();
    let display = display(&program, args);
    let mut command = Command::new(&program);
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);

    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start `{display}`"))?;
    let stdout = child.stdout.take().context("no stdout pipe")?;
    let stderr = child.stderr.take().context("no stderr pipe")?;
    let needle = needle.to_vec();
    let finished = async {
        let (status, counts, stderr) = tokio::join!(
            child.wait(),
            count_lines(stdout, &needle),
            keep_tail(stderr, STDERR_KEPT)
        );
        anyhow::Ok((status?, counts?, stderr?))
    };
    let (status, counts, stderr) = match tokio::time::timeout(timeout, finished).await {
        Ok(result) => result.with_context(|| format!("`{display}`: cannot read its output"))?,
        Err(_) => bail!(
            "`{display}` did not finish within {} s (killed)",
            timeout.as_secs()
        ),
    };
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(anyhow!(
            "`{display}` failed ({status}): {}",
            summarize_stderr(&stderr)
        ));
    }
    Ok(Outcome {
        elapsed,
        stdout_lines: counts.lines,
        matching_lines: counts.matching,
    })
}

/// A command line for messages: the program's file name and the command, without the
/// global flags every invocation carries.
fn display(program: &OsString, args: &[String]) -> String {
    let program = Path::new(program)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.to_string_lossy().into_owned());
    let mut shown: Vec<&str> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        // The same global flags are on every command of a tool: they would only hide the
        // command itself in an error message.
        if ["-f", "-p", "--profile"].contains(&arg.as_str()) {
            args.next();
        } else {
            shown.push(arg);
        }
    }
    format!("{program} {}", shown.join(" "))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct LineCounts {
    lines: u64,
    matching: u64,
}

async fn count_lines(mut reader: impl AsyncRead + Unpin, needle: &[u8]) -> Result<LineCounts> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut counter = LineCounter::new(needle);
    loop {
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        counter.feed(&buffer[..read]);
    }
    Ok(counter.finish())
}

/// Counts lines, and lines containing a needle, over chunks that split lines anywhere.
struct LineCounter<'a> {
    needle: &'a [u8],
    partial: Vec<u8>,
    counts: LineCounts,
}

impl<'a> LineCounter<'a> {
    fn new(needle: &'a [u8]) -> Self {
        LineCounter {
            needle,
            partial: Vec::new(),
            counts: LineCounts::default(),
        }
    }

    fn feed(&mut self, mut chunk: &[u8]) {
        while let Some(end) = chunk.iter().position(|&byte| byte == b'\n') {
            let matched = if self.partial.is_empty() {
                contains(&chunk[..end], self.needle)
            } else {
                self.partial.extend_from_slice(&chunk[..end]);
                let matched = contains(&self.partial, self.needle);
                self.partial.clear();
                matched
            };
            self.count(matched);
            chunk = &chunk[end + 1..];
        }
        self.partial.extend_from_slice(chunk);
    }

    fn finish(mut self) -> LineCounts {
        if !self.partial.is_empty() {
            let matched = contains(&self.partial, self.needle);
            self.count(matched);
        }
        self.counts
    }

    fn count(&mut self, matched: bool) {
        self.counts.lines += 1;
        if matched {
            self.counts.matching += 1;
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

async fn keep_tail(mut reader: impl AsyncRead + Unpin, keep: usize) -> Result<String> {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = reader.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        kept.extend_from_slice(&buffer[..read]);
        if kept.len() > 2 * keep {
            kept.drain(..kept.len() - keep);
        }
    }
    Ok(String::from_utf8_lossy(&kept).into_owned())
}

/// The part of a failed command's stderr that says why: from its first `error` line on
/// (three lines at most), else its last three lines.
pub fn summarize_stderr(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if lines.is_empty() {
        return "no output on stderr".to_string();
    }
    let start = lines
        .iter()
        .position(|line| line.to_ascii_lowercase().contains("error"))
        .unwrap_or(lines.len().saturating_sub(3));
    lines[start..]
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn here() -> Context<'static> {
        Context {
            dir: Path::new("."),
            env: &[],
            timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn lines_split_across_chunks_are_counted_once_and_matched() {
        let mut counter = LineCounter::new(b"line ");
        for chunk in [
            &b"logger_1 | li"[..],
            b"ne 1\nAttach",
            b"ing\nline 2\nline",
            b" 3",
        ] {
            counter.feed(chunk);
        }
        assert_eq!(
            counter.finish(),
            LineCounts {
                lines: 4,
                matching: 3
            }
        );
    }

    #[test]
    fn the_error_line_explains_a_failure() {
        let stderr = "creating web-1\nerror: cannot reach the engine\n\nhint: start it\n";
        assert_eq!(
            summarize_stderr(stderr),
            "error: cannot reach the engine / hint: start it"
        );
        assert_eq!(summarize_stderr("a\nb\nc\nd\n"), "b / c / d");
    }

    #[tokio::test]
    async fn a_command_is_timed_and_its_lines_counted() {
        let outcome = run(
            "sh",
            &[
                "-c".to_string(),
                "printf 'line 1\\nx\\nline 2\\n'".to_string(),
            ],
            here(),
            b"line ",
        )
        .await
        .expect("sh runs");
        assert_eq!((outcome.stdout_lines, outcome.matching_lines), (3, 2));
    }

    #[tokio::test]
    async fn a_failing_command_reports_its_stderr() {
        let error = run(
            "sh",
            &[
                "-c".to_string(),
                "echo 'error: no such command' >&2; exit 2".to_string(),
            ],
            here(),
            b"",
        )
        .await
        .expect_err("exit 2 is a failure");
        assert!(
            error.to_string().contains("error: no such command"),
            "{error}"
        );
    }
}

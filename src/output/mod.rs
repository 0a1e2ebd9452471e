//! Where output goes: data to stdout, everything else to stderr.
//!
//! One [`Printer`] decides: colour only on a terminal and never with `NO_COLOR`,
//! `CI=true` or `--no-color`; `--quiet` keeps only errors on stderr.

pub mod progress;
pub mod spinners;
pub mod table;
pub mod yaml;

use std::io::{IsTerminal, Write};

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub color: bool,
    pub quiet: bool,
    /// stderr is a terminal a person watches (not CI): progress may redraw in place.
    pub interactive: bool,
}

impl Printer {
    pub fn new(no_color_flag: bool, quiet: bool, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let ci = env("CI").is_some_and(|v| v == "true" || v == "1");
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let terminal = std::io::stderr().is_terminal();
        Printer {
            color: !no_color_flag && !ci && !no_color && terminal,
            quiet,
            interactive: terminal && !ci,
        }
    }

    /// Data: stdout, always. A closed pipe (`msctl config | head`) is not an error.
    pub fn data(&self, text: &str) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        let result = out.write_all(text.as_bytes()).and_then(|()| {
            if !text.is_empty() && !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            out.flush()
        });
        match result {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// Progress and notes: stderr, unless quiet.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            self.stderr(text);
        }
    }

    /// Warnings (rendered diagnostics): stderr, unless quiet.
    pub fn warnings(&self, rendered: &str) {
        if !self.quiet && !rendered.is_empty() {
            self.stderr(rendered);
        }
    }

    /// Errors: stderr, always.
    pub fn error(&self, rendered: &str) {
        self.stderr(rendered);
    }

    fn stderr(&self, text: &str) {
        let text = if self.color {
            colorize(text)
        } else {
            text.to_string()
        };
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = err.write_all(b"\n");
        }
    }
}

/// Colour the labels of rendered diagnostics; the text reads the same without it.
fn colorize(text: &str) -> String {
    text.lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("error:") {
                format!("\x1b[1;31merror\x1b[0m\x1b[1m:{rest}\x1b[0m")
            } else if let Some(rest) = line.strip_prefix("warning:") {
                format!("\x1b[1;33mwarning\x1b[0m\x1b[1m:{rest}\x1b[0m")
            } else if let Some(i) = line.find("= hint:") {
                format!("{}\x1b[1;36m= hint:\x1b[0m{}", &line[..i], &line[i + 7..])
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

//! What a build reports while it runs, and the two views of it on stderr: plain lines
//! (`service | line`) off a terminal, one indicatif spinner per service on one.

use std::fmt;
use std::time::Duration;

use crate::output::spinners::Spinners;
use crate::output::Printer;

/// One thing that happened during [`super::ensure_images`] or [`super::build_service`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildEvent {
    /// The image exists and carries the digest of the current inputs: no build.
    UpToDate { service: String, image: String },
    /// A build begins; `builder` is `dockerfile` or `cargo`.
    Started {
        service: String,
        image: String,
        builder: &'static str,
    },
    /// One line of the builder's output (the engine's build steps, cargo's messages).
    Output { service: String, line: String },
    /// Built and tagged.
    Built {
        service: String,
        image: String,
        image_id: String,
        elapsed: Duration,
    },
    /// The build failed; the error itself is returned to the caller.
    Failed { service: String, message: String },
}

impl BuildEvent {
    pub fn service(&self) -> &str {
        match self {
            BuildEvent::UpToDate { service, .. }
            | BuildEvent::Started { service, .. }
            | BuildEvent::Output { service, .. }
            | BuildEvent::Built { service, .. }
            | BuildEvent::Failed { service, .. } => service,
        }
    }

    /// The event without its service prefix.
    pub fn message(&self) -> String {
        match self {
            BuildEvent::UpToDate { image, .. } => format!("image `{image}` is up to date"),
            BuildEvent::Started { image, builder, .. } => {
                format!("building image `{image}` ({builder})")
            }
            BuildEvent::Output { line, .. } => line.clone(),
            BuildEvent::Built {
                image,
                image_id,
                elapsed,
                ..
            } => format!(
                "built image `{image}` ({}) in {:.2}s",
                short_id(image_id),
                elapsed.as_secs_f64()
            ),
            // One line: the whole error, with cargo's output, follows when the command ends.
            BuildEvent::Failed { message, .. } => {
                format!(
                    "build failed: {}",
                    message.lines().next().unwrap_or_default()
                )
            }
        }
    }
}

impl fmt::Display for BuildEvent {
    /// `service | message`, the plain line printed off a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} | {}", self.service(), self.message())
    }
}

/// `sha256:0123456789abcdef...` -> `0123456789ab`, as `docker images` shows ids.
pub fn short_id(image_id: &str) -> &str {
    let hex = image_id.strip_prefix("sha256:").unwrap_or(image_id);
    hex.get(..12).unwrap_or(hex)
}

/// Receives build events; called from concurrent builds.
pub trait BuildReporter: Send + Sync {
    fn event(&self, event: BuildEvent);
}

impl<T: BuildReporter + ?Sized> BuildReporter for Box<T> {
    fn event(&self, event: BuildEvent) {
        (**self).event(event);
    }
}

impl<T: BuildReporter + ?Sized> BuildReporter for &T {
    fn event(&self, event: BuildEvent) {
        (**self).event(event);
    }
}

/// Drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl BuildReporter for Silent {
    fn event(&self, _event: BuildEvent) {}
}

/// Plain lines on stderr: `service | line`, one per event.
#[derive(Debug, Clone, Copy)]
pub struct PlainBuildReporter {
    printer: Printer,
}

impl PlainBuildReporter {
    pub fn new(printer: Printer) -> Self {
        PlainBuildReporter { printer }
    }
}

impl BuildReporter for PlainBuildReporter {
    fn event(&self, event: BuildEvent) {
        self.printer.status(&event.to_string());
    }
}

/// One spinner per service showing its latest line; finished lines stay on screen.
#[derive(Default)]
pub struct TtyBuildReporter {
    spinners: Spinners,
}

impl TtyBuildReporter {
    pub fn new() -> Self {
        TtyBuildReporter::default()
    }
}

impl BuildReporter for TtyBuildReporter {
    fn event(&self, event: BuildEvent) {
        let service = event.service().to_string();
        match &event {
            BuildEvent::Output { line, .. } => self.spinners.set(&service, line.clone()),
            BuildEvent::Started { .. } => self.spinners.set(&service, event.message()),
            BuildEvent::UpToDate { .. } | BuildEvent::Built { .. } => {
                self.spinners.finish(&service, event.message())
            }
            BuildEvent::Failed { .. } => self.spinners.abandon(&service, event.message()),
        }
    }
}

impl Drop for TtyBuildReporter {
    fn drop(&mut self) {
        self.spinners.abandon_all();
    }
}

/// The view for `printer`: spinners when stderr is a terminal a person watches
/// (`interactive`), plain lines otherwise, nothing with `--quiet`.
pub fn reporter(printer: Printer, interactive: bool) -> Box<dyn BuildReporter> {
    if printer.quiet {
        Box::new(Silent)
    } else if interactive {
        Box::new(TtyBuildReporter::new())
    } else {
        Box::new(PlainBuildReporter::new(printer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_name_the_service() {
        let built = BuildEvent::Built {
            service: "web".to_string(),
            image: "demo-web".to_string(),
            image_id: "sha256:0123456789abcdef0123".to_string(),
            elapsed: Duration::from_millis(1500),
        };
        assert_eq!(
            built.to_string(),
            "web | built image `demo-web` (0123456789ab) in 1.50s"
        );
        let output = BuildEvent::Output {
            service: "api".to_string(),
            line: "Step 1/2 : FROM scratch".to_string(),
        };
        assert_eq!(output.to_string(), "api | Step 1/2 : FROM scratch");
    }
}

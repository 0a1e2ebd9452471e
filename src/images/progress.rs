//! What pulls and pushes report while they run, and the two views of it on stderr:
//! plain lines (`image | line`) off a terminal, start and end of each image only, and
//! one indicatif spinner per image on a terminal, with its layers and bytes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::build::progress::short_id;
use crate::engine::TransferProgress;
use crate::output::spinners::Spinners;
use crate::output::Printer;

/// One thing that happened to an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageEvent {
    Pulling {
        image: String,
        services: Vec<String>,
        reason: String,
    },
    /// Layers and bytes so far (shown on a terminal only).
    Progress {
        image: String,
        summary: String,
    },
    Pulled {
        image: String,
        id: String,
        elapsed: Duration,
    },
    Pushing {
        image: String,
        service: String,
    },
    Pushed {
        image: String,
        digest: String,
        elapsed: Duration,
    },
    /// The pull or push failed; the error itself goes to the caller.
    Failed {
        image: String,
        message: String,
    },
}

impl ImageEvent {
    pub fn image(&self) -> &str {
        match self {
            ImageEvent::Pulling { image, .. }
            | ImageEvent::Progress { image, .. }
            | ImageEvent::Pulled { image, .. }
            | ImageEvent::Pushing { image, .. }
            | ImageEvent::Pushed { image, .. }
            | ImageEvent::Failed { image, .. } => image,
        }
    }

    /// The event without its image prefix.
    pub fn message(&self) -> String {
        match self {
            ImageEvent::Pulling {
                services, reason, ..
            } => format!(
                "pulling for {} ({reason})",
                services
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ImageEvent::Progress { summary, .. } => summary.clone(),
            ImageEvent::Pulled { id, elapsed, .. } => {
                format!("pulled ({}) in {:.2}s", short_id(id), elapsed.as_secs_f64())
            }
            ImageEvent::Pushing { service, .. } => format!("pushing the image of `{service}`"),
            ImageEvent::Pushed {
                digest, elapsed, ..
            } => format!("pushed ({digest}) in {:.2}s", elapsed.as_secs_f64()),
            ImageEvent::Failed { message, .. } => {
                format!("failed: {}", message.lines().next().unwrap_or_default())
            }
        }
    }
}

impl fmt::Display for ImageEvent {
    /// `image | message`, the plain line printed off a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} | {}", self.image(), self.message())
    }
}

/// Receives image events; called from concurrent pulls.
pub trait ImageReporter: Send + Sync {
    fn event(&self, event: ImageEvent);
}

/// Drops every event (`--quiet`, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl ImageReporter for Silent {
    fn event(&self, _event: ImageEvent) {}
}

/// Plain lines on stderr: when each image starts and ends, never the layers' progress
/// (CI logs stay short and stable).
pub struct PlainImageReporter {
    printer: Printer,
}

impl ImageReporter for PlainImageReporter {
    fn event(&self, event: ImageEvent) {
        if !matches!(event, ImageEvent::Progress { .. }) {
            self.printer.status(&event.to_string());
        }
    }
}

/// One spinner per image, its line showing layers and bytes.
#[derive(Default)]
pub struct TtyImageReporter {
    spinners: Spinners,
}

impl ImageReporter for TtyImageReporter {
    fn event(&self, event: ImageEvent) {
        let image = event.image().to_string();
        match &event {
            ImageEvent::Pulled { .. } | ImageEvent::Pushed { .. } => {
                self.spinners.finish(&image, event.message())
            }
            ImageEvent::Failed { .. } => self.spinners.abandon(&image, event.message()),
            _ => self.spinners.set(&image, event.message()),
        }
    }
}

impl Drop for TtyImageReporter {
    fn drop(&mut self) {
        self.spinners.abandon_all();
    }
}

/// The view for `printer`: spinners on a terminal a person watches, plain lines
/// otherwise, nothing with `--quiet`.
pub fn reporter(printer: Printer, quiet: bool) -> Box<dyn ImageReporter> {
    if printer.quiet || quiet {
        Box::new(Silent)
    } else if printer.interactive {
        Box::new(TtyImageReporter::default())
    } else {
        Box::new(PlainImageReporter { printer })
    }
}

/// The layers of one pull as its messages tell them, summed into one line.
#[derive(Debug, Default)]
pub struct LayerProgress {
    /// Layer id -> (done, bytes so far, bytes in all).
    layers: BTreeMap<String, (bool, u64, u64)>,
    last: String,
}

impl LayerProgress {
    /// Takes one message; returns the new summary line when it changed.
    pub fn update(&mut self, message: &TransferProgress) -> Option<String> {
        // Messages about the image as a whole (`Pulling from ...`, `Digest: ...`)
        // carry no layer.
        if !message.layer.is_empty() && !message.status.starts_with("Pulling from") {
            let entry = self.layers.entry(message.layer.clone()).or_default();
            match message.status.as_str() {
                "Downloading" | "Pushing" => {
                    if let (Some(current), Some(total)) = (message.current, message.total) {
                        entry.1 = current;
                        entry.2 = total;
                    }
                }
                "Download complete" => entry.1 = entry.2,
                "Pull complete" | "Already exists" | "Pushed" | "Layer already exists" => {
                    entry.0 = true;
                    entry.1 = entry.2;
                }
                _ => {}
            }
        }
        let done = self.layers.values().filter(|l| l.0).count();
        let bytes: u64 = self.layers.values().map(|l| l.1).sum();
        let total: u64 = self.layers.values().map(|l| l.2).sum();
        let line = format!(
            "{done}/{} layers, {} of {}",
            self.layers.len(),
            megabytes(bytes),
            megabytes(total)
        );
        (line != self.last).then(|| {
            self.last = line.clone();
            line
        })
    }
}

/// `12.3 MB`: sizes as the progress lines and `msctl images` print them.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(
        layer: &str,
        status: &str,
        current: Option<u64>,
        total: Option<u64>,
    ) -> TransferProgress {
        TransferProgress {
            layer: layer.to_string(),
            status: status.to_string(),
            current,
            total,
        }
    }

    #[test]
    fn layers_and_bytes_are_summed_over_a_pull() {
        let mut progress = LayerProgress::default();
        progress.update(&message("7", "Pulling from library/redis", None, None));
        progress.update(&message("a1", "Pulling fs layer", None, None));
        progress.update(&message("b2", "Pulling fs layer", None, None));
        let line = progress
            .update(&message(
                "a1",
                "Downloading",
                Some(500_000),
                Some(2_000_000),
            ))
            .expect("a new line");
        assert_eq!(line, "0/2 layers, 0.5 MB of 2.0 MB");
        progress.update(&message("a1", "Pull complete", None, None));
        let line = progress
            .update(&message("b2", "Already exists", None, None))
            .expect("a new line");
        assert_eq!(line, "2/2 layers, 2.0 MB of 2.0 MB");
        assert_eq!(
            progress.update(&message("b2", "Already exists", None, None)),
            None
        );
    }

    #[test]
    fn plain_lines_name_the_image_and_the_services() {
        let pulling = ImageEvent::Pulling {
            image: "redis:7".to_string(),
            services: vec!["cache".to_string(), "queue".to_string()],
            reason: "missing".to_string(),
        };
        assert_eq!(
            pulling.to_string(),
            "redis:7 | pulling for `cache`, `queue` (missing)"
        );
        let pulled = ImageEvent::Pulled {
            image: "redis:7".to_string(),
            id: "sha256:0123456789abcdef0123".to_string(),
            elapsed: Duration::from_millis(250),
        };
        assert_eq!(
            pulled.to_string(),
            "redis:7 | pulled (0123456789ab) in 0.25s"
        );
    }
}

//! Progress of `up`, `scale`, `restart` and `down` on stderr.
//!
//! Off a terminal (CI, pipes): one plain line per event, stable and greppable. On a
//! terminal: one indicatif spinner line per service, showing where it is (creating,
//! starting, waiting ready, ready).

use std::time::Duration;

use crate::report::{Event, Reporter};

use super::spinners::Spinners;
use super::Printer;

/// Plain lines: `create container shop-web-1 (service:web:1, missing): done`.
pub struct PlainReporter {
    printer: Printer,
}

impl PlainReporter {
    pub fn new(printer: Printer) -> Self {
        PlainReporter { printer }
    }
}

impl Reporter for PlainReporter {
    fn event(&self, event: Event) {
        match event {
            Event::Started { .. } => {}
            Event::Done { line, .. } => self.printer.status(&format!("{line}: done")),
            Event::Ready { replica, after } => self
                .printer
                .status(&format!("{replica}: ready after {}", seconds(after))),
            Event::Serving { .. } => {}
            Event::Note(text) => self.printer.status(&text),
        }
    }
}

/// One spinner per service on a terminal.
pub struct TtyReporter {
    spinners: Spinners,
    quiet: bool,
}

impl TtyReporter {
    pub fn new(quiet: bool) -> Self {
        TtyReporter {
            spinners: Spinners::default(),
            quiet,
        }
    }

    /// Stop every spinner, leaving their last line on screen.
    pub fn finish(&self) {
        self.spinners.finish_all();
    }
}

/// `service:web:2` -> `web`; other resources keep their id.
fn service_of(resource: &str) -> String {
    match resource.strip_prefix("service:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest).to_string(),
        None => resource.to_string(),
    }
}

impl Reporter for TtyReporter {
    fn event(&self, event: Event) {
        if self.quiet {
            return;
        }
        match event {
            Event::Started { resource, line } => self.spinners.set(&service_of(&resource), line),
            Event::Done { resource, line } => self.spinners.set(
                &service_of(&resource),
                format!("{line}: done, waiting ready"),
            ),
            Event::Ready { replica, after } => {
                let service = replica
                    .rsplit_once('-')
                    .map_or(replica.as_str(), |(s, _)| s)
                    .to_string();
                self.spinners.set(
                    &service,
                    format!("{replica} ready after {}", seconds(after)),
                );
            }
            Event::Serving { .. } => {}
            Event::Note(text) => self.spinners.println(text),
        }
    }
}

pub fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

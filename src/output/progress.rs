//! Progress of `up`, `scale`, `restart` and `down` on stderr.
//!
//! Off a terminal (CI, pipes): one plain line per event, stable and greppable. On a
//! terminal: one indicatif spinner line per service, showing where it is (creating,
//! starting, waiting ready, ready).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::converge::{Event, Reporter};

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
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
    quiet: bool,
}

impl TtyReporter {
    pub fn new(quiet: bool) -> Self {
        TtyReporter {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(BTreeMap::new()),
            quiet,
        }
    }

    fn bar(&self, key: &str) -> Option<ProgressBar> {
        let mut bars = self.bars.lock().ok()?;
        let bar = bars.entry(key.to_string()).or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner:.cyan} {prefix:.bold} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(key.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Some(bar.clone())
    }

    /// Stop every spinner, leaving their last line on screen.
    pub fn finish(&self) {
        if let Ok(bars) = self.bars.lock() {
            for bar in bars.values() {
                bar.finish();
            }
        }
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
            Event::Started { resource, line } => {
                if let Some(bar) = self.bar(&service_of(&resource)) {
                    bar.set_message(line);
                }
            }
            Event::Done { resource, line } => {
                if let Some(bar) = self.bar(&service_of(&resource)) {
                    bar.set_message(format!("{line}: done, waiting ready"));
                }
            }
            Event::Ready { replica, after } => {
                let service = replica
                    .rsplit_once('-')
                    .map_or(replica.as_str(), |(s, _)| s)
                    .to_string();
                if let Some(bar) = self.bar(&service) {
                    bar.set_message(format!("{replica} ready after {}", seconds(after)));
                }
            }
            Event::Serving { .. } => {}
            Event::Note(text) => {
                let _ = self.multi.println(text);
            }
        }
    }
}

pub fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

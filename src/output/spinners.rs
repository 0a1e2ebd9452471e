//! One indicatif spinner line per key (a service, an image) on a terminal: set its
//! message while it works, finish it with its last line left on screen.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Spinners {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Default for Spinners {
    fn default() -> Self {
        Spinners {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Spinners {
    /// The spinner of `key`, made on first use with `key` as its bold prefix.
    pub fn bar(&self, key: &str) -> Option<ProgressBar> {
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

    pub fn set(&self, key: &str, message: String) {
        if let Some(bar) = self.bar(key) {
            bar.set_message(message);
        }
    }

    /// Stops `key`'s spinner with `message` as its last line.
    pub fn finish(&self, key: &str, message: String) {
        if let Some(bar) = self.bar(key) {
            bar.finish_with_message(message);
        }
    }

    /// Stops `key`'s spinner where it failed.
    pub fn abandon(&self, key: &str, message: String) {
        if let Some(bar) = self.bar(key) {
            bar.abandon_with_message(message);
        }
    }

    /// A line above the spinners.
    pub fn println(&self, text: String) {
        let _ = self.multi.println(text);
    }

    /// Stops every spinner still turning, leaving its last line on screen.
    pub fn finish_all(&self) {
        if let Ok(bars) = self.bars.lock() {
            for bar in bars.values().filter(|bar| !bar.is_finished()) {
                bar.finish();
            }
        }
    }

    /// Leaves every spinner still turning where it is (a command that stops early).
    pub fn abandon_all(&self) {
        if let Ok(bars) = self.bars.lock() {
            for bar in bars.values().filter(|bar| !bar.is_finished()) {
                bar.abandon();
            }
        }
    }
}

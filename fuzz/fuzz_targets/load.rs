//! Any text, however broken, loads into a project or into diagnostics: never a panic.
//! Run: `cargo +nightly fuzz run load fuzz/seeds -- -max_total_time=600` (see ARCHITECTURE.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use msctl::manifest::{load_str, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = LoadOptions {
        cwd: std::env::temp_dir(),
        environment: [("SET".to_string(), "value".to_string())].into_iter().collect(),
        ..LoadOptions::default()
    };
    match load_str(text, &options) {
        Ok(loaded) => {
            let _ = serde_json::to_string(&loaded.project);
            let _ = loaded.render_warnings();
            let _ = loaded.project.dependency_order();
        }
        Err(err) => assert!(err.error_count > 0 || !err.rendered.is_empty()),
    }
});

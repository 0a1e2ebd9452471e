//! Any text, however broken, loads into a project or into diagnostics: never a panic, and
//! never without bound. Besides the input as it is, the target loads the hostile shapes
//! issue 19 names, sized by the input's first bytes: an alias bomb (levels of aliases
//! of aliases), lists nested deep, a long scalar, and variables that multiply; libFuzzer's
//! `-timeout` and `-rss_limit_mb` catch one that is not bounded.
//! Run: `cargo +nightly fuzz run load fuzz/seeds -- -max_total_time=600` (see ARCHITECTURE.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use msctl::manifest::{load_str, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let options = LoadOptions {
        cwd: std::env::temp_dir(),
        environment: [("SET".to_string(), "value".to_string())].into_iter().collect(),
        ..LoadOptions::default()
    };
    if let Ok(text) = std::str::from_utf8(data) {
        load(text, &options);
    }
    if let Some(text) = shaped(data) {
        load(&text, &options);
    }
});

fn load(text: &str, options: &LoadOptions) {
    match load_str(text, options) {
        Ok(loaded) => {
            let _ = serde_json::to_string(&loaded.project);
            let _ = loaded.render_warnings();
            let _ = msctl::plan::dependencies::dependency_order(&loaded.project);
        }
        Err(err) => assert!(err.error_count > 0 || !err.rendered.is_empty()),
    }
}

/// A hostile manifest of the shape the first byte picks, sized by the next ones, with
/// the rest of the input as a service's command.
fn shaped(data: &[u8]) -> Option<String> {
    let (&shape, rest) = data.split_first()?;
    let (&a, rest) = rest.split_first()?;
    let (&b, rest) = rest.split_first()?;
    let tail = String::from_utf8_lossy(rest);
    let service = |field: &str| {
        format!("services:\n  web:\n    image: busybox\n    {field}\n    environment: [\"T={}\"]\n", tail.replace(['"', '\\'], ""))
    };
    Some(match shape % 4 {
        // Alias bomb: up to 12 levels, each up to 16 aliases of the level before.
        0 => {
            let (levels, width) = (usize::from(a % 12) + 1, usize::from(b % 16) + 1);
            let mut text = format!("x-a0: &a0 [{}]\n", vec!["\"lol\""; width].join(","));
            for level in 1..=levels {
                let aliases = vec![format!("*a{}", level - 1); width].join(",");
                text.push_str(&format!("x-a{level}: &a{level} [{aliases}]\n"));
            }
            text + &service(&format!("command: *a{levels}"))
        }
        // Nesting: up to 65,535 lists deep, flow or block.
        1 => {
            let depth = usize::from(u16::from_le_bytes([a, b]));
            if depth % 2 == 0 {
                service(&format!("x-deep: {}{}", "[".repeat(depth), "]".repeat(depth)))
            } else {
                let depth = depth % 2000;
                let mut block = String::from("x-deep:\n");
                for level in 0..depth {
                    block.push_str(&" ".repeat(6 + 2 * level));
                    block.push_str("- ");
                    block.push_str("\n");
                }
                service(&block)
            }
        }
        // A long scalar: up to 2 MB.
        2 => service(&format!("command: \"{}\"", "x".repeat(usize::from(u16::from_le_bytes([a, b])) * 32))),
        // Variables that multiply: `${SET}` up to 65,535 times in one value, and defaults
        // nested up to 255 deep.
        _ => service(&format!(
            "command: \"{}{}x{}\"",
            "${SET}".repeat(usize::from(u16::from_le_bytes([a, b]))),
            "${U:-".repeat(usize::from(b)),
            "}".repeat(usize::from(b))
        )),
    })
}

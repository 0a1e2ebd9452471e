//! The import directions of ARCHITECTURE.md ("Layers"), checked on the source: every
//! module of src/ has a layer, a module imports only modules of lower layers, and no
//! module imports in a circle. A module is a top-level module of the crate (a folder
//! with its submodules counts as one), except under src/commands/ and src/targets/,
//! where each file or folder (a command, a target) is a module of its own, a layer above
//! its parent's mod.rs: so no command imports another, and no target the other.
//!
//! An import is a path `crate::NAME` in code (a `use`, grouped or not, or a path in an
//! expression), and `super::NAME` in a command's or target's own file; comments and doc
//! comments are left out, so a doc link to a higher module is no import. And no file of
//! src/ is over 900 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. A module may import modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    // Leaves: no import of any other module of the crate.
    &["apiclient", "cli", "clock", "dirs", "lock", "report"],
    // Terminal output (spinners, progress views of `report` events).
    &["output"],
    // The domain model: loading, validating, the model itself.
    &["manifest"],
    // Pure planning over the model, and the state store of what the model does not say.
    &["plan", "state"],
    // The engine trait, its Docker, Swarm and fake implementations.
    &["engine"],
    // What drives the engine for one concern: actions, health, builds, export.
    &["build", "executor", "export", "health"],
    &["images", "resolver"],
    &["ingress", "serving", "swarm", "teardown"],
    &["rollout"],
    &["converge"],
    &["control"],
    // What every command gets (`Context`), and what several targets share.
    &["session"],
    // The targets' trait (`targets`), then each target (`targets::NAME`).
    &["targets"],
    &["targets::*"],
    // The commands' dispatch (`commands`), then each command (`commands::NAME`).
    &["commands"],
    &["commands::*"],
];

/// The folders whose files (or subfolders) are each a module of their own, one layer
/// above the folder's mod.rs.
const SPLIT: &[&str] = &["commands", "targets"];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module a file belongs to, or `None` for the crate roots (lib.rs, main.rs).
fn module_of(relative: &Path) -> Option<String> {
    let parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [root] if root == "lib" || root == "main" => None,
        [top] => Some(top.clone()),
        [top, file, ..] if SPLIT.contains(&top.as_str()) && file != "mod" => {
            Some(format!("{top}::{file}"))
        }
        [top, ..] => Some(top.clone()),
        [] => None,
    }
}

/// The text without comments (line, doc and block comments) and without the contents
/// of string literals, so that neither counts as an import.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(text.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(text.len(), |n| i + n + 2);
            i = end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            let end = rest[body..]
                .find(&close)
                .map_or(text.len(), |n| i + body + n + close.len());
            out.push_str("\"\"");
            i = end;
        } else if rest.starts_with('"') {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if rest.starts_with("'\"'") {
            // The one char literal that would open a string.
            out.push_str("' '");
            i += 3;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
    &text[..end]
}

/// The names `prefix` is followed by in `code`: `prefix NAME` and, for a group,
/// `prefix{NAME, NAME::x, ...}` (each item's first name).
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find(prefix) {
        let at = from + found;
        from = at + prefix.len();
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let rest = &code[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            for (offset, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        item_start = true;
                        continue;
                    }
                    c if c.is_whitespace() => continue,
                    _ => {}
                }
                if item_start && depth == 1 && is_ident(c) {
                    names.push(ident(&group[offset..]).to_string());
                }
                item_start = false;
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                names.push(name.to_string());
            }
        }
    }
    names
}

struct Graph {
    /// Module -> the modules it imports, and a file that does.
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

fn graph() -> Graph {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let split_modules: BTreeSet<String> = files
        .iter()
        .filter_map(|path| module_of(path.strip_prefix(&src).expect("under src")))
        .filter(|m| m.contains("::"))
        .collect();
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src");
        let Some(from) = module_of(relative) else {
            continue;
        };
        let text = std::fs::read_to_string(path).expect("a source file");
        let code = code_only(&text);
        let mut targets: Vec<String> = Vec::new();
        for top in names_after(&code, "crate::") {
            targets.push(top);
        }
        for top in SPLIT {
            // `crate::commands::NAME` names a command's module.
            for name in names_after(&code, &format!("crate::{top}::")) {
                let module = format!("{top}::{name}");
                if split_modules.contains(&module) {
                    targets.push(module);
                }
            }
            // `super::` in `commands/NAME.rs` or `commands/NAME/mod.rs` is `commands`;
            // deeper, it is the command's own module.
            let path = relative.with_extension("");
            let depth = path.components().count() - usize::from(path.ends_with("mod"));
            if relative.starts_with(top) && depth == 2 {
                for name in names_after(&code, "super::") {
                    let module = format!("{top}::{name}");
                    if split_modules.contains(&module) {
                        targets.push(module);
                    } else {
                        targets.push(top.to_string());
                    }
                }
            }
        }
        let file = relative.display().to_string();
        let out = edges.entry(from.clone()).or_default();
        for to in targets {
            if to != from && to != "self" && to != "super" {
                out.entry(to).or_insert_with(|| file.clone());
            }
        }
    }
    Graph { edges }
}

fn layer_of(module: &str) -> Option<usize> {
    let name = match module.split_once("::") {
        Some((top, _)) => format!("{top}::*"),
        None => module.to_string(),
    };
    LAYERS
        .iter()
        .position(|layer| layer.contains(&name.as_str()))
}

#[test]
fn every_module_has_a_layer() {
    let graph = graph();
    let unplaced: Vec<&String> = graph
        .edges
        .keys()
        .filter(|module| layer_of(module).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules with no layer in tests/layers.rs (and ARCHITECTURE.md): {unplaced:?}"
    );
}

#[test]
fn modules_import_only_lower_layers() {
    let graph = graph();
    let mut wrong = Vec::new();
    for (from, targets) in &graph.edges {
        let Some(from_layer) = layer_of(from) else {
            continue;
        };
        for (to, file) in targets {
            let Some(to_layer) = layer_of(to) else {
                // Not a module of this crate (`crate::main`?) or unplaced, which the
                // test above reports.
                continue;
            };
            if to_layer >= from_layer {
                wrong.push(format!("{from} -> {to} (in src/{file})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers of ARCHITECTURE.md:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_module_imports_in_a_circle() {
    let graph = graph();
    // Depth-first search with colours; a grey target is a back edge, a circle.
    fn visit(
        module: &str,
        graph: &Graph,
        colour: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        colour.insert(module.to_string(), 1);
        path.push(module.to_string());
        for to in graph.edges.get(module).into_iter().flat_map(|t| t.keys()) {
            match colour.get(to.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = path.iter().position(|m| m == to).expect("on the path");
                    let mut circle = path[start..].to_vec();
                    circle.push(to.clone());
                    return Some(circle);
                }
                0 => {
                    if let Some(circle) = visit(to, graph, colour, path) {
                        return Some(circle);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        colour.insert(module.to_string(), 2);
        None
    }
    let mut colour = BTreeMap::new();
    for module in graph.edges.keys() {
        if colour.get(module.as_str()).copied().unwrap_or(0) == 0 {
            let mut path = Vec::new();
            if let Some(circle) = visit(module, &graph, &mut colour, &mut path) {
                let files: Vec<String> = circle
                    .windows(2)
                    .map(|pair| {
                        format!(
                            "{} -> {} (src/{})",
                            pair[0], pair[1], graph.edges[&pair[0]][&pair[1]]
                        )
                    })
                    .collect();
                panic!(
                    "an import circle: {}\n{}",
                    circle.join(" -> "),
                    files.join("\n")
                );
            }
        }
    }
}

#[test]
fn the_reader_finds_grouped_imports_and_ignores_comments_and_strings() {
    let code = code_only(
        "use crate::{engine::X, plan::{a, b}, report};\n\
         // crate::control in a comment\n\
         /// [`crate::swarm`] in a doc\n\
         let s = \"crate::commands\"; let c = '\"'; crate::clock::now_ms();\n",
    );
    let names = names_after(&code, "crate::");
    assert_eq!(names, ["engine", "plan", "report", "clock"]);
    assert_eq!(
        module_of(Path::new("commands/up.rs")).as_deref(),
        Some("commands::up")
    );
    assert_eq!(
        module_of(Path::new("commands/mod.rs")).as_deref(),
        Some("commands")
    );
    assert_eq!(
        module_of(Path::new("engine/docker/mod.rs")).as_deref(),
        Some("engine")
    );
    assert_eq!(
        module_of(Path::new("targets/swarm/logs.rs")).as_deref(),
        Some("targets::swarm")
    );
    assert_eq!(
        module_of(Path::new("targets/mod.rs")).as_deref(),
        Some("targets")
    );
    assert_eq!(module_of(Path::new("lib.rs")), None);
}

/// The longest a file of src/ may be: past it, a file holds more than one concept.
const MAX_LINES: usize = 900;

#[test]
fn no_file_of_src_is_over_900_lines() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path)
                .expect("a source file")
                .lines()
                .count();
            (lines > MAX_LINES).then(|| {
                format!(
                    "src/{} ({lines} lines)",
                    path.strip_prefix(&src).expect("under src").display()
                )
            })
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_LINES} lines: split them by concept: {long:?}"
    );
}

//! The import directions of ARCHITECTURE.md ("Layers"), checked on the source: every
//! module of src/ has a layer, a module imports only modules of lower layers, and no
//! module imports in a circle. A module is a top-level module of the crate (a folder
//! with its submodules counts as one), except where [`LAYERS`] names a submodule (a
//! concept's pure part, `serving::plan`, below its applying part, `serving`) or every
//! child of a folder (`commands::*`: each command is a module of its own, so no command
//! imports another, and `targets::*`: no target imports the other).
//!
//! An import is a path in code that starts at `crate::`, `super::` or `self::` (in a
//! `use`, grouped or not, or in an expression), resolved against the file's module and
//! the inline modules (`mod tests { .. }`) around it, then taken to the longest module
//! [`LAYERS`] names. Comments, doc comments and literals are left out, so a doc link to
//! a higher module is no import. A bare path from a module to its own child module
//! (`local::Local` in targets/mod.rs) is not read: a parent may name its children. And
//! no file of src/ is over 900 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. A module may import modules of lower layers only. `NAME::*` stands for
/// each child module of NAME (a file or folder under src/NAME/).
const LAYERS: &[&[&str]] = &[
    // Leaves: no import of any other module of the crate.
    &["apiclient", "cli", "clock", "dirs", "lock", "report"],
    // Terminal output (spinners, progress views of `report` events).
    &["output"],
    // The domain model: loading, validating, the model itself.
    &["manifest"],
    // How msctl names and labels what it creates; the record a rollout leaves.
    &["plan::labels", "plan::names", "rollout::record"],
    // Which ports the ingress carries, which names the resolver serves: pure.
    &["ingress::plan", "serving::plan"],
    // Pure planning over the model, and the state store of what the model does not say.
    &["plan", "state"],
    // The engine trait, its Docker, Swarm and fake implementations.
    &["engine"],
    // What drives the engine for one concern: actions, health, builds, export.
    &["build", "executor", "export", "health"],
    &["images", "resolver"],
    &["ingress", "serving", "teardown"],
    // The control plane's tasks that keep the ingress listening and the names served.
    &["ingress::keep", "serving::keep"],
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

/// The Rust module path of a file under src/: `plan/names.rs` and `plan/names/mod.rs`
/// are `["plan", "names"]`; the crate roots (lib.rs, main.rs) are `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
        parts.clear();
    }
    parts
}

/// The modules of the layer table, resolved against the crate's files.
struct Modules {
    /// Every module path a file or folder of src/ makes.
    files: BTreeSet<Vec<String>>,
}

impl Modules {
    fn of(src: &Path, files: &[PathBuf]) -> Modules {
        let mut all = BTreeSet::new();
        for path in files {
            let mut module = module_path(path.strip_prefix(src).expect("under src"));
            while !module.is_empty() {
                all.insert(module.clone());
                module.pop();
            }
        }
        Modules { files: all }
    }

    /// The module of the layer table a path (`["plan", "names", "image_name"]`) is in:
    /// the longest named prefix, else its first name.
    fn resolve(&self, path: &[String]) -> Option<String> {
        for len in (1..=path.len()).rev() {
            let prefix = &path[..len];
            let name = prefix.join("::");
            if len >= 2
                && self.files.contains(prefix)
                && is_named(&format!("{}::*", path[..len - 1].join("::")))
            {
                return Some(name);
            }
            if is_named(&name) {
                return Some(name);
            }
        }
        path.first().cloned()
    }
}

fn is_named(name: &str) -> bool {
    LAYERS.iter().any(|layer| layer.contains(&name))
}

/// The text without comments (line, doc and block comments) and without the contents
/// of string and char literals, so that none counts as an import or a brace.
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
        } else if let Some(len) = char_literal(rest) {
            // A char literal, which could hold a quote or a brace.
            out.push_str("' '");
            i += len;
        } else {
            let c = rest.chars().next().expect("not at the end");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of the char literal `text` starts with (`'x'`, `'\\n'`, `'\\u{7f}'`), if
/// it starts with one rather than a lifetime (`'a`).
fn char_literal(text: &str) -> Option<usize> {
    if !text.starts_with('\'') {
        return None;
    }
    let mut chars = text.char_indices().skip(1);
    let (_, first) = chars.next()?;
    if first == '\\' {
        let end = text[2..].find('\'')?;
        return (end <= 10).then_some(2 + end + 1);
    }
    let (at, second) = chars.next()?;
    (second == '\'' && first != '\'').then_some(at + 1)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The identifier at the start of `text`.
fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
    &text[..end]
}

/// The paths a use tree or path at the start of `text` names, each as its names:
/// `a::b`, `a::{b, c::d}`, `{a, b::*}`. A `self` in a group and a `*` are the path
/// they follow; a type's generics or anything else ends a path.
fn tree_paths(text: &str, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let trimmed = text.trim_start();
    let mut at = text.len() - trimmed.len();
    if let Some(group) = trimmed.strip_prefix('{') {
        at += 1;
        let mut rest = group;
        loop {
            let skipped = rest.len() - rest.trim_start_matches([',', ' ', '\n', '\t', '\r']).len();
            at += skipped;
            rest = &rest[skipped..];
            if rest.is_empty() {
                return at;
            }
            if let Some(after) = rest.strip_prefix('}') {
                let _ = after;
                return at + 1;
            }
            let used = tree_paths(rest, prefix, out);
            if used == 0 {
                // Something else (`*`, `as x`): skip one character.
                let step = rest.chars().next().map_or(1, char::len_utf8);
                at += step;
                rest = &rest[step..];
            } else {
                at += used;
                rest = &rest[used..];
            }
        }
    }
    if trimmed.starts_with('*') {
        // A glob imports from the module itself.
        out.push(prefix.to_vec());
        return at + 1;
    }
    let name = ident(trimmed);
    if name.is_empty() {
        return 0;
    }
    at += name.len();
    let mut path = prefix.to_vec();
    if name != "self" {
        path.push(name.to_string());
    }
    let after = &text[at..];
    if let Some(deeper) = after.strip_prefix("::") {
        let used = tree_paths(deeper, &path, out);
        if used > 0 {
            return at + 2 + used;
        }
    }
    out.push(path);
    at
}

/// Where each inline module (`mod tests { .. }`) of `code` starts and ends, with its name.
fn inline_modules(code: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = code[from..].find("mod ") {
        let at = from + offset;
        from = at + 4;
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let name = ident(code[from..].trim_start());
        let after = code[from..].trim_start()[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        let mut close = code.len();
        for (offset, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + offset;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push((open, close, name.to_string()));
    }
    found
}

/// Every path of `code` (the file of module `module`) that starts at `crate::`,
/// `super::` or `self::`, as a path from the crate root.
fn crate_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let inline = inline_modules(code);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(offset) = code[from..].find(['c', 's']) {
        let at = from + offset;
        from = at + 1;
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| is_ident(c) || c == ':')
        {
            continue;
        }
        let rest = &code[at..];
        let (mut base, mut used) = if let Some(after) = rest.strip_prefix("crate::") {
            let _ = after;
            (Vec::new(), "crate::".len())
        } else if rest.starts_with("self::") || rest.starts_with("super::") {
            let mut here = module.to_vec();
            for (start, end, name) in &inline {
                if *start < at && at < *end {
                    here.push(name.clone());
                }
            }
            (here, 0)
        } else {
            continue;
        };
        if used == 0 {
            loop {
                if rest[used..].starts_with("super::") {
                    base.pop();
                    used += "super::".len();
                } else if rest[used..].starts_with("self::") {
                    used += "self::".len();
                } else {
                    break;
                }
            }
        }
        let mut paths = Vec::new();
        let taken = tree_paths(&rest[used..], &base, &mut paths);
        from = at + used + taken.max(1);
        out.extend(paths);
    }
    out
}

/// Module -> the modules it imports, each with a file that does.
struct Graph {
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

fn graph() -> Graph {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules = Modules::of(&src, &files);
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src");
        let own = module_path(relative);
        let Some(from) = modules.resolve(&own) else {
            continue;
        };
        let text = std::fs::read_to_string(path).expect("a source file");
        let code = code_only(&text);
        let file = relative.display().to_string();
        let out = edges.entry(from.clone()).or_default();
        for imported in crate_paths(&code, &own) {
            if let Some(to) = modules.resolve(&imported) {
                if to != from {
                    out.entry(to).or_insert_with(|| file.clone());
                }
            }
        }
    }
    Graph { edges }
}

/// The layer of a module the table names (a child of a `NAME::*` entry included).
fn layer_of(module: &str) -> Option<usize> {
    let wildcard = module
        .rsplit_once("::")
        .map(|(parent, _)| format!("{parent}::*"));
    LAYERS.iter().position(|layer| {
        layer.contains(&module) || wildcard.as_deref().is_some_and(|w| layer.contains(&w))
    })
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
                // Not a module of this crate (an item of lib.rs?) or unplaced, which the
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
fn the_reader_resolves_paths_and_ignores_comments_and_literals() {
    let code = code_only(
        "use crate::{engine::X, plan::{names, labels::{self, A}}, report};\n\
         // crate::control in a comment\n\
         /// [`crate::swarm`] in a doc\n\
         let s = \"crate::commands\"; let c = '\"'; let b = '{'; crate::clock::now_ms();\n\
         use super::spec::Spec;\n\
         mod tests { use super::*; use super::super::hash; }\n",
    );
    let module = ["plan".to_string(), "planner".to_string()];
    let paths: Vec<String> = crate_paths(&code, &module)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        paths,
        [
            "engine::X",
            "plan::names",
            "plan::labels",
            "plan::labels::A",
            "report",
            "clock::now_ms",
            "plan::spec::Spec",
            "plan::planner",
            "plan::hash",
        ]
    );
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules = Modules::of(&src, &files);
    let resolve =
        |path: &str| modules.resolve(&path.split("::").map(str::to_string).collect::<Vec<_>>());
    assert_eq!(
        resolve("plan::names::image_name").as_deref(),
        Some("plan::names")
    );
    assert_eq!(resolve("plan::PlanOptions").as_deref(), Some("plan"));
    assert_eq!(
        resolve("commands::up::run").as_deref(),
        Some("commands::up")
    );
    assert_eq!(
        resolve("commands::CommandError").as_deref(),
        Some("commands")
    );
    assert_eq!(
        resolve("targets::swarm::Swarm").as_deref(),
        Some("targets::swarm")
    );
    assert_eq!(resolve("targets::of").as_deref(), Some("targets"));
    assert_eq!(
        resolve("engine::docker::DockerEngine").as_deref(),
        Some("engine")
    );
    assert_eq!(
        module_path(Path::new("targets/swarm/mod.rs")),
        ["targets", "swarm"]
    );
    assert!(module_path(Path::new("lib.rs")).is_empty());
    assert_eq!(char_literal("'\\n' x"), Some(4));
    assert_eq!(char_literal("'a>"), None);
    assert_eq!(char_literal("x 'a'"), None);
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

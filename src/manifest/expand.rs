//! Manifests that bring in other files: top-level `include` and service `extends`.
//!
//! Both run on the YAML tree of each manifest before the `-f` files are merged, as Compose
//! does. A node taken from another file keeps its own file and position for diagnostics,
//! and its relative paths (build contexts, env files, bind mounts, secret and config
//! files) are made absolute against that file's directory, so they mean what they meant
//! there. `extends` merges the base service under the extending one with the override
//! rules of [`super::merge`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, Diagnostics, Sources, Span};
use super::dotenv;
use super::fields::did_you_mean;
use super::interpolate::{interpolate_tree, Variables};
use super::merge::merge_service;
use super::yaml::{self, Entry, Node, Value};

/// How deep `include` may nest.
const MAX_INCLUDE_DEPTH: usize = 16;
/// How many files `include` may bring in, in all: each is read, expanded and merged.
const MAX_INCLUDES: usize = 256;

/// Reads the other files a manifest names, once each.
pub struct Expander<'a> {
    pub sources: &'a mut Sources,
    pub diags: &'a mut Diagnostics,
    /// msctl's own environment: it wins over an included project's `.env`.
    pub environment: &'a BTreeMap<String, String>,
    /// Files read for `extends`, parsed and interpolated, by absolute path.
    files: BTreeMap<PathBuf, Option<Node>>,
    /// The `extends` cycles reported, by their members, so each is reported once.
    cycles: std::collections::BTreeSet<std::collections::BTreeSet<(Option<PathBuf>, String)>>,
    /// The files being included, outermost first: one that includes a file on it closes
    /// a cycle.
    including: Vec<PathBuf>,
    /// Files `include` brought in so far.
    included: usize,
}

impl<'a> Expander<'a> {
    pub fn new(
        sources: &'a mut Sources,
        diags: &'a mut Diagnostics,
        environment: &'a BTreeMap<String, String>,
    ) -> Self {
        Expander {
            sources,
            diags,
            environment,
            files: BTreeMap::new(),
            cycles: Default::default(),
            including: Vec::new(),
            included: 0,
        }
    }

    /// The expansion of the manifest at `path`: a file it includes that includes it back
    /// closes a cycle.
    pub fn within(mut self, path: Option<PathBuf>) -> Self {
        if let Some(path) = path {
            self.including.push(path.canonicalize().unwrap_or(path));
        }
        self
    }

    /// Resolve `include` and `extends` in `root`, a manifest in directory `dir` whose
    /// variables are `vars`. `rebase` says whether its own relative paths are made
    /// absolute (true for a file brought in by another).
    pub fn expand(&mut self, root: &mut Node, dir: &Path, vars: &Variables, rebase: bool) {
        self.expand_at_depth(root, dir, vars, rebase, 0);
    }

    fn expand_at_depth(
        &mut self,
        root: &mut Node,
        dir: &Path,
        vars: &Variables,
        rebase: bool,
        depth: usize,
    ) {
        self.resolve_extends(root, dir, vars);
        if rebase {
            rebase_manifest(root, dir);
        }
        let Some(include) = take_key(root, "include") else {
            return;
        };
        let items: Vec<Node> = match include.value {
            Value::Seq(items) => items,
            Value::Null => Vec::new(),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        format!("`include` must be a list, found {}", include.type_name()),
                        Some(include.span),
                    )
                    .with_hint("write `include: [./other/compose.yaml]`"),
                );
                return;
            }
        };
        for item in items {
            if depth >= MAX_INCLUDE_DEPTH {
                self.diags.push(
                    Diagnostic::error("`include` nests too deep", Some(item.span))
                        .with_hint("a file probably includes itself, directly or through another"),
                );
                return;
            }
            let Some(included) = self.include(&item, dir, depth) else {
                continue;
            };
            merge_included(root, included, self.diags);
        }
    }

    /// One `include` entry: its files merged (as `-f` files are), expanded, rebased.
    fn include(&mut self, item: &Node, dir: &Path, depth: usize) -> Option<Node> {
        let (paths, project_dir, env_files) = match &item.value {
            Value::Str(path) => (vec![(path.clone(), item.span)], None, Vec::new()),
            Value::Map(_) => {
                let mut paths = Vec::new();
                let mut project_dir = None;
                let mut env_files = Vec::new();
                for e in item.as_map().unwrap_or_default() {
                    match (e.key.as_str(), &e.value.value) {
                        ("path", Value::Str(p)) => paths.push((p.clone(), e.value.span)),
                        ("path", Value::Seq(list)) | ("env_file", Value::Seq(list)) => {
                            for n in list {
                                match &n.value {
                                    Value::Str(p) if e.key == "path" => {
                                        paths.push((p.clone(), n.span))
                                    }
                                    Value::Str(p) => env_files.push((p.clone(), n.span)),
                                    _ => self.wrong(
                                        n,
                                        &format!("an item of `include.{}`", e.key),
                                        "a path",
                                    ),
                                }
                            }
                        }
                        ("project_directory", Value::Str(p)) => project_dir = Some(p.clone()),
                        ("env_file", Value::Str(p)) => env_files.push((p.clone(), e.value.span)),
                        ("path" | "project_directory" | "env_file", _) => {
                            self.wrong(&e.value, &format!("`include.{}`", e.key), "a path")
                        }
                        (other, _) => {
                            let diag = Diagnostic::error(
                                format!("unknown key `{other}` in an `include` entry"),
                                Some(e.key_span),
                            );
                            let known = ["path", "project_directory", "env_file"];
                            self.diags.push(match did_you_mean(other, known) {
                                Some(best) => diag.with_hint(format!("did you mean `{best}`?")),
                                None => diag
                                    .with_hint("the keys are: path, project_directory, env_file"),
                            });
                        }
                    }
                }
                if paths.is_empty() {
                    self.diags.push(
                        Diagnostic::error("an `include` entry has no `path`", Some(item.span))
                            .with_hint("add `path: ./other/compose.yaml`"),
                    );
                    return None;
                }
                (paths, project_dir, env_files)
            }
            _ => {
                self.wrong(item, "an `include` entry", "a path or a mapping");
                return None;
            }
        };
        let files: Vec<(PathBuf, Span)> = paths
            .into_iter()
            .map(|(p, span)| (dir.join(p), span))
            .collect();
        // Paths in the included files are relative to the first one's directory, or to
        // the `project_directory` the entry gives.
        let base = match &project_dir {
            Some(p) => dir.join(p),
            None => files[0]
                .0
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        };
        // The included project's own variables: its `.env` (or the entry's env files),
        // under msctl's environment.
        let mut vars = Variables::new();
        let env_paths: Vec<(PathBuf, Option<Span>)> = if env_files.is_empty() {
            vec![(base.join(".env"), None)]
        } else {
            env_files
                .into_iter()
                .map(|(p, span)| (dir.join(p), Some(span)))
                .collect()
        };
        for (path, span) in env_paths {
            match super::read::read_text(&path, super::yaml::MAX_DOCUMENT_BYTES) {
                Ok(text) => match dotenv::parse(&text, self.environment) {
                    Ok(entries) => {
                        vars.extend(entries.into_iter().filter_map(|(k, v)| Some((k, v?))))
                    }
                    Err(err) => self.diags.push(Diagnostic::error(
                        format!("{}:{}: {}", path.display(), err.line, err.message),
                        span,
                    )),
                },
                Err(err) if span.is_some() => self.diags.push(
                    Diagnostic::error(
                        format!("env file `{}` cannot be read: {err}", path.display()),
                        span,
                    )
                    .with_hint("paths in `include` are relative to the including file"),
                ),
                Err(_) => {}
            }
        }
        vars.extend(self.environment.iter().map(|(k, v)| (k.clone(), v.clone())));

        let mut merged: Option<Node> = None;
        for (path, span) in files {
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            if let Some(at) = self.including.iter().position(|p| *p == canonical) {
                let chain: Vec<String> = self.including[at..]
                    .iter()
                    .chain(std::iter::once(&canonical))
                    .map(|p| {
                        p.file_name().map_or_else(
                            || p.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        )
                    })
                    .collect();
                self.diags.push(
                    Diagnostic::error(
                        format!("`include` cycle: {}", chain.join(" includes ")),
                        Some(span),
                    )
                    .with_hint("a file cannot include itself, directly or through another: remove one `include`"),
                );
                return None;
            }
            self.included += 1;
            if self.included > MAX_INCLUDES {
                self.diags.push(
                    Diagnostic::error(
                        format!("`include` brings in more than {MAX_INCLUDES} files"),
                        Some(span),
                    )
                    .with_hint(
                        "a file included from many places is read each time: include it once",
                    ),
                );
                return None;
            }
            let mut node = self.read(&path, span, &vars)?;
            self.including.push(canonical);
            self.expand_at_depth(&mut node, &base, &vars, true, depth + 1);
            self.including.pop();
            merged = Some(match merged {
                None => node,
                Some(prev) => super::merge::merge_manifests(prev, node),
            });
        }
        // An included project is whole in itself: its tags act among its own files and
        // never on the including one.
        merged.map(|mut node| {
            super::merge::resolve_tags(&mut node);
            node
        })
    }

    /// Replace each service that `extends` another by the merge of the two.
    fn resolve_extends(&mut self, root: &mut Node, dir: &Path, vars: &Variables) {
        let Some(services) = root.get("services").cloned() else {
            return;
        };
        let Some(entries) = services.as_map() else {
            return;
        };
        let mut resolved = Vec::new();
        for e in entries {
            if e.value.get("extends").is_none() {
                continue;
            }
            let mut chain = vec![(None, e.key.clone())];
            if let Some(node) = self.resolve_service(&services, None, dir, &e.key, vars, &mut chain)
            {
                resolved.push((e.key.clone(), node));
            }
        }
        if let Some(Value::Map(entries)) = root_services_mut(root) {
            for (name, node) in resolved {
                if let Some(entry) = entries.iter_mut().find(|e| e.key == name) {
                    entry.value = node;
                }
            }
        }
    }

    /// Service `name` of the `services` mapping of `file` (`None`: the manifest being
    /// expanded), with its `extends` chain merged in.
    fn resolve_service(
        &mut self,
        services: &Node,
        file: Option<&Path>,
        dir: &Path,
        name: &str,
        vars: &Variables,
        chain: &mut Vec<(Option<PathBuf>, String)>,
    ) -> Option<Node> {
        let mut node = services.get(name)?.clone();
        let extends = take_key(&mut node, "extends");
        if file.is_some() {
            rebase_service(&mut node, dir);
        }
        let Some(extends) = extends else {
            return Some(node);
        };
        let (base_name, base_file, name_span) = match &extends.value {
            Value::Str(s) => (s.clone(), None, extends.span),
            Value::Map(_) => {
                for e in extends.as_map().unwrap_or_default() {
                    if e.key != "service" && e.key != "file" {
                        self.diags.push(
                            Diagnostic::error(
                                format!("unknown key `{}` in `extends` of service `{name}`", e.key),
                                Some(e.key_span),
                            )
                            .with_hint("`extends` takes `service` and, for another file, `file`"),
                        );
                    }
                }
                let Some(Value::Str(base)) = extends.get("service").map(|n| &n.value) else {
                    self.diags.push(
                        Diagnostic::error(
                            format!("`extends` of service `{name}` names no `service`"),
                            Some(extends.span),
                        )
                        .with_hint("add `service: NAME`, the service to start from"),
                    );
                    return None;
                };
                let file = match extends.get("file") {
                    None => None,
                    Some(Node {
                        value: Value::Str(f),
                        span,
                        ..
                    }) => Some((dir.join(f), *span)),
                    Some(other) => {
                        self.wrong(
                            other,
                            &format!("`extends.file` of service `{name}`"),
                            "a path",
                        );
                        return None;
                    }
                };
                let span = extends.get("service").map_or(extends.span, |n| n.span);
                (base.clone(), file, span)
            }
            _ => {
                self.wrong(
                    &extends,
                    &format!("`extends` of service `{name}`"),
                    "a service name or a mapping",
                );
                return None;
            }
        };

        // The base lives in this file or in another one.
        let (base_services, base_path, base_dir) = match &base_file {
            None => (
                services.clone(),
                file.map(Path::to_path_buf),
                dir.to_path_buf(),
            ),
            Some((path, span)) => {
                let root = self.read(path, *span, vars)?;
                let Some(base_services) = root.get("services").cloned() else {
                    self.diags.push(
                        Diagnostic::error(
                            format!(
                                "`{}` defines no services for service `{name}` to extend",
                                path.display()
                            ),
                            Some(*span),
                        )
                        .with_hint("check the path in `extends.file`"),
                    );
                    return None;
                };
                let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (base_services, Some(path.clone()), base_dir)
            }
        };
        if base_services.get(&base_name).is_none() {
            let known = base_services
                .as_map()
                .unwrap_or_default()
                .iter()
                .map(|e| e.key.as_str());
            let hint = match did_you_mean(&base_name, known) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "name a service of that file".to_string(),
            };
            self.diags.push(
                Diagnostic::error(
                    format!(
                        "service `{name}` extends `{base_name}`, which is not a service{}",
                        base_path
                            .as_ref()
                            .map(|p| format!(" of `{}`", p.display()))
                            .unwrap_or_default()
                    ),
                    Some(name_span),
                )
                .with_hint(hint),
            );
            return None;
        }
        let link = (base_path.clone(), base_name.clone());
        if let Some(start) = chain.iter().position(|l| *l == link) {
            let members = chain[start..].iter().cloned().collect();
            if !self.cycles.insert(members) {
                return None;
            }
            let names: Vec<&str> = chain[start..]
                .iter()
                .map(|(_, n)| n.as_str())
                .chain([base_name.as_str()])
                .collect();
            self.diags.push(
                Diagnostic::error(
                    format!("`extends` goes round in a circle: {}", names.join(" -> ")),
                    Some(name_span),
                )
                .with_hint("a service cannot extend itself, directly or through others"),
            );
            return None;
        }
        chain.push(link);
        let base = self.resolve_service(
            &base_services,
            base_path.as_deref(),
            &base_dir,
            &base_name,
            vars,
            chain,
        )?;
        Some(merge_service(base, node))
    }

    /// Read, parse and interpolate another file, once.
    fn read(&mut self, path: &Path, span: Span, vars: &Variables) -> Option<Node> {
        if let Some(node) = self.files.get(path) {
            return node.clone();
        }
        let node = match super::read::read_text(path, super::yaml::MAX_DOCUMENT_BYTES) {
            Ok(text) => {
                let file = self.sources.add(path, text.clone());
                yaml::parse(&text, file, self.diags).map(|mut node| {
                    interpolate_tree(&mut node, vars, self.diags);
                    node
                })
            }
            Err(err) => {
                self.diags.push(
                    Diagnostic::error(
                        format!("cannot read `{}`: {err}", path.display()),
                        Some(span),
                    )
                    .with_hint("the path is relative to the file that names it"),
                );
                None
            }
        };
        self.files.insert(path.to_path_buf(), node.clone());
        node
    }

    fn wrong(&mut self, node: &Node, what: &str, expected: &str) {
        self.diags.push(Diagnostic::error(
            format!("{what} must be {expected}, found {}", node.type_name()),
            Some(node.span),
        ));
    }
}

fn root_services_mut(root: &mut Node) -> Option<&mut Value> {
    match &mut root.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == "services")
            .map(|e| &mut e.value.value),
        _ => None,
    }
}

/// Remove `key` from a mapping and return its value.
fn take_key(node: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(entries) = &mut node.value else {
        return None;
    };
    let index = entries.iter().position(|e| e.key == key)?;
    Some(entries.remove(index).value)
}

/// Add an included project's services, networks, volumes, secrets and configs to `root`.
/// A name defined on both sides is an error: an include never overrides silently.
fn merge_included(root: &mut Node, included: Node, diags: &mut Diagnostics) {
    let Value::Map(included_sections) = included.value else {
        return;
    };
    let Value::Map(root_sections) = &mut root.value else {
        return;
    };
    for section in included_sections {
        if !matches!(
            section.key.as_str(),
            "services" | "networks" | "volumes" | "secrets" | "configs"
        ) {
            continue;
        }
        let Value::Map(items) = section.value.value else {
            continue;
        };
        let target = match root_sections.iter_mut().find(|e| e.key == section.key) {
            Some(existing) => existing,
            None => {
                root_sections.push(Entry {
                    key: section.key.clone(),
                    key_span: section.key_span,
                    value: Node::new(Value::Map(Vec::new()), section.value.span),
                });
                root_sections.last_mut().expect("just pushed")
            }
        };
        if target.value.value == Value::Null {
            target.value.value = Value::Map(Vec::new());
        }
        let Value::Map(existing) = &mut target.value.value else {
            continue;
        };
        for item in items {
            if let Some(mine) = existing.iter().find(|e| e.key == item.key) {
                // A network or volume with the same definition is shared, as Compose shares it.
                if section.key != "services" && strip_spans(&mine.value) == strip_spans(&item.value)
                {
                    continue;
                }
                diags.push(
                    Diagnostic::error(
                        format!(
                            "`{}` in `{}` is defined both here and by an included file",
                            item.key, section.key
                        ),
                        Some(mine.key_span),
                    )
                    .with_hint("rename one of them; an include does not override"),
                );
                continue;
            }
            existing.push(item);
        }
    }
}

/// The value without positions, to compare definitions from two files.
fn strip_spans(node: &Node) -> serde_json::Value {
    node.to_json()
}

/// Make the relative paths of a whole manifest absolute against `dir`.
fn rebase_manifest(root: &mut Node, dir: &Path) {
    let Value::Map(sections) = &mut root.value else {
        return;
    };
    for section in sections {
        match (section.key.as_str(), &mut section.value.value) {
            ("services", Value::Map(services)) => {
                for service in services {
                    rebase_service(&mut service.value, dir);
                }
            }
            ("secrets" | "configs", Value::Map(items)) => {
                for item in items {
                    if let Value::Map(fields) = &mut item.value.value {
                        for field in fields.iter_mut().filter(|f| f.key == "file") {
                            rebase_scalar(&mut field.value, dir);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Make a service's relative paths absolute against `dir`: its build context (`.` when
/// not written), env files, bind-mount sources and the cargo builder's workspace.
fn rebase_service(service: &mut Node, dir: &Path) {
    let span = service.span;
    let Value::Map(fields) = &mut service.value else {
        return;
    };
    for field in fields.iter_mut() {
        match field.key.as_str() {
            "build" => match &mut field.value.value {
                Value::Str(_) => rebase_scalar(&mut field.value, dir),
                Value::Map(build) => match build.iter_mut().find(|e| e.key == "context") {
                    Some(context) => rebase_scalar(&mut context.value, dir),
                    None => build.push(path_entry("context", dir, span)),
                },
                _ => {}
            },
            "env_file" => match &mut field.value.value {
                Value::Str(_) => rebase_scalar(&mut field.value, dir),
                Value::Seq(items) => {
                    for item in items {
                        match &mut item.value {
                            Value::Str(_) => rebase_scalar(item, dir),
                            Value::Map(entries) => {
                                for e in entries.iter_mut().filter(|e| e.key == "path") {
                                    rebase_scalar(&mut e.value, dir);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            },
            "volumes" => {
                if let Value::Seq(items) = &mut field.value.value {
                    for item in items {
                        rebase_volume(item, dir);
                    }
                }
            }
            "x-msctl" => {
                let cargo = field
                    .value
                    .as_map()
                    .and_then(|_| field.value.get("build"))
                    .and_then(|b| b.get("cargo"))
                    .is_some();
                if cargo {
                    rebase_cargo(&mut field.value, dir, span);
                }
            }
            _ => {}
        }
    }
}

fn rebase_cargo(ext: &mut Node, dir: &Path, span: Span) {
    let Value::Map(ext) = &mut ext.value else {
        return;
    };
    let Some(build) = ext.iter_mut().find(|e| e.key == "build") else {
        return;
    };
    let Value::Map(build) = &mut build.value.value else {
        return;
    };
    let Some(cargo) = build.iter_mut().find(|e| e.key == "cargo") else {
        return;
    };
    let Value::Map(cargo) = &mut cargo.value.value else {
        return;
    };
    match cargo.iter_mut().find(|e| e.key == "workspace") {
        Some(ws) => rebase_scalar(&mut ws.value, dir),
        None => cargo.push(path_entry("workspace", dir, span)),
    }
    if let Some(files) = cargo.iter_mut().find(|e| e.key == "files") {
        if let Value::Map(files) = &mut files.value.value {
            for file in files {
                if is_relative(&file.key) {
                    file.key = join(dir, &file.key);
                }
            }
        }
    }
}

fn rebase_volume(item: &mut Node, dir: &Path) {
    match &mut item.value {
        Value::Str(text) => {
            if let Some((source, rest)) = text.split_once(':') {
                if is_relative(source) {
                    *text = format!("{}:{rest}", join(dir, source));
                }
            }
        }
        Value::Map(entries) => {
            let bind = entries
                .iter()
                .any(|e| e.key == "type" && e.value.value == Value::Str("bind".to_string()));
            if bind {
                for e in entries.iter_mut().filter(|e| e.key == "source") {
                    rebase_scalar(&mut e.value, dir);
                }
            }
        }
        _ => {}
    }
}

/// A value that is always a path (build context, env file, bind source, secret file):
/// anything not absolute, not under `~` and not a URL is relative to its file.
fn rebase_scalar(node: &mut Node, dir: &Path) {
    if let Value::Str(path) = &mut node.value {
        if !path.starts_with('/') && !path.starts_with('~') && !path.contains("://") {
            *path = join(dir, path);
        }
    }
}

/// A path written relative to its file: `.`, `..`, `./x`, `../x` or a bare name.
/// Bind sources in the short volume syntax must start with `.` (a bare name is a volume).
fn is_relative(path: &str) -> bool {
    path == "." || path == ".." || path.starts_with("./") || path.starts_with("../")
}

fn join(dir: &Path, path: &str) -> String {
    super::validate::resolve_path(dir, path)
        .display()
        .to_string()
}

fn path_entry(key: &str, dir: &Path, span: Span) -> Entry {
    Entry {
        key: key.to_string(),
        key_span: span,
        value: Node::new(Value::Str(dir.display().to_string()), span),
    }
}

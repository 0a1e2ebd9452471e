//! Shared plumbing: names, paths, labels, lists and field names for diagnostics, used by
//! every reader of this module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::manifest::fields::Reader;
use crate::manifest::yaml::{Node, Value};

/// Compose's rule for service, volume and network names.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub(super) fn named_objects<T>(
    r: &mut Reader<'_>,
    node: &Node,
    section: &str,
    read: impl Fn(&mut Reader<'_>, &str, &Node) -> Option<T>,
) -> BTreeMap<String, T> {
    let mut out = BTreeMap::new();
    let Some(entries) = r.map(node, &format!("`{section}`")) else {
        return out;
    };
    for e in entries {
        if e.key.starts_with("x-") {
            continue;
        }
        if !valid_name(&e.key) {
            r.error_hint(
                format!("`{}` is not a valid name in `{section}`", e.key),
                e.key_span,
                "names use letters, digits, `_`, `.` and `-`, and start with a letter or digit",
            );
            continue;
        }
        if let Some(value) = read(r, &e.key, &e.value) {
            out.insert(e.key.clone(), value);
        }
    }
    out
}

/// `external: true`, or the legacy `external: {name: x}`.
pub(super) fn external(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<bool> {
    match &node.value {
        Value::Map(_) => Some(true),
        _ => r.bool(node, what),
    }
}

pub(super) fn labels(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
) -> Option<BTreeMap<String, String>> {
    Some(
        r.string_map(node, what)?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
    )
}

/// Resolve `~` and relative paths against the project directory.
pub fn resolve_path(base: &Path, path: &str) -> PathBuf {
    let path = if path == "~" { "~/" } else { path };
    let expanded = match path.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => PathBuf::from(path),
        },
        None => PathBuf::from(path),
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    normalize(&joined)
}

/// Remove `.` and `..` components without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The items of a list, or an error naming what `node` is instead.
pub(super) fn list<'n>(r: &mut Reader<'_>, node: &'n Node, what: &str) -> Option<&'n [Node]> {
    match &node.value {
        Value::Seq(items) => Some(items),
        _ => {
            r.error(
                format!("{what} must be a list, found {}", node.type_name()),
                node.span,
            );
            None
        }
    }
}

/// `deploy` of service `web` + `replicas` -> `deploy.replicas` of service `web`.
pub(super) fn field_name(what: &str, key: &str) -> String {
    match what
        .strip_prefix('`')
        .and_then(|rest| rest.split_once("` of "))
    {
        Some((path, owner)) => format!("`{path}.{key}` of {owner}"),
        None => format!("`{key}` of {what}"),
    }
}

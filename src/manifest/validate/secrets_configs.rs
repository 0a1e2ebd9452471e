//! Secrets and configs: the top-level `secrets` and `configs`, and the files each service
//! mounts from them.

use std::collections::BTreeSet;

use crate::manifest::fields::{did_you_mean, Reader, Schema};
use crate::manifest::model::{Config, Secret, ServiceFile};
use crate::manifest::yaml::{Node, Value};

use super::common::resolve_path;
use super::keys::{CONFIG, SECRET, SERVICE_CONFIG, SERVICE_SECRET};
use super::Inputs;

pub(super) fn secret(
    r: &mut Reader<'_>,
    name: &str,
    node: &Node,
    inputs: &Inputs<'_>,
) -> Option<Secret> {
    let what = format!("secret `{name}`");
    r.map(node, &what)?;
    SECRET.check(node, &what, r.diags);
    match (node.get("file"), node.get("environment")) {
        (Some(file), None) => {
            let path = r.string(file, &format!("`file` of {what}"))?;
            Some(Secret::File(resolve_path(inputs.working_dir, &path)))
        }
        (None, Some(env)) => Some(Secret::Environment(
            r.string(env, &format!("`environment` of {what}"))?,
        )),
        (Some(_), Some(_)) => {
            r.error_hint(
                format!("{what} sets both `file` and `environment`"),
                node.span,
                "keep one of them",
            );
            None
        }
        (None, None) => {
            if node.get("external").is_none() {
                r.error_hint(
                    format!("{what} says neither where its contents come from"),
                    node.span,
                    "add `file: ./path` or `environment: VARIABLE`",
                );
            }
            None
        }
    }
}

pub(super) fn config(
    r: &mut Reader<'_>,
    name: &str,
    node: &Node,
    inputs: &Inputs<'_>,
) -> Option<Config> {
    let what = format!("config `{name}`");
    r.map(node, &what)?;
    CONFIG.check(node, &what, r.diags);
    let sources: Vec<&str> = ["file", "content", "environment"]
        .into_iter()
        .filter(|key| node.get(key).is_some())
        .collect();
    match sources.as_slice() {
        ["file"] => {
            let path = r.string(node.get("file")?, &format!("`file` of {what}"))?;
            Some(Config::File(resolve_path(inputs.working_dir, &path)))
        }
        ["content"] => Some(Config::Content(
            r.text(node.get("content")?, &format!("`content` of {what}"))?,
        )),
        ["environment"] => Some(Config::Environment(r.string(
            node.get("environment")?,
            &format!("`environment` of {what}"),
        )?)),
        [] => {
            if node.get("external").is_none() {
                r.error_hint(
                    format!("{what} says neither where its contents come from"),
                    node.span,
                    "add `file: ./path`, `content: TEXT` or `environment: VARIABLE`",
                );
            }
            None
        }
        many => {
            r.error_hint(
                format!(
                    "{what} sets {}",
                    many.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
                node.span,
                "keep one of them",
            );
            None
        }
    }
}

/// What differs between a service's `secrets` and its `configs`.
pub(super) struct FileKind {
    /// `secret` or `config`.
    noun: &'static str,
    schema: Schema,
    /// Where a relative target goes.
    target_dir: &'static str,
}

impl FileKind {
    pub(super) const SECRET: FileKind = FileKind {
        noun: "secret",
        schema: SERVICE_SECRET,
        target_dir: "/run/secrets/",
    };
    pub(super) const CONFIG: FileKind = FileKind {
        noun: "config",
        schema: SERVICE_CONFIG,
        target_dir: "/",
    };
}

/// A service's `secrets` or `configs`: each top-level name with its absolute path in the
/// container.
pub(super) fn mounted_files(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    kind: &FileKind,
    declared: &BTreeSet<String>,
) -> Vec<ServiceFile> {
    let noun = kind.noun;
    let field = format!("`{noun}s` of {what}");
    let Value::Seq(items) = &node.value else {
        r.error(
            format!("{field} must be a list, found {}", node.type_name()),
            node.span,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let (source, target, span) = match &item.value {
            Value::Str(s) => (s.clone(), s.clone(), item.span),
            Value::Map(_) => {
                let where_ = format!("a {noun} of {what}");
                kind.schema.check(item, &where_, r.diags);
                let Some(source_node) = item.get("source") else {
                    r.error_hint(
                        format!("{where_} has no `source`"),
                        item.span,
                        format!("add `source: NAME` naming a top-level {noun}"),
                    );
                    continue;
                };
                let Some(source) = r.string(source_node, &format!("`source` of {where_}")) else {
                    continue;
                };
                let target = match item.get("target") {
                    Some(t) => r
                        .string(t, &format!("`target` of {where_}"))
                        .unwrap_or_else(|| source.clone()),
                    None => source.clone(),
                };
                (source, target, source_node.span)
            }
            _ => {
                r.error(
                    format!(
                        "a {noun} of {what} must be a name or a mapping, found {}",
                        item.type_name()
                    ),
                    item.span,
                );
                continue;
            }
        };
        if !declared.contains(&source) {
            let hint = match did_you_mean(&source, declared.iter().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!(
                    "declare it under the top-level `{noun}s:` with `file:` or `environment:`"
                ),
            };
            r.error_hint(
                format!("{what} uses {noun} `{source}`, which is not declared"),
                span,
                hint,
            );
            continue;
        }
        let target = if target.starts_with('/') {
            target
        } else {
            format!("{}{target}", kind.target_dir)
        };
        out.push(ServiceFile { source, target });
    }
    out
}

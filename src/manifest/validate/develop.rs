//! A service's `develop` section: the `watch` rules `msctl watch` follows.

use crate::manifest::fields::Reader;
use crate::manifest::model::{Develop, WatchAction, WatchRule};
use crate::manifest::yaml::Node;

use super::common::{field_name, list, resolve_path};
use super::keys::{DEVELOP, WATCH_RULE};
use super::Inputs;

const ACTIONS: &[&str] = &["rebuild", "sync", "sync+restart", "restart", "sync+exec"];

/// Reads `develop` of `what`; `has_build` says whether the service has an image to build
/// (a `rebuild` rule needs one).
pub(super) fn develop(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    inputs: &Inputs<'_>,
    has_build: bool,
) -> Option<Develop> {
    let what = format!("`develop` of {what}");
    r.map(node, &what)?;
    let mut develop = Develop::default();
    for e in DEVELOP.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        if e.key == "watch" {
            let Some(items) = list(r, &e.value, &field) else {
                continue;
            };
            for (index, item) in items.iter().enumerate() {
                let rule_what = format!("item {} of {field}", index + 1);
                if let Some(rule) = watch_rule(r, item, &rule_what, inputs, has_build) {
                    develop.watch.push(rule);
                }
            }
        }
    }
    Some(develop)
}

fn watch_rule(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    inputs: &Inputs<'_>,
    has_build: bool,
) -> Option<WatchRule> {
    r.map(node, what)?;
    let mut action: Option<(WatchAction, &Node)> = None;
    let mut path = None;
    let mut target: Option<(String, &Node)> = None;
    let mut ignore = Vec::new();
    let mut include = Vec::new();
    let mut initial_sync: Option<(bool, &Node)> = None;
    let mut complete = true;
    for e in WATCH_RULE.check(node, what, r.diags) {
        let field = format!("`{}` of {what}", e.key);
        let v = &e.value;
        match e.key.as_str() {
            "action" => match r.one_of(v, &field, ACTIONS).as_deref() {
                Some("rebuild") => action = Some((WatchAction::Rebuild, v)),
                Some("sync") => action = Some((WatchAction::Sync, v)),
                Some("sync+restart") => action = Some((WatchAction::SyncRestart, v)),
                Some("restart") => action = Some((WatchAction::Restart, v)),
                Some(_) => {
                    complete = false;
                    r.error_hint(
                        format!("{field}: `sync+exec` is not supported by msctl"),
                        v.span,
                        "ignoring it would leave the command unrun: use `sync+restart`, or `sync` and `msctl exec`",
                    );
                }
                None => complete = false,
            },
            "path" => match r.string(v, &field) {
                Some(text) if text.is_empty() => {
                    complete = false;
                    r.error_hint(
                        format!("{field} is empty"),
                        v.span,
                        "name a file or directory, relative to the project directory, e.g. `./src`",
                    );
                }
                Some(text) => path = Some(resolve_path(inputs.working_dir, &text)),
                None => complete = false,
            },
            "target" => {
                match r.string(v, &field) {
                    Some(text) if text.starts_with('/') => target = Some((text, v)),
                    Some(text) => {
                        complete = false;
                        r.error_hint(
                        format!("{field} must be an absolute path in the container, found `{text}`"),
                        v.span,
                        "write the directory the files go to in the container, e.g. `/app/static`",
                    );
                    }
                    None => complete = false,
                }
            }
            "ignore" => ignore = r.strings(v, &field, false).unwrap_or_default(),
            "include" => include = r.strings(v, &field, false).unwrap_or_default(),
            "initial_sync" => {
                if let Some(value) = r.bool(v, &field) {
                    initial_sync = Some((value, v));
                }
            }
            _ => {}
        }
    }
    let missing = |r: &mut Reader<'_>, key: &str, hint: &str| {
        r.error_hint(
            format!("{what} has no `{key}`"),
            node.span,
            hint.to_string(),
        );
    };
    if action.is_none() && complete && node.get("action").is_none() {
        missing(
            r,
            "action",
            "add `action: rebuild`, `sync`, `sync+restart` or `restart`",
        );
    }
    if path.is_none() && complete && node.get("path").is_none() {
        missing(
            r,
            "path",
            "add `path: ./dir`: the files (relative to the project directory) to watch",
        );
    }
    let (action, action_node) = action?;
    let path = path?;
    if action.syncs() && target.is_none() && complete && node.get("target").is_none() {
        missing(
            r,
            "target",
            "a sync copies files into the container: add `target: /dir/in/container`",
        );
        return None;
    }
    if !action.syncs() {
        if let Some((_, target_node)) = &target {
            r.warning_hint(
                format!(
                    "{what}: `target` is ignored with `action: {}`",
                    action.as_str()
                ),
                target_node.span,
                "only `sync` and `sync+restart` copy files into the container",
            );
        }
        if let Some((true, sync_node)) = &initial_sync {
            r.warning_hint(
                format!(
                    "{what}: `initial_sync` is ignored with `action: {}`",
                    action.as_str()
                ),
                sync_node.span,
                "only `sync` and `sync+restart` copy files into the container",
            );
        }
    }
    if action == WatchAction::Rebuild && !has_build {
        r.error_hint(
            format!("{what} rebuilds the image, but the service has nothing to build"),
            action_node.span,
            "add `build:` (or `x-msctl.build`) to the service, or use a `sync` or `restart` action",
        );
        return None;
    }
    if !complete {
        return None;
    }
    let target = if action.syncs() {
        target.map(|(text, _)| text)
    } else {
        None
    };
    Some(WatchRule {
        action,
        path,
        target,
        ignore,
        include,
        initial_sync: action.syncs() && initial_sync.is_some_and(|(value, _)| value),
    })
}

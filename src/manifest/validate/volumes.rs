//! Volumes: the top-level `volumes` and each service's `volumes` mounts.

use crate::manifest::fields::{did_you_mean, Reader};
use crate::manifest::model::{Mount, MountType, Volume};
use crate::manifest::yaml::{Node, Value};

use super::common::{external, field_name, labels, resolve_path};
use super::keys::{VOLUME, VOLUME_LONG};
use super::{Inputs, References};

pub(super) fn volume(r: &mut Reader<'_>, name: &str, node: &Node) -> Option<Volume> {
    let what = format!("volume `{name}`");
    r.map(node, &what)?;
    let mut volume = Volume::default();
    for e in VOLUME.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        match e.key.as_str() {
            "name" => volume.name = r.text(&e.value, &field),
            "driver" => volume.driver = r.string(&e.value, &field),
            "driver_opts" => {
                volume.driver_opts = r
                    .string_map(&e.value, &field)?
                    .into_iter()
                    .map(|(k, v)| (k, v.unwrap_or_default()))
                    .collect()
            }
            "external" => volume.external = external(r, &e.value, &field)?,
            "labels" => volume.labels = labels(r, &e.value, &field)?,
            _ => {}
        }
    }
    Some(volume)
}

/// A mount in the short syntax, `[SOURCE:]TARGET[:MODE]` (a source starting with `.`, `/`
/// or `~` is a host path, else a volume); what is wrong with it and a hint otherwise.
pub fn parse_mount_short(text: &str) -> Result<Mount, (String, &'static str)> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) =
        match parts.as_slice() {
            [target] => (None, *target, None),
            [source, target] => (Some(*source), *target, None),
            [source, target, mode] => (Some(*source), *target, Some(*mode)),
            _ => return Err((
                format!("volume `{text}` has too many `:`"),
                "write `[SOURCE:]TARGET[:MODE]`, e.g. `data:/var/lib/data` or `./conf:/etc/app:ro`",
            )),
        };
    let mut read_only = false;
    for flag in mode.into_iter().flat_map(|mode| mode.split(',')) {
        match flag {
            "ro" => read_only = true,
            "rw" | "z" | "Z" | "nocopy" | "cached" | "delegated" | "consistent" => {}
            other => {
                return Err((
                    format!("`{other}` in volume `{text}` is not a mount mode"),
                    "use `ro` or `rw`",
                ))
            }
        }
    }
    let kind = match source {
        None => MountType::Volume,
        Some(s) if s.starts_with(['.', '/', '~']) => MountType::Bind,
        Some(_) => MountType::Volume,
    };
    Ok(Mount {
        kind,
        source: source.map(str::to_string),
        target: target.to_string(),
        read_only,
    })
}

pub(super) fn mount(
    r: &mut Reader<'_>,
    item: &Node,
    what: &str,
    inputs: &Inputs<'_>,
    refs: &References,
) -> Option<Mount> {
    let mount = match &item.value {
        Value::Str(text) => match parse_mount_short(text) {
            Ok(mount) => mount,
            Err((message, hint)) => {
                r.error_hint(message, item.span, hint);
                return None;
            }
        },
        Value::Map(_) => {
            let where_ = format!("a volume of {what}");
            VOLUME_LONG.check(item, &where_, r.diags);
            let kind = match item.get("type") {
                Some(t) => match r
                    .one_of(
                        t,
                        &format!("`type` of {where_}"),
                        &["volume", "bind", "tmpfs"],
                    )?
                    .as_str()
                {
                    "bind" => MountType::Bind,
                    "tmpfs" => MountType::Tmpfs,
                    _ => MountType::Volume,
                },
                None => {
                    r.error_hint(
                        format!("{where_} has no `type`"),
                        item.span,
                        "add `type: volume`, `type: bind` or `type: tmpfs`",
                    );
                    return None;
                }
            };
            let Some(target) = item.get("target") else {
                r.error_hint(
                    format!("{where_} has no `target`"),
                    item.span,
                    "add `target: /path/in/container`",
                );
                return None;
            };
            let target = r.string(target, &format!("`target` of {where_}"))?;
            let source = match item.get("source") {
                Some(s) => Some(r.string(s, &format!("`source` of {where_}"))?),
                None => None,
            };
            let read_only = match item.get("read_only") {
                Some(n) => r.bool(n, &format!("`read_only` of {where_}"))?,
                None => false,
            };
            if kind == MountType::Bind && source.is_none() {
                r.error_hint(
                    format!("a bind mount of {what} has no `source`"),
                    item.span,
                    "add `source: ./host/path`",
                );
                return None;
            }
            Mount {
                kind,
                source,
                target,
                read_only,
            }
        }
        _ => {
            r.error(
                format!(
                    "a volume of {what} must be a string or a mapping, found {}",
                    item.type_name()
                ),
                item.span,
            );
            return None;
        }
    };
    if !mount.target.starts_with('/') {
        r.error_hint(
            format!("mount target `{}` is not an absolute path", mount.target),
            item.span,
            "the path inside the container must start with `/`",
        );
        return None;
    }
    let mut mount = mount;
    match (mount.kind, &mount.source) {
        (MountType::Bind, Some(source)) => {
            mount.source = Some(
                resolve_path(inputs.working_dir, source)
                    .display()
                    .to_string(),
            );
        }
        (MountType::Volume, Some(source)) if !refs.volumes.contains(source) => {
            let hint = match did_you_mean(source, refs.volumes.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`? Otherwise declare it under the top-level `volumes:`"),
                    None => format!("declare it under the top-level `volumes:` (`volumes: {{{source}: {{}}}}`), or start a host path with `./` or `/`"),
                };
            r.error_hint(
                format!("{what} uses volume `{source}`, which is not declared"),
                item.span,
                hint,
            );
            return None;
        }
        _ => {}
    }
    Some(mount)
}

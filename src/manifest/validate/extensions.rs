//! The `x-msctl` extensions: the project's (target, registry) and each service's (probe,
//! autoscale, cargo build).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::manifest::fields::Reader;
use crate::manifest::model::{
    Autoscale, CargoBuild, DataDir, Extensions, Mount, MountType, Probe, ProbeCheck, Target,
};
use crate::manifest::yaml::Node;

use super::common::{field_name, resolve_path};
use super::keys::{
    AUTOSCALE, CARGO_BUILD, EXTENSIONS, EXT_BUILD, PROBE, PROBE_HTTP, PROBE_TCP, PROJECT_EXTENSIONS,
};
use super::services::image_reference_ok;
use super::{Inputs, MAX_REPLICAS};

/// The top-level `x-msctl`: the project's target (`--target`/`MSCTL_TARGET` when
/// given, else `x-msctl.target`, else the local engine) and its registry.
pub(super) fn project_extensions(
    r: &mut Reader<'_>,
    root: &Node,
    chosen: Option<Target>,
) -> (Target, Option<String>) {
    let mut written = None;
    let mut registry = None;
    if let Some(ext) = root.get("x-msctl") {
        let what = "the top-level `x-msctl`";
        if r.map(ext, what).is_some() {
            for e in PROJECT_EXTENSIONS.check(ext, what, r.diags) {
                match e.key.as_str() {
                    "target" => {
                        let field = "`x-msctl.target`";
                        if let Some(text) = r.one_of(&e.value, field, &["local", "swarm"]) {
                            written = Target::parse(&text);
                        }
                    }
                    "registry" => {
                        let field = "`x-msctl.registry`";
                        if let Some(text) = r.text(&e.value, field) {
                            let text = text.trim_end_matches('/').to_string();
                            if image_reference_ok(&format!("{text}/x"))
                                && !text.contains(['@', ' '])
                            {
                                registry = Some(text);
                            } else {
                                r.error_hint(
                                    format!("{field} `{text}` is not a registry"),
                                    e.value.span,
                                    "write HOST[:PORT][/PATH], e.g. `127.0.0.1:5000/shop` or `ghcr.io/acme`",
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    (chosen.or(written).unwrap_or_default(), registry)
}

pub(super) fn extensions(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    inputs: &Inputs<'_>,
) -> Option<Extensions> {
    let where_ = format!("`x-msctl` of {what}");
    r.map(node, &where_)?;
    let mut ext = Extensions::default();
    for e in EXTENSIONS.check(node, &where_, r.diags) {
        match e.key.as_str() {
            "probe" => ext.probe = probe(r, &e.value, &format!("`x-msctl.probe` of {what}")),
            "autoscale" => {
                ext.autoscale = autoscale(r, &e.value, &format!("`x-msctl.autoscale` of {what}"))
            }
            "build" => {
                let field = format!("`x-msctl.build` of {what}");
                r.map(&e.value, &field)?;
                for b in EXT_BUILD.check(&e.value, &field, r.diags) {
                    if b.key == "cargo" {
                        ext.build = cargo_build(
                            r,
                            &b.value,
                            &format!("`x-msctl.build.cargo` of {what}"),
                            inputs,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Some(ext)
}

fn autoscale(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Autoscale> {
    r.map(node, what)?;
    let mut min = None;
    let mut max = None;
    let mut cpu_percent = None;
    let mut scale_up_cooldown = Duration::from_secs(15);
    let mut scale_down_cooldown = Duration::from_secs(60);
    for e in AUTOSCALE.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "min" => min = r.int(v, &field, 1, MAX_REPLICAS).map(|n| n as u32),
            "max" => max = r.int(v, &field, 1, MAX_REPLICAS).map(|n| n as u32),
            "cpu_percent" => {
                cpu_percent = r.float(v, &field);
                if let Some(p) = cpu_percent.filter(|p| !(1.0..=10_000.0).contains(p)) {
                    r.error_hint(
                        format!("{field} is {p}, out of range"),
                        v.span,
                        "the target average CPU use per replica, in percent of one CPU: e.g. `70`",
                    );
                    cpu_percent = None;
                }
            }
            "scale_up_cooldown" => scale_up_cooldown = r.duration(v, &field)?,
            "scale_down_cooldown" => scale_down_cooldown = r.duration(v, &field)?,
            _ => {}
        }
    }
    let missing: Vec<&str> = [
        ("min", min.is_none()),
        ("max", max.is_none()),
        ("cpu_percent", cpu_percent.is_none()),
    ]
    .into_iter()
    .filter(|(key, absent)| *absent && node.get(key).is_none())
    .map(|(key, _)| key)
    .collect();
    if !missing.is_empty() {
        r.error_hint(
            format!(
                "{what} has no {}",
                missing
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            node.span,
            "write `autoscale: {min: 1, max: 4, cpu_percent: 70}`",
        );
        return None;
    }
    let (min, max, cpu_percent) = (min?, max?, cpu_percent?);
    if min > max {
        r.error_hint(
            format!("{what} has `min: {min}` above `max: {max}`"),
            node.get("min").map_or(node.span, |n| n.span),
            "the control plane keeps the count from min to max",
        );
        return None;
    }
    Some(Autoscale {
        min,
        max,
        cpu_percent,
        scale_up_cooldown,
        scale_down_cooldown,
    })
}

fn probe(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Probe> {
    r.map(node, what)?;
    let mut check = None;
    let mut probe_interval = Duration::from_millis(250);
    let mut timeout = Duration::from_secs(1);
    let mut failure_threshold = 3;
    for e in PROBE.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "http" => {
                r.map(v, &field)?;
                PROBE_HTTP.check(v, &field, r.diags);
                let port = probe_port(r, v, &field)?;
                let path = match v.get("path") {
                    Some(p) => r.string(p, &format!("`path` of {field}"))?,
                    None => "/".to_string(),
                };
                if !path.starts_with('/') {
                    r.error_hint(
                        format!("`path` of {field} must start with `/`"),
                        v.get("path").map_or(v.span, |p| p.span),
                        "write a path like `/healthz`",
                    );
                    return None;
                }
                check = Some(ProbeCheck::Http { port, path });
            }
            "tcp" => {
                r.map(v, &field)?;
                PROBE_TCP.check(v, &field, r.diags);
                check = Some(ProbeCheck::Tcp {
                    port: probe_port(r, v, &field)?,
                });
            }
            "interval" => probe_interval = r.duration(v, &field)?,
            "timeout" => timeout = r.duration(v, &field)?,
            "failure_threshold" => failure_threshold = r.int(v, &field, 1, 1000)? as u32,
            _ => {}
        }
    }
    if node.get("http").is_some() && node.get("tcp").is_some() {
        r.error_hint(
            format!("{what} sets both `http` and `tcp`"),
            node.span,
            "a probe checks one thing: keep one",
        );
        return None;
    }
    let Some(check) = check else {
        r.error_hint(
            format!("{what} has neither `http` nor `tcp`"),
            node.span,
            "add `http: {port: 8080, path: /healthz}` or `tcp: {port: 5432}`",
        );
        return None;
    };
    Some(Probe {
        check,
        interval: probe_interval,
        timeout,
        failure_threshold,
    })
}

fn probe_port(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<u16> {
    match node.get("port") {
        Some(p) => r
            .int(p, &format!("`port` of {what}"), 1, 65535)
            .map(|n| n as u16),
        None => {
            r.error_hint(
                format!("{what} has no `port`"),
                node.span,
                "add the container port to probe, e.g. `port: 8080`",
            );
            None
        }
    }
}

fn cargo_build(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    inputs: &Inputs<'_>,
) -> Option<CargoBuild> {
    r.map(node, what)?;
    let mut package = None;
    let mut bin = None;
    let mut profile = "release".to_string();
    let mut features = Vec::new();
    let mut workspace = inputs.working_dir.to_path_buf();
    let mut workspace_written = ".".to_string();
    let mut workspace_span = node.span;
    let mut files = BTreeMap::new();
    for e in CARGO_BUILD.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "package" => package = r.string(v, &field),
            "bin" => bin = r.string(v, &field),
            "profile" => profile = r.string(v, &field)?,
            "features" => features = r.strings(v, &field, false)?,
            "workspace" => {
                workspace_written = r.string(v, &field)?;
                workspace = resolve_path(inputs.working_dir, &workspace_written);
                workspace_span = v.span;
            }
            "files" => {
                for (host, image_path) in r.string_map(v, &field)? {
                    let Some(image_path) = image_path.filter(|p| p.starts_with('/')) else {
                        r.error_hint(
                            format!("file `{host}` in {field} needs an absolute path in the image"),
                            v.span,
                            "write `./host/file: /path/in/image`",
                        );
                        continue;
                    };
                    files.insert(
                        resolve_path(inputs.working_dir, &host)
                            .display()
                            .to_string(),
                        image_path,
                    );
                }
            }
            _ => {}
        }
    }
    let Some(package) = package else {
        r.error_hint(
            format!("{what} has no `package`"),
            node.span,
            "name the cargo package to build, e.g. `package: orders`",
        );
        return None;
    };
    if !workspace.join("Cargo.toml").is_file() {
        r.error_hint(
            format!("{what}: workspace `{workspace_written}` holds no Cargo.toml"),
            workspace_span,
            "set `workspace:` to the directory of the cargo workspace (relative to the project directory)",
        );
        return None;
    }
    Some(CargoBuild {
        workspace,
        bin: bin.unwrap_or_else(|| package.clone()),
        package,
        profile,
        features,
        files,
        data_dirs: Vec::new(),
    })
}

/// For a cargo-built image: the named-volume targets, owned by a numeric `user`
/// (`uid` or `uid:gid`); none when the service runs as root or as a user name.
pub(super) fn data_dirs(user: Option<&str>, mounts: &[Mount]) -> Vec<DataDir> {
    let Some(user) = user else { return Vec::new() };
    let (uid, gid) = match user.split_once(':') {
        Some((u, g)) => (u.parse::<u32>().ok(), g.parse::<u32>().ok()),
        None => (user.parse::<u32>().ok(), user.parse::<u32>().ok()),
    };
    let (Some(uid), Some(gid)) = (uid, gid) else {
        return Vec::new();
    };
    let mut dirs: Vec<DataDir> = mounts
        .iter()
        .filter(|m| m.kind == MountType::Volume)
        .map(|m| DataDir {
            path: m.target.clone(),
            uid,
            gid,
        })
        .collect();
    dirs.sort_by(|a, b| a.path.cmp(&b.path));
    dirs
}

//! A service: the reading of each key (image, build, command, entrypoint, environment,
//! env_file, ports, expose, restart, signals...) into a [`Service`], and the checks
//! within one service.

use std::collections::BTreeMap;

use crate::manifest::container_keys;
use crate::manifest::diagnostic::Span;
use crate::manifest::dotenv;
use crate::manifest::fields::Reader;
use crate::manifest::model::{Build, PullPolicy, RestartMode, Service, ServiceNetwork};
use crate::manifest::ports::{parse_expose, parse_port_long, parse_port_short};
use crate::manifest::yaml::{Entry, Node, Value};

use super::common::{field_name, labels, resolve_path};
use super::dependencies::depends_on;
use super::deploy::deploy;
use super::develop::develop;
use super::extensions::{data_dirs, extensions};
use super::healthcheck::healthcheck;
use super::keys::{BUILD, PORT_LONG, SERVICE};
use super::networks::service_networks;
use super::secrets_configs::{mounted_files, FileKind};
use super::volumes::mount;
use super::{Inputs, References, ServiceSpans, MAX_REPLICAS};

pub(super) fn service(
    r: &mut Reader<'_>,
    entry: &Entry,
    inputs: &Inputs<'_>,
    refs: &References,
) -> Option<(Service, ServiceSpans)> {
    let name = entry.key.as_str();
    let node = &entry.value;
    let what = format!("service `{name}`");
    if !matches!(node.value, Value::Map(_)) {
        r.error(
            format!("{what} must be a mapping, found {}", node.type_name()),
            node.span,
        );
        return None;
    }
    let mut svc = Service {
        name: name.to_string(),
        ..Service::default()
    };
    let mut spans = ServiceSpans {
        name: Some(entry.key_span),
        ..ServiceSpans::default()
    };
    let mut env_files: Vec<BTreeMap<String, Option<String>>> = Vec::new();
    let mut scale: Option<(u32, Span)> = None;
    for e in SERVICE.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        let v = &e.value;
        spans.keys.insert(e.key.clone(), e.key_span);
        match e.key.as_str() {
            "image" => {
                if let Some(image) = r.string(v, &field) {
                    if image_reference_ok(&image) {
                        svc.image = Some(image);
                    } else {
                        r.error_hint(
                            format!("`{image}` is not a valid image reference"),
                            v.span,
                            "write `name`, `name:tag` or `registry/name:tag`, with a lowercase name",
                        );
                    }
                }
            }
            "build" => svc.build = build(r, v, &what, inputs),
            "command" => svc.command = r.command(v, &field),
            "entrypoint" => svc.entrypoint = r.command(v, &field),
            "environment" => {
                if let Some(env) = r.string_map(v, &field) {
                    svc.environment = env;
                }
            }
            "env_file" => env_files = env_file(r, v, &field, inputs),
            "ports" => {
                let Value::Seq(items) = &v.value else {
                    r.error(
                        format!("{field} must be a list, found {}", v.type_name()),
                        v.span,
                    );
                    continue;
                };
                for item in items {
                    let parsed = match &item.value {
                        Value::Map(_) => {
                            PORT_LONG.check(item, &format!("a port of {what}"), r.diags);
                            parse_port_long(item)
                                .map_err(|(msg, span)| (msg, span.unwrap_or(item.span)))
                        }
                        _ => match item.scalar_text() {
                            Some(text) => parse_port_short(&text).map_err(|msg| (msg, item.span)),
                            None => Err((
                                format!(
                                    "a port must be a string or a mapping, found {}",
                                    item.type_name()
                                ),
                                item.span,
                            )),
                        },
                    };
                    match parsed {
                        Ok(ports) => {
                            for port in ports {
                                spans.ports.push(item.span);
                                svc.ports.push(port);
                            }
                        }
                        Err((msg, span)) => r.error_hint(
                            msg,
                            span,
                            "write `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, e.g. `8080:80` or `127.0.0.1:5432:5432/tcp`",
                        ),
                    }
                }
            }
            "expose" => {
                if let Some(items) = r.strings(v, &field, false) {
                    let nodes: &[Node] = match &v.value {
                        Value::Seq(n) => n,
                        _ => &[],
                    };
                    for (text, item) in items.iter().zip(nodes) {
                        match parse_expose(text) {
                            Ok(()) => svc.expose.push(text.clone()),
                            Err(msg) => r.error_hint(
                                msg,
                                item.span,
                                "write a port like `3000`, `3000-3005` or `3000/udp`",
                            ),
                        }
                    }
                }
            }
            "volumes" => {
                let Value::Seq(items) = &v.value else {
                    r.error(
                        format!("{field} must be a list, found {}", v.type_name()),
                        v.span,
                    );
                    continue;
                };
                for item in items {
                    if let Some(mount) = mount(r, item, &what, inputs, refs) {
                        if let Some(dup) = svc.volumes.iter().find(|m| m.target == mount.target) {
                            r.error_hint(
                                format!("{what} mounts two volumes at `{}`", dup.target),
                                item.span,
                                "each container path can be mounted once",
                            );
                            continue;
                        }
                        svc.volumes.push(mount);
                    }
                }
            }
            "networks" => svc.networks = service_networks(r, v, &what, refs).unwrap_or_default(),
            "depends_on" => {
                if let Some(deps) = depends_on(r, v, &what, &mut spans) {
                    svc.depends_on = deps;
                }
            }
            "healthcheck" => svc.healthcheck = healthcheck(r, v, &what),
            "develop" => {
                let has_build = node.get("build").is_some()
                    || node.get("x-msctl").and_then(|x| x.get("build")).is_some();
                svc.develop = develop(r, v, &what, inputs, has_build);
            }
            "deploy" => {
                if let Some(deploy) = deploy(r, v, &what, refs.target) {
                    svc.deploy = deploy;
                }
            }
            "scale" => {
                if let Some(n) = r.int(v, &field, 0, MAX_REPLICAS) {
                    scale = Some((n as u32, v.span));
                }
            }
            "restart" => {
                svc.restart = r
                    .one_of(v, &field, &["no", "always", "on-failure", "unless-stopped"])
                    .map(|s| match s.as_str() {
                        "always" => RestartMode::Always,
                        "on-failure" => RestartMode::OnFailure,
                        "unless-stopped" => RestartMode::UnlessStopped,
                        _ => RestartMode::No,
                    })
            }
            "labels" => svc.labels = labels(r, v, &field).unwrap_or_default(),
            "user" => svc.user = r.text(v, &field),
            "working_dir" => svc.working_dir = r.string(v, &field),
            "read_only" => svc.read_only = r.bool(v, &field).unwrap_or_default(),
            "cap_add" => svc.cap_add = r.strings(v, &field, false).unwrap_or_default(),
            "cap_drop" => svc.cap_drop = r.strings(v, &field, false).unwrap_or_default(),
            "security_opt" => svc.security_opt = r.strings(v, &field, false).unwrap_or_default(),
            "init" => svc.init = r.bool(v, &field),
            "stop_signal" => {
                if let Some(signal) = r.text(v, &field) {
                    if signal_ok(&signal) {
                        svc.stop_signal = Some(signal);
                    } else {
                        r.error_hint(
                            format!("`{signal}` is not a signal"),
                            v.span,
                            "use a signal name like `SIGTERM`, `SIGINT`, `SIGQUIT` or its number",
                        );
                    }
                }
            }
            "stop_grace_period" => svc.stop_grace_period = r.duration(v, &field),
            "tmpfs" => svc.tmpfs = r.strings(v, &field, true).unwrap_or_default(),
            "profiles" => svc.profiles = r.strings(v, &field, false).unwrap_or_default(),
            "secrets" => svc.secrets = mounted_files(r, v, &what, &FileKind::SECRET, &refs.secrets),
            "hostname" => svc.hostname = r.string(v, &field),
            "configs" => svc.configs = mounted_files(r, v, &what, &FileKind::CONFIG, &refs.configs),
            "links" => {
                svc.links = r.strings(v, &field, false).unwrap_or_default();
                if let Value::Seq(items) = &v.value {
                    spans.links = items.iter().map(|item| item.span).collect();
                }
            }
            // Resolved by the loader before validation.
            "extends" => {}
            key => {
                container_keys::read(r, key, v, &field, &mut svc);
            }
        }
    }
    if let Some(ext) = node.entry("x-msctl") {
        svc.extensions = extensions(r, &ext.value, &what, inputs).unwrap_or_default();
    }

    // env_file entries come first; `environment` overrides them.
    let mut environment = BTreeMap::new();
    for file in env_files {
        environment.extend(file);
    }
    environment.extend(std::mem::take(&mut svc.environment));
    // A variable without a value takes msctl's own value, as Compose does.
    for (key, value) in environment.iter_mut() {
        if value.is_none() {
            *value = inputs.vars.get(key).cloned();
        }
    }
    svc.environment = environment;

    if let Some((n, span)) = scale {
        let deploy_replicas = node.get("deploy").and_then(|d| d.get("replicas"));
        if deploy_replicas.is_some() && svc.deploy.replicas != n {
            r.error_hint(
                format!(
                    "{what} sets `scale: {n}` and `deploy.replicas: {}`",
                    svc.deploy.replicas
                ),
                span,
                "keep one of them",
            );
        }
        svc.deploy.replicas = n;
    }
    if svc.networks.is_empty() && svc.network_mode.is_none() {
        svc.networks
            .insert("default".to_string(), ServiceNetwork::default());
    }
    if let Some(auto) = &svc.extensions.autoscale {
        let written = node
            .get("deploy")
            .and_then(|d| d.get("replicas"))
            .or_else(|| node.get("scale"));
        if let Some(written) = written {
            if !(auto.min..=auto.max).contains(&svc.deploy.replicas) {
                r.error_hint(
                    format!(
                        "{what} starts {} replicas, outside its autoscale range {} to {}",
                        svc.deploy.replicas, auto.min, auto.max
                    ),
                    written.span,
                    "start within the range, or leave the count out: the control plane starts at `min`",
                );
            }
        } else {
            svc.deploy.replicas = auto.min;
        }
    }
    if let Some(cargo) = svc.extensions.build.as_mut() {
        cargo.data_dirs = data_dirs(svc.user.as_deref(), &svc.volumes);
    }
    let has_build =
        node.get("build").is_some() || node.get("x-msctl").and_then(|x| x.get("build")).is_some();
    if svc.image.is_none() && !has_build && node.get("image").is_none() {
        r.error_hint(
            format!("{what} has neither `image` nor `build`"),
            entry.key_span,
            "add `image: NAME`, `build: ./dir`, or `x-msctl: {build: {cargo: {package: NAME}}}`",
        );
    }
    if svc.pull_policy == Some(PullPolicy::Build) && !has_build {
        r.error_hint(
            format!("{what} has `pull_policy: build` but nothing to build"),
            spans
                .keys
                .get("pull_policy")
                .copied()
                .unwrap_or(entry.key_span),
            "add a `build:` section, or use another pull policy (`missing`, `always`, `never`)",
        );
    }
    if svc.build.is_some() && svc.extensions.build.is_some() {
        r.error_hint(
            format!("{what} has both `build` and `x-msctl.build`"),
            entry.key_span,
            "keep one way to build its image",
        );
    }
    Some((svc, spans))
}

/// A loose check of Docker's image reference grammar: enough to catch typos.
pub(super) fn image_reference_ok(image: &str) -> bool {
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        return false;
    }
    let (name, _digest) = image.split_once('@').unwrap_or((image, ""));
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], &name[last_slash + i + 1..]),
        None => (name, ""),
    };
    let path_start = match repo.split_once('/') {
        Some((registry, _)) if registry.contains(['.', ':']) || registry == "localhost" => {
            registry.len() + 1
        }
        _ => 0,
    };
    let path = &repo[path_start..];
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c))
        && tag.len() <= 128
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

fn signal_ok(signal: &str) -> bool {
    const SIGNALS: &[&str] = &[
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
        "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    if let Ok(n) = signal.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let name = signal.strip_prefix("SIG").unwrap_or(signal);
    SIGNALS.contains(&name) || name.starts_with("RTMIN") || name.starts_with("RTMAX")
}

fn build(r: &mut Reader<'_>, node: &Node, what: &str, inputs: &Inputs<'_>) -> Option<Build> {
    let what = format!("`build` of {what}");
    let mut build = Build::default();
    let mut context = ".".to_string();
    let mut context_span = node.span;
    match &node.value {
        Value::Str(s) => context = s.clone(),
        Value::Map(_) => {
            for e in BUILD.check(node, &what, r.diags) {
                let field = field_name(&what, &e.key);
                match e.key.as_str() {
                    "context" => {
                        context = r.string(&e.value, &field)?;
                        context_span = e.value.span;
                    }
                    "dockerfile" => build.dockerfile = r.string(&e.value, &field),
                    "args" => build.args = r.string_map(&e.value, &field).unwrap_or_default(),
                    "target" => build.target = r.string(&e.value, &field),
                    "labels" => build.labels = labels(r, &e.value, &field).unwrap_or_default(),
                    "dockerfile_inline" => build.dockerfile_inline = r.text(&e.value, &field),
                    _ => {}
                }
            }
        }
        _ => {
            r.error(
                format!(
                    "{what} must be a path or a mapping, found {}",
                    node.type_name()
                ),
                node.span,
            );
            return None;
        }
    }
    if context.contains("://") || context.starts_with("git@") {
        r.error_hint(
            format!("{what} is a remote context `{context}`"),
            context_span,
            "msctl builds from local directories only: no network is used during builds",
        );
        return None;
    }
    build.context = resolve_path(inputs.working_dir, &context);
    if !build.context.is_dir() {
        r.error_hint(
            format!("build context `{context}` is not a directory"),
            context_span,
            "the context is resolved against the project directory; check the path",
        );
        return None;
    }
    for (key, value) in build.args.iter_mut() {
        if value.is_none() {
            *value = inputs.vars.get(key).cloned();
        }
    }
    Some(build)
}

fn env_file(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    inputs: &Inputs<'_>,
) -> Vec<BTreeMap<String, Option<String>>> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut out = Vec::new();
    for item in items {
        let (path, required) = match &item.value {
            Value::Str(s) => (s.clone(), true),
            Value::Map(_) => {
                let Some(path) = item
                    .get("path")
                    .and_then(|p| r.string(p, &format!("`path` in {what}")))
                else {
                    r.error(format!("an entry of {what} needs a `path`"), item.span);
                    continue;
                };
                let required = item
                    .get("required")
                    .and_then(|n| r.bool(n, &format!("`required` in {what}")))
                    .unwrap_or(true);
                (path, required)
            }
            _ => {
                r.error(
                    format!(
                        "{what} must be a path or a list of paths, found {}",
                        item.type_name()
                    ),
                    item.span,
                );
                continue;
            }
        };
        let full = resolve_path(inputs.working_dir, &path);
        match std::fs::read_to_string(&full) {
            Ok(text) => match dotenv::parse(&text, inputs.vars) {
                Ok(entries) => out.push(entries.into_iter().collect()),
                Err(err) => r.error(
                    format!("env file `{path}` line {}: {}", err.line, err.message),
                    item.span,
                ),
            },
            Err(_) if !required => {}
            Err(err) => r.error_hint(
                format!("env file `{path}` cannot be read: {err}"),
                item.span,
                "paths are resolved against the project directory; mark an optional file with `required: false`",
            ),
        }
    }
    out
}

//! The service keys that tune the container itself (its name, terminal, kernel settings,
//! limits, DNS, devices, hooks): read here so `validate/` keeps to the structure of a
//! service. Each reader reports its own diagnostics and leaves the field unset on error.

use std::collections::BTreeMap;

use super::fields::{KeyKind, Reader, Schema};
use super::model::{Device, Hook, Logging, NetworkMode, PullPolicy, Service, Ulimit};
use super::yaml::{Node, Value};

use KeyKind::Supported;

const LOGGING: Schema = Schema {
    keys: &[("driver", Supported), ("options", Supported)],
};

const ULIMIT: Schema = Schema {
    keys: &[("soft", Supported), ("hard", Supported)],
};

const HOOK: Schema = Schema {
    keys: &[
        ("command", Supported),
        ("user", Supported),
        ("privileged", Supported),
        ("working_dir", Supported),
        ("environment", Supported),
    ],
};

const DEVICE: Schema = Schema {
    keys: &[
        ("source", Supported),
        ("target", Supported),
        ("permissions", Supported),
    ],
};

/// This file's key tables, named as docs/manifest-reference.md names them.
pub(super) fn key_tables() -> Vec<(&'static str, &'static Schema)> {
    vec![
        ("services.*.logging", &LOGGING),
        ("services.*.ulimits.*", &ULIMIT),
        ("services.*.post_start[] / pre_stop[]", &HOOK),
        ("services.*.devices[] (long form)", &DEVICE),
    ]
}

/// Read `key` of a service into `svc` when it is one of this file's keys; false otherwise.
pub(super) fn read(
    r: &mut Reader<'_>,
    key: &str,
    v: &Node,
    field: &str,
    svc: &mut Service,
) -> bool {
    match key {
        "container_name" => {
            if let Some(name) = r.text(v, field) {
                if container_name_ok(&name) {
                    svc.container_name = Some(name);
                } else {
                    r.error_hint(
                        format!("`{name}` is not a valid container name"),
                        v.span,
                        "container names use letters, digits, `_`, `.` and `-`, start with a letter or digit, and are at least 2 characters",
                    );
                }
            }
        }
        "domainname" => svc.domainname = r.text(v, field),
        "tty" => svc.tty = r.bool(v, field).unwrap_or_default(),
        "stdin_open" => svc.stdin_open = r.bool(v, field).unwrap_or_default(),
        "privileged" => svc.privileged = r.bool(v, field).unwrap_or_default(),
        "logging" => svc.logging = logging(r, v, field),
        "sysctls" => svc.sysctls = valued_map(r, v, field, "net.core.somaxconn=1024"),
        "ulimits" => svc.ulimits = ulimits(r, v, field),
        "extra_hosts" => svc.extra_hosts = extra_hosts(r, v, field),
        "platform" => {
            if let Some(platform) = r.text(v, field) {
                let parts: Vec<&str> = platform.split('/').collect();
                if (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty()) {
                    svc.platform = Some(platform);
                } else {
                    r.error_hint(
                        format!("{field} `{platform}` is not a platform"),
                        v.span,
                        "write OS/ARCH[/VARIANT], e.g. `linux/amd64` or `linux/arm64/v8`",
                    );
                }
            }
        }
        "pull_policy" => {
            if let Some(text) = r.text(v, field) {
                match PullPolicy::parse(&text) {
                    Ok(policy) => svc.pull_policy = Some(policy),
                    Err(why) => {
                        const POLICIES: &[&str] =
                            &["always", "missing", "never", "build", "daily", "weekly"];
                        let hint =
                            match super::fields::did_you_mean(&text, POLICIES.iter().copied()) {
                                Some(best) => format!(
                                    "did you mean `{best}`? (one of: {}, every_<duration>)",
                                    POLICIES.join(", ")
                                ),
                                None => format!(
                                    "use one of: {}, every_<duration> (`every_12h`)",
                                    POLICIES.join(", ")
                                ),
                            };
                        r.error_hint(format!("{field}: {why}"), v.span, hint);
                    }
                }
            }
        }
        "network_mode" => svc.network_mode = network_mode(r, v, field),
        "runtime" => svc.runtime = r.text(v, field),
        "dns" => svc.dns = r.strings(v, field, true).unwrap_or_default(),
        "dns_search" => svc.dns_search = r.strings(v, field, true).unwrap_or_default(),
        "dns_opt" => svc.dns_opt = r.strings(v, field, false).unwrap_or_default(),
        "devices" => svc.devices = devices(r, v, field),
        "shm_size" => svc.shm_size = r.bytes(v, field),
        "pid" => svc.pid = namespace(r, v, field, &["host"]),
        "ipc" => svc.ipc = namespace(r, v, field, &["host", "private", "shareable", "none"]),
        "group_add" => svc.group_add = r.strings(v, field, false).unwrap_or_default(),
        "pids_limit" => svc.pids_limit = r.int(v, field, -1, i64::MAX),
        "oom_score_adj" => svc.oom_score_adj = r.int(v, field, -1000, 1000),
        "mem_limit" => svc.mem_limit = r.bytes(v, field),
        "memswap_limit" => {
            svc.memswap_limit = match &v.value {
                Value::Int(-1) => Some(-1),
                _ => r
                    .bytes(v, field)
                    .map(|bytes| i64::try_from(bytes).unwrap_or(i64::MAX)),
            }
        }
        "cpus" => {
            if let Some(cpus) = r.float(v, field) {
                if cpus > 0.0 && cpus <= 1024.0 {
                    svc.cpus = Some(cpus);
                } else if cpus != 0.0 {
                    r.error_hint(
                        format!("{field} is {cpus}, out of range"),
                        v.span,
                        "use a positive fraction of CPUs like `0.5` or `2`",
                    );
                }
            }
        }
        "cpu_shares" => svc.cpu_shares = r.int(v, field, 0, 262_144),
        "cpuset" => svc.cpuset = r.text(v, field),
        "mac_address" => {
            if let Some(mac) = r.text(v, field) {
                if mac_ok(&mac) {
                    svc.mac_address = Some(mac);
                } else {
                    r.error_hint(
                        format!("{field} `{mac}` is not a MAC address"),
                        v.span,
                        "write six hexadecimal pairs, e.g. `02:42:ac:11:00:02`",
                    );
                }
            }
        }
        "annotations" => {
            svc.annotations = r
                .string_map(v, field)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect()
        }
        "post_start" => svc.post_start = hooks(r, v, field),
        "pre_stop" => svc.pre_stop = hooks(r, v, field),
        _ => return false,
    }
    true
}

/// Docker's rule for container names.
fn container_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() >= 2
        && matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn mac_ok(mac: &str) -> bool {
    let parts: Vec<&str> = mac.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn logging(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Logging> {
    r.map(node, what)?;
    let mut logging = Logging::default();
    for e in LOGGING.check(node, what, r.diags) {
        let field = format!("`{}` of {what}", e.key);
        match e.key.as_str() {
            "driver" => logging.driver = r.text(&e.value, &field),
            "options" => {
                logging.options = r
                    .string_map(&e.value, &field)?
                    .into_iter()
                    .map(|(k, v)| (k, v.unwrap_or_default()))
                    .collect()
            }
            _ => {}
        }
    }
    Some(logging)
}

/// A mapping, or a list of `KEY=VALUE`, where every key needs a value.
fn valued_map(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    example: &str,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in r.string_map(node, what).unwrap_or_default() {
        match value {
            Some(value) => {
                out.insert(key, value);
            }
            None => r.error_hint(
                format!("`{key}` in {what} has no value"),
                node.span,
                format!("write `KEY=VALUE` (e.g. `{example}`) or a mapping"),
            ),
        }
    }
    out
}

fn ulimits(r: &mut Reader<'_>, node: &Node, what: &str) -> BTreeMap<String, Ulimit> {
    let mut out = BTreeMap::new();
    let Some(entries) = r.map(node, what) else {
        return out;
    };
    for e in entries {
        let where_ = format!("ulimit `{}` of {what}", e.key);
        let limit = match &e.value.value {
            Value::Map(_) => {
                ULIMIT.check(&e.value, &where_, r.diags);
                let mut read = |key: &str| match e.value.get(key) {
                    Some(n) => r.int(n, &format!("`{key}` of {where_}"), -1, i64::MAX),
                    None => {
                        r.error_hint(
                            format!("{where_} has no `{key}`"),
                            e.value.span,
                            "give both `soft` and `hard`, or a single number for both",
                        );
                        None
                    }
                };
                let (soft, hard) = (read("soft"), read("hard"));
                let (Some(soft), Some(hard)) = (soft, hard) else {
                    continue;
                };
                if hard != -1 && (soft == -1 || soft > hard) {
                    r.error_hint(
                        format!("{where_} has a soft limit {soft} above its hard limit {hard}"),
                        e.value.span,
                        "the soft limit must not exceed the hard limit",
                    );
                    continue;
                }
                Ulimit { soft, hard }
            }
            _ => match r.int(&e.value, &where_, -1, i64::MAX) {
                Some(n) => Ulimit { soft: n, hard: n },
                None => continue,
            },
        };
        out.insert(e.key.clone(), limit);
    }
    out
}

/// `HOST:IP`, `HOST=IP` or a mapping, normalised to `HOST:IP`.
fn extra_hosts(r: &mut Reader<'_>, node: &Node, what: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |r: &mut Reader<'_>, host: &str, ip: &str, span| {
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || ip.is_empty() {
            r.error_hint(
                format!("`{host}:{ip}` in {what} needs a host name and an address"),
                span,
                "write `HOST:IP`, e.g. `somehost:162.242.195.82` or `host.docker.internal:host-gateway`",
            );
        } else {
            out.push(format!("{host}:{ip}"));
        }
    };
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let ips = match &e.value.value {
                    Value::Seq(_) => r.strings(&e.value, what, false).unwrap_or_default(),
                    _ => r.text(&e.value, what).into_iter().collect(),
                };
                for ip in ips {
                    push(r, &e.key, &ip, e.key_span);
                }
            }
        }
        _ => {
            let items = r.strings(node, what, false).unwrap_or_default();
            let spans: Vec<_> = match &node.value {
                Value::Seq(items) => items.iter().map(|n| n.span).collect(),
                _ => Vec::new(),
            };
            for (text, span) in items.iter().zip(spans) {
                let split = match (text.find('='), text.find(':')) {
                    (Some(eq), Some(colon)) if eq < colon => text.split_once('='),
                    (Some(_), None) => text.split_once('='),
                    _ => text.split_once(':'),
                };
                match split {
                    Some((host, ip)) => push(r, host, ip, span),
                    None => push(r, text, "", span),
                }
            }
        }
    }
    out
}

fn network_mode(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<NetworkMode> {
    let text = r.text(node, what)?;
    let mode = match text.as_str() {
        "host" => NetworkMode::Host,
        "none" => NetworkMode::None,
        "bridge" | "default" => NetworkMode::Bridge,
        other => match other.split_once(':') {
            Some(("service", name)) if !name.is_empty() => NetworkMode::Service(name.to_string()),
            Some(("container", name)) if !name.is_empty() => {
                NetworkMode::Container(name.to_string())
            }
            _ => {
                r.error_hint(
                    format!("{what} cannot be `{text}`"),
                    node.span,
                    "use `host`, `none`, `bridge`, `service:NAME` or `container:NAME`; to join networks, use `networks:`",
                );
                return None;
            }
        },
    };
    Some(mode)
}

/// `pid` and `ipc`: one of `plain`, or `container:NAME`.
fn namespace(r: &mut Reader<'_>, node: &Node, what: &str, plain: &[&str]) -> Option<String> {
    let text = r.text(node, what)?;
    if plain.contains(&text.as_str()) {
        return Some(text);
    }
    match text.split_once(':') {
        Some(("container", name)) if !name.is_empty() => Some(text),
        Some(("service", _)) => {
            r.error_hint(
                format!("{what} `{text}` shares a namespace with another service's replica"),
                node.span,
                "msctl shares only with a named container here: use `container:NAME`",
            );
            None
        }
        _ => {
            r.error_hint(
                format!("{what} cannot be `{text}`"),
                node.span,
                format!("use {} or `container:NAME`", plain.join(", ")),
            );
            None
        }
    }
}

/// `HOST[:CONTAINER[:PERMISSIONS]]` or the long form.
fn devices(r: &mut Reader<'_>, node: &Node, what: &str) -> Vec<Device> {
    let Value::Seq(items) = &node.value else {
        r.error(
            format!("{what} must be a list, found {}", node.type_name()),
            node.span,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let (source, target, permissions) = match &item.value {
            Value::Map(_) => {
                let where_ = format!("a device of {what}");
                DEVICE.check(item, &where_, r.diags);
                let text = |r: &mut Reader<'_>, key: &str| {
                    item.get(key)
                        .and_then(|n| r.text(n, &format!("`{key}` of {where_}")))
                };
                let Some(source) = text(r, "source") else {
                    r.error_hint(
                        format!("{where_} has no `source`"),
                        item.span,
                        "add `source: /dev/NAME`",
                    );
                    continue;
                };
                let target = text(r, "target").unwrap_or_else(|| source.clone());
                let permissions = text(r, "permissions").unwrap_or_else(|| "rwm".to_string());
                (source, target, permissions)
            }
            _ => {
                let Some(text) = r.text(item, &format!("an item of {what}")) else {
                    continue;
                };
                let parts: Vec<&str> = text.split(':').collect();
                match parts.as_slice() {
                    [source] => (source.to_string(), source.to_string(), "rwm".to_string()),
                    [source, target] if target.starts_with('/') => {
                        (source.to_string(), target.to_string(), "rwm".to_string())
                    }
                    [source, permissions] => (
                        source.to_string(),
                        source.to_string(),
                        permissions.to_string(),
                    ),
                    [source, target, permissions] => (
                        source.to_string(),
                        target.to_string(),
                        permissions.to_string(),
                    ),
                    _ => {
                        r.error_hint(
                            format!("device `{text}` of {what} has too many `:`"),
                            item.span,
                            "write `/dev/HOST[:/dev/CONTAINER[:rwm]]`",
                        );
                        continue;
                    }
                }
            }
        };
        if !permissions.chars().all(|c| matches!(c, 'r' | 'w' | 'm')) || permissions.is_empty() {
            r.error_hint(
                format!("device `{source}` of {what} has permissions `{permissions}`"),
                item.span,
                "permissions are letters of `rwm`",
            );
            continue;
        }
        out.push(Device {
            source,
            target,
            permissions,
        });
    }
    out
}

fn hooks(r: &mut Reader<'_>, node: &Node, what: &str) -> Vec<Hook> {
    let Value::Seq(items) = &node.value else {
        r.error(
            format!("{what} must be a list of hooks, found {}", node.type_name()),
            node.span,
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let where_ = format!("a hook of {what}");
        if r.map(item, &where_).is_none() {
            continue;
        }
        let mut hook = Hook {
            command: Vec::new(),
            user: None,
            privileged: false,
            working_dir: None,
            environment: BTreeMap::new(),
        };
        for e in HOOK.check(item, &where_, r.diags) {
            let field = format!("`{}` of {where_}", e.key);
            match e.key.as_str() {
                "command" => hook.command = r.command(&e.value, &field).unwrap_or_default(),
                "user" => hook.user = r.text(&e.value, &field),
                "privileged" => hook.privileged = r.bool(&e.value, &field).unwrap_or_default(),
                "working_dir" => hook.working_dir = r.text(&e.value, &field),
                "environment" => {
                    hook.environment = r
                        .string_map(&e.value, &field)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v.unwrap_or_default()))
                        .collect()
                }
                _ => {}
            }
        }
        if hook.command.is_empty() {
            r.error_hint(
                format!("{where_} has no `command`"),
                item.span,
                "add `command: [\"/bin/sh\", \"-c\", \"...\"]`",
            );
            continue;
        }
        out.push(hook);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::diagnostic::{Diagnostics, Sources};
    use crate::manifest::yaml;
    use std::path::Path;

    fn read_service(text: &str) -> (Service, Vec<String>) {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("t.yaml"), text.to_string());
        let mut diags = Diagnostics::default();
        let root = yaml::parse(text, file, &mut diags).expect("yaml");
        let mut svc = Service::default();
        let mut r = Reader { diags: &mut diags };
        for e in root.as_map().unwrap_or_default() {
            let field = format!("`{}` of service `t`", e.key);
            assert!(
                read(&mut r, &e.key, &e.value, &field, &mut svc),
                "{}",
                e.key
            );
        }
        let messages = diags.iter().map(|d| d.render(&sources)).collect();
        (svc, messages)
    }

    #[test]
    fn extra_hosts_in_every_written_form_become_host_colon_ip() {
        let (svc, errors) =
            read_service("extra_hosts: [\"a:1.2.3.4\", \"b=5.6.7.8\", \"c:::1\", \"d=[::2]\"]\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            svc.extra_hosts,
            ["a:1.2.3.4", "b:5.6.7.8", "c:::1", "d:::2"]
        );
        let (svc, _) = read_service("extra_hosts:\n  e: 9.9.9.9\n  f: [\"1.1.1.1\", \"::1\"]\n");
        assert_eq!(svc.extra_hosts, ["e:9.9.9.9", "f:1.1.1.1", "f:::1"]);
    }

    #[test]
    fn ulimits_take_a_number_or_soft_and_hard() {
        let (svc, errors) =
            read_service("ulimits:\n  nproc: 65535\n  nofile: {soft: 20000, hard: 40000}\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            svc.ulimits["nproc"],
            Ulimit {
                soft: 65535,
                hard: 65535
            }
        );
        assert_eq!(
            svc.ulimits["nofile"],
            Ulimit {
                soft: 20000,
                hard: 40000
            }
        );
        let (_, errors) = read_service("ulimits:\n  nofile: {soft: 5, hard: 4}\n");
        assert!(errors[0].contains("above its hard limit"), "{errors:?}");
    }

    #[test]
    fn network_mode_forms() {
        let (svc, _) = read_service("network_mode: \"service:db\"\n");
        assert_eq!(
            svc.network_mode,
            Some(NetworkMode::Service("db".to_string()))
        );
        let (svc, _) = read_service("network_mode: host\n");
        assert_eq!(svc.network_mode, Some(NetworkMode::Host));
        let (svc, errors) = read_service("network_mode: overlay\n");
        assert_eq!(svc.network_mode, None);
        assert!(errors[0].contains("cannot be `overlay`"), "{errors:?}");
    }

    #[test]
    fn devices_short_and_long() {
        let (svc, errors) = read_service(
            "devices: [\"/dev/fuse\", \"/dev/sda:/dev/xvda:r\", \"/dev/a:rw\", {source: /dev/b, target: /dev/c}]\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(&str, &str, &str)> = svc
            .devices
            .iter()
            .map(|d| (d.source.as_str(), d.target.as_str(), d.permissions.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/dev/fuse", "/dev/fuse", "rwm"),
                ("/dev/sda", "/dev/xvda", "r"),
                ("/dev/a", "/dev/a", "rw"),
                ("/dev/b", "/dev/c", "rwm"),
            ]
        );
    }

    #[test]
    fn bad_values_are_located_errors() {
        for (text, expect) in [
            ("container_name: \"-x\"\n", "not a valid container name"),
            ("mac_address: 02:42\n", "not a MAC address"),
            ("platform: amd64\n", "not a platform"),
            ("post_start: [{user: root}]\n", "has no `command`"),
            ("sysctls: [\"net.core.somaxconn\"]\n", "has no value"),
            ("ipc: \"service:db\"\n", "shares a namespace"),
            ("oom_score_adj: 5000\n", "oom_score_adj"),
        ] {
            let (_, errors) = read_service(text);
            assert!(
                errors
                    .iter()
                    .any(|e| e.contains(expect) && e.contains("t.yaml:1:")),
                "{text}: {errors:?}"
            );
        }
    }
}

//! Settings that are valid but weaken a service's isolation: each one a warning at the
//! key that asks for it, with a hint. `msctl validate --strict` makes them errors, for CI.
//!
//! The checks read the merged tree (for positions) and the validated services (for
//! meaning): a privileged container, the engine's socket mounted, the host's network,
//! PID or IPC namespace, powerful capabilities added, confinement switched off, secrets
//! written as environment values, and a port published on every address by a service
//! that only other services call.

use std::collections::BTreeMap;

use super::fields::Reader;
use super::model::{NetworkMode, Service};
use super::yaml::{Node, Value};

/// Capabilities that give a container power over the host or other containers.
const POWERFUL_CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_TIME",
    "SYS_BOOT",
    "NET_ADMIN",
    "NET_RAW",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
];

/// Paths of the Docker engine's socket on a Linux host.
const ENGINE_SOCKETS: &[&str] = &["/var/run/docker.sock", "/run/docker.sock"];

/// Warn about every risky setting of `services` (validated from `root`).
pub(super) fn check(r: &mut Reader<'_>, root: &Node, services: &BTreeMap<String, Service>) {
    let called_by_others = called_by_others(services);
    for (name, svc) in services {
        let Some(node) = root.get("services").and_then(|s| s.get(name)) else {
            continue;
        };
        let key = |k: &str| node.entry(k);
        let what = format!("service `{name}`");
        if svc.privileged {
            if let Some(e) = key("privileged") {
                r.warning_hint(
                    format!("{what} runs privileged: it has every capability and the host's devices"),
                    e.key_span,
                    "drop `privileged`; add only the capabilities it needs with `cap_add`, or the devices with `devices`",
                );
            }
        }
        for (mode_key, is_host) in [
            ("network_mode", svc.network_mode == Some(NetworkMode::Host)),
            ("pid", svc.pid.as_deref() == Some("host")),
            ("ipc", svc.ipc.as_deref() == Some("host")),
        ] {
            if let (true, Some(e)) = (is_host, key(mode_key)) {
                r.warning_hint(
                    format!(
                        "{what} shares the host's {} namespace (`{mode_key}: host`)",
                        namespace_noun(mode_key)
                    ),
                    e.value.span,
                    "leave it out: the service then gets its own namespace",
                );
            }
        }
        if let Some(e) = key("cap_add") {
            for item in items(&e.value) {
                let Some(cap) = item.scalar_text() else {
                    continue;
                };
                let bare = cap.trim_start_matches("CAP_").to_ascii_uppercase();
                if POWERFUL_CAPABILITIES.contains(&bare.as_str()) {
                    r.warning_hint(
                        format!("{what} adds the capability `{cap}`, which reaches beyond the container"),
                        item.span,
                        "add only what the service needs; most need none once `cap_drop: [ALL]` is tested",
                    );
                }
            }
        }
        if let Some(e) = key("security_opt") {
            for item in items(&e.value) {
                let Some(opt) = item.scalar_text() else {
                    continue;
                };
                let unconfined = opt.split_once([':', '=']).is_some_and(|(kind, value)| {
                    matches!(kind, "seccomp" | "apparmor" | "label")
                        && matches!(value, "unconfined" | "disable")
                });
                if unconfined {
                    r.warning_hint(
                        format!("{what} switches confinement off (`{opt}`)"),
                        item.span,
                        "keep the engine's default seccomp and AppArmor profiles",
                    );
                }
            }
        }
        if let Some(e) = key("volumes") {
            for item in items(&e.value) {
                if let Some(source) = bind_source(item) {
                    if ENGINE_SOCKETS.contains(&source.trim_end_matches('/')) {
                        r.warning_hint(
                            format!("{what} mounts the Docker engine's socket `{source}`: whoever controls the container controls the host"),
                            item.span,
                            "give the service no engine access; if it must watch containers, use a read-only proxy that allows only the calls it needs",
                        );
                    }
                }
            }
        }
        if let Some(e) = key("environment") {
            environment_secrets(r, &what, &e.value);
        }
        if called_by_others.contains_key(name.as_str()) {
            if let Some(e) = key("ports") {
                ports_on_every_address(r, &what, &e.value, called_by_others[name.as_str()]);
            }
        }
    }
}

fn namespace_noun(key: &str) -> &'static str {
    match key {
        "network_mode" => "network",
        "pid" => "process (PID)",
        _ => "IPC",
    }
}

/// Services that others name in `depends_on` or `links`, with one such caller each.
fn called_by_others(services: &BTreeMap<String, Service>) -> BTreeMap<&str, &str> {
    let mut out = BTreeMap::new();
    for (caller, svc) in services {
        let named = svc
            .depends_on
            .keys()
            .map(String::as_str)
            .chain(svc.links.iter().map(|l| l.split(':').next().unwrap_or(l)));
        for callee in named {
            if let Some((callee, _)) = services.get_key_value(callee) {
                out.entry(callee.as_str()).or_insert(caller.as_str());
            }
        }
    }
    out
}

fn items(node: &Node) -> &[Node] {
    match &node.value {
        Value::Seq(items) => items,
        _ => &[],
    }
}

/// The host path of a bind mount, short or long syntax.
fn bind_source(item: &Node) -> Option<String> {
    match &item.value {
        Value::Str(text) => {
            let (source, _) = text.split_once(':')?;
            source.starts_with('/').then(|| source.to_string())
        }
        Value::Map(_) => {
            let kind = item.get("type")?.scalar_text()?;
            (kind == "bind").then(|| item.get("source")?.scalar_text())?
        }
        _ => None,
    }
}

/// A variable named like a credential, given a literal value.
fn environment_secrets(r: &mut Reader<'_>, what: &str, node: &Node) {
    let entries: Vec<(String, Option<String>, super::diagnostic::Span)> = match &node.value {
        Value::Map(entries) => entries
            .iter()
            .map(|e| (e.key.clone(), e.value.scalar_text(), e.key_span))
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| {
                let text = item.scalar_text()?;
                let (key, value) = match text.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (text, None),
                };
                Some((key, value, item.span))
            })
            .collect(),
        _ => Vec::new(),
    };
    for (key, value, span) in entries {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        if looks_like_credential(&key) && !value.starts_with('/') {
            r.warning_hint(
                format!("{what} passes `{key}` as an environment value: it shows in `docker inspect`, in `msctl config` and to every process of the container"),
                span,
                format!("declare a top-level secret and mount it (`secrets: [{}]`); point the service at the file, e.g. `{key}_FILE: /run/secrets/{}`", key.to_ascii_lowercase(), key.to_ascii_lowercase()),
            );
        }
    }
}

/// `DB_PASSWORD`, `API_TOKEN`, `SECRET_KEY`, ... but not `TOKEN_TTL` or `KEY_FILE`.
fn looks_like_credential(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(['_', '-', '.']).collect();
    let last = words.last().copied().unwrap_or_default();
    if matches!(
        last,
        "FILE" | "PATH" | "DIR" | "TTL" | "URL" | "HOST" | "PORT" | "USER" | "NAME" | "ID"
    ) {
        return false;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "PASSWORD" | "PASSWD" | "PASS" | "PWD" | "SECRET" | "TOKEN" | "APIKEY" | "CREDENTIALS"
        )
    }) || last == "KEY"
}

fn ports_on_every_address(r: &mut Reader<'_>, what: &str, node: &Node, caller: &str) {
    for item in items(node) {
        let on_every_address = match &item.value {
            Value::Map(_) => {
                item.get("published").is_some()
                    && item
                        .get("host_ip")
                        .and_then(Node::scalar_text)
                        .is_none_or(|ip| ip == "0.0.0.0" || ip == "::" || ip.is_empty())
            }
            _ => match item.scalar_text() {
                Some(text) => {
                    let text = text.split('/').next().unwrap_or(&text).to_string();
                    let parts: Vec<&str> = text.rsplitn(3, ':').collect();
                    match parts.len() {
                        2 => true,
                        3 => matches!(parts[2], "" | "0.0.0.0" | "[::]" | "::"),
                        _ => false,
                    }
                }
                None => false,
            },
        };
        if on_every_address {
            r.warning_hint(
                format!("{what} publishes a port on every address of the host, but other services call it (e.g. `{caller}`)"),
                item.span,
                "services reach it by name on their network without a published port: remove it, or bind it to loopback (`127.0.0.1:HOST:CONTAINER`)",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for yes in [
            "DB_PASSWORD",
            "POSTGRES_PASSWORD",
            "API_TOKEN",
            "SECRET_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_KEY",
            "GITHUB_TOKEN",
            "MYSQL_ROOT_PASSWORD",
            "JWT_SECRET",
        ] {
            assert!(looks_like_credential(yes), "{yes}");
        }
        for no in [
            "TOKEN_TTL",
            "TOKEN_KEY_FILE",
            "PASSWORD_FILE",
            "DATABASE_PATH",
            "KEYCLOAK_URL",
            "RUST_LOG",
            "MONKEY_BUSINESS",
            "SECRET_PATH",
        ] {
            assert!(!looks_like_credential(no), "{no}");
        }
    }
}

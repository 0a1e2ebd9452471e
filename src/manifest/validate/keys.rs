//! The key tables: for each kind of object, which keys are supported, ignored with a
//! warning, or refused, and `key_tables()` naming them for docs/manifest-reference.md.

use crate::manifest::container_keys;
use crate::manifest::fields::{KeyKind, Schema};

use KeyKind::{Ignored, Supported, Unsupported};

pub(super) const TOP_LEVEL: Schema = Schema {
    keys: &[
        ("version", Supported),
        ("name", Supported),
        ("services", Supported),
        ("networks", Supported),
        ("volumes", Supported),
        ("secrets", Supported),
        ("configs", Supported),
        ("include", Supported),
        ("models", Unsupported),
    ],
};

/// The top-level `x-msctl`: msctl's project settings.
pub(super) const PROJECT_EXTENSIONS: Schema = Schema {
    keys: &[("target", Supported), ("registry", Supported)],
};

pub(super) const SERVICE: Schema = Schema {
    keys: &[
        ("image", Supported),
        ("build", Supported),
        ("command", Supported),
        ("entrypoint", Supported),
        ("environment", Supported),
        ("env_file", Supported),
        ("ports", Supported),
        ("expose", Supported),
        ("volumes", Supported),
        ("networks", Supported),
        ("depends_on", Supported),
        ("healthcheck", Supported),
        ("deploy", Supported),
        ("scale", Supported),
        ("restart", Supported),
        ("labels", Supported),
        ("user", Supported),
        ("working_dir", Supported),
        ("read_only", Supported),
        ("cap_add", Supported),
        ("cap_drop", Supported),
        ("security_opt", Supported),
        ("init", Supported),
        ("stop_signal", Supported),
        ("stop_grace_period", Supported),
        ("tmpfs", Supported),
        ("profiles", Supported),
        ("secrets", Supported),
        ("hostname", Supported),
        ("logging", Supported),
        ("stdin_open", Supported),
        ("tty", Supported),
        ("platform", Supported),
        ("pull_policy", Supported),
        ("develop", Supported),
        ("domainname", Supported),
        ("annotations", Supported),
        ("attach", Ignored),
        ("container_name", Supported),
        ("network_mode", Supported),
        ("pid", Supported),
        ("ipc", Supported),
        ("uts", Unsupported),
        ("privileged", Supported),
        ("devices", Supported),
        ("device_cgroup_rules", Unsupported),
        ("links", Supported),
        ("external_links", Unsupported),
        ("extra_hosts", Supported),
        ("dns", Supported),
        ("dns_opt", Supported),
        ("dns_search", Supported),
        ("extends", Supported),
        ("configs", Supported),
        ("volumes_from", Unsupported),
        ("ulimits", Supported),
        ("sysctls", Supported),
        ("shm_size", Supported),
        ("userns_mode", Unsupported),
        ("cgroup", Unsupported),
        ("cgroup_parent", Unsupported),
        ("isolation", Unsupported),
        ("mem_limit", Supported),
        ("mem_reservation", Unsupported),
        ("memswap_limit", Supported),
        ("mem_swappiness", Unsupported),
        ("cpus", Supported),
        ("cpu_count", Unsupported),
        ("cpu_percent", Unsupported),
        ("cpu_shares", Supported),
        ("cpu_quota", Unsupported),
        ("cpu_period", Unsupported),
        ("cpu_rt_runtime", Unsupported),
        ("cpu_rt_period", Unsupported),
        ("cpuset", Supported),
        ("blkio_config", Unsupported),
        ("oom_kill_disable", Unsupported),
        ("oom_score_adj", Supported),
        ("pids_limit", Supported),
        ("runtime", Supported),
        ("storage_opt", Unsupported),
        ("group_add", Supported),
        ("gpus", Unsupported),
        ("mac_address", Supported),
        ("post_start", Supported),
        ("pre_stop", Supported),
        ("credential_spec", Unsupported),
        ("use_api_socket", Unsupported),
        ("provider", Unsupported),
        ("label_file", Unsupported),
        ("models", Unsupported),
    ],
};

/// A service's `develop`: what `msctl watch` follows.
pub(super) const DEVELOP: Schema = Schema {
    keys: &[("watch", Supported)],
};

/// One entry of `develop.watch`.
pub(super) const WATCH_RULE: Schema = Schema {
    keys: &[
        ("action", Supported),
        ("path", Supported),
        ("target", Supported),
        ("ignore", Supported),
        ("include", Supported),
        ("initial_sync", Supported),
        ("exec", Unsupported),
    ],
};

pub(super) const BUILD: Schema = Schema {
    keys: &[
        ("context", Supported),
        ("dockerfile", Supported),
        ("args", Supported),
        ("target", Supported),
        ("labels", Supported),
        ("cache_from", Ignored),
        ("cache_to", Ignored),
        ("pull", Ignored),
        ("platforms", Ignored),
        ("no_cache", Ignored),
        ("dockerfile_inline", Supported),
        ("network", Unsupported),
        ("shm_size", Unsupported),
        ("extra_hosts", Unsupported),
        ("ssh", Unsupported),
        ("secrets", Unsupported),
        ("tags", Unsupported),
        ("isolation", Unsupported),
        ("privileged", Unsupported),
        ("additional_contexts", Unsupported),
        ("ulimits", Unsupported),
    ],
};

pub(super) const HEALTHCHECK: Schema = Schema {
    keys: &[
        ("test", Supported),
        ("interval", Supported),
        ("timeout", Supported),
        ("retries", Supported),
        ("start_period", Supported),
        ("start_interval", Supported),
        ("disable", Supported),
    ],
};

pub(super) const DEPLOY: Schema = Schema {
    keys: &[
        ("replicas", Supported),
        ("resources", Supported),
        ("restart_policy", Supported),
        ("update_config", Supported),
        ("rollback_config", Supported),
        ("mode", Supported),
        ("labels", Ignored),
        ("placement", Ignored),
        ("endpoint_mode", Ignored),
    ],
};

/// `deploy` on the Swarm target: the Swarm has service objects, nodes and virtual IPs.
pub(super) const DEPLOY_SWARM: Schema = Schema {
    keys: &[
        ("replicas", Supported),
        ("resources", Supported),
        ("restart_policy", Supported),
        ("update_config", Supported),
        ("rollback_config", Supported),
        ("mode", Supported),
        ("labels", Supported),
        ("placement", Supported),
        ("endpoint_mode", Supported),
    ],
};

pub(super) const PLACEMENT: Schema = Schema {
    keys: &[
        ("constraints", Supported),
        ("preferences", Supported),
        ("max_replicas_per_node", Supported),
    ],
};

pub(super) const RESOURCES: Schema = Schema {
    keys: &[("limits", Supported), ("reservations", Supported)],
};

pub(super) const RESOURCE_SPEC: Schema = Schema {
    keys: &[
        ("cpus", Supported),
        ("memory", Supported),
        ("pids", Unsupported),
        ("devices", Unsupported),
        ("generic_resources", Unsupported),
    ],
};

pub(super) const RESTART_POLICY: Schema = Schema {
    keys: &[
        ("condition", Supported),
        ("delay", Supported),
        ("max_attempts", Supported),
        ("window", Supported),
    ],
};

pub(super) const UPDATE_CONFIG: Schema = Schema {
    keys: &[
        ("parallelism", Supported),
        ("delay", Supported),
        ("failure_action", Supported),
        ("monitor", Supported),
        ("max_failure_ratio", Supported),
        ("order", Supported),
    ],
};

pub(super) const DEPENDS_ON: Schema = Schema {
    keys: &[
        ("condition", Supported),
        ("restart", Supported),
        ("required", Supported),
    ],
};

pub(super) const PORT_LONG: Schema = Schema {
    keys: &[
        ("target", Supported),
        ("published", Supported),
        ("host_ip", Supported),
        ("protocol", Supported),
        ("mode", Supported),
        ("name", Supported),
        ("app_protocol", Supported),
    ],
};

pub(super) const VOLUME_LONG: Schema = Schema {
    keys: &[
        ("type", Supported),
        ("source", Supported),
        ("target", Supported),
        ("read_only", Supported),
        ("bind", Supported),
        ("volume", Supported),
        ("tmpfs", Supported),
        ("consistency", Ignored),
        ("image", Unsupported),
    ],
};

pub(super) const SERVICE_NETWORK: Schema = Schema {
    keys: &[
        ("aliases", Supported),
        ("ipv4_address", Supported),
        ("ipv6_address", Supported),
        ("link_local_ips", Unsupported),
        ("mac_address", Unsupported),
        ("driver_opts", Unsupported),
        ("priority", Ignored),
        ("gw_priority", Ignored),
        ("interface_name", Unsupported),
    ],
};

pub(super) const SERVICE_SECRET: Schema = Schema {
    keys: &[
        ("source", Supported),
        ("target", Supported),
        ("uid", Ignored),
        ("gid", Ignored),
        ("mode", Ignored),
    ],
};

pub(super) const NETWORK: Schema = Schema {
    keys: &[
        ("name", Supported),
        ("driver", Supported),
        ("external", Supported),
        ("internal", Supported),
        ("labels", Supported),
        ("attachable", Supported),
        ("driver_opts", Supported),
        ("ipam", Supported),
        ("enable_ipv6", Supported),
        ("enable_ipv4", Unsupported),
    ],
};

pub(super) const VOLUME: Schema = Schema {
    keys: &[
        ("name", Supported),
        ("driver", Supported),
        ("driver_opts", Supported),
        ("external", Supported),
        ("labels", Supported),
    ],
};

pub(super) const SECRET: Schema = Schema {
    keys: &[
        ("file", Supported),
        ("environment", Supported),
        ("name", Ignored),
        ("external", Unsupported),
        ("content", Unsupported),
        ("driver", Unsupported),
        ("driver_opts", Unsupported),
        ("template_driver", Unsupported),
        ("labels", Ignored),
    ],
};

pub(super) const CONFIG: Schema = Schema {
    keys: &[
        ("file", Supported),
        ("content", Supported),
        ("environment", Supported),
        ("name", Ignored),
        ("labels", Ignored),
        ("external", Unsupported),
        ("template_driver", Unsupported),
    ],
};

pub(super) const SERVICE_CONFIG: Schema = Schema {
    keys: &[
        ("source", Supported),
        ("target", Supported),
        ("uid", Ignored),
        ("gid", Ignored),
        ("mode", Ignored),
    ],
};

pub(super) const IPAM: Schema = Schema {
    keys: &[
        ("driver", Supported),
        ("config", Supported),
        ("options", Supported),
    ],
};

pub(super) const IPAM_POOL: Schema = Schema {
    keys: &[
        ("subnet", Supported),
        ("ip_range", Supported),
        ("gateway", Supported),
        ("aux_addresses", Supported),
    ],
};

pub(super) const EXTENSIONS: Schema = Schema {
    keys: &[
        ("probe", Supported),
        ("build", Supported),
        ("autoscale", Supported),
    ],
};

pub(super) const AUTOSCALE: Schema = Schema {
    keys: &[
        ("min", Supported),
        ("max", Supported),
        ("cpu_percent", Supported),
        ("scale_up_cooldown", Supported),
        ("scale_down_cooldown", Supported),
    ],
};

pub(super) const PROBE: Schema = Schema {
    keys: &[
        ("http", Supported),
        ("tcp", Supported),
        ("interval", Supported),
        ("timeout", Supported),
        ("failure_threshold", Supported),
    ],
};

pub(super) const PROBE_HTTP: Schema = Schema {
    keys: &[("port", Supported), ("path", Supported)],
};

pub(super) const PROBE_TCP: Schema = Schema {
    keys: &[("port", Supported)],
};

pub(super) const EXT_BUILD: Schema = Schema {
    keys: &[("cargo", Supported)],
};

pub(super) const CARGO_BUILD: Schema = Schema {
    keys: &[
        ("package", Supported),
        ("bin", Supported),
        ("profile", Supported),
        ("features", Supported),
        ("workspace", Supported),
        ("files", Supported),
    ],
};

/// Every key table with the name docs/manifest-reference.md gives it, so a test can hold
/// the reference and the code to the same status for each key.
pub fn key_tables() -> Vec<(&'static str, &'static Schema)> {
    let mut tables: Vec<(&'static str, &'static Schema)> = vec![
        ("top level", &TOP_LEVEL),
        ("x-msctl (top level)", &PROJECT_EXTENSIONS),
        ("services.*", &SERVICE),
        ("services.*.build", &BUILD),
        ("services.*.healthcheck", &HEALTHCHECK),
        ("services.*.develop", &DEVELOP),
        ("services.*.develop.watch[]", &WATCH_RULE),
        ("services.*.deploy", &DEPLOY),
        ("services.*.deploy (target swarm)", &DEPLOY_SWARM),
        ("services.*.deploy.placement (target swarm)", &PLACEMENT),
        ("services.*.deploy.resources", &RESOURCES),
        (
            "services.*.deploy.resources.limits / reservations",
            &RESOURCE_SPEC,
        ),
        ("services.*.deploy.restart_policy", &RESTART_POLICY),
        (
            "services.*.deploy.update_config / rollback_config",
            &UPDATE_CONFIG,
        ),
        ("services.*.depends_on.*", &DEPENDS_ON),
        ("services.*.ports[] (long form)", &PORT_LONG),
        ("services.*.volumes[] (long form)", &VOLUME_LONG),
        ("services.*.networks.*", &SERVICE_NETWORK),
        ("services.*.secrets[] (long form)", &SERVICE_SECRET),
        ("services.*.configs[] (long form)", &SERVICE_CONFIG),
        ("services.*.x-msctl", &EXTENSIONS),
        ("services.*.x-msctl.probe", &PROBE),
        ("services.*.x-msctl.probe.http", &PROBE_HTTP),
        ("services.*.x-msctl.probe.tcp", &PROBE_TCP),
        ("services.*.x-msctl.build", &EXT_BUILD),
        ("services.*.x-msctl.autoscale", &AUTOSCALE),
        ("services.*.x-msctl.build.cargo", &CARGO_BUILD),
        ("networks.*", &NETWORK),
        ("networks.*.ipam", &IPAM),
        ("networks.*.ipam.config[]", &IPAM_POOL),
        ("volumes.*", &VOLUME),
        ("secrets.*", &SECRET),
        ("configs.*", &CONFIG),
    ];
    tables.extend(container_keys::key_tables());
    tables
}

#[cfg(test)]
mod reference_tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The `| `key` | status | why |` rows under each `### `name`` heading of the
    /// reference's key-status section.
    fn documented() -> BTreeMap<String, BTreeMap<String, String>> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/manifest-reference.md");
        let text = std::fs::read_to_string(path).expect("docs/manifest-reference.md");
        let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(title) = line.strip_prefix("### `") {
                current = title.strip_suffix('`').map(str::to_string);
                continue;
            }
            if line.starts_with('#') {
                current = None;
                continue;
            }
            let (Some(table), Some(row)) = (&current, line.strip_prefix("| `")) else {
                continue;
            };
            let cells: Vec<&str> = row.split(" | ").collect();
            let key = cells[0].trim_end_matches('`').to_string();
            let status = cells
                .get(1)
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            out.entry(table.clone()).or_default().insert(key, status);
        }
        out
    }

    #[test]
    fn the_reference_gives_every_key_the_status_the_code_gives_it() {
        let documented = documented();
        let mut problems = Vec::new();
        for (name, schema) in key_tables() {
            let Some(rows) = documented.get(name) else {
                problems.push(format!("no `### `{name}`` table in the reference"));
                continue;
            };
            for (key, kind) in schema.keys {
                let expected = match kind {
                    KeyKind::Supported => "supported",
                    KeyKind::Ignored => "warned",
                    KeyKind::Unsupported => "refused",
                };
                match rows.get(*key) {
                    Some(status) if status == expected => {}
                    Some(status) => problems.push(format!(
                        "{name}: `{key}` is {expected} in the code, {status} in the reference"
                    )),
                    None => problems.push(format!("{name}: `{key}` is missing from the reference")),
                }
            }
            for key in rows.keys() {
                if !schema.keys.iter().any(|(k, _)| k == key) {
                    problems.push(format!(
                        "{name}: the reference lists `{key}`, the code does not"
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

//! From the merged, interpolated YAML tree to the validated [`Project`], collecting every
//! problem in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::container_keys;
use super::diagnostic::{Diagnostics, Span};
use super::dotenv;
use super::fields::{did_you_mean, KeyKind, Reader, Schema};
use super::interpolate::Variables;
use super::model::*;
use super::ports::{parse_expose, parse_port_long, parse_port_short};
use super::risks;
use super::yaml::{Entry, Node, Value};

use KeyKind::{Ignored, Supported, Unsupported};

const TOP_LEVEL: Schema = Schema {
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
const PROJECT_EXTENSIONS: Schema = Schema {
    keys: &[("target", Supported), ("registry", Supported)],
};

const SERVICE: Schema = Schema {
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
        ("develop", Ignored),
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

const BUILD: Schema = Schema {
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

const HEALTHCHECK: Schema = Schema {
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

const DEPLOY: Schema = Schema {
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
const DEPLOY_SWARM: Schema = Schema {
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

const PLACEMENT: Schema = Schema {
    keys: &[
        ("constraints", Supported),
        ("preferences", Supported),
        ("max_replicas_per_node", Supported),
    ],
};

const RESOURCES: Schema = Schema {
    keys: &[("limits", Supported), ("reservations", Supported)],
};

const RESOURCE_SPEC: Schema = Schema {
    keys: &[
        ("cpus", Supported),
        ("memory", Supported),
        ("pids", Unsupported),
        ("devices", Unsupported),
        ("generic_resources", Unsupported),
    ],
};

const RESTART_POLICY: Schema = Schema {
    keys: &[
        ("condition", Supported),
        ("delay", Supported),
        ("max_attempts", Supported),
        ("window", Supported),
    ],
};

const UPDATE_CONFIG: Schema = Schema {
    keys: &[
        ("parallelism", Supported),
        ("delay", Supported),
        ("failure_action", Supported),
        ("monitor", Supported),
        ("max_failure_ratio", Supported),
        ("order", Supported),
    ],
};

const DEPENDS_ON: Schema = Schema {
    keys: &[
        ("condition", Supported),
        ("restart", Supported),
        ("required", Supported),
    ],
};

const PORT_LONG: Schema = Schema {
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

const VOLUME_LONG: Schema = Schema {
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

const SERVICE_NETWORK: Schema = Schema {
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

const SERVICE_SECRET: Schema = Schema {
    keys: &[
        ("source", Supported),
        ("target", Supported),
        ("uid", Ignored),
        ("gid", Ignored),
        ("mode", Ignored),
    ],
};

const NETWORK: Schema = Schema {
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

const VOLUME: Schema = Schema {
    keys: &[
        ("name", Supported),
        ("driver", Supported),
        ("driver_opts", Supported),
        ("external", Supported),
        ("labels", Supported),
    ],
};

const SECRET: Schema = Schema {
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

const CONFIG: Schema = Schema {
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

const SERVICE_CONFIG: Schema = Schema {
    keys: &[
        ("source", Supported),
        ("target", Supported),
        ("uid", Ignored),
        ("gid", Ignored),
        ("mode", Ignored),
    ],
};

const IPAM: Schema = Schema {
    keys: &[
        ("driver", Supported),
        ("config", Supported),
        ("options", Supported),
    ],
};

const IPAM_POOL: Schema = Schema {
    keys: &[
        ("subnet", Supported),
        ("ip_range", Supported),
        ("gateway", Supported),
        ("aux_addresses", Supported),
    ],
};

const EXTENSIONS: Schema = Schema {
    keys: &[
        ("probe", Supported),
        ("build", Supported),
        ("autoscale", Supported),
    ],
};

const AUTOSCALE: Schema = Schema {
    keys: &[
        ("min", Supported),
        ("max", Supported),
        ("cpu_percent", Supported),
        ("scale_up_cooldown", Supported),
        ("scale_down_cooldown", Supported),
    ],
};

const PROBE: Schema = Schema {
    keys: &[
        ("http", Supported),
        ("tcp", Supported),
        ("interval", Supported),
        ("timeout", Supported),
        ("failure_threshold", Supported),
    ],
};

const PROBE_HTTP: Schema = Schema {
    keys: &[("port", Supported), ("path", Supported)],
};

const PROBE_TCP: Schema = Schema {
    keys: &[("port", Supported)],
};

const EXT_BUILD: Schema = Schema {
    keys: &[("cargo", Supported)],
};

const CARGO_BUILD: Schema = Schema {
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

/// The largest replica count accepted: more on one machine is a typo, not a plan.
pub const MAX_REPLICAS: i64 = 1000;

/// What validation needs besides the tree.
pub struct Inputs<'a> {
    /// Directory relative paths are resolved against (the project directory).
    pub working_dir: &'a Path,
    pub project_name: String,
    pub vars: &'a Variables,
    /// Profiles enabled on the command line or by `MSCTL_PROFILES`.
    pub profiles: &'a [String],
    /// The target `--target` or `MSCTL_TARGET` chose, over the manifest's `x-msctl.target`.
    pub target: Option<Target>,
}

/// Validate the merged manifest. Returns the project only when there is no error.
pub fn validate(root: &Node, inputs: &Inputs<'_>, diags: &mut Diagnostics) -> Option<Project> {
    let mut r = Reader { diags };
    if !matches!(root.value, Value::Map(_)) {
        r.error_hint(
            format!(
                "a manifest must be a mapping with a `services` key, found {}",
                root.type_name()
            ),
            root.span,
            "start the file with `services:`",
        );
        return None;
    }
    TOP_LEVEL.check(root, "the top level", r.diags);
    let (target, registry) = project_extensions(&mut r, root, inputs.target);

    let volumes = root
        .get("volumes")
        .map(|n| named_objects(&mut r, n, "volumes", volume))
        .unwrap_or_default();
    let networks = root
        .get("networks")
        .map(|n| named_objects(&mut r, n, "networks", network))
        .unwrap_or_default();
    let secrets: BTreeMap<String, Secret> = root
        .get("secrets")
        .map(|n| {
            named_objects(&mut r, n, "secrets", |r, name, node| {
                secret(r, name, node, inputs)
            })
        })
        .unwrap_or_default();

    let configs: BTreeMap<String, Config> = root
        .get("configs")
        .map(|n| {
            named_objects(&mut r, n, "configs", |r, name, node| {
                config(r, name, node, inputs)
            })
        })
        .unwrap_or_default();

    let refs = References {
        volumes: volumes.keys().cloned().collect(),
        networks: networks.keys().cloned().collect(),
        secrets: secrets.keys().cloned().collect(),
        configs: configs.keys().cloned().collect(),
        target,
    };

    let mut services = BTreeMap::new();
    let mut spans: BTreeMap<String, ServiceSpans> = BTreeMap::new();
    match root.entry("services") {
        None => r.error_hint(
            "the manifest defines no services",
            root.span,
            "add a `services:` mapping with at least one service",
        ),
        Some(entry) => {
            if let Some(entries) = r.map(&entry.value, "`services`") {
                if entries.is_empty() {
                    r.error_hint(
                        "`services` is empty",
                        entry.key_span,
                        "define at least one service",
                    );
                }
                for e in entries {
                    if !valid_name(&e.key) {
                        r.error_hint(
                            format!("`{}` is not a valid service name", e.key),
                            e.key_span,
                            "service names use letters, digits, `_`, `.` and `-`, and start with a letter or digit",
                        );
                        continue;
                    }
                    if let Some((svc, svc_spans)) = service(&mut r, e, inputs, &refs) {
                        spans.insert(e.key.clone(), svc_spans);
                        services.insert(e.key.clone(), svc);
                    }
                }
            }
        }
    }

    check_dependencies(&mut r, &services, &spans);
    check_published_ports(&mut r, &services, &spans);
    check_container_settings(&mut r, &services, &spans);
    risks::check(&mut r, root, &services);
    let services = apply_profiles(&mut r, services, &spans, inputs.profiles);

    if r.diags.has_errors() {
        return None;
    }
    Some(Project {
        name: inputs.project_name.clone(),
        target,
        registry,
        working_dir: inputs.working_dir.to_path_buf(),
        services,
        networks,
        volumes,
        secrets,
        configs,
    })
}

struct References {
    volumes: BTreeSet<String>,
    networks: BTreeSet<String>,
    secrets: BTreeSet<String>,
    configs: BTreeSet<String>,
    /// Where the project runs: some keys mean something on a Swarm only.
    target: Target,
}

/// The top-level `x-msctl`: the project's target (`--target`/`MSCTL_TARGET` when
/// given, else `x-msctl.target`, else the local engine) and its registry.
fn project_extensions(
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

/// Where things were written, for checks that span services.
#[derive(Default)]
struct ServiceSpans {
    name: Option<Span>,
    depends_on: BTreeMap<String, Span>,
    ports: Vec<Span>,
    /// Where each key of the service was written.
    keys: BTreeMap<String, Span>,
    /// Where each entry of `links` was written.
    links: Vec<Span>,
}

/// Compose's rule for service, volume and network names.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn named_objects<T>(
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

fn volume(r: &mut Reader<'_>, name: &str, node: &Node) -> Option<Volume> {
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

fn network(r: &mut Reader<'_>, name: &str, node: &Node) -> Option<Network> {
    let what = format!("network `{name}`");
    r.map(node, &what)?;
    let mut network = Network::default();
    for e in NETWORK.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        match e.key.as_str() {
            "name" => network.name = r.text(&e.value, &field),
            "driver" => {
                network.driver = r.one_of(
                    &e.value,
                    &field,
                    &["bridge", "overlay", "host", "none", "macvlan", "ipvlan"],
                )
            }
            "external" => network.external = external(r, &e.value, &field)?,
            "internal" => network.internal = r.bool(&e.value, &field)?,
            "labels" => network.labels = labels(r, &e.value, &field)?,
            "attachable" => network.attachable = r.bool(&e.value, &field)?,
            "enable_ipv6" => network.enable_ipv6 = r.bool(&e.value, &field)?,
            "driver_opts" => network.driver_opts = labels(r, &e.value, &field)?,
            "ipam" => network.ipam = ipam(r, &e.value, &field),
            _ => {}
        }
    }
    Some(network)
}

fn ipam(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Ipam> {
    r.map(node, what)?;
    let mut ipam = Ipam::default();
    for e in IPAM.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        match e.key.as_str() {
            "driver" => ipam.driver = r.text(&e.value, &field),
            "options" => ipam.options = labels(r, &e.value, &field)?,
            "config" => {
                let Value::Seq(items) = &e.value.value else {
                    r.error(
                        format!("{field} must be a list, found {}", e.value.type_name()),
                        e.value.span,
                    );
                    continue;
                };
                for item in items {
                    let where_ = format!("an address pool of {what}");
                    r.map(item, &where_)?;
                    let mut pool = IpamPool::default();
                    for p in IPAM_POOL.check(item, &where_, r.diags) {
                        let pf = format!("`{}` of {where_}", p.key);
                        match p.key.as_str() {
                            "subnet" => pool.subnet = cidr(r, &p.value, &pf),
                            "ip_range" => pool.ip_range = cidr(r, &p.value, &pf),
                            "gateway" => pool.gateway = ip_address(r, &p.value, &pf),
                            "aux_addresses" => pool.aux_addresses = labels(r, &p.value, &pf)?,
                            _ => {}
                        }
                    }
                    ipam.config.push(pool);
                }
            }
            _ => {}
        }
    }
    Some(ipam)
}

/// An IPv4 or IPv6 address.
fn ip_address(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<String> {
    let text = r.text(node, what)?;
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Some(text);
    }
    r.error_hint(
        format!("{what} `{text}` is not an IP address"),
        node.span,
        "write an address like `172.28.0.5` or `2001:db8::5`",
    );
    None
}

/// A subnet in CIDR notation.
fn cidr(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<String> {
    let text = r.text(node, what)?;
    let ok = match text.split_once('/') {
        Some((ip, bits)) => match (ip.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
            (Ok(std::net::IpAddr::V4(_)), Ok(bits)) => bits <= 32,
            (Ok(std::net::IpAddr::V6(_)), Ok(bits)) => bits <= 128,
            _ => false,
        },
        None => false,
    };
    if ok {
        return Some(text);
    }
    r.error_hint(
        format!("{what} `{text}` is not a subnet"),
        node.span,
        "write ADDRESS/BITS, e.g. `172.28.0.0/16`",
    );
    None
}

/// `external: true`, or the legacy `external: {name: x}`.
fn external(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<bool> {
    match &node.value {
        Value::Map(_) => Some(true),
        _ => r.bool(node, what),
    }
}

fn labels(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<BTreeMap<String, String>> {
    Some(
        r.string_map(node, what)?
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect(),
    )
}

fn secret(r: &mut Reader<'_>, name: &str, node: &Node, inputs: &Inputs<'_>) -> Option<Secret> {
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

fn config(r: &mut Reader<'_>, name: &str, node: &Node, inputs: &Inputs<'_>) -> Option<Config> {
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

fn service(
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
fn image_reference_ok(image: &str) -> bool {
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

fn mount(
    r: &mut Reader<'_>,
    item: &Node,
    what: &str,
    inputs: &Inputs<'_>,
    refs: &References,
) -> Option<Mount> {
    let mount = match &item.value {
        Value::Str(text) => {
            let parts: Vec<&str> = text.split(':').collect();
            let (source, target, mode) = match parts.as_slice() {
                [target] => (None, *target, None),
                [source, target] => (Some(*source), *target, None),
                [source, target, mode] => (Some(*source), *target, Some(*mode)),
                _ => {
                    r.error_hint(
                        format!("volume `{text}` has too many `:`"),
                        item.span,
                        "write `[SOURCE:]TARGET[:MODE]`, e.g. `data:/var/lib/data` or `./conf:/etc/app:ro`",
                    );
                    return None;
                }
            };
            let mut read_only = false;
            if let Some(mode) = mode {
                for flag in mode.split(',') {
                    match flag {
                        "ro" => read_only = true,
                        "rw" | "z" | "Z" | "nocopy" | "cached" | "delegated" | "consistent" => {}
                        other => {
                            r.error_hint(
                                format!("`{other}` in volume `{text}` is not a mount mode"),
                                item.span,
                                "use `ro` or `rw`",
                            );
                            return None;
                        }
                    }
                }
            }
            let kind = match source {
                None => MountType::Volume,
                Some(s) if s.starts_with(['.', '/', '~']) => MountType::Bind,
                Some(_) => MountType::Volume,
            };
            Mount {
                kind,
                source: source.map(str::to_string),
                target: target.to_string(),
                read_only,
            }
        }
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

fn service_networks(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    refs: &References,
) -> Option<BTreeMap<String, ServiceNetwork>> {
    let field = format!("`networks` of {what}");
    let mut out = BTreeMap::new();
    let check_ref = |r: &mut Reader<'_>, name: &str, span: Span| -> bool {
        if name == "default" || refs.networks.contains(name) {
            return true;
        }
        let hint = match did_you_mean(name, refs.networks.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "declare it under the top-level `networks:`, or use `default`".to_string(),
        };
        r.error_hint(
            format!("{what} joins network `{name}`, which is not declared"),
            span,
            hint,
        );
        false
    };
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                let name = r.string(item, &format!("an item of {field}"))?;
                if check_ref(r, &name, item.span) {
                    out.insert(name, ServiceNetwork::default());
                }
            }
        }
        Value::Map(entries) => {
            for e in entries {
                if !check_ref(r, &e.key, e.key_span) {
                    continue;
                }
                let mut net = ServiceNetwork::default();
                if matches!(e.value.value, Value::Map(_)) {
                    let where_ = format!("network `{}` of {what}", e.key);
                    for f in SERVICE_NETWORK.check(&e.value, &where_, r.diags) {
                        let ff = format!("`{}` of {where_}", f.key);
                        match f.key.as_str() {
                            "aliases" => {
                                net.aliases = r.strings(&f.value, &ff, false).unwrap_or_default()
                            }
                            "ipv4_address" => net.ipv4_address = ip_address(r, &f.value, &ff),
                            "ipv6_address" => net.ipv6_address = ip_address(r, &f.value, &ff),
                            _ => {}
                        }
                    }
                } else if e.value.value != Value::Null {
                    r.error(
                        format!(
                            "network `{}` of {what} must be a mapping or empty, found {}",
                            e.key,
                            e.value.type_name()
                        ),
                        e.value.span,
                    );
                }
                out.insert(e.key.clone(), net);
            }
        }
        _ => {
            r.error(
                format!(
                    "{field} must be a list or a mapping, found {}",
                    node.type_name()
                ),
                node.span,
            );
            return None;
        }
    }
    Some(out)
}

fn depends_on(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    spans: &mut ServiceSpans,
) -> Option<BTreeMap<String, Dependency>> {
    let field = format!("`depends_on` of {what}");
    let mut out = BTreeMap::new();
    let default = || Dependency {
        condition: Condition::ServiceStarted,
        restart: false,
        required: true,
    };
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                let name = r.string(item, &format!("an item of {field}"))?;
                spans.depends_on.insert(name.clone(), item.span);
                out.insert(name, default());
            }
        }
        Value::Map(entries) => {
            for e in entries {
                spans.depends_on.insert(e.key.clone(), e.key_span);
                let mut dep = default();
                let where_ = format!("dependency `{}` of {what}", e.key);
                if !matches!(e.value.value, Value::Map(_) | Value::Null) {
                    r.error(
                        format!("{where_} must be a mapping, found {}", e.value.type_name()),
                        e.value.span,
                    );
                    continue;
                }
                for f in DEPENDS_ON.check(&e.value, &where_, r.diags) {
                    let ff = format!("`{}` of {where_}", f.key);
                    match f.key.as_str() {
                        "condition" => {
                            if let Some(c) = r.one_of(
                                &f.value,
                                &ff,
                                &[
                                    "service_started",
                                    "service_healthy",
                                    "service_completed_successfully",
                                ],
                            ) {
                                dep.condition = match c.as_str() {
                                    "service_healthy" => Condition::ServiceHealthy,
                                    "service_completed_successfully" => {
                                        Condition::ServiceCompletedSuccessfully
                                    }
                                    _ => Condition::ServiceStarted,
                                };
                            }
                        }
                        "restart" => dep.restart = r.bool(&f.value, &ff).unwrap_or_default(),
                        "required" => dep.required = r.bool(&f.value, &ff).unwrap_or(true),
                        _ => {}
                    }
                }
                out.insert(e.key.clone(), dep);
            }
        }
        _ => {
            r.error(
                format!(
                    "{field} must be a list or a mapping, found {}",
                    node.type_name()
                ),
                node.span,
            );
            return None;
        }
    }
    Some(out)
}

fn healthcheck(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Healthcheck> {
    let what = format!("`healthcheck` of {what}");
    r.map(node, &what)?;
    let mut hc = Healthcheck {
        test: Vec::new(),
        interval: None,
        timeout: None,
        retries: None,
        start_period: None,
        start_interval: None,
    };
    let mut disabled = false;
    for e in HEALTHCHECK.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "test" => match &v.value {
                Value::Str(s) => hc.test = vec!["CMD-SHELL".to_string(), s.clone()],
                Value::Seq(_) => {
                    let items = r.strings(v, &field, false)?;
                    match items.first().map(String::as_str) {
                        Some("CMD") | Some("CMD-SHELL") if items.len() >= 2 => hc.test = items,
                        Some("NONE") => hc.test = items,
                        Some("CMD") | Some("CMD-SHELL") => r.error_hint(
                            format!("{field} names no command"),
                            v.span,
                            "add the command after `CMD`, e.g. `[\"CMD\", \"/app\", \"healthcheck\"]`",
                        ),
                        _ => r.error_hint(
                            format!("{field} must start with `CMD`, `CMD-SHELL` or `NONE`"),
                            v.span,
                            "write `[\"CMD\", \"prog\", \"arg\"]`, `[\"CMD-SHELL\", \"shell command\"]`, or a plain string for a shell command",
                        ),
                    }
                }
                _ => {
                    r.error(
                        format!(
                            "{field} must be a string or a list, found {}",
                            v.type_name()
                        ),
                        v.span,
                    );
                }
            },
            "interval" => hc.interval = r.duration(v, &field),
            "timeout" => hc.timeout = r.duration(v, &field),
            "start_period" => hc.start_period = r.duration(v, &field),
            "start_interval" => hc.start_interval = r.duration(v, &field),
            "retries" => hc.retries = r.int(v, &field, 0, 1_000_000).map(|n| n as u32),
            "disable" => disabled = r.bool(v, &field).unwrap_or_default(),
            _ => {}
        }
    }
    if disabled {
        hc.test = vec!["NONE".to_string()];
    } else if hc.test.is_empty() {
        // Without a test, the image's own HEALTHCHECK applies with these timings.
        return Some(hc);
    }
    Some(hc)
}

fn deploy(r: &mut Reader<'_>, node: &Node, what: &str, target: Target) -> Option<Deploy> {
    let what = format!("`deploy` of {what}");
    r.map(node, &what)?;
    let mut deploy = Deploy::default();
    let schema = match target {
        Target::Local => &DEPLOY,
        Target::Swarm => &DEPLOY_SWARM,
    };
    for e in schema.check(node, &what, r.diags) {
        let field = field_name(&what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "replicas" => {
                if let Some(n) = replicas(r, v, &field) {
                    deploy.replicas = n;
                }
            }
            "mode" => {
                if let Some(mode) = r.one_of(v, &field, &["replicated", "global"]) {
                    if mode == "global" && target == Target::Swarm {
                        deploy.global = true;
                    } else if mode == "global" {
                        r.error_hint(
                            format!("{field} `global` is not supported on one machine"),
                            v.span,
                            "use `replicated` with `replicas: 1`",
                        );
                    }
                }
            }
            "resources" => {
                r.map(v, &field)?;
                for res in RESOURCES.check(v, &field, r.diags) {
                    let where_ = field_name(&what, &format!("resources.{}", res.key));
                    let spec = resource_spec(r, &res.value, &where_).unwrap_or_default();
                    if res.key == "limits" {
                        deploy.resources.limits = spec;
                    } else {
                        deploy.resources.reservations = spec;
                    }
                }
            }
            "restart_policy" => deploy.restart_policy = restart_policy(r, v, &field),
            "update_config" => deploy.update_config = update_config(r, v, &field),
            "rollback_config" => deploy.rollback_config = update_config(r, v, &field),
            "labels" => deploy.labels = labels(r, v, &field).unwrap_or_default(),
            "endpoint_mode" => {
                deploy.endpoint_mode = match r.one_of(v, &field, &["vip", "dnsrr"]).as_deref() {
                    Some("vip") => Some(EndpointMode::Vip),
                    Some("dnsrr") => Some(EndpointMode::Dnsrr),
                    _ => None,
                }
            }
            "placement" => deploy.placement = placement(r, v, &field).unwrap_or_default(),
            _ => {}
        }
    }
    Some(deploy)
}

/// The items of a list, or an error naming what `node` is instead.
fn list<'n>(r: &mut Reader<'_>, node: &'n Node, what: &str) -> Option<&'n [Node]> {
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

/// `deploy.placement` (Swarm target).
fn placement(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<Placement> {
    r.map(node, what)?;
    let mut placement = Placement::default();
    for e in PLACEMENT.check(node, what, r.diags) {
        let field = format!("`{}` of {what}", e.key);
        match e.key.as_str() {
            "constraints" => {
                let Some(items) = list(r, &e.value, &field) else {
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let Some(text) = r.string(item, &format!("{field}[{i}]")) else {
                        continue;
                    };
                    if !["==", "!="].iter().any(|op| text.contains(op)) {
                        r.error_hint(
                            format!("{field}[{i}] `{text}` is not a constraint"),
                            item.span,
                            "write ATTRIBUTE==VALUE or ATTRIBUTE!=VALUE, e.g. `node.role==worker` or `node.labels.zone==a`",
                        );
                        continue;
                    }
                    placement.constraints.push(text);
                }
            }
            "preferences" => {
                let Some(items) = list(r, &e.value, &field) else {
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    let where_ = format!("{field}[{i}]");
                    let Some(entries) = r.map(item, &where_) else {
                        continue;
                    };
                    for pref in entries {
                        if pref.key != "spread" {
                            r.error_hint(
                                format!("unknown placement preference `{}` in {where_}", pref.key),
                                pref.key_span,
                                "the Swarm knows one preference: `spread: node.labels.NAME`",
                            );
                        } else if let Some(text) = r.string(&pref.value, &where_) {
                            placement.preferences.push(text);
                        }
                    }
                }
            }
            "max_replicas_per_node" => {
                placement.max_replicas_per_node =
                    r.int(&e.value, &field, 1, MAX_REPLICAS).map(|n| n as u32);
            }
            _ => {}
        }
    }
    Some(placement)
}

fn replicas(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<u32> {
    match &node.value {
        Value::Int(n) if *n < 0 => {
            r.error_hint(
                format!("{what} is {n}, a negative count"),
                node.span,
                "use 0 or more",
            );
            None
        }
        Value::Int(n) if *n > MAX_REPLICAS => {
            r.error_hint(
                format!("{what} is {n}, more than msctl runs on one machine"),
                node.span,
                format!(
                    "use at most {MAX_REPLICAS}; beyond one machine, hand off to a cluster engine"
                ),
            );
            None
        }
        _ => r.int(node, what, 0, MAX_REPLICAS).map(|n| n as u32),
    }
}

fn resource_spec(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<ResourceSpec> {
    r.map(node, what)?;
    let mut spec = ResourceSpec::default();
    for e in RESOURCE_SPEC.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        match e.key.as_str() {
            "cpus" => {
                if let Some(cpus) = r.float(&e.value, &field) {
                    if cpus <= 0.0 || cpus > 1024.0 {
                        r.error_hint(
                            format!("{field} is {cpus}, out of range"),
                            e.value.span,
                            "use a positive fraction of CPUs like `0.5` or `2`",
                        );
                    } else {
                        spec.cpus = Some(cpus);
                    }
                }
            }
            "memory" => {
                if let Some(bytes) = r.bytes(&e.value, &field) {
                    if bytes < 6 << 20 {
                        r.error_hint(
                            format!("{field} is {bytes} bytes, below Docker's minimum of 6 MiB"),
                            e.value.span,
                            "write the unit, e.g. `64m` rather than `64`",
                        );
                    } else {
                        spec.memory = Some(bytes);
                    }
                }
            }
            _ => {}
        }
    }
    Some(spec)
}

fn restart_policy(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<RestartPolicy> {
    r.map(node, what)?;
    let mut policy = RestartPolicy {
        condition: RestartCondition::Any,
        delay: None,
        max_attempts: None,
        window: None,
    };
    for e in RESTART_POLICY.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        match e.key.as_str() {
            "condition" => {
                policy.condition = match r
                    .one_of(&e.value, &field, &["none", "on-failure", "any"])?
                    .as_str()
                {
                    "none" => RestartCondition::None,
                    "on-failure" => RestartCondition::OnFailure,
                    _ => RestartCondition::Any,
                }
            }
            "delay" => policy.delay = r.duration(&e.value, &field),
            "max_attempts" => {
                policy.max_attempts = r.int(&e.value, &field, 0, 1_000_000).map(|n| n as u32)
            }
            "window" => policy.window = r.duration(&e.value, &field),
            _ => {}
        }
    }
    Some(policy)
}

fn update_config(r: &mut Reader<'_>, node: &Node, what: &str) -> Option<UpdateConfig> {
    r.map(node, what)?;
    let mut cfg = UpdateConfig {
        parallelism: 1,
        delay: Duration::ZERO,
        failure_action: FailureAction::Pause,
        monitor: Duration::from_secs(5),
        max_failure_ratio: 0.0,
        order: UpdateOrder::StopFirst,
    };
    for e in UPDATE_CONFIG.check(node, what, r.diags) {
        let field = field_name(what, &e.key);
        let v = &e.value;
        match e.key.as_str() {
            "parallelism" => {
                cfg.parallelism = r.int(v, &field, 0, MAX_REPLICAS).map_or(1, |n| n as u32)
            }
            "delay" => cfg.delay = r.duration(v, &field).unwrap_or_default(),
            "monitor" => cfg.monitor = r.duration(v, &field).unwrap_or_default(),
            "failure_action" => {
                cfg.failure_action = match r
                    .one_of(v, &field, &["continue", "rollback", "pause"])
                    .as_deref()
                {
                    Some("continue") => FailureAction::Continue,
                    Some("rollback") => FailureAction::Rollback,
                    _ => FailureAction::Pause,
                }
            }
            "max_failure_ratio" => {
                if let Some(ratio) = r.float(v, &field) {
                    if (0.0..=1.0).contains(&ratio) {
                        cfg.max_failure_ratio = ratio;
                    } else {
                        r.error_hint(
                            format!("{field} is {ratio}, out of range"),
                            v.span,
                            "use a fraction from 0 to 1",
                        );
                    }
                }
            }
            "order" => {
                cfg.order = match r
                    .one_of(v, &field, &["stop-first", "start-first"])
                    .as_deref()
                {
                    Some("start-first") => UpdateOrder::StartFirst,
                    _ => UpdateOrder::StopFirst,
                }
            }
            _ => {}
        }
    }
    Some(cfg)
}

/// What differs between a service's `secrets` and its `configs`.
struct FileKind {
    /// `secret` or `config`.
    noun: &'static str,
    schema: Schema,
    /// Where a relative target goes.
    target_dir: &'static str,
}

impl FileKind {
    const SECRET: FileKind = FileKind {
        noun: "secret",
        schema: SERVICE_SECRET,
        target_dir: "/run/secrets/",
    };
    const CONFIG: FileKind = FileKind {
        noun: "config",
        schema: SERVICE_CONFIG,
        target_dir: "/",
    };
}

/// A service's `secrets` or `configs`: each top-level name with its absolute path in the
/// container.
fn mounted_files(
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

fn extensions(
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

/// Every `depends_on` names a service, none depends on itself, and there is no cycle.
fn check_dependencies(
    r: &mut Reader<'_>,
    services: &BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
) {
    for (name, svc) in services {
        for (dep, how) in &svc.depends_on {
            let span = spans
                .get(name)
                .and_then(|s| s.depends_on.get(dep).copied())
                .or_else(|| spans.get(name).and_then(|s| s.name));
            let Some(span) = span else { continue };
            if dep == name {
                r.error_hint(
                    format!("service `{name}` depends on itself"),
                    span,
                    "remove it from its own `depends_on`",
                );
            } else if !services.contains_key(dep) && how.required && !spans.contains_key(dep) {
                let hint = match did_you_mean(dep, services.keys().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "the services are: {}",
                        services.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                r.error_hint(
                    format!("service `{name}` depends on `{dep}`, which is not a service"),
                    span,
                    hint,
                );
            }
        }
    }
    // Depth-first search; report each cycle once, at the edge that closes it.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in services.keys() {
        let mut path: Vec<&str> = Vec::new();
        visit(start, services, spans, r, &mut path, &mut done);
    }
}

fn visit<'a>(
    name: &'a str,
    services: &'a BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
    r: &mut Reader<'_>,
    path: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
) {
    if done.contains(name) {
        return;
    }
    if let Some(pos) = path.iter().position(|p| *p == name) {
        if path.len() - pos > 1 {
            let mut cycle: Vec<&str> = path[pos..].to_vec();
            cycle.push(name);
            let last = path[path.len() - 1];
            if let Some(span) = spans.get(last).and_then(|s| s.depends_on.get(name)) {
                r.error_hint(
                    format!("dependency cycle: {}", cycle.join(" -> ")),
                    *span,
                    "services are started in dependency order, so `depends_on` must not loop: remove one of these dependencies",
                );
            }
        }
        return;
    }
    let Some(svc) = services.get(name) else {
        return;
    };
    path.push(name);
    for dep in svc.depends_on.keys() {
        if dep != name {
            if let Some((key, _)) = services.get_key_value(dep) {
                visit(key, services, spans, r, path, done);
            }
        }
    }
    path.pop();
    done.insert(name);
}

/// Two services (or two ports of one) cannot publish the same host port.
/// What one service's container settings say about the others: a fixed container name
/// is unique and has one replica; `network_mode: service:X` and `links` name services;
/// the legacy limits agree with `deploy.resources`.
fn check_container_settings(
    r: &mut Reader<'_>,
    services: &BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
) {
    let at = |name: &str, key: &str| spans.get(name).and_then(|s| s.keys.get(key)).copied();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let service_hint =
        |wanted: &str| match did_you_mean(wanted, services.keys().map(String::as_str)) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!(
                "the services are: {}",
                services.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        };
    for (name, svc) in services {
        if let (Some(container_name), Some(span)) =
            (&svc.container_name, at(name, "container_name"))
        {
            if svc.replicas() > 1 {
                r.error_hint(
                    format!(
                        "service `{name}` asks for {} replicas but names its container `{container_name}`, and a name is unique",
                        svc.replicas()
                    ),
                    span,
                    "remove `container_name`, or run one replica",
                );
            }
            if let Some(other) = names.insert(container_name, name) {
                r.error_hint(
                    format!("services `{other}` and `{name}` both name their container `{container_name}`"),
                    span,
                    "container names are unique on the engine: choose another",
                );
            }
        }
        if let (Some(mode), Some(span)) = (&svc.network_mode, at(name, "network_mode")) {
            if let Some(networks_span) = at(name, "networks") {
                r.error_hint(
                    format!("service `{name}` sets both `network_mode` and `networks`"),
                    networks_span,
                    format!("a container with `network_mode: {mode}` joins no network: keep one of them"),
                );
            }
            if let NetworkMode::Service(other) = mode {
                if other == name {
                    r.error_hint(
                        format!("service `{name}` shares its own network stack"),
                        span,
                        "name another service after `service:`",
                    );
                } else if !services.contains_key(other) && !spans.contains_key(other) {
                    r.error_hint(
                        format!("service `{name}` shares the network of `{other}`, which is not a service"),
                        span,
                        service_hint(other),
                    );
                }
            }
        }
        if let Some(links_span) = at(name, "links") {
            for (i, link) in svc.links.iter().enumerate() {
                let span = spans
                    .get(name)
                    .and_then(|s| s.links.get(i))
                    .copied()
                    .unwrap_or(links_span);
                let target = link.split(':').next().unwrap_or(link);
                if target == name {
                    r.error_hint(
                        format!("service `{name}` links to itself"),
                        span,
                        "a service already reaches itself by its own name",
                    );
                } else if !services.contains_key(target) && !spans.contains_key(target) {
                    r.error_hint(
                        format!("service `{name}` links to `{target}`, which is not a service"),
                        span,
                        service_hint(target),
                    );
                }
            }
        }
        let limits = &svc.deploy.resources.limits;
        if let (Some(legacy), Some(deploy), Some(span)) =
            (svc.mem_limit, limits.memory, at(name, "mem_limit"))
        {
            if legacy != deploy {
                r.error_hint(
                    format!("service `{name}` sets `mem_limit` ({legacy} bytes) and `deploy.resources.limits.memory` ({deploy} bytes)"),
                    span,
                    "keep one of them",
                );
            }
        }
        if let (Some(legacy), Some(deploy), Some(span)) = (svc.cpus, limits.cpus, at(name, "cpus"))
        {
            if legacy != deploy {
                r.error_hint(
                    format!("service `{name}` sets `cpus` ({legacy}) and `deploy.resources.limits.cpus` ({deploy})"),
                    span,
                    "keep one of them",
                );
            }
        }
    }
}

fn check_published_ports(
    r: &mut Reader<'_>,
    services: &BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
) {
    let mut seen: BTreeMap<(String, u16, Protocol), String> = BTreeMap::new();
    for (name, svc) in services {
        for (i, port) in svc.ports.iter().enumerate() {
            let Some(published) = port.published else {
                continue;
            };
            if crate::plan::ingress::wants_ingress(svc, port) && port.protocol != Protocol::Tcp {
                if let Some(span) = spans.get(name).and_then(|s| s.ports.get(i)) {
                    let why = if crate::plan::ingress::may_replicate(svc) {
                        "can have more than one replica"
                    } else {
                        "asks for `mode: ingress`"
                    };
                    r.error_hint(
                        format!(
                            "service `{name}` {why}, so its host port {published}/{} would go through msctl's ingress, which carries TCP only",
                            port.protocol.as_str()
                        ),
                        *span,
                        "publish the port over TCP, or run one replica without `mode: ingress` (one container binds the port itself)",
                    );
                }
            }
            let ip = port
                .host_ip
                .clone()
                .unwrap_or_else(|| "0.0.0.0".to_string());
            let clash = seen
                .iter()
                .find(|((other_ip, p, proto), _)| {
                    *p == published
                        && *proto == port.protocol
                        && (other_ip == &ip || other_ip == "0.0.0.0" || ip == "0.0.0.0")
                })
                .map(|(_, owner)| owner.clone());
            if let Some(owner) = clash {
                if let Some(span) = spans.get(name).and_then(|s| s.ports.get(i)) {
                    r.error_hint(
                        format!(
                            "host port {published}/{} is published twice: by service `{owner}` and by service `{name}`",
                            port.protocol.as_str()
                        ),
                        *span,
                        "each host port can be published once; choose another host port",
                    );
                }
            } else {
                seen.insert((ip, published, port.protocol), name.clone());
            }
        }
    }
}

/// Drop services whose profiles are not enabled; a service with no profile is always on.
fn apply_profiles(
    r: &mut Reader<'_>,
    services: BTreeMap<String, Service>,
    spans: &BTreeMap<String, ServiceSpans>,
    enabled: &[String],
) -> BTreeMap<String, Service> {
    let all = enabled.iter().any(|p| p == "*");
    let active = |svc: &Service| {
        svc.profiles.is_empty() || all || svc.profiles.iter().any(|p| enabled.contains(p))
    };
    let kept: BTreeMap<String, Service> = services
        .iter()
        .filter(|(_, s)| active(s))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (name, svc) in &kept {
        for (dep, how) in &svc.depends_on {
            if let Some(inactive) = services.get(dep).filter(|d| !active(d)) {
                if !how.required {
                    continue;
                }
                if let Some(span) = spans.get(name).and_then(|s| s.depends_on.get(dep)) {
                    r.error_hint(
                        format!(
                            "service `{name}` depends on `{dep}`, which is only in profile(s) {}",
                            inactive.profiles.join(", ")
                        ),
                        *span,
                        format!(
                            "enable it with `--profile {}`",
                            inactive.profiles.first().cloned().unwrap_or_default()
                        ),
                    );
                }
            }
        }
    }
    // A dependency that is not required and not in the project (undefined, or in a
    // profile that is off) is dropped, as Compose drops it.
    let names: BTreeSet<String> = kept.keys().cloned().collect();
    let mut kept = kept;
    for svc in kept.values_mut() {
        svc.depends_on
            .retain(|dep, how| how.required || names.contains(dep));
    }
    kept
}

/// `deploy` of service `web` + `replicas` -> `deploy.replicas` of service `web`.
fn field_name(what: &str, key: &str) -> String {
    match what
        .strip_prefix('`')
        .and_then(|rest| rest.split_once("` of "))
    {
        Some((path, owner)) => format!("`{path}.{key}` of {owner}"),
        None => format!("`{key}` of {what}"),
    }
}

/// For a cargo-built image: the named-volume targets, owned by a numeric `user`
/// (`uid` or `uid:gid`); none when the service runs as root or as a user name.
fn data_dirs(user: Option<&str>, mounts: &[Mount]) -> Vec<DataDir> {
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

//! Networks: the top-level `networks` (driver, IPAM pools, addresses) and the networks
//! each service joins.

use std::collections::BTreeMap;

use crate::manifest::diagnostic::Span;
use crate::manifest::fields::{did_you_mean, Reader};
use crate::manifest::model::{Ipam, IpamPool, Network, ServiceNetwork};
use crate::manifest::yaml::{Node, Value};

use super::common::{external, field_name, labels};
use super::keys::{IPAM, IPAM_POOL, NETWORK, SERVICE_NETWORK};
use super::References;

pub(super) fn network(r: &mut Reader<'_>, name: &str, node: &Node) -> Option<Network> {
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

pub(super) fn service_networks(
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

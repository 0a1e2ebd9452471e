//! Deploy: a service's `deploy` (replicas, mode, resources, restart policy, update and
//! rollback config, and the Swarm's labels, placement and endpoint mode).

use std::time::Duration;

use crate::manifest::fields::Reader;
use crate::manifest::model::{
    Deploy, EndpointMode, FailureAction, Placement, ResourceSpec, RestartCondition, RestartPolicy,
    Target, UpdateConfig, UpdateOrder,
};
use crate::manifest::yaml::{Node, Value};

use super::common::{field_name, labels, list};
use super::keys::{
    DEPLOY, DEPLOY_SWARM, PLACEMENT, RESOURCES, RESOURCE_SPEC, RESTART_POLICY, UPDATE_CONFIG,
};
use super::MAX_REPLICAS;

pub(super) fn deploy(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    target: Target,
) -> Option<Deploy> {
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

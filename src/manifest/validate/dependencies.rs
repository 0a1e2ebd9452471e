//! Dependencies and profiles: each service's `depends_on`, then across services: every
//! dependency names a service, no cycle, and no required dependency is left out by a profile.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::fields::{did_you_mean, Reader};
use crate::manifest::model::{Condition, Dependency, Service};
use crate::manifest::yaml::{Node, Value};

use super::keys::DEPENDS_ON;
use super::ServiceSpans;

pub(super) fn depends_on(
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

/// Every `depends_on` names a service, none depends on itself, and there is no cycle.
pub(super) fn check_dependencies(
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

/// Drop services whose profiles are not enabled; a service with no profile is always on.
pub(super) fn apply_profiles(
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

//! Start dependencies: what `depends_on` says, and what `links` and
//! `network_mode: service:NAME` imply without saying it.
//!
//! A service that links to another, or shares its network stack, cannot start before it:
//! the link's alias must resolve and the network stack must exist. Both count as
//! `depends_on: {NAME: {condition: service_started}}` unless `depends_on` names the
//! service itself, whose condition then wins.

use std::collections::{BTreeMap, BTreeSet};

use crate::manifest::model::{Condition, Dependency, Project, Service};

/// Every service `service` waits for, with the condition: its `depends_on`, then the
/// implicit dependencies of its `links` and `network_mode`.
pub fn dependencies(service: &Service) -> BTreeMap<String, Dependency> {
    let mut out = service.depends_on.clone();
    for name in service.implicit_dependencies() {
        out.entry(name).or_insert(Dependency {
            condition: Condition::ServiceStarted,
            restart: false,
            required: true,
        });
    }
    out
}

/// The named services and, transitively, what they depend on (implicit dependencies
/// included); all services when `names` is empty. Names not in the project are left out.
pub fn with_dependencies<'a>(
    project: &Project,
    names: impl IntoIterator<Item = &'a String>,
) -> BTreeSet<String> {
    let mut pending: Vec<String> = names.into_iter().cloned().collect();
    if pending.is_empty() {
        return project.services.keys().cloned().collect();
    }
    let mut out = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if let Some(service) = project.services.get(&name) {
            if out.insert(name.clone()) {
                pending.extend(dependencies(service).into_keys());
            }
        }
    }
    out
}

/// Service names in an order where every service comes after what it depends on
/// (implicit dependencies included); ties are broken by name. Services on a cycle come
/// last, by name: [`cycle`] tells whether there is one.
pub fn dependency_order(project: &Project) -> Vec<String> {
    let mut order = Vec::new();
    let mut placed = BTreeSet::new();
    while order.len() < project.services.len() {
        let before = order.len();
        for (name, service) in &project.services {
            if placed.contains(name) {
                continue;
            }
            let ready = dependencies(service)
                .keys()
                .all(|dep| placed.contains(dep) || !project.services.contains_key(dep));
            if ready {
                order.push(name.clone());
                placed.insert(name.clone());
            }
        }
        if order.len() == before {
            for name in project.services.keys() {
                if placed.insert(name.clone()) {
                    order.push(name.clone());
                }
            }
        }
    }
    order
}

/// A dependency cycle among the services of the project, as the names along it with the
/// first repeated at the end (`a -> b -> a`), or `None`. Validation refuses cycles of
/// `depends_on`; `links` and `network_mode` can still close one.
pub fn cycle(project: &Project) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        project: &Project,
        name: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(name) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|n| n == name).unwrap_or(0);
                let mut found = path[start..].to_vec();
                found.push(name.to_string());
                return Some(found);
            }
            None => {}
        }
        let service = project.services.get(name)?;
        marks.insert(name.to_string(), Mark::Visiting);
        path.push(name.to_string());
        for dep in dependencies(service).keys() {
            if let Some(found) = visit(project, dep, marks, path) {
                return Some(found);
            }
        }
        path.pop();
        marks.insert(name.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for name in project.services.keys() {
        if let Some(found) = visit(project, name, &mut marks, &mut Vec::new()) {
            return Some(found);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::model::NetworkMode;

    fn project(services: Vec<Service>) -> Project {
        Project::of_services("demo", services)
    }

    fn service(name: &str) -> Service {
        Service {
            name: name.to_string(),
            image: Some("img".to_string()),
            ..Service::default()
        }
    }

    #[test]
    fn links_and_a_shared_network_stack_order_like_depends_on() {
        let mut app = service("app");
        app.links = vec!["db:database".to_string()];
        let mut sidecar = service("a-sidecar");
        sidecar.network_mode = Some(NetworkMode::Service("app".to_string()));
        let project = project(vec![app, sidecar, service("db")]);
        assert_eq!(dependency_order(&project), vec!["db", "app", "a-sidecar"]);
        assert_eq!(
            with_dependencies(&project, &["a-sidecar".to_string()]),
            BTreeSet::from(["a-sidecar".to_string(), "app".to_string(), "db".to_string()])
        );
        assert_eq!(cycle(&project), None);
    }

    #[test]
    fn depends_on_keeps_its_condition_over_an_implicit_dependency() {
        let mut app = service("app");
        app.links = vec!["db".to_string()];
        app.depends_on.insert(
            "db".to_string(),
            Dependency {
                condition: Condition::ServiceHealthy,
                restart: false,
                required: true,
            },
        );
        assert_eq!(
            dependencies(&app)["db"].condition,
            Condition::ServiceHealthy
        );
    }

    #[test]
    fn a_cycle_closed_by_a_link_is_found() {
        let mut a = service("a");
        a.links = vec!["b".to_string()];
        let mut b = service("b");
        b.network_mode = Some(NetworkMode::Service("a".to_string()));
        let project = project(vec![a, b, service("c")]);
        assert_eq!(
            cycle(&project),
            Some(vec!["a".to_string(), "b".to_string(), "a".to_string()])
        );
    }
}

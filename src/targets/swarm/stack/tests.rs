//! The Swarm target's unit tests.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};

use super::apply::*;
use super::prepare::*;
use crate::engine::swarm::{self as api, NodeInfo, ServiceInfo};
use crate::manifest::demo_project as loaded;
use crate::manifest::model::{Condition, Project};
use crate::manifest::model::{Dependency, Service};

fn project(names: &[(&str, &[&str])]) -> Project {
    let mut project = Project {
        name: "shop".to_string(),
        ..Project::default()
    };
    for (name, deps) in names {
        let mut service = Service {
            name: name.to_string(),
            ..Service::default()
        };
        for dep in *deps {
            service.depends_on.insert(
                dep.to_string(),
                Dependency {
                    condition: Condition::ServiceStarted,
                    restart: false,
                    required: true,
                },
            );
        }
        project.services.insert(name.to_string(), service);
    }
    project
}

#[test]
fn services_come_after_what_they_depend_on() {
    let p = project(&[
        ("gateway", &["orders", "users"]),
        ("orders", &["products", "payments"]),
        ("payments", &[]),
        ("products", &[]),
        ("users", &[]),
    ]);
    let all: BTreeSet<String> = p.services.keys().cloned().collect();
    let order = dependency_order(&p, &all);
    let at = |n: &str| order.iter().position(|x| x == n).expect("in the order");
    assert_eq!(order.len(), 5);
    assert!(at("products") < at("orders"));
    assert!(at("payments") < at("orders"));
    assert!(at("orders") < at("gateway"));
    assert!(at("users") < at("gateway"));
    let only: BTreeSet<String> = ["gateway".to_string()].into();
    assert_eq!(dependency_order(&p, &only), vec!["gateway".to_string()]);
}

const TWO: &str = "x-msctl: {target: swarm}\nservices:\n  api:\n    image: api\n    ports: [\"80:80\"]\n    deploy: {replicas: 2}\n  db:\n    image: db\n";

fn prepared(project: &Project) -> Prepared {
    let all: BTreeSet<String> = project.services.keys().cloned().collect();
    let images = project
        .services
        .keys()
        .map(|n| (n.clone(), format!("sha256:{n}")))
        .collect();
    prepare(
        project,
        &all,
        &images,
        &BTreeMap::new(),
        crate::engine::docker::ApiVersion::new(1, 41),
    )
    .expect("translates")
}

fn running(project: &Project, prepared: &Prepared, replicas: u64) -> Observed {
    let services = prepared
        .services
        .iter()
        .map(|(name, t)| ServiceInfo {
            id: format!("id-{name}"),
            name: api::service_name(&project.name, name),
            service: name.clone(),
            version: 1,
            config_hash: t.config_hash.clone(),
            replicas: Some(replicas),
            image: format!("sha256:{name}"),
            image_name: name.clone(),
            update_state: String::new(),
            update_message: String::new(),
            update_started: 0,
            template_key: String::new(),
            ports: Vec::new(),
        })
        .collect();
    Observed {
        services,
        networks: [("demo_default".to_string(), "n1".to_string())].into(),
        files: BTreeSet::new(),
    }
}

#[test]
fn the_plan_creates_updates_scales_and_leaves_alone() {
    let p = loaded(TWO);
    let prep = prepared(&p);
    let empty = Observed {
        services: Vec::new(),
        networks: BTreeMap::new(),
        files: BTreeSet::new(),
    };
    let lines: Vec<String> = plan(&p, &prep, &empty, &BTreeMap::new(), false, false)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        vec![
            "create overlay network demo_default",
            "create service demo_api (2 replicas)",
            "create service demo_db (1 replicas)",
        ]
    );
    // Running as the manifest says: nothing to do, whatever the count the Swarm has
    // when the manifest's is wanted.
    let scale: BTreeMap<String, u32> = [("api".to_string(), 2), ("db".to_string(), 2)].into();
    let observed = running(&p, &prep, 2);
    assert!(plan(&p, &prep, &observed, &scale, false, false).is_empty());
    let scale3: BTreeMap<String, u32> = [("api".to_string(), 3), ("db".to_string(), 2)].into();
    let lines: Vec<String> = plan(&p, &prep, &observed, &scale3, false, false)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(lines, vec!["scale service demo_api from 2 to 3 replicas"]);
    // A changed service is updated; `--force-recreate` updates every one.
    let changed = loaded(&TWO.replace("image: db", "image: db\n    environment: {A: b}"));
    let lines: Vec<String> = plan(
        &changed,
        &prepared(&changed),
        &observed,
        &scale,
        false,
        false,
    )
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        lines,
        vec!["update service demo_db (config changed; rolling update, 2 replicas)"]
    );
    assert_eq!(plan(&p, &prep, &observed, &scale, false, true).len(), 2);
    // A service gone from the manifest is removed with --remove-orphans only.
    let fewer = loaded(&TWO.replace("  db:\n    image: db\n", ""));
    let prep_fewer = prepared(&fewer);
    assert!(plan(&fewer, &prep_fewer, &observed, &scale, false, false).is_empty());
    let lines: Vec<String> = plan(&fewer, &prep_fewer, &observed, &scale, true, false)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(lines, vec!["remove service demo_db (orphan)"]);
}

fn node(id: &str, labels: &[(&str, &str)]) -> NodeInfo {
    NodeInfo {
        id: id.to_string(),
        hostname: format!("host-{id}"),
        role: "worker".to_string(),
        state: "ready".to_string(),
        availability: "active".to_string(),
        address: String::new(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[test]
fn more_host_published_replicas_than_nodes_and_unreachable_nodes_are_refused() {
    let p = loaded(TWO);
    let prep = prepared(&p);
    let one = vec![node("m", &[])];
    let err = check_nodes(&p, &prep, &BTreeMap::new(), &one, "m").unwrap_err();
    assert!(
        err.to_string().contains("2 replicas publish port 80"),
        "{err}"
    );
    let engine = [(api::ENGINE_LABEL, "tcp://10.0.0.2:2375")];
    let two = vec![node("m", &[]), node("w", &engine)];
    check_nodes(&p, &prep, &BTreeMap::new(), &two, "m").expect("two nodes, two replicas");
    let unlabelled = vec![node("m", &[]), node("w", &[])];
    let err = check_nodes(&p, &prep, &BTreeMap::new(), &unlabelled, "m").unwrap_err();
    assert!(err.to_string().contains("node `host-w`"), "{err}");
    assert!(err.to_string().contains(api::ENGINE_LABEL), "{err}");
}

#[test]
fn only_the_external_volumes_of_the_services_brought_up_are_looked_for() {
    let p = loaded(
        "x-msctl: {target: swarm}\nservices:\n  api:\n    image: api\n    volumes: [shared:/shared, own:/own, /host:/host]\n  db:\n    image: db\n    volumes: [archive:/archive]\nvolumes:\n  shared: {external: true, name: team-shared}\n  own: {}\n  archive: {external: true}\n",
    );
    let all = prepared(&p);
    assert_eq!(
        external_volumes(&p, &all).into_iter().collect::<Vec<_>>(),
        ["archive", "team-shared"]
    );
    let images = BTreeMap::from([("api".to_string(), "sha256:api".to_string())]);
    let api_only = prepare(
        &p,
        &BTreeSet::from(["api".to_string()]),
        &images,
        &BTreeMap::new(),
        crate::engine::docker::ApiVersion::new(1, 41),
    )
    .expect("translates");
    assert_eq!(
        external_volumes(&p, &api_only)
            .into_iter()
            .collect::<Vec<_>>(),
        ["team-shared"]
    );
}

//! Deterministic cost: what `up` and `down` ask of the engine, counted on the fake
//! engine, for projects of 10, 50 and 100 health-checked services on one network (the
//! worst case for readiness gating: every service may call every other). The cost must
//! be a constant plus the same amount per service: no network, endpoint or call per pair
//! of services.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use msctl::converge::{converge, ConvergeOptions};
use msctl::engine::fake::FakeEngine;
use msctl::engine::ContainerSummary;
use msctl::manifest::{load_str, LoadOptions};
use msctl::plan::{ContainerState, Health, PlanOptions};
use msctl::report::{Cancel, Event, Reporter};
use msctl::resolver::container::{API, NAME, PROTOCOL, PROTOCOL_LABEL, ROLE, TOKEN};
use msctl::resolver::server::{start, ServerOptions};

struct Quiet;
impl Reporter for Quiet {
    fn event(&self, _event: Event) {}
}

/// A project of `n` services, each health-checked, all on the default network.
fn manifest(n: usize) -> String {
    let mut text = String::from("services:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  svc{i:03}:\n    image: busybox\n    command: [httpd, -f]\n    healthcheck:\n      test: [CMD, wget, -q, http://127.0.0.1/]\n"
        ));
    }
    text
}

/// What one command asked of the engine.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Cost {
    /// Engine calls by operation.
    calls: BTreeMap<String, usize>,
    networks: usize,
    /// Every container's place on a network.
    endpoints: usize,
}

impl Cost {
    fn total(&self) -> usize {
        self.calls.values().sum()
    }
}

fn count(engine: &FakeEngine, since: usize) -> BTreeMap<String, usize> {
    let mut calls = BTreeMap::new();
    for call in engine.calls().into_iter().skip(since) {
        let operation = call.split(' ').next().unwrap_or_default().to_string();
        *calls.entry(operation).or_insert(0) += 1;
    }
    calls
}

/// `up -d` then `down` of `n` services on a fresh fake engine, with a resolver running
/// in-process (the engine lists it as msctl's resolver container).
async fn up_and_down(n: usize) -> (Cost, Cost) {
    let resolver = start(ServerOptions {
        listen: "127.0.0.1:0".parse().expect("address"),
        token: "cost".to_string(),
        dns_port: 0,
    })
    .await
    .expect("resolver");
    msctl::resolver::container::forget_known();
    let engine = FakeEngine::new();
    engine.add_container(ContainerSummary {
        id: "resolver".to_string(),
        name: NAME.to_string(),
        image: "msctl-resolver:test".to_string(),
        labels: BTreeMap::from([
            (ROLE.to_string(), "container".to_string()),
            (API.to_string(), resolver.api_addr.to_string()),
            (TOKEN.to_string(), "cost".to_string()),
            (PROTOCOL_LABEL.to_string(), PROTOCOL.to_string()),
        ]),
        state: ContainerState::Running,
        health: Health::None,
        network_mode: Some("host".to_string()),
        networks: Vec::new(),
    });
    let options = LoadOptions {
        project_name: Some(format!("cost{n}")),
        cwd: std::env::temp_dir(),
        ..LoadOptions::default()
    };
    let project = load_str(&manifest(n), &options).expect("valid").project;
    let before = engine.calls().len();
    let converge_options = ConvergeOptions {
        plan: PlanOptions::default(),
        heal: Default::default(),
        single_round: false,
        wait: false,
        timeout: Duration::from_secs(60),
        concurrency: msctl::engine::DEFAULT_CONCURRENCY,
        previous: None,
    };
    converge(
        &engine,
        &project,
        &converge_options,
        &Quiet,
        &Cancel::default(),
    )
    .await
    .expect("up");
    let replicas: Vec<ContainerSummary> = engine
        .containers()
        .into_iter()
        .filter(|c| c.name != NAME)
        .collect();
    assert_eq!(replicas.len(), n, "one replica per service");
    let up = Cost {
        calls: count(&engine, before),
        networks: engine.networks().len(),
        endpoints: replicas.iter().map(|c| c.networks.len()).sum(),
    };

    let before = engine.calls().len();
    msctl::teardown::remove_project(
        &engine,
        &project.name,
        Some(&project),
        &msctl::teardown::Options::default(),
        &|_: &str| {},
    )
    .await
    .expect("down");
    let left: Vec<String> = engine
        .containers()
        .into_iter()
        .map(|c| c.name)
        .filter(|name| name != NAME)
        .collect();
    assert!(left.is_empty(), "down left {left:?}");
    assert!(engine.networks().is_empty(), "down left networks");
    let down = Cost {
        calls: count(&engine, before),
        networks: 0,
        endpoints: 0,
    };
    resolver.stop().await.expect("stop");
    (up, down)
}

/// `cost(n) = a + b·n` for every operation: the step from 10 to 50 services and the one
/// from 50 to 100 cost the same per service.
fn assert_linear(what: &str, costs: &[(usize, BTreeMap<String, usize>)]) {
    let operations: BTreeSet<&String> = costs.iter().flat_map(|(_, c)| c.keys()).collect();
    for operation in operations {
        let at = |i: usize| costs[i].1.get(operation).copied().unwrap_or(0) as i64;
        let (n0, n1, n2) = (costs[0].0 as i64, costs[1].0 as i64, costs[2].0 as i64);
        // (c1 - c0) / (n1 - n0) == (c2 - c1) / (n2 - n1), in integers.
        assert_eq!(
            (at(1) - at(0)) * (n2 - n1),
            (at(2) - at(1)) * (n1 - n0),
            "{what}: `{operation}` is not linear in the services: {} at {n0}, {} at {n1}, {} at {n2}",
            at(0),
            at(1),
            at(2)
        );
        assert!(
            at(2) <= 4 * n2 + 10,
            "{what}: `{operation}` costs {} calls for {n2} services",
            at(2)
        );
    }
}

#[tokio::test]
async fn up_and_down_cost_grows_linearly_with_the_services() {
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    for n in [10, 50, 100] {
        let (up, down) = up_and_down(n).await;
        eprintln!(
            "{n} services: up {} engine calls ({} networks, {} endpoints) {:?}; down {} calls {:?}",
            up.total(),
            up.networks,
            up.endpoints,
            up.calls,
            down.total(),
            down.calls
        );
        // One network for the project whatever its size, one place on it per replica.
        assert_eq!(up.networks, 1, "{n} services: {up:?}");
        assert_eq!(up.endpoints, n, "{n} services: {up:?}");
        assert!(
            up.total() <= 6 * n + 20,
            "{n} services: up made {} engine calls: {:?}",
            up.total(),
            up.calls
        );
        assert!(
            down.total() <= 3 * n + 10,
            "{n} services: down made {} engine calls: {:?}",
            down.total(),
            down.calls
        );
        ups.push((n, up.calls));
        downs.push((n, down.calls));
    }
    assert_linear("up", &ups);
    assert_linear("down", &downs);
}

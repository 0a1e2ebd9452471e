//! The Swarm target on the machine's engine: each test makes the engine a Swarm manager
//! and leaves the Swarm at the end, even after a failure, so the engine is as it was.
//! They run alone (.config/nextest.toml): a Swarm is the engine's, not a project's.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::time::Duration;

use bollard::query_parameters::ListTasksOptions;

use super::registry::Registry;
use super::shop::{customer, first_product, order_status, place_order, shop};
use super::support::{block_on, engine, httpd_service, test_image, wait_for, TestProject};
use super::swarm_node::SecondNode;

/// The engine in a Swarm for the length of a test; left (and its gateway bridge removed
/// when the test made it) on drop.
struct SwarmGuard {
    had_gateway_bridge: bool,
}

/// The machine's own address: what a Swarm manager advertises to a node in another
/// network namespace (127.0.0.1 would be the node's own loopback).
fn machine_address() -> String {
    let out = std::process::Command::new("ip")
        .args(["-4", "route", "get", "1.1.1.1"])
        .output()
        .expect("ip route get");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == "src" {
            return words.next().expect("an address after src").to_string();
        }
    }
    panic!("no source address in `ip route get`: {text}");
}

impl SwarmGuard {
    fn init() -> SwarmGuard {
        let docker = engine().client();
        let info = block_on(docker.info()).expect("engine info");
        let state = info
            .swarm
            .and_then(|s| s.local_node_state)
            .map(|s| format!("{s:?}"))
            .unwrap_or_default();
        assert_eq!(
            state.to_lowercase(),
            "inactive",
            "the engine is already in a Swarm: this test would change it"
        );
        let had_gateway_bridge = block_on(docker.inspect_network(
            "docker_gwbridge",
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .is_ok();
        let address = machine_address();
        block_on(docker.init_swarm(bollard::models::SwarmInitRequest {
            listen_addr: Some("0.0.0.0:2377".to_string()),
            advertise_addr: Some(address),
            ..Default::default()
        }))
        .expect("swarm init");
        SwarmGuard { had_gateway_bridge }
    }

    /// The token a worker joins with.
    fn worker_token(&self) -> String {
        let swarm = block_on(engine().client().inspect_swarm()).expect("inspect swarm");
        swarm
            .join_tokens
            .and_then(|t| t.worker)
            .expect("a worker token")
    }
}

impl Drop for SwarmGuard {
    fn drop(&mut self) {
        let docker = engine().client();
        if let Err(err) = block_on(docker.leave_swarm(Some(
            bollard::query_parameters::LeaveSwarmOptions { force: true },
        ))) {
            eprintln!("cannot leave the swarm: {err}");
        }
        if !self.had_gateway_bridge {
            // Its endpoints go with the tasks' containers: retry while they do.
            for _ in 0..40 {
                match block_on(docker.remove_network("docker_gwbridge")) {
                    Ok(()) => break,
                    Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => break,
                    Err(_) => std::thread::sleep(Duration::from_millis(500)),
                }
            }
        }
    }
}

/// `down --volumes` of a Swarm project on drop, before its Swarm is left.
struct ProjectDown<'a>(&'a TestProject);

impl Drop for ProjectDown<'_> {
    fn drop(&mut self) {
        let (code, _, stderr) = self.0.msctl(&swarm_args(&["down", "--volumes"]));
        if code != 0 {
            eprintln!("down failed: {stderr}");
        }
    }
}

/// The shop's manifest and its Swarm override, then `rest`.
fn swarm_args<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["-f", "compose.yaml", "-f", "compose.swarm.yaml"];
    args.extend_from_slice(rest);
    args
}

/// A shop project with the repository's Swarm override beside its manifest.
fn swarm_shop(hint: &str) -> (TestProject, u16) {
    let (project, port) = shop(hint);
    let root = env!("CARGO_MANIFEST_DIR");
    let override_yaml = std::fs::read_to_string(format!("{root}/manifests/compose.swarm.yaml"))
        .expect("the Swarm override");
    project.write_file("compose.swarm.yaml", &override_yaml);
    (project, port)
}

fn swarm_up(project: &TestProject, port: u16) -> Output {
    project
        .command(&swarm_args(&["up", "--timeout", "1500"]))
        .env("SHOP_PORT", port.to_string())
        .output()
        .expect("msctl up")
}

/// The running tasks of a service: (task id, node id, image).
fn running_tasks(project: &TestProject, service: &str) -> Vec<(String, String, String)> {
    let mut filters = std::collections::HashMap::new();
    filters.insert(
        "service".to_string(),
        vec![format!("{}_{service}", project.name())],
    );
    filters.insert("desired-state".to_string(), vec!["running".to_string()]);
    let tasks = block_on(engine().client().list_tasks(Some(ListTasksOptions {
        filters: Some(filters),
    })))
    .expect("list tasks");
    tasks
        .into_iter()
        .filter(|t| {
            t.status
                .as_ref()
                .and_then(|s| s.state)
                .is_some_and(|s| s == bollard::models::TaskState::RUNNING)
        })
        .map(|t| {
            (
                t.id.unwrap_or_default(),
                t.node_id.unwrap_or_default(),
                t.spec
                    .and_then(|s| s.container_spec)
                    .and_then(|c| c.image)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn service_image(project: &TestProject, service: &str) -> String {
    let service = block_on(engine().client().inspect_service(
        &format!("{}_{service}", project.name()),
        None::<bollard::query_parameters::InspectServiceOptions>,
    ))
    .expect("inspect service");
    service
        .spec
        .and_then(|s| s.task_template)
        .and_then(|t| t.container_spec)
        .and_then(|c| c.image)
        .expect("an image")
}

/// An order through the gateway, accepted and then paid.
fn order_flow(port: u16, email: &str, key: &str) {
    let token = customer(port, email);
    let product = first_product(port);
    let (status, order) = place_order(port, &token, key, product);
    assert!(status == 201 || status == 200, "order: {status} {order}");
    let id = order["id"].clone();
    wait_for("the order to be paid", Duration::from_secs(60), &mut || {
        order_status(port, &token, &id) == "paid"
    });
}

/// A second engine started as node `name` (`scripts/swarm-node`), joined to `swarm` as a
/// worker, ready, and labelled with the address msctl sends it images at: the node and
/// its Swarm node id.
fn join_worker(swarm: &SwarmGuard, name: &str) -> (SecondNode, String) {
    let node = SecondNode::start(name);
    let manager = machine_address();
    let worker = block_on(node.docker());
    block_on(worker.join_swarm(bollard::models::SwarmJoinRequest {
        listen_addr: Some("0.0.0.0:2377".to_string()),
        advertise_addr: Some(node.address.clone()),
        data_path_addr: Some(node.address.clone()),
        remote_addrs: Some(vec![format!("{manager}:2377")]),
        join_token: Some(swarm.worker_token()),
    }))
    .expect("the second node joins as a worker");
    // The worker, ready, labelled with the address msctl sends it images at.
    let docker = engine().client();
    let mut worker_id = String::new();
    wait_for(
        "the worker to be ready",
        Duration::from_secs(60),
        &mut || {
            let nodes =
                block_on(docker.list_nodes(None::<bollard::query_parameters::ListNodesOptions>))
                    .expect("list nodes");
            let Some(found) = nodes.into_iter().find(|n| {
                n.spec
                    .as_ref()
                    .and_then(|s| s.role)
                    .is_some_and(|r| r == bollard::models::NodeSpecRoleEnum::WORKER)
            }) else {
                return false;
            };
            let ready = found
                .status
                .as_ref()
                .and_then(|s| s.state)
                .is_some_and(|s| s == bollard::models::NodeState::READY);
            worker_id = found.id.clone().unwrap_or_default();
            ready
        },
    );
    let inspected = block_on(docker.inspect_node(&worker_id)).expect("inspect node");
    let mut spec = inspected.spec.expect("a node spec");
    let mut labels = spec.labels.take().unwrap_or_default();
    labels.insert("io.msctl.engine".to_string(), node.socket.clone());
    spec.labels = Some(labels);
    block_on(docker.update_node(
        &worker_id,
        spec,
        bollard::query_parameters::UpdateNodeOptions {
            version: inspected.version.and_then(|v| v.index).unwrap_or_default() as i64,
        },
    ))
    .expect("label the worker");
    (node, worker_id)
}

#[test]
fn the_shop_runs_on_a_swarm_scales_and_rolls_back_a_failing_update() {
    let (project, port) = swarm_shop("swarm-shop");
    let _swarm = SwarmGuard::init();
    let _down = ProjectDown(&project);

    let first = swarm_up(&project, port);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    for service in ["users", "products", "payments", "orders", "gateway"] {
        assert!(
            stderr.contains(&format!("create service {}_{service}", project.name())),
            "{stderr}"
        );
    }
    // Healthy through the gateway: register, browse, order, paid.
    order_flow(port, "swarm@example.com", "swarm-order-1");
    assert_eq!(running_tasks(&project, "orders").len(), 2);

    // A second `up` changes nothing; `plan` agrees.
    let again = swarm_up(&project, port);
    let again_err = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{again_err}");
    assert!(
        again_err.contains("is up to date on the Swarm"),
        "{again_err}"
    );
    let plan = project
        .command(&swarm_args(&["plan", "--detailed-exitcode"]))
        .env("SHOP_PORT", port.to_string())
        .output()
        .expect("msctl plan");
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );

    // scale orders=3: three running tasks, and `ps` shows them with their node.
    project.msctl_ok(&swarm_args(&["scale", "orders=3"]));
    assert_eq!(running_tasks(&project, "orders").len(), 3);
    let ps = project.msctl_ok(&swarm_args(&["ps", "orders", "--format", "json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ps).expect("ps json");
    let running: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["state"] == "running").collect();
    assert_eq!(running.len(), 3, "{ps}");
    assert!(
        running
            .iter()
            .all(|r| !r["node"].as_str().unwrap_or("").is_empty()),
        "{ps}"
    );

    // A new orders image whose process never listens: its health check fails, the
    // Swarm rolls the update back (failure_action: rollback), `up` says so and fails.
    let before = service_image(&project, "orders");
    super::shop::replace_with_a_never_listening_image(&project, "orders");
    let failed = swarm_up(&project, port);
    let failed_err = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{failed_err}");
    assert!(failed_err.contains("update service"), "{failed_err}");
    assert!(failed_err.contains("rolled it back"), "{failed_err}");
    assert_eq!(
        service_image(&project, "orders"),
        before,
        "the spec is rolled back"
    );
    wait_for(
        "3 orders tasks on the old image",
        Duration::from_secs(60),
        &mut || {
            let tasks = running_tasks(&project, "orders");
            tasks.len() == 3 && tasks.iter().all(|(_, _, image)| *image == before)
        },
    );
    order_flow(port, "after-rollback@example.com", "swarm-order-2");

    // logs: the tasks' lines, each with its slot and node.
    let logs = project.msctl_ok(&swarm_args(&["logs", "--tail", "5", "orders"]));
    assert!(logs.lines().any(|l| l.starts_with("orders.1@")), "{logs}");
    let json = project.msctl_ok(&swarm_args(&[
        "--format", "json", "logs", "--tail", "2", "orders",
    ]));
    let records: Vec<serde_json::Value> = json
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(!records.is_empty(), "no json lines");
    for record in &records {
        assert_eq!(record["service"], "orders", "{record}");
        assert!(
            record["replica"].as_u64().is_some_and(|r| r >= 1),
            "{record}"
        );
        assert!(
            record["node"].as_str().is_some_and(|n| !n.is_empty()),
            "{record}"
        );
    }
    // restart: new tasks, one at a time; rollback: back to the spec before it.
    let users = running_tasks(&project, "users");
    project.msctl_ok(&swarm_args(&["restart", "users"]));
    let restarted = running_tasks(&project, "users");
    assert_eq!(restarted.len(), 1);
    assert_ne!(restarted[0].0, users[0].0, "a new task after restart");
    let rolled = project.msctl(&swarm_args(&["rollback", "users"]));
    assert_eq!(rolled.0, 0, "{}", rolled.2);
    assert!(rolled.2.contains("rolled back"), "{}", rolled.2);
    order_flow(port, "after-restart@example.com", "swarm-order-3");

    // down: nothing of the project is left on the Swarm.
    project.msctl_ok(&swarm_args(&["down", "--volumes"]));
    let services = block_on(
        engine()
            .client()
            .list_services(None::<bollard::query_parameters::ListServicesOptions>),
    )
    .expect("list services");
    assert!(
        services.iter().all(|s| !s
            .spec
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .unwrap_or("")
            .starts_with(project.name())),
        "services left after down"
    );
}

#[test]
fn on_a_two_node_swarm_products_spreads_over_both_nodes_and_orders_flow() {
    let (project, port) = swarm_shop("swarm-two");
    let swarm = SwarmGuard::init();
    let (_node, worker_id) = join_worker(&swarm, "w1");
    let _down = ProjectDown(&project);

    let up = swarm_up(&project, port);
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "{stderr}");
    assert!(
        stderr.contains("to node `msctl-w1`"),
        "images are sent to the worker: {stderr}"
    );

    project.msctl_ok(&swarm_args(&["scale", "products=4"]));
    let tasks = running_tasks(&project, "products");
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    let nodes: BTreeSet<&String> = tasks.iter().map(|(_, node, _)| node).collect();
    assert_eq!(nodes.len(), 2, "products runs on both nodes: {tasks:?}");
    assert!(nodes.contains(&worker_id), "{tasks:?}");
    let ps = project.msctl_ok(&swarm_args(&["ps", "products"]));
    assert!(ps.contains("msctl-w1"), "ps names the worker node:\n{ps}");

    // The order flow through the gateway, with products on both nodes: several orders,
    // so that the gateway's calls land on tasks of either node.
    let token = customer(port, "two-nodes@example.com");
    let product = first_product(port);
    let mut paid = BTreeMap::new();
    for i in 0..8 {
        let (status, order) = place_order(port, &token, &format!("two-{i}"), product);
        assert!(
            status == 201 || status == 200,
            "order {i}: {status} {order}"
        );
        paid.insert(i, order["id"].clone());
    }
    for id in paid.values() {
        wait_for("an order to be paid", Duration::from_secs(60), &mut || {
            order_status(port, &token, id) == "paid"
        });
    }
}

/// Removes, on drop, the images msctl built for a project (by its build label: every
/// name they carry, a registry's included).
struct BuiltImagesOf(String);

impl Drop for BuiltImagesOf {
    fn drop(&mut self) {
        let label = format!("{}={}", msctl::plan::labels::BUILD_PROJECT, self.0);
        // On its own thread: the drop may run inside the runtime of a panicking test.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let docker = engine().client();
                block_on(async {
                    let filters =
                        std::collections::HashMap::from([("label", vec![label.as_str()])]);
                    let options = bollard::query_parameters::ListImagesOptionsBuilder::default()
                        .filters(&filters)
                        .build();
                    let Ok(images) = docker.list_images(Some(options)).await else {
                        eprintln!("warning: cannot list the images of {}", self.0);
                        return;
                    };
                    for image in images {
                        let options =
                            bollard::query_parameters::RemoveImageOptionsBuilder::default()
                                .force(true)
                                .build();
                        if let Err(err) = docker.remove_image(&image.id, Some(options), None).await
                        {
                            eprintln!("warning: cannot remove image {}: {err}", image.id);
                        }
                    }
                })
            });
        });
    }
}

/// The health of each running task of a service, read from its container on the node
/// that runs it: (node id, health status).
fn task_health(
    project: &TestProject,
    service: &str,
    nodes: &BTreeMap<String, bollard::Docker>,
) -> Vec<(String, String)> {
    let mut filters = std::collections::HashMap::new();
    filters.insert(
        "service".to_string(),
        vec![format!("{}_{service}", project.name())],
    );
    filters.insert("desired-state".to_string(), vec!["running".to_string()]);
    let tasks = block_on(engine().client().list_tasks(Some(ListTasksOptions {
        filters: Some(filters),
    })))
    .expect("list tasks");
    tasks
        .into_iter()
        .filter_map(|task| {
            let node = task.node_id?;
            let container = task.status?.container_status?.container_id?;
            let docker = nodes.get(&node)?;
            let health = block_on(docker.inspect_container(
                &container,
                None::<bollard::query_parameters::InspectContainerOptions>,
            ))
            .ok()
            .and_then(|c| c.state)
            .and_then(|s| s.health)
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .unwrap_or_default();
            Some((node, health))
        })
        .collect()
}

#[test]
fn on_a_two_node_swarm_the_nodes_pull_built_images_from_the_registry() {
    let registry = Registry::start();
    let service = httpd_service(
        "web",
        "    deploy:\n      replicas: 4\n      placement:\n        max_replicas_per_node: 2\n",
    )
    .replacen(&format!("image: {}", test_image()), "build: .", 1);
    let project = TestProject::new("swarm-registry", &format!("services:\n{service}"));
    project.write_file(
        "Dockerfile",
        &format!(
            "FROM {}\nLABEL io.msctl.test.swarm-registry=\"1\"\nRUN echo built > /built.txt\n",
            test_image()
        ),
    );
    // The Swarm override, as the shop's: the target, and the registry the nodes pull from.
    project.write_file(
        "compose.swarm.yaml",
        &format!(
            "x-msctl:\n  target: swarm\n  registry: {}/e2e\n",
            registry.address()
        ),
    );
    let _images = BuiltImagesOf(project.name().to_string());
    let swarm = SwarmGuard::init();
    let (node, worker_id) = join_worker(&swarm, "wpull");
    let _relay = registry.relay_into_netns(&format!("msctl-{}", node.name));
    let worker = block_on(node.docker());
    let _down = ProjectDown(&project);

    let up = project
        .command(&swarm_args(&["up", "--timeout", "300"]))
        .output()
        .expect("msctl up");
    let stderr = String::from_utf8_lossy(&up.stderr);
    assert!(
        up.status.success(),
        "{stderr}\n--- registry log\n{}",
        registry.log()
    );
    assert!(
        !stderr.contains("sending image"),
        "no image is sent over the Engine API with a registry: {stderr}"
    );

    // Pushed to `<registry>/<project>-<service>:latest`, run by its digest.
    let repository = format!("e2e/{}-web", project.name());
    assert_eq!(registry.tags(&repository), ["latest"], "{stderr}");
    let digest = registry.digest(&format!("{repository}:latest"));
    let pinned = format!("{}/{repository}@{digest}", registry.address());
    assert_eq!(service_image(&project, "web"), pinned);

    // Two tasks on each node, all on the pinned image, which the worker pulled.
    let tasks = running_tasks(&project, "web");
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    let nodes: BTreeSet<&String> = tasks.iter().map(|(_, node, _)| node).collect();
    assert_eq!(nodes.len(), 2, "web runs on both nodes: {tasks:?}");
    assert!(nodes.contains(&worker_id), "{tasks:?}");
    assert!(
        tasks.iter().all(|(_, _, image)| *image == pinned),
        "{tasks:?}"
    );
    let pulled = block_on(worker.inspect_image(&pinned))
        .unwrap_or_else(|err| panic!("the worker lacks {pinned}: {err}"));
    assert!(
        pulled.repo_digests.unwrap_or_default().contains(&pinned),
        "the worker's image came from the registry"
    );

    // `plan` sees the pushed image as what runs: nothing to do, no push; a second `up`
    // agrees.
    let (code, stdout, plan_err) = project.msctl(&swarm_args(&["plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "{stdout}{plan_err}");
    let (code, _, again) = project.msctl(&swarm_args(&["up", "--timeout", "300"]));
    assert_eq!(code, 0, "{again}");
    assert!(again.contains("is up to date on the Swarm"), "{again}");
    assert!(!again.contains("sending image"), "{again}");

    // `ps` names both nodes, every task running; each task's container is healthy.
    let ps = project.msctl_ok(&swarm_args(&["ps", "web", "--format", "json"]));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&ps).expect("ps json");
    let running: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["state"] == "running").collect();
    assert_eq!(running.len(), 4, "{ps}");
    let ps_nodes: BTreeSet<&str> = running.iter().filter_map(|r| r["node"].as_str()).collect();
    assert_eq!(ps_nodes.len(), 2, "{ps}");
    assert!(
        ps_nodes.contains(format!("msctl-{}", node.name).as_str()),
        "{ps}"
    );
    let own_id = block_on(engine().client().info())
        .expect("engine info")
        .swarm
        .and_then(|s| s.node_id)
        .expect("the manager's node id");
    let engines = BTreeMap::from([
        (own_id, engine().client().clone()),
        (worker_id.clone(), worker.clone()),
    ]);
    wait_for("4 healthy web tasks", Duration::from_secs(60), &mut || {
        let health = task_health(&project, "web", &engines);
        health.len() == 4 && health.iter().all(|(_, status)| status == "healthy")
    });

    project.msctl_ok(&swarm_args(&["down", "--volumes"]));
    let name = format!("{}_web", project.name());
    let services = block_on(
        engine()
            .client()
            .list_services(None::<bollard::query_parameters::ListServicesOptions>),
    )
    .expect("list services");
    assert!(
        services
            .iter()
            .all(|s| s.spec.as_ref().and_then(|s| s.name.as_deref()) != Some(name.as_str())),
        "{name} is left after down"
    );
}

//! The planner, pinned by the text of its plans: each test builds an observed-state
//! literal and a small project, plans, and compares the plan's lines. Property tests
//! then check the safety rules over random observed states against the fake engine.

use std::collections::{BTreeMap, BTreeSet};

use msctl::engine::fake::FakeEngine;
use msctl::engine::{observe, ContainerSummary};
use msctl::executor::apply;
use msctl::manifest::model::{
    Condition, Dependency, Hook, Mount, MountType, Network, NetworkMode, Project, Service, Volume,
};
use msctl::plan::spec::ExecOutput;
use msctl::plan::{
    config_hash, labels, plan, Action, ContainerState, Health, ObservedContainer, ObservedNetwork,
    ObservedState, ObservedVolume, Plan, PlanOptions,
};

const PROJECT: &str = "demo";

// ---------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------

fn service(name: &str, image: &str) -> Service {
    Service {
        name: name.to_string(),
        image: Some(image.to_string()),
        ..Service::default()
    }
}

fn replicas(mut service: Service, count: u32) -> Service {
    service.deploy.replicas = count;
    service
}

fn depends_on(mut service: Service, dependency: &str) -> Service {
    service.depends_on.insert(
        dependency.to_string(),
        Dependency {
            condition: Condition::ServiceStarted,
            restart: false,
            required: true,
        },
    );
    service
}

fn with_volume(mut service: Service, volume_key: &str, target: &str) -> Service {
    service.volumes.push(Mount {
        kind: MountType::Volume,
        source: Some(volume_key.to_string()),
        target: target.to_string(),
        read_only: false,
    });
    service
}

fn project(services: Vec<Service>) -> Project {
    Project {
        registry: None,
        target: Default::default(),
        configs: Default::default(),
        name: PROJECT.to_string(),
        working_dir: ".".into(),
        services: services
            .into_iter()
            .map(|service| (service.name.clone(), service))
            .collect(),
        networks: BTreeMap::new(),
        volumes: BTreeMap::new(),
        secrets: BTreeMap::new(),
    }
}

/// db <- api (2 replicas) <- web; db keeps its data on the `data` volume.
fn shop() -> Project {
    let mut shop = project(vec![
        with_volume(service("db", "postgres:16"), "data", "/var/lib/postgresql"),
        replicas(depends_on(service("api", "shop/api:1"), "db"), 2),
        depends_on(service("web", "shop/web:1"), "api"),
    ]);
    shop.volumes.insert("data".to_string(), Volume::default());
    shop
}

fn string_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// A container with exactly these labels.
fn container(id: &str, name: &str, container_labels: &[(&str, &str)]) -> ObservedContainer {
    ObservedContainer {
        id: id.to_string(),
        name: name.to_string(),
        image: "image".to_string(),
        labels: string_map(container_labels),
        state: ContainerState::Running,
        health: Health::None,
        network_mode: None,
    }
}

/// Replica `number` of the project's service, labelled with the service's current hash.
fn replica(project: &Project, service_name: &str, number: u32) -> ObservedContainer {
    let hash = project
        .services
        .get(service_name)
        .map(config_hash)
        .unwrap_or_default();
    replica_with_hash(service_name, number, &hash)
}

fn replica_with_hash(service_name: &str, number: u32, hash: &str) -> ObservedContainer {
    let name = format!("{PROJECT}-{service_name}-{number}");
    container(
        &format!("id-{name}"),
        &name,
        &[
            (labels::PROJECT, PROJECT),
            (labels::SERVICE, service_name),
            (labels::REPLICA, &number.to_string()),
            (labels::CONFIG_HASH, hash),
        ],
    )
}

fn in_state(mut container: ObservedContainer, state: ContainerState) -> ObservedContainer {
    container.state = state;
    container
}

fn with_health(mut container: ObservedContainer, health: Health) -> ObservedContainer {
    container.health = health;
    container
}

fn project_labels(key: &str, value: &str) -> BTreeMap<String, String> {
    string_map(&[(labels::PROJECT, PROJECT), (key, value)])
}

fn default_network() -> ObservedNetwork {
    ObservedNetwork {
        name: "demo_default".to_string(),
        labels: project_labels(labels::NETWORK, "default"),
    }
}

fn data_volume() -> ObservedVolume {
    ObservedVolume {
        name: "demo_data".to_string(),
        labels: project_labels(labels::VOLUME, "data"),
    }
}

/// The shop fully up: network, volume and every replica running with its current hash.
fn shop_up(project: &Project) -> ObservedState {
    ObservedState {
        containers: vec![
            replica(project, "api", 1),
            replica(project, "api", 2),
            replica(project, "db", 1),
            replica(project, "web", 1),
        ],
        networks: vec![default_network()],
        volumes: vec![data_volume()],
    }
}

fn assert_plan(plan: &Plan, expected: &[&str]) {
    let expected: String = expected.iter().map(|line| format!("{line}\n")).collect();
    assert_eq!(plan.to_string(), expected, "warnings: {:?}", plan.warnings);
}

fn options() -> PlanOptions {
    PlanOptions::default()
}

// ---------------------------------------------------------------------------------------
// Behaviour
// ---------------------------------------------------------------------------------------

#[test]
fn fresh_project_creates_network_volumes_and_replicas_in_dependency_order() {
    let shop = shop();
    let plan = plan(&shop, &ObservedState::default(), &options());
    assert_plan(
        &plan,
        &[
            "create network demo_default (network:default, missing)",
            "create volume demo_data (volume:data, missing)",
            "create container demo-db-1 (service:db:1, missing)",
            "create container demo-api-1 (service:api:1, missing)",
            "create container demo-api-2 (service:api:2, missing)",
            "create container demo-web-1 (service:web:1, missing)",
        ],
    );
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn created_replicas_carry_msctl_labels_and_the_config_hash() {
    let shop = shop();
    let plan = plan(&shop, &ObservedState::default(), &options());
    let Some(Action::CreateContainer {
        spec, config_hash: hash, ..
    }) = plan.actions.iter().find(|action| {
        matches!(action, Action::CreateContainer { service_name, replica_number: 2, .. } if service_name == "api")
    })
    else {
        panic!("no create for api:2 in\n{plan}");
    };
    let api = &shop.services["api"];
    assert_eq!(hash, &config_hash(api));
    assert_eq!(spec.name, "demo-api-2");
    assert_eq!(spec.image, "shop/api:1");
    assert_eq!(spec.labels[labels::PROJECT], "demo");
    assert_eq!(spec.labels[labels::SERVICE], "api");
    assert_eq!(spec.labels[labels::REPLICA], "2");
    assert_eq!(spec.labels[labels::CONFIG_HASH], config_hash(api));
    assert_eq!(spec.networks.len(), 1);
    assert_eq!(spec.networks[0].network_name, "demo_default");
    assert_eq!(spec.networks[0].aliases, vec!["api".to_string()]);
}

#[test]
fn nothing_changed_plans_nothing() {
    let shop = shop();
    let plan = plan(&shop, &shop_up(&shop), &options());
    assert_plan(&plan, &[]);
    assert!(plan.is_empty());
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn scale_down_removes_unhealthy_first_then_highest_numbered() {
    let web = replicas(service("web", "shop/web:1"), 2);
    let project = project(vec![web]);
    let observed = ObservedState {
        containers: vec![
            replica(&project, "web", 1),
            with_health(replica(&project, "web", 2), Health::Unhealthy),
            replica(&project, "web", 3),
            replica(&project, "web", 4),
            replica(&project, "web", 5),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(
        &plan(&project, &observed, &options()),
        &[
            "remove container demo-web-2 (service:web:2, scale down)",
            "remove container demo-web-5 (service:web:5, scale down)",
            "remove container demo-web-4 (service:web:4, scale down)",
        ],
    );
}

#[test]
fn scale_down_removes_a_stopped_replica_before_a_running_one() {
    let project = project(vec![replicas(service("web", "shop/web:1"), 2)]);
    let observed = ObservedState {
        containers: vec![
            in_state(
                replica(&project, "web", 1),
                ContainerState::Exited { code: 1 },
            ),
            replica(&project, "web", 2),
            replica(&project, "web", 3),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(
        &plan(&project, &observed, &options()),
        &["remove container demo-web-1 (service:web:1, scale down)"],
    );
}

#[test]
fn scaling_never_recreates() {
    let shop = shop();
    let mut scaled = shop.clone();
    if let Some(api) = scaled.services.get_mut("api") {
        api.deploy.replicas = 3;
    }
    assert_plan(
        &plan(&scaled, &shop_up(&shop), &options()),
        &["create container demo-api-3 (service:api:3, missing)"],
    );
}

#[test]
fn changed_config_recreates_only_that_service() {
    let shop = shop();
    let observed = shop_up(&shop);
    let mut changed = shop.clone();
    if let Some(api) = changed.services.get_mut("api") {
        api.image = Some("shop/api:2".to_string());
    }
    let plan = plan(&changed, &observed, &options());
    assert_plan(
        &plan,
        &[
            "recreate container demo-api-1 (service:api:1, config changed)",
            "recreate container demo-api-2 (service:api:2, config changed)",
        ],
    );
    let Some(Action::RecreateContainer {
        old_container_id,
        spec,
        ..
    }) = plan.actions.first()
    else {
        panic!("not a recreate:\n{plan}");
    };
    assert_eq!(old_container_id, "id-demo-api-1");
    assert_eq!(spec.image, "shop/api:2");
}

#[test]
fn stopped_replicas_are_started_and_paused_or_restarting_ones_left_alone() {
    let project = project(vec![replicas(service("web", "shop/web:1"), 4)]);
    let observed = ObservedState {
        containers: vec![
            in_state(
                replica(&project, "web", 1),
                ContainerState::Exited { code: 137 },
            ),
            in_state(replica(&project, "web", 2), ContainerState::Created),
            in_state(replica(&project, "web", 3), ContainerState::Paused),
            in_state(replica(&project, "web", 4), ContainerState::Restarting),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(
        &plan(&project, &observed, &options()),
        &[
            "start container demo-web-1 (service:web:1, stopped)",
            "start container demo-web-2 (service:web:2, stopped)",
        ],
    );
}

#[test]
fn dead_replica_is_recreated() {
    let project = project(vec![service("web", "shop/web:1")]);
    let observed = ObservedState {
        containers: vec![in_state(replica(&project, "web", 1), ContainerState::Dead)],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(
        &plan(&project, &observed, &options()),
        &["recreate container demo-web-1 (service:web:1, dead)"],
    );
}

#[test]
fn replace_then_start_then_create_within_a_service() {
    let project = project(vec![replicas(service("web", "shop/web:1"), 4)]);
    let observed = ObservedState {
        containers: vec![
            in_state(replica(&project, "web", 1), ContainerState::Created),
            replica_with_hash("web", 3, "old-hash"),
            replica(&project, "web", 4),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(
        &plan(&project, &observed, &options()),
        &[
            "recreate container demo-web-3 (service:web:3, config changed)",
            "start container demo-web-1 (service:web:1, stopped)",
            "create container demo-web-2 (service:web:2, missing)",
        ],
    );
}

#[test]
fn orphans_are_reported_but_kept_by_default() {
    let shop = shop();
    let mut observed = shop_up(&shop);
    observed
        .containers
        .push(replica_with_hash("legacy", 1, "whatever"));
    let plan = plan(&shop, &observed, &options());
    assert_plan(&plan, &[]);
    assert_eq!(
        plan.warnings,
        vec![
            "orphan container `demo-legacy-1`: service `legacy` is not in the manifest; remove it with --remove-orphans"
                .to_string()
        ]
    );
}

#[test]
fn orphans_are_removed_with_remove_orphans() {
    let shop = shop();
    let mut observed = shop_up(&shop);
    observed
        .containers
        .push(replica_with_hash("legacy", 1, "whatever"));
    let options = PlanOptions {
        remove_orphans: true,
        ..options()
    };
    let plan = plan(&shop, &observed, &options);
    assert_plan(
        &plan,
        &["remove container demo-legacy-1 (service:legacy:1, orphan)"],
    );
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);
}

#[test]
fn containers_without_labels_or_of_another_project_are_never_touched() {
    let project = project(vec![replicas(service("web", "shop/web:1"), 2)]);
    let observed = ObservedState {
        containers: vec![
            // Someone's `docker run --name demo-web-1`: same name, no labels.
            container("foreign-1", "demo-web-1", &[]),
            // Another project's web replica and orphan.
            container(
                "foreign-2",
                "shop-web-3",
                &[
                    (labels::PROJECT, "shop"),
                    (labels::SERVICE, "web"),
                    (labels::REPLICA, "3"),
                ],
            ),
            container(
                "foreign-3",
                "shop-legacy-1",
                &[
                    (labels::PROJECT, "shop"),
                    (labels::SERVICE, "legacy"),
                    (labels::REPLICA, "1"),
                ],
            ),
            // Compose's labels are not msctl's.
            container(
                "foreign-4",
                "demo-web-9",
                &[
                    ("com.docker.compose.project", "demo"),
                    ("com.docker.compose.service", "web"),
                ],
            ),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    let options = PlanOptions {
        remove_orphans: true,
        force_recreate: true,
        ..options()
    };
    let plan = plan(&project, &observed, &options);
    assert_plan(
        &plan,
        &[
            "create container demo-web-2 (service:web:2, missing)",
            "create container demo-web-3 (service:web:3, missing)",
        ],
    );
    assert_eq!(
        plan.warnings,
        vec![
            "container name `demo-web-1` is taken by a container msctl does not manage as a replica of `web`: replica 1 skipped"
                .to_string()
        ]
    );
}

#[test]
fn partly_labelled_project_containers_are_left_alone_with_a_warning() {
    let project = project(vec![service("web", "shop/web:1")]);
    let observed = ObservedState {
        containers: vec![
            replica(&project, "web", 1),
            container("odd-1", "demo-mystery", &[(labels::PROJECT, PROJECT)]),
            container(
                "odd-2",
                "demo-web-x",
                &[(labels::PROJECT, PROJECT), (labels::SERVICE, "web")],
            ),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    let options = PlanOptions {
        remove_orphans: true,
        ..options()
    };
    let plan = plan(&project, &observed, &options);
    assert_plan(&plan, &[]);
    assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
}

#[test]
fn scale_override_wins_over_the_manifest() {
    let shop = shop();
    let up = PlanOptions {
        scale: BTreeMap::from([("web".to_string(), 3), ("api".to_string(), 0)]),
        ..options()
    };
    assert_plan(
        &plan(&shop, &shop_up(&shop), &up),
        &[
            "remove container demo-api-2 (service:api:2, scale down)",
            "remove container demo-api-1 (service:api:1, scale down)",
            "create container demo-web-2 (service:web:2, missing)",
            "create container demo-web-3 (service:web:3, missing)",
        ],
    );
}

#[test]
fn missing_replica_numbers_are_filled_lowest_first() {
    let project = project(vec![replicas(service("web", "shop/web:1"), 4)]);
    let observed = ObservedState {
        containers: vec![replica(&project, "web", 2), replica(&project, "web", 5)],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(
        &plan(&project, &observed, &options()),
        &[
            "create container demo-web-1 (service:web:1, missing)",
            "create container demo-web-3 (service:web:3, missing)",
        ],
    );
}

#[test]
fn force_recreate_recreates_every_replica_of_the_selected_services() {
    let shop = shop();
    let options = PlanOptions {
        force_recreate: true,
        ..options()
    };
    assert_plan(
        &plan(&shop, &shop_up(&shop), &options),
        &[
            "recreate container demo-db-1 (service:db:1, forced)",
            "recreate container demo-api-1 (service:api:1, forced)",
            "recreate container demo-api-2 (service:api:2, forced)",
            "recreate container demo-web-1 (service:web:1, forced)",
        ],
    );
}

#[test]
fn no_recreate_keeps_changed_replicas_but_still_starts_and_creates() {
    let project = project(vec![replicas(service("web", "shop/web:2"), 3)]);
    let observed = ObservedState {
        containers: vec![
            replica_with_hash("web", 1, "old-hash"),
            in_state(
                replica_with_hash("web", 2, "old-hash"),
                ContainerState::Exited { code: 0 },
            ),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    let options = PlanOptions {
        no_recreate: true,
        ..options()
    };
    assert_plan(
        &plan(&project, &observed, &options),
        &[
            "start container demo-web-2 (service:web:2, stopped)",
            "create container demo-web-3 (service:web:3, missing)",
        ],
    );
}

#[test]
fn selecting_a_service_pulls_in_its_dependencies_only() {
    let mut shop = shop();
    shop.services
        .insert("admin".to_string(), service("admin", "shop/admin:1"));
    let options = PlanOptions {
        services: BTreeSet::from(["api".to_string()]),
        ..options()
    };
    assert_plan(
        &plan(&shop, &ObservedState::default(), &options),
        &[
            "create network demo_default (network:default, missing)",
            "create volume demo_data (volume:data, missing)",
            "create container demo-db-1 (service:db:1, missing)",
            "create container demo-api-1 (service:api:1, missing)",
            "create container demo-api-2 (service:api:2, missing)",
        ],
    );
}

#[test]
fn declared_networks_and_volumes_are_prefixed_and_external_ones_never_created() {
    let mut web = service("web", "shop/web:1");
    web.networks.insert("front".to_string(), Default::default());
    web.networks
        .insert("shared".to_string(), Default::default());
    let web = with_volume(
        with_volume(web, "cache", "/cache"),
        "certificates",
        "/certs",
    );
    let mut project = project(vec![web]);
    project
        .networks
        .insert("front".to_string(), Network::default());
    project.networks.insert(
        "shared".to_string(),
        Network {
            external: true,
            ..Network::default()
        },
    );
    project
        .volumes
        .insert("cache".to_string(), Volume::default());
    project.volumes.insert(
        "certificates".to_string(),
        Volume {
            external: true,
            name: Some("company-certs".to_string()),
            ..Volume::default()
        },
    );
    let plan = plan(&project, &ObservedState::default(), &options());
    assert_plan(
        &plan,
        &[
            "create network demo_front (network:front, missing)",
            "create volume demo_cache (volume:cache, missing)",
            "create container demo-web-1 (service:web:1, missing)",
        ],
    );
    assert_eq!(
        plan.warnings,
        vec![
            "external network `shared` does not exist".to_string(),
            "external volume `company-certs` does not exist".to_string(),
        ]
    );
}

#[test]
fn plan_text_is_deterministic_whatever_the_observed_order() {
    let shop = shop();
    let mut observed = shop_up(&shop);
    observed
        .containers
        .push(replica_with_hash("legacy", 2, "x"));
    observed
        .containers
        .push(replica_with_hash("legacy", 1, "x"));
    let mut reversed = observed.clone();
    reversed.containers.reverse();
    let options = PlanOptions {
        remove_orphans: true,
        force_recreate: true,
        ..options()
    };
    let first = plan(&shop, &observed, &options);
    let second = plan(&shop, &reversed, &options);
    assert_eq!(first.to_string(), second.to_string());
    assert_eq!(first.warnings, second.warnings);
}

// ---------------------------------------------------------------------------------------
// Observe -> plan -> apply against the fake engine
// ---------------------------------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

#[test]
fn up_then_up_again_is_empty_against_the_fake_engine() {
    let shop = shop();
    let engine = FakeEngine::new();
    runtime().block_on(async {
        let observed = observe(&engine, PROJECT).await.expect("observe");
        let first = plan(&shop, &observed, &options());
        apply(&first, &engine).await.expect("apply");
        let observed = observe(&engine, PROJECT).await.expect("observe");
        let second = plan(&shop, &observed, &options());
        assert_plan(&second, &[]);
    });
    let names: Vec<String> = engine
        .containers()
        .into_iter()
        .map(|container| format!("{} {:?}", container.name, container.state))
        .collect();
    assert_eq!(
        names,
        vec![
            "demo-api-1 Running",
            "demo-api-2 Running",
            "demo-db-1 Running",
            "demo-web-1 Running"
        ]
    );
    assert_eq!(
        engine
            .calls()
            .iter()
            .filter(|call| call.starts_with("create_") || call.starts_with("start_"))
            .cloned()
            .collect::<Vec<_>>(),
        vec![
            "create_network demo_default",
            "create_volume demo_data",
            "create_container demo-db-1",
            "start_container c0001",
            "create_container demo-api-1",
            "start_container c0002",
            "create_container demo-api-2",
            "start_container c0003",
            "create_container demo-web-1",
            "start_container c0004",
        ]
    );
}

#[test]
fn a_failed_action_names_the_plan_line() {
    let shop = shop();
    let engine = FakeEngine::new();
    engine.fail_next(
        "start_container",
        msctl::engine::fake::FakeFault::Unavailable,
    );
    let error = runtime().block_on(async {
        let observed = observe(&engine, PROJECT).await.expect("observe");
        apply(&plan(&shop, &observed, &options()), &engine)
            .await
            .expect_err("the injected failure")
    });
    assert_eq!(
        error.to_string(),
        "failed to create container demo-db-1 (service:db:1, missing)"
    );
    assert_eq!(
        std::error::Error::source(&error).map(ToString::to_string),
        Some(
            "cannot reach the Docker engine at fake://engine: injected: connection refused"
                .to_string()
        )
    );
}

// ---------------------------------------------------------------------------------------
// Real-world Compose keys: fixed names, shared network stacks, links, lifecycle hooks
// ---------------------------------------------------------------------------------------

fn hook(command: &[&str]) -> Hook {
    Hook {
        command: command.iter().map(|word| word.to_string()).collect(),
        user: None,
        privileged: false,
        working_dir: None,
        environment: BTreeMap::new(),
    }
}

fn sharing_stack_of(mut service: Service, peer: &str) -> Service {
    service.network_mode = Some(NetworkMode::Service(peer.to_string()));
    service
}

/// `web`, and `a-proxy` in web's network stack: by name, a-proxy would come first.
fn proxied() -> Project {
    project(vec![
        service("web", "shop/web:1"),
        sharing_stack_of(service("a-proxy", "proxy:1"), "web"),
    ])
}

fn create_spec<'a>(plan: &'a Plan, service_name: &str) -> &'a msctl::plan::spec::ContainerSpec {
    plan.actions
        .iter()
        .find_map(|action| match action {
            Action::CreateContainer {
                service_name: name,
                spec,
                ..
            } if name == service_name => Some(spec),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no create for {service_name} in\n{plan}"))
}

#[test]
fn a_fixed_container_name_names_the_one_replica() {
    let mut web = service("web", "shop/web:1");
    web.container_name = Some("shop-frontend".to_string());
    let project = project(vec![web]);
    let scaled = PlanOptions {
        scale: BTreeMap::from([("web".to_string(), 3)]),
        ..options()
    };
    let plan = plan(&project, &ObservedState::default(), &scaled);
    assert_plan(
        &plan,
        &[
            "create network demo_default (network:default, missing)",
            "create container shop-frontend (service:web:1, missing)",
        ],
    );
    assert_eq!(
        plan.warnings,
        vec!["service `web` names its container `shop-frontend`, and a name is unique: running 1 replica, not 3"]
    );
    // Found again by its labels, whatever its name: nothing more to do.
    let mut running = replica(&project, "web", 1);
    running.name = "shop-frontend".to_string();
    let observed = ObservedState {
        containers: vec![running],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(&plan_of(&project, &observed), &[]);
}

fn plan_of(project: &Project, observed: &ObservedState) -> Plan {
    plan(project, observed, &options())
}

#[test]
fn sharing_a_network_stack_starts_after_the_peer_and_joins_no_network() {
    let project = proxied();
    let plan = plan_of(&project, &ObservedState::default());
    assert_plan(
        &plan,
        &[
            "create network demo_default (network:default, missing)",
            "create container demo-web-1 (service:web:1, missing)",
            "create container demo-a-proxy-1 (service:a-proxy:1, missing)",
        ],
    );
    let proxy = create_spec(&plan, "a-proxy");
    assert_eq!(proxy.network_mode.as_deref(), Some("container:demo-web-1"));
    assert!(proxy.networks.is_empty(), "{:?}", proxy.networks);
    assert_eq!(create_spec(&plan, "web").network_mode, None);
}

#[test]
fn the_peer_of_a_shared_stack_is_named_by_its_fixed_container_name() {
    let mut project = proxied();
    if let Some(web) = project.services.get_mut("web") {
        web.container_name = Some("frontend".to_string());
    }
    let plan = plan_of(&project, &ObservedState::default());
    assert_eq!(
        create_spec(&plan, "a-proxy").network_mode.as_deref(),
        Some("container:frontend")
    );
}

#[test]
fn replacing_the_peer_recreates_the_replicas_in_its_network_stack() {
    let before = proxied();
    let observed = ObservedState {
        containers: vec![replica(&before, "a-proxy", 1), replica(&before, "web", 1)],
        networks: vec![default_network()],
        volumes: vec![],
    };
    assert_plan(&plan_of(&before, &observed), &[]);
    let mut after = before.clone();
    if let Some(web) = after.services.get_mut("web") {
        web.image = Some("shop/web:2".to_string());
    }
    assert_plan(
        &plan_of(&after, &observed),
        &[
            "recreate container demo-web-1 (service:web:1, config changed)",
            "recreate container demo-a-proxy-1 (service:a-proxy:1, network peer replaced)",
        ],
    );
}

#[test]
fn a_replica_sharing_a_stack_that_is_gone_is_recreated() {
    let project = proxied();
    let sharing = |peer_id: &str| {
        let mut proxy = replica(&project, "a-proxy", 1);
        proxy.network_mode = Some(format!("container:{peer_id}"));
        ObservedState {
            containers: vec![proxy, replica(&project, "web", 1)],
            networks: vec![default_network()],
            volumes: vec![],
        }
    };
    // The engine keeps the peer's id: web-1 is still the one it shares.
    assert_plan(&plan_of(&project, &sharing("id-demo-web-1")), &[]);
    // web-1 was replaced by an earlier run that left a-proxy alone.
    assert_plan(
        &plan_of(&project, &sharing("id-of-a-removed-container")),
        &["recreate container demo-a-proxy-1 (service:a-proxy:1, network peer replaced)"],
    );
}

#[test]
fn keys_docker_refuses_in_a_shared_stack_are_left_out_with_a_warning() {
    let mut project = proxied();
    if let Some(proxy) = project.services.get_mut("a-proxy") {
        proxy.hostname = Some("proxy".to_string());
        proxy.ports = vec![msctl::manifest::model::Port {
            target: 80,
            published: Some(8080),
            host_ip: None,
            protocol: msctl::manifest::model::Protocol::Tcp,
            mode: None,
        }];
        proxy.extra_hosts = vec!["db:10.0.0.5".to_string()];
    }
    let plan = plan_of(&project, &ObservedState::default());
    let proxy = create_spec(&plan, "a-proxy");
    assert_eq!(proxy.hostname, None);
    assert!(proxy.ports.is_empty());
    assert!(proxy.extra_hosts.is_empty());
    assert_eq!(
        plan.warnings,
        vec!["service `a-proxy` uses `network_mode: service:web`, where Docker does not take `hostname`, `ports`, `extra_hosts`: left out"]
    );
}

#[test]
fn a_link_makes_its_alias_a_name_of_the_linked_replicas_and_orders_the_start() {
    let mut api = service("api", "shop/api:1");
    api.links = vec!["zdb:database".to_string(), "cache".to_string()];
    let project = project(vec![
        api,
        replicas(service("zdb", "postgres:16"), 2),
        service("cache", "redis:7"),
    ]);
    let plan = plan_of(&project, &ObservedState::default());
    assert_plan(
        &plan,
        &[
            "create network demo_default (network:default, missing)",
            "create container demo-cache-1 (service:cache:1, missing)",
            "create container demo-zdb-1 (service:zdb:1, missing)",
            "create container demo-zdb-2 (service:zdb:2, missing)",
            "create container demo-api-1 (service:api:1, missing)",
        ],
    );
    assert_eq!(
        create_spec(&plan, "zdb").networks[0].aliases,
        vec!["zdb".to_string(), "database".to_string()]
    );
    assert_eq!(
        create_spec(&plan, "cache").networks[0].aliases,
        vec!["cache".to_string()]
    );
    // The alias is part of zdb's containers: a replica made before the link is replaced.
    let observed = ObservedState {
        containers: vec![replica(&project, "zdb", 1)],
        networks: vec![default_network()],
        volumes: vec![],
    };
    let again = msctl::plan::plan(
        &project,
        &observed,
        &PlanOptions {
            services: BTreeSet::from(["zdb".to_string()]),
            scale: BTreeMap::from([("zdb".to_string(), 1)]),
            ..options()
        },
    );
    assert_plan(
        &again,
        &["recreate container demo-zdb-1 (service:zdb:1, config changed)"],
    );
}

#[test]
fn hooks_ride_on_the_actions_that_start_and_stop_running_replicas() {
    let mut web = replicas(service("web", "shop/web:1"), 1);
    web.post_start = vec![hook(&["touch", "/ready"])];
    web.pre_stop = vec![hook(&["sh", "-c", "drain"])];
    let project = project(vec![web]);
    let hash = config_hash(&project.services["web"]);
    let observed = ObservedState {
        containers: vec![
            replica_with_hash("web", 1, &hash),
            in_state(
                replica_with_hash("web", 2, &hash),
                ContainerState::Exited { code: 0 },
            ),
            replica_with_hash("web", 3, &hash),
        ],
        networks: vec![default_network()],
        volumes: vec![],
    };
    let plan = plan_of(&project, &observed);
    assert_plan(
        &plan,
        &[
            "remove container demo-web-2 (service:web:2, scale down)",
            "remove container demo-web-3 (service:web:3, scale down)",
        ],
    );
    let pre_stops: Vec<Vec<Vec<String>>> = plan
        .actions
        .iter()
        .map(|action| match action {
            Action::StopAndRemove { pre_stop, .. } => {
                pre_stop.iter().map(|exec| exec.command.clone()).collect()
            }
            other => panic!("unexpected {other}"),
        })
        .collect();
    // The stopped replica has nothing to run its hook in.
    assert_eq!(
        pre_stops,
        vec![
            vec![],
            vec![vec![
                "sh".to_string(),
                "-c".to_string(),
                "drain".to_string()
            ]]
        ]
    );
    let fresh = plan_of(&project, &ObservedState::default());
    let Some(Action::CreateContainer { post_start, .. }) = fresh.actions.last() else {
        panic!("no create in\n{fresh}");
    };
    assert_eq!(post_start.len(), 1);
    assert_eq!(post_start[0].command, vec!["touch", "/ready"]);
    assert_eq!(post_start[0].output, ExecOutput::Stderr);
}

#[test]
fn a_failing_post_start_hook_fails_the_replicas_start_naming_it() {
    let mut web = service("web", "shop/web:1");
    web.post_start = vec![hook(&["true"]), hook(&["sh", "-c", "exit 3"])];
    let project = project(vec![web]);
    let engine = FakeEngine::new();
    engine.set_exec_exit_code(3);
    let error = runtime()
        .block_on(apply(
            &plan_of(&project, &ObservedState::default()),
            &engine,
        ))
        .expect_err("the hook fails");
    assert_eq!(
        error.to_string(),
        "failed to create container demo-web-1 (service:web:1, missing)"
    );
    assert_eq!(
        std::error::Error::source(&error).map(ToString::to_string),
        Some(
            "`post_start` failed: post_start hook 1 (`true`) of replica `web-1` (service `web`) exited with code 3"
                .to_string()
        )
    );
    // It ran in the started replica, and the hooks after it did not run.
    let execs = engine.execs();
    assert_eq!(execs.len(), 1);
    assert_eq!(engine.containers()[0].state, ContainerState::Running);
}

#[test]
fn a_failing_pre_stop_hook_is_a_warning_and_the_replica_still_goes() {
    let mut web = replicas(service("web", "shop/web:1"), 0);
    web.pre_stop = vec![hook(&["drain"])];
    let project = project(vec![web]);
    let observed = ObservedState {
        containers: vec![replica(&project, "web", 1)],
        networks: vec![default_network()],
        volumes: vec![],
    };
    let engine = FakeEngine::with_state(&observed);
    engine.set_exec_exit_code(1);
    let warnings = runtime()
        .block_on(apply(&plan_of(&project, &observed), &engine))
        .expect("the stop goes on");
    assert_eq!(
        warnings,
        vec!["pre_stop hook 1 (`drain`) of replica `web-1` (service `web`) exited with code 1; stopping it anyway"]
    );
    assert!(engine.containers().is_empty());
    assert_eq!(engine.execs().len(), 1);
}

// ---------------------------------------------------------------------------------------
// Properties over random observed states
// ---------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// The desired replica counts of db, api and web.
    #[derive(Debug, Clone)]
    struct Desired {
        db: u32,
        api: u32,
        web: u32,
        web_image: &'static str,
    }

    fn desired_project(desired: &Desired) -> Project {
        let mut project = project(vec![
            replicas(
                with_volume(service("db", "postgres:16"), "data", "/data"),
                desired.db,
            ),
            replicas(depends_on(service("api", "shop/api:1"), "db"), desired.api),
            replicas(
                depends_on(service("web", desired.web_image), "api"),
                desired.web,
            ),
        ]);
        project
            .volumes
            .insert("data".to_string(), Volume::default());
        project
    }

    fn state() -> impl Strategy<Value = ContainerState> {
        prop_oneof![
            4 => Just(ContainerState::Running),
            1 => Just(ContainerState::Created),
            1 => Just(ContainerState::Paused),
            1 => Just(ContainerState::Restarting),
            2 => (0i64..3).prop_map(|code| ContainerState::Exited { code }),
            1 => Just(ContainerState::Dead),
        ]
    }

    fn health() -> impl Strategy<Value = Health> {
        select(vec![
            Health::None,
            Health::Starting,
            Health::Healthy,
            Health::Unhealthy,
        ])
    }

    /// One container msctl created for project `demo`, maybe stale, maybe a stray
    /// duplicate of a replica number under another name.
    #[derive(Debug, Clone)]
    struct Managed {
        service: &'static str,
        number: u32,
        stray: bool,
        stale: bool,
        state: ContainerState,
        health: Health,
    }

    fn managed() -> impl Strategy<Value = Managed> {
        (
            select(vec!["db", "api", "web", "legacy"]),
            1u32..=5,
            proptest::bool::weighted(0.1),
            proptest::bool::weighted(0.3),
            state(),
            health(),
        )
            .prop_map(|(service, number, stray, stale, state, health)| Managed {
                service,
                number,
                stray,
                stale,
                state,
                health,
            })
    }

    /// A container msctl must never touch.
    #[derive(Debug, Clone)]
    struct Foreign {
        name: &'static str,
        labels: &'static [(&'static str, &'static str)],
        state: ContainerState,
    }

    fn foreign() -> impl Strategy<Value = Foreign> {
        (
            select(vec![
                "demo-web-1",
                "demo-web-2",
                "demo-api-3",
                "demo-db-1",
                "shop-web-1",
                "postgres",
            ]),
            select(vec![
                &[][..],
                &[
                    (labels::PROJECT, "shop"),
                    (labels::SERVICE, "web"),
                    (labels::REPLICA, "1"),
                ][..],
                &[(labels::PROJECT, "shop"), (labels::SERVICE, "legacy")][..],
                &[("com.docker.compose.project", "demo")][..],
                // msctl's project label but nothing else: ours, yet not safe to touch.
                &[(labels::PROJECT, "demo")][..],
            ]),
            state(),
        )
            .prop_map(|(name, labels, state)| Foreign {
                name,
                labels,
                state,
            })
    }

    #[derive(Debug, Clone)]
    struct Scenario {
        desired: Desired,
        managed: Vec<Managed>,
        foreign: Vec<Foreign>,
        network_exists: bool,
        options: PlanOptions,
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        let desired = (
            0u32..4,
            0u32..4,
            0u32..5,
            select(vec!["shop/web:1", "shop/web:2"]),
        )
            .prop_map(|(db, api, web, web_image)| Desired {
                db,
                api,
                web,
                web_image,
            });
        let options = (
            any::<bool>(),
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(0.2),
            proptest::option::of(0u32..4),
            proptest::option::of(select(vec!["db", "api", "web"])),
        )
            .prop_map(
                |(remove_orphans, force_recreate, no_recreate, web_scale, selected)| PlanOptions {
                    services: selected.into_iter().map(str::to_string).collect(),
                    remove_orphans,
                    force_recreate,
                    no_recreate,
                    scale: web_scale
                        .map(|count| BTreeMap::from([("web".to_string(), count)]))
                        .unwrap_or_default(),
                },
            );
        (
            desired,
            proptest::collection::vec(managed(), 0..12),
            proptest::collection::vec(foreign(), 0..5),
            any::<bool>(),
            options,
        )
            .prop_map(
                |(desired, managed, foreign, network_exists, options)| Scenario {
                    desired,
                    managed,
                    foreign,
                    network_exists,
                    options,
                },
            )
    }

    /// The observed state a scenario describes; names are unique as the engine keeps them.
    fn observed(scenario: &Scenario, project: &Project) -> ObservedState {
        let mut containers: Vec<ObservedContainer> = Vec::new();
        let mut taken = BTreeSet::new();
        for (index, managed) in scenario.managed.iter().enumerate() {
            let hash = match project.services.get(managed.service) {
                Some(service) if !managed.stale => config_hash(service),
                _ => "stale".to_string(),
            };
            let mut container = replica_with_hash(managed.service, managed.number, &hash);
            if managed.stray {
                container.name = format!("{}-stray{index}", container.name);
            }
            if !taken.insert(container.name.clone()) {
                continue;
            }
            container.id = format!("m{index:02}");
            container.state = managed.state;
            container.health = managed.health;
            containers.push(container);
        }
        for (index, foreign) in scenario.foreign.iter().enumerate() {
            if !taken.insert(foreign.name.to_string()) {
                continue;
            }
            let mut container = container(&format!("f{index:02}"), foreign.name, foreign.labels);
            container.state = foreign.state;
            containers.push(container);
        }
        ObservedState {
            containers,
            networks: if scenario.network_exists {
                vec![default_network()]
            } else {
                vec![]
            },
            volumes: vec![],
        }
    }

    /// Whether a container is one msctl may act on for project `demo`: it carries the
    /// project label and a service label.
    fn actionable(container: &ObservedContainer) -> bool {
        container.belongs_to(PROJECT) && container.service().is_some()
    }

    /// Everything the engine has, as the planner would see it with nothing filtered out.
    fn snapshot(engine: &FakeEngine) -> ObservedState {
        ObservedState {
            containers: engine
                .containers()
                .into_iter()
                .map(ObservedContainer::from)
                .collect(),
            networks: engine
                .networks()
                .into_iter()
                .map(|network| ObservedNetwork {
                    name: network.name,
                    labels: network.labels,
                })
                .collect(),
            volumes: engine
                .volumes()
                .into_iter()
                .map(|volume| ObservedVolume {
                    name: volume.name,
                    labels: volume.labels,
                })
                .collect(),
        }
    }

    fn selected_services(options: &PlanOptions) -> BTreeSet<&'static str> {
        let mut selected = BTreeSet::new();
        for name in &options.services {
            match name.as_str() {
                "web" => selected.extend(["web", "api", "db"]),
                "api" => selected.extend(["api", "db"]),
                _ => selected.extend(["db"]),
            }
        }
        if selected.is_empty() {
            selected.extend(["web", "api", "db"]);
        }
        selected
    }

    proptest! {
        #[test]
        fn planning_is_safe_and_converges(scenario in scenario()) {
            let project = desired_project(&scenario.desired);
            let observed = observed(&scenario, &project);
            let first = plan(&project, &observed, &scenario.options);

            // (b) No action touches a container msctl may not act on.
            let by_id: BTreeMap<&str, &ObservedContainer> = observed
                .containers
                .iter()
                .map(|container| (container.id.as_str(), container))
                .collect();
            for action in &first.actions {
                if let Some(id) = action.existing_container_id() {
                    let container = by_id.get(id);
                    prop_assert!(
                        container.is_some_and(|container| actionable(container)),
                        "`{}` touches {:?}", action, container
                    );
                }
            }
            // Services outside the selection are left alone (orphans aside).
            let selected = selected_services(&scenario.options);
            for action in &first.actions {
                if let Some(service_name) = action.service_name() {
                    prop_assert!(
                        selected.contains(service_name) || service_name == "legacy",
                        "`{}` is outside the selection", action
                    );
                }
            }

            let engine = FakeEngine::with_state(&observed);
            let applied = runtime().block_on(apply(&first, &engine));
            prop_assert!(applied.is_ok(), "{:?}\nplan:\n{}", applied.err(), first);
            let after = snapshot(&engine);

            // Foreign containers are exactly as they were.
            for container in observed.containers.iter().filter(|c| !actionable(c)) {
                let now = after.containers.iter().find(|c| c.id == container.id);
                prop_assert_eq!(now, Some(container));
            }

            // (a) Never more replicas than desired; exactly as many for selected services.
            for (service_name, service) in &project.services {
                let desired = scenario
                    .options
                    .scale
                    .get(service_name)
                    .copied()
                    .unwrap_or(service.deploy.replicas) as usize;
                let count = after
                    .project_containers(PROJECT)
                    .filter(|c| c.service() == Some(service_name.as_str()))
                    .filter(|c| c.replica_number().is_some())
                    .count();
                if selected.contains(service_name.as_str()) {
                    prop_assert_eq!(count, desired, "service {}\nplan:\n{}", service_name, first);
                }
            }

            // (c) Planning again after applying is empty. Force-recreate is a one-shot
            // request, so the second round runs without it.
            let again_options = PlanOptions { force_recreate: false, ..scenario.options.clone() };
            let second = plan(&project, &after, &again_options);
            prop_assert!(second.is_empty(), "first:\n{}second:\n{}", first, second);

            // The planner only ever sees this project's containers through `observe`, and
            // plans the same from that view.
            let observed_view = runtime()
                .block_on(observe(&engine, PROJECT))
                .map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert!(plan(&project, &observed_view, &again_options).is_empty());
        }
    }

    #[test]
    fn fake_engine_keeps_container_summaries_round_trip() {
        let container = replica_with_hash("web", 1, "h");
        let summary = ContainerSummary::from(container.clone());
        assert_eq!(ObservedContainer::from(summary), container);
    }
}

#[test]
fn a_port_through_the_ingress_is_exposed_on_each_replica_but_bound_on_none() {
    let mut web = replicas(service("web", "shop/web:1"), 3);
    web.ports = vec![
        msctl::manifest::model::Port {
            target: 80,
            published: Some(8080),
            host_ip: None,
            protocol: msctl::manifest::model::Protocol::Tcp,
            mode: None,
        },
        msctl::manifest::model::Port {
            target: 9000,
            published: None,
            host_ip: None,
            protocol: msctl::manifest::model::Protocol::Tcp,
            mode: None,
        },
    ];
    let project = project(vec![web]);
    let plan = plan_of(&project, &ObservedState::default());
    let spec = create_spec(&plan, "web");
    assert_eq!(
        spec.ports.iter().map(|p| p.target).collect::<Vec<_>>(),
        [9000],
        "only the port that is not published stays on the container"
    );
    assert!(
        spec.expose.contains(&"80/tcp".to_string()),
        "{:?}",
        spec.expose
    );
}

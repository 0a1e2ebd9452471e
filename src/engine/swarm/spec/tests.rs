//! The translation's tests: a manifest service and the Swarm spec it becomes, what is
//! refused or warned, and the Swarm keys on the local target.

use super::*;
use crate::manifest::demo_project as project;
use crate::manifest::{load_str, LoadOptions};

const API_41: ApiVersion = ApiVersion::new(1, 41);

fn translate(project: &Project, name: &str, api: ApiVersion) -> Result<Translated, Vec<String>> {
    let images: BTreeMap<String, String> = project
        .services
        .keys()
        .map(|n| (n.clone(), format!("sha256:{n}")))
        .collect();
    let secrets: BTreeMap<String, String> = project
        .secrets
        .keys()
        .map(|k| (k.clone(), format!("demo_{k}_0123")))
        .collect();
    let inputs = SwarmInputs {
        project,
        images: &images,
        secrets: &secrets,
        configs: &BTreeMap::new(),
        environment: &BTreeMap::new(),
        api,
    };
    service_spec(&inputs, &project.services[name])
}

const WEB: &str = r#"
x-msctl: {target: swarm}
services:
  web:
    image: web
    command: [serve, --port, "80"]
    environment: {MODE: prod}
    user: "10001"
    read_only: true
    cap_drop: [ALL]
    tmpfs: [/tmp]
    ports: ["8080:80"]
    volumes: [data:/data]
    networks:
      front: {aliases: [www]}
    healthcheck: {test: [CMD, /web, check], interval: 2s, retries: 3}
    deploy:
      replicas: 3
      resources: {limits: {cpus: "0.5", memory: 64m}}
      restart_policy: {condition: on-failure, max_attempts: 3}
      update_config: {parallelism: 1, order: start-first, failure_action: rollback, monitor: 10s}
      placement: {constraints: [node.role==worker], preferences: [{spread: node.labels.zone}]}
      labels: {team: shop}
volumes:
  data: {}
networks:
  front: {}
"#;

#[test]
fn a_service_becomes_a_swarm_service_with_its_keys_mapped() {
    let p = project(WEB);
    assert_eq!(p.target, crate::manifest::model::Target::Swarm);
    let t = translate(&p, "web", API_41).unwrap();
    let spec = t.spec;
    assert_eq!(spec.name.as_deref(), Some("demo_web"));
    let labels = spec.labels.clone().unwrap();
    assert_eq!(labels.get("team").map(String::as_str), Some("shop"));
    assert_eq!(
        labels.get(labels::PROJECT).map(String::as_str),
        Some("demo")
    );
    let task = spec.task_template.clone().unwrap();
    let container = task.container_spec.unwrap();
    assert_eq!(container.image.as_deref(), Some("sha256:web"));
    assert_eq!(
        container.args,
        Some(vec!["serve".into(), "--port".into(), "80".into()])
    );
    assert_eq!(container.env, Some(vec!["MODE=prod".to_string()]));
    assert_eq!(container.read_only, Some(true));
    assert_eq!(container.capability_drop, Some(vec!["ALL".to_string()]));
    let health = container.health_check.unwrap();
    assert_eq!(health.interval, Some(2_000_000_000));
    let mounts = container.mounts.unwrap();
    assert!(mounts
        .iter()
        .any(|m| m.source.as_deref() == Some("demo_data") && m.target.as_deref() == Some("/data")));
    assert!(mounts
        .iter()
        .any(|m| m.typ == Some(EngineMount::TMPFS) && m.target.as_deref() == Some("/tmp")));
    let limits = task.resources.unwrap().limits.unwrap();
    assert_eq!(limits.nano_cpus, Some(500_000_000));
    assert_eq!(limits.memory_bytes, Some(64 * 1024 * 1024));
    let restart = task.restart_policy.unwrap();
    assert_eq!(
        restart.condition,
        Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
    );
    assert_eq!(restart.max_attempts, Some(3));
    let placement = task.placement.unwrap();
    assert_eq!(
        placement.constraints,
        Some(vec!["node.role==worker".to_string()])
    );
    let networks = task.networks.unwrap();
    assert_eq!(networks[0].target.as_deref(), Some("demo_front"));
    assert_eq!(
        networks[0].aliases,
        Some(vec!["web".to_string(), "www".to_string()])
    );
    assert_eq!(
        spec.mode.unwrap().replicated.unwrap().replicas,
        Some(0),
        "the count is set when applied, outside the hash"
    );
    let update = spec.update_config.unwrap();
    assert_eq!(
        update.failure_action,
        Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK)
    );
    assert_eq!(
        update.order,
        Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST)
    );
    assert_eq!(update.monitor, Some(10_000_000_000));
    // DNS round robin by default, so the port is published on the task's node.
    let endpoint = spec.endpoint_spec.unwrap();
    assert_eq!(endpoint.mode, Some(EndpointSpecModeEnum::DNSRR));
    let port = &endpoint.ports.unwrap()[0];
    assert_eq!(
        port.publish_mode,
        Some(EndpointPortConfigPublishModeEnum::HOST)
    );
    assert_eq!(
        (port.published_port, port.target_port),
        (Some(8080), Some(80))
    );
}

#[test]
fn the_config_hash_is_stable_and_follows_the_task_not_the_count() {
    let p = project(WEB);
    let a = translate(&p, "web", API_41).unwrap().config_hash;
    for _ in 0..5 {
        assert_eq!(translate(&p, "web", API_41).unwrap().config_hash, a);
    }
    let scaled = project(&WEB.replace("replicas: 3", "replicas: 5"));
    assert_eq!(translate(&scaled, "web", API_41).unwrap().config_hash, a);
    let changed = project(&WEB.replace("MODE: prod", "MODE: test"));
    assert_ne!(translate(&changed, "web", API_41).unwrap().config_hash, a);
}

#[test]
fn what_a_swarm_cannot_do_is_refused_with_the_service_and_key() {
    let p = project(
        r#"
x-msctl: {target: swarm}
services:
  db:
    image: db
    privileged: true
    security_opt: ["no-new-privileges:true", "seccomp=unconfined"]
    ports: ["127.0.0.1:5432:5432", {target: 9000, published: 9000, mode: ingress}]
    links: [cache]
  cache:
    image: cache
"#,
    );
    let refused = translate(&p, "db", API_41).err().unwrap();
    let text = refused.join("\n");
    for expected in [
        "service `db`: `privileged`",
        "`security_opt: seccomp=unconfined`",
        "`security_opt: no-new-privileges`",
        "`ports: 127.0.0.1:5432`",
        "`ports: 9000`: the routing mesh",
        "`links`",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
    // From API 1.46 a Swarm service takes no-new-privileges itself.
    let newer = project(
        "x-msctl: {target: swarm}\nservices:\n  db:\n    image: db\n    security_opt: [\"no-new-privileges:true\"]\n",
    );
    let t = translate(&newer, "db", ApiVersion::new(1, 46)).unwrap();
    let privileges = t
        .spec
        .task_template
        .unwrap()
        .container_spec
        .unwrap()
        .privileges;
    assert_eq!(privileges.unwrap().no_new_privileges, Some(true));
    assert!(translate(&newer, "db", API_41).is_err());
}

#[test]
fn a_probe_without_a_healthcheck_is_refused_and_with_one_warned() {
    let base = "x-msctl: {target: swarm}\nservices:\n  a:\n    image: a\n    x-msctl: {probe: {http: {port: 80, path: /}}}\n";
    let refused = translate(&project(base), "a", API_41).err().unwrap();
    assert!(
        refused.join("\n").contains("`x-msctl.probe`"),
        "{refused:?}"
    );
    let with_check = format!("{base}    healthcheck: {{test: [CMD, /a, check]}}\n");
    let t = translate(&project(&with_check), "a", API_41).unwrap();
    assert!(
        t.warnings.iter().any(|w| w.contains("x-msctl.probe")),
        "{:?}",
        t.warnings
    );
}

#[test]
fn swarm_keys_are_warnings_on_the_local_target_and_global_mode_an_error() {
    let local = WEB.replace("x-msctl: {target: swarm}\n", "");
    let options = LoadOptions {
        project_name: Some("demo".to_string()),
        cwd: std::env::temp_dir(),
        ..LoadOptions::default()
    };
    let loaded = load_str(&local, &options).unwrap();
    assert!(loaded.project.services["web"].deploy.placement.is_empty());
    let warnings = loaded.render_warnings();
    assert!(warnings.contains("`placement`"), "{warnings}");
    let global = "services:\n  a:\n    image: a\n    deploy: {mode: global}\n";
    assert!(load_str(global, &options).is_err());
    let on_swarm = format!("x-msctl: {{target: swarm}}\n{global}");
    assert!(
        load_str(&on_swarm, &options).unwrap().project.services["a"]
            .deploy
            .global
    );
}

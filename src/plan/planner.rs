//! The planner: desired state x observed state x options -> [`Plan`].
//!
//! A pure, synchronous function (DESIGN.md, invariant 3): no engine calls, no clock, no
//! randomness. Everything it does is decided here and only here; the executor applies
//! the result without second-guessing it.
//!
//! Per service, in dependency order, the planner:
//! 1. removes extra replicas: unhealthy first, then ones not running, then the highest
//!    numbered (ties by name), so scaling down keeps the healthy, running, low replicas;
//! 2. recreates replicas whose config hash differs (all of them with `force_recreate`,
//!    none with `no_recreate`), and dead ones, which the engine cannot start again;
//! 3. starts replicas that are created or exited (paused and restarting ones are left to
//!    whoever paused them and to the engine's restart policy);
//! 4. creates missing replicas with the lowest free replica numbers.
//!
//! The control plane adds [`HealOptions`]: unhealthy running replicas are replaced,
//! replicas with another config hash are left to the next `up`, and services in backoff
//! are held as they are.
//!
//! A replica that shares the network stack of another service's first replica
//! (`network_mode: service:NAME`) is recreated when that replica is replaced (the engine
//! resolved the peer to its container id at creation, so it points at a container that
//! is gone), or started again while the sharing replica runs (it would keep the old
//! stack). Actions that start a replica carry its
//! `post_start` hooks; actions that stop a running one carry its `pre_stop` hooks.
//!
//! Before the services come the networks and named volumes they use, then orphans.
//! Containers are considered only when they carry this project's label: anything else is
//! never in an action (invariant 6).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::dependencies;
use super::hash::replica_config_hash;
use super::names;
use super::observed::{ContainerState, ObservedContainer, ObservedState};
use super::plan::{Action, Cause, Plan};
use super::spec::{
    hook_exec, left_out_by_network_mode, ContainerSpec, ExecSpec, NetworkSpec, VolumeSpec,
};
use crate::manifest::model::{MountType, Network, NetworkMode, Project, Service};

/// How long a replica gets between its stop signal and a kill when its service sets no
/// `stop_grace_period` (Docker's and Compose's default).
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What the command asked for on top of the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// The services to converge; empty means all. A selected service pulls in the
    /// services it depends on.
    pub services: BTreeSet<String>,
    /// Remove containers of this project whose service left the manifest, instead of
    /// only reporting them.
    pub remove_orphans: bool,
    /// Recreate every replica, changed or not.
    pub force_recreate: bool,
    /// Never recreate an existing replica; wins over `force_recreate`.
    pub no_recreate: bool,
    /// Replica counts that override the manifest's, by service name.
    pub scale: BTreeMap<String, u32>,
}

/// What the control plane asks for on top of [`PlanOptions`]: it repairs what broke
/// and leaves rollouts to `up`. The default asks for nothing, as a command plans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealOptions {
    /// Replace running replicas whose health check reports them unhealthy: they will not
    /// recover by themselves while they run.
    pub replace_unhealthy: bool,
    /// Leave replicas whose config hash differs from the desired one as they are (an
    /// `up` that failed half-way made them; the next `up` decides), unless they are dead
    /// or unhealthy and must be replaced anyway.
    pub keep_changed: bool,
    /// Services left exactly as they are: no action on their replicas (the control
    /// plane's backoff, and one-shot jobs that already ran).
    pub hold: BTreeSet<String>,
}

/// Plans the actions that take `observed` to `desired`.
pub fn plan(desired: &Project, observed: &ObservedState, options: &PlanOptions) -> Plan {
    plan_healing(desired, observed, options, &HealOptions::default())
}

/// The networks and named volumes `services` use that do not exist yet, and the declared
/// volumes `volumes` names: what containers of those services created outside a
/// convergence (`run`'s, `create`'s) need, with no action on any replica.
pub fn plan_infrastructure(
    desired: &Project,
    observed: &ObservedState,
    services: &BTreeSet<String>,
    volumes: &BTreeSet<String>,
) -> Plan {
    let options = PlanOptions::default();
    let heal = HealOptions::default();
    let mut planner = Planner::new(desired, observed, &options, &heal);
    let selected: Vec<&Service> = dependencies::dependency_order(desired)
        .iter()
        .filter(|name| services.contains(*name))
        .filter_map(|name| desired.services.get(name))
        .collect();
    planner.plan_networks(&selected);
    let mut used = volumes_used(&selected);
    used.extend(volumes.iter().map(String::as_str));
    planner.plan_volumes(used);
    planner.plan
}

/// The named volumes (declared or not) the services mount.
fn volumes_used<'s>(selected: &[&'s Service]) -> BTreeSet<&'s str> {
    selected
        .iter()
        .flat_map(|service| &service.volumes)
        .filter(|mount| mount.kind == MountType::Volume)
        .filter_map(|mount| mount.source.as_deref())
        .collect()
}

/// [`plan`], with the control plane's [`HealOptions`].
pub fn plan_healing(
    desired: &Project,
    observed: &ObservedState,
    options: &PlanOptions,
    heal: &HealOptions,
) -> Plan {
    let mut planner = Planner::new(desired, observed, options, heal);
    planner.check_options();
    let selected = planner.selected_services();
    let containers = planner.classify_containers();
    for (service_name, replicas) in &containers.replicas {
        if let Some(first) = replicas.iter().find(|replica| replica.number == 1) {
            planner
                .first_replica_ids
                .insert(service_name.to_string(), first.container.id.clone());
        }
    }
    planner.plan_networks(&selected);
    planner.plan_volumes(volumes_used(&selected));
    planner.plan_orphans(&containers.orphans);
    for service in &selected {
        let replicas = containers
            .replicas
            .get(service.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        planner.plan_service(service, replicas);
    }
    planner.plan
}

struct Planner<'a> {
    project: &'a Project,
    observed: &'a ObservedState,
    options: &'a PlanOptions,
    heal: &'a HealOptions,
    plan: Plan,
    /// Services whose replica 1 this plan creates or replaces, and whose replica 1 it
    /// starts: the network stack `network_mode: service:NAME` shares changes.
    replaced_first_replicas: BTreeSet<String>,
    started_first_replicas: BTreeSet<String>,
    /// Service name -> the id of its replica 1 as observed.
    first_replica_ids: BTreeMap<String, String>,
}

/// This project's containers msctl may act on, sorted by name.
struct ProjectContainers<'a> {
    /// Replicas of services in the manifest, by service name.
    replicas: BTreeMap<&'a str, Vec<Replica<'a>>>,
    /// Containers of services no longer in the manifest.
    orphans: Vec<Orphan<'a>>,
}

/// A container of a service in the manifest, with a valid replica number.
#[derive(Clone, Copy)]
struct Replica<'a> {
    number: u32,
    container: &'a ObservedContainer,
}

/// A container of a service that left the manifest.
struct Orphan<'a> {
    service_name: &'a str,
    container: &'a ObservedContainer,
}

impl<'a> Planner<'a> {
    fn new(
        project: &'a Project,
        observed: &'a ObservedState,
        options: &'a PlanOptions,
        heal: &'a HealOptions,
    ) -> Planner<'a> {
        Planner {
            project,
            observed,
            options,
            heal,
            plan: Plan::default(),
            replaced_first_replicas: BTreeSet::new(),
            started_first_replicas: BTreeSet::new(),
            first_replica_ids: BTreeMap::new(),
        }
    }

    fn warn(&mut self, message: String) {
        self.plan.warnings.push(message);
    }

    fn check_options(&mut self) {
        if self.options.force_recreate && self.options.no_recreate {
            self.warn("both force-recreate and no-recreate were asked for: not recreating".into());
        }
        for service_name in self.options.scale.keys() {
            if !self.project.services.contains_key(service_name) {
                self.warn(format!(
                    "cannot scale service `{service_name}`: it is not in the project"
                ));
            }
        }
    }

    /// The services to converge, in dependency order.
    fn selected_services(&mut self) -> Vec<&'a Service> {
        let project = self.project;
        for service_name in &self.options.services {
            if !project.services.contains_key(service_name) {
                self.warn(format!("service `{service_name}` is not in the project"));
            }
        }
        let wanted = dependencies::with_dependencies(project, &self.options.services);
        dependencies::dependency_order(project)
            .iter()
            .filter(|service_name| wanted.contains(*service_name))
            .filter_map(|service_name| project.services.get(service_name))
            .collect()
    }

    fn classify_containers(&mut self) -> ProjectContainers<'a> {
        let project_name = self.project.name.as_str();
        let mut containers: Vec<&'a ObservedContainer> =
            self.observed.project_containers(project_name).collect();
        containers.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let mut replicas: BTreeMap<&'a str, Vec<Replica<'a>>> = BTreeMap::new();
        let mut orphans = Vec::new();
        for container in containers {
            if container.is_oneoff() {
                continue;
            }
            let Some(service_name) = container.service() else {
                self.warn(format!(
                    "container `{}` has the label of project `{project_name}` but no service label: left alone",
                    container.name
                ));
                continue;
            };
            if !self.project.services.contains_key(service_name) {
                orphans.push(Orphan {
                    service_name,
                    container,
                });
                continue;
            }
            let Some(number) = container.replica_number() else {
                self.warn(format!(
                    "container `{}` of service `{service_name}` has no valid replica number label: left alone",
                    container.name
                ));
                continue;
            };
            replicas
                .entry(service_name)
                .or_default()
                .push(Replica { number, container });
        }
        ProjectContainers { replicas, orphans }
    }

    fn plan_networks(&mut self, selected: &[&'a Service]) {
        // Network key -> the first service (in dependency order) that joins it.
        let mut used: BTreeMap<&str, &str> = BTreeMap::new();
        for service in selected {
            for key in names::service_network_keys(service) {
                used.entry(key).or_insert(&service.name);
            }
        }
        let project_name = self.project.name.as_str();
        for (key, service_name) in used {
            let network = match self.project.networks.get(key) {
                Some(network) => network.clone(),
                None if key == names::DEFAULT_NETWORK => Network::default(),
                None => {
                    self.warn(format!(
                        "service `{service_name}` joins network `{key}`, which is not declared"
                    ));
                    continue;
                }
            };
            let name = names::network_name(project_name, key, &network);
            match self.observed.network(&name) {
                Some(existing) if !network.external && !existing.belongs_to(project_name) => {
                    self.warn(format!(
                        "network `{name}` exists but msctl did not create it for project `{project_name}`: using it"
                    ));
                }
                Some(_) => {}
                None if network.external => {
                    self.warn(format!("external network `{name}` does not exist"));
                }
                None => self.plan.actions.push(Action::CreateNetwork {
                    network_key: key.to_string(),
                    spec: NetworkSpec::for_network(project_name, key, &network),
                }),
            }
        }
    }

    fn replica_spec(&self, service: &Service, number: u32, hash: &str) -> ContainerSpec {
        ContainerSpec::for_replica(self.project, service, number, hash)
    }

    fn plan_volumes(&mut self, used: BTreeSet<&str>) {
        let project_name = self.project.name.as_str();
        for key in used {
            // A source that is not a declared volume is a plain engine volume name; the
            // engine creates it with the container, as `docker run -v` does.
            let Some(volume) = self.project.volumes.get(key) else {
                continue;
            };
            let name = names::volume_name(project_name, key, volume);
            match self.observed.volume(&name) {
                Some(existing) if !volume.external && !existing.belongs_to(project_name) => {
                    self.warn(format!(
                        "volume `{name}` exists but msctl did not create it for project `{project_name}`: using it"
                    ));
                }
                Some(_) => {}
                None if volume.external => {
                    self.warn(format!("external volume `{name}` does not exist"));
                }
                None => self.plan.actions.push(Action::CreateVolume {
                    volume_key: key.to_string(),
                    spec: VolumeSpec::for_volume(project_name, key, volume),
                }),
            }
        }
    }

    fn plan_orphans(&mut self, orphans: &[Orphan<'a>]) {
        for Orphan {
            service_name,
            container,
        } in orphans
        {
            if self.options.remove_orphans {
                self.plan.actions.push(Action::RemoveOrphan {
                    container_id: container.id.clone(),
                    container_name: container.name.clone(),
                    service_name: service_name.to_string(),
                    replica_number: container.replica_number(),
                    stop_timeout: DEFAULT_STOP_TIMEOUT,
                });
            } else {
                self.warn(format!(
                    "orphan container `{}`: service `{service_name}` is not in the manifest; remove it with --remove-orphans",
                    container.name
                ));
            }
        }
    }

    fn plan_service(&mut self, service: &'a Service, replicas: &[Replica<'a>]) {
        if self.heal.hold.contains(&service.name) {
            return;
        }
        let project_name = self.project.name.as_str();
        let mut desired_count = self
            .options
            .scale
            .get(&service.name)
            .copied()
            .unwrap_or_else(|| service.replicas()) as usize;
        if let (Some(fixed), true) = (&service.container_name, desired_count > 1) {
            self.warn(format!(
                "service `{}` names its container `{fixed}`, and a name is unique: running 1 replica, not {desired_count}",
                service.name
            ));
            desired_count = 1;
        }
        let hash = replica_config_hash(self.project, service);
        let stop_timeout = service.stop_grace_period.unwrap_or(DEFAULT_STOP_TIMEOUT);
        let post_start: Vec<ExecSpec> = service.post_start.iter().map(hook_exec).collect();
        // Hooks run in a container that runs: a stopped one has nothing to run them in.
        let pre_stop_of = |container: &ObservedContainer| -> Vec<ExecSpec> {
            if container.is_running() {
                service.pre_stop.iter().map(hook_exec).collect()
            } else {
                Vec::new()
            }
        };
        let left_out = left_out_by_network_mode(service);
        if let (false, Some(mode)) = (left_out.is_empty(), &service.network_mode) {
            self.warn(format!(
                "service `{}` uses `network_mode: {mode}`, where Docker does not take {}: left out",
                service.name,
                left_out
                    .iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        // Whether a replica's shared network stack is gone or about to change.
        let peer = match &service.network_mode {
            Some(NetworkMode::Service(peer)) => Some((
                self.first_replica_ids.get(peer).cloned(),
                self.replaced_first_replicas.contains(peer),
                self.started_first_replicas.contains(peer),
            )),
            _ => None,
        };
        let peer_changed = |container: &ObservedContainer| -> bool {
            let Some((peer_id, replaced, started)) = &peer else {
                return false;
            };
            let stale = match (container.network_peer_id(), peer_id) {
                (Some(shared), Some(peer_id)) => shared != peer_id,
                (Some(_), None) => true,
                (None, _) => false,
            };
            stale || *replaced || (*started && container.is_running())
        };

        // 1. Scale down.
        let mut kept: Vec<Replica<'a>> = replicas.to_vec();
        kept.sort_by_key(|replica| removal_rank(*replica));
        let extra = kept.len().saturating_sub(desired_count);
        for Replica { number, container } in kept.drain(..extra) {
            self.plan.actions.push(Action::StopAndRemove {
                container_id: container.id.clone(),
                container_name: container.name.clone(),
                service_name: service.name.clone(),
                replica_number: number,
                stop_timeout,
                cause: Cause::ScaleDown,
                pre_stop: pre_stop_of(container),
            });
        }
        kept.sort_by_key(|replica| {
            (
                replica.number,
                &replica.container.name,
                &replica.container.id,
            )
        });

        // 2. Replace.
        let mut not_recreated = Vec::new();
        for Replica { number, container } in kept.iter().copied() {
            let changed = container.config_hash() != Some(hash.as_str());
            let cause = if changed && !self.heal.keep_changed {
                Some(Cause::ConfigChanged)
            } else if self.options.force_recreate {
                Some(Cause::Forced)
            } else if container.state == ContainerState::Dead {
                Some(Cause::Dead)
            } else if self.heal.replace_unhealthy
                && container.is_running()
                && container.is_unhealthy()
            {
                Some(Cause::Unhealthy)
            } else if peer_changed(container) {
                Some(Cause::PeerReplaced)
            } else {
                None
            };
            match cause {
                Some(cause) if !self.options.no_recreate => {
                    let mut spec = self.replica_spec(service, number, &hash);
                    // The replacement takes the name its predecessor frees: the usual name
                    // may be held by another container (a duplicate replica number, or a
                    // container that is not ours).
                    spec.name = container.name.clone();
                    self.plan.actions.push(Action::RecreateContainer {
                        old_container_id: container.id.clone(),
                        container_name: container.name.clone(),
                        service_name: service.name.clone(),
                        replica_number: number,
                        config_hash: hash.clone(),
                        spec,
                        stop_timeout,
                        cause,
                        pre_stop: pre_stop_of(container),
                        post_start: post_start.clone(),
                    });
                    if number == 1 {
                        self.replaced_first_replicas.insert(service.name.clone());
                    }
                }
                Some(cause @ (Cause::Dead | Cause::Unhealthy)) => {
                    self.warn(format!(
                        "replica `{}` is {cause} and no-recreate was asked for: left alone",
                        container.name
                    ));
                }
                _ => not_recreated.push(Replica { number, container }),
            }
        }

        // 3. Start.
        for Replica { number, container } in not_recreated {
            if container.state.is_stopped() {
                self.plan.actions.push(Action::StartContainer {
                    container_id: container.id.clone(),
                    container_name: container.name.clone(),
                    service_name: service.name.clone(),
                    replica_number: number,
                    post_start: post_start.clone(),
                });
                if number == 1 {
                    self.started_first_replicas.insert(service.name.clone());
                }
            }
        }

        // 4. Create.
        let missing = desired_count.saturating_sub(kept.len());
        let used_numbers: BTreeSet<u32> = kept.iter().map(|replica| replica.number).collect();
        let mut created = 0;
        let mut number = 0u32;
        while created < missing {
            number = match number.checked_add(1) {
                Some(next) => next,
                None => break,
            };
            if used_numbers.contains(&number) {
                continue;
            }
            let name = names::replica_container_name(project_name, service, number);
            if self.observed.container_name_taken(&name) {
                self.warn(format!(
                    "container name `{name}` is taken by a container msctl does not manage as a replica of `{}`: replica {number} skipped",
                    service.name
                ));
                continue;
            }
            self.plan.actions.push(Action::CreateContainer {
                service_name: service.name.clone(),
                replica_number: number,
                config_hash: hash.clone(),
                spec: self.replica_spec(service, number, &hash),
                post_start: post_start.clone(),
            });
            if number == 1 {
                self.replaced_first_replicas.insert(service.name.clone());
            }
            created += 1;
        }
    }
}

/// Sort key for scale-down: the replicas to remove first sort first.
fn removal_rank(replica: Replica<'_>) -> (bool, bool, Reverse<u32>, &str, &str) {
    (
        !replica.container.is_unhealthy(),
        replica.container.is_running(),
        Reverse(replica.number),
        &replica.container.name,
        &replica.container.id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{config_hash, labels, Health};

    fn project() -> Project {
        let web = Service {
            name: "web".to_string(),
            image: Some("web:1".to_string()),
            ..Service::default()
        };
        let mut db = web.clone();
        db.name = "db".to_string();
        Project {
            registry: None,
            target: Default::default(),
            name: "demo".to_string(),
            working_dir: ".".into(),
            services: BTreeMap::from([("web".to_string(), web), ("db".to_string(), db)]),
            networks: BTreeMap::new(),
            volumes: BTreeMap::new(),
            secrets: BTreeMap::new(),
            configs: BTreeMap::new(),
        }
    }

    fn replica(
        service: &str,
        hash: &str,
        state: ContainerState,
        health: Health,
    ) -> ObservedContainer {
        let name = format!("demo-{service}-1");
        ObservedContainer {
            id: format!("id-{name}"),
            name,
            image: "image".to_string(),
            labels: [
                (labels::PROJECT, "demo"),
                (labels::SERVICE, service),
                (labels::REPLICA, "1"),
                (labels::CONFIG_HASH, hash),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            state,
            health,
            network_mode: None,
        }
    }

    fn observed(containers: Vec<ObservedContainer>) -> ObservedState {
        ObservedState {
            containers,
            networks: vec![super::super::ObservedNetwork {
                name: "demo_default".to_string(),
                labels: BTreeMap::from([(labels::PROJECT.to_string(), "demo".to_string())]),
            }],
            volumes: Vec::new(),
        }
    }

    fn hash_of(project: &Project, service: &str) -> String {
        config_hash(&project.services[service])
    }

    fn heal() -> HealOptions {
        HealOptions {
            replace_unhealthy: true,
            keep_changed: true,
            hold: BTreeSet::new(),
        }
    }

    #[test]
    fn healing_replaces_an_unhealthy_running_replica_which_a_command_leaves_alone() {
        let project = project();
        let observed = observed(vec![
            replica(
                "db",
                &hash_of(&project, "db"),
                ContainerState::Running,
                Health::Healthy,
            ),
            replica(
                "web",
                &hash_of(&project, "web"),
                ContainerState::Running,
                Health::Unhealthy,
            ),
        ]);
        let healing = plan_healing(&project, &observed, &PlanOptions::default(), &heal());
        assert_eq!(
            healing.to_string(),
            "recreate container demo-web-1 (service:web:1, unhealthy)\n"
        );
        assert!(plan(&project, &observed, &PlanOptions::default()).is_empty());
    }

    #[test]
    fn healing_leaves_a_changed_replica_to_up_but_restarts_it_when_it_stopped() {
        let project = project();
        let running = observed(vec![
            replica("db", "old", ContainerState::Running, Health::None),
            replica(
                "web",
                &hash_of(&project, "web"),
                ContainerState::Running,
                Health::None,
            ),
        ]);
        assert!(plan_healing(&project, &running, &PlanOptions::default(), &heal()).is_empty());
        let exited = observed(vec![
            replica(
                "db",
                "old",
                ContainerState::Exited { code: 1 },
                Health::None,
            ),
            replica(
                "web",
                &hash_of(&project, "web"),
                ContainerState::Dead,
                Health::None,
            ),
        ]);
        assert_eq!(
            plan_healing(&project, &exited, &PlanOptions::default(), &heal()).to_string(),
            "start container demo-db-1 (service:db:1, stopped)\n\
             recreate container demo-web-1 (service:web:1, dead)\n"
        );
    }

    #[test]
    fn a_held_service_is_not_touched_even_when_its_replica_is_down_or_missing() {
        let project = project();
        let observed = observed(vec![replica(
            "web",
            &hash_of(&project, "web"),
            ContainerState::Exited { code: 3 },
            Health::None,
        )]);
        let mut options = heal();
        options.hold = BTreeSet::from(["web".to_string()]);
        assert_eq!(
            plan_healing(&project, &observed, &PlanOptions::default(), &options).to_string(),
            "create container demo-db-1 (service:db:1, missing)\n"
        );
        options.hold.insert("db".to_string());
        assert!(plan_healing(&project, &observed, &PlanOptions::default(), &options).is_empty());
    }
}

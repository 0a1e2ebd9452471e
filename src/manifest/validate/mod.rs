//! From the merged, interpolated YAML tree to the validated [`Project`], collecting every
//! problem in one pass.
//!
//! `validate` here runs the pass; `keys` holds the key tables, and each other submodule
//! reads and checks one kind of object.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::manifest::diagnostic::{Diagnostics, Span};
use crate::manifest::fields::Reader;
use crate::manifest::interpolate::Variables;
use crate::manifest::model::{Config, Project, Secret, Target};
use crate::manifest::risks;
use crate::manifest::yaml::{Node, Value};

mod common;
mod cross_service;
mod dependencies;
mod deploy;
mod develop;
mod extensions;
mod healthcheck;
mod keys;
mod networks;
mod secrets_configs;
mod services;
pub mod volumes;

use common::named_objects;
use cross_service::{check_container_settings, check_published_ports};
use dependencies::{apply_profiles, check_dependencies};
use extensions::project_extensions;
use keys::TOP_LEVEL;
use networks::network;
use secrets_configs::{config, secret};
use services::service;
use volumes::volume;

pub use common::{resolve_path, valid_name};
pub use keys::key_tables;

/// The largest replica count accepted: more on one machine is a typo, not a plan.
pub const MAX_REPLICAS: i64 = 1000;

/// What validation needs besides the tree.
pub struct Inputs<'a> {
    /// Directory relative paths are resolved against (the project directory).
    pub working_dir: &'a Path,
    pub project_name: String,
    pub vars: &'a Variables,
    /// Profiles enabled on the command line or by `MSCTL_PROFILES`.
    pub profiles: &'a [String],
    /// The target `--target` or `MSCTL_TARGET` chose, over the manifest's `x-msctl.target`.
    pub target: Option<Target>,
}

/// Validate the merged manifest. Returns the project only when there is no error.
pub fn validate(root: &Node, inputs: &Inputs<'_>, diags: &mut Diagnostics) -> Option<Project> {
    let mut r = Reader { diags };
    if !matches!(root.value, Value::Map(_)) {
        r.error_hint(
            format!(
                "a manifest must be a mapping with a `services` key, found {}",
                root.type_name()
            ),
            root.span,
            "start the file with `services:`",
        );
        return None;
    }
    TOP_LEVEL.check(root, "the top level", r.diags);
    let (target, registry) = project_extensions(&mut r, root, inputs.target);

    let volumes = root
        .get("volumes")
        .map(|n| named_objects(&mut r, n, "volumes", volume))
        .unwrap_or_default();
    let networks = root
        .get("networks")
        .map(|n| named_objects(&mut r, n, "networks", network))
        .unwrap_or_default();
    let secrets: BTreeMap<String, Secret> = root
        .get("secrets")
        .map(|n| {
            named_objects(&mut r, n, "secrets", |r, name, node| {
                secret(r, name, node, inputs)
            })
        })
        .unwrap_or_default();

    let configs: BTreeMap<String, Config> = root
        .get("configs")
        .map(|n| {
            named_objects(&mut r, n, "configs", |r, name, node| {
                config(r, name, node, inputs)
            })
        })
        .unwrap_or_default();

    let refs = References {
        volumes: volumes.keys().cloned().collect(),
        networks: networks.keys().cloned().collect(),
        secrets: secrets.keys().cloned().collect(),
        configs: configs.keys().cloned().collect(),
        target,
    };

    let mut services = BTreeMap::new();
    let mut spans: BTreeMap<String, ServiceSpans> = BTreeMap::new();
    match root.entry("services") {
        None => r.error_hint(
            "the manifest defines no services",
            root.span,
            "add a `services:` mapping with at least one service",
        ),
        Some(entry) => {
            if let Some(entries) = r.map(&entry.value, "`services`") {
                if entries.is_empty() {
                    r.error_hint(
                        "`services` is empty",
                        entry.key_span,
                        "define at least one service",
                    );
                }
                for e in entries {
                    if !valid_name(&e.key) {
                        r.error_hint(
                            format!("`{}` is not a valid service name", e.key),
                            e.key_span,
                            "service names use letters, digits, `_`, `.` and `-`, and start with a letter or digit",
                        );
                        continue;
                    }
                    if let Some((svc, svc_spans)) = service(&mut r, e, inputs, &refs) {
                        spans.insert(e.key.clone(), svc_spans);
                        services.insert(e.key.clone(), svc);
                    }
                }
            }
        }
    }

    check_dependencies(&mut r, &services, &spans);
    check_published_ports(&mut r, &services, &spans);
    check_container_settings(&mut r, &services, &spans);
    risks::check(&mut r, root, &services);
    let services = apply_profiles(&mut r, services, &spans, inputs.profiles);

    if r.diags.has_errors() {
        return None;
    }
    Some(Project {
        name: inputs.project_name.clone(),
        target,
        registry,
        working_dir: inputs.working_dir.to_path_buf(),
        services,
        networks,
        volumes,
        secrets,
        configs,
    })
}

struct References {
    volumes: BTreeSet<String>,
    networks: BTreeSet<String>,
    secrets: BTreeSet<String>,
    configs: BTreeSet<String>,
    /// Where the project runs: some keys mean something on a Swarm only.
    target: Target,
}

/// Where things were written, for checks that span services.
#[derive(Default)]
struct ServiceSpans {
    name: Option<Span>,
    depends_on: BTreeMap<String, Span>,
    ports: Vec<Span>,
    /// Where each key of the service was written.
    keys: BTreeMap<String, Span>,
    /// Where each entry of `links` was written.
    links: Vec<Span>,
}

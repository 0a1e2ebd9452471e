//! The project as a whole and its top-level resources: networks, volumes, secrets and
//! configs, and the project's JSON form.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::values::is_false;
use super::{Service, Target};

/// A whole project: the merged manifests after validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Project {
    pub name: String,
    /// Where the project runs: this engine's containers, or a Swarm's services
    /// (`x-msctl.target`, `--target`, `MSCTL_TARGET`).
    #[serde(default, skip_serializing_if = "Target::is_local")]
    pub target: Target,
    /// The registry msctl pushes the images it builds to, and a Swarm's nodes pull
    /// them from (`x-msctl.registry`: `HOST[:PORT][/PATH]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The directory relative paths are resolved against.
    #[serde(skip)]
    pub working_dir: PathBuf,
    pub services: BTreeMap<String, Service>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Network>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Volume>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Secret>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, Config>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Network {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub attachable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_ipv6: bool,
}

/// A network's address management: its driver and address pools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Ipam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct IpamPool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Volume {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A top-level secret. Only where it comes from is kept: its contents are read when a
/// container is created and are never printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secret {
    /// An absolute path to a file on the host.
    File(PathBuf),
    /// The name of an environment variable of msctl's own environment.
    Environment(String),
    /// The contents themselves, written in the manifest (configs only).
    Content(String),
}

/// A top-level config: like a secret, a file mounted read-only, but not confidential.
pub type Config = Secret;

impl Project {
    /// Each service's replica count as the manifest asks for it.
    pub fn manifest_replicas(&self) -> BTreeMap<String, u32> {
        self.services
            .iter()
            .map(|(name, service)| (name.clone(), service.replicas()))
            .collect()
    }

    /// A project of these services and nothing else, in the current directory (tests,
    /// and callers that build a project by hand).
    pub fn of_services(name: &str, services: impl IntoIterator<Item = Service>) -> Project {
        Project {
            name: name.to_string(),
            working_dir: PathBuf::from("."),
            services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
            ..Project::default()
        }
    }

    /// The project from its JSON form (`msctl config --format json`, the state store),
    /// with what that form leaves out restored: each service's name, and `working_dir`.
    pub fn from_json(json: &str, working_dir: PathBuf) -> Result<Project, serde_json::Error> {
        let mut project: Project = serde_json::from_str(json)?;
        project.working_dir = working_dir;
        for (name, service) in project.services.iter_mut() {
            service.name = name.clone();
        }
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::Project;
    use crate::manifest::{load, LoadOptions};

    /// Every valid fixture: its file (or the directory holding `compose.yaml`).
    fn fixtures() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
        let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/fixtures/valid")
            .map(|e| e.expect("entry").path())
            .collect();
        out.sort();
        out
    }

    /// The JSON form is complete: a project read back from it equals the one written,
    /// so desired state can be kept in the state store as JSON.
    #[test]
    fn every_valid_fixture_survives_a_json_round_trip() {
        let mut checked = 0;
        for path in fixtures() {
            let (cwd, files) = if path.is_dir() {
                (path.clone(), Vec::new())
            } else {
                (
                    path.parent().expect("parent").to_path_buf(),
                    vec![path.clone()],
                )
            };
            let options = LoadOptions {
                files,
                cwd,
                environment: BTreeMap::from([("HOME".to_string(), "/home/test".to_string())]),
                ..LoadOptions::default()
            };
            let loaded =
                load(&options).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
            let json = serde_json::to_string(&loaded.project).expect("serialize");
            let back = Project::from_json(&json, loaded.project.working_dir.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{json}", path.display()));
            assert_eq!(back, loaded.project, "{}", path.display());
            checked += 1;
        }
        assert!(checked >= 25, "only {checked} fixtures");
    }
}

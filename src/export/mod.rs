//! Exports of a project to another orchestrator's format (`msctl export`).
//!
//! The translation itself is pure (a `Project` and the file contents in, objects and
//! what did not translate out); [`read_sources`] is the one place that reads the files
//! and variables secrets and configs come from, so the translation can be tested on
//! fixed contents.

pub mod kubernetes;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::manifest::model::{Project, Secret};

/// Something the manifest says that the export could not say, or said only in part:
/// `<subject>: <key> — <why>`, e.g. `service orders: depends_on — ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslated {
    /// What it belongs to: `service orders`, `network services`, `volume users-data`.
    pub subject: String,
    /// The manifest key, as written (`deploy.update_config.monitor`).
    pub key: String,
    /// Why it did not translate, and what stands in for it if anything.
    pub why: String,
}

impl std::fmt::Display for Untranslated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} — {}", self.subject, self.key, self.why)
    }
}

/// The contents of the project's secrets and configs, by their top-level name: what an
/// export writes into Secret and ConfigMap objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub secrets: BTreeMap<String, Vec<u8>>,
    pub configs: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read {kind} `{name}` from `{path}`: {source}")]
    Unreadable {
        kind: &'static str,
        name: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{kind} `{name}` comes from the environment variable `{variable}`, which is not set")]
    UnsetVariable {
        kind: &'static str,
        name: String,
        variable: String,
    },
    #[error("{kind} `{first}` and `{second}` both become the Kubernetes name `{name}`")]
    NameClash {
        kind: &'static str,
        first: String,
        second: String,
        name: String,
    },
    #[error("cannot write {kind} `{name}` as YAML: {source}")]
    Yaml {
        kind: String,
        name: String,
        #[source]
        source: serde_norway::Error,
    },
}

impl ExportError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            ExportError::Unreadable { kind, .. } => Some(format!(
                "create the file, or point the {kind} at another with `file:`"
            )),
            ExportError::UnsetVariable { variable, .. } => {
                Some(format!("set `{variable}` in the environment of msctl"))
            }
            ExportError::NameClash { kind, .. } => Some(format!(
                "Kubernetes names are lowercase letters, digits and `-`: rename one of the {kind}s"
            )),
            ExportError::Yaml { .. } => None,
        }
    }
}

/// Read every top-level secret and config the way `up` would hand it to a container:
/// a file's bytes, an environment variable's value, or the manifest's own `content`.
pub fn read_sources(
    project: &Project,
    environment: &BTreeMap<String, String>,
) -> Result<Sources, ExportError> {
    let read = |kind: &'static str, name: &str, source: &Secret| -> Result<Vec<u8>, ExportError> {
        match source {
            Secret::File(path) => std::fs::read(path).map_err(|source| ExportError::Unreadable {
                kind,
                name: name.to_string(),
                path: path.clone(),
                source,
            }),
            Secret::Environment(variable) => environment
                .get(variable)
                .map(|value| value.clone().into_bytes())
                .ok_or_else(|| ExportError::UnsetVariable {
                    kind,
                    name: name.to_string(),
                    variable: variable.clone(),
                }),
            Secret::Content(text) => Ok(text.clone().into_bytes()),
        }
    };
    let mut sources = Sources::default();
    for (name, secret) in &project.secrets {
        sources
            .secrets
            .insert(name.clone(), read("secret", name, secret)?);
    }
    for (name, config) in &project.configs {
        sources
            .configs
            .insert(name.clone(), read("config", name, config)?);
    }
    Ok(sources)
}

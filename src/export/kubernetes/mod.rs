//! A project as Kubernetes objects: a Deployment per service, a Service for its ports, a
//! NetworkPolicy for the segmentation of its networks, a HorizontalPodAutoscaler for
//! `x-msctl.autoscale`, a PersistentVolumeClaim per named volume, a Secret per secret and
//! a ConfigMap per config.
//!
//! Pure: the project and the contents of its secrets and configs in, the objects and
//! the list of what did not translate out. Nothing is dropped silently: every setting
//! the objects cannot carry, and every assumption the export makes in its place, is an
//! [`Untranslated`] entry, which `msctl export kubernetes` prints.
//!
//! Names: Kubernetes wants lowercase DNS labels, so `_` and other characters become
//! `-` ([`kube_name`]); two names that become one are an error, never a merge.
//!
//! The translation is split by what it makes: `workload` turns one service into its
//! Deployment (and Service, NetworkPolicy, autoscaler), `pod` the pieces of its pod
//! spec, `network` its ports and NetworkPolicy, `meta` the names, labels and notes
//! they all share; the secrets, configs, claims and network notes are made here.

mod meta;
mod network;
mod pod;
mod workload;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, PersistentVolumeClaimSpec, Secret, Service as KubeService,
    VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::ByteString;

use super::{ExportError, Sources, Untranslated};
use crate::manifest::model::Project;
use meta::{check_clashes, file_key, metadata, note};
use workload::service_objects;

pub use meta::{kube_name, NAME_LABEL, PART_OF_LABEL};
pub use pod::{cpu_quantity, memory_quantity};

/// What a named volume's claim asks for: Compose says nothing about size.
const DEFAULT_VOLUME_SIZE: &str = "1Gi";

/// One Kubernetes object of the export.
// A project exports tens of objects: their sizes do not matter, and plain variants keep
// matching on them simple.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Secret(Secret),
    ConfigMap(ConfigMap),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Deployment(Deployment),
    Service(KubeService),
    NetworkPolicy(NetworkPolicy),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
}

impl Object {
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Secret(_) => "Secret",
            Object::ConfigMap(_) => "ConfigMap",
            Object::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Object::Deployment(_) => "Deployment",
            Object::Service(_) => "Service",
            Object::NetworkPolicy(_) => "NetworkPolicy",
            Object::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
        }
    }

    pub fn name(&self) -> &str {
        let metadata = match self {
            Object::Secret(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::PersistentVolumeClaim(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
            Object::HorizontalPodAutoscaler(o) => &o.metadata,
        };
        metadata.name.as_deref().unwrap_or_default()
    }

    /// The file `export -o DIR` writes it to: `<kind-lowercase>-<name>.yaml`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind().to_ascii_lowercase(), self.name())
    }

    /// The object as one YAML document (no `---`), with `apiVersion` and `kind`.
    pub fn to_yaml(&self) -> Result<String, ExportError> {
        let result = match self {
            Object::Secret(o) => serde_norway::to_string(o),
            Object::ConfigMap(o) => serde_norway::to_string(o),
            Object::PersistentVolumeClaim(o) => serde_norway::to_string(o),
            Object::Deployment(o) => serde_norway::to_string(o),
            Object::Service(o) => serde_norway::to_string(o),
            Object::NetworkPolicy(o) => serde_norway::to_string(o),
            Object::HorizontalPodAutoscaler(o) => serde_norway::to_string(o),
        };
        result.map_err(|source| ExportError::Yaml {
            kind: self.kind().to_string(),
            name: self.name().to_string(),
            source,
        })
    }
}

/// The export of a project: its objects in a fixed order (secrets, configs, claims, then
/// each service's Deployment, Service and autoscaler, services by name), and what did
/// not translate, in the same order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    pub objects: Vec<Object>,
    pub untranslated: Vec<Untranslated>,
}

/// Translate `project` into Kubernetes objects; `sources` holds the contents of its
/// secrets and configs (see [`super::read_sources`]).
pub fn export(project: &Project, sources: &Sources) -> Result<Export, ExportError> {
    let mut out = Export::default();
    let project_label = kube_name(&project.name);
    check_clashes("service", project.services.keys())?;
    check_clashes("volume", project.volumes.keys())?;
    check_clashes("secret", project.secrets.keys())?;
    check_clashes("config", project.configs.keys())?;

    for (name, content) in &sources.secrets {
        out.objects.push(Object::Secret(Secret {
            metadata: metadata(&kube_name(name), &project_label, None),
            type_: Some("Opaque".to_string()),
            data: Some(BTreeMap::from([(
                file_key(name),
                ByteString(content.clone()),
            )])),
            ..Secret::default()
        }));
    }
    for (name, content) in &sources.configs {
        let (data, binary_data) = match String::from_utf8(content.clone()) {
            Ok(text) => (Some(BTreeMap::from([(file_key(name), text)])), None),
            Err(err) => (
                None,
                Some(BTreeMap::from([(
                    file_key(name),
                    ByteString(err.into_bytes()),
                )])),
            ),
        };
        out.objects.push(Object::ConfigMap(ConfigMap {
            metadata: metadata(&kube_name(name), &project_label, None),
            data,
            binary_data,
            ..ConfigMap::default()
        }));
    }
    for (key, volume) in &project.volumes {
        let subject = format!("volume {key}");
        if volume.external {
            out.untranslated.push(note(
                &subject,
                "external",
                format!(
                    "no claim is written: the pods expect an existing PersistentVolumeClaim `{}`",
                    kube_name(volume.name.as_deref().unwrap_or(key))
                ),
            ));
            continue;
        }
        out.untranslated.push(note(
            &subject,
            "(size)",
            format!(
                "a PersistentVolumeClaim of {DEFAULT_VOLUME_SIZE}, ReadWriteOnce, on the default \
                 storage class: Compose says neither size nor access; every replica using it \
                 must run on one node"
            ),
        ));
        if let Some(driver) = &volume.driver {
            out.untranslated.push(note(
                &subject,
                "driver",
                format!("`{driver}` is a Docker volume driver; choose a storage class instead"),
            ));
        }
        if !volume.driver_opts.is_empty() {
            out.untranslated.push(note(
                &subject,
                "driver_opts",
                "Docker volume driver options have no claim field".to_string(),
            ));
        }
        if volume.name.is_some() {
            out.untranslated.push(note(
                &subject,
                "name",
                "the claim is named after the volume's key, not its engine name".to_string(),
            ));
        }
        if !volume.labels.is_empty() {
            out.untranslated.push(note(
                &subject,
                "labels",
                "Docker volume labels are not copied".to_string(),
            ));
        }
        out.objects
            .push(Object::PersistentVolumeClaim(PersistentVolumeClaim {
                metadata: metadata(&kube_name(key), &project_label, None),
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".to_string()]),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([(
                            "storage".to_string(),
                            Quantity(DEFAULT_VOLUME_SIZE.to_string()),
                        )])),
                        ..VolumeResourceRequirements::default()
                    }),
                    ..PersistentVolumeClaimSpec::default()
                }),
                ..PersistentVolumeClaim::default()
            }));
    }
    for (key, network) in &project.networks {
        let subject = format!("network {key}");
        let why = if network.external {
            "an external network: its members outside the project cannot be named, so its \
             member services get no NetworkPolicy"
        } else if network.internal {
            "carried by a NetworkPolicy per member service: only members reach each other, \
             and a pod on internal networks only reaches their members and the cluster DNS \
             (pods labelled k8s-app: kube-dns); enforced only by a network plugin that \
             implements NetworkPolicy"
        } else {
            "carried by a NetworkPolicy per member service: only members (and published \
             ports) reach them; enforced only by a network plugin that implements \
             NetworkPolicy"
        };
        out.untranslated
            .push(note(&subject, "(isolation)", why.to_string()));
        for (set, field) in [
            (network.driver.is_some(), "driver"),
            (!network.driver_opts.is_empty(), "driver_opts"),
            (network.ipam.is_some(), "ipam"),
            (network.enable_ipv6, "enable_ipv6"),
            (network.attachable, "attachable"),
            (network.name.is_some(), "name"),
            (!network.labels.is_empty(), "labels"),
        ] {
            if set {
                out.untranslated.push(note(
                    &subject,
                    field,
                    "a Docker network setting; the cluster's network decides".to_string(),
                ));
            }
        }
    }
    for service in project.services.values() {
        service_objects(project, service, &project_label, &mut out);
    }
    Ok(out)
}

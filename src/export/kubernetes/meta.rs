//! The plumbing every translation shares: Kubernetes names for manifest names, the
//! labels and metadata of each object, the notes of what did not translate, and whole
//! seconds for duration fields.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{ExportError, Untranslated};

/// The label that names a service's pods, and the one that names the project.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";

/// A Kubernetes name for a manifest name: lowercase letters, digits and `-`, starting
/// and ending with a letter or digit, at most 63 characters (a DNS label, which every
/// kind here accepts).
pub fn kube_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let trimmed: String = mapped.trim_matches('-').chars().take(63).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed
    }
}

pub(super) fn check_clashes<'a>(
    kind: &'static str,
    names: impl Iterator<Item = &'a String>,
) -> Result<(), ExportError> {
    let mut seen: BTreeMap<String, &String> = BTreeMap::new();
    for name in names {
        let kube = kube_name(name);
        if let Some(first) = seen.insert(kube.clone(), name) {
            return Err(ExportError::NameClash {
                kind,
                first: first.clone(),
                second: name.clone(),
                name: kube,
            });
        }
    }
    Ok(())
}

/// The key of a secret's or config's content inside its object: the top-level name,
/// with what a data key cannot hold (`[-._a-zA-Z0-9]`) made `-`.
pub(super) fn file_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(super) fn note(subject: &str, key: &str, why: String) -> Untranslated {
    Untranslated {
        subject: subject.to_string(),
        key: key.to_string(),
        why,
    }
}

pub(super) fn metadata(name: &str, project_label: &str, service: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(labels(project_label, service)),
        ..ObjectMeta::default()
    }
}

pub(super) fn labels(project_label: &str, service: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(PART_OF_LABEL.to_string(), project_label.to_string())]);
    if let Some(service) = service {
        labels.insert(NAME_LABEL.to_string(), service.to_string());
    }
    labels
}

/// Whole seconds for a Kubernetes field, rounding up so a period or a timeout is never
/// shorter than the manifest's; at least `least`.
pub(super) fn seconds(duration: Duration, least: i64) -> i64 {
    let whole = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i64::try_from(whole).unwrap_or(i64::MAX).max(least)
}

pub(super) fn seconds_i32(duration: Duration, least: i64) -> i32 {
    i32::try_from(seconds(duration, least)).unwrap_or(i32::MAX)
}

/// A pod volume's name, `<prefix>-<name>`: a DNS label too, so at most 63 characters.
pub(super) fn pod_volume_name(prefix: &str, name: &str) -> String {
    kube_name(&format!("{prefix}-{}", kube_name(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_dns_labels() {
        assert_eq!(kube_name("token_key"), "token-key");
        assert_eq!(kube_name("Web_App."), "web-app");
        assert_eq!(kube_name("__"), "x");
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(seconds(Duration::from_millis(250), 1), 1);
        assert_eq!(seconds(Duration::from_millis(1500), 1), 2);
        assert_eq!(seconds(Duration::ZERO, 0), 0);
    }
}

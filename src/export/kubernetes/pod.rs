//! The pieces of a service's pod spec: CPU and memory as quantities, emptyDir volumes
//! and mounts, the health check as a probe, the security context, lifecycle hooks and
//! host aliases.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{
    Capabilities, EmptyDirVolumeSource, ExecAction, HostAlias, Lifecycle, LifecycleHandler, Probe,
    SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::meta::seconds_i32;
use crate::manifest::model::{self, Healthcheck, Hook};

/// CPUs as a Kubernetes quantity: `1`, `500m`.
pub fn cpu_quantity(cpus: f64) -> Quantity {
    let millis = (cpus * 1000.0).round() as i64;
    if millis % 1000 == 0 {
        Quantity(format!("{}", millis / 1000))
    } else {
        Quantity(format!("{millis}m"))
    }
}

/// Bytes as a Kubernetes quantity in the largest binary unit that divides them: `128Mi`.
pub fn memory_quantity(bytes: u64) -> Quantity {
    for (suffix, size) in [
        ("Ti", 1u64 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return Quantity(format!("{}{suffix}", bytes / size));
        }
    }
    Quantity(bytes.to_string())
}

pub(super) fn empty_dir(name: &str, medium: Option<&str>) -> Volume {
    Volume {
        name: name.to_string(),
        empty_dir: Some(EmptyDirVolumeSource {
            medium: medium.map(str::to_string),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }
}

pub(super) fn volume_mount(
    name: &str,
    path: &str,
    read_only: bool,
    sub_path: Option<String>,
) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
        sub_path,
        ..VolumeMount::default()
    }
}

/// The Compose health check as a probe: `CMD` runs its arguments, `CMD-SHELL` runs them
/// with `sh -c`; Docker's defaults where the manifest says nothing (30s, 30s, 3 retries).
pub(super) fn healthcheck_probe(
    health: &Healthcheck,
    skip: &mut impl FnMut(&str, &str),
) -> Option<Probe> {
    let command = match health.test.split_first() {
        Some((kind, rest)) if kind == "CMD" => rest.to_vec(),
        Some((kind, rest)) if kind == "CMD-SHELL" => {
            vec!["sh".to_string(), "-c".to_string(), rest.join(" ")]
        }
        _ => {
            skip("healthcheck.test", "not a CMD or CMD-SHELL test");
            return None;
        }
    };
    Some(Probe {
        exec: Some(ExecAction {
            command: Some(command),
        }),
        period_seconds: Some(seconds_i32(
            health.interval.unwrap_or(Duration::from_secs(30)),
            1,
        )),
        timeout_seconds: Some(seconds_i32(
            health.timeout.unwrap_or(Duration::from_secs(30)),
            1,
        )),
        failure_threshold: Some(
            i32::try_from(health.retries.unwrap_or(3).max(1)).unwrap_or(i32::MAX),
        ),
        initial_delay_seconds: health.start_period.map(|d| seconds_i32(d, 0)),
        ..Probe::default()
    })
}

/// The container's security context from the hardening keys.
pub(super) fn security_context(
    service: &model::Service,
    skip: &mut impl FnMut(&str, &str),
) -> Option<SecurityContext> {
    let mut context = SecurityContext::default();
    if service.read_only {
        context.read_only_root_filesystem = Some(true);
    }
    if service.privileged {
        context.privileged = Some(true);
    }
    if let Some(user) = &service.user {
        let (uid, gid) = match user.split_once(':') {
            Some((uid, gid)) => (uid, Some(gid)),
            None => (user.as_str(), None),
        };
        match (uid.parse::<i64>(), gid.map(str::parse::<i64>)) {
            (Ok(uid), None) => {
                context.run_as_user = Some(uid);
                context.run_as_non_root = Some(uid != 0);
            }
            (Ok(uid), Some(Ok(gid))) => {
                context.run_as_user = Some(uid);
                context.run_as_group = Some(gid);
                context.run_as_non_root = Some(uid != 0);
            }
            _ => skip(
                "user",
                &format!("`{user}`: Kubernetes takes numeric user and group ids only"),
            ),
        }
    }
    let capability = |c: &String| c.strip_prefix("CAP_").unwrap_or(c).to_string();
    if !service.cap_add.is_empty() || !service.cap_drop.is_empty() {
        context.capabilities = Some(Capabilities {
            add: (!service.cap_add.is_empty())
                .then(|| service.cap_add.iter().map(capability).collect()),
            drop: (!service.cap_drop.is_empty())
                .then(|| service.cap_drop.iter().map(capability).collect()),
        });
    }
    for option in &service.security_opt {
        match option.as_str() {
            "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true" => {
                context.allow_privilege_escalation = Some(false)
            }
            other => skip(
                "security_opt",
                &format!(
                    "`{other}`: use the security context's seccomp, AppArmor or SELinux fields"
                ),
            ),
        }
    }
    (context != SecurityContext::default()).then_some(context)
}

/// `post_start` and `pre_stop` as lifecycle hooks: Kubernetes runs one command each, as
/// the container's user, so only a single plain hook translates.
pub(super) fn lifecycle(
    service: &model::Service,
    skip: &mut impl FnMut(&str, &str),
) -> Option<Lifecycle> {
    let mut handler = |key: &str, hooks: &[Hook]| -> Option<LifecycleHandler> {
        match hooks {
            [] => None,
            [hook]
                if hook.user.is_none()
                    && !hook.privileged
                    && hook.working_dir.is_none()
                    && hook.environment.is_empty() =>
            {
                Some(LifecycleHandler {
                    exec: Some(ExecAction {
                        command: Some(hook.command.clone()),
                    }),
                    ..LifecycleHandler::default()
                })
            }
            _ => {
                skip(
                    key,
                    "Kubernetes runs one hook command, as the container's user, in its working \
                     directory and environment",
                );
                None
            }
        }
    };
    let post_start = handler("post_start", &service.post_start);
    let pre_stop = handler("pre_stop", &service.pre_stop);
    (post_start.is_some() || pre_stop.is_some()).then_some(Lifecycle {
        post_start,
        pre_stop,
        ..Lifecycle::default()
    })
}

/// `extra_hosts` (`HOST:IP`) as the pod's host aliases, grouped by address.
pub(super) fn host_aliases(
    entries: &[String],
    skip: &mut impl FnMut(&str, &str),
) -> Option<Vec<HostAlias>> {
    let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in entries {
        match entry.split_once(':').or_else(|| entry.split_once('=')) {
            Some((host, ip)) if ip.parse::<std::net::IpAddr>().is_ok() => by_ip
                .entry(ip.to_string())
                .or_default()
                .push(host.to_string()),
            _ => skip(
                "extra_hosts",
                &format!("`{entry}` is not HOST:IP (host-gateway has no counterpart)"),
            ),
        }
    }
    (!by_ip.is_empty()).then(|| {
        by_ip
            .into_iter()
            .map(|(ip, hostnames)| HostAlias {
                ip,
                hostnames: Some(hostnames),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_use_kubernetes_units() {
        assert_eq!(cpu_quantity(1.0).0, "1");
        assert_eq!(cpu_quantity(0.5).0, "500m");
        assert_eq!(cpu_quantity(1.25).0, "1250m");
        assert_eq!(memory_quantity(128 * 1024 * 1024).0, "128Mi");
        assert_eq!(memory_quantity(2 << 30).0, "2Gi");
        assert_eq!(memory_quantity(1000).0, "1000");
    }
}

//! Which images a command pulls: a pure decision per service, from its `pull_policy`
//! (or the command's `--pull`), whether it is built, what the engine has, and when the
//! image was last pulled. No engine, no clock: the caller passes what it observed and
//! the time.

use std::time::Duration;

use crate::manifest::model::{PullPolicy, Service};

/// A command's `--pull`, over every service's `pull_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOverride {
    Always,
    Missing,
    Never,
}

impl PullOverride {
    pub fn as_str(&self) -> &'static str {
        match self {
            PullOverride::Always => "always",
            PullOverride::Missing => "missing",
            PullOverride::Never => "never",
        }
    }
}

/// What the engine has under a service's image name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalImage {
    /// The engine has an image by this name.
    pub present: bool,
    /// It is for the service's `platform` (true when the service names none).
    pub platform_matches: bool,
    /// When it was last pulled (or, not known to msctl, last tagged), ms since the epoch.
    pub last_pulled_ms: Option<i64>,
}

/// What to do about one service's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run what the engine has (or, for a built service, leave it to the build).
    Keep,
    /// Pull it. `fallback_to_build`: the service is built, so a failed pull means a
    /// build, not an error.
    Pull {
        reason: String,
        fallback_to_build: bool,
    },
    /// The engine lacks it and the policy forbids a pull: an error at the policy.
    Refused {
        /// Whether `--pull never` (not the manifest) forbade it.
        by_flag: bool,
    },
}

/// The decision for `service`'s image, named `image`.
///
/// - A service msctl builds pulls only when its policy asks (`always`, or `missing`
///   or a period written out, or `--pull always|missing`); a failed pull then builds.
///   Its default, `build` and `never` leave the image to the build.
/// - A service that only names an image: `always` pulls every time; `missing` (the
///   default) when the engine lacks it or has it for another platform; a period when
///   missing or when the last pull is older; `never` refuses a missing image.
pub fn decide(
    service: &Service,
    buildable: bool,
    local: LocalImage,
    pull: Option<PullOverride>,
    now_ms: i64,
) -> Decision {
    let policy = match pull {
        Some(PullOverride::Always) => PullPolicy::Always,
        Some(PullOverride::Missing) => PullPolicy::Missing,
        Some(PullOverride::Never) => PullPolicy::Never,
        None => match service.pull_policy {
            Some(policy) => policy,
            None if buildable => PullPolicy::Build,
            None => PullPolicy::Missing,
        },
    };
    let usable = local.present && local.platform_matches;
    let pull_because = |reason: String| Decision::Pull {
        reason,
        fallback_to_build: buildable,
    };
    let missing_reason = || {
        if local.present {
            format!(
                "the engine has it for another platform than `{}`",
                service.platform.as_deref().unwrap_or_default()
            )
        } else {
            "missing".to_string()
        }
    };
    match policy {
        PullPolicy::Always => pull_because(match pull {
            Some(_) => "--pull always".to_string(),
            None => "pull_policy: always".to_string(),
        }),
        PullPolicy::Missing if !usable => pull_because(missing_reason()),
        PullPolicy::Missing => Decision::Keep,
        PullPolicy::Every(period) => {
            if !usable {
                return pull_because(missing_reason());
            }
            match local.last_pulled_ms {
                Some(at) if age(now_ms, at) < period => Decision::Keep,
                Some(at) => pull_because(format!(
                    "last pulled {} ago, `pull_policy: {}`",
                    crate::manifest::model::format_duration(age(now_ms, at)),
                    PullPolicy::Every(period).as_compose()
                )),
                None => pull_because(format!(
                    "never pulled by msctl, `pull_policy: {}`",
                    PullPolicy::Every(period).as_compose()
                )),
            }
        }
        PullPolicy::Never | PullPolicy::Build if buildable => Decision::Keep,
        PullPolicy::Never | PullPolicy::Build if usable => Decision::Keep,
        PullPolicy::Never | PullPolicy::Build => Decision::Refused {
            by_flag: pull == Some(PullOverride::Never),
        },
    }
}

/// How long ago `at_ms` was at `now_ms` (zero for a time in the future).
fn age(now_ms: i64, at_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(now_ms.saturating_sub(at_ms)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000 * 3600 * 1000;
    const HOUR: i64 = 3600 * 1000;

    fn service(policy: Option<PullPolicy>) -> Service {
        Service {
            name: "cache".to_string(),
            image: Some("redis:7".to_string()),
            pull_policy: policy,
            ..Service::default()
        }
    }

    fn have(last_pulled_ms: Option<i64>) -> LocalImage {
        LocalImage {
            present: true,
            platform_matches: true,
            last_pulled_ms,
        }
    }

    fn pulls(decision: &Decision) -> bool {
        matches!(decision, Decision::Pull { .. })
    }

    #[test]
    fn missing_is_the_default_and_pulls_only_what_the_engine_lacks() {
        let s = service(None);
        assert!(pulls(&decide(&s, false, LocalImage::default(), None, NOW)));
        assert_eq!(decide(&s, false, have(None), None, NOW), Decision::Keep);
        let explicit = service(Some(PullPolicy::Missing));
        assert_eq!(
            decide(&explicit, false, have(None), None, NOW),
            Decision::Keep
        );
    }

    #[test]
    fn an_image_for_another_platform_counts_as_missing() {
        let mut s = service(None);
        s.platform = Some("linux/arm64".to_string());
        let other = LocalImage {
            platform_matches: false,
            ..have(None)
        };
        match decide(&s, false, other, None, NOW) {
            Decision::Pull { reason, .. } => assert!(reason.contains("linux/arm64"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn always_pulls_even_what_the_engine_has() {
        let s = service(Some(PullPolicy::Always));
        assert!(pulls(&decide(&s, false, have(Some(NOW)), None, NOW)));
        assert!(pulls(&decide(
            &service(None),
            false,
            have(None),
            Some(PullOverride::Always),
            NOW
        )));
    }

    #[test]
    fn never_refuses_a_missing_image_and_keeps_a_present_one() {
        let s = service(Some(PullPolicy::Never));
        assert_eq!(
            decide(&s, false, LocalImage::default(), None, NOW),
            Decision::Refused { by_flag: false }
        );
        assert_eq!(decide(&s, false, have(None), None, NOW), Decision::Keep);
        assert_eq!(
            decide(
                &service(None),
                false,
                LocalImage::default(),
                Some(PullOverride::Never),
                NOW
            ),
            Decision::Refused { by_flag: true }
        );
    }

    #[test]
    fn a_period_pulls_once_the_last_pull_is_older() {
        let s = service(Some(PullPolicy::Every(Duration::from_secs(24 * 3600))));
        assert_eq!(
            decide(&s, false, have(Some(NOW - 23 * HOUR)), None, NOW),
            Decision::Keep
        );
        match decide(&s, false, have(Some(NOW - 25 * HOUR)), None, NOW) {
            Decision::Pull { reason, .. } => assert!(reason.contains("daily"), "{reason}"),
            other => panic!("{other:?}"),
        }
        assert!(pulls(&decide(&s, false, have(None), None, NOW)));
        assert!(pulls(&decide(&s, false, LocalImage::default(), None, NOW)));
    }

    #[test]
    fn a_built_service_pulls_only_when_asked_and_then_may_fall_back_to_building() {
        let mut s = service(None);
        s.build = Some(Default::default());
        assert_eq!(
            decide(&s, true, LocalImage::default(), None, NOW),
            Decision::Keep
        );
        s.pull_policy = Some(PullPolicy::Build);
        assert_eq!(
            decide(&s, true, LocalImage::default(), None, NOW),
            Decision::Keep
        );
        s.pull_policy = Some(PullPolicy::Never);
        assert_eq!(
            decide(&s, true, LocalImage::default(), None, NOW),
            Decision::Keep
        );
        s.pull_policy = Some(PullPolicy::Always);
        assert_eq!(
            decide(&s, true, have(None), None, NOW),
            Decision::Pull {
                reason: "pull_policy: always".to_string(),
                fallback_to_build: true
            }
        );
        s.pull_policy = None;
        assert!(pulls(&decide(
            &s,
            true,
            LocalImage::default(),
            Some(PullOverride::Missing),
            NOW
        )));
    }
}

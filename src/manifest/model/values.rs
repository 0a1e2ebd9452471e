//! Small value types and the parsing helpers the model's serde attributes use:
//! `pull_policy`, and how durations and byte sizes print and read back.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `pull_policy`: when a service's image is pulled from its registry, as Compose reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum PullPolicy {
    /// Pull at every `up`.
    Always,
    /// Pull when the engine lacks the image (`if_not_present` is an old spelling).
    Missing,
    /// Never pull; a missing image is an error.
    Never,
    /// Build the image, never pull it.
    Build,
    /// Pull when missing or when the last pull is older than this (`daily`, `weekly`,
    /// `every_12h`).
    Every(Duration),
}

impl PullPolicy {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

    /// Reads Compose's spelling of a pull policy.
    pub fn parse(text: &str) -> Result<PullPolicy, String> {
        match text {
            "always" => Ok(PullPolicy::Always),
            "missing" | "if_not_present" => Ok(PullPolicy::Missing),
            "never" => Ok(PullPolicy::Never),
            "build" => Ok(PullPolicy::Build),
            "daily" => Ok(PullPolicy::Every(PullPolicy::DAY)),
            "weekly" => Ok(PullPolicy::Every(PullPolicy::WEEK)),
            _ => {
                let Some(period) = text.strip_prefix("every_") else {
                    return Err(format!("`{text}` is not a pull policy"));
                };
                let days_or_weeks = |suffix: char, unit: Duration| {
                    period
                        .strip_suffix(suffix)
                        .and_then(|n| n.parse::<u32>().ok())
                        .map(|n| unit * n)
                };
                let duration = match days_or_weeks('d', PullPolicy::DAY)
                    .or_else(|| days_or_weeks('w', PullPolicy::WEEK))
                {
                    Some(duration) => duration,
                    None => crate::manifest::units::parse_duration(period)
                        .map_err(|why| format!("`{text}`: {why}"))?,
                };
                if duration.is_zero() {
                    return Err(format!("`{text}` pulls after no time at all: use `always`"));
                }
                Ok(PullPolicy::Every(duration))
            }
        }
    }

    /// Compose's spelling: `config` prints it so that it reads back the same.
    pub fn as_compose(&self) -> String {
        match self {
            PullPolicy::Always => "always".to_string(),
            PullPolicy::Missing => "missing".to_string(),
            PullPolicy::Never => "never".to_string(),
            PullPolicy::Build => "build".to_string(),
            PullPolicy::Every(d) if *d == PullPolicy::DAY => "daily".to_string(),
            PullPolicy::Every(d) if *d == PullPolicy::WEEK => "weekly".to_string(),
            PullPolicy::Every(d) => format!("every_{}", format_duration(*d)),
        }
    }
}

impl From<PullPolicy> for String {
    fn from(policy: PullPolicy) -> String {
        policy.as_compose()
    }
}

impl TryFrom<String> for PullPolicy {
    type Error = String;
    fn try_from(text: String) -> Result<PullPolicy, String> {
        PullPolicy::parse(&text)
    }
}

pub(super) fn ser_opt_bytes<S: serde::Serializer>(
    value: &Option<u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(bytes) => s.serialize_str(&bytes.to_string()),
        None => s.serialize_none(),
    }
}

pub(super) fn is_false(value: &bool) -> bool {
    !*value
}

/// Durations print as Compose writes them: `1m30s`, `500ms`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [("h", 3_600_000u128), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

pub(super) fn ser_duration<S: serde::Serializer>(
    value: &Duration,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*value))
}

pub(super) fn ser_opt_duration<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => ser_duration(d, s),
        None => s.serialize_none(),
    }
}

pub(super) fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    crate::manifest::units::parse_duration(&text).map_err(serde::de::Error::custom)
}

pub(super) fn de_opt_duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => crate::manifest::units::parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

pub(super) fn ser_opt_signed_bytes<S: serde::Serializer>(
    value: &Option<i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(bytes) => s.serialize_str(&bytes.to_string()),
        None => s.serialize_none(),
    }
}

pub(super) fn de_opt_signed_bytes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

pub(super) fn de_opt_bytes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(text) => text.parse().map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

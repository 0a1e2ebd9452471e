//! Configuration from the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What every service needs: where to listen and where its database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LISTEN_ADDR`, default `0.0.0.0:8080`.
    pub listen_addr: SocketAddr,
    /// `DATABASE_PATH`, required.
    pub database_path: PathBuf,
}

impl Config {
    /// Reads `LISTEN_ADDR` (default `0.0.0.0:8080`) and `DATABASE_PATH` (required).
    pub fn from_env() -> Result<Config, String> {
        let listen = env_or("LISTEN_ADDR", "0.0.0.0:8080");
        let listen_addr = listen
            .parse()
            .map_err(|e| format!("LISTEN_ADDR={listen:?} is not an address: {e}"))?;
        let database_path = match std::env::var("DATABASE_PATH") {
            Ok(path) if !path.trim().is_empty() => PathBuf::from(path),
            _ => return Err("DATABASE_PATH is required".to_string()),
        };
        Ok(Config {
            listen_addr,
            database_path,
        })
    }
}

/// The value of `key`, or `default` when it is unset or empty.
pub fn env_or(key: &str, default: &str) -> String {
    match std::env::var(key) {
        Ok(value) if !value.trim().is_empty() => value,
        _ => default.to_string(),
    }
}

/// The duration in `key` (`50ms`, `2s`, `5m`, `1h`, `1d`; a bare number is seconds), or
/// `default` when it is unset or empty.
pub fn env_duration(key: &str, default: Duration) -> Result<Duration, String> {
    match std::env::var(key) {
        Ok(value) if !value.trim().is_empty() => {
            parse_duration(&value).map_err(|e| format!("{key}={value:?}: {e}"))
        }
        _ => Ok(default),
    }
}

/// Parses `50ms`, `2s`, `5m`, `1h`, `1d`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| "expected a number and a unit (ms, s, m, h, d)".to_string())?;
    let millis_per_unit: u64 = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => return Err(format!("unknown unit {other:?} (ms, s, m, h, d)")),
    };
    number
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(|| "duration too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration(" 3s "), Ok(Duration::from_secs(3)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1.5s").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}

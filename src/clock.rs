//! The wall clock, in the units msctl stores and prints: one small leaf module that every
//! layer may import (the state store's records, the control plane's events, `ps` ages).

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Whole seconds since the Unix epoch, now.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_units_tell_the_same_time() {
        let seconds = now_seconds();
        let ms = now_ms();
        assert!(ms / 1000 >= seconds, "{ms} ms is before {seconds} s");
        assert!(
            ms / 1000 - seconds <= 1,
            "{ms} ms and {seconds} s are apart"
        );
    }
}

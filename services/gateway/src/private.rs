//! Paths the gateway does not publish: the calls services make to each other (payments'
//! callback to orders, orders' reservations at products and charges at payments) take no
//! user token and must stay inside the shop's network.

use std::str::FromStr;

/// The shop's service-to-service endpoints: every service's `/internal/...`, products'
/// reservations and payments' charges (all called by orders or payments only).
pub const DEFAULT_PRIVATE_PATHS: &str = "*:/internal,products:/reservations,payments:/charges";

/// `service:/prefix` rules (`*` for every service), read from `PRIVATE_PATHS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivatePaths(Vec<(Option<String>, String)>);

impl Default for PrivatePaths {
    fn default() -> Self {
        match DEFAULT_PRIVATE_PATHS.parse() {
            Ok(paths) => paths,
            Err(_) => unreachable!("the default private paths parse"),
        }
    }
}

impl PrivatePaths {
    /// No private paths at all.
    pub fn none() -> Self {
        PrivatePaths(Vec::new())
    }

    /// Whether `rest` (the path after `/api/<service>`, percent-encoded as sent) must not
    /// be forwarded to `service_name`. A path with dot segments or backslashes is never
    /// forwarded either: the service could resolve it to a private one.
    pub fn is_private(&self, service_name: &str, rest: &str) -> bool {
        let Some(path) = normalize(rest) else {
            return true;
        };
        self.0.iter().any(|(service, prefix)| {
            service.as_deref().is_none_or(|s| s == service_name)
                && (path == *prefix
                    || path
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|after| after.starts_with('/')))
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("private path `{0}` is not of the form SERVICE:/PREFIX (SERVICE may be `*`)")]
pub struct PrivatePathsError(String);

impl FromStr for PrivatePaths {
    type Err = PrivatePathsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rules = Vec::new();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((service, prefix)) = entry.split_once(':') else {
                return Err(PrivatePathsError(entry.to_string()));
            };
            let (service, prefix) = (service.trim(), prefix.trim());
            let prefix = normalize(prefix)
                .filter(|p| p != "/" && prefix.starts_with('/'))
                .ok_or_else(|| PrivatePathsError(entry.to_string()))?;
            if service.is_empty() {
                return Err(PrivatePathsError(entry.to_string()));
            }
            let service = (service != "*").then(|| service.to_string());
            rules.push((service, prefix));
        }
        Ok(PrivatePaths(rules))
    }
}

/// The path as a service would route it, for comparison only: percent-decoded, lowercase,
/// empty segments dropped (`//internal` is `/internal`). `None` for dot segments and
/// backslashes.
fn normalize(path: &str) -> Option<String> {
    let decoded = percent_decode_lossy(path).to_ascii_lowercase();
    if decoded.contains('\\') {
        return None;
    }
    let mut normalized = String::with_capacity(decoded.len());
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return None;
        }
        normalized.push('/');
        normalized.push_str(segment);
    }
    if normalized.is_empty() {
        normalized.push('/');
    }
    Some(normalized)
}

fn percent_decode_lossy(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn the_shops_service_to_service_endpoints_are_private() {
        let private = PrivatePaths::default();
        for (service, path) in [
            ("orders", "/internal/payments"),
            ("orders", "/internal"),
            ("users", "/internal/x"),
            ("orders", "//internal/payments"),
            ("orders", "/%69nternal/payments"),
            ("orders", "/INTERNAL/payments"),
            ("products", "/reservations"),
            ("products", "/reservations/abc/release"),
            ("products", "/%72eservations/abc/commit"),
            ("payments", "/charges"),
            ("payments", "/charges/abc"),
            ("orders", "/x/../internal/payments"),
            ("orders", "/x/%2e%2e/internal"),
            ("orders", "/x/%2E%2E%2Finternal"),
            ("orders", "/."),
            ("orders", "/a\\b"),
        ] {
            assert!(private.is_private(service, path), "{service} {path}");
        }
        for (service, path) in [
            ("orders", "/orders/7"),
            ("orders", "/"),
            ("orders", "/internals"),
            ("products", "/products/1"),
            ("orders", "/reservations"),
            ("payments", "/metrics"),
            ("users", "/charges"),
        ] {
            assert!(!private.is_private(service, path), "{service} {path}");
        }
    }

    #[test]
    fn rules_parse_and_bad_ones_are_refused() {
        let private: PrivatePaths = " shop:/admin/ , *:/x ".parse().unwrap();
        assert!(private.is_private("shop", "/admin/users"));
        assert!(private.is_private("other", "/x"));
        assert!(!private.is_private("other", "/admin"));
        assert_eq!("".parse::<PrivatePaths>(), Ok(PrivatePaths::none()));
        for bad in ["shop", "shop:admin", ":/x", "shop:/", "shop:/../x"] {
            assert!(bad.parse::<PrivatePaths>().is_err(), "{bad}");
        }
    }

    #[test]
    fn percent_decoding_leaves_bad_escapes_alone() {
        assert_eq!(percent_decode_lossy("%41b%zz%4"), "Ab%zz%4");
        assert_eq!(percent_decode_lossy("%"), "%");
    }
}

//! The routing table: which base URL serves `/api/<service>/...`, read from `ROUTES`
//! (`users=http://users:8080,products=http://products:8080`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Where one service is reached: a host name (resolved to every replica's address on
/// each request), a port and an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
    /// Prefix put before the forwarded path: empty, or `/something` without a trailing slash.
    pub base_path: String,
}

impl Upstream {
    /// The value of the `Host` header the service expects: the name, not a replica's address.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.authority(), self.base_path)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoutesError {
    #[error("no routes: ROUTES is empty")]
    Empty,
    #[error("route `{entry}` is not of the form NAME=http://HOST:PORT")]
    Malformed { entry: String },
    #[error("route name `{name}` may only hold lowercase letters, digits, `-` and `_`")]
    BadName { name: String },
    #[error("route `{name}`: `{url}` is not an http:// URL with a host ({reason})")]
    BadUrl {
        name: String,
        url: String,
        reason: &'static str,
    },
    #[error("service `{name}` is routed twice")]
    Duplicate { name: String },
}

/// Service name -> upstream, sorted so that logs and errors list services in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes(BTreeMap<String, Upstream>);

impl Routes {
    pub fn get(&self, service_name: &str) -> Option<&Upstream> {
        self.0.get(service_name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Upstream)> {
        self.0.iter()
    }

    pub fn insert(&mut self, service_name: impl Into<String>, upstream: Upstream) {
        self.0.insert(service_name.into(), upstream);
    }
}

impl FromStr for Routes {
    type Err = RoutesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut routes = BTreeMap::new();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((name, url)) = entry.split_once('=') else {
                return Err(RoutesError::Malformed {
                    entry: entry.to_string(),
                });
            };
            let (name, url) = (name.trim(), url.trim());
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            {
                return Err(RoutesError::BadName {
                    name: name.to_string(),
                });
            }
            let upstream = parse_url(url).map_err(|reason| RoutesError::BadUrl {
                name: name.to_string(),
                url: url.to_string(),
                reason,
            })?;
            if routes.insert(name.to_string(), upstream).is_some() {
                return Err(RoutesError::Duplicate {
                    name: name.to_string(),
                });
            }
        }
        if routes.is_empty() {
            return Err(RoutesError::Empty);
        }
        Ok(Routes(routes))
    }
}

fn parse_url(url: &str) -> Result<Upstream, &'static str> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// is supported")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if path.contains(['?', '#']) {
        return Err("a query or fragment is not allowed");
    }
    if authority.contains('@') {
        return Err("credentials are not allowed");
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("unclosed `[`")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after `]`")?),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the host is empty");
    }
    let port = match port {
        None => 80,
        Some(p) => p.parse::<u16>().map_err(|_| "the port is not a number")?,
    };
    if port == 0 {
        return Err("port 0");
    }
    Ok(Upstream {
        host: host.to_string(),
        port,
        base_path: path.trim_end_matches('/').to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    fn upstream(host: &str, port: u16, base_path: &str) -> Upstream {
        Upstream {
            host: host.into(),
            port,
            base_path: base_path.into(),
        }
    }

    #[test]
    fn parses_the_manifest_routes() {
        let routes: Routes = "users=http://users:8080,products=http://products:8080"
            .parse()
            .unwrap();
        assert_eq!(routes.get("users"), Some(&upstream("users", 8080, "")));
        assert_eq!(
            routes.get("products"),
            Some(&upstream("products", 8080, ""))
        );
        assert_eq!(routes.get("orders"), None);
    }

    #[test]
    fn default_port_base_path_ipv6_and_spaces() {
        let routes: Routes = " a = http://a/v1/ , b=http://[::1]:9000 ,".parse().unwrap();
        assert_eq!(routes.get("a"), Some(&upstream("a", 80, "/v1")));
        assert_eq!(routes.get("b"), Some(&upstream("::1", 9000, "")));
        assert_eq!(routes.get("b").unwrap().authority(), "[::1]:9000");
        assert_eq!(routes.get("a").unwrap().authority(), "a");
    }

    #[test]
    fn rejects_bad_entries() {
        assert_eq!("".parse::<Routes>(), Err(RoutesError::Empty));
        assert!(matches!(
            "users".parse::<Routes>(),
            Err(RoutesError::Malformed { .. })
        ));
        assert!(matches!(
            "Users=http://u:1".parse::<Routes>(),
            Err(RoutesError::BadName { .. })
        ));
        for url in [
            "https://u:1",
            "http://:1",
            "http://u:x",
            "http://u:0",
            "http://u:1?q",
            "http://a@u",
        ] {
            assert!(
                matches!(
                    format!("u={url}").parse::<Routes>(),
                    Err(RoutesError::BadUrl { .. })
                ),
                "{url}"
            );
        }
        assert!(matches!(
            "u=http://a:1,u=http://b:1".parse::<Routes>(),
            Err(RoutesError::Duplicate { .. })
        ));
    }
}

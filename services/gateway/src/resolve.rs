//! Finding a service's replicas: its DNS name resolves to one A record per healthy replica
//! (Docker's embedded DNS, Kubernetes' headless services), so the gateway asks for all of
//! them and spreads requests itself instead of trusting one cached address.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub type Addrs = Arc<[SocketAddr]>;
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = io::Result<Addrs>> + Send + 'a>>;

/// Turns an upstream's host and port into the addresses of every replica, in a stable order.
pub trait Resolver: Send + Sync + 'static {
    fn resolve<'a>(&'a self, host: &'a str, port: u16) -> ResolveFuture<'a>;
}

/// The system resolver, asked again once an answer is older than `ttl`, so a replica that
/// starts or stops is seen within a second without a lookup per request.
pub struct DnsResolver {
    ttl: Duration,
    cache: Mutex<HashMap<(String, u16), (Instant, Addrs)>>,
}

impl DnsResolver {
    pub fn new(ttl: Duration) -> Self {
        DnsResolver {
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, host: &str, port: u16) -> Option<Addrs> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let (at, addrs) = cache.get(&(host.to_string(), port))?;
        (at.elapsed() < self.ttl).then(|| addrs.clone())
    }
}

impl Default for DnsResolver {
    fn default() -> Self {
        DnsResolver::new(Duration::from_secs(1))
    }
}

impl Resolver for DnsResolver {
    fn resolve<'a>(&'a self, host: &'a str, port: u16) -> ResolveFuture<'a> {
        Box::pin(async move {
            if let Some(addrs) = self.cached(host, port) {
                return Ok(addrs);
            }
            let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
            // Sorted so that round robin walks the replicas in the same order between lookups.
            addrs.sort();
            addrs.dedup();
            let addrs: Addrs = addrs.into();
            // Only successful answers are kept: a failed lookup is asked again next time.
            if !addrs.is_empty() {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.insert((host.to_string(), port), (Instant::now(), addrs.clone()));
            }
            Ok(addrs)
        })
    }
}

/// A fixed host -> addresses table, for tests that need two replicas on one name without DNS.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    hosts: HashMap<String, Vec<SocketAddr>>,
}

impl StaticResolver {
    pub fn new() -> Self {
        StaticResolver::default()
    }

    pub fn with(mut self, host: impl Into<String>, addrs: Vec<SocketAddr>) -> Self {
        self.hosts.insert(host.into(), addrs);
        self
    }
}

impl Resolver for StaticResolver {
    fn resolve<'a>(&'a self, host: &'a str, _port: u16) -> ResolveFuture<'a> {
        let answer = match self.hosts.get(host) {
            Some(addrs) => Ok(addrs.as_slice().into()),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no such host `{host}`"),
            )),
        };
        Box::pin(async move { answer })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[tokio::test]
    async fn dns_resolver_finds_localhost_and_caches_it() {
        let resolver = DnsResolver::new(Duration::from_secs(60));
        let addrs = resolver.resolve("127.0.0.1", 8080).await.unwrap();
        assert_eq!(&addrs[..], &["127.0.0.1:8080".parse().unwrap()]);
        assert!(resolver.cached("127.0.0.1", 8080).is_some());
        assert!(resolver.cached("127.0.0.1", 8081).is_none());
        let localhost = resolver.resolve("localhost", 80).await.unwrap();
        assert!(localhost.iter().any(|a| a.ip().is_loopback()));
    }

    #[tokio::test]
    async fn dns_resolver_forgets_after_the_ttl() {
        let resolver = DnsResolver::new(Duration::from_millis(10));
        resolver.resolve("127.0.0.1", 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(resolver.cached("127.0.0.1", 1).is_none());
    }

    #[tokio::test]
    async fn unknown_names_are_errors() {
        let resolver = DnsResolver::default();
        assert!(resolver.resolve("no-such-host.invalid", 80).await.is_err());
        assert!(StaticResolver::new().resolve("x", 1).await.is_err());
    }
}

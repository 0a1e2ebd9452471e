//! Image references as the Docker CLI reads them: `redis:7`, `nginx`,
//! `127.0.0.1:5000/shop/orders:2`, `ghcr.io/o/app@sha256:...`.
//!
//! The rules are distribution's (`reference.ParseNormalizedNamed`): the first path
//! component is a registry when it has a `.` or a `:` or is `localhost`, else the image
//! is on Docker Hub (`docker.io`), where a one-component name is under `library/`. A
//! name without a tag or digest means `:latest`. The manifest's validation has already
//! refused what is not a reference, so parsing here is total.

use std::fmt;

/// Docker Hub, as a reference names it.
pub const DOCKER_HUB: &str = "docker.io";

/// One image reference, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The registry's host and port: `docker.io`, `127.0.0.1:5000`, `ghcr.io`.
    pub registry: String,
    /// The repository inside it: `library/redis`, `shop/orders`.
    pub repository: String,
    /// The tag, when the reference names one (`7`, `latest`).
    pub tag: Option<String>,
    /// The manifest digest the reference is pinned to (`sha256:...`).
    pub digest: Option<String>,
    /// Whether the text named its registry (`127.0.0.1:5000/x`, `docker.io/x`), as
    /// opposed to Docker Hub by default (`redis`).
    pub registry_named: bool,
}

impl Reference {
    /// Splits `text` into registry, repository, tag and digest.
    pub fn parse(text: &str) -> Reference {
        let (name, digest) = match text.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_string())),
            None => (text, None),
        };
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (
                &name[..last_slash + i],
                Some(name[last_slash + i + 1..].to_string()),
            ),
            None => (name, None),
        };
        let (registry, repository, registry_named) = match path.split_once('/') {
            Some((first, rest)) if is_registry(first) => {
                (first.to_string(), rest.to_string(), true)
            }
            _ => (DOCKER_HUB.to_string(), path.to_string(), false),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        Reference {
            registry,
            repository,
            tag,
            digest,
            registry_named,
        }
    }

    /// What the engine's pull is asked for: `fromImage` (the name without tag or
    /// digest, as written) and `tag` (the tag, the digest, or `latest`).
    pub fn pull_parts(&self, text: &str) -> (String, String) {
        let name = text.split_once('@').map_or(text, |(name, _)| name);
        let name = match &self.tag {
            Some(tag) => name
                .strip_suffix(tag.as_str())
                .and_then(|n| n.strip_suffix(':'))
                .unwrap_or(name),
            None => name,
        };
        let tag = self
            .digest
            .clone()
            .or_else(|| self.tag.clone())
            .unwrap_or_else(|| "latest".to_string());
        (name.to_string(), tag)
    }

    /// The repository as the registry's host names it, without tag or digest:
    /// `127.0.0.1:5000/shop/orders`, `docker.io/library/redis`.
    pub fn repository_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether this reference pins a manifest digest.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form: `docker.io/library/redis:7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Whether a reference's first path component names a registry.
fn is_registry(component: &str) -> bool {
    component.contains(['.', ':']) || component == "localhost"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_name_is_a_docker_hub_library_image_at_latest() {
        let r = Reference::parse("redis");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/redis");
        assert_eq!(r.tag, None);
        assert!(!r.registry_named);
        assert_eq!(r.pull_parts("redis"), ("redis".into(), "latest".into()));
        assert_eq!(r.to_string(), "docker.io/library/redis");
    }

    #[test]
    fn a_user_image_on_docker_hub_keeps_its_namespace() {
        let r = Reference::parse("bitnami/redis:7.2");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "bitnami/redis")
        );
        assert_eq!(r.tag.as_deref(), Some("7.2"));
    }

    #[test]
    fn a_host_with_a_port_is_a_registry_and_the_tag_follows_the_last_colon() {
        let text = "127.0.0.1:5000/shop/orders:2";
        let r = Reference::parse(text);
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "shop/orders");
        assert_eq!(r.tag.as_deref(), Some("2"));
        assert!(r.registry_named);
        assert_eq!(
            r.pull_parts(text),
            ("127.0.0.1:5000/shop/orders".into(), "2".into())
        );
        assert_eq!(r.repository_name(), "127.0.0.1:5000/shop/orders");
    }

    #[test]
    fn a_registry_port_without_a_tag_is_not_a_tag() {
        let r = Reference::parse("localhost:5000/app");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "app");
        assert_eq!(r.tag, None);
        let r = Reference::parse("localhost/app");
        assert_eq!(r.registry, "localhost");
    }

    #[test]
    fn a_digest_pins_the_pull_and_wins_over_the_tag() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let text = format!("ghcr.io/o/app:1@{digest}");
        let r = Reference::parse(&text);
        assert!(r.is_pinned());
        assert_eq!(r.registry, "ghcr.io");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert_eq!(
            r.pull_parts(&text),
            ("ghcr.io/o/app".into(), digest.clone())
        );
        let bare = format!("nginx@{digest}");
        assert_eq!(
            Reference::parse(&bare).pull_parts(&bare),
            ("nginx".into(), digest)
        );
    }

    #[test]
    fn docker_hub_aliases_are_one_registry() {
        for text in [
            "index.docker.io/library/redis",
            "docker.io/redis",
            "registry-1.docker.io/library/redis",
        ] {
            let r = Reference::parse(text);
            assert_eq!(r.registry, "docker.io", "{text}");
            assert_eq!(r.repository, "library/redis", "{text}");
            assert!(r.registry_named, "{text}");
        }
    }
}

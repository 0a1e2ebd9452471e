//! Networks: listing, creation and removal; endpoints (joining, leaving, and clearing
//! the one a gone container left behind); the errors of network calls, which keep the
//! engine's words; and the gateways a replica's DNS servers come from, cached.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use bollard::models::{
    EndpointIpamConfig, EndpointSettings, Ipam as DockerIpam, IpamConfig, NetworkConnectRequest,
    NetworkCreateRequest, NetworkDisconnectRequest,
};
use bollard::query_parameters::ListNetworksOptionsBuilder;

use super::{map_error, non_empty, DockerEngine, API_ENDPOINT_MAC_ADDRESS, CALL_TIMEOUT};
use crate::engine::{
    ContainerSpec, Engine, EngineError, LabelFilter, NetworkAttachment, NetworkEndpoint,
    NetworkSpec, NetworkSummary,
};

/// Network name -> (when inspected, its IPv4 gateway). An entry goes when this engine
/// creates or removes a network of that name, and after [`GATEWAY_TTL`] (another
/// client may have recreated it meanwhile).
#[derive(Debug, Default)]
pub(super) struct GatewayCache {
    entries: std::sync::Mutex<HashMap<String, (std::time::Instant, Option<String>)>>,
    /// Held while a missing entry is fetched: the containers created at once ask for the
    /// same network together, and one inspection answers them all.
    fetching: tokio::sync::Mutex<()>,
}

const GATEWAY_TTL: Duration = Duration::from_secs(10);

impl GatewayCache {
    fn get(&self, network: &str) -> Option<Option<String>> {
        let cache = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (at, gateway) = cache.get(network)?;
        (at.elapsed() < GATEWAY_TTL).then(|| gateway.clone())
    }

    fn put(&self, network: &str, gateway: Option<String>) {
        let mut cache = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(network.to_string(), (std::time::Instant::now(), gateway));
    }

    fn forget(&self, network: &str) {
        let mut cache = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(network);
    }
}

impl DockerEngine {
    /// Inspects network `name`.
    async fn network(&self, name: &str) -> Result<bollard::models::NetworkInspect, EngineError> {
        self.network_call(
            "inspect_network",
            name,
            || format!("network `{name}`"),
            self.docker.inspect_network(
                name,
                None::<bollard::query_parameters::InspectNetworkOptions>,
            ),
        )
        .await
    }

    /// The IPv4 gateway of network `name` (cached for a moment: see [`GatewayCache`]).
    async fn network_gateway(&self, name: &str) -> Result<Option<String>, EngineError> {
        if let Some(gateway) = self.gateways.get(name) {
            return Ok(gateway);
        }
        let _fetching = self.gateways.fetching.lock().await;
        if let Some(gateway) = self.gateways.get(name) {
            return Ok(gateway);
        }
        let network = self.network(name).await?;
        let gateway = ipv4_gateway(network.ipam.as_ref()).map(|gateway| gateway.to_string());
        self.gateways.put(name, gateway.clone());
        Ok(gateway)
    }

    /// The DNS servers of a container whose networks carry names msctl's resolver holds:
    /// the gateway of each of `spec.resolver_networks` (where the resolver listens), then
    /// the service's own `dns`, or else the servers the engine would give it. Docker's
    /// embedded DNS asks them in order and moves on when one answers SERVFAIL, which is
    /// what the resolver answers for every name it does not hold; it asks at most three.
    pub(super) async fn resolver_dns(
        &self,
        spec: &ContainerSpec,
    ) -> Result<Vec<String>, EngineError> {
        let gateways = futures_util::future::try_join_all(
            spec.resolver_networks
                .iter()
                .map(|network| self.network_gateway(network)),
        )
        .await?;
        let gateways = gateways.into_iter().flatten();
        let upstream = if spec.dns.is_empty() {
            super::super::dns::of_host()
        } else {
            spec.dns.clone()
        };
        Ok(super::super::dns::servers(gateways, upstream))
    }

    /// Removes the endpoint named `endpoint` that a gone container left on `network`, when
    /// the network is this engine's own (`local` scope): there names are unique, so an
    /// endpoint named after a container that is not on the network is left over. On a
    /// Swarm network the name may be a container's on another node: left alone (`false`).
    pub(super) async fn clear_left_behind(
        &self,
        network: &str,
        endpoint: &str,
    ) -> Result<bool, EngineError> {
        let inspected = self.network(network).await?;
        if inspected.scope.as_deref() != Some("local") {
            return Ok(false);
        }
        self.remove_stale_endpoint(network, endpoint).await?;
        Ok(true)
    }

    /// Detaches `container` (an id, or the name an endpoint has) from a network; with
    /// `force`, also an endpoint whose container is gone. One not attached is no error.
    async fn disconnect(
        &self,
        container: &str,
        network: &str,
        force: bool,
    ) -> Result<(), EngineError> {
        let request = NetworkDisconnectRequest {
            container: container.to_string(),
            force: Some(force),
        };
        let disconnected = self
            .network_call(
                "disconnect_network",
                network,
                || format!("`{container}` on network `{network}`"),
                self.docker.disconnect_network(network, request),
            )
            .await;
        match disconnected {
            // Docker answers 403 "container ... is not connected to network ...".
            Err(EngineError::Other { message, .. }) if message.contains("is not connected") => {
                Ok(())
            }
            other => other,
        }
    }

    /// Runs one call on network `network` under [`CALL_TIMEOUT`], mapping the engine's
    /// answer with [`network_error`] (which keeps the engine's words) and any other
    /// failure with [`map_error`].
    async fn network_call<T>(
        &self,
        operation: &str,
        network: &str,
        what: impl FnOnce() -> String,
        future: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        match tokio::time::timeout(CALL_TIMEOUT, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            })) => Err(network_error(
                operation,
                network,
                what(),
                status_code,
                &message,
            )),
            Ok(Err(err)) => Err(map_error(&self.address, operation, what(), err)),
            Err(_) => Err(EngineError::Timeout {
                operation: operation.to_string(),
                timeout: CALL_TIMEOUT,
            }),
        }
    }

    /// The endpoint settings of one network attachment.
    pub(super) fn endpoint(
        &self,
        attachment: &NetworkAttachment,
        mac_address: Option<&str>,
    ) -> EndpointSettings {
        let fixed = attachment.ipv4_address.is_some() || attachment.ipv6_address.is_some();
        EndpointSettings {
            aliases: non_empty(&attachment.aliases),
            ipam_config: fixed.then(|| EndpointIpamConfig {
                ipv4_address: attachment.ipv4_address.clone(),
                ipv6_address: attachment.ipv6_address.clone(),
                ..EndpointIpamConfig::default()
            }),
            mac_address: mac_address
                .filter(|_| self.api_version.at_least(API_ENDPOINT_MAC_ADDRESS))
                .map(str::to_string),
            ..EndpointSettings::default()
        }
    }

    pub(super) async fn list_networks_impl(
        &self,
        filter: &LabelFilter,
    ) -> Result<Vec<NetworkSummary>, EngineError> {
        let options = ListNetworksOptionsBuilder::default()
            .filters(&DockerEngine::label_filters(filter))
            .build();
        let listed = self
            .call(
                "list_networks",
                || "networks".to_string(),
                CALL_TIMEOUT,
                self.docker.list_networks(Some(options)),
            )
            .await?;
        let mut networks: Vec<NetworkSummary> = listed
            .into_iter()
            .filter_map(|network| {
                let gateway = ipv4_gateway(network.ipam.as_ref());
                Some(NetworkSummary {
                    id: network.id?,
                    name: network.name?,
                    labels: network.labels.unwrap_or_default().into_iter().collect(),
                    gateway,
                })
            })
            .filter(|network| filter.matches(&network.labels))
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    pub(super) async fn create_network_impl(
        &self,
        spec: &NetworkSpec,
    ) -> Result<String, EngineError> {
        let request = NetworkCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver.clone(),
            internal: spec.internal.then_some(true),
            attachable: spec.attachable.then_some(true),
            enable_ipv6: spec.enable_ipv6.then_some(true),
            options: (!spec.driver_opts.is_empty())
                .then(|| spec.driver_opts.clone().into_iter().collect()),
            ipam: spec.ipam.as_ref().map(|ipam| DockerIpam {
                driver: ipam.driver.clone(),
                config: (!ipam.config.is_empty()).then(|| {
                    ipam.config
                        .iter()
                        .map(|pool| IpamConfig {
                            subnet: pool.subnet.clone(),
                            ip_range: pool.ip_range.clone(),
                            gateway: pool.gateway.clone(),
                            auxiliary_addresses: (!pool.aux_addresses.is_empty())
                                .then(|| pool.aux_addresses.clone().into_iter().collect()),
                        })
                        .collect()
                }),
                options: (!ipam.options.is_empty())
                    .then(|| ipam.options.clone().into_iter().collect()),
            }),
            labels: Some(spec.labels.clone().into_iter().collect()),
            ..NetworkCreateRequest::default()
        };
        self.gateways.forget(&spec.name);
        // Docker allows several networks with one name; msctl never wants that.
        let existing = self.list_networks(&LabelFilter::any()).await?;
        if existing.iter().any(|network| network.name == spec.name) {
            return Err(EngineError::Conflict {
                what: format!("network `{}`", spec.name),
                message: "a network with this name already exists".to_string(),
            });
        }
        let created = self
            .network_call(
                "create_network",
                &spec.name,
                || format!("network `{}`", spec.name),
                self.docker.create_network(request),
            )
            .await?;
        Ok(created.id)
    }

    pub(super) async fn remove_network_impl(&self, name: &str) -> Result<(), EngineError> {
        self.gateways.forget(name);
        // Docker's 403 "... has active endpoints" is a `Conflict` (see `network_error`).
        self.network_call(
            "remove_network",
            name,
            || format!("network `{name}`"),
            self.docker.remove_network(name),
        )
        .await
    }

    pub(super) async fn network_endpoints_impl(
        &self,
        name: &str,
    ) -> Result<Vec<NetworkEndpoint>, EngineError> {
        let network = self.network(name).await?;
        let mut endpoints: Vec<NetworkEndpoint> = network
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(|(container_id, endpoint)| NetworkEndpoint {
                name: endpoint
                    .name
                    .map(|name| name.trim_start_matches('/').to_string())
                    .unwrap_or_else(|| container_id.clone()),
                container_id,
            })
            .collect();
        endpoints.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(endpoints)
    }

    pub(super) async fn remove_stale_endpoint_impl(
        &self,
        network: &str,
        endpoint: &str,
    ) -> Result<(), EngineError> {
        match self.disconnect(endpoint, network, true).await {
            Err(EngineError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    pub(super) async fn connect_network_impl(
        &self,
        container_id: &str,
        attachment: &NetworkAttachment,
    ) -> Result<(), EngineError> {
        let connect = || {
            let request = NetworkConnectRequest {
                container: container_id.to_string(),
                endpoint_config: Some(self.endpoint(attachment, None)),
            };
            self.network_call(
                "connect_network",
                &attachment.network_name,
                || format!("network `{}`", attachment.network_name),
                self.docker
                    .connect_network(&attachment.network_name, request),
            )
        };
        let err = match connect().await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        // Docker answers 403 "endpoint with name ... already exists in network ..." both
        // when the container is attached already and when a gone container of the same
        // name left its endpoint behind: the second is cleared, then it joins.
        let Some((endpoint, network)) = endpoint_taken(&err) else {
            return Err(err);
        };
        let details = self.inspect_container(container_id).await?;
        if details.summary.networks.contains(&network) {
            return Ok(());
        }
        if !self.clear_left_behind(&network, &endpoint).await? {
            return Err(err);
        }
        connect().await
    }

    pub(super) async fn disconnect_network_impl(
        &self,
        container_id: &str,
        network_name: &str,
    ) -> Result<(), EngineError> {
        self.disconnect(container_id, network_name, false).await
    }
}

/// The engine's answer `status`/`message` to `operation` on network `network` (`what`
/// names what it was about) as an [`EngineError`]. Unlike [`map_error`], the engine's
/// own words always reach the message: a network call fails for reasons the status code
/// does not tell (Docker 20.10 answers 404 when its address pools are used up).
fn network_error(
    operation: &str,
    network: &str,
    what: String,
    status: u16,
    message: &str,
) -> EngineError {
    let message = message.trim();
    if operation == "create_network" && crate::engine::error::is_address_pools_exhausted(message) {
        return EngineError::AddressPoolsExhausted {
            network: network.to_string(),
            message: message.to_string(),
        };
    }
    // Docker answers 403 "error while removing network: ... has active endpoints".
    if operation == "remove_network" && message.contains("active endpoints") {
        return EngineError::Conflict {
            what,
            message: format!("it still has endpoints (Docker: {message})"),
        };
    }
    match status {
        // The network being created cannot be what is missing: a driver or a plugin is.
        404 if operation != "create_network" => EngineError::NotFound {
            what: missing_subject(message).unwrap_or_else(|| format!("{what} (Docker: {message})")),
        },
        409 => EngineError::Conflict {
            what,
            message: message.to_string(),
        },
        _ => EngineError::Other {
            operation: operation.to_string(),
            message: format!("{what}: {message} (HTTP {status})"),
        },
    }
}

/// What Docker's 404 message says is missing, in its words: `network foo` of "network
/// foo not found", `container abc` of "No such container: abc".
fn missing_subject(message: &str) -> Option<String> {
    const NOT_FOUND: &str = " not found";
    const NO_SUCH: &str = "no such ";
    let lower = message.to_ascii_lowercase();
    let subject = if lower.ends_with(NOT_FOUND) {
        message[..message.len() - NOT_FOUND.len()]
            .trim()
            .to_string()
    } else if lower.starts_with(NO_SUCH) {
        let (kind, name) = message[NO_SUCH.len()..].split_once(':')?;
        format!("{} {}", kind.trim(), name.trim())
    } else {
        return None;
    };
    (!subject.trim().is_empty()).then_some(subject)
}

/// The endpoint and network of Docker's "endpoint with name NAME already exists in
/// network NETWORK", wherever it is in the error's message.
pub(super) fn endpoint_taken(err: &EngineError) -> Option<(String, String)> {
    let (EngineError::Other { message, .. } | EngineError::Conflict { message, .. }) = err else {
        return None;
    };
    const START: &str = "endpoint with name ";
    let rest = &message[message.find(START)? + START.len()..];
    let (endpoint, rest) = rest.split_once(" already exists in network ")?;
    let network = rest
        .split_whitespace()
        .next()?
        .trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';' | ':'));
    (!endpoint.is_empty() && !network.is_empty())
        .then(|| (endpoint.to_string(), network.to_string()))
}

/// The first IPv4 gateway of a network's address configuration.
fn ipv4_gateway(ipam: Option<&bollard::models::Ipam>) -> Option<std::net::Ipv4Addr> {
    ipam?
        .config
        .as_ref()?
        .iter()
        .filter_map(|config| config.gateway.as_deref())
        .find_map(|gateway| gateway.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_is_remembered_until_its_network_is_created_or_removed_again() {
        let cache = GatewayCache::default();
        assert_eq!(
            cache.get("p_default"),
            None,
            "nothing before the first inspection"
        );
        cache.put("p_default", Some("172.18.0.1".to_string()));
        cache.put("p_ready", None);
        assert_eq!(cache.get("p_default"), Some(Some("172.18.0.1".to_string())));
        assert_eq!(
            cache.get("p_ready"),
            Some(None),
            "no IPv4 gateway is an answer too"
        );
        cache.forget("p_default");
        assert_eq!(cache.get("p_default"), None);
        assert_eq!(cache.get("p_ready"), Some(None), "other networks stay");
    }

    #[test]
    fn a_network_error_keeps_the_engines_words() {
        let pools = "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network";
        let created = |status: u16, message: &str| {
            network_error(
                "create_network",
                "p_default",
                "network `p_default`".to_string(),
                status,
                message,
            )
        };

        // Docker 20.10 answers 404 when its address pools are used up: not a `NotFound`.
        let exhausted = created(404, pools);
        assert!(
            matches!(exhausted, EngineError::AddressPoolsExhausted { .. }),
            "{exhausted:?}"
        );
        assert!(!exhausted.is_not_found());
        assert_eq!(
            exhausted.to_string(),
            format!("cannot create network `p_default`: the engine has no free address pool left (Docker: {pools})")
        );
        assert!(exhausted
            .hint()
            .unwrap_or_default()
            .contains("default-address-pools"));
        // Whatever the status, and in later engines' words.
        for (status, message) in [
            (400, pools),
            (500, pools),
            (
                400,
                "all predefined address pools have been fully subnetted",
            ),
        ] {
            let err = created(status, message);
            assert!(
                matches!(err, EngineError::AddressPoolsExhausted { .. }),
                "{err:?}"
            );
        }

        // Another 404 on create (a missing driver plugin) says what Docker said.
        let plugin = created(404, "plugin \"weave\" not found");
        assert!(!plugin.is_not_found(), "{plugin:?}");
        let text = plugin.to_string();
        assert!(text.contains("plugin \"weave\" not found"), "{text}");
        assert!(text.contains("`p_default`"), "{text}");
        assert!(created(409, "network with name p_default already exists").is_conflict());

        // A network that is gone is still `NotFound`, in Docker's words.
        for operation in ["inspect_network", "remove_network"] {
            let gone = network_error(
                operation,
                "foo",
                "network `foo`".to_string(),
                404,
                "network foo not found",
            );
            assert!(gone.is_not_found(), "{gone:?}");
            assert_eq!(gone.to_string(), "network foo not found");
            assert!(gone.hint().is_none());
        }
        let connect = |status: u16, message: &str| {
            network_error(
                "connect_network",
                "n",
                "network `n`".to_string(),
                status,
                message,
            )
        };
        let container = connect(404, "No such container: abc");
        assert!(container.is_not_found());
        assert_eq!(container.to_string(), "container abc not found");
        let odd = connect(404, "something else");
        assert!(odd.is_not_found());
        assert!(odd.to_string().contains("something else"), "{odd}");

        // A network with endpoints is a `Conflict` (`down` waits for them), still in
        // Docker's words; the endpoint taken is read from the message.
        let busy = network_error(
            "remove_network",
            "foo",
            "network `foo`".to_string(),
            403,
            "error while removing network: network foo id 1f2e has active endpoints",
        );
        assert!(busy.is_conflict(), "{busy:?}");
        assert!(
            busy.to_string().contains("it still has endpoints"),
            "{busy}"
        );
        assert!(busy.to_string().contains("has active endpoints"), "{busy}");
        let taken = connect(
            403,
            "endpoint with name shop-orders-2 already exists in network shop_default",
        );
        assert_eq!(
            endpoint_taken(&taken),
            Some(("shop-orders-2".to_string(), "shop_default".to_string()))
        );
        // `disconnect` reads "is not connected" from the message.
        let not_connected = network_error(
            "disconnect_network",
            "n",
            "`c` on network `n`".to_string(),
            403,
            "container c is not connected to network n",
        );
        assert!(
            matches!(&not_connected, EngineError::Other { message, .. } if message.contains("is not connected")),
            "{not_connected:?}"
        );
    }

    #[test]
    fn an_endpoint_left_behind_is_read_from_dockers_message() {
        let other = |message: &str| EngineError::Other {
            operation: "start_container".to_string(),
            message: message.to_string(),
        };
        assert_eq!(
            endpoint_taken(&other(
                "Docker responded with status code 403: endpoint with name shop-orders-2 already exists in network shop_default.ready.orders"
            )),
            Some(("shop-orders-2".to_string(), "shop_default.ready.orders".to_string()))
        );
        assert_eq!(
            endpoint_taken(&other(
                "Cannot start service orders: endpoint with name shop-orders-2 already exists in network \"shop_default\", retry"
            )),
            Some(("shop-orders-2".to_string(), "shop_default".to_string()))
        );
        assert_eq!(
            endpoint_taken(&other("network shop_default not found")),
            None
        );
        assert_eq!(
            endpoint_taken(&EngineError::NotFound {
                what: "endpoint with name a already exists in network b".to_string()
            }),
            None
        );
    }
}

//! Port syntax: `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]` and the long
//! form. Ranges are expanded into one [`Port`] per container port. Also what a service's
//! ports ask for ([`wants_ingress`]), which validation and the ingress plan both read.

use super::diagnostic::Span;
use super::model::{Port, PortMode, Protocol, Service};
use super::yaml::{Node, Value};

fn protocol(text: &str) -> Result<Protocol, String> {
    match text {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        other => Err(format!(
            "`{other}` is not a protocol (use tcp, udp or sctp)"
        )),
    }
}

fn port_number(text: &str, whole: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(format!("port {n} in `{whole}` is out of range (1-65535)")),
        Err(_) => Err(format!("`{text}` in `{whole}` is not a port number")),
    }
}

/// A port or an inclusive range `a-b`.
fn range(text: &str, whole: &str) -> Result<(u16, u16), String> {
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port_number(a, whole)?, port_number(b, whole)?);
            if a > b {
                return Err(format!("range `{text}` in `{whole}` runs backwards"));
            }
            Ok((a, b))
        }
        None => {
            let n = port_number(text, whole)?;
            Ok((n, n))
        }
    }
}

/// Parse the short syntax.
pub fn parse_port_short(text: &str) -> Result<Vec<Port>, String> {
    let whole = text;
    let (rest, proto) = match text.rsplit_once('/') {
        Some((rest, p)) => (rest, protocol(p)?),
        None => (text, Protocol::Tcp),
    };
    // An IPv6 host address is written in brackets: `[::1]:8080:80`.
    let (host_ip, rest) = if let Some(after) = rest.strip_prefix('[') {
        let (ip, after) = after
            .split_once("]:")
            .ok_or_else(|| format!("`{whole}` opens `[` for an IPv6 address without `]:`"))?;
        (Some(ip.to_string()), after)
    } else {
        (None, rest)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, host, container) = match (host_ip, parts.as_slice()) {
        (None, [c]) => (None, None, *c),
        (None, [h, c]) => (None, Some(*h), *c),
        // An empty address (`:8080:80`, often from `${IP-}:8080:80`) means all of them.
        (None, ["", h, c]) => (None, Some(*h), *c),
        (None, [ip, h, c]) => (Some(ip.to_string()), Some(*h), *c),
        (Some(ip), [h, c]) => (Some(ip), Some(*h), *c),
        _ => return Err(format!("`{whole}` is not a port mapping: too many `:`")),
    };
    if let Some(ip) = &host_ip {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(format!("`{ip}` in `{whole}` is not an IP address"));
        }
    }
    let (c_start, c_end) = range(container, whole)?;
    let host = host.filter(|h| !h.is_empty());
    let published: Vec<Option<u16>> = match host {
        None => vec![None; (c_end - c_start + 1) as usize],
        Some(h) => {
            let (h_start, h_end) = range(h, whole)?;
            if h_end - h_start != c_end - c_start {
                return Err(format!(
                    "`{whole}` maps {} host port(s) to {} container port(s)",
                    h_end - h_start + 1,
                    c_end - c_start + 1
                ));
            }
            (h_start..=h_end).map(Some).collect()
        }
    };
    Ok((c_start..=c_end)
        .zip(published)
        .map(|(target, published)| Port {
            target,
            published,
            host_ip: host_ip.clone(),
            protocol: proto,
            mode: None,
        })
        .collect())
}

/// Parse the long syntax; errors carry the span of the offending field when known.
/// A port problem and, when known, the span of the field at fault.
pub type PortError = (String, Option<Span>);

pub fn parse_port_long(node: &Node) -> Result<Vec<Port>, PortError> {
    let field = |key: &str| node.get(key);
    let text = |key: &str| -> Result<Option<(String, Span)>, PortError> {
        match field(key) {
            None => Ok(None),
            Some(n) => match (&n.value, n.scalar_text()) {
                (Value::Str(_) | Value::Int(_), Some(t)) => Ok(Some((t, n.span))),
                _ => Err((
                    format!(
                        "`{key}` of a port must be a string or a number, found {}",
                        n.type_name()
                    ),
                    Some(n.span),
                )),
            },
        }
    };
    let Some((target, target_span)) = text("target")? else {
        return Err((
            "a port in long syntax needs `target`".to_string(),
            Some(node.span),
        ));
    };
    let target = port_number(&target, &target).map_err(|e| (e, Some(target_span)))?;
    let proto = match text("protocol")? {
        Some((p, span)) => protocol(&p).map_err(|e| (e, Some(span)))?,
        None => Protocol::Tcp,
    };
    let host_ip = match text("host_ip")? {
        Some((ip, span)) => {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return Err((format!("`{ip}` is not an IP address"), Some(span)));
            }
            Some(ip)
        }
        None => None,
    };
    let published = match text("published")? {
        Some((p, span)) if !p.is_empty() => {
            let (a, b) = range(&p, &p).map_err(|e| (e, Some(span)))?;
            if a != b {
                return Err((
                    format!("published range `{p}` needs a single target port per entry"),
                    Some(span),
                ));
            }
            Some(a)
        }
        _ => None,
    };
    let mode = match field("mode") {
        None => None,
        Some(mode) => match mode.scalar_text().as_deref() {
            Some("ingress") => Some(PortMode::Ingress),
            Some("host") => Some(PortMode::Host),
            _ => {
                return Err((
                    "`mode` of a port must be `ingress` or `host`".to_string(),
                    Some(mode.span),
                ))
            }
        },
    };
    Ok(vec![Port {
        target,
        published,
        host_ip,
        protocol: proto,
        mode,
    }])
}

/// `expose` entries: a port or range, with an optional protocol.
pub fn parse_expose(text: &str) -> Result<(), String> {
    let (ports, proto) = match text.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (text, None),
    };
    if let Some(p) = proto {
        protocol(p)?;
    }
    range(ports, text).map(|_| ())
}

/// Whether `service` can run more than one replica by its manifest: `replicas` above 1,
/// or an autoscale range whose `max` is above 1.
pub fn may_replicate(service: &Service) -> bool {
    service.replicas() > 1
        || service
            .extensions
            .autoscale
            .as_ref()
            .is_some_and(|auto| auto.max > 1)
}

/// Whether `port` of `service` asks for the ingress, whatever its protocol: it is
/// published, and the service may replicate or the port says `mode: ingress`.
/// Validation refuses such a port that is not TCP (the ingress relays TCP streams).
pub fn wants_ingress(service: &Service, port: &Port) -> bool {
    port.published.is_some() && (may_replicate(service) || port.mode == Some(PortMode::Ingress))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(text: &str) -> Vec<(Option<String>, Option<u16>, u16, &'static str)> {
        parse_port_short(text)
            .expect("valid")
            .into_iter()
            .map(|p| (p.host_ip, p.published, p.target, p.protocol.as_str()))
            .collect()
    }

    #[test]
    fn short_forms() {
        assert_eq!(short("80"), vec![(None, None, 80, "tcp")]);
        assert_eq!(short("8080:80"), vec![(None, Some(8080), 80, "tcp")]);
        assert_eq!(
            short("127.0.0.1:5432:5432/udp"),
            vec![(Some("127.0.0.1".into()), Some(5432), 5432, "udp")]
        );
        assert_eq!(
            short("127.0.0.1::80"),
            vec![(Some("127.0.0.1".into()), None, 80, "tcp")]
        );
        assert_eq!(
            short("[::1]:8080:80"),
            vec![(Some("::1".into()), Some(8080), 80, "tcp")]
        );
        assert_eq!(short("9000-9001:9000-9001").len(), 2);
        assert_eq!(short("3000-3002").len(), 3);
    }

    #[test]
    fn short_errors() {
        for bad in [
            "80:80:80:80",
            "70000",
            "8000-8002:80-81",
            "abc",
            "80/xyz",
            "1.2.3:80:80",
            "0",
        ] {
            assert!(parse_port_short(bad).is_err(), "{bad}");
        }
    }
}

//! `msctl port SERVICE [PRIVATE_PORT] [--index N] [--protocol tcp|udp|sctp]`: the host
//! address a service's container port is published on, as `IP:PORT`; without a port,
//! every mapping of the replica (`80/tcp -> 0.0.0.0:32768`). A port that goes
//! through msctl's ingress (see `ingress::plan`) is published by the control plane, not
//! by a container: its address is the ingress's, whichever replica `--index` names.

use crate::cli::PortArgs;
use crate::engine::LabelFilter;
use crate::ingress::plan::{ingress_ports, listen_address};
use crate::manifest::model::Project;
use crate::plan::labels;
use crate::session::{CommandError, Context};

pub fn port(ctx: &Context, project: &Project, args: &PortArgs) -> Result<(), CommandError> {
    ctx.check_services(project, std::slice::from_ref(&args.service))?;
    let service = &project.services[&args.service];
    let protocol = args.protocol.as_str();
    let through_ingress: Vec<_> = ingress_ports(service)
        .into_iter()
        .filter(|port| port.protocol.as_str() == protocol || args.private_port.is_none())
        .collect();
    if let Some(private) = args.private_port {
        if let Some(port) = through_ingress.iter().find(|port| port.target == private) {
            let _ = ctx.printer.data(&format!("{}\n", listen_address(port)));
            return Ok(());
        }
    }
    let index = args.index.unwrap_or(1);
    ctx.block_on(async {
        let engine = ctx.engine().await?;
        let filter = LabelFilter::project(&project.name)
            .with(labels::SERVICE, Some(&args.service))
            .with(labels::REPLICA, Some(&index.to_string()));
        let replica = engine
            .list_containers_with_ports(&filter)
            .await
            .map_err(|err| CommandError::with_hint(err.hint(), err))?
            .into_iter()
            .find(|c| !c.summary.is_oneoff());
        let no_replica = || {
            CommandError::hinted(
                anyhow::anyhow!("service `{}` has no replica {index}", args.service),
                "`msctl ps -a` lists its replicas; `msctl up` creates them",
            )
        };
        let Some(private) = args.private_port else {
            // Every mapping, as `docker port` lists them: the ingress's first.
            let mut lines: Vec<String> = through_ingress
                .iter()
                .map(|port| format!("{}/tcp -> {} (ingress)", port.target, listen_address(port)))
                .collect();
            match &replica {
                Some(replica) => lines.extend(replica.ports.iter().filter_map(|port| {
                    let (address, target) = port.split_once("->")?;
                    Some(format!("{target} -> {address}"))
                })),
                None if lines.is_empty() => return Err(no_replica()),
                None => {}
            }
            let _ = ctx.printer.data(&lines.iter().map(|l| format!("{l}\n")).collect::<String>());
            return Ok(());
        };
        let wanted = format!("{private}/{protocol}");
        let replica = replica.ok_or_else(no_replica)?;
        match published_address(&replica.ports, &wanted) {
            Some(address) => {
                let _ = ctx.printer.data(&format!("{address}\n"));
                Ok(())
            }
            None => {
                let hint = if replica.ports.is_empty() {
                    "it publishes no port now (a stopped container publishes none); `ports:` in the manifest publishes one".to_string()
                } else {
                    format!("it publishes: {}", replica.ports.join(", "))
                };
                Err(CommandError::hinted(
                    anyhow::anyhow!(
                        "replica `{}` of service `{}` does not publish port {wanted}",
                        replica.summary.name,
                        args.service
                    ),
                    hint,
                ))
            }
        }
    })
}

/// The `IP:PORT` of the first binding of `wanted` (`80/tcp`) among a container's
/// published ports (`IP:PORT->TARGET/PROTOCOL`, sorted, so IPv4's comes first).
fn published_address<'a>(ports: &'a [String], wanted: &str) -> Option<&'a str> {
    ports.iter().find_map(|port| {
        let (address, target) = port.split_once("->")?;
        (target == wanted).then_some(address)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_binding_of_the_wanted_port_is_its_address() {
        let ports = vec![
            "0.0.0.0:32768->80/tcp".to_string(),
            "0.0.0.0:32769->53/udp".to_string(),
            ":::32768->80/tcp".to_string(),
        ];
        assert_eq!(published_address(&ports, "80/tcp"), Some("0.0.0.0:32768"));
        assert_eq!(published_address(&ports, "53/udp"), Some("0.0.0.0:32769"));
        assert_eq!(published_address(&ports, "53/tcp"), None);
        assert_eq!(published_address(&ports, "8/tcp"), None);
    }
}

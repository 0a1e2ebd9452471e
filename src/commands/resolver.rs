//! `msctl resolver`: the DNS server of readiness-gated names (`crate::resolver`), in the
//! foreground until SIGTERM. `up` starts it in a container of its own, one per engine.

use crate::cli::ResolverArgs;
use crate::resolver::server::{self, ServerOptions};

use crate::session::CommandError;

pub fn run(args: ResolverArgs) -> Result<(), CommandError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| CommandError::Failed(err.into()))?;
    runtime
        .block_on(server::run(ServerOptions {
            listen: args.listen,
            token: args.token,
            dns_port: args.dns_port,
        }))
        .map_err(CommandError::Failed)
}

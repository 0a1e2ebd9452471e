//! The DNS listeners on a gateway: UDP and TCP (length-prefixed, RFC 1035 4.2.2), both
//! answering from the tables.

use std::net::Ipv4Addr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::resolver::dns;
use crate::resolver::table::Tables;

/// A TCP DNS connection idle this long is closed.
const TCP_IDLE: Duration = Duration::from_secs(5);
/// TCP DNS connections open at once, over all gateways; more are closed on accept.
pub(super) const MAX_TCP_CONNECTIONS: usize = 256;
/// A UDP query larger than this is cut (and then most likely refused as malformed).
const UDP_BUFFER: usize = 4096;

/// The answer to one DNS message arriving at `gateway`, or `None` to send nothing.
/// `max_len` is the transport's limit; `None` means UDP, where the query sets it.
fn answer(
    packet: &[u8],
    gateway: Ipv4Addr,
    tables: &RwLock<Tables>,
    max_len: Option<usize>,
) -> Option<Vec<u8>> {
    match dns::parse_query(packet) {
        Ok(query) => {
            let addresses = tables
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .lookup(gateway, &query.name);
            let ours = (!addresses.is_empty()).then_some(&addresses[..]);
            let max_len = max_len.unwrap_or_else(|| query.udp_max_len());
            Some(dns::respond(&query, ours, max_len))
        }
        Err(error) => error
            .reply_rcode()
            .and_then(|rcode| dns::error_reply(packet, rcode)),
    }
}

pub(super) async fn serve_udp(socket: UdpSocket, gateway: Ipv4Addr, tables: Arc<RwLock<Tables>>) {
    let mut buffer = vec![0u8; UDP_BUFFER];
    loop {
        let (len, peer) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(_) => {
                // Nothing to log per query; do not spin if the error persists.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let packet = buffer.get(..len).unwrap_or(&buffer);
        if let Some(reply) = answer(packet, gateway, &tables, None) {
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}

pub(super) async fn serve_tcp(
    listener: TcpListener,
    gateway: Ipv4Addr,
    tables: Arc<RwLock<Tables>>,
    permits: Arc<Semaphore>,
) {
    // Owned here so that aborting this task closes every connection with the listener.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors and the like: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Taken after accept, not before: a permit held while waiting would count an
        // idle gateway as a connection.
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let tables = tables.clone();
        connections.spawn(async move {
            serve_connection(stream, gateway, &tables).await;
            drop(permit);
        });
    }
}

/// Length-prefixed messages (RFC 1035 4.2.2) until the peer closes, idles or sends
/// something that cannot be answered.
async fn serve_connection(mut stream: TcpStream, gateway: Ipv4Addr, tables: &RwLock<Tables>) {
    loop {
        let mut prefix = [0u8; 2];
        if !matches!(
            tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut prefix)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        let mut message = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
        if !matches!(
            tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut message)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        let Some(reply) = answer(&message, gateway, tables, Some(dns::TCP_MAX_LEN)) else {
            return;
        };
        let Ok(len) = u16::try_from(reply.len()) else {
            return;
        };
        let mut out = Vec::with_capacity(reply.len() + 2);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&reply);
        if !matches!(
            tokio::time::timeout(TCP_IDLE, stream.write_all(&out)).await,
            Ok(Ok(_))
        ) {
            return;
        }
    }
}

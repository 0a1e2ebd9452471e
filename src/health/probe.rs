//! Direct probes (`x-msctl.probe`): msctl itself connects to a replica, so readiness is
//! seen within one probe interval of it happening, not after a whole Docker `interval`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::manifest::model::ProbeCheck;

/// Run one probe against a replica at `ip`. `Err` says why it failed, for the user.
pub async fn probe(check: &ProbeCheck, ip: IpAddr, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, attempt(check, ip)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {timeout:?}")),
    }
}

async fn attempt(check: &ProbeCheck, ip: IpAddr) -> Result<(), String> {
    match check {
        ProbeCheck::Tcp { port } => {
            let address = SocketAddr::new(ip, *port);
            TcpStream::connect(address)
                .await
                .map(|_| ())
                .map_err(|err| format!("tcp {address}: {err}"))
        }
        ProbeCheck::Http { port, path } => {
            let address = SocketAddr::new(ip, *port);
            let mut stream = TcpStream::connect(address)
                .await
                .map_err(|err| format!("http {address}{path}: {err}"))?;
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: msctl-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            );
            stream
                .write_all(request.as_bytes())
                .await
                .map_err(|err| format!("http {address}{path}: {err}"))?;
            // The status line is all a probe needs.
            let mut head = Vec::with_capacity(64);
            let mut buf = [0u8; 256];
            while !head.contains(&b'\n') && head.len() < 4096 {
                let n = stream
                    .read(&mut buf)
                    .await
                    .map_err(|err| format!("http {address}{path}: {err}"))?;
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&head);
            let status = line
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|code| code.parse::<u16>().ok());
            match status {
                Some(code) if (200..400).contains(&code) => Ok(()),
                Some(code) => Err(format!("http {address}{path}: status {code}")),
                None => Err(format!("http {address}{path}: not an HTTP answer")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn server(status: &'static str) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
                    .await;
            }
        });
        port
    }

    #[tokio::test]
    async fn http_probe_passes_on_2xx_and_fails_otherwise() {
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        let ok = server("200 OK").await;
        let bad = server("503 Service Unavailable").await;
        let timeout = Duration::from_secs(1);
        let check = |port| ProbeCheck::Http {
            port,
            path: "/readyz".to_string(),
        };
        assert_eq!(probe(&check(ok), ip, timeout).await, Ok(()));
        let err = probe(&check(bad), ip, timeout)
            .await
            .expect_err("503 fails");
        assert!(err.contains("status 503"), "{err}");
        assert!(probe(&ProbeCheck::Tcp { port: ok }, ip, timeout)
            .await
            .is_ok());
        // Nothing listens on port 1.
        assert!(probe(&ProbeCheck::Tcp { port: 1 }, ip, timeout)
            .await
            .is_err());
    }
}

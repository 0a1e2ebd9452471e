//! msctl's side of its own local HTTP APIs (the resolver's, the control plane's): a small
//! HTTP/1.1 client over one TCP connection per call, with a bearer token. Hand-written
//! because the calls are few, local and tiny, and no HTTP client is among msctl's
//! dependencies.
//!
//! Every call is bounded by [`CALL_TIMEOUT`], connect included: a peer that does not
//! answer must not hold up `msctl up` or the control plane's loop.

use std::net::SocketAddr;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The longest any call may take, connect and answer together.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest answer read; the resolver's are a few hundred bytes.
const MAX_RESPONSE: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connect refused or timed out: the resolver is not running there.
    #[error("the {peer} at {addr} did not answer: {source}")]
    Unreachable {
        peer: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The resolver answered with an error; `body` is its `error` message when it sent one.
    #[error("the {peer} at {addr} refused `{request}` with status {status}: {body}")]
    Status {
        peer: &'static str,
        addr: SocketAddr,
        request: String,
        status: u16,
        body: String,
    },
    /// Connected, but no complete answer within [`CALL_TIMEOUT`].
    #[error("the {0} took longer than {secs}s to answer", secs = CALL_TIMEOUT.as_secs())]
    Timeout(&'static str),
    /// The connection broke or the answer was not HTTP as expected.
    #[error("{0}")]
    Protocol(String),
}

impl ClientError {
    /// The resolver served its last project and is going: another must be started.
    pub fn is_retired(&self) -> bool {
        matches!(self, ClientError::Status { status: 410, .. })
    }
}

/// Talks to one API: `peer` names it in errors (`msctl resolver`).
#[derive(Clone)]
pub struct ApiClient {
    peer: &'static str,
    addr: SocketAddr,
    token: String,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("peer", &self.peer)
            .field("addr", &self.addr)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A path segment with everything but unreserved characters (RFC 3986) percent-encoded;
/// `.` too, so that no segment is ever `.` or `..`.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The servers' side of the token: equal without saying how much of it matched, through
/// timing.
pub fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The bearer token of a request's `Authorization` header, if it has one.
pub fn bearer(authorization: Option<&axum::http::HeaderValue>) -> Option<&str> {
    authorization
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// An answer's status and body.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl ApiClient {
    pub fn new(peer: &'static str, addr: SocketAddr, token: impl Into<String>) -> ApiClient {
        ApiClient {
            peer,
            addr,
            token: token.into(),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn encode(&self, value: &(impl serde::Serialize + ?Sized)) -> Result<Vec<u8>, ClientError> {
        serde_json::to_vec(value).map_err(|e| {
            ClientError::Protocol(format!(
                "cannot encode a request to the {} at {}: {e}",
                self.peer, self.addr
            ))
        })
    }

    pub fn json<T: DeserializeOwned>(
        &self,
        request: &str,
        answer: &Answer,
    ) -> Result<T, ClientError> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            ClientError::Protocol(format!(
                "the {} at {} answered `{request}` with JSON that does not fit: {e}",
                self.peer, self.addr
            ))
        })
    }

    /// One request on its own connection; a non-2xx answer is [`ClientError::Status`].
    pub async fn call(
        &self,
        method: &str,
        path: String,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, ClientError> {
        let request = format!("{method} {path}");
        let deadline = Instant::now() + CALL_TIMEOUT;
        let mut stream =
            match tokio::time::timeout_at(deadline, TcpStream::connect(self.addr)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(source)) => {
                    return Err(ClientError::Unreachable {
                        peer: self.peer,
                        addr: self.addr,
                        source,
                    })
                }
                Err(_) => {
                    return Err(ClientError::Unreachable {
                        peer: self.peer,
                        addr: self.addr,
                        source: std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("no connection within {}s", CALL_TIMEOUT.as_secs()),
                        ),
                    })
                }
            };
        let exchange = async {
            let body = body.unwrap_or_default();
            let mut head = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\nContent-Length: {}\r\n",
                self.addr,
                self.token,
                body.len()
            );
            if !body.is_empty() {
                head.push_str("Content-Type: application/json\r\n");
            }
            head.push_str("\r\n");
            let mut message = head.into_bytes();
            message.extend_from_slice(&body);
            stream.write_all(&message).await?;
            let mut raw = Vec::new();
            (&mut stream)
                .take(MAX_RESPONSE)
                .read_to_end(&mut raw)
                .await?;
            Ok::<_, std::io::Error>(raw)
        };
        let raw = match tokio::time::timeout_at(deadline, exchange).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(e)) => {
                return Err(ClientError::Protocol(format!(
                    "the connection to the {} at {} broke during `{request}`: {e}",
                    self.peer, self.addr
                )))
            }
            Err(_) => return Err(ClientError::Timeout(self.peer)),
        };
        let answer = parse_response(&raw).map_err(|why| {
            ClientError::Protocol(format!(
                "the {} at {} answered `{request}` with a malformed HTTP response: {why}",
                self.peer, self.addr
            ))
        })?;
        if (200..300).contains(&answer.status) {
            Ok(answer)
        } else {
            Err(ClientError::Status {
                peer: self.peer,
                addr: self.addr,
                request,
                status: answer.status,
                body: error_text(&answer.body),
            })
        }
    }
}

/// The `error` of a JSON error body, else the body itself, shortened.
fn error_text(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        return parsed.error;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(no body)".to_string();
    }
    text.chars().take(500).collect()
}

/// Status line, headers, and the body by Content-Length, chunked transfer, or to EOF.
fn parse_response(raw: &[u8]) -> Result<Answer, String> {
    let head_end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| "headers are not UTF-8")?;
    let rest = &raw[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("status line `{status_line}`"));
    }
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .filter(|code| (100..600).contains(code))
        .ok_or_else(|| format!("status line `{status_line}`"))?;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("header line `{line}`"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("Content-Length `{value}`"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(len) = content_length {
        rest.get(..len)
            .ok_or_else(|| format!("{} body bytes of {len}", rest.len()))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Answer { status, body })
}

/// A chunked body (RFC 9112 7.1); trailers are ignored.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("a chunk without its size line")?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| "a chunk size line")?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| format!("chunk size `{size}`"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest.get(..size).ok_or("a chunk cut short")?;
        body.extend_from_slice(chunk);
        rest = rest
            .get(size..)
            .and_then(|after| after.strip_prefix(b"\r\n"))
            .ok_or("a chunk without its line end")?;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn segments_keep_names_and_encode_the_rest() {
        assert_eq!(segment("shop_1-a"), "shop_1-a");
        assert_eq!(segment("a/b c.."), "a%2Fb%20c%2E%2E");
        assert_eq!(segment("é"), "%C3%A9");
    }

    #[test]
    fn responses_are_read_by_length_chunks_or_to_the_end() {
        let fixed = parse_response(
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}",
        )
        .unwrap();
        assert_eq!((fixed.status, &fixed.body[..]), (200, &b"{}"[..]));
        let chunked = parse_response(
            b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, &chunked.body[..]), (401, &b"abcde"[..]));
        let to_end = parse_response(b"HTTP/1.0 204 No Content\r\n\r\n").unwrap();
        assert_eq!((to_end.status, to_end.body.len()), (204, 0));
    }

    #[test]
    fn malformed_responses_are_errors_not_panics() {
        for raw in [
            &b""[..],
            b"HTTP/1.1 200 OK\r\n",
            b"SSH-2.0\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc",
        ] {
            assert!(
                parse_response(raw).is_err(),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_text(br#"{"error":"wrong bearer token"}"#),
            "wrong bearer token"
        );
        assert_eq!(error_text(b"  plain  "), "plain");
        assert_eq!(error_text(b""), "(no body)");
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable_with_the_address_in_the_message() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let client = ApiClient::new("msctl resolver", addr, "t");
        let error = client
            .call("GET", "/v1/health".to_string(), None)
            .await
            .err()
            .expect("nothing answers");
        assert!(
            matches!(error, ClientError::Unreachable { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the msctl resolver at {addr} did not answer: Connection refused (os error 111)"
            )
        );
    }
}

//! A container's log read straight off the engine's socket, in large reads.
//!
//! The engine writes each log line as its own frame and its own HTTP chunk. Through
//! bollard every one of them became a hyper body frame, a pass of bollard's decoder and
//! a `Bytes`: about three microseconds of msctl's CPU per line, most of what `msctl logs`
//! spent on a million lines, on a machine whose other core the engine needs to produce
//! them. Here the response is read 64 KiB at a time and cut into lines in place: the
//! HTTP/1.1 chunks, then the engine's stream frames (an 8-byte header: the stream, three
//! zeros, the length), or plain lines for a container with a terminal (no frames).
//!
//! Only what `logs` needs of HTTP/1.1: one GET on its own connection, a chunked or
//! sized or read-to-close body. Errors from the engine (404 for a gone container...) go
//! through the same mapping as every other call.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{LogLine, LogStream};

/// What one read asks of the socket.
const READ_SIZE: usize = 64 * 1024;
/// The most of a response head (status line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The most of an error body read (the engine's is a line of JSON).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A connection to the engine: its Unix socket or its TCP address.
enum Connection {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

impl Connection {
    async fn connect(address: &str) -> std::io::Result<Connection> {
        if let Some(path) = address.strip_prefix("unix://") {
            return Ok(Connection::Unix(
                tokio::net::UnixStream::connect(path).await?,
            ));
        }
        let host = address
            .strip_prefix("tcp://")
            .or_else(|| address.strip_prefix("http://"))
            .unwrap_or(address)
            .trim_end_matches('/');
        let stream = tokio::net::TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        Ok(Connection::Tcp(stream))
    }

    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Connection::Unix(stream) => stream.write_all(bytes).await,
            Connection::Tcp(stream) => stream.write_all(bytes).await,
        }
    }

    async fn read_buf(&mut self, buffer: &mut BytesMut) -> std::io::Result<usize> {
        match self {
            Connection::Unix(stream) => stream.read_buf(buffer).await,
            Connection::Tcp(stream) => stream.read_buf(buffer).await,
        }
    }

    /// The same socket, non-blocking, out of the async runtime: for [`pacer`].
    fn into_std(self) -> std::io::Result<StdConnection> {
        Ok(match self {
            Connection::Unix(stream) => StdConnection::Unix(stream.into_std()?),
            Connection::Tcp(stream) => StdConnection::Tcp(stream.into_std()?),
        })
    }
}

/// A non-blocking socket the pacer reads.
enum StdConnection {
    Unix(std::os::unix::net::UnixStream),
    Tcp(std::net::TcpStream),
}

impl std::io::Read for StdConnection {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        match self {
            StdConnection::Unix(stream) => stream.read(buffer),
            StdConnection::Tcp(stream) => stream.read(buffer),
        }
    }
}

/// How the body of the response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Chunked,
    Length(usize),
    UntilClose,
}

/// The status and framing of a response head, once `head` holds all of it.
fn parse_head(head: &[u8]) -> Result<(u16, Framing), String> {
    let text = std::str::from_utf8(head).map_err(|_| "a response head that is not text")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("a malformed status line `{status_line}`"))?;
    let mut framing = Framing::UntilClose;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            framing = Framing::Chunked;
        } else if name.eq_ignore_ascii_case("content-length") && framing != Framing::Chunked {
            let length = value
                .parse()
                .map_err(|_| format!("a malformed content length `{value}`"))?;
            framing = Framing::Length(length);
        }
    }
    Ok((status, framing))
}

/// Takes the body bytes out of `wire` (what was read off the socket) into `body`, as far
/// as `wire` goes. `true` once the body is complete.
#[derive(Debug)]
struct Dechunker {
    framing: Framing,
    /// Bytes still to come of the current chunk (or of a sized body).
    left: usize,
    /// The CRLF after a chunk's data is still to be skipped.
    after_data: bool,
    done: bool,
}

impl Dechunker {
    fn new(framing: Framing) -> Self {
        Dechunker {
            framing,
            left: match framing {
                Framing::Length(length) => length,
                _ => 0,
            },
            after_data: false,
            done: framing == Framing::Length(0),
        }
    }

    fn feed(&mut self, wire: &mut BytesMut, body: &mut BytesMut) -> Result<(), String> {
        match self.framing {
            Framing::UntilClose => {
                body.extend_from_slice(wire);
                wire.clear();
            }
            Framing::Length(_) => {
                let take = self.left.min(wire.len());
                body.extend_from_slice(&wire[..take]);
                wire.advance(take);
                self.left -= take;
                self.done = self.left == 0;
            }
            Framing::Chunked => {
                while !self.done {
                    if self.left > 0 {
                        let take = self.left.min(wire.len());
                        if take == 0 {
                            return Ok(());
                        }
                        body.extend_from_slice(&wire[..take]);
                        wire.advance(take);
                        self.left -= take;
                        continue;
                    }
                    if self.after_data {
                        if wire.len() < 2 {
                            return Ok(());
                        }
                        if &wire[..2] != b"\r\n" {
                            return Err("a chunk not ended by CRLF".to_string());
                        }
                        wire.advance(2);
                        self.after_data = false;
                    }
                    let Some(end) = wire.windows(2).position(|pair| pair == b"\r\n") else {
                        if wire.len() > 1024 {
                            return Err("a chunk size line over 1 KiB".to_string());
                        }
                        return Ok(());
                    };
                    let line = std::str::from_utf8(&wire[..end])
                        .map_err(|_| "a chunk size that is not text".to_string())?;
                    let digits = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(digits, 16)
                        .map_err(|_| format!("a malformed chunk size `{digits}`"))?;
                    wire.advance(end + 2);
                    if size == 0 {
                        // Trailers, if any, are not read: the connection is ours alone.
                        self.done = true;
                    } else {
                        self.left = size;
                        self.after_data = true;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether the body carries the engine's stream frames (a container without a terminal)
/// or plain output (with one): decided by its first bytes, as the engine's own clients
/// do, since API 1.41 labels both `application/vnd.docker.raw-stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Unknown,
    Framed,
    Plain,
}

/// Cuts the body into lines, keeping an incomplete frame or line for the next read.
#[derive(Debug)]
struct Lines {
    format: Format,
    last_nanos: i64,
}

impl Lines {
    fn take(&mut self, body: &mut BytesMut, out: &mut Vec<LogLine>, finished: bool) {
        if self.format == Format::Unknown {
            if body.len() < 4 && !finished {
                return;
            }
            self.format = match body.get(..4) {
                Some([0..=2, 0, 0, 0]) => Format::Framed,
                _ => Format::Plain,
            };
        }
        let mut used = 0;
        match self.format {
            Format::Framed => {
                while body.len() - used >= 8 {
                    let header = &body[used..used + 8];
                    let size =
                        u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
                    if body.len() - used - 8 < size {
                        break;
                    }
                    let stream = if header[0] == 2 {
                        LogStream::Stderr
                    } else {
                        LogStream::Stdout
                    };
                    let frame = &body[used + 8..used + 8 + size];
                    self.push(stream, frame, out);
                    used += 8 + size;
                }
            }
            Format::Plain | Format::Unknown => {
                while let Some(end) = body[used..].iter().position(|&byte| byte == b'\n') {
                    let line = &body[used..used + end + 1];
                    self.push(LogStream::Stdout, line, out);
                    used += end + 1;
                }
                if finished && used < body.len() {
                    let rest = &body[used..];
                    self.push(LogStream::Stdout, rest, out);
                    used = body.len();
                }
            }
        }
        body.advance(used);
    }

    fn push(&mut self, stream: LogStream, bytes: &[u8], out: &mut Vec<LogLine>) {
        let line = super::docker::log_line_of(stream, bytes, self.last_nanos);
        self.last_nanos = line.timestamp_nanos;
        out.push(line);
    }
}

/// The decoding state of one response: bytes read off the socket in, lines out.
struct Decoder {
    wire: BytesMut,
    body: BytesMut,
    dechunker: Dechunker,
    lines: Lines,
    finished: bool,
    /// Why the body cannot be read further, for the caller to give after the lines.
    failed: Option<std::io::Error>,
}

impl Decoder {
    /// A response whose body is framed as `framing`, `wire` its first bytes.
    fn new(framing: Framing, wire: BytesMut) -> Self {
        Decoder {
            wire,
            body: BytesMut::with_capacity(READ_SIZE),
            dechunker: Dechunker::new(framing),
            lines: Lines {
                format: Format::Unknown,
                last_nanos: 0,
            },
            finished: false,
            failed: None,
        }
    }

    /// The lines complete in what was read so far; `eof` when the socket said it was
    /// closed. A malformed body, or one cut short, sets `failed` once the lines before
    /// the fault are out.
    fn decode(&mut self, eof: bool) -> Vec<LogLine> {
        let mut out = Vec::new();
        if let Err(why) = self.dechunker.feed(&mut self.wire, &mut self.body) {
            self.failed = Some(std::io::Error::other(why));
        } else if self.dechunker.done {
            self.finished = true;
        } else if eof {
            if self.dechunker.framing == Framing::UntilClose {
                self.finished = true;
            } else {
                self.failed = Some(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the engine closed the log before its end",
                ));
            }
        }
        self.lines.take(&mut self.body, &mut out, self.finished);
        out
    }
}

/// One response read on the async runtime: each read wakes on the engine's writes.
struct Reader {
    connection: Connection,
    decoder: Decoder,
}

impl Reader {
    /// The lines of the next read; `None` once the body ended and every line was given.
    async fn next_lines(&mut self) -> std::io::Result<Option<Vec<LogLine>>> {
        loop {
            let decoder = &mut self.decoder;
            if let Some(err) = decoder.failed.take() {
                decoder.finished = true;
                return Err(err);
            }
            if decoder.finished {
                return Ok(None);
            }
            let mut out = decoder.decode(false);
            if out.is_empty() && !decoder.finished && decoder.failed.is_none() {
                decoder.wire.reserve(READ_SIZE);
                let read = self.connection.read_buf(&mut decoder.wire).await?;
                out = decoder.decode(read == 0);
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
    }
}

/// What went wrong before the body: the engine unreachable, or an HTTP error status
/// (with the engine's message), for the caller to map as for any call.
pub(super) enum OpenError {
    Io(std::io::Error),
    Status { code: u16, message: String },
}

/// Sends `GET {path}` (path and query, API version included) to the engine at `address`
/// and returns its log lines as they are read, in batches. The head must come within
/// `head_timeout`; the body may take as long as it takes. A log that ends (`follow`
/// false) is read by the [`pacer`]; a followed one on the runtime, as lines come.
pub(super) async fn open(
    address: &str,
    path: &str,
    follow: bool,
    head_timeout: Duration,
) -> Result<BoxStream<'static, std::io::Result<Vec<LogLine>>>, OpenError> {
    let opened = tokio::time::timeout(head_timeout, open_head(address, path)).await;
    let reader = match opened {
        Err(_) => {
            return Err(OpenError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {}s", head_timeout.as_secs()),
            )))
        }
        Ok(result) => result?,
    };
    if !follow {
        let Reader {
            connection,
            decoder,
        } = reader;
        let connection = connection.into_std().map_err(OpenError::Io)?;
        return pacer::read(connection, decoder).map_err(OpenError::Io);
    }
    let batches = stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        match reader.next_lines().await {
            Ok(Some(lines)) => Some((Ok(lines), Some(reader))),
            Ok(None) => None,
            Err(err) => Some((Err(err), None)),
        }
    });
    Ok(batches.boxed())
}

async fn open_head(address: &str, path: &str) -> Result<Reader, OpenError> {
    let mut connection = Connection::connect(address).await.map_err(OpenError::Io)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: msctl\r\nAccept: application/vnd.docker.raw-stream\r\nConnection: close\r\n\r\n"
    );
    connection
        .write_all(request.as_bytes())
        .await
        .map_err(OpenError::Io)?;
    let mut wire = BytesMut::with_capacity(READ_SIZE);
    let head_end = loop {
        if let Some(end) = wire.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        if wire.len() > MAX_HEAD {
            return Err(OpenError::Io(std::io::Error::other(
                "a response head over 64 KiB",
            )));
        }
        wire.reserve(READ_SIZE);
        if connection
            .read_buf(&mut wire)
            .await
            .map_err(OpenError::Io)?
            == 0
        {
            return Err(OpenError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the engine closed the connection before answering",
            )));
        }
    };
    let (status, framing) =
        parse_head(&wire[..head_end]).map_err(|why| OpenError::Io(std::io::Error::other(why)))?;
    wire.advance(head_end + 4);
    let mut reader = Reader {
        connection,
        decoder: Decoder::new(framing, wire),
    };
    if status != 200 {
        let message = reader.error_body().await;
        return Err(OpenError::Status {
            code: status,
            message,
        });
    }
    Ok(reader)
}

impl Reader {
    /// The engine's message from an error body (`{"message": "..."}`), or its text.
    async fn error_body(&mut self) -> String {
        let decoder = &mut self.decoder;
        loop {
            if decoder
                .dechunker
                .feed(&mut decoder.wire, &mut decoder.body)
                .is_err()
            {
                break;
            }
            if decoder.dechunker.done || decoder.body.len() > MAX_ERROR_BODY {
                break;
            }
            decoder.wire.reserve(4096);
            match self.connection.read_buf(&mut decoder.wire).await {
                Ok(0) | Err(_) => {
                    let _ = decoder.dechunker.feed(&mut decoder.wire, &mut decoder.body);
                    break;
                }
                Ok(_) => {}
            }
        }
        let text = String::from_utf8_lossy(&decoder.body).trim().to_string();
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|value| value.get("message")?.as_str().map(str::to_string))
            .unwrap_or(text)
    }
}

/// One thread that reads every log of the process that ends (not followed), in turns,
/// about once a millisecond, its sockets registered with no poller.
///
/// The engine writes each line of a log with its own write. A reader woken by each
/// (epoll or a blocking read) costs the engine a wake-up per line and itself a context
/// switch per read: a fifth of the engine's time when ten logs are read at once, on a
/// machine where the engine is what limits. A socket nobody waits on takes the write
/// with no wake-up; read once a millisecond it holds a few dozen lines (measured with 10
/// logs of 100,000 lines: 2.7 s -> 2.1 s, the reader's system time 1.5 s -> 0.65 s).
mod pacer {
    use std::collections::VecDeque;
    use std::io::Read;
    use std::sync::mpsc as std_mpsc;
    use std::sync::OnceLock;
    use std::time::Duration;

    use futures_util::stream::{self, BoxStream, StreamExt};
    use tokio::sync::mpsc;

    use super::{Decoder, LogLine, StdConnection, READ_SIZE};

    /// Time between two rounds. The engine's side of the socket holds about 4 ms of one
    /// log at full speed (a round every 8 ms made the engine wait): 1 ms leaves room for
    /// a round that comes late on a busy machine.
    const ROUND: Duration = Duration::from_millis(1);
    /// The most read from one log in one round, so that none keeps the others waiting.
    const ROUND_BYTES: usize = 1 << 20;
    /// Batches read ahead of the one who reads a log (then its socket waits).
    const AHEAD: usize = 64;

    type Item = std::io::Result<Vec<LogLine>>;

    struct Job {
        connection: StdConnection,
        decoder: Decoder,
        sender: mpsc::Sender<Item>,
        /// What the reader had no room for yet: nothing more is read until it went.
        pending: VecDeque<Item>,
        done: bool,
    }

    static JOBS: OnceLock<std_mpsc::Sender<Job>> = OnceLock::new();

    /// Hands `connection` (its head read, non-blocking) to the pacer thread, started on
    /// first use; its lines come out of the stream in batches.
    pub(super) fn read(
        connection: StdConnection,
        decoder: Decoder,
    ) -> std::io::Result<BoxStream<'static, Item>> {
        let jobs = JOBS.get_or_init(|| {
            let (jobs, receiver) = std_mpsc::channel();
            // A thread that cannot start drops `receiver`: the send below says so.
            let _ = std::thread::Builder::new()
                .name("msctl-logs".to_string())
                .spawn(move || run(receiver));
            jobs
        });
        let (sender, receiver) = mpsc::channel(AHEAD);
        let job = Job {
            connection,
            decoder,
            sender,
            pending: VecDeque::new(),
            done: false,
        };
        jobs.send(job)
            .map_err(|_| std::io::Error::other("msctl's log reading thread did not start"))?;
        let batches = stream::unfold(receiver, |mut receiver| async move {
            let item = receiver.recv().await?;
            Some((item, receiver))
        });
        Ok(batches.boxed())
    }

    fn run(jobs: std_mpsc::Receiver<Job>) {
        let mut active: Vec<Job> = Vec::new();
        let mut scratch = vec![0u8; READ_SIZE];
        loop {
            if active.is_empty() {
                match jobs.recv() {
                    Ok(job) => active.push(job),
                    Err(_) => return,
                }
            }
            while let Ok(job) = jobs.try_recv() {
                active.push(job);
            }
            for job in &mut active {
                job.round(&mut scratch);
            }
            // A finished job drops its sender (the stream ends) and its socket.
            active.retain(|job| !job.done);
            if !active.is_empty() {
                std::thread::sleep(ROUND);
            }
        }
    }

    impl Job {
        fn round(&mut self, scratch: &mut [u8]) {
            if self.sender.is_closed() {
                self.done = true;
                return;
            }
            if !self.flush() {
                return;
            }
            if self.decoder.finished {
                self.done = true;
                return;
            }
            let (mut read, mut eof, mut failed) = (0, false, None);
            while read < ROUND_BYTES {
                match self.connection.read(scratch) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        self.decoder.wire.extend_from_slice(&scratch[..n]);
                        read += n;
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => {
                        failed = Some(err);
                        break;
                    }
                }
            }
            let lines = self.decoder.decode(eof);
            if !lines.is_empty() {
                self.pending.push_back(Ok(lines));
            }
            if let Some(err) = failed.or_else(|| self.decoder.failed.take()) {
                // The lines before the fault go first; the error is the last item.
                self.decoder.finished = true;
                self.pending.push_back(Err(err));
            }
            if self.flush() && self.decoder.finished {
                self.done = true;
            }
        }

        /// Gives the reader what is pending, in order; `true` when all of it went.
        fn flush(&mut self) -> bool {
            while let Some(item) = self.pending.pop_front() {
                match self.sender.try_send(item) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(item)) => {
                        self.pending.push_front(item);
                        return false;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        self.done = true;
                        return false;
                    }
                }
            }
            true
        }
    }
}

/// What [`encode`] leaves as it is: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `%XX` for every byte of `text` a URL path or query value cannot hold as it is.
pub(super) fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(stream: u8, text: &str) -> Vec<u8> {
        let mut out = vec![stream, 0, 0, 0];
        out.extend_from_slice(&(text.len() as u32).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
        out
    }

    fn chunked(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for part in parts {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    }

    /// Runs the dechunker and the line cutter over `wire` given `step` bytes at a time.
    fn lines_of(framing: Framing, wire: &[u8], step: usize) -> Vec<(LogStream, i64, String)> {
        let mut dechunker = Dechunker::new(framing);
        let mut lines = Lines {
            format: Format::Unknown,
            last_nanos: 0,
        };
        let (mut buffer, mut body, mut out) = (BytesMut::new(), BytesMut::new(), Vec::new());
        let pieces: Vec<&[u8]> = wire.chunks(step.max(1)).collect();
        for (index, piece) in pieces.iter().enumerate() {
            buffer.extend_from_slice(piece);
            dechunker
                .feed(&mut buffer, &mut body)
                .expect("well-formed chunks");
            let last = index + 1 == pieces.len();
            let finished = dechunker.done || (last && framing == Framing::UntilClose);
            lines.take(&mut body, &mut out, finished);
        }
        out.into_iter()
            .map(|line| (line.stream, line.timestamp_nanos, line.message))
            .collect()
    }

    #[test]
    fn framed_lines_split_anywhere_across_chunks_and_reads_come_out_whole() {
        let mut body = frame(1, "2024-05-01T00:00:01.000000001Z line 1\n");
        body.extend(frame(2, "2024-05-01T00:00:02Z oops\n"));
        body.extend(frame(1, "2024-05-01T00:00:03Z line 3\n"));
        // The engine's chunks need not match its frames: cut the body in three odd places.
        let wire = chunked(&[&body[..5], &body[5..47], &body[47..]]);
        let expected = vec![
            (
                LogStream::Stdout,
                1_714_521_601_000_000_001,
                "line 1".to_string(),
            ),
            (
                LogStream::Stderr,
                1_714_521_602_000_000_000,
                "oops".to_string(),
            ),
            (
                LogStream::Stdout,
                1_714_521_603_000_000_000,
                "line 3".to_string(),
            ),
        ];
        for step in [1, 2, 3, 7, 64, wire.len()] {
            assert_eq!(
                lines_of(Framing::Chunked, &wire, step),
                expected,
                "step {step}"
            );
        }
    }

    #[test]
    fn a_terminal_containers_plain_output_is_cut_at_newlines_and_the_tail_kept() {
        let body =
            b"2024-05-01T00:00:01Z one\r\n2024-05-01T00:00:02Z two\n2024-05-01T00:00:03Z three";
        let got = lines_of(Framing::Length(body.len()), body, 5);
        let messages: Vec<&str> = got.iter().map(|(_, _, m)| m.as_str()).collect();
        assert_eq!(messages, ["one", "two", "three"]);
        let got = lines_of(Framing::UntilClose, body, 4);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn heads_give_the_status_and_how_the_body_ends() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked";
        assert_eq!(parse_head(head), Ok((200, Framing::Chunked)));
        let head = b"HTTP/1.1 404 Not Found\r\nContent-Length: 43";
        assert_eq!(parse_head(head), Ok((404, Framing::Length(43))));
        assert_eq!(
            parse_head(b"HTTP/1.0 200 OK"),
            Ok((200, Framing::UntilClose))
        );
        assert!(parse_head(b"garbage").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x").is_err());
    }

    #[test]
    fn a_malformed_chunk_is_an_error_not_a_hang() {
        let mut dechunker = Dechunker::new(Framing::Chunked);
        let (mut wire, mut body) = (BytesMut::from(&b"zz\r\nabc"[..]), BytesMut::new());
        assert!(dechunker.feed(&mut wire, &mut body).is_err());
        let mut dechunker = Dechunker::new(Framing::Chunked);
        let mut wire = BytesMut::from(&b"3\r\nabcXY"[..]);
        assert!(dechunker.feed(&mut wire, &mut body).is_err());
    }

    #[tokio::test]
    async fn the_pacer_reads_a_log_written_line_by_line_to_its_end_in_order() {
        let (engine_side, ours) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        ours.set_nonblocking(true).expect("non-blocking");
        // The engine's way: one frame per line, each its own chunk and its own write.
        let writer = std::thread::spawn(move || {
            use std::io::Write as _;
            let mut engine_side = engine_side;
            for n in 0..20_000u32 {
                let text = format!("2024-05-01T00:00:00.{n:09}Z line {n}\n");
                let stream = if n % 7 == 0 { 2 } else { 1 };
                let wire = chunked(&[&frame(stream, &text)]);
                // Every chunk but the body's end: `chunked` closes each with `0\r\n\r\n`.
                engine_side
                    .write_all(&wire[..wire.len() - 5])
                    .expect("write");
            }
            engine_side.write_all(b"0\r\n\r\n").expect("write the end");
        });
        let decoder = Decoder::new(Framing::Chunked, BytesMut::new());
        let mut batches =
            pacer::read(StdConnection::Unix(ours), decoder).expect("the pacer takes it");
        let mut lines = Vec::new();
        while let Some(batch) = batches.next().await {
            lines.extend(batch.expect("no error"));
        }
        writer.join().expect("the writer");
        assert_eq!(lines.len(), 20_000);
        for (n, line) in lines.iter().enumerate() {
            assert_eq!(line.message, format!("line {n}"));
            assert_eq!(line.timestamp_nanos, 1_714_521_600_000_000_000 + n as i64);
            let stream = if n % 7 == 0 {
                LogStream::Stderr
            } else {
                LogStream::Stdout
            };
            assert_eq!(line.stream, stream, "line {n}");
        }
    }

    #[tokio::test]
    async fn a_log_cut_short_ends_with_an_error_not_silently() {
        let (engine_side, ours) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        ours.set_nonblocking(true).expect("non-blocking");
        {
            use std::io::Write as _;
            let mut engine_side = engine_side;
            let wire = chunked(&[&frame(1, "2024-05-01T00:00:01Z one\n")]);
            engine_side
                .write_all(&wire[..wire.len() - 5])
                .expect("write");
        }
        let decoder = Decoder::new(Framing::Chunked, BytesMut::new());
        let items: Vec<_> = pacer::read(StdConnection::Unix(ours), decoder)
            .expect("the pacer takes it")
            .collect()
            .await;
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0].as_ref().expect("the line")[0].message, "one");
        let err = items[1].as_ref().expect_err("then the error");
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode("abc-1_2.3"), "abc-1_2.3");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}

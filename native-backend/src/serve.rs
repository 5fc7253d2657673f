//! `lvslab serve`: a small static file server for the browser lab (dist/), on 127.0.0.1 only.
//!
//! GET and HEAD, one request per connection (`Connection: close`), the MIME types the
//! browser needs, no directory listings (a directory serves its `index.html`) and nothing
//! outside the root: a `..` target is refused (403), and a path that is, or passes
//! through, a symlink leading out of the root is not followed (404; the real path must lie
//! under the canonical root, so symlinks that stay inside are followed).
//!
//! It is built to survive abuse from other local processes, using only std:
//!
//! - A fixed pool of [`Limits::workers`] threads (8) serves a bounded set of at most
//!   [`Limits::queue`] open connections (512). The accept loop only admits connections
//!   into that set; when it is full it answers `503 Service Unavailable` with
//!   `Retry-After: 1` at once, without waiting for the request, and closes. Nothing grows
//!   per connection beyond that bound (at most a 33 KiB head buffer or a 16 KiB send
//!   buffer each).
//! - Sockets are non-blocking and the workers take turns on whichever connection is due
//!   (a timer heap; a silent peer is polled at a backoff from 1 ms to 20 ms), so clients
//!   that send nothing, trickle bytes or read slowly hold a slot, never a worker, and a
//!   normal request is answered while hundreds of them wait.
//! - The whole request head must arrive within [`Limits::head_timeout`] (2 s) of the
//!   accept, however it is trickled, else `408 Request Timeout`; the response must be
//!   taken within [`Limits::send_timeout`] (30 s), else the connection is dropped.
//! - A request line over 8 KiB gets `414 URI Too Long`; header lines over 16 KiB in total,
//!   or more than 100 of them, `431 Request Header Fields Too Large`; a malformed request
//!   line `400`, an HTTP version other than 1.0 and 1.1 `505`, any method but GET and HEAD
//!   `405` with `Allow: GET, HEAD`.
//! - After answering, the server half-closes and, when the client may still be sending,
//!   discards what arrives for up to 1 s before closing, so the client reads the answer
//!   rather than a reset.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The longest request line accepted (without its CRLF); longer gets 414.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// The most header bytes accepted (every header line with its CRLF); more gets 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The most header lines accepted; more gets 431.
pub const MAX_HEADER_LINES: usize = 100;

/// How long a connection is drained after its answer when the client may still be sending.
const LINGER: Duration = Duration::from_secs(1);
/// The shortest and longest wait before polling a connection that made no progress again.
const POLL_MIN: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(20);
/// File bytes read and sent at a time.
const CHUNK: usize = 16 * 1024;
/// The most bytes one poll discards while lingering (then the next connection's turn).
const LINGER_BURST: usize = 64 * 1024;

/// The server's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Worker threads.
    pub workers: usize,
    /// Open connections at most (waiting for their head, being answered or lingering);
    /// one more is answered 503 by the accept loop.
    pub queue: usize,
    /// The whole request head must arrive within this time of the accept (else 408).
    pub head_timeout: Duration,
    /// The whole response must be taken within this time (else the connection is dropped).
    pub send_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            workers: 8,
            queue: 512,
            head_timeout: Duration::from_secs(2),
            send_timeout: Duration::from_secs(30),
        }
    }
}

/// The MIME type for a file name (the browser needs `application/wasm` for streaming
/// compilation).
pub fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "toml" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Maps a request target to a file under `root`, lexically (the directory's `index.html`
/// for a directory); None for anything that would leave it. [`confine`] then checks where
/// the path really leads.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

/// The real location of `path` (every symlink on the way followed) when it is a regular
/// file under `root`, which must be canonical; None otherwise, so a symlink out of the root
/// is not followed.
pub fn confine(root: &Path, path: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(path).ok()?;
    (real.starts_with(root) && std::fs::metadata(&real).ok()?.is_file()).then_some(real)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut v = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            v.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            v.push(b[i]);
            i += 1;
        }
    }
    let s = String::from_utf8(v).ok()?;
    (!s.contains('\0')).then_some(s)
}

const BAD_REQUEST: &str = "400 Bad Request";
const FORBIDDEN: &str = "403 Forbidden";
const NOT_FOUND: &str = "404 Not Found";
const METHOD_NOT_ALLOWED: &str = "405 Method Not Allowed";
const REQUEST_TIMEOUT: &str = "408 Request Timeout";
const URI_TOO_LONG: &str = "414 URI Too Long";
const FIELDS_TOO_LARGE: &str = "431 Request Header Fields Too Large";
const UNAVAILABLE: &str = "503 Service Unavailable";
const VERSION_NOT_SUPPORTED: &str = "505 HTTP Version Not Supported";

/// What the bytes received so far make of a request head.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// Not complete yet, and within the limits so far.
    Partial,
    /// A complete GET (or HEAD, `head`) of `target`, the head `len` bytes long.
    Request {
        head: bool,
        target: String,
        len: usize,
    },
    /// Refused with this status line.
    Refused(&'static str),
}

fn line_end(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Parses a request head from the bytes received so far, enforcing the size limits as
/// soon as they are exceeded (so a buffer never needs to hold more than about 33 KiB).
pub fn parse_head(buf: &[u8]) -> Head {
    // Empty lines before the request line are ignored (RFC 9112, 2.2), within reason.
    let mut start = 0;
    loop {
        if buf[start..].starts_with(b"\r\n") {
            start += 2;
        } else if buf[start..].starts_with(b"\n") {
            start += 1;
        } else {
            break;
        }
        if start > MAX_REQUEST_LINE {
            return Head::Refused(BAD_REQUEST);
        }
    }
    let Some(n) = line_end(&buf[start..]) else {
        return if buf.len() - start > MAX_REQUEST_LINE + 1 {
            Head::Refused(URI_TOO_LONG)
        } else {
            Head::Partial
        };
    };
    let line = trim_cr(&buf[start..start + n]);
    if line.len() > MAX_REQUEST_LINE {
        return Head::Refused(URI_TOO_LONG);
    }
    let fields = start + n + 1;
    let mut pos = fields;
    let mut lines = 0;
    let len = loop {
        let Some(n) = line_end(&buf[pos..]) else {
            return if buf.len() - fields > MAX_HEADER_BYTES {
                Head::Refused(FIELDS_TOO_LARGE)
            } else {
                Head::Partial
            };
        };
        let empty = trim_cr(&buf[pos..pos + n]).is_empty();
        pos += n + 1;
        if empty {
            break pos;
        }
        lines += 1;
        if lines > MAX_HEADER_LINES || pos - fields > MAX_HEADER_BYTES {
            return Head::Refused(FIELDS_TOO_LARGE);
        }
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return Head::Refused(BAD_REQUEST);
    };
    let mut words = line.split_ascii_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Head::Refused(BAD_REQUEST);
    };
    if !version.starts_with("HTTP/") {
        return Head::Refused(BAD_REQUEST);
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Head::Refused(VERSION_NOT_SUPPORTED);
    }
    if method != "GET" && method != "HEAD" {
        return Head::Refused(METHOD_NOT_ALLOWED);
    }
    if !target.starts_with('/') {
        return Head::Refused(BAD_REQUEST);
    }
    Head::Request {
        head: method == "HEAD",
        target: target.to_string(),
        len,
    }
}

/// A response: the bytes to send first, then `left` bytes of `file`.
struct Reply {
    out: Vec<u8>,
    file: Option<File>,
    left: u64,
}

fn response_head(status: &str, ctype: &str, len: u64, extra: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\n{extra}Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// An error response whose body is the reason phrase (none for HEAD).
fn refusal(status: &str, head: bool) -> Vec<u8> {
    let body = format!("{}\n", status.get(4..).unwrap_or(status).to_lowercase());
    let extra = match status {
        METHOD_NOT_ALLOWED => "Allow: GET, HEAD\r\n",
        UNAVAILABLE => "Retry-After: 1\r\n",
        _ => "",
    };
    let mut out = response_head(status, "text/plain", body.len() as u64, extra);
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// The response to a GET or HEAD of `target` under the canonical `root`.
fn reply(root: &Path, head: bool, target: &str) -> Reply {
    let no = |status| Reply {
        out: refusal(status, head),
        file: None,
        left: 0,
    };
    let Some(path) = resolve(root, target) else {
        return no(FORBIDDEN);
    };
    let Some(real) = confine(root, &path) else {
        return no(NOT_FOUND);
    };
    let Ok(file) = File::open(&real) else {
        return no(NOT_FOUND);
    };
    let len = match file.metadata() {
        Ok(m) if m.is_file() => m.len(),
        _ => return no(NOT_FOUND),
    };
    Reply {
        out: response_head("200 OK", mime_type(&path), len, ""),
        left: if head { 0 } else { len },
        file: (!head).then_some(file),
    }
}

/// Where a connection is.
enum State {
    /// Reading the request head into the buffer.
    Head(Vec<u8>),
    /// Sending `out[off..]`, then `left` more bytes of `file`; `clean` when the client has
    /// sent nothing beyond what was read.
    Send {
        out: Vec<u8>,
        off: usize,
        file: Option<File>,
        left: u64,
        clean: bool,
    },
    /// Answered and half-closed; discarding what the client still sends until it closes.
    Linger { clean: bool },
}

/// An open connection in the pool.
struct Conn {
    stream: TcpStream,
    state: State,
    /// The end of the current phase (head, send, linger).
    deadline: Instant,
    /// When to poll it next, and the order among connections due at the same time.
    due: Instant,
    seq: u64,
    backoff: Duration,
}

/// The outcome of one poll of a connection.
enum Poll {
    /// Waiting for the peer; `progressed` when bytes moved this time.
    Pending { progressed: bool },
    /// Finished (answered, gave up or failed): close it.
    Closed,
}

fn would_block(e: &std::io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

impl Conn {
    /// Moves the connection as far as the socket allows without blocking.
    fn poll(&mut self, root: &Path, limits: &Limits) -> Poll {
        let now = Instant::now();
        let mut progressed = false;
        loop {
            match &mut self.state {
                State::Head(buf) => {
                    let mut chunk = [0u8; 4096];
                    let verdict = loop {
                        match parse_head(buf) {
                            Head::Partial => {}
                            done => break done,
                        }
                        match self.stream.read(&mut chunk) {
                            Ok(0) => return Poll::Closed,
                            Ok(n) => {
                                buf.extend_from_slice(&chunk[..n]);
                                progressed = true;
                            }
                            Err(e) if would_block(&e) => {
                                if now < self.deadline {
                                    return Poll::Pending { progressed };
                                }
                                break Head::Refused(REQUEST_TIMEOUT);
                            }
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(_) => return Poll::Closed,
                        }
                    };
                    let (reply, clean) = match verdict {
                        Head::Request { head, target, len } => {
                            (reply(root, head, &target), len == buf.len())
                        }
                        Head::Refused(status) => (
                            Reply {
                                out: refusal(status, false),
                                file: None,
                                left: 0,
                            },
                            buf.is_empty(),
                        ),
                        Head::Partial => return Poll::Closed,
                    };
                    self.state = State::Send {
                        out: reply.out,
                        off: 0,
                        file: reply.file,
                        left: reply.left,
                        clean,
                    };
                    self.deadline = now + limits.send_timeout;
                }
                State::Send {
                    out,
                    off,
                    file,
                    left,
                    clean,
                } => {
                    if now >= self.deadline {
                        return Poll::Closed;
                    }
                    if *off == out.len() {
                        match file {
                            Some(f) if *left > 0 => {
                                let want = (*left).min(CHUNK as u64) as usize;
                                out.resize(want, 0);
                                match f.read(&mut out[..want]) {
                                    Ok(n) if n > 0 => {
                                        out.truncate(n);
                                        *off = 0;
                                        *left -= n as u64;
                                    }
                                    // The file shrank or failed under us: the client sees a
                                    // short body.
                                    _ => return Poll::Closed,
                                }
                            }
                            _ => {
                                let _ = self.stream.shutdown(Shutdown::Write);
                                self.state = State::Linger { clean: *clean };
                                self.deadline = now + LINGER;
                                continue;
                            }
                        }
                    }
                    match self.stream.write(&out[*off..]) {
                        Ok(0) => return Poll::Closed,
                        Ok(n) => {
                            *off += n;
                            progressed = true;
                        }
                        Err(e) if would_block(&e) => return Poll::Pending { progressed },
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(_) => return Poll::Closed,
                    }
                }
                State::Linger { clean } => {
                    let mut chunk = [0u8; 4096];
                    let mut drained = 0;
                    loop {
                        if now >= self.deadline {
                            return Poll::Closed;
                        }
                        match self.stream.read(&mut chunk) {
                            Ok(0) => return Poll::Closed,
                            Ok(n) => {
                                *clean = false;
                                drained += n;
                                if drained >= LINGER_BURST {
                                    return Poll::Pending { progressed: true };
                                }
                            }
                            Err(e) if would_block(&e) => {
                                return if *clean {
                                    Poll::Closed
                                } else {
                                    Poll::Pending {
                                        progressed: drained > 0,
                                    }
                                };
                            }
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(_) => return Poll::Closed,
                        }
                    }
                }
            }
        }
    }
}

/// Orders the timer heap: the connection due first on top.
struct Queued(Conn);

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.0.due, other.0.seq).cmp(&(self.0.due, self.0.seq))
    }
}

/// The open connections: those waiting for their turn, and how many are open in all
/// (including those a worker holds).
struct Pool {
    waiting: BinaryHeap<Queued>,
    open: usize,
    next_seq: u64,
}

struct Shared {
    pool: Mutex<Pool>,
    turn: Condvar,
    capacity: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a new connection, or gives it back when the pool is full.
    fn admit(&self, stream: TcpStream, limits: &Limits) -> Result<(), TcpStream> {
        let mut pool = self.lock();
        if pool.open >= self.capacity {
            return Err(stream);
        }
        let now = Instant::now();
        let seq = pool.next_seq;
        pool.next_seq += 1;
        pool.open += 1;
        pool.waiting.push(Queued(Conn {
            stream,
            state: State::Head(Vec::new()),
            deadline: now + limits.head_timeout,
            due: now,
            seq,
            backoff: POLL_MIN,
        }));
        let first = pool.waiting.peek().map(|q| q.0.seq) == Some(seq);
        drop(pool);
        if first {
            self.turn.notify_one();
        }
        Ok(())
    }

    /// The connection due first, once it is due.
    fn take(&self) -> Conn {
        let mut pool = self.lock();
        loop {
            let now = Instant::now();
            let due = pool.waiting.peek().map(|q| q.0.due);
            pool = match due {
                Some(due) if due <= now => {
                    if let Some(q) = pool.waiting.pop() {
                        // Someone else watches the next one.
                        if !pool.waiting.is_empty() {
                            self.turn.notify_one();
                        }
                        return q.0;
                    }
                    pool
                }
                Some(due) => match self.turn.wait_timeout(pool, due - now) {
                    Ok((p, _)) => p,
                    Err(e) => e.into_inner().0,
                },
                None => self.turn.wait(pool).unwrap_or_else(PoisonError::into_inner),
            };
        }
    }

    /// Requeues a connection; wakes a worker only when it is now the first due (the
    /// waiting workers' timers already cover any later one).
    fn put_back(&self, conn: Conn) {
        let seq = conn.seq;
        let mut pool = self.lock();
        pool.waiting.push(Queued(conn));
        let first = pool.waiting.peek().map(|q| q.0.seq) == Some(seq);
        drop(pool);
        if first {
            self.turn.notify_one();
        }
    }

    fn closed(&self) {
        let mut pool = self.lock();
        pool.open = pool.open.saturating_sub(1);
    }
}

fn worker(shared: &Shared, root: &Path, limits: Limits) {
    loop {
        let mut conn = shared.take();
        match conn.poll(root, &limits) {
            Poll::Closed => {
                drop(conn);
                shared.closed();
            }
            Poll::Pending { progressed } => {
                conn.backoff = if progressed {
                    POLL_MIN
                } else {
                    (conn.backoff * 2).min(POLL_MAX)
                };
                conn.due = (Instant::now() + conn.backoff).min(conn.deadline);
                shared.put_back(conn);
            }
        }
    }
}

/// The accept loop's answer when the pool is full: 503 at once, without waiting for the
/// request (only what has already arrived is read, so that closing does not reset it).
fn reject(mut stream: TcpStream) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    for _ in 0..8 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
    let _ = stream.write(&refusal(UNAVAILABLE, false));
    let _ = stream.shutdown(Shutdown::Write);
}

/// Binds 127.0.0.1:`port` (0 = any free port).
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// Serves `root` on `listener` with the default [`Limits`] until the process ends.
pub fn serve(root: &Path, listener: TcpListener) -> std::io::Result<()> {
    serve_with(root, listener, Limits::default())
}

/// Serves `root` on `listener` within `limits` until the process ends: starts the workers,
/// then accepts in this thread.
pub fn serve_with(root: &Path, listener: TcpListener, limits: Limits) -> std::io::Result<()> {
    let root: Arc<Path> = std::fs::canonicalize(root)?.into();
    listener.set_nonblocking(false)?;
    let shared = Arc::new(Shared {
        pool: Mutex::new(Pool {
            waiting: BinaryHeap::new(),
            open: 0,
            next_seq: 0,
        }),
        turn: Condvar::new(),
        capacity: limits.queue.max(1),
    });
    for i in 0..limits.workers.max(1) {
        let (shared, root) = (Arc::clone(&shared), Arc::clone(&root));
        std::thread::Builder::new()
            .name(format!("lvslab-serve-{i}"))
            .spawn(move || worker(&shared, &root, limits))?;
    }
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                if stream.set_nonblocking(true).is_err() {
                    continue;
                }
                let _ = stream.set_nodelay(true);
                if let Err(stream) = shared.admit(stream, &limits) {
                    reject(stream);
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted | ErrorKind::ConnectionAborted
                ) => {}
            // Out of descriptors or the like: give the workers time to close some rather
            // than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// `lvslab serve`: checks the directory, binds, prints the address and serves.
pub fn run(dir: &str, port: u16) -> anyhow::Result<i32> {
    let root = PathBuf::from(dir);
    if !root.join("index.html").is_file() {
        eprintln!(
            "lvslab serve: {} has no index.html; build the browser lab first with `cargo xtask dist`",
            root.display()
        );
        return Ok(1);
    }
    let l = bind(port).map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = l.local_addr()?;
    println!("LVS Lab: http://{addr}/  (serving {})", root.display());
    let _ = std::io::stdout().flush();
    serve(&root, l)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_stays_inside_the_root() {
        let root = Path::new("/srv/dist");
        assert_eq!(resolve(root, "/app.js?x=1"), Some(root.join("app.js")));
        assert_eq!(resolve(root, "/a%20b.js"), Some(root.join("a b.js")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(root, "/x%00"), None);
        assert_eq!(resolve(root, "/%zz"), None);
    }

    #[test]
    fn wasm_mime() {
        assert_eq!(mime_type(Path::new("x_bg.wasm")), "application/wasm");
        assert!(mime_type(Path::new("index.html")).starts_with("text/html"));
    }

    fn refused(buf: &[u8]) -> &'static str {
        match parse_head(buf) {
            Head::Refused(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn heads_within_and_beyond_the_limits() {
        let ok = b"GET /a.js HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(
            parse_head(ok),
            Head::Request {
                head: false,
                target: "/a.js".into(),
                len: ok.len()
            }
        );
        for i in 0..ok.len() {
            assert_eq!(parse_head(&ok[..i]), Head::Partial, "{i}");
        }
        assert!(matches!(
            parse_head(b"\r\nHEAD / HTTP/1.0\n\n"),
            Head::Request { head: true, .. }
        ));
        assert_eq!(refused(b"POST / HTTP/1.1\r\n\r\n"), METHOD_NOT_ALLOWED);
        assert_eq!(refused(b"GET / HTTP/2.0\r\n\r\n"), VERSION_NOT_SUPPORTED);
        assert_eq!(refused(b"GET /\r\n\r\n"), BAD_REQUEST);
        assert_eq!(refused(b"GET http://x/ HTTP/1.1\r\n\r\n"), BAD_REQUEST);
        assert_eq!(refused(b"GET \xff HTTP/1.1\r\n\r\n"), BAD_REQUEST);

        // The request line: 8 KiB is fine, one byte more is not, complete or not.
        let line = |n: usize| format!("GET /{} HTTP/1.1", "a".repeat(n - 14));
        let max = line(MAX_REQUEST_LINE);
        assert_eq!(max.len(), MAX_REQUEST_LINE);
        assert!(matches!(
            parse_head(format!("{max}\r\n\r\n").as_bytes()),
            Head::Request { .. }
        ));
        let over = line(MAX_REQUEST_LINE + 1);
        assert_eq!(refused(format!("{over}\r\n").as_bytes()), URI_TOO_LONG);
        assert_eq!(refused(&[b'G'; MAX_REQUEST_LINE + 2]), URI_TOO_LONG);
        assert_eq!(parse_head(&[b'G'; MAX_REQUEST_LINE]), Head::Partial);

        // Header lines: 100 are fine, 101 are not; nor more than 16 KiB of them.
        let with = |lines: usize, each: usize| {
            let mut s = String::from("GET / HTTP/1.1\r\n");
            for i in 0..lines {
                let h = format!("X-{i:03}: ");
                s += &format!("{h}{}\r\n", "v".repeat(each - h.len() - 2));
            }
            s
        };
        assert!(matches!(
            parse_head(format!("{}\r\n", with(100, 20)).as_bytes()),
            Head::Request { .. }
        ));
        assert_eq!(refused(with(101, 20).as_bytes()), FIELDS_TOO_LARGE);
        assert!(matches!(
            parse_head(format!("{}\r\n", with(4, MAX_HEADER_BYTES / 4)).as_bytes()),
            Head::Request { .. }
        ));
        assert_eq!(
            refused(with(4, MAX_HEADER_BYTES / 4 + 1).as_bytes()),
            FIELDS_TOO_LARGE
        );
        let mut long = with(1, 100).into_bytes();
        long.extend(std::iter::repeat_n(b'v', MAX_HEADER_BYTES));
        assert_eq!(refused(&long), FIELDS_TOO_LARGE);
    }

    #[cfg(unix)]
    #[test]
    fn confine_does_not_follow_symlinks_out() {
        let base = std::env::temp_dir().join(format!("lvslab-confine-{}", std::process::id()));
        let (root, outside) = (base.join("root"), base.join("outside"));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("sub/in.txt"), "in").unwrap();
        std::fs::write(outside.join("secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), root.join("out.txt")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("outdir")).unwrap();
        std::os::unix::fs::symlink("sub/in.txt", root.join("alias.txt")).unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        let at = |t: &str| confine(&root, &resolve(&root, t).unwrap());
        assert_eq!(at("/sub/in.txt"), Some(root.join("sub/in.txt")));
        assert_eq!(at("/alias.txt"), Some(root.join("sub/in.txt")));
        assert_eq!(at("/out.txt"), None);
        assert_eq!(at("/outdir/secret.txt"), None);
        assert_eq!(at("/sub"), None);
        assert_eq!(at("/missing"), None);
        let _ = std::fs::remove_dir_all(&base);
    }
}

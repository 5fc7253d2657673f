//! `lvslab serve`: the static server of the browser lab, and how it stands abuse.

use lvslab::serve::Limits;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const INDEX: &str = "<!doctype html>hi";

/// A temporary folder with an index.html, removed when dropped.
struct Site(PathBuf);

impl Site {
    fn new(tag: &str) -> Site {
        let dir = std::env::temp_dir().join(format!("lvslab-serve-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), INDEX).unwrap();
        Site(dir)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serves `root` within `limits` from a thread of this process; returns the port.
fn start(root: &Path, limits: Limits) -> u16 {
    let l = lvslab::serve::bind(0).unwrap();
    let addr = l.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let root = root.to_path_buf();
    std::thread::spawn(move || lvslab::serve::serve_with(&root, l, limits));
    addr.port()
}

/// `lvslab serve --port 0` in a child process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_binary(dir: &Path) -> (Server, u16) {
    let mut child = Command::new(crate::support::lvslab())
        .args(["serve", "--port", "0", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start lvslab serve");
    let out = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    // "LVS Lab: http://127.0.0.1:PORT/  (serving DIR)"
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (server, port)
}

fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).unwrap()
}

/// Reads until the server closes (or resets after answering); panics if it stays silent
/// for 5 s.
fn read_answer(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!(
                    "no answer within 5 s (had {:?})",
                    String::from_utf8_lossy(&buf)
                )
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return buf,
        }
    }
}

/// Sends `request` as it is; returns the whole answer.
fn exchange(port: u16, request: &[u8]) -> String {
    let mut s = connect(port);
    let _ = s.write_all(request);
    String::from_utf8_lossy(&read_answer(&mut s)).into_owned()
}

fn get(port: u16, method: &str, path: &str) -> (String, Vec<u8>) {
    let mut s = connect(port);
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let buf = read_answer(&mut s);
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(&buf)));
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    (head, buf[split + 4..].to_vec())
}

fn status(port: u16, path: &str) -> String {
    let (h, _) = get(port, "GET", path);
    h.lines().next().unwrap_or("").to_string()
}

#[test]
fn serves_dist_on_loopback_only() {
    let site = Site::new("dist");
    let dir = &site.0;
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    std::fs::write(dir.join("app_bg.wasm"), [0u8, 0x61, 0x73, 0x6d]).unwrap();
    std::fs::write(dir.join("sub/a b.js"), "x").unwrap();
    // Larger than the socket buffers: sent in chunks as the client takes them.
    let big: Vec<u8> = (0..4u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("big.bin"), &big).unwrap();
    let port = start(dir, Limits::default());

    let (h, body) = get(port, "GET", "/");
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert!(h.contains("text/html"));
    assert_eq!(body, INDEX.as_bytes());
    let (h, body) = get(port, "GET", "/app_bg.wasm");
    assert!(h.contains("Content-Type: application/wasm"), "{h}");
    assert_eq!(body.len(), 4);
    let (h, body) = get(port, "GET", "/big.bin");
    assert!(h.contains("Content-Type: application/octet-stream"), "{h}");
    assert!(h.contains(&format!("Content-Length: {}", big.len())), "{h}");
    assert!(body == big, "the body differs ({} bytes)", body.len());
    let (h, body) = get(port, "HEAD", "/app_bg.wasm");
    assert!(h.contains("Content-Length: 4"));
    assert!(body.is_empty());
    assert!(get(port, "GET", "/sub/a%20b.js")
        .0
        .starts_with("HTTP/1.1 200"));
    assert!(get(port, "GET", "/missing.js")
        .0
        .starts_with("HTTP/1.1 404"));
    // No directory listing.
    assert!(get(port, "GET", "/empty/").0.starts_with("HTTP/1.1 404"));
    assert!(get(port, "GET", "/../Cargo.toml")
        .0
        .starts_with("HTTP/1.1 403"));
    assert!(get(port, "GET", "/%2e%2e/x").0.starts_with("HTTP/1.1 403"));
    let (h, _) = get(port, "POST", "/");
    assert!(h.starts_with("HTTP/1.1 405"), "{h}");
    assert!(h.contains("\r\nAllow: GET, HEAD\r\n"), "{h}");
    assert!(get(port, "DELETE", "/index.html")
        .0
        .starts_with("HTTP/1.1 405"));
}

/// 500 connections that send nothing and one that trickles its head do not keep a normal
/// client from the index. The server runs as the binary, in its own process, so that the
/// two ends of 500 connections do not share one descriptor table.
#[test]
fn idle_and_slow_clients_do_not_starve_a_normal_one() {
    let site = Site::new("flood");
    let (_server, port) = spawn_binary(&site.0);
    assert!(status(port, "/").starts_with("HTTP/1.1 200"));

    // Paced a little: a burst faster than the accept loop overflows the listen backlog (128)
    // and the kernel makes the client retry its SYN a second later.
    let t_idle = Instant::now();
    let idle: Vec<TcpStream> = (0..500)
        .map(|i| {
            if i % 10 == 9 {
                std::thread::sleep(Duration::from_millis(1));
            }
            connect(port)
        })
        .collect();
    let slow = std::thread::spawn(move || {
        let mut s = connect(port);
        let mut w = s.try_clone().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_w = Arc::clone(&stop);
        let t0 = Instant::now();
        // One byte every 200 ms: 14 s for the whole head, unless cut off.
        let writer = std::thread::spawn(move || {
            let head =
                b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1234567890123456789012345678901234\r\n\r\n";
            for b in head {
                if stop_w.load(Ordering::Relaxed) || w.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let answer = read_answer(&mut s);
        let took = t0.elapsed();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        (String::from_utf8_lossy(&answer).into_owned(), took)
    });
    std::thread::sleep(Duration::from_millis(300));

    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let t = Instant::now();
        let (h, body) = get(port, "GET", "/");
        let took = t.elapsed();
        assert!(h.starts_with("HTTP/1.1 200"), "{h}");
        assert_eq!(body, INDEX.as_bytes());
        worst = worst.max(took);
    }
    eprintln!(
        "web_serve: the index took {worst:?} at worst beside 500 idle connections and a slow one"
    );
    assert!(worst < Duration::from_secs(1), "{worst:?}");

    // The idle connections were held open, not turned away; all still wait for their
    // head when their 2 s cannot have run out yet.
    let checked = t_idle.elapsed();
    let mut waiting = 0;
    for mut s in idle {
        s.set_nonblocking(true).unwrap();
        let mut b = [0u8; 64];
        match s.read(&mut b) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => waiting += 1,
            Ok(n) => assert!(b[..n].starts_with(b"HTTP/1.1 408"), "{:?}", &b[..n]),
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!("web_serve: {waiting} of the 500 idle connections still waiting after {checked:?}");
    if checked < Duration::from_millis(1900) {
        assert_eq!(waiting, 500);
    }

    let (answer, took) = slow.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        took > Duration::from_millis(1500) && took < Duration::from_secs(4),
        "the trickling client was cut off after {took:?}, not 2 s"
    );
}

#[test]
fn over_long_heads_are_refused() {
    let site = Site::new("long");
    let port = start(&site.0, Limits::default());
    let line = |n: usize| format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(n));
    assert!(exchange(port, line(9000).as_bytes()).starts_with("HTTP/1.1 414"));
    assert!(exchange(port, line(100_000).as_bytes()).starts_with("HTTP/1.1 414"));
    assert!(exchange(port, line(8000).as_bytes()).starts_with("HTTP/1.1 404"));

    let headers = |lines: usize, each: usize| {
        let mut s = String::from("GET / HTTP/1.1\r\n");
        for i in 0..lines {
            s += &format!("X-Pad-{i}: {}\r\n", "v".repeat(each));
        }
        s + "\r\n"
    };
    assert!(exchange(port, headers(100, 10).as_bytes()).starts_with("HTTP/1.1 200"));
    assert!(exchange(port, headers(101, 10).as_bytes()).starts_with("HTTP/1.1 431"));
    assert!(exchange(port, headers(3, 7000).as_bytes()).starts_with("HTTP/1.1 431"));
    assert!(exchange(port, headers(2, 7000).as_bytes()).starts_with("HTTP/1.1 200"));
    assert!(exchange(port, b"GET /\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(exchange(port, b"GET / HTTP/9.9\r\n\r\n").starts_with("HTTP/1.1 505"));
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_root_are_not_followed() {
    use std::os::unix::fs::symlink;
    let site = Site::new("links");
    let outside = Site::new("links-outside");
    let dir = &site.0;
    std::fs::write(dir.join("inside.txt"), "inside").unwrap();
    std::fs::write(outside.0.join("secret.txt"), "secret").unwrap();
    symlink(outside.0.join("secret.txt"), dir.join("leak.txt")).unwrap();
    symlink(&outside.0, dir.join("leakdir")).unwrap();
    symlink("inside.txt", dir.join("alias.txt")).unwrap();
    let port = start(dir, Limits::default());

    let (h, body) = get(port, "GET", "/inside.txt");
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(body, b"inside");
    let (h, body) = get(port, "GET", "/alias.txt");
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert_eq!(body, b"inside");
    for path in ["/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/leakdir"] {
        let (h, body) = get(port, "GET", path);
        assert!(h.starts_with("HTTP/1.1 404"), "{path}: {h}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }

    // A root given through a symlink is still the root.
    let link = std::env::temp_dir().join(format!("lvslab-serve-rootlink-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    symlink(dir, &link).unwrap();
    let port = start(&link, Limits::default());
    assert!(status(port, "/inside.txt").starts_with("HTTP/1.1 200"));
    assert!(status(port, "/leak.txt").starts_with("HTTP/1.1 404"));
    let _ = std::fs::remove_file(&link);
}

/// More connections at once than the queue holds: those beyond it get 503 at once, those
/// in it 408 when their head deadline passes, and nobody waits for nothing.
#[test]
fn a_full_queue_answers_503_and_nobody_hangs() {
    let site = Site::new("queue");
    let limits = Limits {
        workers: 2,
        queue: 8,
        head_timeout: Duration::from_millis(1500),
        ..Limits::default()
    };
    let port = start(&site.0, limits);
    let t0 = Instant::now();
    let mut conns: Vec<(bool, TcpStream)> = (0..40).map(|_| (false, connect(port))).collect();
    // And some that send their request straight away.
    for _ in 0..10 {
        let mut s = connect(port);
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        conns.push((true, s));
    }
    let readers: Vec<_> = conns
        .into_iter()
        .map(|(eager, mut s)| {
            std::thread::spawn(move || {
                let answer = String::from_utf8_lossy(&read_answer(&mut s)).into_owned();
                (eager, answer, t0.elapsed())
            })
        })
        .collect();
    let (mut rejected, mut timed_out) = (0, 0);
    for r in readers {
        let (eager, answer, at) = r.join().expect("a client hung");
        if answer.starts_with("HTTP/1.1 503") {
            assert!(answer.contains("\r\nRetry-After: 1\r\n"), "{answer}");
            assert!(at < Duration::from_millis(750), "503 after {at:?}");
            rejected += 1;
        } else if !eager && answer.starts_with("HTTP/1.1 408") {
            assert!(at >= Duration::from_millis(1400), "408 after {at:?}");
            timed_out += 1;
        } else {
            assert!(eager && answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        }
    }
    eprintln!("web_serve: 50 connections on a queue of 8: {rejected} got 503, {timed_out} got 408");
    assert!(rejected >= 42, "{rejected}");
    assert!(timed_out <= 8, "{timed_out}");
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    // The queue drained: the server answers again.
    assert!(status(port, "/").starts_with("HTTP/1.1 200"));
}

//! `lvslab serve`: the static server of the browser lab.

use std::io::{Read, Write};
use std::net::TcpStream;

fn get(port: u16, method: &str, path: &str) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    (head, buf[split + 4..].to_vec())
}

#[test]
fn serves_dist_on_loopback_only() {
    let dir = std::env::temp_dir().join(format!("lvslab-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html>hi").unwrap();
    std::fs::write(dir.join("app_bg.wasm"), [0u8, 0x61, 0x73, 0x6d]).unwrap();
    std::fs::write(dir.join("sub/a b.js"), "x").unwrap();
    let l = lvslab::serve::bind(0).unwrap();
    let addr = l.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let root = dir.clone();
    std::thread::spawn(move || lvslab::serve::serve(&root, l));
    let port = addr.port();

    let (h, body) = get(port, "GET", "/");
    assert!(h.starts_with("HTTP/1.1 200"), "{h}");
    assert!(h.contains("text/html"));
    assert_eq!(body, b"<!doctype html>hi");
    let (h, body) = get(port, "GET", "/app_bg.wasm");
    assert!(h.contains("Content-Type: application/wasm"), "{h}");
    assert_eq!(body.len(), 4);
    let (h, body) = get(port, "HEAD", "/app_bg.wasm");
    assert!(h.contains("Content-Length: 4"));
    assert!(body.is_empty());
    assert!(get(port, "GET", "/sub/a%20b.js")
        .0
        .starts_with("HTTP/1.1 200"));
    assert!(get(port, "GET", "/missing.js")
        .0
        .starts_with("HTTP/1.1 404"));
    assert!(get(port, "GET", "/../Cargo.toml")
        .0
        .starts_with("HTTP/1.1 403"));
    assert!(get(port, "GET", "/%2e%2e/x").0.starts_with("HTTP/1.1 403"));
    assert!(get(port, "POST", "/").0.starts_with("HTTP/1.1 405"));
    let _ = std::fs::remove_dir_all(&dir);
}

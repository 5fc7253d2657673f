//! `lvslab serve`: a small static file server for the browser lab (dist/), on 127.0.0.1 only.
//! One thread per connection, GET and HEAD, no directory listings, nothing outside the root.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

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

/// Maps a request target to a file under `root`; None for anything that would leave it.
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

fn respond(stream: &mut TcpStream, status: &str, ctype: &str, body: &[u8], head: bool) {
    let hdr = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(hdr.as_bytes());
    if !head {
        let _ = stream.write_all(body);
    }
    let _ = stream.flush();
}

/// Answers one request on `stream`.
pub fn handle(root: &Path, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.by_ref().take(8192).read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    // Skip the headers.
    loop {
        let mut h = String::new();
        match reader.by_ref().take(8192).read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let head = method == "HEAD";
    if method != "GET" && !head {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET or HEAD only\n",
            false,
        );
        return;
    }
    let Some(path) = resolve(root, target) else {
        respond(
            &mut stream,
            "403 Forbidden",
            "text/plain",
            b"forbidden\n",
            head,
        );
        return;
    };
    match std::fs::read(&path) {
        Ok(body) => respond(&mut stream, "200 OK", mime_type(&path), &body, head),
        Err(_) => respond(
            &mut stream,
            "404 Not Found",
            "text/plain",
            b"not found\n",
            head,
        ),
    }
}

/// Binds 127.0.0.1:`port` (0 = any free port).
pub fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

/// Serves `root` on `listener` until the process ends.
pub fn serve(root: &Path, listener: TcpListener) -> std::io::Result<()> {
    for s in listener.incoming() {
        let Ok(s) = s else { continue };
        let root = root.to_path_buf();
        std::thread::spawn(move || handle(&root, s));
    }
    Ok(())
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
}

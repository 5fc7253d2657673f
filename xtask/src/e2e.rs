//! `cargo xtask e2e`: the browser lab end to end in headless Chromium, driven over WebDriver
//! (chromedriver) with a small HTTP client. Builds dist/, serves it with `lvslab serve` on
//! 127.0.0.1, plays the DR lesson, inspects a frame, uses the console, fails a real server,
//! opens the comparison and the what-if panel, and measures the budgets. Screenshots go to
//! target/e2e-artifacts/.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Kills a child process when dropped.
struct Guard(Child);
impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One HTTP/1.1 request to 127.0.0.1:port; returns (status, body).
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    );
    s.write_all(req.as_bytes())?;
    let mut r = BufReader::new(s);
    let mut status_line = String::new();
    r.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .ok_or_else(|| anyhow!("bad HTTP status line `{status_line}`"))?;
    let mut len = None;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse::<usize>().ok();
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut buf = Vec::new();
    if chunked {
        loop {
            let mut sz = String::new();
            r.read_line(&mut sz)?;
            let n = usize::from_str_radix(sz.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            buf.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = len {
        buf.resize(n, 0);
        r.read_exact(&mut buf)?;
    } else {
        r.read_to_end(&mut buf)?;
    }
    Ok((status, String::from_utf8_lossy(&buf).into_owned()))
}

/// A WebDriver session.
struct Browser {
    port: u16,
    session: String,
}

impl Browser {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let full = format!("/session/{}{path}", self.session);
        let (st, text) = http(self.port, method, &full, body.as_ref())?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if st != 200 {
            bail!(
                "WebDriver {method} {path}: {st} {}",
                v["value"]["message"].as_str().unwrap_or(&text)
            );
        }
        Ok(v["value"].clone())
    }
    fn goto(&self, url: &str) -> Result<()> {
        self.call("POST", "/url", Some(json!({ "url": url })))
            .map(|_| ())
    }
    fn find(&self, css: &str) -> Result<String> {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        )?;
        v[ELEMENT_KEY]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no element `{css}`"))
    }
    fn wait_for(&self, css: &str, secs: u64) -> Result<String> {
        let t0 = Instant::now();
        loop {
            match self.find(css) {
                Ok(e) => return Ok(e),
                Err(e) if t0.elapsed() > Duration::from_secs(secs) => {
                    return Err(e.context(format!("waiting {secs} s for `{css}`")))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
    fn click(&self, css: &str) -> Result<()> {
        let e = self.wait_for(css, 10)?;
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})))
            .with_context(|| format!("clicking `{css}`"))
            .map(|_| ())
    }
    fn text(&self, css: &str) -> Result<String> {
        let e = self.wait_for(css, 10)?;
        let v = self.call("GET", &format!("/element/{e}/text"), None)?;
        Ok(v.as_str().unwrap_or("").to_string())
    }
    fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let e = self.wait_for(css, 10)?;
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }
    fn js(&self, script: &str) -> Result<Value> {
        self.js_args(script, json!([]))
    }
    /// A script with arguments (`arguments[0]`...): strings need no quoting this way.
    fn js_args(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }
    /// An asynchronous script: it gets a callback as its last argument and passes its
    /// result to it (for Promises: `.then(done)`).
    fn async_js(&self, script: &str, args: Value) -> Result<Value> {
        self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": args})),
        )
    }
    /// Key presses through the WebDriver actions API, as a keyboard would send them, to
    /// whatever has the focus. Each chord's keys go down in order and up in reverse, so
    /// `SHIFT_TAB` is Shift+Tab.
    fn keys(&self, chords: &[&str]) -> Result<()> {
        let mut acts = Vec::new();
        for chord in chords {
            let ks: Vec<String> = chord.chars().map(String::from).collect();
            for k in &ks {
                acts.push(json!({"type": "keyDown", "value": k}));
            }
            for k in ks.iter().rev() {
                acts.push(json!({"type": "keyUp", "value": k}));
            }
        }
        self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": acts}]})),
        )
        .map(|_| ())
    }
    /// Types text, one key per character, into the focused element.
    fn type_keys(&self, text: &str) -> Result<()> {
        let chords: Vec<String> = text.chars().map(String::from).collect();
        let refs: Vec<&str> = chords.iter().map(String::as_str).collect();
        self.keys(&refs)
    }
    /// Whether the focused element matches `css`.
    fn focus_is(&self, css: &str) -> Result<bool> {
        Ok(self
            .js_args(
                "const e = document.activeElement; return !!e && e.matches(arguments[0]);",
                json!([css]),
            )?
            .as_bool()
            .unwrap_or(false))
    }
    /// The focused element, described for messages (`#id` or `tag.class`).
    fn focused(&self) -> Result<String> {
        let v = self.js(
            "const e = document.activeElement; if (!e) return 'nothing';\
             if (e.id) return '#' + e.id;\
             const c = (e.getAttribute('class') || '').trim().split(/\\s+/).filter(x => x).join('.');\
             const h = e.getAttribute('data-host') || e.getAttribute('data-record');\
             return e.tagName.toLowerCase() + (c ? '.' + c : '') + (h ? '[' + h + ']' : '');",
        )?;
        Ok(v.as_str().unwrap_or("?").to_string())
    }
    /// The text of the first element matching `css`, or None (no waiting).
    fn text_now(&self, css: &str) -> Result<Option<String>> {
        let v = self.js_args(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )?;
        Ok(v.as_str().map(str::to_string))
    }
    fn exists(&self, css: &str) -> Result<bool> {
        Ok(self.text_now(css)?.is_some())
    }
    fn number(&self, css: &str) -> Result<f64> {
        let t = self.text(css)?;
        t.split_whitespace()
            .next()
            .and_then(|x| x.parse().ok())
            .ok_or_else(|| anyhow!("`{css}` is not a number: `{t}`"))
    }
    fn screenshot(&self, dir: &Path, name: &str) -> Result<PathBuf> {
        let v = self.call("GET", "/screenshot", None)?;
        let bytes = base64_decode(v.as_str().unwrap_or(""))?;
        let p = dir.join(format!("{name}.png"));
        std::fs::write(&p, bytes)?;
        eprintln!("  screenshot {}", p.display());
        Ok(p)
    }
    /// The page's own fatal banner or error banner, if shown.
    fn page_errors(&self) -> Result<String> {
        let v = self.js(
            "const f = document.getElementById('fatal'); const b = document.getElementById('error-banner');\
             return [f && f.classList.contains('shown') ? f.textContent : '', b ? b.textContent : ''].join(' ').trim();",
        )?;
        Ok(v.as_str().unwrap_or("").to_string())
    }
}

fn base64_decode(s: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => bail!("bad base64"),
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

fn ensure_browser() -> Result<()> {
    let have = |b: &str| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if have("chromium") && have("chromedriver") {
        return Ok(());
    }
    eprintln!("xtask: installing chromium and chromium-driver with apt-get");
    let st = Command::new("apt-get")
        .args([
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ])
        .status()?;
    if !st.success() {
        bail!("apt-get install chromium chromium-driver failed");
    }
    Ok(())
}

fn wait_port(port: u16, secs: u64) -> Result<()> {
    let t0 = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t0.elapsed() > Duration::from_secs(secs) {
            bail!("nothing listens on 127.0.0.1:{port} after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn check(cond: bool, what: &str) -> Result<()> {
    if cond {
        eprintln!("  ok: {what}");
        Ok(())
    } else {
        bail!("FAILED: {what}")
    }
}

pub fn run(args: &[String]) -> Result<()> {
    let t_start = Instant::now();
    let root = super::dist::root();
    let dist = if args.iter().any(|a| a == "--no-build") {
        root.join("dist")
    } else {
        super::dist::build()?
    };
    ensure_browser()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "-q", "-p", "lvslab", "--bin", "lvslab"])
        .status()?;
    if !st.success() {
        bail!("building lvslab failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let artifacts = target.join("e2e-artifacts");
    // Fresh artifacts each run, so an old failure screenshot cannot mislead.
    let _ = std::fs::remove_dir_all(&artifacts);
    std::fs::create_dir_all(&artifacts)?;

    let web_port = free_port()?;
    let _server = Guard(
        Command::new(target.join("debug/lvslab"))
            .args(["serve", "--port", &web_port.to_string(), "--dir"])
            .arg(&dist)
            .stdout(Stdio::null())
            .spawn()
            .context("starting lvslab serve")?,
    );
    let wd_port = free_port()?;
    let _driver = Guard(
        Command::new("chromedriver")
            .args([
                format!("--port={wd_port}"),
                "--allowed-ips=127.0.0.1".into(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?,
    );
    wait_port(web_port, 20)?;
    wait_port(wd_port, 20)?;
    let profile = std::env::temp_dir().join(format!("lvslab-e2e-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1600,1300",
                     format!("--user-data-dir={}", profile.display())]
        }
    }}});
    let (st, text) = http(wd_port, "POST", "/session", Some(&caps))?;
    let v: Value = serde_json::from_str(&text)?;
    if st != 200 {
        bail!("new session: {text}");
    }
    let session = v["value"]["sessionId"]
        .as_str()
        .ok_or_else(|| anyhow!("no session id in {text}"))?
        .to_string();
    let b = Browser {
        port: wd_port,
        session,
    };
    let res = steps(&b, web_port, &artifacts);
    if let Ok(log) = b.call("POST", "/se/log", Some(json!({"type": "browser"}))) {
        let lines: Vec<String> = log
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|l| {
                        format!(
                            "{} {}",
                            l["level"].as_str().unwrap_or(""),
                            l["message"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let _ = std::fs::write(artifacts.join("browser-console.log"), lines.join("\n"));
        for l in lines
            .iter()
            .filter(|l| l.starts_with("SEVERE") || l.starts_with("WARNING"))
        {
            eprintln!("  browser: {l}");
        }
    }
    if res.is_err() {
        let _ = b.screenshot(&artifacts, "failure");
        if let Ok(e) = b.page_errors() {
            if !e.is_empty() {
                eprintln!("  page shows: {e}");
            }
        }
    }
    let _ = b.call("DELETE", "", None);
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!("e2e finished in {:.1} s", t_start.elapsed().as_secs_f64());
    res
}

/// The three chart canvases `{prefix}-conns|rps|latency` have ink on them.
fn charts_drawn(b: &Browser, prefix: &str) -> Result<()> {
    let blank = b.js(&format!(
        "return ['conns', 'rps', 'latency'].map(x => '{prefix}-' + x).filter(id => {{\
           const c = document.getElementById(id); if (!c || !c.getContext) return true;\
           const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
           let ink = 0; for (let i = 0; i < d.length; i += 4) {{ if (d[i] < 200 || d[i+1] < 200 || d[i+2] < 200) ink++; }}\
           return ink < 500; }});"
    ))?;
    check(
        blank.as_array().is_some_and(|a| a.is_empty()),
        &format!("every {prefix} chart is drawn (blank: {blank})"),
    )
}

fn steps(b: &Browser, port: u16, art: &Path) -> Result<()> {
    let base = format!("http://127.0.0.1:{port}/");
    eprintln!("e2e: loading {base}");
    b.goto(&base)?;
    b.wait_for("#play", 30)?;
    let timing = b.js(
        "const n = performance.getEntriesByType('navigation')[0];\
         return {first: window.lvslabFirstRender, start: window.lvslabStart, dcl: n ? n.domContentLoadedEventEnd : null};",
    )?;
    eprintln!(
        "  time to first render: {:.0} ms (wasm started at {:.0} ms, DOMContentLoaded {:.0} ms)",
        timing["first"].as_f64().unwrap_or(f64::NAN),
        timing["start"].as_f64().unwrap_or(f64::NAN),
        timing["dcl"].as_f64().unwrap_or(f64::NAN)
    );

    // The DR lesson.
    b.click("#pick-dr-lab")?;
    let title = b.text(".scenario-head h2")?;
    check(
        title.contains("LVS-DR"),
        &format!("DR lesson loaded (`{title}`)"),
    )?;
    b.screenshot(art, "01-dr-lesson")?;
    let frames0 = b.number("#counter-frames")?;
    let done0 = b.number("#counter-completed")?;
    b.click("#speed option[value='1000']")?;
    b.click("#play")?;
    // Frames move: the same frame is drawn at two different places.
    let mut moved = false;
    let t0 = Instant::now();
    while !moved && t0.elapsed() < Duration::from_secs(20) {
        let pos = |b: &Browser| -> Result<Vec<(String, String)>> {
            let v = b.js("return Array.from(document.querySelectorAll('.pkt')).map(c => [c.dataset.record, (c.getAttribute('cx') || c.getAttribute('x')) + ',' + (c.getAttribute('cy') || c.getAttribute('y'))]);")?;
            Ok(v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                p[0].as_str().unwrap_or("").to_string(),
                                p[1].as_str().unwrap_or("").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default())
        };
        let a = pos(b)?;
        std::thread::sleep(Duration::from_millis(120));
        let c = pos(b)?;
        moved = a
            .iter()
            .any(|(r, p)| c.iter().any(|(r2, p2)| r == r2 && p != p2));
    }
    check(moved, "frames move along the links")?;
    b.screenshot(art, "02-dr-playing")?;
    let t0 = Instant::now();
    while b.number("#counter-completed")? < done0 + 2.0 && t0.elapsed() < Duration::from_secs(40) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let frames1 = b.number("#counter-frames")?;
    let done1 = b.number("#counter-completed")?;
    check(
        frames1 > frames0 && done1 >= done0 + 2.0,
        &format!("counters change (frames {frames0} -> {frames1}, completed {done0} -> {done1})"),
    )?;
    b.click("#play")?; // pause

    // Inspector on the director's forwarded SYN: the destination MAC is rewritten.
    let row = b.js(
        "const r = Array.from(document.querySelectorAll('tr.log-row[data-node=\"director\"][data-dir=\"tx\"]')).find(r => r.textContent.includes('[S]'));\
         return r ? r.dataset.record : null;",
    )?;
    let rec = row
        .as_str()
        .ok_or_else(|| anyhow!("no director SYN in the packet log"))?
        .to_string();
    b.click(&format!("tr.log-row[data-record='{rec}']"))?;
    b.wait_for("#inspector", 10)?;
    let changed = b.js(
        "return Array.from(document.querySelectorAll('#inspector tr.changed')).map(r => Array.from(r.cells).map(c => c.textContent));",
    )?;
    let rows: Vec<Vec<String>> = serde_json::from_value(changed).unwrap_or_default();
    let mac_row = rows
        .iter()
        .find(|r| r.len() == 4 && r[0] == "Ethernet" && r[1] == "dst");
    let is_mac = |s: &str| s.len() == 17 && s.split(':').count() == 6;
    check(
        mac_row.is_some_and(|r| is_mac(&r[2]) && is_mac(&r[3]) && r[2] != r[3]),
        &format!("inspector shows the rewritten destination MAC ({mac_row:?})"),
    )?;
    check(
        !rows
            .iter()
            .any(|r| r[0] == "IPv4" && (r[1] == "src" || r[1] == "dst")),
        "DR leaves the IP addresses alone",
    )?;
    b.screenshot(art, "03-inspector")?;

    // The console, with the shared ipvsadm executor.
    b.click("#console-input")?;
    b.type_into("#console-input", "ipvsadm -Ln\u{E007}")?;
    let t0 = Instant::now();
    let mut out = String::new();
    while !out.contains("10.0.0.10:80") && t0.elapsed() < Duration::from_secs(10) {
        out = b.text("#console-output")?;
        std::thread::sleep(Duration::from_millis(100));
    }
    check(
        out.contains("IP Virtual Server version")
            && out.contains("TCP  10.0.0.10:80 rr")
            && out.contains("-> 10.0.0.11:80")
            && out.contains("Route"),
        "console prints ipvsadm -Ln",
    )?;
    b.type_into("#console-input", "ipvsadm -Lnc\u{E007}")?;
    std::thread::sleep(Duration::from_millis(300));
    check(
        b.text("#console-output")?
            .contains("IPVS connection entries"),
        "console prints ipvsadm -Lnc",
    )?;
    b.screenshot(art, "04-console")?;

    // Fail rs1: it is drawn down and drops what reaches it.
    b.click("#node-rs1")?;
    b.click("#toggle-rs1-fail-host")?;
    let cls =
        b.js("return document.querySelector('g.node[data-host=\"rs1\"]').getAttribute('class');")?;
    check(
        cls.as_str().unwrap_or("").contains("down"),
        "rs1 is drawn down",
    )?;
    b.click("#speed option[value='10000']")?;
    b.click("#play")?;
    let t0 = Instant::now();
    let mut drops = 0.0;
    while drops < 1.0 && t0.elapsed() < Duration::from_secs(40) {
        std::thread::sleep(Duration::from_millis(300));
        drops = b
            .js("return Array.from(document.querySelectorAll('tr.log-row[data-node=\"rs1\"]')).filter(r => r.textContent.includes('host is down')).length;")?
            .as_f64()
            .unwrap_or(0.0);
    }
    b.click("#play")?;
    check(
        drops >= 1.0,
        &format!("frames to the failed rs1 are dropped ({drops} in the log)"),
    )?;
    b.screenshot(art, "05-rs1-down")?;
    b.click("#run-to-end")?;
    let sent = b.number("#counter-sent")?;
    let completed = b.number("#counter-completed")?;
    // Without a health check the director keeps scheduling rs1: those requests hang.
    check(sent - completed >= 10.0, &format!("requests scheduled to the failed rs1 do not complete ({sent} sent, {completed} completed)"))?;
    b.js("document.getElementById('lab-conns').scrollIntoView();")?;
    std::thread::sleep(Duration::from_millis(300));
    b.screenshot(art, "05b-charts")?;
    charts_drawn(b, "lab")?;

    // NAT / DR / TUN side by side.
    b.js("window.scrollTo(0, 0);")?;
    b.click("#tab-compare")?;
    b.wait_for("#hop-table", 20)?;
    let hops = b.text("#hop-table")?;
    check(
        hops.contains("IPv4 dst") && hops.contains("inner IPv4"),
        "hop table shows NAT's and TUN's rewrites",
    )?;
    b.click("#cmp-step")?;
    b.click("#cmp-step")?;
    b.screenshot(art, "06-compare")?;

    // What-if: 60,000 connections.
    b.click("#tab-whatif")?;
    b.wait_for("#wi-run", 10)?;
    b.js("const s = document.getElementById('wi-connections'); s.value = '60000'; s.dispatchEvent(new Event('input', {bubbles: true}));")?;
    std::thread::sleep(Duration::from_millis(200));
    b.click("#wi-run")?;
    b.wait_for("#wi-timing", 120)?;
    let ms = b
        .js("return window.lvslabWhatIfMs;")?
        .as_f64()
        .unwrap_or(f64::NAN);
    let result = b.text("#wi-result")?;
    eprintln!(
        "  what-if (60,000 connections) in wasm: {ms:.0} ms: {}",
        result.replace('\n', " | ")
    );
    check(
        result.contains("60000 sent"),
        "what-if ran 60,000 connections",
    )?;
    b.screenshot(art, "07-whatif")?;
    charts_drawn(b, "wi")?;

    // Frame rate with about 500 frames on the wire: the DR lesson with slow links and more load.
    b.click("#tab-lab")?;
    b.click("#pick-dr-lab")?;
    b.js(
        "const t = document.getElementById('editor');\
         t.value = t.value.replace(/latency = \"500us\"/, 'latency = \"20ms\"').replace(/latency = \"100us\"/, 'latency = \"20ms\"')\
           .replace(/rate = 20/, 'rate = 800').replace(/connections = 60/, 'connections = 100000');\
         t.dispatchEvent(new Event('input', {bubbles: true}));",
    )?;
    b.click("#run-edited")?;
    b.click("#speed option[value='100000']")?;
    b.click("#play")?;
    std::thread::sleep(Duration::from_secs(5));
    let mut samples = Vec::new();
    for _ in 0..5 {
        let fps = b.number("#fps")?;
        let on_wire = b.number("#in-flight")?;
        samples.push((fps, on_wire));
        std::thread::sleep(Duration::from_millis(600));
    }
    b.screenshot(art, "08-load")?;
    b.click("#play")?;
    eprintln!("  fps / frames on the wire: {samples:?}");

    // Live validation: a broken edit shows a located error and the lab keeps running.
    b.js("const t = document.getElementById('editor');\
         t.value = '[scenario]\\nname = \"x\"\\ntitle = 5\\n';\
         t.dispatchEvent(new Event('input', {bubbles: true}));")?;
    std::thread::sleep(Duration::from_millis(300));
    let diag = b.text("#diagnostics")?;
    check(
        diag.contains("error line 3"),
        &format!(
            "the editor shows a located error ({})",
            diag.replace('\n', " ")
        ),
    )?;
    let disabled = b.js("return document.getElementById('run-edited').disabled;")?;
    check(
        disabled.as_bool() == Some(true),
        "a scenario with errors cannot be run",
    )?;
    b.screenshot(art, "09-diagnostics")?;
    let errs = b.page_errors()?;
    check(
        errs.is_empty(),
        &format!("no error shown in the page ({errs})"),
    )?;
    new_flows(b, &base, art)
}

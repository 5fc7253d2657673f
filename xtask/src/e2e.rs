//! `cargo xtask e2e`: the browser lab end to end in headless Chromium, driven over WebDriver
//! (chromedriver) with a small HTTP client. Builds dist/, serves it with `lvslab serve` on
//! 127.0.0.1, plays the DR lesson, inspects a frame, uses the console, fails a real server,
//! opens the comparison and the what-if panel (capacity, overlay, downloads and a sweep in
//! e2e/whatif_flow.rs), and measures the budgets. Screenshots go to target/e2e-artifacts/.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod whatif_flow;

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
        // Centred first: the sticky header would take a click at the window's top edge.
        self.js_args(
            "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
            json!([{ ELEMENT_KEY: e }]),
        )?;
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

    // Inspector on the director's forwarded SYN: the destination MAC is rewritten. The log
    // pages oldest first and shows the newest page: the first SYNs are on the first.
    b.click("#log-first")?;
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
    b.click("#log-last")?; // follow the newest hops again
    b.click("#play")?;
    let t0 = Instant::now();
    let mut drops = 0.0;
    while drops < 1.0 && t0.elapsed() < Duration::from_secs(40) {
        std::thread::sleep(Duration::from_millis(300));
        drops = b
            .js("return Array.from(document.querySelectorAll('tr.log-row[data-node=\"rs1\"]')).filter(r => (r.textContent + ' ' + ((r.nextElementSibling && r.nextElementSibling.classList.contains('reason-row')) ? r.nextElementSibling.textContent : '')).includes('host is down')).length;")?
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

// ---------------------------------------------------------------------------------------
// Lessons by keyboard, time travel, the failover timeline, the testbed console, the packet
// log, the accessibility audit and the lesson layout. Each flow loads its own page.

const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = " ";
const ARROW_UP: &str = "\u{E013}";
const ARROW_DOWN: &str = "\u{E015}";

type Flow = fn(&Browser, &str, &Path) -> Result<()>;

/// Runs every flow even when one fails (each loads its own page, so one failure does not
/// hide the others); a failure leaves `failure-<flow>.png`. Each flow ends, and the run
/// ends, with the page's panic banner checked.
fn new_flows(b: &Browser, base: &str, art: &Path) -> Result<()> {
    let flows: [(&str, &str, Flow); 8] = [
        (
            "lesson-keyboard",
            "the ARP-flux lesson in Chinese, by keyboard only",
            lesson_arp_flux_keyboard,
        ),
        (
            "time-travel",
            "time travel: 10 hops back and forth",
            time_travel,
        ),
        (
            "failover",
            "the failover lesson: timeline, VRRP badges, the VIP, the report",
            failover_timeline,
        ),
        (
            "testbed",
            "the NAT testbed: a service built in the console, @connect, send request",
            testbed_console,
        ),
        (
            "packet-log",
            "the packet log: oldest first, the ARP filter",
            packet_log,
        ),
        (
            "whatif-capacity",
            "the what-if: one worker overloads, the previous run, CSV and PNG, a sweep",
            whatif_flow::whatif_capacity,
        ),
        ("axe", "accessibility audit with axe-core", axe_audit),
        (
            "layout",
            "the lesson at 1440, 1024 (projector) and 390 wide",
            layout_screens,
        ),
    ];
    let mut failed = Vec::new();
    for (slug, title, flow) in flows {
        eprintln!("e2e: {title}");
        if let Err(e) = flow(b, base, art).and_then(|_| no_panic(b)) {
            eprintln!("  {e:#}");
            let _ = b.screenshot(art, &format!("failure-{slug}"));
            if let Ok(t) = b.page_errors() {
                if !t.is_empty() {
                    eprintln!("  page shows: {t}");
                }
            }
            failed.push(slug);
        }
    }
    eprintln!("e2e: the panic banner after all steps");
    no_panic(b)?;
    if !failed.is_empty() {
        bail!(
            "{} of {} flows failed: {}",
            failed.len(),
            flows.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

/// Loads `base` + `frag` afresh (changing only the fragment does not restart the app) and
/// waits for `ready`.
fn open(b: &Browser, base: &str, frag: &str, ready: &str) -> Result<()> {
    b.goto("about:blank")?;
    b.goto(&format!("{base}{frag}"))?;
    b.wait_for(ready, 30)?;
    Ok(())
}

/// Polls `f` every 100 ms for up to `secs` seconds; whether it became true.
fn wait_until(secs: u64, mut f: impl FnMut() -> Result<bool>) -> Result<bool> {
    let t0 = Instant::now();
    loop {
        if f()? {
            return Ok(true);
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn no_panic(b: &Browser) -> Result<()> {
    let v = b.js("const f = document.getElementById('fatal');\
         return f && f.classList.contains('shown') ? (f.textContent || '(no text)') : null;")?;
    check(
        v.is_null(),
        &format!(
            "the panic banner #fatal is not shown{}",
            v.as_str()
                .map(|t| format!(" (it shows: {t})"))
                .unwrap_or_default()
        ),
    )
}

/// The lesson step on screen, 1-based, as the URL fragment names it.
fn lesson_step(b: &Browser) -> Result<usize> {
    let v =
        b.js("const m = location.hash.match(/[#&]step=(\\d+)/); return m ? Number(m[1]) : null;")?;
    v.as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| anyhow!("the URL names no lesson step"))
}

fn clock(b: &Browser) -> Result<String> {
    Ok(b.text("#clock")?.trim().to_string())
}

fn disabled(b: &Browser, css: &str) -> Result<bool> {
    Ok(b.js_args(
        "const e = document.querySelector(arguments[0]); return !e || !!e.disabled;",
        json!([css]),
    )?
    .as_bool()
    .unwrap_or(true))
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Forward,
    Back,
}

/// Moves the focus with Tab (`Dir::Forward`) or Shift+Tab until it is on an element matching
/// `css`, trying the other direction when that fails. Only reads where the focus is.
fn tab_to(b: &Browser, css: &str, dir: Dir) -> Result<()> {
    if b.focus_is(css)? {
        return Ok(());
    }
    let other = if dir == Dir::Forward {
        Dir::Back
    } else {
        Dir::Forward
    };
    let mut path = Vec::new();
    for (d, presses) in [(dir, 600), (other, 1200)] {
        let key = if d == Dir::Forward { TAB } else { SHIFT_TAB };
        for _ in 0..presses {
            b.keys(&[key])?;
            if b.focus_is(css)? {
                return Ok(());
            }
            if path.len() < 30 {
                path.push(b.focused()?);
            }
        }
    }
    bail!(
        "Tab never reached `{css}`; the focus went {} ...",
        path.join(" > ")
    )
}

/// The index N of the focused `#choice-N`, if a choice has the focus.
fn focused_choice(b: &Browser) -> Result<Option<usize>> {
    Ok(b.focused()?
        .strip_prefix("#choice-")
        .and_then(|n| n.parse().ok()))
}

/// Selects choice `want` of the prediction on screen with the keyboard. A native radio
/// group is one Tab stop: Shift+Tab from below enters it at the last choice (Chromium enters
/// it again at the choice last focused), and an arrow key moves to the neighbour *and*
/// checks it. So: into the group, then Space when the focus is on `want`, or one arrow key
/// when `want` is next to it; from further away the page is gone round once with Tab to come
/// in at the first choice.
fn choose_by_keyboard(b: &Browser, want: usize) -> Result<()> {
    const RADIO: &str = "#lesson-predict input[type=radio]";
    let n = b
        .js("return document.querySelectorAll('#lesson-predict input[type=radio]').length;")?
        .as_u64()
        .unwrap_or(0) as usize;
    if want >= n {
        bail!("the prediction has {n} choices, there is no choice {want}");
    }
    tab_to(b, RADIO, Dir::Back)?;
    let mut at = focused_choice(b)?.ok_or_else(|| anyhow!("no choice has the focus"))?;
    if want.abs_diff(at) > 1 {
        // Out below the group and round the page, to come in from above.
        b.keys(&[TAB])?;
        tab_to(b, RADIO, Dir::Forward)?;
        at = focused_choice(b)?.ok_or_else(|| anyhow!("no choice has the focus"))?;
    }
    check(
        want.abs_diff(at) <= 1,
        &format!("the focus is on choice {at}, next to or on choice {want}"),
    )?;
    match want.cmp(&at) {
        std::cmp::Ordering::Equal => b.keys(&[SPACE]),
        std::cmp::Ordering::Greater => b.keys(&[ARROW_DOWN]),
        std::cmp::Ordering::Less => b.keys(&[ARROW_UP]),
    }
}

/// Answers the prediction on screen by keyboard and checks the feedback says it is right.
fn answer_by_keyboard(b: &Browser, want: usize) -> Result<()> {
    choose_by_keyboard(b, want)?;
    let shown = wait_until(10, || b.exists("#lesson-feedback"))?;
    check(
        shown,
        &format!("#lesson-feedback appears after choice {want}"),
    )?;
    let v = b.js_args(
        "const f = document.getElementById('lesson-feedback'); const c = document.getElementById('choice-' + arguments[0]);\
         return [f.classList.contains('good'), !!(c && c.checked), f.textContent];",
        json!([want]),
    )?;
    check(
        v[0].as_bool() == Some(true) && v[1].as_bool() == Some(true),
        &format!(
            "choice {want} is checked and judged right ({})",
            v[2].as_str()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect::<String>()
        ),
    )
}

/// Plays the observation on screen to its moment: `#lesson-reveal` by keyboard.
fn reveal_by_keyboard(b: &Browser) -> Result<()> {
    tab_to(b, "#lesson-reveal", Dir::Back)?;
    b.keys(&[ENTER])?;
    let ok = wait_until(60, || disabled(b, "#lesson-reveal"))?;
    check(ok, "Enter on #lesson-reveal plays to the observed moment")
}

/// Enter on `#lesson-next`; the step number goes up by one.
fn next_by_keyboard(b: &Browser, dir: Dir) -> Result<()> {
    let step = lesson_step(b)?;
    tab_to(b, "#lesson-next", dir)?;
    b.keys(&[ENTER])?;
    let ok = wait_until(10, || Ok(lesson_step(b)? == step + 1))?;
    check(
        ok,
        &format!("Enter on #lesson-next goes on to step {}", step + 1),
    )
}

/// lessons/arp-flux.toml: 8 steps; the right choice of each prediction, by 1-based step.
const ARP_FLUX_STEPS: usize = 8;
const ARP_FLUX_ANSWERS: &[(usize, usize)] = &[(2, 1), (4, 2), (8, 1)];
/// The `do` step's walkthrough, as console lines.
const ARP_FLUX_FIX: &[&str] = &[
    "@sysctl rs1 net.ipv4.conf.all.arp_ignore=1",
    "@sysctl rs1 net.ipv4.conf.all.arp_announce=2",
    "@sysctl rs1 net.ipv4.conf.lo.arp_ignore=1",
    "@sysctl rs1 net.ipv4.conf.lo.arp_announce=2",
    "@sysctl rs2 net.ipv4.conf.all.arp_ignore=1",
    "@sysctl rs2 net.ipv4.conf.all.arp_announce=2",
    "@sysctl rs2 net.ipv4.conf.lo.arp_ignore=1",
    "@sysctl rs2 net.ipv4.conf.lo.arp_announce=2",
    "@arp-flush router",
];

/// Flow 1: the whole ARP-flux lesson in zh-CN with key presses only (the focus is read, never
/// set). The `do` step is solved by typing the fix into the console, not with "Show me".
fn lesson_arp_flux_keyboard(b: &Browser, base: &str, art: &Path) -> Result<()> {
    open(b, base, "#lesson=arp-flux&lang=zh-CN", "#lesson")?;
    let v = b.js(
        "return [document.documentElement.lang, document.getElementById('lesson').getAttribute('lang'),\
                 (document.getElementById('lang-zh-CN') || {getAttribute: () => null}).getAttribute('aria-pressed')];",
    )?;
    check(
        v[0].as_str() == Some("zh-CN"),
        &format!("document.documentElement.lang is zh-CN ({})", v[0]),
    )?;
    check(
        v[1].as_str() == Some("zh-CN") && v[2].as_str() == Some("true"),
        &format!(
            "the lesson panel has lang=zh-CN and #lang-zh-CN is pressed ({}, {})",
            v[1], v[2]
        ),
    )?;
    let title = b.text("#lesson-title")?;
    check(
        title
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        &format!("the lesson title is in Chinese (`{title}`)"),
    )?;
    loop {
        let step = lesson_step(b)?;
        if b.exists("#lesson-predict")? {
            let want = ARP_FLUX_ANSWERS
                .iter()
                .find(|(s, _)| *s == step)
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    anyhow!("step {step} asks a prediction arp-flux.toml does not have")
                })?;
            eprintln!("  step {step}: prediction, choosing {want}");
            answer_by_keyboard(b, want)?;
        } else if b.exists("#lesson-reveal")? {
            eprintln!("  step {step}: observation");
            reveal_by_keyboard(b)?;
        } else if b.exists("#lesson-show-me")? {
            eprintln!("  step {step}: task, typed into the console");
            arp_flux_fix_by_keyboard(b, art)?;
        } else {
            eprintln!("  step {step}: explanation");
        }
        if !b.exists("#lesson-next")? {
            break;
        }
        next_by_keyboard(b, Dir::Forward)?;
    }
    let step = lesson_step(b)?;
    check(
        step == ARP_FLUX_STEPS,
        &format!("the keyboard reached the last step ({step} of {ARP_FLUX_STEPS})"),
    )
}

/// The `do` step of arp-flux: Tab to the console, type the sysctls and the router's flush,
/// speed up with the arrow keys on `#speed`, Space on `#play` until every check holds.
fn arp_flux_fix_by_keyboard(b: &Browser, art: &Path) -> Result<()> {
    tab_to(b, "#console-input", Dir::Forward)?;
    for line in ARP_FLUX_FIX {
        b.type_keys(line)?;
        b.keys(&[ENTER])?;
        let ran = wait_until(10, || {
            Ok(b.text_now("#console-output")?
                .unwrap_or_default()
                .contains(line))
        })?;
        check(ran, &format!("the console ran `{line}`"))?;
    }
    let out = b.text_now("#console-output")?.unwrap_or_default();
    let bad = [
        "unknown directive",
        "usage:",
        "no host named",
        "console: line",
        "not an integer",
    ]
    .into_iter()
    .find(|e| out.contains(e));
    check(
        bad.is_none(),
        &format!(
            "the console accepted every line (it says `{}`)",
            bad.unwrap_or("")
        ),
    )?;
    // At 1x a 500 us hop takes 2 s on screen: play at real time (the last speed).
    tab_to(b, "#speed", Dir::Back)?;
    let speed = |b: &Browser| -> Result<String> {
        Ok(b.js("return document.getElementById('speed').value;")?
            .as_str()
            .unwrap_or("")
            .to_string())
    };
    for _ in 0..8 {
        if speed(b)? == "1000000" {
            break;
        }
        b.keys(&[ARROW_DOWN])?;
    }
    check(
        speed(b)? == "1000000",
        &format!("arrow keys on #speed choose real time ({})", speed(b)?),
    )?;
    tab_to(b, "#play", Dir::Back)?;
    b.keys(&[SPACE])?;
    let all_pass = |b: &Browser| -> Result<bool> {
        Ok(b.js(
            "const l = Array.from(document.querySelectorAll('#lesson-checks li'));\
             return l.length > 0 && l.every(x => x.dataset.pass === 'true') && !!document.getElementById('lesson-done');",
        )?
        .as_bool()
            == Some(true))
    };
    let done = wait_until(90, || all_pass(b))?;
    if b.focus_is("#play")? {
        b.keys(&[SPACE])?; // pause
    }
    let checks = b.js(
        "return Array.from(document.querySelectorAll('#lesson-checks li')).map(x => x.dataset.pass + ' ' + x.textContent.trim());",
    )?;
    check(
        done,
        &format!("Space on #play until every check passes and #lesson-done shows ({checks})"),
    )?;
    b.screenshot(art, "lesson-arp-flux-zh")?;
    tab_to(b, "#lesson-next", Dir::Back)
}

/// Flow 2: 10 hops forward with `#step`, a frame in the inspector, 10 back with `#step-back`,
/// 10 forward again: the clock and the inspector read the same.
fn time_travel(b: &Browser, base: &str, _art: &Path) -> Result<()> {
    open(b, base, "#s=dr-lab", "#step")?;
    let step = |css: &str| -> Result<String> {
        b.click(css)?;
        std::thread::sleep(Duration::from_millis(30));
        clock(b)
    };
    // A few hops first, so that going back 10 never runs into the start.
    for _ in 0..5 {
        step("#step")?;
    }
    let c0 = clock(b)?;
    let fwd: Vec<String> = (0..10).map(|_| step("#step")).collect::<Result<_>>()?;
    let ms = |s: &str| {
        s.split_whitespace()
            .next()
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    check(
        std::iter::once(&c0)
            .chain(&fwd)
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| ms(w[1]) > ms(w[0])),
        &format!("every #step moves the clock forward ({c0} .. {})", fwd[9]),
    )?;
    let rec = b
        .js("const r = Array.from(document.querySelectorAll('tr.log-row')).map(r => Number(r.dataset.record));\
             return r.length ? String(Math.max(...r)) : null;")?
        .as_str()
        .ok_or_else(|| anyhow!("no row in the packet log after 15 hops"))?
        .to_string();
    let row = format!("tr.log-row[data-record='{rec}']");
    b.click(&row)?;
    b.wait_for("#inspector", 10)?;
    let ins1 = b.text("#inspector")?;
    let c1 = clock(b)?;
    let back: Vec<String> = (0..10).map(|_| step("#step-back")).collect::<Result<_>>()?;
    eprintln!("  forward: {}", fwd.join(", "));
    eprintln!("  back:    {}", back.join(", "));
    check(
        back.windows(2).all(|w| ms(&w[1]) < ms(&w[0])) && ms(&back[0]) < ms(&c1),
        "every #step-back moves the clock back",
    )?;
    eprintln!(
        "  10 x #step-back lands {} the clock before the 10 steps ({c0})",
        if back[9] == c0 { "on" } else { "NOT on" }
    );
    for _ in 0..10 {
        step("#step")?;
    }
    let c2 = clock(b)?;
    check(
        c2 == c1,
        &format!("10 x #step forward again: the clock reads {c1} again ({c2})"),
    )?;
    if !b.exists("#inspector")? {
        eprintln!(
            "  (the inspector closed while its frame was in the future; selecting row {rec} again)"
        );
        b.click(&row)?;
        b.wait_for("#inspector", 10)?;
    }
    let ins2 = b.text("#inspector")?;
    check(
        ins2 == ins1,
        &format!(
            "the inspector shows the same frame as before (`{}` / `{}`)",
            ins1.lines().next().unwrap_or(""),
            ins2.lines().next().unwrap_or("")
        ),
    )
}

/// Sets `#timeline` to `ms` simulated milliseconds (an `input` event seeks) and waits for
/// the clock to get there.
fn seek_timeline(b: &Browser, ms: u64) -> Result<()> {
    let v = b.js_args(
        "const t = document.getElementById('timeline'); if (!t) return null;\
         t.value = String(arguments[0]); t.dispatchEvent(new Event('input', {bubbles: true}));\
         return [t.min, t.max, t.value];",
        json!([ms]),
    )?;
    if v.is_null() {
        bail!("no #timeline");
    }
    let target = ms as f64;
    let there = wait_until(10, || Ok((b.number("#clock")? - target).abs() <= 1.0))?;
    check(
        there,
        &format!(
            "#timeline seeks to {ms} ms (min {}, max {}, value {}; the clock reads {})",
            v[0],
            v[1],
            v[2],
            clock(b)?
        ),
    )
}

fn vrrp_badge(b: &Browser, host: &str, inst: &str) -> Result<String> {
    Ok(b.text_now(&format!(
        "svg#topology .vrrp-badge[data-host=\"{host}\"][data-instance=\"{inst}\"]"
    ))?
    .unwrap_or_else(|| "(no badge)".into())
    .trim()
    .to_string())
}

fn vip_drawn_on(b: &Browser, host: &str, ip: &str) -> Result<bool> {
    Ok(b.js_args(
        "return Array.from(document.querySelectorAll('svg#topology g.node[data-host=\"' + arguments[0] + '\"] text.addr.vip'))\
           .some(t => t.textContent.includes(arguments[1]));",
        json!([host, ip]),
    )?
    .as_bool()
        == Some(true))
}

/// Clicks `#lesson-next` once it is enabled; the step number goes up.
fn click_next(b: &Browser) -> Result<()> {
    let step = lesson_step(b)?;
    let enabled = wait_until(60, || Ok(!disabled(b, "#lesson-next")?))?;
    check(enabled, &format!("#lesson-next is enabled on step {step}"))?;
    b.click("#lesson-next")?;
    let ok = wait_until(10, || Ok(lesson_step(b)? == step + 1))?;
    check(ok, &format!("on to step {}", step + 1))
}

/// Picks choice `i` with the mouse: the radio, or its label when the radio itself is drawn
/// hidden.
fn click_choice(b: &Browser, i: usize) -> Result<()> {
    if b.click(&format!("#choice-{i}")).is_err() {
        b.click(&format!("#lesson-predict label:nth-of-type({})", i + 1))?;
    }
    Ok(())
}

/// lessons/failover.toml and scenarios/ha-failover-nosync.toml.
const FAILOVER_VIP: &str = "10.23.8.80";

/// Flow 3: the failover lesson to the step after LD1 is powered off ("Show me"), then the
/// timeline scrubbed to before and after LD2's takeover (23.219 s).
fn failover_timeline(b: &Browser, base: &str, art: &Path) -> Result<()> {
    open(b, base, "#lesson=failover", "#lesson")?;
    b.click("#lesson-reveal")?; // step 1: play to 20 s
    click_next(b)?;
    click_choice(b, 2)?; // step 2: about 23.2 s
    b.wait_for("#lesson-feedback", 10)?;
    click_next(b)?;
    b.click("#lesson-show-me")?; // step 3: LD1 powered off, 4 s played
    let done = wait_until(30, || b.exists("#lesson-done"))?;
    check(done, "\"Show me\" powers LD1 off and the task is done")?;
    click_next(b)?;
    check(
        lesson_step(b)? == 4,
        "on the step after LD1 was powered off",
    )?;

    seek_timeline(b, 22_000)?;
    let badge = vrrp_badge(b, "ld2", "VI_1")?;
    check(
        badge.contains("BACKUP"),
        &format!("at 22 s ld2's VI_1 badge reads BACKUP ({badge})"),
    )?;
    check(
        !vip_drawn_on(b, "ld2", FAILOVER_VIP)?,
        &format!("at 22 s the VIP {FAILOVER_VIP} is not drawn on ld2"),
    )?;
    seek_timeline(b, 24_000)?;
    let badge = vrrp_badge(b, "ld2", "VI_1")?;
    check(
        badge.contains("MASTER"),
        &format!("at 24 s ld2's VI_1 badge reads MASTER ({badge})"),
    )?;
    check(
        vip_drawn_on(b, "ld2", FAILOVER_VIP)?,
        &format!("at 24 s the VIP {FAILOVER_VIP} is drawn on ld2"),
    )?;
    let report = wait_until(10, || b.exists("#failover-report"))?;
    check(
        report,
        "#failover-report is shown once the run is past the takeover",
    )?;
    eprintln!(
        "  report at 24 s: {}",
        b.text("#failover-report")?.replace('\n', " | ")
    );
    b.screenshot(art, "failover-takeover")?;

    // On to the timeouts of the lost connections (52 s): the report counts them.
    b.click("#lesson-reveal")?;
    click_next(b)?;
    click_choice(b, 2)?;
    b.wait_for("#lesson-feedback", 10)?;
    let v = b.js(
        "const t = document.getElementById('failover-report'); if (!t) return null;\
         const head = Array.from(t.querySelectorAll('th')).map(c => c.textContent.trim().toLowerCase());\
         const rows = Array.from(t.querySelectorAll('tr')).filter(r => r.querySelector('td')).map(r => Array.from(r.cells).map(c => c.textContent.trim()));\
         return {head, rows};",
    )?;
    if v.is_null() {
        bail!("FAILED: no #failover-report at 52 s");
    }
    let head: Vec<String> = serde_json::from_value(v["head"].clone()).unwrap_or_default();
    let rows: Vec<Vec<String>> = serde_json::from_value(v["rows"].clone()).unwrap_or_default();
    let col = |name: &str| head.iter().position(|h| h.contains(name));
    let num = |name: &str| -> Option<f64> {
        let i = col(name)?;
        rows.first()?
            .get(i)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let (est, surv, lost) = (num("established"), num("survived"), num("lost"));
    check(
        est.is_some_and(|x| x >= 15.0) && surv == Some(0.0) && lost.is_some_and(|x| x >= 15.0),
        &format!("at 52 s the report reads established {est:?}, survived {surv:?}, lost {lost:?} (head {head:?}, rows {rows:?})"),
    )
}

/// Types one console line (after clicking into the prompt) and waits for it in the output.
fn console_line(b: &Browser, line: &str) -> Result<String> {
    b.click("#console-input")?;
    b.type_into("#console-input", &format!("{line}\u{E007}"))?;
    let ran = wait_until(10, || {
        Ok(b.text_now("#console-output")?
            .unwrap_or_default()
            .contains(line))
    })?;
    check(ran, &format!("the console ran `{line}`"))?;
    Ok(b.text_now("#console-output")?.unwrap_or_default())
}

/// Flow 4: scenarios/testbed-nat.toml starts with an empty director (VIP 10.0.0.1, real
/// servers 192.168.10.11-13, client 10.0.0.100): a NAT service built in the console, one
/// `@connect` through it, one more request with `#send-request`.
fn testbed_console(b: &Browser, base: &str, art: &Path) -> Result<()> {
    open(b, base, "#s=testbed-nat", "#console-input")?;
    console_line(b, "-A -t 10.0.0.1:80 -s rr")?;
    console_line(b, "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m")?;
    console_line(b, "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.12:80 -m")?;
    let out = console_line(b, "ipvsadm -Ln")?;
    check(
        out.contains("TCP  10.0.0.1:80 rr")
            && out.contains("-> 192.168.10.11:80")
            && out.contains("-> 192.168.10.12:80")
            && out.contains("Masq"),
        "ipvsadm -Ln lists the service and both real servers (Masq)",
    )?;
    console_line(b, "@connect 10.0.0.100 10.0.0.1:80")?;
    let pick = |b: &Browser| -> Result<Option<String>> {
        Ok(b.js(
            "const m = document.getElementById('console-output').textContent.match(/10\\.0\\.0\\.100:\\d+ -> (\\S+)[^\\n]*/);\
             return m ? m[0] : null;",
        )?
        .as_str()
        .map(str::to_string))
    };
    let got = wait_until(15, || Ok(pick(b)?.is_some()))?;
    let line = pick(b)?.unwrap_or_default();
    check(
        got,
        &format!("@connect prints the connection's real server (`{line}`)"),
    )?;
    let server = line
        .split(" -> ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or("");
    check(
        server == "rs1" || server == "rs2",
        &format!("@connect was scheduled to a real server, not none (`{line}`)"),
    )?;
    let sent0 = b.number("#counter-sent")?;
    b.click("#send-request")?;
    let more = wait_until(10, || Ok(b.number("#counter-sent")? > sent0))?;
    let sent1 = b.number("#counter-sent")?;
    let errs = b.page_errors()?;
    b.screenshot(art, "testbed-console")?;
    check(
        more,
        &format!(
            "#send-request raises requests sent ({sent0} -> {sent1}){}",
            if errs.is_empty() {
                String::new()
            } else {
                format!("; the page says: {errs}")
            }
        ),
    )
}

/// The packet log's rows that are displayed, in page order.
fn visible_log_rows(b: &Browser) -> Result<Vec<Value>> {
    let v = b.js(
        "return Array.from(document.querySelectorAll('#packet-log tr.log-row')).filter(r => r.getClientRects().length > 0)\
           .map(r => ({rec: Number(r.dataset.record), node: r.dataset.node || '', dir: r.dataset.dir || '', text: r.textContent}));",
    )?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

fn is_arp_row(r: &Value) -> bool {
    let t = r["text"].as_str().unwrap_or("");
    t.contains("ARP who-has") || t.contains("ARP gratuitous") || t.contains(" is-at ")
}

/// Flow 5: scenarios/nat-lab.toml run to its end; the log's first page begins with the
/// oldest hop, and the client's (172.16.16.100) first SYN is its first TCP frame; hiding ARP
/// leaves no ARP row.
fn packet_log(b: &Browser, base: &str, art: &Path) -> Result<()> {
    const CLIENT: &str = "172.16.16.100";
    open(b, base, "#s=nat-lab", "#run-to-end")?;
    b.click("#run-to-end")?;
    b.click("#log-first")?;
    let have = wait_until(10, || Ok(!visible_log_rows(b)?.is_empty()))?;
    check(have, "the packet log has rows after the run")?;
    eprintln!("  #log-page: {}", b.text("#log-page")?.trim());
    let rows = visible_log_rows(b)?;
    let recs: Vec<i64> = rows
        .iter()
        .map(|r| r["rec"].as_i64().unwrap_or(-1))
        .collect();
    check(
        recs.windows(2).all(|w| w[0] < w[1]),
        &format!(
            "the first page runs oldest first (records {:?} ..)",
            &recs[..recs.len().min(8)]
        ),
    )?;
    let syn = rows.iter().position(|r| {
        let t = r["text"].as_str().unwrap_or("");
        t.contains(&format!("{CLIENT}:")) && t.contains("TCP [S]")
    });
    let Some(i) = syn else {
        bail!("FAILED: no SYN from the client {CLIENT} on the first page of the log");
    };
    let r = &rows[i];
    check(
        r["node"] == "client"
            && r["dir"] == "tx"
            && rows[..i]
                .iter()
                .all(|x| !x["text"].as_str().unwrap_or("").contains(" TCP [")),
        &format!(
            "the first TCP row is the client's SYN, sent by the client ({} {} `{}`)",
            r["node"],
            r["dir"],
            r["text"].as_str().unwrap_or("").trim()
        ),
    )?;
    check(
        rows.iter().any(is_arp_row),
        "ARP rows are listed before filtering",
    )?;
    b.click("#log-hide-arp")?;
    let hidden = wait_until(10, || Ok(!visible_log_rows(b)?.iter().any(is_arp_row)))?;
    let n = visible_log_rows(b)?.len();
    b.screenshot(art, "packet-log-no-arp")?;
    check(
        hidden && n > 0,
        &format!("with #log-hide-arp no visible row is ARP ({n} rows shown)"),
    )
}

/// axe.min.js from target/e2e-node (npm installs axe-core@4 there the first time); None
/// when npm is missing.
fn axe_source(art: &Path) -> Result<Option<String>> {
    let dir = art.parent().unwrap_or(art).join("e2e-node");
    let file = dir.join("node_modules/axe-core/axe.min.js");
    if !file.exists() {
        let npm = Command::new("npm")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !npm {
            eprintln!(
                "  SKIPPED: the accessibility audit needs axe-core and npm is not installed to fetch it \
                 (install npm, or put axe.min.js at {})",
                file.display()
            );
            return Ok(None);
        }
        eprintln!("  installing axe-core@4 into {} with npm", dir.display());
        std::fs::create_dir_all(&dir)?;
        let st = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("axe-core@4")
            .stdout(Stdio::null())
            .status()
            .context("running npm")?;
        if !st.success() || !file.exists() {
            bail!("npm install --prefix {} axe-core@4 failed", dir.display());
        }
    }
    Ok(Some(std::fs::read_to_string(&file)?))
}

/// Runs axe on the page as it is; prints every violation, returns the serious and critical.
fn axe_page(b: &Browser, axe: &str, page: &str) -> Result<Vec<String>> {
    let present = b.js("return typeof axe !== 'undefined';")?.as_bool() == Some(true);
    if !present {
        b.js_args(
            "const s = document.createElement('script'); s.textContent = arguments[0]; document.head.appendChild(s);",
            json!([axe]),
        )?;
    }
    let r = b.async_js(
        "const done = arguments[arguments.length - 1];\
         axe.run(document, {resultTypes: ['violations']})\
           .then(r => done({violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,\
                 nodes: v.nodes.length, target: v.nodes.length ? v.nodes[0].target.join(' ') : ''}))}))\
           .catch(e => done({error: String(e)}));",
        json!([]),
    )?;
    if let Some(e) = r["error"].as_str() {
        bail!("axe.run failed on {page}: {e}");
    }
    let mut bad = Vec::new();
    let vs = r["violations"].as_array().cloned().unwrap_or_default();
    for v in &vs {
        let impact = v["impact"].as_str().unwrap_or("");
        let line = format!(
            "{page}: {} [{impact}] {} ({} nodes; first: {})",
            v["id"].as_str().unwrap_or(""),
            v["help"].as_str().unwrap_or(""),
            v["nodes"],
            v["target"].as_str().unwrap_or("")
        );
        eprintln!("  axe {line}");
        if impact == "serious" || impact == "critical" {
            bad.push(line);
        }
    }
    eprintln!(
        "  axe {page}: {} violations, {} serious or critical",
        vs.len(),
        bad.len()
    );
    Ok(bad)
}

/// Flow 6: axe-core on each tab and on a lesson step with a prediction; serious and critical
/// violations fail.
fn axe_audit(b: &Browser, base: &str, art: &Path) -> Result<()> {
    let Some(axe) = axe_source(art)? else {
        return Ok(());
    };
    b.call("POST", "/timeouts", Some(json!({"script": 180_000})))?;
    let mut bad = Vec::new();
    open(b, base, "#s=dr-lab", "#play")?;
    for (tab, ready) in [
        ("#tab-lab", "#play"),
        ("#tab-compare", "#hop-table"),
        ("#tab-whatif", "#wi-run"),
    ] {
        b.click(tab)?;
        b.wait_for(ready, 30)?;
        std::thread::sleep(Duration::from_millis(300));
        bad.extend(axe_page(b, &axe, tab)?);
    }
    open(b, base, "#lesson=arp-flux&step=2", "#choice-0")?;
    bad.extend(axe_page(b, &axe, "lesson arp-flux step 2 (prediction)")?);
    check(
        bad.is_empty(),
        &format!(
            "no serious or critical axe violations:\n    {}",
            bad.join("\n    ")
        ),
    )
}

/// Flow 7: the zh-CN lesson at three window sizes: the lesson text, Play and the topology
/// all start within the first screen. The window size is restored after.
fn layout_screens(b: &Browser, base: &str, art: &Path) -> Result<()> {
    let orig = b.call("GET", "/window/rect", None)?;
    let r = layout_sizes(b, base, art);
    b.call(
        "POST",
        "/window/rect",
        Some(json!({"width": orig["width"], "height": orig["height"]})),
    )?;
    r
}

fn layout_sizes(b: &Browser, base: &str, art: &Path) -> Result<()> {
    let mut bad = Vec::new();
    for (w, h, projector, name) in [
        (1440, 900, false, "lesson-1440"),
        (1024, 768, true, "lesson-1024-projector"),
        (390, 844, false, "lesson-390"),
    ] {
        b.call(
            "POST",
            "/window/rect",
            Some(json!({"width": w, "height": h})),
        )?;
        open(b, base, "#lesson=arp-flux&lang=zh-CN", "#lesson")?;
        if projector {
            b.click("#projector")?;
            let on = wait_until(5, || {
                Ok(b.js(
                    "return document.getElementById('projector').getAttribute('aria-pressed');",
                )? == "true")
            })?;
            check(on, "#projector is pressed")?;
        }
        // Let the lesson's own scroll into view finish, then start from the top.
        std::thread::sleep(Duration::from_millis(600));
        b.js("window.scrollTo(0, 0);")?;
        std::thread::sleep(Duration::from_millis(200));
        let m = b.js(
            "const top = s => { const e = document.querySelector(s); if (!e) return null;\
               const r = e.getBoundingClientRect(); return r.height > 0 ? r.top : null; };\
             return {iw: window.innerWidth, ih: window.innerHeight, sy: window.scrollY,\
                     tops: [['#lesson-text', top('#lesson-text')], ['#play', top('#play')], ['svg#topology', top('svg#topology')]]};",
        )?;
        let ih = m["ih"].as_f64().unwrap_or(0.0);
        eprintln!(
            "  {w}x{h}{}: viewport {}x{ih}, scrollY {}, tops {}",
            if projector { " projector" } else { "" },
            m["iw"],
            m["sy"],
            m["tops"]
        );
        b.screenshot(art, name)?;
        for t in m["tops"].as_array().cloned().unwrap_or_default() {
            let what = t[0].as_str().unwrap_or("");
            // Text and controls must start on screen; of the diagram at least a useful
            // part must show (its top 120 px: hosts, not a sliver of its border).
            let room = if what == "svg#topology" { 120.0 } else { 0.0 };
            match t[1].as_f64() {
                Some(y) if y >= 0.0 && y + room < ih => {}
                y => bad.push(format!(
                    "{w}x{h}: {what} top {y:?} leaves less than {room} px within the viewport height {ih}"
                )),
            }
        }
    }
    check(
        bad.is_empty(),
        &format!(
            "the lesson text, #play and the topology start within the first screen at every size{}",
            if bad.is_empty() {
                String::new()
            } else {
                format!(":\n    {}", bad.join("\n    "))
            }
        ),
    )
}

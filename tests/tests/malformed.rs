//! Bad scenario files get an error with file, line, column, field path and what was
//! expected, a non-zero exit status, and never a panic.

use crate::support::{lvslab_run, tmp};

fn nat_with(from: &str, to: &str) -> String {
    let text = lvslab_sim::bundled::find("nat-lab").unwrap().text;
    assert!(text.contains(from), "fixture text `{from}` not found");
    text.replacen(from, to, 1)
}

/// Writes the text, runs `lvslab check` and `lvslab run` on it, returns check's stderr+stdout.
fn rejected(name: &str, text: &str) -> String {
    let p = tmp(name);
    std::fs::write(&p, text).unwrap();
    let ps = p.to_str().unwrap();
    let (code, out, err) = lvslab_run(&["check", ps]);
    assert_eq!(code, 1, "check must fail: {out}{err}");
    let (rcode, _, rerr) = lvslab_run(&["run", ps]);
    assert_eq!(rcode, 1, "run must fail: {rerr}");
    assert!(!rerr.contains("panicked"), "{rerr}");
    format!("{out}{err}")
}

#[test]
fn wrong_type_names_line_column_and_path() {
    let out = rejected("bad-type.toml", &nat_with("rate = 20", "rate = \"fast\""));
    assert!(out.contains("bad-type.toml:"), "{out}");
    assert!(out.contains("workload[0].rate"), "{out}");
    assert!(out.contains("invalid type"), "{out}");
    let line = nat_with("rate = 20", "rate = \"fast\"")
        .lines()
        .position(|l| l.contains("rate = \"fast\""))
        .unwrap()
        + 1;
    assert!(
        out.contains(&format!(":{line}:")),
        "line {line} expected in {out}"
    );
}

#[test]
fn unknown_field_is_rejected_with_the_accepted_names() {
    let out = rejected(
        "bad-field.toml",
        &nat_with("arrival = \"poisson\"", "arival = \"poisson\""),
    );
    assert!(out.contains("unknown field `arival`"), "{out}");
    assert!(out.contains("arrival"), "{out}");
}

#[test]
fn bad_address_is_located() {
    let out = rejected(
        "bad-addr.toml",
        &nat_with("172.16.16.100/24", "172.16.16.300/24"),
    );
    assert!(out.contains("host[0].iface[0].addrs[0]"), "{out}");
    assert!(out.contains("172.16.16.300"), "{out}");
}

#[test]
fn bad_ipvsadm_rule_is_located_on_its_line() {
    let text = nat_with(
        "-r 192.168.10.103:80 -m -w 1",
        "-r 192.168.10.103:80 -m -w -1",
    );
    let out = rejected("bad-rule.toml", &text);
    let line = text.lines().position(|l| l.contains("-w -1")).unwrap() + 1;
    assert!(
        out.contains(&format!(":{line}:1:")),
        "line {line} expected in {out}"
    );
    assert!(out.contains("illegal weight specified"), "{out}");
}

#[test]
fn dr_port_mapping_is_an_error() {
    let text = lvslab_sim::bundled::find("dr-lab").unwrap().text.replacen(
        "-r 10.0.0.12 -g",
        "-r 10.0.0.12:8080 -g",
        1,
    );
    let out = rejected("bad-dr.toml", &text);
    assert!(
        out.contains("port mapping (80 -> 8080) is impossible with DR"),
        "{out}"
    );
}

#[test]
fn syntax_errors_and_garbage_never_panic() {
    for (i, t) in [
        "[scenario\nname=",
        "\u{0}\u{1}garbage",
        "",
        "[scenario]\nname = 1",
        "[[host]]\nname=\"x\"\nrole=\"wizard\"",
    ]
    .iter()
    .enumerate()
    {
        let out = rejected(&format!("garbage-{i}.toml"), t);
        assert!(out.contains("error"), "{out}");
    }
}

#[test]
fn missing_file_is_a_clear_error() {
    let (code, _, err) = lvslab_run(&["run", "does/not/exist.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read does/not/exist.toml"), "{err}");
}

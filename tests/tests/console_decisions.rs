//! `lvslab run --decisions FILE.jsonl`: one JSON line per scheduling decision with the time,
//! the client address and port, the virtual service, the real server chosen (or null) and
//! the reason.

use crate::support::{lvslab_run, root, tmp};

#[test]
fn decisions_file_has_time_client_service_dest_or_null_and_reason() {
    let base = std::fs::read_to_string(root().join("scenarios/testbed-nat.toml")).unwrap();
    let text = base.replace(
        "[host.ipvs]\n",
        "[host.ipvs]\nrules = \"\"\"\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m\n-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m\n-A -t 10.0.0.1:81 -s wlc\n-a -t 10.0.0.1:81 -r 192.168.10.13:81 -m -w 0\n\"\"\"\n",
    ) + "\n[[workload]]\nclient = \"client\"\ntarget = \"10.0.0.1:80\"\narrival = \"sequential\"\nconnections = 4\nsources = [\"10.0.0.101-10.0.0.102\"]\n\n[[workload]]\nclient = \"client\"\ntarget = \"10.0.0.1:81\"\narrival = \"sequential\"\nconnections = 1\nstart = \"1s\"\n";
    let sc = tmp("decisions.toml");
    std::fs::write(&sc, text).unwrap();
    let out = tmp("decisions.jsonl");
    let (code, stdout, stderr) = lvslab_run(&[
        "run",
        sc.to_str().unwrap(),
        "--quiet",
        "--decisions",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    let mut seen_ports = std::collections::BTreeSet::new();
    for (i, d) in lines.iter().enumerate() {
        for k in [
            "t", "director", "client", "cport", "service", "dest", "reason",
        ] {
            assert!(d.get(k).is_some(), "line {i} lacks {k}: {d}");
        }
        assert!(d["t"].as_f64().unwrap() >= 0.0);
        assert_eq!(d["director"], "director");
        assert!(d["cport"].as_u64().unwrap() >= 32768);
        seen_ports.insert(d["cport"].as_u64().unwrap());
        assert!(!d["reason"].as_str().unwrap().is_empty());
    }
    assert_eq!(seen_ports.len(), 5, "every connection has its own port");
    // rr alternates the two servers, newest first, from the two source addresses.
    let dests: Vec<&str> = lines[..4]
        .iter()
        .map(|d| d["dest"].as_str().unwrap())
        .collect();
    assert_eq!(
        dests,
        [
            "192.168.10.12:80",
            "192.168.10.11:80",
            "192.168.10.12:80",
            "192.168.10.11:80"
        ]
    );
    let clients: Vec<&str> = lines[..4]
        .iter()
        .map(|d| d["client"].as_str().unwrap())
        .collect();
    assert_eq!(
        clients,
        ["10.0.0.101", "10.0.0.102", "10.0.0.101", "10.0.0.102"]
    );
    assert!(lines[..4].iter().all(|d| d["service"] == "-t 10.0.0.1:80"));
    assert!(lines[..4].iter().all(|d| d["reason"] == "scheduled by rr"));
    let last = &lines[4];
    assert!(last["dest"].is_null(), "{last}");
    assert_eq!(last["reason"], "no destination available");
    assert_eq!(last["service"], "-t 10.0.0.1:81");
    assert_eq!(last["client"], "10.0.0.100");
    assert!(last["t"].as_f64().unwrap() >= 1.0);
}

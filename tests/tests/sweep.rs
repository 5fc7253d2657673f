//! `lvslab sweep`: the same sweep gives the same CSV bytes from one thread, from two, and
//! from three merged shards; bad sweep files are located errors.

use std::path::Path;
use std::process::Command;

fn lvslab() -> Command {
    Command::new(crate::support::lvslab())
}

const SWEEP: &str = r#"
slo = ["p99 < 50ms"]

[sweep]
name = "small"
base = "capacity-dr-10rs"
repetitions = 2

[[param]]
path = "workload.rate"
values = [2000, 6000]

[[param]]
path = "ipvs.scheduler"
values = ["rr", "wlc"]

[[param]]
path = "workload.connections"
values = [1500]

[knee]
param = "workload.rate"
low = 1000
high = 9000
precision = 0.05
"#;

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = lvslab().args(args).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn one_thread_two_threads_and_merged_shards_write_the_same_bytes() {
    let dir = std::env::temp_dir().join(format!("lvslab-sweep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s.toml"), SWEEP).unwrap();
    run(&dir, &["sweep", "s.toml", "-q", "-j", "1", "-o", "one"]);
    run(&dir, &["sweep", "s.toml", "-q", "-j", "2", "-o", "two"]);
    for i in 0..3 {
        run(
            &dir,
            &[
                "sweep",
                "s.toml",
                "-q",
                "--shard",
                &format!("{i}/3"),
                "-o",
                &format!("shard{i}"),
            ],
        );
    }
    let out = run(
        &dir,
        &[
            "sweep", "merge", "shard0", "shard1", "shard2", "-o", "merged",
        ],
    );
    let read = |d: &str, f: &str| std::fs::read(dir.join(d).join(f)).unwrap();
    for f in ["rows.csv", "knee.csv", "sweep.json"] {
        assert_eq!(read("one", f), read("two", f), "{f}: 1 vs 2 threads");
        assert_eq!(
            read("one", f),
            read("merged", f),
            "{f}: single run vs merged shards"
        );
    }
    let csv = String::from_utf8(read("one", "rows.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 2 * 2, "{csv}");
    assert!(csv.lines().next().unwrap().contains("p99_ms"));
    // wlc follows the weights: its knee is well above rr's.
    let knee = String::from_utf8(read("one", "knee.csv")).unwrap();
    let rate = |s: &str| -> f64 {
        let l = knee
            .lines()
            .find(|l| l.contains(&format!(",{s},")))
            .unwrap();
        l.split(',').nth(3).unwrap().parse().unwrap()
    };
    assert!(rate("wlc") > rate("rr") * 1.5, "{knee}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("knee"));
    for chart in [
        "latency.svg",
        "throughput.svg",
        "failures.svg",
        "share.svg",
        "inactconn.svg",
    ] {
        assert!(dir.join("merged").join(chart).exists(), "{chart}");
    }
    // A shard missing is refused.
    let bad = lvslab()
        .args(["sweep", "merge", "shard0", "shard2", "-o", "bad"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("missing"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_sweeps_are_located_errors() {
    let dir = std::env::temp_dir().join(format!("lvslab-sweep-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &str); 5] = [
        ("[sweep]\nname = \"x\"\nbase = \"nat-lab\"\nrepetitons = 2\n", "unknown field"),
        ("[sweep]\nname = \"x\"\nbase = \"nat-lab\"\n[[param]]\npath = \"workload.rat\"\nvalues = [1]\n", "rat"),
        ("[sweep]\nname = \"x\"\nbase = \"nat-lab\"\n[[param]]\npath = \"host.time_wait\"\nvalues = [\"1s\"]\n", "select one"),
        ("[sweep]\nname = \"x\"\nbase = \"nat-lab\"\n[[param]]\npath = \"workload.rate\"\nrange = { from = 10, to = 1, step = 1 }\n", "below"),
        ("[sweep]\nname = \"x\"\nbase = \"no-such\"\n", "no-such"),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let f = dir.join(format!("bad{i}.toml"));
        std::fs::write(&f, text).unwrap();
        let out = lvslab()
            .args(["sweep", f.to_str().unwrap(), "-q", "-o"])
            .arg(dir.join("o"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(want), "case {i}: {err}");
        assert!(!err.contains("panicked"), "case {i}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

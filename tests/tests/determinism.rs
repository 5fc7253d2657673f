//! Same scenario and seed: the same trace, byte for byte. Another seed: other times.

use crate::support::{lvslab_run, tmp};

#[test]
fn same_seed_gives_byte_identical_traces_and_another_seed_differs() {
    let a = tmp("det-a.jsonl");
    let b = tmp("det-b.jsonl");
    let c = tmp("det-c.jsonl");
    for (p, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let (code, _, err) = lvslab_run(&[
            "run",
            "nat-lab",
            "--seed",
            seed,
            "--quiet",
            "--trace",
            p.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let (ta, tb, tc) = (
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        std::fs::read(&c).unwrap(),
    );
    assert!(ta.len() > 10_000);
    assert_eq!(ta, tb, "same seed, different traces");
    assert_ne!(ta, tc);
    // The arrival times differ: the times of the client's SYNs.
    let syn_times = |t: &[u8]| -> Vec<u64> {
        String::from_utf8_lossy(t)
            .lines()
            .filter(|l| {
                l.contains("\"node\":\"client\"")
                    && l.contains("\"dir\":\"tx\"")
                    && l.contains("\"flags\":\"S\"")
            })
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["t"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let (sa, sc) = (syn_times(&ta), syn_times(&tc));
    assert_eq!(sa.len(), 60);
    assert_ne!(sa, sc, "another seed must move the arrivals");
}

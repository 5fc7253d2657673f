//! The simulator against queueing theory, in connection-level bulk mode (the real IPVS, the
//! real server's workers, FCFS queue and service times, Poisson arrivals).
//!
//! * Erlang C: Poisson arrivals, exponential service, c = 4 workers on one real server: the
//!   mean wait for a worker (Wq) and the probability of waiting (P_wait) at ρ = 0.5, 0.8
//!   and 0.95.
//! * M/M/1 (c = 1): the mean sojourn time (wait + service) is 1/(μ − λ), at ρ = 0.5 and 0.8.
//! * Little's law on the director: InActConn in steady state is the arrival rate times the
//!   time a finished DR connection stays in the table (the FIN_WAIT timeout).
//!
//! How the queueing runs are judged. Every request of the run is counted, from an empty
//! system to the last answer (nothing is discarded: the bias of starting empty is 0.1 -
//! 0.2% of Wq at ρ = 0.95 with these run lengths, less below). The theory is evaluated at the
//! load the run actually offered: λ̂ = (n − 1) / (time of the n-th arrival) and
//! μ̂ = n / (sum of the service times), and `check_inputs` asserts first that λ̂ and μ̂ are
//! the configured rates (within 4.5 standard deviations of a mean of n exponential draws,
//! i.e. 4.5/√n relative: 0.24% for 3.5 M connections). Conditioning on the realized
//! inputs is a control variate: near saturation most of the run-to-run noise of the mean
//! wait comes from the sampled load itself (dWq/Wq ≈ (dρ/ρ)/(1 − ρ), twenty times the
//! load's own noise at ρ = 0.95), not from the queueing, and removing it cuts the
//! variance by 35 - 60% (table below). The value against the nominal load is printed beside it.
//!
//! Precision. The relative standard deviation σ of each estimate, measured with an
//! independent M/M/c simulation (Kiefer-Wolfowitz recursion, 100 replications of runs of
//! exactly these lengths, started empty):
//!
//! | case              | n         | Wq or W, realized load | P_wait | Wq or W, nominal load |
//! |-------------------|-----------|------------------------|--------|-----------------------|
//! | M/M/4, ρ = 0.5    |   400 000 | 1.45% (Wq)             | 0.61%  | 1.80%                 |
//! | M/M/4, ρ = 0.8    |   600 000 | 1.40% (Wq)             | 0.17%  | 1.89%                 |
//! | M/M/4, ρ = 0.95   | 3 500 000 | 1.56% (Wq)             | 0.03%  | 2.41%                 |
//! | M/M/1, ρ = 0.5    |   100 000 | 0.69% (W)              | 0.34%  | 1.05%                 |
//! | M/M/1, ρ = 0.8    |   300 000 | 1.20% (W)              | 0.10%  | 1.88%                 |
//!
//! So the 5% limit is at least 3.2 σ everywhere (the σ of each check is printed with it).
//! Near saturation the relaxation time grows like 1/(1 − √ρ)², and n·σ² grows like
//! 1/(1 − ρ)²: for M/M/4 at ρ = 0.95, n·σ² ≈ 850 (realized load) or ≈ 2 000 (nominal), so
//! a 3 σ margin for 5% needs ≈ 3 M connections against the realized load but ≈ 7 M against
//! the nominal one (about 40 s on its own). 3.5 M is the largest run that keeps this file
//! near its budget. M/M/1 at ρ = 0.95 would need another ≈ 3 M connections for the same
//! margin, so it is left out (0.5 and 0.8 converge well within the budget).
//!
//! Cost: about 5.1 M connections in all (bulk mode runs 150 000 - 200 000 per second in
//! the test profile: 25 - 35 s of CPU; the 0.95 run alone 18 - 23 s and ~300 MB, as the
//! bulk engine keeps one small record per connection).

use lvslab_sim::scenario::Scenario;
use lvslab_sim::{SimTime, Simulation};

/// Mean service time of the queueing runs, and μ = 1 / 10 ms.
const MEAN_SERVICE: &str = "10ms";
const MU: f64 = 100.0;
/// The real server's name and port (the queue statistics' key).
const RS: &str = "rs1";
const PORT: u16 = 80;
/// The limit of the queueing checks (relative).
const TOLERANCE: f64 = 0.05;

/// One LAN, no router hop (like the what-if base `web-app/src/whatif-dr.toml`): a client
/// with 100 source addresses, a DR director, one real server.
struct Lab<'a> {
    workers: u32,
    /// The TOML value of the server's `service_time`.
    service_time: &'a str,
    /// Poisson arrivals per second.
    rate: f64,
    connections: u64,
    /// `ipvsadm --set`'s tcpfin: the FIN_WAIT timeout, seconds.
    tcpfin: u32,
    /// The client's request timeout.
    timeout: &'a str,
}

fn lab_toml(l: &Lab) -> String {
    // Source addresses, each configured on the client: 100 sources x 14 114 ports per
    // source before a port comes back, long after its entry left the director's table.
    let sources: Vec<String> = (101..=200).map(|i| format!("\"10.0.0.{i}/24\"")).collect();
    let sources = sources.join(", ");
    format!(
        r#"[scenario]
name = "queueing-theory"
title = "Queueing theory: one real server behind a DR director"
kind = "what-if"
seed = 1
duration = "1000000s"

[[segment]]
name = "lan"
latency = "100us"

[[host]]
name = "client"
role = "client"
iface = [{{ name = "eth0", segment = "lan", addrs = ["10.0.0.100/24", {sources}] }}]

[[host]]
name = "director"
role = "director"
iface = [{{ name = "eth0", segment = "lan", addrs = ["10.0.0.2/24", "10.0.0.10/32"] }}]
[host.ipvs]
rules = """
ipvsadm -A -t 10.0.0.10:80 -s rr
ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.11 -g -w 1
"""
timeouts = [900, {tcpfin}, 300]

[[host]]
name = "{RS}"
role = "real-server"
iface = [
  {{ name = "eth0", segment = "lan", addrs = ["10.0.0.11/24"] }},
  {{ name = "lo", addrs = ["10.0.0.10/32"] }},
]
sysctl = {{ "net.ipv4.conf.all.arp_ignore" = 1, "net.ipv4.conf.all.arp_announce" = 2 }}
server = [{{ port = {PORT}, workers = {workers}, backlog = 100000, service_time = {service_time} }}]

[[workload]]
name = "load"
client = "client"
target = "10.0.0.10:80"
arrival = "poisson"
rate = {rate:.1}
connections = {connections}
timeout = "{timeout}"
sources = ["10.0.0.101-10.0.0.200"]
"#,
        workers = l.workers,
        service_time = l.service_time,
        rate = l.rate,
        connections = l.connections,
        tcpfin = l.tcpfin,
        timeout = l.timeout,
    )
}

/// Parses and builds the lab with `seed`, in bulk mode.
fn bulk_sim(text: &str, seed: u64) -> Simulation {
    let sc = Scenario::parse("queueing-theory.toml", text)
        .unwrap_or_else(|d| panic!("the lab does not parse: {d:?}\n{text}"));
    let (mut sim, _warnings) = sc
        .build(Some(seed))
        .unwrap_or_else(|d| panic!("the lab does not build: {d:?}\n{text}"));
    sim.use_bulk_mode().expect("bulk mode");
    sim
}

/// Erlang C: the probability that an arrival waits in M/M/c with an offered load of
/// a = λ/μ erlangs (a < c). Through Erlang B's recursion B(k) = a·B(k−1) / (k + a·B(k−1)),
/// B(0) = 1, then C = c·B / (c − a·(1 − B)) — the same value as
/// C = [aᶜ/c! · c/(c−a)] / [Σ_{k<c} aᵏ/k! + aᶜ/c! · c/(c−a)], without its large terms.
fn erlang_c(c: u32, a: f64) -> f64 {
    assert!(
        a > 0.0 && a < c as f64,
        "Erlang C needs 0 < a < c (a = {a}, c = {c})"
    );
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

/// M/M/c: (P_wait, Wq in seconds) with P_wait = C(c, λ/μ) and Wq = P_wait / (cμ − λ).
fn mmc(c: u32, lambda: f64, mu: f64) -> (f64, f64) {
    let p = erlang_c(c, lambda / mu);
    (p, p / (c as f64 * mu - lambda))
}

fn rel(got: f64, want: f64) -> f64 {
    (got - want) / want
}

/// What a queueing run measured.
struct Measured {
    n: u64,
    /// Realized arrival rate: (n − 1) / time of the n-th arrival (the first is at 0).
    lambda_hat: f64,
    /// Realized service rate: n / sum of the service times.
    mu_hat: f64,
    /// Mean wait for a worker, seconds.
    wq: f64,
    /// Fraction of the requests that waited.
    p_wait: f64,
    /// Mean wait + service, seconds.
    sojourn: f64,
}

/// Runs `n` Poisson connections at `rate` per second to one real server with `workers`
/// workers and exponential service (mean 10 ms), until every request has been answered.
fn run_queue(workers: u32, rate: f64, n: u64, seed: u64) -> Measured {
    let service = format!("{{ dist = \"exponential\", mean = \"{MEAN_SERVICE}\" }}");
    let text = lab_toml(&Lab {
        workers,
        service_time: &service,
        rate,
        connections: n,
        // Finished entries leave the table 10 s after their last packet (a small table).
        tcpfin: 10,
        // No request may time out, however long the queue gets (it is asserted below).
        timeout: "600s",
    });
    let mut sim = bulk_sim(&text, seed);
    // Step event by event to catch the time of the n-th arrival (for λ̂).
    let mut last_arrival: Option<SimTime> = None;
    while sim.workloads[0].finished < n {
        if sim.step().is_none() {
            panic!(
                "the run ran out of events with {} of {n} requests finished",
                sim.workloads[0].finished
            );
        }
        if last_arrival.is_none() && sim.world.metrics.requests_sent == n {
            last_arrival = Some(sim.now());
        }
    }
    let m = &sim.world.metrics;
    assert_eq!(
        m.requests_failed, 0,
        "no request may fail or time out: {:?}",
        m.failures
    );
    assert_eq!(
        m.server_counters(RS, PORT).syn_dropped,
        0,
        "the backlog must never overflow"
    );
    let q = m
        .queueing
        .get(&(RS.to_string(), PORT))
        .expect("queue statistics of rs1:80");
    assert_eq!(q.started, n, "every request began service once");
    assert!(q.waited <= q.started);
    let t_n = last_arrival
        .expect("the n-th arrival was seen")
        .as_secs_f64();
    let started = q.started as f64;
    let wait_s = q.wait_ns as f64 / 1e9;
    let service_s = q.service_ns as f64 / 1e9;
    Measured {
        n,
        lambda_hat: (n - 1) as f64 / t_n,
        mu_hat: started / service_s,
        wq: wait_s / started,
        p_wait: q.waited as f64 / started,
        sojourn: (wait_s + service_s) / started,
    }
}

/// The run's realized λ̂ and μ̂ are the configured λ and μ: the mean of n exponential draws
/// has a relative standard deviation of 1/√n; the limit is 4.5 of those.
fn check_inputs(label: &str, m: &Measured, lambda: f64, mu: f64) {
    let sd = 1.0 / (m.n as f64).sqrt();
    for (what, got, want) in [
        ("arrival rate λ", m.lambda_hat, lambda),
        ("service rate μ", m.mu_hat, mu),
    ] {
        let e = rel(got, want);
        eprintln!(
            "{label}: realized {what} {got:.4}/s vs configured {want:.4}/s: {:+.3}% ({:+.1} σ)",
            e * 100.0,
            e / sd
        );
        assert!(
            e.abs() < 4.5 * sd,
            "{label}: realized {what} {got:.4}/s vs configured {want:.4}/s: relative error \
             {:+.3}% = {:+.1} σ (limit ±{:.3}% = 4.5 σ of a mean of {} exponential draws)",
            e * 100.0,
            e / sd,
            4.5 * sd * 100.0,
            m.n
        );
    }
}

/// One checked quantity: the simulated value against the theory at the realized load
/// (asserted within `TOLERANCE`) and at the nominal load (printed). `scale` and `unit`
/// only format the message (1000, "ms" for times).
struct Check<'a> {
    label: &'a str,
    what: &'a str,
    sim: f64,
    theory: f64,
    nominal: f64,
    /// Relative standard deviation of this estimate (see the table at the top).
    sigma: f64,
    scale: f64,
    unit: &'a str,
}

impl Check<'_> {
    fn assert(&self) {
        let e = rel(self.sim, self.theory);
        let en = rel(self.sim, self.nominal);
        let s = self.scale;
        let msg = format!(
            "{}: {} simulated {:.5}{u} vs theory {:.5}{u} at the realized load: relative error \
             {:+.2}% ({:+.1} σ, σ ≈ {:.2}%; limit ±{:.0}%); theory at the nominal load {:.5}{u}: \
             {:+.2}%",
            self.label,
            self.what,
            self.sim * s,
            self.theory * s,
            e * 100.0,
            e / self.sigma,
            self.sigma * 100.0,
            TOLERANCE * 100.0,
            self.nominal * s,
            en * 100.0,
            u = self.unit,
        );
        eprintln!("{msg}");
        assert!(e.abs() < TOLERANCE, "{msg}");
    }
}

/// M/M/4 with μ = 100/s: `rate` = λ = ρ·4·μ.
fn erlang_c_case(rate: f64, n: u64, seed: u64, sigma_wq: f64, sigma_p: f64) {
    const C: u32 = 4;
    let rho = rate / (C as f64 * MU);
    let label = format!("M/M/{C}, ρ = {rho:.2}, {n} connections, seed {seed}");
    let m = run_queue(C, rate, n, seed);
    check_inputs(&label, &m, rate, MU);
    let (p_th, wq_th) = mmc(C, m.lambda_hat, m.mu_hat);
    let (p_nom, wq_nom) = mmc(C, rate, MU);
    Check {
        label: &label,
        what: "mean wait for a worker Wq",
        sim: m.wq,
        theory: wq_th,
        nominal: wq_nom,
        sigma: sigma_wq,
        scale: 1000.0,
        unit: " ms",
    }
    .assert();
    Check {
        label: &label,
        what: "probability of waiting P_wait",
        sim: m.p_wait,
        theory: p_th,
        nominal: p_nom,
        sigma: sigma_p,
        scale: 1.0,
        unit: "",
    }
    .assert();
}

/// M/M/1 with μ = 100/s: `rate` = λ = ρ·μ.
fn mm1_case(rate: f64, n: u64, seed: u64, sigma_w: f64, sigma_p: f64) {
    let rho = rate / MU;
    let label = format!("M/M/1, ρ = {rho:.2}, {n} connections, seed {seed}");
    let m = run_queue(1, rate, n, seed);
    check_inputs(&label, &m, rate, MU);
    Check {
        label: &label,
        what: "mean sojourn time W = 1/(μ − λ)",
        sim: m.sojourn,
        theory: 1.0 / (m.mu_hat - m.lambda_hat),
        nominal: 1.0 / (MU - rate),
        sigma: sigma_w,
        scale: 1000.0,
        unit: " ms",
    }
    .assert();
    // Erlang C with one worker: an arrival waits with probability ρ.
    Check {
        label: &label,
        what: "probability of waiting P_wait = ρ",
        sim: m.p_wait,
        theory: m.lambda_hat / m.mu_hat,
        nominal: rho,
        sigma: sigma_p,
        scale: 1.0,
        unit: "",
    }
    .assert();
}

#[test]
fn erlang_c_formula_matches_known_values() {
    // One worker: P_wait = ρ.
    for a in [0.1, 0.5, 0.95] {
        assert!(
            (erlang_c(1, a) - a).abs() < 1e-12,
            "C(1, {a}) = {}",
            erlang_c(1, a)
        );
    }
    // C(2, 1) = 1/3 and C(4, 2) = 4/23 (from the closed form).
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    assert!((erlang_c(4, 2.0) - 4.0 / 23.0).abs() < 1e-12);
    // M/M/1: Wq = ρ / (μ − λ).
    let (p, wq) = mmc(1, 80.0, 100.0);
    assert!((p - 0.8).abs() < 1e-12 && (wq - 0.8 / 20.0).abs() < 1e-12);
}

#[test]
fn erlang_c_four_workers_at_load_0_5() {
    erlang_c_case(200.0, 400_000, 11, 0.0145, 0.0061);
}

#[test]
fn erlang_c_four_workers_at_load_0_8() {
    erlang_c_case(320.0, 600_000, 12, 0.0140, 0.0017);
}

#[test]
fn erlang_c_four_workers_at_load_0_95() {
    // The long pole of this file: 3.5 M connections, ~9 200 s simulated.
    erlang_c_case(380.0, 3_500_000, 13, 0.0156, 0.0003);
}

#[test]
fn mm1_sojourn_time_at_load_0_5() {
    mm1_case(50.0, 100_000, 21, 0.0069, 0.0034);
}

#[test]
fn mm1_sojourn_time_at_load_0_8() {
    mm1_case(80.0, 300_000, 22, 0.0120, 0.0010);
}

/// Little's law on the director: the time average of InActConn is λ times the time a
/// connection spends counted as inactive.
///
/// Which state and which timeout: with DR the director sees only the client's packets, so
/// the entry keeps NOOUTPUT and moves through the INPUT-ONLY rows of the TCP state table
/// (`ipvs/proto.rs`): SYN -> SYN_RECV, ACK -> ESTABLISHED, the client's FIN -> FIN_WAIT,
/// and the client's last ACKs leave it in FIN_WAIT. It never reaches TIME_WAIT (that needs
/// the server's FIN, seen only by NAT; TIME_WAIT is 120 s and `--set` cannot change it).
/// FIN_WAIT is not an active state, so the connection is in InActConn from the client's FIN
/// until its FIN_WAIT timer (tcpfin, set to T = 10 s here; re-armed by every packet,
/// `conn_put`) runs out after the last packet, the final ACKs; the timer is exact (an
/// expiry heap, no timer-wheel slack).
///
/// The time between the FIN and the final ACKs, in bulk mode on this one LAN (100 µs per
/// hop): the ACK, request and FIN reach the director together (t0 + 400 µs); the request
/// reaches the server 100 µs later, waits W and is served for S, the answer reaches the
/// client 100 µs later and its last ACKs the director 100 µs after that. So a connection is
/// inactive for T + 0.3 ms + W + S, with S = 0.2 ms (constant) and W = 0 (64 workers for an
/// offered load of 2 000/s x 0.2 ms = 0.4 erlang: all 64 are never busy), and
/// E[InActConn] = λ·(T + 0.5 ms). (The 0.5 ms is 0.005% of the value; the active part,
/// SYN to FIN = 0.3 ms, gives ActiveConn ≈ λ·0.3 ms = 0.6, printed.)
///
/// Precision: InActConn(t) counts the arrivals of a window of length T, so over an
/// averaging window L ≫ T its time average has a relative standard deviation of about
/// 1/√(λL) = 0.29% for λ = 2 000/s and L = 60 s: the 2% limit is ~7 σ.
#[test]
fn littles_law_inactconn_is_the_arrival_rate_times_the_fin_wait_timeout() {
    const RATE: f64 = 2000.0;
    const T_FIN: u32 = 10;
    const WARMUP_S: u64 = 30; // 3 timeouts: the count is stationary after T + 1 ms
    const SAMPLES: u64 = 600; // every 100 ms for 60 s (6 timeouts)
    const EVERY_NS: u64 = 100_000_000;
    let text = lab_toml(&Lab {
        workers: 64,
        service_time: "\"200us\"",
        rate: RATE,
        // ~100 s of arrivals: they go on past the end of the window (90 s).
        connections: 200_000,
        tcpfin: T_FIN,
        timeout: "10s",
    });
    let mut sim = bulk_sim(&text, 7);
    let d = sim.host_index("director").expect("the director");
    let start = SimTime::from_secs(WARMUP_S);
    sim.run_until(start);
    let (mut active_sum, mut inactive_sum) = (0u64, 0u64);
    for k in 1..=SAMPLES {
        sim.run_until(SimTime(start.0 + k * EVERY_NS));
        let (active, inactive) = sim.hosts[d]
            .ipvs
            .as_ref()
            .expect("the director runs IPVS")
            .conn_counts();
        active_sum += active;
        inactive_sum += inactive;
    }
    let m = &sim.world.metrics;
    assert!(
        m.requests_sent < 200_000,
        "the arrivals must go on to the end of the window ({} sent)",
        m.requests_sent
    );
    assert_eq!(m.requests_failed, 0, "{:?}", m.failures);
    let mean_active = active_sum as f64 / SAMPLES as f64;
    let mean_inactive = inactive_sum as f64 / SAMPLES as f64;
    let extra_s = 0.0005; // 0.3 ms of network between the FIN and the last ACKs + 0.2 ms service
    let expected = RATE * (T_FIN as f64 + extra_s);
    let e = rel(mean_inactive, expected);
    let msg = format!(
        "InActConn averaged over {SAMPLES} samples (every 100 ms from {WARMUP_S} s to {} s): \
         {mean_inactive:.1} vs λ·(T + 0.5 ms) = {RATE} x {:.4} s = {expected:.1}: relative \
         error {:+.3}% (limit ±2%, σ ≈ 0.29%); ActiveConn averaged {mean_active:.3} \
         (λ x 0.3 ms = {:.2})",
        WARMUP_S + SAMPLES * EVERY_NS / 1_000_000_000,
        T_FIN as f64 + extra_s,
        e * 100.0,
        RATE * 0.0003,
    );
    eprintln!("{msg}");
    assert!(e.abs() < 0.02, "{msg}");
}

use super::*;
use crate::admin::keepalived::parse;

fn inst(text: &str) -> Vrrp {
    let c = parse(text).unwrap();
    let (p, _) = VrrpParams::new(&c.instances[0], &c.global);
    Vrrp::new(p, "10.0.0.12".parse().unwrap())
}

fn cfg(state: &str, prio: u8, adv: &str, version: u8) -> String {
    format!(
        "global_defs {{\n vrrp_version {version}\n}}\nvrrp_instance VI_1 {{\n state {state}\n interface eth0\n virtual_router_id 51\n priority {prio}\n advert_int {adv}\n virtual_ipaddress {{\n  10.0.0.100/24\n }}\n}}\n"
    )
}

fn advert(v: &Vrrp, prio: u8) -> VrrpAdvert {
    let mut a = v.advert(prio);
    a.priority = prio;
    a
}

#[test]
fn master_down_intervals_match_keepalived() {
    // (config, expected down interval in µs)
    let cases = [
        (cfg("BACKUP", 100, "1", 2), 3_609_375),
        (cfg("BACKUP", 90, "1", 2), 3_648_437),
        (cfg("BACKUP", 90, "2", 2), 6_648_437),
        (cfg("BACKUP", 90, "0.5", 3), 1_824_218),
        (cfg("BACKUP", 100, "0.5", 3), 1_804_687),
        (cfg("BACKUP", 90, "1", 3), 3_648_437),
        (cfg("BACKUP", 128, "1", 2), 3_500_000),
        // v2 rounds 0.5 to 1 s.
        (cfg("BACKUP", 90, "0.5", 2), 3_648_437),
    ];
    for (c, want) in cases {
        let v = inst(&c);
        assert_eq!(v.master_down_interval(), want, "{c}");
    }
}

#[test]
fn state_master_below_255_starts_as_backup_and_waits_the_full_interval() {
    let mut v = inst(&cfg("MASTER", 100, "1", 2));
    let out = v.start(SimTime::ZERO, false);
    assert_eq!(v.state, VrrpState::Backup);
    assert!(out.contains(&VrrpOut::Log("(VI_1) Entering BACKUP STATE (init)".into())));
    assert_eq!(v.sands, Some(at(3_609_375)));
    assert!(!v.due(at(3_609_374)));
    assert!(v.due(at(3_609_375)));
    v.down_timer_expired();
    let out = v.goto_master(at(3_609_375));
    // one advert, then the VIPs
    let adv = out.iter().position(|o| *o == VrrpOut::Advert(100)).unwrap();
    let add = out.iter().position(|o| *o == VrrpOut::AddVips).unwrap();
    assert!(adv < add);
}

#[test]
fn owner_becomes_master_at_once() {
    let mut v = inst(&cfg("MASTER", 255, "1", 2));
    v.start(SimTime::ZERO, false);
    assert_eq!(v.sands, Some(at(1)));
}

#[test]
fn backup_timers_follow_adverts_priority_zero_and_lower_priorities() {
    let mut b = inst(&cfg("BACKUP", 90, "1", 2));
    b.start(SimTime::ZERO, false);
    let m: Ipv4Addr = "10.0.0.11".parse().unwrap();
    let t1 = SimTime::from_secs(5);
    b.on_advert(t1, m, 255, &advert(&b, 100));
    assert_eq!(b.sands, Some(t1 + SimDuration::from_micros(3_648_437)));
    // priority 0: skew only
    let t2 = SimTime::from_secs(6);
    b.on_advert(t2, m, 255, &advert(&b, 0));
    assert_eq!(b.sands, Some(t2 + SimDuration::from_micros(648_437)));
    // lower priority with preemption: discarded, timer kept
    let mut b = inst(&cfg("BACKUP", 100, "1", 2));
    b.start(SimTime::ZERO, false);
    let before = b.sands;
    let out = b.on_advert(SimTime::from_secs(1), m, 255, &advert(&b, 90));
    assert_eq!(b.sands, before);
    assert!(matches!(&out[0], VrrpOut::Log(l) if l.contains("discarding")));
}

#[test]
fn invalid_adverts_are_ignored() {
    let mut b = inst(&cfg("BACKUP", 90, "1", 2));
    b.start(SimTime::ZERO, false);
    let m: Ipv4Addr = "10.0.0.11".parse().unwrap();
    let before = b.sands;
    let mut wrong_pass = advert(&b, 100);
    wrong_pass.auth_pass = Some(*b"other\0\0\0");
    b.on_advert(SimTime::from_secs(1), m, 255, &wrong_pass);
    let mut wrong_int = advert(&b, 100);
    wrong_int.adver_int_cs = 200;
    b.on_advert(SimTime::from_secs(1), m, 255, &wrong_int);
    b.on_advert(SimTime::from_secs(1), m, 64, &advert(&b, 100));
    assert_eq!(b.sands, before);
}

#[test]
fn nopreempt_accepts_lower_priority_and_preempt_delay_waits() {
    let m: Ipv4Addr = "10.0.0.11".parse().unwrap();
    let mut b =
        inst(&cfg("BACKUP", 100, "1", 2).replace(" advert_int 1", " advert_int 1\n nopreempt"));
    b.start(SimTime::ZERO, false);
    b.on_advert(SimTime::from_secs(1), m, 255, &advert(&b, 90));
    assert_eq!(
        b.sands,
        Some(SimTime::from_secs(1) + SimDuration::from_micros(3_609_375))
    );
    let mut b = inst(
        &cfg("BACKUP", 100, "1", 2).replace(" advert_int 1", " advert_int 1\n preempt_delay 10"),
    );
    b.start(SimTime::ZERO, false);
    for s in 1..=12 {
        b.on_advert(SimTime::from_secs(s), m, 255, &advert(&b, 90));
    }
    // accepted up to 10 s after the first lower-priority advert (t=1), then discarded
    assert_eq!(
        b.sands,
        Some(SimTime::from_secs(10) + SimDuration::from_micros(3_609_375))
    );
}

#[test]
fn master_yields_to_higher_and_answers_lower() {
    let mut m = inst(&cfg("MASTER", 100, "1", 2));
    m.start(SimTime::ZERO, false);
    m.down_timer_expired();
    m.goto_master(SimTime::ZERO);
    let other: Ipv4Addr = "10.0.0.13".parse().unwrap();
    let out = m.on_advert(SimTime::from_secs(1), other, 255, &advert(&m, 90));
    assert!(out.contains(&VrrpOut::Advert(100)) && out.contains(&VrrpOut::LowerPrioGarps));
    assert_eq!(m.state, VrrpState::Master);
    // equal priority from a higher address wins
    let out = m.on_advert(SimTime::from_secs(2), other, 255, &advert(&m, 100));
    assert_eq!(m.state, VrrpState::Backup);
    assert!(out.contains(&VrrpOut::RemoveVips));
    assert!(!out.contains(&VrrpOut::Advert(0)));
}

#[test]
fn stop_sends_priority_zero_only_as_master() {
    let mut b = inst(&cfg("BACKUP", 90, "1", 2));
    b.start(SimTime::ZERO, false);
    assert!(!b.stop().contains(&VrrpOut::Advert(0)));
    let mut m = inst(&cfg("MASTER", 100, "1", 2));
    m.start(SimTime::ZERO, false);
    m.goto_master(SimTime::ZERO);
    assert_eq!(m.stop()[0], VrrpOut::Advert(0));
}

#[test]
fn priority_changes_shift_the_backup_expiry() {
    let mut b = inst(&cfg("BACKUP", 100, "1", 2));
    b.start(SimTime::ZERO, false);
    b.set_total_priority(80);
    assert_eq!(b.effective_priority, 80);
    // skew grows by 20/256 s = 78125 µs
    assert_eq!(b.sands, Some(at(3_609_375 + 78_125)));
    assert_eq!(b.set_total_priority(400).len(), 1);
    assert_eq!(b.effective_priority, 254);
}

fn at(micros: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_micros(micros)
}

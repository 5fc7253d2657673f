//! Reproductions of the observed ipvsadm 1.31 / kernel 6.1 outputs, built with the same
//! command lines through the parser and executor.

use super::*;
use crate::admin::{FwdMethod, IpvsOp, LvsConfig, Protocol, ServiceKey};
use crate::ipvs::snapshot::{ConnSnapshot, IpvsSnapshot, StatsSnapshot};

// Copied verbatim from ground-truth/kernel-6.1/ipvs-basic.txt (observed output).
/// `ipvsadm -Ln`
const LN_WRR: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             Masq    4      0          0         \n",
    "  -> 192.168.10.12:80             Masq    3      0          0         \n",
    "  -> 192.168.10.13:80             Masq    2      0          0         \n",
);
/// `ipvsadm -Sn`
const SN_WRR: &str = concat!(
    "-A -t 10.0.0.1:80 -s wrr\n",
    "-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4\n",
    "-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3\n",
    "-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2\n",
);
/// `cat /proc/net/ip_vs`
const PROC_WRR: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n",
    "TCP  0A000001:0050 wrr  \n",
    "  -> C0A80A0D:0050      Masq    2      0          0         \n",
    "  -> C0A80A0C:0050      Masq    3      0          0         \n",
    "  -> C0A80A0B:0050      Masq    4      0          0         \n",
);
/// `ipvsadm -Ln --timeout`
const TIMEOUT_DEFAULT: &str = "Timeout (tcp tcpfin udp): 900 120 300\n";
/// `ipvsadm -Ln --stats`
const STATS_ZERO: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n",
    "  -> RemoteAddress:Port\n",
    "TCP  10.0.0.1:80                         0        0        0        0        0\n",
    "  -> 192.168.10.11:80                    0        0        0        0        0\n",
    "  -> 192.168.10.12:80                    0        0        0        0        0\n",
    "  -> 192.168.10.13:80                    0        0        0        0        0\n",
);
/// `ipvsadm -Ln --rate`
const RATE_ZERO: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n",
    "  -> RemoteAddress:Port\n",
    "TCP  10.0.0.1:80                         0        0        0        0        0\n",
    "  -> 192.168.10.11:80                    0        0        0        0        0\n",
    "  -> 192.168.10.12:80                    0        0        0        0        0\n",
    "  -> 192.168.10.13:80                    0        0        0        0        0\n",
);
/// `cat /proc/net/ip_vs_stats`
const PROC_STATS_ZERO: &str = concat!(
    "   Total Incoming Outgoing         Incoming         Outgoing\n",
    "   Conns  Packets  Packets            Bytes            Bytes\n",
    "       0        0        0                0                0\n",
    "\n",
    " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n",
    "       0        0        0                0                0\n",
);
/// `ipvsadm -Ln -t 10.0.0.6:80`
const LN_T_SVC6: &str = concat!(
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    "TCP  10.0.0.6:80 rr\n",
    "  -> 192.168.10.11:80             Masq    1      0          0         \n",
    "  -> 192.168.10.12:80             Masq    1      0          0         \n",
    "  -> 192.168.10.13:80             Masq    1      0          0         \n",
);
/// `ipvsadm -Sn | grep 10.0.0.6`
const SN_GREP_SVC6: &str = concat!(
    "-A -t 10.0.0.6:80 -s rr\n",
    "-a -t 10.0.0.6:80 -r 192.168.10.11:80 -m -w 1\n",
    "-a -t 10.0.0.6:80 -r 192.168.10.12:80 -m -w 1\n",
    "-a -t 10.0.0.6:80 -r 192.168.10.13:80 -m -w 1\n",
);
/// `grep -A3 0A000006 /proc/net/ip_vs   (kernel order = the order rr walks)`
const PROC_GREP_SVC6: &str = concat!(
    "TCP  0A000006:0050 rr  \n",
    "  -> C0A80A0B:0050      Masq    1      0          0         \n",
    "  -> C0A80A0D:0050      Masq    1      0          0         \n",
    "  -> C0A80A0C:0050      Masq    1      0          0         \n",
);
/// `ipvsadm -Sn`
const SN_ASSORTED: &str = concat!(
    "-A -t 10.0.0.1:80 -s wrr\n",
    "-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4\n",
    "-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3\n",
    "-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2\n",
    "-A -t 10.0.0.2:443 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port\n",
    "-a -t 10.0.0.2:443 -r 10.0.0.11:443 -g -w 1\n",
    "-a -t 10.0.0.2:443 -r 10.0.0.12:443 -i -w 2 --tun-type ipip\n",
    "-A -t 10.0.0.3:80 -s mh -b mh-fallback,mh-port\n",
    "-a -t 10.0.0.3:80 -r 10.0.0.11:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum\n",
    "-a -t 10.0.0.3:80 -r 10.0.0.12:80 -i -w 1 --tun-type gre --tun-nocsum\n",
    "-a -t 10.0.0.3:80 -r 10.0.0.13:80 -i -w 0 --tun-type ipip\n",
    "-A -u 10.0.0.1:53 -s rr\n",
    "-a -u 10.0.0.1:53 -r 192.168.10.11:53 -m -w 1\n",
    "-A -u 10.0.0.5:53 -s ovf -o\n",
    "-a -u 10.0.0.5:53 -r 192.168.10.13:53 -m -w 2\n",
    "-A --sctp-service 10.0.0.4:5000 -s lc\n",
    "-a --sctp-service 10.0.0.4:5000 -r 192.168.10.12:5000 -m -w 1\n",
    "-A -t [2001:db8::1]:80 -s wlc\n",
    "-a -t [2001:db8::1]:80 -r [2001:db8:1::11]:80 -m -w 3\n",
    "-A -f 1 -s wlc -p 60\n",
    "-a -f 1 -r 192.168.10.11:0 -m -w 5\n",
);
/// `ipvsadm -Ln`
const LN_ASSORTED: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             Masq    4      0          0         \n",
    "  -> 192.168.10.12:80             Masq    3      0          0         \n",
    "  -> 192.168.10.13:80             Masq    2      0          0         \n",
    "TCP  10.0.0.2:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n",
    "  -> 10.0.0.11:443                Route   1      0          0         \n",
    "  -> 10.0.0.12:443                Tunnel  2      0          0         \n",
    "TCP  10.0.0.3:80 mh (mh-fallback,mh-port)\n",
    "  -> 10.0.0.11:80                 Tunnel  1      0          0         \n",
    "  -> 10.0.0.12:80                 Tunnel  1      0          0         \n",
    "  -> 10.0.0.13:80                 Tunnel  0      0          0         \n",
    "UDP  10.0.0.1:53 rr\n",
    "  -> 192.168.10.11:53             Masq    1      0          0         \n",
    "UDP  10.0.0.5:53 ovf ops\n",
    "  -> 192.168.10.13:53             Masq    2      0          0         \n",
    "SCTP 10.0.0.4:5000 lc\n",
    "  -> 192.168.10.12:5000           Masq    1      0          0         \n",
    "TCP  [2001:db8::1]:80 wlc\n",
    "  -> [2001:db8:1::11]:80          Masq    3      0          0         \n",
    "FWM  1 wlc persistent 60\n",
    "  -> 192.168.10.11:0              Masq    5      0          0         \n",
);
/// `ipvsadm -Ln --persistent-conn`
const PERSISTENT_CONN_ASSORTED: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n",
    "  -> RemoteAddress:Port\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             4         0           0          0         \n",
    "  -> 192.168.10.12:80             3         0           0          0         \n",
    "  -> 192.168.10.13:80             2         0           0          0         \n",
    "TCP  10.0.0.2:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n",
    "  -> 10.0.0.11:443                1         0           0          0         \n",
    "  -> 10.0.0.12:443                2         0           0          0         \n",
    "TCP  10.0.0.3:80 mh (mh-fallback,mh-port)\n",
    "  -> 10.0.0.11:80                 1         0           0          0         \n",
    "  -> 10.0.0.12:80                 1         0           0          0         \n",
    "  -> 10.0.0.13:80                 0         0           0          0         \n",
    "UDP  10.0.0.1:53 rr\n",
    "  -> 192.168.10.11:53             1         0           0          0         \n",
    "UDP  10.0.0.5:53 ovf ops\n",
    "  -> 192.168.10.13:53             2         0           0          0         \n",
    "SCTP 10.0.0.4:5000 lc\n",
    "  -> 192.168.10.12:5000           1         0           0          0         \n",
    "TCP  [2001:db8::1]:80 wlc\n",
    "  -> [2001:db8:1::11]:80          3         0           0          0         \n",
    "FWM  1 wlc persistent 60\n",
    "  -> 192.168.10.11:0              5         0           0          0         \n",
);
/// `ipvsadm -Ln --thresholds`
const THRESHOLDS_ASSORTED: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n",
    "  -> RemoteAddress:Port\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             0          0          0          0         \n",
    "  -> 192.168.10.12:80             0          0          0          0         \n",
    "  -> 192.168.10.13:80             0          0          0          0         \n",
    "TCP  10.0.0.2:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n",
    "  -> 10.0.0.11:443                0          0          0          0         \n",
    "  -> 10.0.0.12:443                100        50         0          0         \n",
    "TCP  10.0.0.3:80 mh (mh-fallback,mh-port)\n",
    "  -> 10.0.0.11:80                 0          0          0          0         \n",
    "  -> 10.0.0.12:80                 0          0          0          0         \n",
    "  -> 10.0.0.13:80                 0          0          0          0         \n",
    "UDP  10.0.0.1:53 rr\n",
    "  -> 192.168.10.11:53             0          0          0          0         \n",
    "UDP  10.0.0.5:53 ovf ops\n",
    "  -> 192.168.10.13:53             0          0          0          0         \n",
    "SCTP 10.0.0.4:5000 lc\n",
    "  -> 192.168.10.12:5000           0          0          0          0         \n",
    "TCP  [2001:db8::1]:80 wlc\n",
    "  -> [2001:db8:1::11]:80          0          0          0          0         \n",
    "FWM  1 wlc persistent 60\n",
    "  -> 192.168.10.11:0              0          0          0          0         \n",
);
/// `ipvsadm -Ln --tun-info`
const TUN_INFO_ASSORTED: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             Masq    n/a           4      0          0         \n",
    "  -> 192.168.10.12:80             Masq    n/a           3      0          0         \n",
    "  -> 192.168.10.13:80             Masq    n/a           2      0          0         \n",
    "TCP  10.0.0.2:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0\n",
    "  -> 10.0.0.11:443                Route   n/a           1      0          0         \n",
    "  -> 10.0.0.12:443                Tunnel  ipip          2      0          0         \n",
    "TCP  10.0.0.3:80 mh (mh-fallback,mh-port)\n",
    "  -> 10.0.0.11:80                 Tunnel  gue:6080:+c   1      0          0         \n",
    "  -> 10.0.0.12:80                 Tunnel  gre:-c        1      0          0         \n",
    "  -> 10.0.0.13:80                 Tunnel  ipip          0      0          0         \n",
    "UDP  10.0.0.1:53 rr\n",
    "  -> 192.168.10.11:53             Masq    n/a           1      0          0         \n",
    "UDP  10.0.0.5:53 ovf ops\n",
    "  -> 192.168.10.13:53             Masq    n/a           2      0          0         \n",
    "SCTP 10.0.0.4:5000 lc\n",
    "  -> 192.168.10.12:5000           Masq    n/a           1      0          0         \n",
    "TCP  [2001:db8::1]:80 wlc\n",
    "  -> [2001:db8:1::11]:80          Masq    n/a           3      0          0         \n",
    "FWM  1 wlc persistent 60\n",
    "  -> 192.168.10.11:0              Masq    n/a           5      0          0         \n",
);
/// `ipvsadm -Ln --exact -t 10.0.0.1:80`
const EXACT_T_WRR: &str = concat!(
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             Masq    4      0          0         \n",
    "  -> 192.168.10.12:80             Masq    3      0          0         \n",
    "  -> 192.168.10.13:80             Masq    2      0          0         \n",
);
/// `cat /proc/net/ip_vs`
const PROC_ASSORTED: &str = concat!(
    "IP Virtual Server version 1.2.1 (size=4096)\n",
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n",
    "TCP  0A000003:0050 mh  \n",
    "  -> 0A00000D:0050      Tunnel  0      0          0         \n",
    "  -> 0A00000C:0050      Tunnel  1      0          0         \n",
    "  -> 0A00000B:0050      Tunnel  1      0          0         \n",
    "TCP  0A000001:0050 wrr  \n",
    "  -> C0A80A0D:0050      Masq    2      0          0         \n",
    "  -> C0A80A0C:0050      Masq    3      0          0         \n",
    "  -> C0A80A0B:0050      Masq    4      0          0         \n",
    "SCTP  0A000004:1388 lc  \n",
    "  -> C0A80A0C:1388      Masq    1      0          0         \n",
    "UDP  0A000005:0035 ovf ops  \n",
    "  -> C0A80A0D:0035      Masq    2      0          0         \n",
    "UDP  0A000001:0035 rr  \n",
    "  -> C0A80A0B:0035      Masq    1      0          0         \n",
    "TCP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0050 wlc \n",
    "  -> [2001:0db8:0001:0000:0000:0000:0000:0011]:0050      Masq    3      0          0         \n",
    "TCP  0A000002:01BB sh  persistent 75000 FFFFFF00\n",
    "  -> 0A00000C:01BB      Tunnel  2      0          0         \n",
    "  -> 0A00000B:01BB      Route   1      0          0         \n",
    "FWM  00000001 wlc persistent 15000 FFFFFFFF\n",
    "  -> C0A80A0B:0000      Masq    5      0          0         \n",
);
/// `ipvsadm -Ln --timeout`
const TIMEOUT_SET: &str = "Timeout (tcp tcpfin udp): 900 60 120\n";
/// Error cases: (command, stderr, exit status).
const ERROR_CASES: &[(&str, &str, i32)] = &[
    (
        "ipvsadm -A -t 10.0.0.1:80 -s wrr",
        "Service already exists\n",
        255,
    ),
    (
        "ipvsadm -A -t 10.0.0.9:80 -s bogus",
        "Scheduler or persistence engine not found\n",
        255,
    ),
    (
        "ipvsadm -a -t 10.0.0.9:80 -r 1.2.3.4 -m",
        "Service not defined\n",
        255,
    ),
    (
        "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m",
        "Destination already exists\n",
        255,
    ),
    (
        "ipvsadm -d -t 10.0.0.1:80 -r 192.168.10.99:80",
        "No such destination\n",
        255,
    ),
    (
        "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.15:80 -m -w -1",
        "illegal weight specified\n",
        2,
    ),
    (
        "ipvsadm -A -t 10.0.0.9:80 -s wrr -b sh-port",
        "incompatible scheduler flag `sh-port'\n",
        2,
    ),
    (
        "ipvsadm -A -t 10.0.0.9:80 -s rr --ops",
        "One-Packet Scheduling is only for UDP virtual services\n",
        2,
    ),
];
/// `ipvsadm -Ln -t 10.0.0.1:80` after `-w 70000`
const LN_T_WRR_70000: &str = concat!(
    "Prot LocalAddress:Port Scheduler Flags\n",
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
    "TCP  10.0.0.1:80 wrr\n",
    "  -> 192.168.10.11:80             Masq    4      0          0         \n",
    "  -> 192.168.10.12:80             Masq    3      0          0         \n",
    "  -> 192.168.10.13:80             Masq    2      0          0         \n",
    "  -> 192.168.10.14:80             Masq    70000  0          0         \n",
);

/// Runs a command that must succeed silently.
fn run_ok(t: &mut LvsConfig, line: &str) {
    let o = execute(line, t);
    assert_eq!(
        (o.exit_code, o.stderr.as_str(), o.stdout.as_str()),
        (0, "", ""),
        "{line}"
    );
}

fn stdout_of(t: &mut LvsConfig, line: &str) -> String {
    let o = execute(line, t);
    assert_eq!((o.exit_code, o.stderr.as_str()), (0, ""), "{line}");
    o.stdout
}

/// Lines of `text` that contain `needle` (like `grep`).
fn grep(text: &str, needle: &str) -> String {
    text.lines()
        .filter(|l| l.contains(needle))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `grep -A3 needle`: the matching line and the three after it.
fn grep_a3(text: &str, needle: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(needle))
        .expect("needle");
    lines[i..(i + 4).min(lines.len())]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect()
}

fn proc_ip_vs(t: &LvsConfig) -> String {
    render_proc_ip_vs(&IpvsSnapshot::from_config(t), &ProcParams::default())
}

/// Part 1 of ipvs-basic.sh.
fn wrr_table() -> LvsConfig {
    let mut t = LvsConfig::default();
    run_ok(&mut t, "ipvsadm -A -t 10.0.0.1:80 -s wrr");
    run_ok(
        &mut t,
        "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4",
    );
    run_ok(
        &mut t,
        "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3",
    );
    run_ok(
        &mut t,
        "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2",
    );
    t
}

/// The "assorted services" part of ipvs-basic.sh, on top of part 1.
fn assorted_table() -> LvsConfig {
    let mut t = wrr_table();
    for line in [
        "ipvsadm -A -u 10.0.0.1:53 -s rr",
        "ipvsadm -a -u 10.0.0.1:53 -r 192.168.10.11:53 -m",
        "ipvsadm -A -t 10.0.0.2:443 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0",
        "ipvsadm -a -t 10.0.0.2:443 -r 10.0.0.11 -g -w 1",
        "ipvsadm -a -t 10.0.0.2:443 -r 10.0.0.12 -i -w 2 -x 100 -y 50",
        "ipvsadm -A -t 10.0.0.3:80 -s mh -b mh-fallback,mh-port",
        "ipvsadm -a -t 10.0.0.3:80 -r 10.0.0.11:80 -i --tun-type gue --tun-port 6080 --tun-csum",
        "ipvsadm -a -t 10.0.0.3:80 -r 10.0.0.12:80 -i --tun-type gre --tun-nocsum",
        "ipvsadm -a -t 10.0.0.3:80 -r 10.0.0.13:80 -i --tun-type ipip -w 0",
        "ipvsadm -A -f 1 -s wlc -p 60",
        "ipvsadm -a -f 1 -r 192.168.10.11:0 -m -w 5",
        "ipvsadm -A --sctp-service 10.0.0.4:5000 -s lc",
        "ipvsadm -a --sctp-service 10.0.0.4:5000 -r 192.168.10.12:5000 -m",
        "ipvsadm -A -t '[2001:db8::1]:80' -s wlc",
        "ipvsadm -a -t '[2001:db8::1]:80' -r '[2001:db8:1::11]:80' -m -w 3",
        "ipvsadm -A -u 10.0.0.5:53 -s ovf --ops",
        "ipvsadm -a -u 10.0.0.5:53 -r 192.168.10.13:53 -m -w 2",
    ] {
        run_ok(&mut t, line);
    }
    t
}

#[test]
fn part1_listings() {
    let mut t = wrr_table();
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln"), LN_WRR);
    assert_eq!(stdout_of(&mut t, "ipvsadm -Sn"), SN_WRR);
    assert_eq!(proc_ip_vs(&t), PROC_WRR);
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln --timeout"), TIMEOUT_DEFAULT);
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln --stats"), STATS_ZERO);
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln --rate"), RATE_ZERO);
    assert_eq!(
        render_proc_ip_vs_stats(&IpvsSnapshot::from_config(&t)),
        PROC_STATS_ZERO
    );
}

#[test]
fn save_restore_round_trip() {
    let mut t = assorted_table();
    let before = stdout_of(&mut t, "ipvsadm -Sn");
    run_ok(&mut t, "ipvsadm -C");
    assert!(t.services.is_empty());
    let o = execute(&format!("ipvsadm -R\n{before}"), &mut t);
    assert_eq!(
        (o.exit_code, o.stderr.as_str(), o.stdout.as_str()),
        (0, "", "")
    );
    assert_eq!(stdout_of(&mut t, "ipvsadm -Sn"), before);
    // Thresholds are not saved, so the restored table differs only there.
    let svc = t
        .services
        .iter()
        .find(|s| s.config.key.port() == 443)
        .unwrap();
    assert!(svc
        .dests
        .iter()
        .all(|d| d.u_threshold == 0 && d.l_threshold == 0));
}

#[test]
fn list_order_is_sorted_and_proc_shows_kernel_order() {
    let mut t = wrr_table();
    run_ok(&mut t, "ipvsadm -A -t 10.0.0.6:80 -s rr");
    for h in [12, 13, 11] {
        run_ok(
            &mut t,
            &format!("ipvsadm -a -t 10.0.0.6:80 -r 192.168.10.{h}:80 -m"),
        );
    }
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln -t 10.0.0.6:80"), LN_T_SVC6);
    assert_eq!(
        grep(&stdout_of(&mut t, "ipvsadm -Sn"), "10.0.0.6"),
        SN_GREP_SVC6
    );
    assert_eq!(grep_a3(&proc_ip_vs(&t), "0A000006"), PROC_GREP_SVC6);
    run_ok(&mut t, "ipvsadm -D -t 10.0.0.6:80");
}

#[test]
fn assorted_services_every_view() {
    let mut t = assorted_table();
    assert_eq!(stdout_of(&mut t, "ipvsadm -Sn"), SN_ASSORTED);
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln"), LN_ASSORTED);
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Ln --persistent-conn"),
        PERSISTENT_CONN_ASSORTED
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Ln --thresholds"),
        THRESHOLDS_ASSORTED
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Ln --tun-info"),
        TUN_INFO_ASSORTED
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Ln --exact -t 10.0.0.1:80"),
        EXACT_T_WRR
    );
    assert_eq!(proc_ip_vs(&t), PROC_ASSORTED);
}

#[test]
fn set_timeouts() {
    let mut t = assorted_table();
    run_ok(&mut t, "ipvsadm --set 900 60 120");
    assert_eq!(stdout_of(&mut t, "ipvsadm -Ln --timeout"), TIMEOUT_SET);
}

#[test]
fn observed_errors_and_weight_above_65535() {
    let mut t = assorted_table();
    for (line, stderr, code) in ERROR_CASES {
        let o = execute(line, &mut t);
        assert_eq!(
            (o.stderr.as_str(), o.exit_code, o.stdout.as_str()),
            (*stderr, *code, ""),
            "{line}"
        );
    }
    run_ok(
        &mut t,
        "ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.14:80 -m -w 70000",
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Ln -t 10.0.0.1:80"),
        LN_T_WRR_70000
    );
}

// ---- traffic-sections-1.txt: rows with live counters ----

fn conn(
    proto: &str,
    c: (&str, u16),
    v: (&str, u16),
    d: (&str, u16),
    state: &str,
    secs: u64,
) -> ConnSnapshot {
    ConnSnapshot {
        protocol: proto.into(),
        caddr: c.0.parse().unwrap(),
        cport: c.1,
        vaddr: v.0.parse().unwrap(),
        vport: v.1,
        daddr: d.0.parse().unwrap(),
        dport: d.1,
        state: state.into(),
        expires_secs: secs,
        template: state == "ASSURED" || state == "NONE",
        pe: None,
        synced: false,
    }
}

#[test]
fn connection_listing_rows() {
    let mut snap = IpvsSnapshot::from_config(&LvsConfig::default());
    snap.conns = vec![
        conn(
            "TCP",
            ("10.0.0.101", 0),
            ("10.0.0.1", 8033),
            ("192.168.10.13", 8033),
            "ASSURED",
            58,
        ),
        conn(
            "TCP",
            ("10.0.0.100", 48510),
            ("10.0.0.1", 80),
            ("192.168.10.11", 80),
            "TIME_WAIT",
            119,
        ),
        conn(
            "TCP",
            ("10.0.0.100", 60202),
            ("10.0.0.1", 80),
            ("10.0.0.11", 80),
            "FIN_WAIT",
            118,
        ),
        conn(
            "TCP",
            ("10.0.0.100", 43692),
            ("10.0.0.1", 80),
            ("10.0.0.13", 80),
            "FIN_WAIT",
            117,
        ),
    ];
    // Copied from traffic-sections-1.txt.
    let expected = concat!(
        "IPVS connection entries\n",
        "pro expire state       source             virtual            destination\n",
        "TCP 00:58  ASSURED     10.0.0.101:0       10.0.0.1:8033      192.168.10.13:8033\n",
        "TCP 01:59  TIME_WAIT   10.0.0.100:48510   10.0.0.1:80        192.168.10.11:80\n",
        "TCP 01:58  FIN_WAIT    10.0.0.100:60202   10.0.0.1:80        10.0.0.11:80\n",
        "TCP 01:57  FIN_WAIT    10.0.0.100:43692   10.0.0.1:80        10.0.0.13:80\n",
    );
    let fmt = ListFormat {
        numeric: true,
        ..ListFormat::default()
    };
    assert_eq!(render_connections(&snap, &fmt), expected);
    // Without -n the ports go through the services table.
    let named = render_connections(&snap, &ListFormat::default());
    assert!(
        named.contains("10.0.0.100:48510   10.0.0.1:http      192.168.10.11:http\n"),
        "{named}"
    );
    // The kernel's own file for the same entries.
    let proc = render_proc_ip_vs_conn(&snap);
    assert_eq!(
        proc.lines().take(3).collect::<Vec<_>>(),
        [
            "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData",
            "TCP 0A000065 0000 0A000001 1F61 C0A80A0D 1F61 ASSURED          58",
            "TCP 0A000064 BD7E 0A000001 0050 C0A80A0B 0050 TIME_WAIT       119",
        ]
    );
}

fn stats(conns: u64, inpkts: u64, outpkts: u64, inbytes: u64, outbytes: u64) -> StatsSnapshot {
    StatsSnapshot {
        conns,
        inpkts,
        outpkts,
        inbytes,
        outbytes,
        ..StatsSnapshot::default()
    }
}

#[test]
fn stats_rows_with_traffic() {
    let mut t = LvsConfig::default();
    run_ok(&mut t, "ipvsadm -A -t 10.0.0.1:80 -s wrr");
    for (h, w) in [(11, 4), (12, 3), (13, 2)] {
        run_ok(
            &mut t,
            &format!("ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.{h}:80 -m -w {w}"),
        );
    }
    let mut snap = IpvsSnapshot::from_config(&t);
    snap.services[0].stats = stats(18, 126, 90, 7308, 8622);
    for d in &mut snap.services[0].dests {
        d.stats = match d.config.addr.to_string().as_str() {
            "192.168.10.11" => stats(8, 56, 40, 3248, 3832),
            "192.168.10.12" => stats(6, 42, 30, 2436, 2874),
            _ => stats(4, 28, 20, 1624, 1916),
        };
    }
    // Copied from traffic-sections-1.txt ("nat 1").
    let expected = concat!(
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n",
        "  -> RemoteAddress:Port\n",
        "TCP  10.0.0.1:80                        18      126       90     7308     8622\n",
        "  -> 192.168.10.11:80                    8       56       40     3248     3832\n",
        "  -> 192.168.10.12:80                    6       42       30     2436     2874\n",
        "  -> 192.168.10.13:80                    4       28       20     1624     1916\n",
    );
    let key = ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: "10.0.0.1".parse().unwrap(),
        port: 80,
    };
    let fmt = ListFormat {
        numeric: true,
        stats: true,
        ..ListFormat::default()
    };
    assert_eq!(render_service(&snap, &key, &fmt).unwrap(), expected);
}

#[test]
fn persistent_conn_rows_with_traffic() {
    let mut t = LvsConfig::default();
    run_ok(&mut t, "ipvsadm -A -t 10.0.0.1:8033 -s rr -p 60");
    for (h, w) in [(11, 4), (12, 3), (13, 2)] {
        run_ok(
            &mut t,
            &format!("ipvsadm -a -t 10.0.0.1:8033 -r 10.0.0.{h} -g -w {w}"),
        );
    }
    let mut snap = IpvsSnapshot::from_config(&t);
    for d in &mut snap.services[0].dests {
        let (p, i) = match d.config.addr.to_string().as_str() {
            "10.0.0.11" | "10.0.0.12" => (1, 4),
            _ => (2, 8),
        };
        d.persistent = p;
        d.inactive = i;
    }
    // Copied from traffic-sections-1.txt ("dr 1e").
    let expected = concat!(
        "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n",
        "  -> RemoteAddress:Port\n",
        "TCP  10.0.0.1:8033 rr persistent 60\n",
        "  -> 10.0.0.11:8033               4         1           0          4         \n",
        "  -> 10.0.0.12:8033               3         1           0          4         \n",
        "  -> 10.0.0.13:8033               2         2           0          8         \n",
    );
    let key = ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: "10.0.0.1".parse().unwrap(),
        port: 8033,
    };
    let fmt = ListFormat {
        numeric: true,
        persistent_conn: true,
        ..ListFormat::default()
    };
    assert_eq!(render_service(&snap, &key, &fmt).unwrap(), expected);
}

#[test]
fn large_numbers() {
    assert_eq!(largenum(99_999_999, false), " 99999999");
    assert_eq!(largenum(100_000_000, false), "  100000K");
    assert_eq!(largenum(999_999_999, false), "  999999K");
    assert_eq!(largenum(1_000_000_000, false), "    1000M");
    assert_eq!(largenum(99_999_999_999, false), "   99999M");
    assert_eq!(largenum(123_000_000_000, false), "     123G");
    assert_eq!(largenum(100_000_000_000_000, false), "     100T");
    assert_eq!(largenum(7, true), "        7");
    assert_eq!(largenum(123_456_789, true), " 123456789");
    assert_eq!(largenum(12_345_678, true), " 12345678");
}

#[test]
fn rate_rows_use_plain_numbers_for_dest_packet_rates() {
    let mut t = wrr_table();
    let mut snap = IpvsSnapshot::from_config(&t);
    snap.services[0].stats.inbps = 123_456_789_012;
    snap.services[0].stats.cps = 200_000_000;
    snap.services[0].dests[0].stats.cps = 200_000_000;
    snap.services[0].dests[0].stats.inbps = 150_000_000;
    let key = ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: "10.0.0.1".parse().unwrap(),
        port: 80,
    };
    let fmt = ListFormat {
        numeric: true,
        rate: true,
        ..ListFormat::default()
    };
    let out = render_service(&snap, &key, &fmt).unwrap();
    let svc_line = format!(
        "{:<33}{}\n",
        "TCP  10.0.0.1:80", "  200000K        0        0     123G        0"
    );
    assert!(out.contains(&svc_line), "{out}");
    // dests[0] is the newest: .13
    let dest_line = format!(
        "  -> {:<28}{}\n",
        "192.168.10.13:80", " 200000000        0        0  150000K        0"
    );
    assert!(out.contains(&dest_line), "{out}");
    let _ = stdout_of(&mut t, "ipvsadm -L --rate");
}

// ---- ipvsadm semantics beyond the observations ----

fn parsed(line: &str) -> Command {
    parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn err(line: &str) -> (String, i32) {
    let e = parse_line(line).unwrap_err();
    (e.message, e.exit_code)
}

#[test]
fn edits_carry_ipvsadm_defaults() {
    let mut t = wrr_table();
    run_ok(&mut t, "ipvsadm -e -t 10.0.0.1:80 -r 192.168.10.11:80 -w 0");
    let d = t.services[0]
        .dests
        .iter()
        .find(|d| d.addr.to_string() == "192.168.10.11")
        .unwrap();
    assert_eq!((d.fwd, d.weight), (FwdMethod::Route, 0));
    run_ok(&mut t, "ipvsadm -E -t 10.0.0.1:80 -s rr -p");
    assert_eq!(
        (
            t.services[0].config.timeout,
            t.services[0].config.persistent()
        ),
        (360, true)
    );
    run_ok(&mut t, "ipvsadm -E -t 10.0.0.1:80");
    let c = &t.services[0].config;
    assert_eq!((c.scheduler.as_str(), c.persistent()), ("wlc", false));
}

#[test]
fn dest_port_rules() {
    // -r without port copies the virtual port; DR/TUN force it; NAT keeps its own.
    let Command::Apply(IpvsOp::AddDest(_, d)) = parsed("-a -t 10.0.0.1:80 -r 10.0.0.2") else {
        panic!()
    };
    assert_eq!(d.port, 80);
    let Command::Apply(IpvsOp::AddDest(_, d)) = parsed("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g")
    else {
        panic!()
    };
    assert_eq!(d.port, 80);
    let Command::Apply(IpvsOp::AddDest(_, d)) = parsed("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m")
    else {
        panic!()
    };
    assert_eq!(d.port, 8080);
    let Command::Apply(IpvsOp::AddDest(_, d)) = parsed("-a -f 7 -r 10.0.0.2:8080 -g") else {
        panic!()
    };
    assert_eq!(d.port, 8080);
    let Command::Apply(IpvsOp::DelDest { port, .. }) = parsed("-d -t 10.0.0.1:http -r 10.0.0.2")
    else {
        panic!()
    };
    assert_eq!(port, 80);
}

#[test]
fn command_line_errors() {
    let cases: &[(&str, &str, i32)] = &[
        ("-A -t 10.0.0.1", "Zero port specified for non-persistent service", 2),
        ("-A -t 10.0.0.1:80 -p 0", "invalid timeout value `0' specified", 2),
        ("-A -t 10.0.0.1:80 -s sh -b bogus", "invalid scheduler flag `bogus'", 2),
        ("-A -t 10.0.0.1:80 -s mh -b sh-port", "incompatible scheduler flag `sh-port'", 2),
        ("-A -t 10.0.0.1:80 -r 1.2.3.4", "Illegal 'real-server' option with the 'add-service' command", 2),
        ("-a -t 10.0.0.1:80", "You need to supply the 'real-server' option for the 'add-server' command", 2),
        ("-a -t 10.0.0.1:80 -r 1.2.3.4 -m --tun-type gre", "Tunnel options conflict with forward method", 2),
        ("-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-type gue", "You need to supply the 'tun-port' option for the 'gue' tunnel type", 2),
        ("-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-port 1", "Illegal 'tun-port' option with the 'ipip' tunnel type", 2),
        (
            "-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-type gre --tun-csum --tun-nocsum",
            "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type",
            2,
        ),
        ("-a -t 10.0.0.1:80 -r [::1]:80 -m", "Different address family is allowed only for tunneling servers", 2),
        ("-a -t 10.0.0.1:80 -r 1.2.3.4 -m -g", "multiple 'forwarding-method' options specified", 2),
        ("-L -c -t 10.0.0.1:80", "The option 'service-address' conflicts with the 'connection' option in the 'list' command", 2),
        ("-L -c --stats", "options conflicts in the list command", 2),
        ("-A -t host.example:80", "illegal virtual server address[:port] specified", 2),
        ("-A -t 80", "illegal virtual server address[:port] specified", 2),
        ("-A -t [::1]", "illegal virtual server address[:port] specified", 2),
        ("-A -f 0", "invalid fwmark value `0' specified", 2),
        ("-A -t 10.0.0.1:80 -6", "-6 used before -f\n", 2),
        ("-A -f 1 -6 -M 200", "illegal ipv6 netmask specified", 2),
        ("-A -t 10.0.0.1:80 -M bogus", "illegal virtual server persistent mask specified", 2),
        ("--set 1 2", "--set option requires 3 timeout values", 2),
        ("--set 1 2 x", "invalid timeout value `x' specified", 2),
        ("-L extra", "unexpected argument extra", 2),
        ("--start-daemon slave", "illegal start-daemon parameter specified", 2),
        ("-L -A", "invalid option `-A'", 2),
        ("-A -t", "-t: missing argument", 255),
        ("-L --bogus", "--bogus: unknown option", 255),
        ("-n -L", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255),
        ("foo", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255),
    ];
    for (line, msg, code) in cases {
        assert_eq!(err(line), (msg.to_string(), *code), "{line}");
    }
}

#[test]
fn executor_statuses() {
    let mut t = wrr_table();
    let o = execute("ipvsadm -L -n -t 10.9.9.9:80", &mut t);
    assert_eq!((o.stderr.as_str(), o.exit_code), ("No such service\n", 1));
    let o = execute("ipvsadm -E -t 10.9.9.9:80", &mut t);
    assert_eq!((o.stderr.as_str(), o.exit_code), ("No such service\n", 255));
    let o = execute("ipvsadm -A -t 10.0.0.1:80 -s wrr -b sh-port", &mut t);
    assert_eq!(o.exit_code, 2);
    let o = execute("ipvsadm -v", &mut t);
    assert_eq!(
        o.stdout,
        "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"
    );
    let o = execute("ipvsadm -h", &mut t);
    assert!(o
        .stdout
        .contains("  --add-service     -A        add virtual service with options\n"));
    assert_eq!(o.exit_code, 0);
    let o = execute("ipvsadm -A -t '10.0.0.1:80", &mut t);
    assert_eq!(o.exit_code, 2);
    // No argument at all lists with names resolved (ports named).
    let o = execute("ipvsadm", &mut t);
    assert!(
        o.stdout.contains("TCP  10.0.0.1:http wrr\n"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("  -> 192.168.10.11:http           Masq    4"),
        "{}",
        o.stdout
    );
    // --nosort keeps the kernel list order (newest first).
    let o = execute("ipvsadm -Ln --nosort", &mut t);
    let first = o.stdout.lines().nth(4).unwrap();
    assert!(first.starts_with("  -> 192.168.10.13:80"), "{first}");
}

#[test]
fn restore_keeps_going_after_kernel_errors_and_stops_on_command_line_errors() {
    let mut t = LvsConfig::default();
    let o = execute(
        "ipvsadm -R\n-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80\n\nipvsadm -A -t 10.0.0.2:80 -s rr\n",
        &mut t,
    );
    assert_eq!(
        (o.stderr.as_str(), o.exit_code),
        ("Service already exists\n", 0)
    );
    assert_eq!(t.services.len(), 2);
    let o = execute(
        "ipvsadm -R\n-A -t 10.0.0.3:80 -w 1\n-A -t 10.0.0.4:80\n",
        &mut t,
    );
    assert_eq!(o.exit_code, 2);
    assert_eq!(t.services.len(), 2);
    let o = execute("ipvsadm -R\n-R\n", &mut t);
    assert_eq!(o.exit_code, 255);
    // An option-scanning error is reported and the next line still runs.
    let o = execute("ipvsadm -R\n-A -t\n-A -t 10.0.0.5:80\n", &mut t);
    assert_eq!(
        (o.stderr.as_str(), o.exit_code),
        ("-t: missing argument\n", 0)
    );
    assert_eq!(t.services.len(), 3);
}

#[test]
fn daemons() {
    let mut t = LvsConfig::default();
    run_ok(
        &mut t,
        "ipvsadm --start-daemon master --mcast-interface eth1 --syncid 7",
    );
    let o = execute("ipvsadm --start-daemon master", &mut t);
    assert_eq!(
        (o.stderr.as_str(), o.exit_code),
        ("Daemon has already run\n", 255)
    );
    run_ok(
        &mut t,
        "ipvsadm --start-daemon backup --mcast-group 239.1.1.1 --mcast-port 9000 --mcast-ttl 3",
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -L --daemon"),
        concat!(
            "master sync daemon (mcast=eth1, syncid=7, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n",
            "backup sync daemon (mcast=eth0, syncid=0, maxlen=1472, group=239.1.1.1, port=9000, ttl=3)\n",
        )
    );
    run_ok(&mut t, "ipvsadm --stop-daemon master");
    let o = execute("ipvsadm --stop-daemon master", &mut t);
    assert_eq!(
        (o.stderr.as_str(), o.exit_code),
        ("No daemon is running\n", 255)
    );
}

#[test]
fn save_of_ipv6_fwmark_pe_and_flags() {
    let mut t = LvsConfig::default();
    run_ok(&mut t, "ipvsadm -A -f 2 -6 -s rr -p 100 -M 64");
    run_ok(
        &mut t,
        "ipvsadm -A -u 10.0.0.9:5060 -s wrr -p --pe sip -o -b flag-1,flag-3",
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Sn"),
        concat!(
            "-A -u 10.0.0.9:5060 -s wrr -p 360 --pe sip -o -b flag-1,flag-3\n",
            "-A -f 2 -6 -s rr -p 100 -M 64\n"
        )
    );
    assert_eq!(
        stdout_of(&mut t, "ipvsadm -Ln"),
        concat!(
            "IP Virtual Server version 1.2.1 (size=4096)\n",
            "Prot LocalAddress:Port Scheduler Flags\n",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n",
            "UDP  10.0.0.9:5060 wrr (flag-1,flag-3) persistent 360 pe sip ops\n",
            "FWM  2 IPv6 rr persistent 100 mask 64\n",
        )
    );
    // Without -n the UDP port is named.
    assert!(stdout_of(&mut t, "ipvsadm -S").contains("-A -u 10.0.0.9:sip -s wrr"));
}

#[test]
fn sort_quirk_in_listing() {
    let mut t = LvsConfig::default();
    run_ok(&mut t, "ipvsadm -A -t 10.0.0.1:80");
    run_ok(&mut t, "ipvsadm -A -t 192.168.0.1:80");
    let out = stdout_of(&mut t, "ipvsadm -Sn");
    assert_eq!(
        out,
        "-A -t 192.168.0.1:80 -s wlc\n-A -t 10.0.0.1:80 -s wlc\n"
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "-A",
        "-E",
        "-D",
        "-C",
        "-a",
        "-e",
        "-d",
        "-L",
        "-l",
        "-n",
        "-c",
        "-Z",
        "-S",
        "-R",
        "--set",
        "--stats",
        "--rate",
        "--thresholds",
        "--persistent-conn",
        "--tun-info",
        "--timeout",
        "--daemon",
        "--exact",
        "-X",
        "--sort",
        "--nosort",
        "-s",
        "rr",
        "wrr",
        "sh",
        "mh",
        "bogus",
        "-p",
        "-p=5",
        "-M",
        "255.255.255.0",
        "64",
        "-b",
        "sh-port,sh-fallback",
        "flag-1",
        ",",
        "-r",
        "-g",
        "-i",
        "-m",
        "-w",
        "-x",
        "-y",
        "-o",
        "--ops",
        "-f",
        "-t",
        "-u",
        "--sctp-service",
        "-6",
        "--pe",
        "sip",
        "--tun-type",
        "gue",
        "gre",
        "ipip",
        "--tun-port",
        "--tun-nocsum",
        "--tun-csum",
        "--tun-remcsum",
        "--start-daemon",
        "--stop-daemon",
        "master",
        "backup",
        "--mcast-interface",
        "--syncid",
        "--mcast-group",
        "--mcast-port",
        "--mcast-ttl",
        "--sync-maxlen",
        "10.0.0.1:80",
        "10.0.0.1",
        "[2001:db8::1]:80",
        "[::1]",
        "::1",
        "1",
        "0",
        "-1",
        "70000",
        "99999999999999999999",
        "http",
        "10.0.0.1:",
        "[",
        "]:",
        "-",
        "--",
        "-Lnc",
        "-At",
        "-p300",
        "=",
        "'",
        "\"",
        "#",
        "ipvsadm",
        "\n",
        "é",
        "-é",
        "--é=1",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        #[test]
        fn token_soups_never_panic(idx in prop::collection::vec(0..TOKENS.len(), 0..12), junk in "\\PC{0,12}") {
            let mut t = LvsConfig::default();
            let _ = execute("-A -t 10.0.0.1:80 -s wrr", &mut t);
            let mut line: Vec<&str> = idx.iter().map(|i| TOKENS[*i]).collect();
            line.push(&junk);
            let o = execute(&line.join(" "), &mut t);
            prop_assert!(matches!(o.exit_code, 0 | 1 | 2 | 255));
            let _ = execute("-Sn", &mut t);
            let _ = render_proc_ip_vs(&t.snapshot(), &ProcParams::default());
        }
    }
}

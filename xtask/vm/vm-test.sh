#!/bin/sh
# vm-test.sh - runs INSIDE the VM (run.sh): deploys the vm-nat, vm-dr and vm-tun scenarios
# to the real kernel with the `lvslab` binary and checks them against the simulator.
#
# Needs in /experiment (the cwd): lvslab, scenarios/vm-{nat,dr,tun}.toml.
# Namespaces client, director, rs1..rs3 joined by veths and bridges (the reference test
# bed); the script builds only the cabling (interfaces and their addresses, the VIP on
# the director); everything LVS-specific comes from lvslab:
#   1. design export: `lvslab export --to sysctl` applied on the director (sysctl -p)
#   2. `lvslab apply`, then `ipvsadm -Sn` must equal `lvslab export --to ipvsadm`
#   3. a second apply plans nothing (idempotence); `--dry-run` plans nothing
#   4. real servers set up with the exported setup scripts
#   5. N sequential HTTP connections (busybox nc -> busybox httpd): the real server that
#      answered each must be the one `lvslab run --decisions` picks for the same sequence
#   6. `lvslab import --from live` -> `lvslab export --to ipvsadm` gives `ipvsadm -Sn` back
#   7. the table is changed by hand, then an apply with an injected failure
#      (LVSLAB_FAIL_AT_STEP=3) must roll back: `ipvsadm -Sn` before == after;
#      a plain apply then restores the design
#   8. the exported teardown scripts put the real servers back as they were
# Ends with a PASS/FAIL summary; exits 1 if anything failed.
#
# Env: MODES (default "nat dr tun"), N (connections; must match the scenarios' workload: 9)
set -u
MODES=${MODES:-nat dr tun}
N=${N:-9}
L=/experiment/lvslab
SC=/experiment/scenarios
W=/tmp/vmtest
VIP=10.0.0.1
RS="rs1 rs2 rs3"
PASSED=0 FAILED=0 SUMMARY=""
export LVSLAB_STATE_DIR=/run

ns() { _n=$1; shift; ip netns exec "$_n" "$@"; }
t() { cut -d' ' -f1 /proc/uptime; }
hdr() { printf '\n==================== %s  [uptime %ss]\n' "$*" "$(t)"; }
record() { # RESULT NAME [DETAIL]
    if [ "$1" = PASS ]; then PASSED=$((PASSED+1)); else FAILED=$((FAILED+1)); fi
    printf '%s: %s\n' "$1" "$2"
    [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/    /'
    SUMMARY="$SUMMARY$1  $2
"
}
check() { # NAME COMMAND...: PASS when the command succeeds
    _name=$1; shift
    if _o=$("$@" 2>&1); then record PASS "$_name"; else record FAIL "$_name" "$_o"; fi
}
same() { # NAME FILE-A FILE-B: PASS when the files are equal, else show the diff
    if cmp -s "$2" "$3"; then record PASS "$1"; else record FAIL "$1" "$(diff "$2" "$3")"; fi
}

# ---------------------------------------------------------------- the binary itself
hdr "lvslab in the VM ($(uname -r))"
mkdir -p $W
if $L --version > $W/version 2>&1; then
    record PASS "lvslab runs on the VM's glibc userland: $(cat $W/version)"
else
    record FAIL "lvslab does not run in the VM" "$(cat $W/version)"
    printf '\nSUMMARY\n%s\nvm-test: 0 passed, 1 failed\n' "$SUMMARY"; exit 1
fi
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_wlc veth bridge ipip; do modprobe $m || echo "modprobe $m FAILED"; done

# ---------------------------------------------------------------- topology (cabling only)
PIDS=""
mkbr() { ip link add "$1" type bridge && ip link set "$1" up; }
mkns() { ip netns add "$1" && ns "$1" ip link set lo up; }
plug() { # NS IFNAME BRIDGE CIDR
    ip link add "$1-$2" type veth peer name "$2" netns "$1"
    ip link set "$1-$2" master "$3" up
    ns "$1" ip addr add "$4" dev "$2"
    ns "$1" ip link set "$2" up
}
cabling() { # MODE
    for n in client director $RS; do mkns $n; done
    if [ "$1" = nat ]; then
        mkbr br-ext; mkbr br-int
        plug client eth0 br-ext 10.0.0.100/24
        plug director eth0 br-ext $VIP/24
        plug director eth1 br-int 192.168.10.1/24
        i=1; for r in $RS; do plug $r eth0 br-int 192.168.10.1$i/24; i=$((i+1)); done
    else
        mkbr br0
        plug client eth0 br0 10.0.0.100/24
        plug director eth0 br0 10.0.0.2/24
        ns director ip addr add $VIP/32 dev eth0
        i=1; for r in $RS; do plug $r eth0 br0 10.0.0.1$i/24; i=$((i+1)); done
    fi
    for r in $RS; do
        mkdir -p /srv/$r; echo $r > /srv/$r/index.html
        ns $r httpd -f -p 80 -h /srv/$r & PIDS="$PIDS $!"
    done
    for r in $RS; do
        _w=0
        while ! ns $r netstat -ltn 2>/dev/null | grep -q ':80 ' && [ $_w -lt 100 ]; do usleep 50000; _w=$((_w+1)); done
    done
}
teardown() {
    [ -n "$PIDS" ] && kill $PIDS 2>/dev/null
    for p in $PIDS; do wait $p 2>/dev/null; done
    PIDS=""
    ipvsadm_d -C 2>/dev/null
    for n in client director $RS; do
        _left=$(ip netns pids $n 2>/dev/null); [ -n "$_left" ] && kill $_left 2>/dev/null
        ip netns del $n 2>/dev/null
    done
    for b in br-ext br-int br0; do ip link del $b 2>/dev/null; done
    _w=0; while ip -o link show type veth 2>/dev/null | grep -q . && [ $_w -lt 100 ]; do usleep 50000; _w=$((_w+1)); done
}
ipvsadm_d() { ns director ipvsadm "$@"; }
lv() { ns director $L "$@"; }          # lvslab on the director

# what a real server's setup touches, to compare before setup and after teardown
rs_state() { # RS
    ns $1 sh -c 'ip -4 addr show; ip -4 route show; ip -o link show dev tunl0 2>/dev/null | cut -d" " -f2-3;
        for f in /proc/sys/net/ipv4/conf/*/arp_ignore /proc/sys/net/ipv4/conf/*/arp_announce /proc/sys/net/ipv4/conf/*/rp_filter; do
            echo "$f $(cat $f)"; done'
}

get() { # one HTTP/1.0 request from the client; prints the name of the real server that answered
    _r=$(printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' $VIP | ns client timeout 10 nc $VIP 80 2>/dev/null | tail -n1 | tr -d '\r')
    case "$_r" in rs[0-9]) echo "$_r";; *) echo FAIL;; esac
}

# ---------------------------------------------------------------- one forwarding mode
run_mode() { # MODE
    m=$1
    S=$SC/vm-$m.toml
    D=$W/$m
    rm -rf $D; mkdir -p $D
    hdr "MODE $m: cabling"
    teardown
    cabling $m

    hdr "$m: director sysctls and rules from lvslab"
    if lv export $S --to sysctl > $D/sysctl.conf 2> $D/export.err; then
        cat $D/sysctl.conf | grep -v '^#' | grep .
        check "$m: director sysctls applied (sysctl -p)" ns director sysctl -p $D/sysctl.conf
        want_fwd=0; [ $m = nat ] && want_fwd=1
        check "$m: ip_forward=$want_fwd and send_redirects=0 on the director" \
            ns director sh -c "[ \$(cat /proc/sys/net/ipv4/ip_forward) = $want_fwd ] && [ \$(cat /proc/sys/net/ipv4/conf/all/send_redirects) = 0 ] && [ \$(cat /proc/sys/net/ipv4/conf/eth0/send_redirects) = 0 ]"
    else
        record FAIL "$m: lvslab export --to sysctl" "$(cat $D/export.err)"
    fi
    lv export $S --to ipvsadm > $D/export.ipvsadm 2>> $D/export.err || record FAIL "$m: lvslab export --to ipvsadm" "$(cat $D/export.err)"

    hdr "$m: lvslab apply"
    if lv apply $S > $D/apply.out 2>&1; then
        cat $D/apply.out
        record PASS "$m: lvslab apply (plan, apply, read back, verify)"
    else
        record FAIL "$m: lvslab apply" "$(cat $D/apply.out)"
    fi
    ipvsadm_d -Sn > $D/live.ipvsadm
    cat $D/live.ipvsadm
    same "$m: ipvsadm -Sn equals lvslab export --to ipvsadm" $D/export.ipvsadm $D/live.ipvsadm

    lv apply $S > $D/apply2.out 2>&1
    if grep -q '^plan: no changes' $D/apply2.out; then
        record PASS "$m: second apply plans nothing (idempotent)"
    else
        record FAIL "$m: second apply is not empty" "$(cat $D/apply2.out)"
    fi
    lv apply --dry-run $S > $D/dry.out 2>&1
    if grep -q '^plan: no changes' $D/dry.out && grep -q 'dry run: nothing was changed' $D/dry.out; then
        record PASS "$m: apply --dry-run on the live kernel plans nothing"
    else
        record FAIL "$m: apply --dry-run" "$(cat $D/dry.out)"
    fi

    hdr "$m: real servers from the exported scripts"
    lv export $S --to realserver -o $D/rs > /dev/null 2>> $D/export.err || record FAIL "$m: lvslab export --to realserver" "$(cat $D/export.err)"
    for r in $RS; do
        rs_state $r > $D/$r.before
        if ns $r sh $D/rs/$r.setup.sh > $D/$r.setup.out 2>&1; then
            cat $D/$r.setup.out
            record PASS "$m: $r set up by $r.setup.sh"
        else
            record FAIL "$m: $r.setup.sh" "$(cat $D/$r.setup.out)"
        fi
    done
    ns rs1 ip -4 addr show | grep inet
    ns rs1 ip -4 route show

    hdr "$m: $N sequential connections, real kernel vs simulation"
    real=""; i=0
    while [ $i -lt $N ]; do real="$real $(get 80)"; i=$((i+1)); done
    real=${real# }
    $L run $S --decisions $D/decisions.jsonl -q > $D/run.out 2>&1
    sim=$(sed -n 's/.*"dest":"\([0-9.]*\):.*/\1/p' $D/decisions.jsonl | sed 's/.*\.1\([0-9]\)$/rs\1/' | head -n $N | tr '\n' ' ')
    sim=${sim% }
    echo "real kernel: $real"
    echo "simulation : $sim"
    if [ "$real" = "$sim" ] && [ -n "$sim" ]; then
        record PASS "$m: the real kernel chose the simulated real server for all $N connections ($real)"
    else
        record FAIL "$m: scheduling differs from the simulation" "real: $real
sim:  $sim"
    fi
    ipvsadm_d -Ln

    hdr "$m: import --from live, then export"
    if lv import --from live -o $D/imported.toml > $D/import.out 2>&1; then
        cat $D/import.out
        lv export $D/imported.toml --to ipvsadm > $D/reexport.ipvsadm 2> $D/reexport.err
        ipvsadm_d -Sn > $D/live2.ipvsadm
        same "$m: import --from live -> export --to ipvsadm gives ipvsadm -Sn back" $D/live2.ipvsadm $D/reexport.ipvsadm
    else
        record FAIL "$m: lvslab import --from live" "$(cat $D/import.out)"
    fi

    hdr "$m: injected failure mid-apply rolls back"
    # drift by hand: a foreign service, rs1 reweighted, rs3 removed
    case $m in nat) F=-m;; dr) F=-g;; tun) F=-i;; esac
    [ $m = nat ] && R=192.168.10 || R=10.0.0
    ipvsadm_d -A -t $VIP:8080 -s rr
    ipvsadm_d -e -t $VIP:80 -r $R.11:80 $F -w 1
    ipvsadm_d -d -t $VIP:80 -r $R.13:80
    ipvsadm_d -Sn > $D/drift.before
    cat $D/drift.before
    LVSLAB_FAIL_AT_STEP=3 ns director $L apply --prune $S > $D/fail.out 2>&1
    rc=$?
    cat $D/fail.out
    ipvsadm_d -Sn > $D/drift.after
    if [ $rc -eq 1 ] && grep -q 'rolled back' $D/fail.out; then
        record PASS "$m: apply with a failure at step 3 reports the rollback (exit 1)"
    else
        record FAIL "$m: apply with an injected failure (exit $rc)" "$(cat $D/fail.out)"
    fi
    same "$m: after the rollback ipvsadm -Sn is as before the apply" $D/drift.before $D/drift.after
    lv apply --prune $S > $D/fix.out 2>&1
    ipvsadm_d -Sn > $D/fixed.ipvsadm
    if grep -q 'the table matches the design' $D/fix.out; then
        same "$m: apply --prune repairs the drift (ipvsadm -Sn equals the export)" $D/export.ipvsadm $D/fixed.ipvsadm
    else
        record FAIL "$m: apply --prune after drift" "$(cat $D/fix.out)"
    fi

    hdr "$m: real-server teardown"
    for r in $RS; do
        ns $r sh $D/rs/$r.teardown.sh > $D/$r.teardown.out 2>&1 || record FAIL "$m: $r.teardown.sh" "$(cat $D/$r.teardown.out)"
        rs_state $r > $D/$r.after
    done
    cat $D/rs1.teardown.out
    for r in $RS; do same "$m: $r.teardown.sh restores $r as it was" $D/$r.before $D/$r.after; done
}

T0=$(t)
for m in $MODES; do run_mode $m; done
teardown
printf '\n==================== SUMMARY  [%ss of tests]\n%s' "$(awk -v a="$T0" -v b="$(t)" 'BEGIN{printf "%.1f", b-a}')" "$SUMMARY"
printf 'vm-test: %d passed, %d failed\n' $PASSED $FAILED
[ $FAILED -eq 0 ]

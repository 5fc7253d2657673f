#!/bin/bash
# run.sh - boot the vm-test image in qemu, run a POSIX sh script in it, stream the
# script's output here and exit with its exit code.
#
# usage: run.sh [-a PATH]... [-e NAME=VALUE]... SCRIPT [ARGS...]
#   -a PATH        copy PATH (file or directory) into /experiment/ in the VM (the cwd)
#   -e NAME=VALUE  environment variable for the script
# The VM has no network device: scripts build namespaces, veths and bridges inside it.
# Exit codes: the script's; 124 timeout; 125 the VM did not report an exit code.
#
# Environment: LVSLAB_VM_CACHE (as build.sh), ACCEL=kvm|tcg (default: KVM only when
# /dev/kvm is usable hardware KVM, i.e. kvm_intel or kvm_amd is loaded; else TCG),
# VM_MEM (MiB, 1024), VM_CPUS (2), TIMEOUT (seconds, 900), KEEP=1 (keep the temp dir).
set -euo pipefail
CACHE="${LVSLAB_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lvslab-vm}"
OUT="$CACHE/out"
extras=() envs=()
while [ $# -gt 0 ]; do
    case "$1" in
        -a) extras+=("$2"); shift 2 ;;
        -e) [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || { echo "run.sh: -e wants NAME=VALUE" >&2; exit 2; }
            envs+=("$2"); shift 2 ;;
        --) shift; break ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: run.sh [-a PATH]... [-e NAME=VALUE]... SCRIPT [ARGS...]" >&2; exit 2; }
[ -s "$OUT/initramfs.cpio.gz" ] && [ -s "$OUT/vmlinuz" ] || { echo "run.sh: no image in $OUT (run build.sh)" >&2; exit 125; }
BB="$OUT/busybox"

tmp=$(mktemp -d /tmp/lvslab-vm.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "[vm-run] kept $tmp" >&2; else rm -rf "$tmp"; fi; }
trap cleanup EXIT

# second cpio (the experiment) appended to the base initramfs
script="$1"; shift
mkdir -p "$tmp/ov/experiment"
cp "$script" "$tmp/ov/experiment/"
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{ for e in "${envs[@]}"; do printf 'export %s=%s\n' "${e%%=*}" "$(q "${e#*=}")"; done
  printf 'exec sh /experiment/%s' "$(q "$(basename "$script")")"
  for a in "$@"; do printf ' %s' "$(q "$a")"; done
  printf '\n'; } > "$tmp/ov/experiment/cmd"
for e in "${extras[@]}"; do cp -a "$e" "$tmp/ov/experiment/"; done
cp "$OUT/initramfs.cpio.gz" "$tmp/initrd"
truncate -s %4 "$tmp/initrd"   # the kernel wants the appended cpio 4-byte aligned
( cd "$tmp/ov" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0 2>/dev/null ) | gzip -1 -n >> "$tmp/initrd"

# accelerator: a kvm_pvm /dev/kvm (software virtualization) boots far slower than TCG
accel="${ACCEL:-}"
if [ -z "$accel" ]; then
    accel=tcg
    if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
        accel=kvm
    elif [ -c /dev/kvm ]; then
        echo "[vm-run] /dev/kvm is not hardware KVM (no kvm_intel/kvm_amd): using TCG" >&2
    fi
fi
run_qemu() {
    local acc
    if [ "$1" = kvm ]; then acc=(-enable-kvm -cpu host); else acc=(-accel tcg,thread=multi -cpu max); fi
    timeout --foreground -k 5 "${TIMEOUT:-900}" \
    qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot \
        -machine pc "${acc[@]}" -m "${VM_MEM:-1024}" -smp "${VM_CPUS:-2}" -nic none \
        -kernel "$OUT/vmlinuz" -initrd "$tmp/initrd" \
        -append "console=ttyS0,115200 panic=-1 quiet loglevel=3 8250.nr_uarts=4" \
        -serial "file:$tmp/console.log" -serial stdio
}
t0=$(date +%s.%N)
set +e
run_qemu "$accel" </dev/null 2>"$tmp/qemu.err"
qrc=$?
if [ "$accel" = kvm ] && ! grep -q LVSLABVM_T_INIT "$tmp/console.log" 2>/dev/null; then
    echo "[vm-run] KVM did not boot ($(head -n1 "$tmp/qemu.err")); retrying with TCG" >&2
    accel=tcg
    run_qemu tcg </dev/null 2>"$tmp/qemu.err"
    qrc=$?
fi
set -e
t1=$(date +%s.%N)
console=$(tr -d '\r' < "$tmp/console.log" 2>/dev/null || true)
marker() { grep -ao "LVSLABVM_$1=[0-9.]*" <<<"$console" | tail -n1 | cut -d= -f2; }
rc=$(marker EXIT)
if [ -z "$rc" ]; then
    if [ $qrc = 124 ] || [ $qrc = 137 ]; then echo "[vm-run] TIMEOUT after ${TIMEOUT:-900}s" >&2; rc=124; else rc=125; fi
    echo "[vm-run] no exit code from the VM (qemu rc=$qrc); qemu stderr and console tail:" >&2
    cat "$tmp/qemu.err" >&2 || true
    tail -n 40 <<<"$console" >&2
fi
awk -v a="$accel" -v ti="$(marker T_INIT)" -v te="$(marker T_END)" -v t0="$t0" -v t1="$t1" -v rc="$rc" \
    'BEGIN{ s = (ti=="" || te=="") ? "?" : sprintf("%.1fs", te-ti);
            printf "[vm-run] accel=%s boot_to_init=%ss script=%s host_wall=%.1fs exit=%s\n", a, (ti==""?"?":ti), s, t1-t0, rc }' >&2
exit "$rc"

#!/bin/bash
# build.sh - the VM image for `cargo xtask vm-test`: a stock Debian bookworm kernel with
# its IPVS modules, plus an initramfs holding the real ipvsadm, iproute2 `ip`, dash and
# busybox, and the shared libraries the `lvslab` binary needs (glibc, libgcc_s, libm).
#
# Idempotent: downloads (apt-get download), unpacks and packs only what is missing or
# out of date. Nothing is installed on the host.
#
# Output under $LVSLAB_VM_CACHE (default $XDG_CACHE_HOME or ~/.cache, /lvslab-vm):
#   out/vmlinuz  out/initramfs.cpio.gz  out/busybox (static, used by run.sh for cpio)
#
# Environment: LVSLAB_VM_CACHE, KERNEL_PKG (default linux-image-6.1.0-56-cloud-amd64; when
# it cannot be downloaded any more, the package linux-image-cloud-amd64 depends on),
# LVSLAB_BIN (a binary whose shared libraries must all resolve inside the image),
# FORCE=1 (repack).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${LVSLAB_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lvslab-vm}"
KERNEL_PKG="${KERNEL_PKG:-linux-image-6.1.0-56-cloud-amd64}"

# dash is /bin/sh: Debian's busybox-static ash prefers its applets, so `ip` there would be
# busybox's (no `ip netns`). ipvsadm needs libnl-3-200 libnl-genl-3-200 libpopt0; iproute2
# needs libbpf1 libelf1 libmnl0 libbsd0 libmd0 libcap2 zlib1g; lvslab needs libgcc-s1.
USER_PKGS=(busybox-static dash ipvsadm libnl-3-200 libnl-genl-3-200 libpopt0 libc6 libgcc-s1
           iproute2 libbpf1 libelf1 libmnl0 libbsd0 libmd0 libcap2 zlib1g)
MODULES=(ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh
         ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh
         nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6 libcrc32c veth bridge dummy ipip
         ip_tunnel tunnel4)
DYN_BINS=(sbin/ipvsadm bin/ip bin/dash)

log() { printf '[vm-build] %s\n' "$*" >&2; }
die() { printf '[vm-build] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$CACHE"/{debs,root,out}
DEBS="$CACHE/debs" ROOT="$CACHE/root" OUT="$CACHE/out"

have_deb() { compgen -G "$DEBS/${1}_*_amd64.deb" >/dev/null || compgen -G "$DEBS/${1}_*_all.deb" >/dev/null; }
deb_of()   { { compgen -G "$DEBS/${1}_*_amd64.deb"; compgen -G "$DEBS/${1}_*_all.deb"; } | sort -V | tail -n1 || true; }
apt_download() { ( cd "$DEBS" && apt-get download -q "$@" 2>&1 | grep -v 'unsandboxed' >&2 ) || true; }

# ---- downloads (by package name, one apt-get call for the userland)
if ! have_deb "$KERNEL_PKG"; then
    log "apt-get download $KERNEL_PKG"
    apt_download "$KERNEL_PKG"
    if ! have_deb "$KERNEL_PKG"; then
        dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
        [ -n "$dep" ] || die "cannot download $KERNEL_PKG nor resolve linux-image-cloud-amd64"
        log "$KERNEL_PKG is not downloadable; using $dep"
        KERNEL_PKG="$dep"
        have_deb "$KERNEL_PKG" || apt_download "$KERNEL_PKG"
        have_deb "$KERNEL_PKG" || die "apt-get download $KERNEL_PKG failed"
    fi
fi
missing=()
for p in "${USER_PKGS[@]}"; do have_deb "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get download ${missing[*]}"
    apt_download "${missing[@]}"
    for p in "${missing[@]}"; do have_deb "$p" || die "apt-get download $p failed"; done
fi

# ---- unpack (dpkg-deb -x into the cache, never onto the host's /)
ALL_DEBS=("$(deb_of "$KERNEL_PKG")")
for p in "${USER_PKGS[@]}"; do ALL_DEBS+=("$(deb_of "$p")"); done
for d in "${ALL_DEBS[@]}"; do
    stamp="$ROOT/.unpacked.$(basename "$d")"
    [ -e "$stamp" ] && continue
    log "dpkg-deb -x $(basename "$d")"
    dpkg-deb -x "$d" "$ROOT"
    touch "$stamp"
done

BB="$ROOT/bin/busybox"
[ -x "$BB" ] || die "static busybox missing at $BB"
KVER=$(ls -1 "$ROOT/lib/modules" | grep -F "${KERNEL_PKG#linux-image-}" | head -n1 || true)
[ -n "$KVER" ] || KVER=$(ls -1 "$ROOT/lib/modules" | sort -V | tail -n1)
[ -f "$ROOT/boot/vmlinuz-$KVER" ] || die "no vmlinuz for $KVER"
MODDIR="$ROOT/lib/modules/$KVER"
# Debian's kernel packages leave modules.dep to their postinst: generate it.
[ -s "$MODDIR/modules.dep" ] || { log "depmod $KVER"; "$BB" depmod -b "$ROOT" "$KVER"; }

LDSO="$ROOT/lib64/ld-linux-x86-64.so.2"
[ -e "$LDSO" ] || LDSO="$ROOT/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
LIBPATH="$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu"
libs_of() { # BINARY -> the absolute paths (in ROOT) of its shared libraries
    local out
    out=$("$LDSO" --library-path "$LIBPATH" --list "$1") || die "ld.so --list $1 failed: $out"
    if grep -q 'not found' <<<"$out"; then die "unresolved libraries for $1:"$'\n'"$out"; fi
    awk '/=> \//{print $3}' <<<"$out"
}
# The lvslab binary must find all its libraries in the image (it is glibc-linked).
if [ -n "${LVSLAB_BIN:-}" ]; then
    for lib in $(libs_of "$LVSLAB_BIN"); do
        case "$lib" in "$ROOT"/*) ;; *) die "$LVSLAB_BIN needs $lib, which is not in the image";; esac
    done
    log "$(basename "$LVSLAB_BIN"): every shared library resolves in the image"
fi

inputs_hash=$( { cat "$HERE/build.sh" "$HERE/init"; printf '%s\n' "${ALL_DEBS[@]}" "${MODULES[@]}" "$KVER"; } | sha256sum | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && [ -s "$OUT/initramfs.cpio.gz" ] && [ "$(cat "$OUT/inputs_hash" 2>/dev/null)" = "$inputs_hash" ]; then
    log "image up to date (kernel $KVER)"
    exit 0
fi

# ---- stage
STAGE="$CACHE/stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib64,lib/x86_64-linux-gnu,etc,proc,sys,dev,run,tmp,var,root,experiment}
ln -s ../run "$STAGE/var/run"
chmod 1777 "$STAGE/tmp"
cp "$BB" "$STAGE/bin/busybox"
"$BB" --list-full | while read -r a; do
    [ -e "$STAGE/$a" ] || [ -L "$STAGE/$a" ] || ln -s /bin/busybox "$STAGE/$a"
done
install_bin() { rm -f "$STAGE/$2"; cp -L "$ROOT/$1" "$STAGE/$2"; chmod 755 "$STAGE/$2"; }
install_bin sbin/ipvsadm sbin/ipvsadm
install_bin bin/ip sbin/ip
ln -sf /sbin/ip "$STAGE/bin/ip"
install_bin bin/dash bin/dash
ln -sfn dash "$STAGE/bin/sh"
[ -d "$ROOT/usr/share/iproute2" ] && mkdir -p "$STAGE/usr/share" && cp -a "$ROOT/usr/share/iproute2" "$STAGE/usr/share/"
for b in "${DYN_BINS[@]}"; do
    for lib in $(libs_of "$ROOT/$b"); do cp -L "$lib" "$STAGE/lib/x86_64-linux-gnu/"; done
done
# for lvslab (Rust, glibc): libgcc_s and libm besides libc
for lib in libc.so.6 libm.so.6 libgcc_s.so.1; do
    src=""
    for d in "$ROOT/lib/x86_64-linux-gnu" "$ROOT/usr/lib/x86_64-linux-gnu"; do
        [ -e "$d/$lib" ] && { src="$d/$lib"; break; }
    done
    [ -n "$src" ] || die "$lib not found in the unpacked packages"
    cp -L "$src" "$STAGE/lib/x86_64-linux-gnu/"
done
cp -L "$ROOT/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$STAGE/lib/x86_64-linux-gnu/"
ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$STAGE/lib64/ld-linux-x86-64.so.2"

# kernel modules: closure over modules.dep plus softdeps (libcrc32c -> crc32c)
declare -A want=()
modpath() {
    local n="${1//-/_}"
    awk -F: -v n="$n" '{p=$1; b=p; sub(/.*\//,"",b); sub(/\.ko(\.[a-z]+)?$/,"",b); gsub(/-/,"_",b); if (b==n) {print p; exit}}' "$MODDIR/modules.dep"
}
modcat() {
    case "$1" in
        *.ko.xz) "$BB" xz -dc "$MODDIR/$1" ;; *.ko.zst) zstd -qdc "$MODDIR/$1" ;;
        *.ko.gz) gzip -dc "$MODDIR/$1" ;; *) cat "$MODDIR/$1" ;;
    esac
}
add_mod() {
    local rel="$1" d n a
    [ -n "${want[$rel]:-}" ] && return 0
    want[$rel]=1
    for d in $(awk -F: -v p="$rel" '$1==p{print $2; exit}' "$MODDIR/modules.dep"); do add_mod "$d"; done
    for n in $(modcat "$rel" | tr '\0' '\n' | sed -n 's/^softdep=//p' | tr ' ' '\n' | grep -v -e ':$' -e '^$'); do
        d=$(modpath "$n")
        if [ -n "$d" ]; then add_mod "$d"; continue; fi
        for a in $(awk -v n="$n" '$1=="alias" && $2==n {print $3}' "$MODDIR/modules.alias"); do
            d=$(modpath "$a"); [ -n "$d" ] && add_mod "$d"
        done
    done
}
for m in "${MODULES[@]}"; do
    rel=$(modpath "$m")
    if [ -z "$rel" ]; then
        grep -qE "/${m//_/[-_]}\.ko" "$MODDIR/modules.builtin" 2>/dev/null && continue
        die "module $m not found for $KVER"
    fi
    add_mod "$rel"
done
SMOD="$STAGE/lib/modules/$KVER"
for rel in "${!want[@]}"; do
    mkdir -p "$SMOD/$(dirname "$rel")"
    modcat "$rel" > "$SMOD/${rel%.ko*}.ko"
done
cp "$MODDIR"/modules.builtin* "$MODDIR"/modules.order "$SMOD/" 2>/dev/null || true
"$BB" depmod -b "$STAGE" "$KVER"

cp "$HERE/init" "$STAGE/init"; chmod 755 "$STAGE/init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$STAGE/etc/passwd"
echo 'root:x:0:' > "$STAGE/etc/group"
printf '127.0.0.1 localhost\n' > "$STAGE/etc/hosts"
printf 'kernel=%s\n' "$KVER" > "$STAGE/etc/lvslab-vm-release"

# ---- pack
( cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0 2>/dev/null ) | gzip -6 -n > "$OUT/initramfs.cpio.gz.tmp"
mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
cp "$ROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$BB" "$OUT/busybox"
echo "$KVER" > "$OUT/kver"
echo "$inputs_hash" > "$OUT/inputs_hash"
log "built $OUT/initramfs.cpio.gz ($(du -h "$OUT/initramfs.cpio.gz" | cut -f1)), kernel $KVER, ${#want[@]} modules"

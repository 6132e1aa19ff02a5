#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Proves the BPF LSM backend on a kernel that has it (this host refuses
# trampolines, docs/kernel.md): boots Debian's own 6.1 kernel under QEMU with TCG
# and an initramfs made here (static busybox, tests/vm/lsm_selftest with the
# shared libraries ldd finds, the fixtures), runs the selftest as root in
# the guest and reads "N passed, N failed" from the serial console. The
# same guest is the second kernel for the CO-RE tracer: `bpf-profiler probe`
# and a gated `trace` of a program must work there too (6.1 lacks kfuncs
# this host has, e.g. the injection gate's). Exits 0 only when all of it
# ran and passed. No network in the guest.
#
#   BPFPROF_SKIP_VM=1       skip, loudly (where QEMU cannot run); never a pass
#   BPFPROF_BUILD=DIR       build tree (default build/); the kernel is cached
#                           in DIR/vm/ so reruns download nothing
#   BPFPROF_VM_TIMEOUT=S    bound of the QEMU run (default 600 s)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${BPFPROF_SKIP_VM:-0}" = 1 ]; then
  echo "vmtest: SKIPPED because BPFPROF_SKIP_VM=1: the BPF LSM backend was NOT tested" >&2
  exit 0
fi
die() { echo "vmtest: FAILED: $*" >&2; exit 1; }

build=${BPFPROF_BUILD:-build}
vm=$build/vm
limit=${BPFPROF_VM_TIMEOUT:-600}
cmdline="console=ttyS0 lsm=lockdown,capability,bpf panic=-1 rdinit=/init quiet"

for tool in qemu-system-x86_64 busybox timeout ldd dpkg-deb apt-get; do
  command -v "$tool" >/dev/null ||
    die "$tool not found (run scripts/deps.sh as root; or BPFPROF_SKIP_VM=1 to skip, loudly)"
done
ldd "$(command -v busybox)" >/dev/null 2>&1 &&
  die "$(command -v busybox) is not static (install busybox-static)"

[ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" >/dev/null
cmake --build "$build" --target lsm_selftest bpf-profiler -j"$(nproc)" >/dev/null
mkdir -p "$vm"

# --- the guest kernel: Debian's newest linux-image-6.1.*-amd64, once ------
kernel=$(ls "$vm"/vmlinuz-* 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$kernel" ]; then
  pkg=$(apt-cache search --names-only '^linux-image-6\.1\.[0-9]+-[0-9]+-amd64$' |
        awk '{print $1}' | sort -V | tail -1)
  [ -n "$pkg" ] || die "no linux-image-6.1.*-amd64 package in apt's lists (apt-get update?)"
  echo "vmtest: downloading $pkg (once; cached in $vm)" >&2
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -q "$pkg" 2>&1 | grep -v 'unsandboxed' >&2 || true)
  deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
  dpkg-deb -x "$deb" "$tmp/x"
  cp "$tmp"/x/boot/vmlinuz-* "$vm"/
  rm -rf "$tmp"
  kernel=$(ls "$vm"/vmlinuz-* | sort -V | tail -1)
fi

# --- the initramfs ----------------------------------------------------------
root=$vm/rootfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,fixtures}
cp "$(command -v busybox)" "$root/bin/busybox"
for app in sh mount mkdir cat echo poweroff; do ln -s busybox "$root/bin/$app"; done
cp "$build/tests/vm/lsm_selftest" "$build/bpf-profiler" "$root/bin/"
cp "$build"/tests/fixtures/{libevil.so,libbenign.so,loader} "$root/fixtures/"
for f in "$root/bin/lsm_selftest" "$root/bin/bpf-profiler" "$root"/fixtures/*; do ldd "$f"; done |
  grep -o '/[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
# without /dev/console in the archive init starts with no stdout (root only)
mknod "$root/dev/console" c 5 1 2>/dev/null || true
cat > "$root/init" <<'INIT'
#!/bin/sh
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t tracefs tracefs /sys/kernel/tracing
echo "vmtest: guest up, LSMs $(cat /sys/kernel/security/lsm)"
/bin/lsm_selftest /fixtures
echo "vmtest: selftest exit $?"
mount -t tmpfs tmp /tmp
/bin/bpf-profiler probe > /tmp/probe.txt 2>&1
echo "vmtest: profiler probe exit $?"
grep -E '^ +(injection|injection_gate|io_uring) ' /tmp/probe.txt | sed 's/^ */info: probe: /'
/bin/bpf-profiler trace --gate --json -o /tmp/trace.jsonl -- /fixtures/loader /fixtures/libbenign.so
echo "vmtest: profiler trace exit $?"
echo "vmtest: profiler gate lines $(grep -c '"type":"gate"' /tmp/trace.jsonl), verdicts $(grep -c '"type":"verdict"' /tmp/trace.jsonl)"
poweroff -f
INIT
chmod 755 "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null) > "$vm/initramfs.cpio"

# --- boot -------------------------------------------------------------------
log=$vm/console.log
echo "vmtest: booting $(basename "$kernel") under QEMU/TCG (bound ${limit}s)" >&2
start=$SECONDS
set +e
timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 2 \
  -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$vm/initramfs.cpio" \
  -append "$cmdline" </dev/null > "$log" 2>&1
rc=$?
set -e
elapsed=$((SECONDS - start))
# the serial console as plain lines (no CRs, no terminal escapes of the BIOS)
console() { tr -d '\r' < "$log" | sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g'; }
console | grep -E '^(info|PASS|FAIL|vmtest):|^[0-9]+ passed, [0-9]+ failed$' || true
[ $rc -eq 124 ] && die "QEMU did not finish within ${limit}s (console in $log)"
[ $rc -ne 0 ] && die "QEMU exited with $rc (console in $log)"
result=$(console | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
[ -n "$result" ] || die "the selftest did not run to its result line (console in $log)"
read -r npass _ nfail _ <<< "$result"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ] || die "$result (console in $log)"
console | grep -q '^vmtest: profiler probe exit 0$' || die "bpf-profiler probe failed in the guest (console in $log)"
console | grep -q '^vmtest: profiler trace exit 0$' || die "bpf-profiler trace failed in the guest (console in $log)"
console | grep -Eq '^vmtest: profiler gate lines [1-9][0-9]*, verdicts [1-9]' ||
  die "the gated trace in the guest stopped nothing or judged nothing (console in $log)"
echo "vmtest: OK, $result in the guest, and the tracer gates and judges there, ${elapsed}s" >&2

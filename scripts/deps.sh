#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Installs every Debian package bpf-profiler needs to build, run and test.
# Idempotent: skips apt when everything is already present. prometheus
# (promtool and the server) and chromium (headless) are test tools: the
# API tests check /metrics and the report page with them. qemu-system-x86
# and busybox-static boot the guest of scripts/vmtest.sh (BPF LSM test).
# libclang-rt-dev (libFuzzer) and zstd build and seed scripts/fuzz.sh.
# libnats-dev is the NATS JetStream client of fleet mode (docs/fleet.md);
# nats-server runs in its tests and in scripts/bench.sh fleet.
# The scenario suite (scripts/scenarios.sh, docs/detection.md) needs curl,
# procps and libpam0g-dev for its fixtures, and the programs of its benign
# corpus: imagemagick, pamtester, gawk, sasl2-bin, p11-kit, libgtk-3-bin,
# gstreamer1.0-tools and -plugins-base (with chromium, perl and python3).
# scdoc (man pages), lintian and logrotate: scripts/package.sh and its test.
# liburing-dev: a static-analysis fixture prepares io_uring operations with
# liburing's inline helpers, as code built against it does.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang llvm bpftool libbpf-dev libelf-dev
  zlib1g-dev libzstd-dev libssl-dev libcapstone-dev libsqlite3-dev
  libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libseccomp-dev
  libsystemd-dev libinih-dev libcriterion-dev python3 python3-jsonschema
  bpftrace bc
  libnats-dev nats-server
  zstd libclang-rt-dev
  prometheus chromium
  scdoc lintian logrotate
  qemu-system-x86 busybox-static
  curl procps libpam0g-dev liburing-dev
  imagemagick pamtester gawk sasl2-bin p11-kit libgtk-3-bin
  gstreamer1.0-tools gstreamer1.0-plugins-base
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

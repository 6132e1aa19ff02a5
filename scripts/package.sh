#!/usr/bin/env bash
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# Builds build/bpf-profiler_<version>_<arch>.deb with dpkg-deb: the binary
# (built with Debian's hardening flags, stripped), the systemd unit, the
# default config and logrotate file as conffiles, man pages (scdoc), docs,
# schemas and maintainer scripts that make the state and log directories.
# Runs lintian on the result when it is installed.
#   scripts/package.sh [--binary PATH]   (PATH: package this binary as is)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=
BPFPROF_MAINTAINER=${BPFPROF_MAINTAINER:-bpf-profiler maintainers <maintainers@bpf-profiler.dev>}
if [ "${1:-}" = --binary ]; then binary=$2; fi

version=$(sed -n 's/^project(bpf-profiler VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
debver="$version-1"
arch=$(dpkg --print-architecture)
out="build/bpf-profiler_${debver}_${arch}.deb"
stage=build/pkg/root
rm -rf build/pkg && mkdir -p "$stage/DEBIAN"

if [ -z "$binary" ]; then
  echo "package.sh: building with dpkg-buildflags (build-pkg/)" >&2
  cmake -S . -B build-pkg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_C_FLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
    -DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
  cmake --build build-pkg -j"$(nproc)" --target bpf-profiler >/dev/null
  binary=build-pkg/bpf-profiler
fi

install -D -m 0755 "$binary" "$stage/usr/sbin/bpf-profiler"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/sbin/bpf-profiler"
sed -e 's|@CMAKE_INSTALL_FULL_SBINDIR@|/usr/sbin|' -e 's|@BPFPROF_CONFIG_DIR@|/etc/bpf-profiler|' \
  scripts/bpf-profiler.service.in > build/pkg/bpf-profiler.service
install -D -m 0644 build/pkg/bpf-profiler.service "$stage/lib/systemd/system/bpf-profiler.service"
install -D -m 0644 scripts/bpf-profiler.conf "$stage/etc/bpf-profiler/bpf-profiler.conf"
install -D -m 0644 scripts/bpf-profiler.logrotate "$stage/etc/logrotate.d/bpf-profiler"
for page in docs/man/*.scd; do
  name=$(basename "$page" .scd)
  section=${name##*.}
  mkdir -p "$stage/usr/share/man/man$section"
  scdoc < "$page" | gzip -9n > "$stage/usr/share/man/man$section/$name.gz"
done
doc="$stage/usr/share/doc/bpf-profiler"
install -D -m 0644 scripts/debian/copyright "$doc/copyright"
install -m 0644 docs/operations.md docs/api.md docs/cli.md README.md "$doc/"
printf 'bpf-profiler (%s) unstable; urgency=medium\n\n  * Package built by scripts/package.sh.\n\n -- %s  %s\n' \
  "$debver" "$BPFPROF_MAINTAINER" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$doc/changelog.Debian.gz"
mkdir -p "$stage/usr/share/bpf-profiler" "$stage/usr/share/lintian/overrides"
cp -r schemas "$stage/usr/share/bpf-profiler/"
install -m 0644 scripts/debian/lintian-overrides "$stage/usr/share/lintian/overrides/bpf-profiler"
for s in postinst prerm postrm; do install -m 0755 "scripts/debian/$s" "$stage/DEBIAN/$s"; done
printf '/etc/bpf-profiler/bpf-profiler.conf\n/etc/logrotate.d/bpf-profiler\n' > "$stage/DEBIAN/conffiles"
find "$stage" -type d -exec chmod 0755 {} +
find "$stage/usr/share" -type f -exec chmod 0644 {} +

# the libraries the binary links, as Debian names them
mkdir -p build/pkg/shlibs/debian
printf 'Source: bpf-profiler\n\nPackage: bpf-profiler\nArchitecture: any\n' > build/pkg/shlibs/debian/control
depends=$(cd build/pkg/shlibs && dpkg-shlibdeps -O "../root/usr/sbin/bpf-profiler" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: bpf-profiler
Version: $debver
Architecture: $arch
Maintainer: ${BPFPROF_MAINTAINER}
Installed-Size: $size
Depends: $depends
Recommends: logrotate
Section: admin
Priority: optional
Homepage: https://github.com/bpf-profiler/bpf-profiler
Description: eBPF agent that judges dynamically loaded code before it runs
 bpf-profiler watches code being loaded into processes (dlopen, executable
 mappings, injection) with CO-RE eBPF programs, scores the calls around each
 load against a behavioral database, analyses the loaded object statically
 and scores where it came from, then allows it, hooks and confines the
 process, or quarantines the object and alerts. The agent serves its
 decisions, Prometheus metrics and an analyst page over HTTP.
CONTROL
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum) \
  > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums" "$stage/DEBIAN/conffiles"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 "$out" >&2 || true
fi

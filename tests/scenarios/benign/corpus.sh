#!/bin/sh
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# The benign corpus: real Debian programs loading their real plugins, many
# loads per process. corpus.sh GROUP runs one group (the runner traces each
# group as one command); scratch files go to $SCENARIO_WORK_DIR. A group
# whose program is not installed says so and exits 0 (the runner counts the
# loads that really happened, from ld.so, not from this script).
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=${SCENARIO_WORK_DIR:-/tmp}
bin=${SCENARIO_BIN_DIR:-}
py=/usr/bin/python3
multiarch=$($py -c 'import sysconfig; print(sysconfig.get_config_var("MULTIARCH"))' 2>/dev/null ||
	echo x86_64-linux-gnu)
lib=/usr/lib/$multiarch

missing() {
	echo "corpus.sh: $1 not installed: group skipped" >&2
	exit 0
}

need() {
	[ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || missing "$1"
}

case "${1:-}" in
python-extensions)
	need $py
	$py "$here/python_ext.py" extensions
	;;
python-ctypes)
	need $py
	$py "$here/python_ext.py" ctypes
	;;
perl-xs)
	need /usr/bin/perl
	/usr/bin/perl "$here/perl_xs.pl"
	;;
pam)
	need pamtester
	# account checks only: nothing is authenticated or written
	for svc in login su su-l runuser runuser-l passwd chfn chsh chpasswd newusers other \
		common-account; do
		[ -f "/etc/pam.d/$svc" ] && pamtester "$svc" nobody acct_mgmt </dev/null >/dev/null 2>&1
	done
	mkdir -p "$work/pam.d"
	if [ -x "$bin/scn_pam_all" ]; then
		"$bin/scn_pam_all" "$work/pam.d" "/lib/$multiarch/security"
	else
		echo "corpus.sh: scn_pam_all not built (libpam0g-dev)" >&2
	fi
	;;
nss)
	need getent
	# each line: database, NSS service list, key (- for none)
	while read -r db services key; do
		if [ "$key" = - ]; then
			getent -s "$services" "$db" >/dev/null 2>&1
		else
			getent -s "$services" "$db" "$key" >/dev/null 2>&1
		fi
	done <<-EOF
		passwd files,systemd no-such-user
		group files,systemd no-such-group
		shadow files,systemd no-such-user
		gshadow files,systemd no-such-group
		passwd systemd -
		group systemd -
		passwd compat nobody
		group compat root
		shadow compat root
		passwd hesiod no-such-user
		group hesiod no-such-group
		hosts files,dns localhost
		hosts dns localhost
		hosts hesiod localhost
		ahosts files localhost
		services files ssh
		services hesiod ssh
		protocols files tcp
		networks files loopback
		rpc files portmapper
		ethers files 00:00:00:00:00:00
		initgroups files,systemd root
		netgroup files none
	EOF
	;;
iconv)
	need iconv
	# pairs, so each process loads two gconv modules
	set -- ISO-8859-2 KOI8-R ISO-8859-3 KOI8-U ISO-8859-4 CP1250 ISO-8859-5 CP1251 \
		ISO-8859-6 CP1252 ISO-8859-7 CP1253 ISO-8859-8 CP1254 ISO-8859-9 CP1255 \
		ISO-8859-10 CP1256 ISO-8859-13 CP1257 ISO-8859-14 CP1258 ISO-8859-15 IBM037 \
		ISO-8859-16 IBM437 EUC-JP IBM850 EUC-KR IBM852 EUC-TW IBM866 GBK BIG5 \
		GB18030 BIG5-HKSCS SHIFT_JIS ISO-2022-JP ISO-2022-KR ISO-2022-CN UTF-7 \
		MACINTOSH ARMSCII-8 GEORGIAN-PS TIS-620 VISCII TCVN KOI8-T PT154 CP932 \
		EUC-JISX0213 HZ IBM1047 IBM273 IBM277 IBM278 IBM280 IBM284 IBM285 IBM297 \
		IBM500 IBM870 IBM871 IBM875 IBM880 IBM1026 CP737 CP775 ISO-IR-197 ISO_6937 \
		ISO-8859-11 KOI8-RU MAC-UK CP949 JOHAB UHC
	while [ $# -ge 2 ]; do
		printf 'hello, world\n' | iconv -c -f "$1" -t "$2" >/dev/null 2>&1
		shift 2
	done
	;;
imagemagick)
	need /usr/bin/convert-im6.q16
	out="$work/im"
	mkdir -p "$out"
	cd "$out" || exit 1 # the html coder writes its image map into the working directory
	set --
	for f in png jpg gif bmp tiff tga pcx pnm sgi sun xpm xbm xwd ico fits miff pict rgb \
		gray cmyk txt html mtv otb palm pdb uyvy vicar viff wbmp psd dds dpx hdr jp2 \
		webp pam ipl cip cin avs fax hrz mac pix rla sct sixel uil vid art; do
		set -- "$@" -write "$out/img.$f"
	done
	/usr/bin/convert-im6.q16 logo: -resize 32x32 "$@" "$out/img.ppm" >/dev/null 2>&1
	;;
openssl)
	need openssl
	openssl list -providers -provider legacy -provider default >/dev/null 2>&1
	for e in afalg padlock loader_attic; do
		openssl engine -t "$e" >/dev/null 2>&1
	done
	;;
gdk-pixbuf)
	q=$lib/gdk-pixbuf-2.0/gdk-pixbuf-query-loaders
	need "$q"
	"$q" >/dev/null 2>&1
	;;
gtk-immodules)
	q=$lib/libgtk-3-0/gtk-query-immodules-3.0
	need "$q"
	"$q" >/dev/null 2>&1
	;;
sasl)
	need saslpluginviewer
	saslpluginviewer >/dev/null 2>&1
	;;
gawk)
	need gawk
	set --
	for ext in "$lib"/gawk/*.so; do
		set -- "$@" -l "$(basename "$ext" .so)"
	done
	gawk "$@" 'BEGIN { }' </dev/null >/dev/null 2>&1
	;;
gstreamer)
	need gst-inspect-1.0
	# a private registry: the host's cache is neither read nor rewritten
	GST_REGISTRY="$work/gst-registry.bin" gst-inspect-1.0 >/dev/null 2>&1
	;;
p11-kit)
	need p11-kit
	p11-kit list-modules >/dev/null 2>&1
	;;
chromium)
	need chromium
	printf '<html><body><h1>corpus</h1><canvas id=c></canvas></body></html>\n' \
		>"$work/page.html"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$work/chromium" --dump-dom "file://$work/page.html" \
		>/dev/null 2>&1
	;;
*)
	echo "usage: corpus.sh GROUP (python-extensions python-ctypes perl-xs pam nss iconv" \
		"imagemagick openssl gdk-pixbuf gtk-immodules sasl gawk gstreamer p11-kit chromium)" >&2
	exit 2
	;;
esac
exit 0

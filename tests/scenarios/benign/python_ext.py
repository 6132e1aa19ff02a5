# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
"""Benign corpus, Python: `extensions` imports every C extension module of
the standard library (lib-dynload) and of the python3-* packages in
dist-packages; `ctypes` loads a fixed list of system libraries by soname.
One process each; a module that fails to import is skipped. Prints the
count of what loaded."""
import ctypes
import glob
import importlib
import os
import sys
import sysconfig

SONAMES = """libz.so.1 libbz2.so.1.0 liblzma.so.5 libzstd.so.1 liblz4.so.1 libssl.so.3
libcrypto.so.3 libsqlite3.so.0 libexpat.so.1 libffi.so.8 libgmp.so.10 libcurl.so.4
libjansson.so.4 libmicrohttpd.so.12 libcapstone.so.4 libelf.so.1 libbpf.so.1
libsystemd.so.0 libseccomp.so.2 libxml2.so.2 libpng16.so.16 libjpeg.so.62 libtiff.so.6
libwebp.so.7 libglib-2.0.so.0 libgio-2.0.so.0 libgobject-2.0.so.0 libcairo.so.2
libpango-1.0.so.0 libfreetype.so.6 libfontconfig.so.1 libharfbuzz.so.0 libX11.so.6
libxcb.so.1 libdbus-1.so.3 libuuid.so.1 libblkid.so.1 libmount.so.1 libselinux.so.1
libpcre2-8.so.0 libgcrypt.so.20 libgnutls.so.30 libidn2.so.0 libunistring.so.2
libnettle.so.8 libp11-kit.so.0 libtasn1.so.6 libkrb5.so.3 libgssapi_krb5.so.2
libsasl2.so.2 libldap-2.5.so.0 libreadline.so.8 libncursesw.so.6 libtinfo.so.6
libpam.so.0 libcap.so.2 libacl.so.1 libattr.so.1 libaudit.so.1 libmagic.so.1
libarchive.so.13 libyaml-0.so.2 libgtk-3.so.0 libgdk_pixbuf-2.0.so.0 libasound.so.2
libnss3.so libgstreamer-1.0.so.0 libMagickCore-6.Q16.so.6 libinih.so.1""".split()


def extensions():
    names = set()
    dynload = sysconfig.get_path("platstdlib") + "/lib-dynload"
    for path in glob.glob(dynload + "/*.so"):
        names.add(os.path.basename(path).split(".")[0])
    for top in ("/usr/lib/python3/dist-packages",):
        for path in glob.glob(top + "/**/*.so", recursive=True):
            rel = os.path.relpath(path, top).split(".")[0]
            names.add(rel.replace("/", "."))
    loaded = 0
    for name in sorted(names):
        try:
            importlib.import_module(name)
            loaded += 1
        except Exception as e:  # a module that needs what is not there
            print(f"skipped {name}: {e}", file=sys.stderr)
    return loaded


def libraries():
    loaded = 0
    for soname in SONAMES:
        try:
            ctypes.CDLL(soname)
            loaded += 1
        except OSError:
            pass
    return loaded


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "extensions"
    n = extensions() if what == "extensions" else libraries()
    print(f"{what}: {n} loaded")

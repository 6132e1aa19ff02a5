#!/usr/bin/env python3
# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# mkhostile.py LIB.so DIR: writes to DIR the files that once exhausted the
# static analysis's memory (scripts/bench.sh dcam measures its peak RSS on
# them), all made from the x86-64 shared object LIB.so:
#   shdr4m.so     4 M section headers (extended numbering), 256 MiB, sparse
#   big500.so     the library followed by zeros up to 500 MB, sparse
#   hugeload.so   every PT_LOAD claiming 2^40 bytes in the file and in memory
#   hugeload300.so  300 MB whose first PT_LOAD maps all of it, memsz 2^40
import struct, sys

src, out = sys.argv[1], sys.argv[2]
data = bytearray(open(src, 'rb').read())
phoff, = struct.unpack_from('<Q', data, 0x20)
phnum, = struct.unpack_from('<H', data, 0x38)

n = 4 << 20
shoff = (len(data) + 63) & ~63
d = bytearray(data) + b'\0' * (shoff - len(data))
struct.pack_into('<Q', d, 0x28, shoff)
struct.pack_into('<HHH', d, 0x3a, 64, 0, 0)  # shentsize, shnum 0, shstrndx 0
with open(out + '/shdr4m.so', 'wb') as f:
    f.write(d)
    sh0 = bytearray(64)
    struct.pack_into('<Q', sh0, 32, n)  # sh_size of entry 0: the count
    f.write(sh0)
    f.truncate(shoff + 64 * n)

with open(out + '/big500.so', 'wb') as f:
    f.write(data)
    f.truncate(500 * 1000 * 1000)


def loads(buf):
    for i in range(phnum):
        o = phoff + 56 * i
        if struct.unpack_from('<I', buf, o)[0] == 1:
            yield o


d = bytearray(data)
for o in loads(d):
    struct.pack_into('<QQ', d, o + 32, 1 << 40, 1 << 40)
open(out + '/hugeload.so', 'wb').write(d)

d = bytearray(data)
o = next(loads(d))
struct.pack_into('<QQ', d, o + 32, 300 * 1000 * 1000, 1 << 40)
with open(out + '/hugeload300.so', 'wb') as f:
    f.write(d)
    f.truncate(300 * 1000 * 1000)

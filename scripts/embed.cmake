# SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only)
# cmake -DSYMBOL=name -DIN=file -DOUT=file.c -P embed.cmake
# Turns a data file into a C array so the binary carries its defaults.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR bytes "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* Generated from ${IN} by scripts/embed.cmake: do not edit. */\n#include <stddef.h>\nconst char ${SYMBOL}[] = {\n${body}0x00};\nconst size_t ${SYMBOL}_len = ${bytes};\n")

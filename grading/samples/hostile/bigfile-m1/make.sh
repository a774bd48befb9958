#!/usr/bin/env bash
# make.sh OUTDIR: writes the bigfile-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT/phase1-single"
{ starter $F; echo '/*'; head -c 1200000 /dev/zero | tr '\0' 'x' | fold -w 100; echo '*/'; } > "$OUT/$F"

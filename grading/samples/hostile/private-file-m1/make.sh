#!/usr/bin/env bash
# make.sh OUTDIR: writes the private-file-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT/phase1-single"
starter $F > "$OUT/$F"
chmod 600 "$OUT/$F"

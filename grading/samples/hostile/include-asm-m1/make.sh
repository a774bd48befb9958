#!/usr/bin/env bash
# make.sh OUTDIR: writes the include-asm-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT"
secret=$(dirname "$OUT")/h6-secret-include
echo "H6SECRET-include-$$" > "$secret"; chmod 600 "$secret"
echo "NOLEAK H6SECRET-include-$$"
write_sample "$OUT" $F "$(with_attack $F "__asm__(\".incl\" \"ude \\\"$secret\\\"\");" '')"

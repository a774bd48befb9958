#!/usr/bin/env bash
# make.sh OUTDIR: writes the incbin-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT"
secret=$(dirname "$OUT")/h6-secret-incbin
echo "H6SECRET-incbin-$$" > "$secret"; chmod 600 "$secret"
echo "NOLEAK H6SECRET-incbin-$$"
write_sample "$OUT" $F "$(with_attack $F "__asm__(\".section .rodata\\n.globl phase1_secret\\nphase1_secret: .inc\" \"bin \\\"$secret\\\"\\n.byte 0\\n.text\");
extern const char phase1_secret[];" '')"

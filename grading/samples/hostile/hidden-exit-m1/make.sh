#!/usr/bin/env bash
# make.sh OUTDIR: writes the hidden-exit-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue exit)" \
  '    ((void (*)(int))hidden_exit)(0);')"

#!/usr/bin/env bash
# make.sh OUTDIR: writes the fifo-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
mkdir -p "$OUT/phase1-single"
mkfifo "$OUT/phase1-single/fault.c"

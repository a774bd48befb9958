#!/usr/bin/env bash
# make.sh OUTDIR: writes the symlink-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
mkdir -p "$OUT/phase1-single"
ln -s /etc/shadow "$OUT/phase1-single/fault.c"
ln -s "$KIT_DIR/phase1-single/trim.c" "$OUT/phase1-single/trim.c"

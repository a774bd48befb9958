#!/usr/bin/env bash
# make.sh OUTDIR: writes the archive-bomb-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT"
starter $F > "$OUT/fault.c"
# One gzip member per piece: the tar headers, then the same member of 64
# MiB of zeros 32 times (concatenated members are one valid gzip stream).
python3 - "$OUT/fault.c" <<'PY' | gzip -9 > "$OUT/submission.tar.gz"
import sys, tarfile
data = open(sys.argv[1], "rb").read()
t = tarfile.TarInfo("myphase1/fault.c"); t.size = len(data)
sys.stdout.buffer.write(t.tobuf() + data + b"\0" * ((512 - len(data) % 512) % 512))
t = tarfile.TarInfo("myphase1/zeros.bin"); t.size = 2 << 30
sys.stdout.buffer.write(t.tobuf(format=tarfile.GNU_FORMAT))
PY
dd if=/dev/zero bs=1M count=64 status=none | gzip -9 > "$OUT/zeros.gz"
for i in $(seq 32); do cat "$OUT/zeros.gz"; done >> "$OUT/submission.tar.gz"
dd if=/dev/zero bs=512 count=2 status=none | gzip -9 >> "$OUT/submission.tar.gz"
rm "$OUT/fault.c" "$OUT/zeros.gz"

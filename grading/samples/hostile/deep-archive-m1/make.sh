#!/usr/bin/env bash
# make.sh OUTDIR: writes the deep-archive-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT"
starter $F > "$OUT/fault.c"
python3 - "$OUT/fault.c" "$OUT/submission.tar" <<'PY'
import sys, tarfile, io
data = open(sys.argv[1], "rb").read()
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t:
    deep = "/".join(["h6-deep-0123456789012345678901"] * 300)
    i = tarfile.TarInfo(deep + "/fault.c"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("phase1-single/fault.c"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
rm "$OUT/fault.c"

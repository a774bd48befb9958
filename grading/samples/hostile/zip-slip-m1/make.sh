#!/usr/bin/env bash
# make.sh OUTDIR: writes the zip-slip-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT"
starter $F > "$OUT/fault.c"
python3 - "$OUT/fault.c" "$OUT/submission.zip" <<'PY'
import sys, zipfile
data = open(sys.argv[1], "rb").read()
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("phase1-single/fault.c", data)
    z.writestr("../../../../../../tmp/h6-zipslip/phase1-single/fault.c", data)
    z.writestr("/tmp/h6-zipslip-abs/phase1-single/fault.c", data)
PY
rm "$OUT/fault.c"

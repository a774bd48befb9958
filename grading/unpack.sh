#!/usr/bin/env bash
# unpack.sh - find a submission's files, wherever the student put them.
# Runs INSIDE the sandbox (grader --sandbox), as the sandbox user, with the
# submission visible read-only and OUTDIR read-write; its scratch space is
# the sandbox's own size-limited tmpfs.
#
#   unpack.sh SUBMISSION OUTDIR MANIFEST-PATH...
#
# SUBMISSION is a folder, an archive (zip, tar, tar.gz/bz2/xz, read with
# bsdtar), or one bare source file.  For each MANIFEST-PATH (stage/file.c)
# the submitted copy is looked for:
#   1. in a folder: everywhere below it, at any depth (the stage folder
#      itself, a folder named otherwise, or the bare files at the top);
#   2. when the folder holds no such file but exactly one archive, inside
#      that archive;
#   3. a bare file: taken for the manifest path with its name.
# Among several files of the same name, the one under a folder named like
# the stage wins, then the one beside most other files of the same
# manifest, then the shallowest; the choice is reported.
#
# Every found file (a regular file, no link, at most MAX_FILE bytes) is
# copied to OUTDIR/MANIFEST-PATH.  One line per manifest path goes to
# stdout, for the student's feedback:
#   taken    phase1-single/fault.c  from  myphase1/fault.c
#   missing  phase1-single/trim.c   (no file named trim.c was submitted)
# Archives are checked from their listing before anything is extracted:
# at most MAX_ENTRIES entries, MAX_TOTAL bytes unpacked, MAX_DEPTH levels,
# no absolute or '..' path; extraction then happens on a tmpfs whose size
# bounds it whatever the listing claimed.
# Exit status: 0 when the submission could be read (files may still be
# missing), 1 with one line "error: ..." when it could not.
set -u
MAX_ENTRIES=2000
MAX_TOTAL=$((64 * 1024 * 1024))
MAX_DEPTH=24
MAX_FILE=$((1024 * 1024))
SCRATCH=${TMPDIR:-/tmp}/unpacked

if [ "${1:-}" = "--help" ] || [ $# -lt 3 ]; then
  sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  [ "${1:-}" = "--help" ]; exit $?
fi
SUB=$1 OUTDIR=$2; shift 2

die() { echo "error: $*"; exit 1; }

# is_archive FILE: bsdtar can list it (and it is not a plain source file).
is_archive() {
  case "$1" in *.c|*.h|*.txt|*.md) return 1 ;; esac
  bsdtar -tf "$1" > /dev/null 2>&1
}

# check_listing FILE: the archive's listing stays within the limits.
check_listing() {
  bsdtar -tvf "$1" 2> /dev/null | awk -v maxn=$MAX_ENTRIES \
    -v maxt=$MAX_TOTAL -v maxd=$MAX_DEPTH '
    { n++; total += $5; path = $9
      for (i = 10; i <= NF; i++) path = path " " $i
      if (path ~ /^\// || path ~ /(^|\/)\.\.(\/|$)/) { bad = "a path outside the archive: " path; exit }
      d = gsub(/\//, "/", path); if (d > maxd) { bad = "folders nested deeper than " maxd " levels"; exit } }
    n > maxn { bad = "more than " maxn " entries"; exit }
    total > maxt { bad = "more than " maxt / 1048576 " MiB once unpacked"; exit }
    END { if (bad != "") { print bad; exit 1 } }'
}

# extract FILE DIR: check, then unpack FILE into DIR.
extract() {
  local why
  why=$(check_listing "$1") || die "the archive $(basename "$1") is refused: $why"
  mkdir -p "$2"
  bsdtar -xf "$1" -C "$2" --no-same-owner --no-same-permissions \
    --no-fflags --no-xattrs --no-acls 2> "$SCRATCH.err" \
    || die "the archive $(basename "$1") could not be unpacked: $(head -c 300 "$SCRATCH.err")"
  chmod -R u+rwX "$2" 2> /dev/null
}

# candidates ROOT NAME: regular files named NAME below ROOT (no links).
candidates() {
  find "$1" -maxdepth $MAX_DEPTH -type f -name "$2" -size -$((MAX_FILE / 1024 + 1))k \
    -not -path '*/__MACOSX/*' -not -name '._*' 2> /dev/null | LC_ALL=C sort
}

# score ROOT PATH CANDIDATE: a sort key; lower is better.
score() {
  local stage=${2%%/*} file=$3 dir others=0 f
  dir=$(dirname "$file")
  for f in "${MANIFEST[@]}"; do
    [ "${f%%/*}" = "$stage" ] && [ -f "$dir/$(basename "$f")" ] && others=$((others + 1))
  done
  local under=1
  [[ "/$file/" == */"$stage"/* ]] && under=0
  printf '%d %03d %03d %s\n' "$under" $((100 - others)) \
    "$(tr -cd / <<< "${file#"$1"}" | wc -c)" "$file"
}

# pick ROOT PATH: copy the best candidate for PATH below ROOT; report it.
pick() {
  local root=$1 path=$2 name best n
  name=$(basename "$path")
  mapfile -t found < <(candidates "$root" "$name")
  n=${#found[@]}
  if [ "$n" -eq 0 ]; then
    if [ -n "$(find "$root" -maxdepth $MAX_DEPTH -type f -name "$name" 2> /dev/null | head -n 1)" ]; then
      printf 'missing  %-32s (the file named %s is larger than %d KiB, so it is not taken: the starter version is used)\n' "$path" "$name" $((MAX_FILE / 1024))
    else
      printf 'missing  %-32s (no file named %s was submitted: the starter version is used)\n' "$path" "$name"
    fi
    return
  fi
  best=$(for f in "${found[@]}"; do score "$root" "$path" "$f"; done | sort | head -n 1 | cut -d' ' -f4-)
  mkdir -p "$OUTDIR/$(dirname "$path")"
  cp -- "$best" "$OUTDIR/$path" || die "cannot copy $best"
  printf 'taken    %-32s from  %s%s\n' "$path" "${best#"$root"/}" \
    "$([ "$n" -gt 1 ] && echo "  (the best of $n files named $name)")"
}

MANIFEST=("$@")
mkdir -p "$SCRATCH" "$OUTDIR"
if [ -d "$SUB" ]; then
  ROOT=$SUB
  any=0
  for p in "${MANIFEST[@]}"; do
    [ -n "$(candidates "$ROOT" "$(basename "$p")")" ] && any=1
  done
  if [ $any -eq 0 ]; then
    mapfile -t archives < <(find "$SUB" -maxdepth 3 -type f \( -name '*.zip' \
      -o -name '*.tar' -o -name '*.tar.gz' -o -name '*.tgz' -o -name '*.tar.xz' \
      -o -name '*.tar.bz2' \) 2> /dev/null)
    if [ ${#archives[@]} -eq 1 ]; then
      echo "note     the folder holds no source file but one archive, $(basename "${archives[0]}"): unpacking it"
      extract "${archives[0]}" "$SCRATCH/root"
      ROOT=$SCRATCH/root
    fi
  fi
elif [ -f "$SUB" ] && is_archive "$SUB"; then
  extract "$SUB" "$SCRATCH/root"
  ROOT=$SCRATCH/root
elif [ -f "$SUB" ]; then
  mkdir -p "$SCRATCH/root"
  cp -- "$SUB" "$SCRATCH/root/$(basename "$SUB")" || die "cannot read the submitted file"
  ROOT=$SCRATCH/root
else
  die "the submission $(basename "$SUB") does not exist"
fi
for p in "${MANIFEST[@]}"; do pick "$ROOT" "$p"; done
exit 0

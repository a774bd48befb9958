#!/usr/bin/env bash
# grade.sh - the driver behind 'make grade'.
#
#   make grade                         grade the kit's reference solution
#   make grade SUBMISSION=dir|tar|zip  grade a student's submission
#        [MILESTONE=M1[,M2]] [AUTOLAB=1] [GRADE_OUT=build/grade]
#
# The shell does what shells are good at (copying trees, unpacking,
# running make); the C grader (grading/grader.c) does everything a
# submission could attack: it runs the tests sandboxed, reads check's XML
# logs and writes the scores.  See grading/README.md.
#
# Steps:
#   1. results.json is first written as a zero-score placeholder, so a
#      valid file exists whatever happens later;
#   2. the kit (with the grader) is built in REF_BUILD (default build/):
#      it is the reference for availability and performance ratios;
#   3. with SUBMISSION: a private copy of the kit gets only the files the
#      graded stages' MANIFESTs name (regular files inside the submission;
#      a file not submitted gets the starter version), and is built;
#   4. the grader scores it.  Exit status 0 whenever grading ran.
set -u
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
OUT=${GRADE_OUT:-build/grade}
REF=${REF_BUILD:-build}
SUBMISSION=${SUBMISSION:-}
MILESTONE=${MILESTONE:-}
JOBS=${JOBS:-2}
RUBRICS=grading/rubrics
TREE=${GRADE_TREE:-build/grade-tree}
MAX_FILE_BYTES=1048576

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# placeholder MESSAGE: a valid zero-score results.json.
placeholder() {
  local msg=${1//\"/\'}
  printf '{"score": 0, "execution_time": 0, "output": "%s", "tests": [{"name": "grader", "number": "0.1", "score": 0, "max_score": 0, "status": "failed", "output": "%s", "visibility": "visible", "tags": ["build"]}]}\n' \
    "$msg" "$msg" > "$OUT/results.json"
}

# selected_stages: the stage directory of every rubric MILESTONE selects.
selected_stages() {
  local f id
  for f in "$RUBRICS"/M*.rubric; do
    id=$(awk '$1 == "milestone" { print $2 }' "$f")
    if [ -z "$MILESTONE" ] || [[ ",$MILESTONE," == *",$id,"* ]]; then
      awk '$1 == "milestone" { print $3 }' "$f"
    fi
  done
}

# unpack SUBMISSION -> prints the directory holding it.
unpack() {
  if [ -d "$SUBMISSION" ]; then (cd "$SUBMISSION" && pwd); return 0; fi
  local dir="$OUT/submission"
  rm -rf "$dir"; mkdir -p "$dir"
  case "$SUBMISSION" in
    *.zip) unzip -qq -o "$SUBMISSION" -d "$dir" ;;
    *) tar -xf "$SUBMISSION" -C "$dir" --no-same-owner --no-same-permissions ;;
  esac >/dev/null 2>&1 || { echo "cannot unpack $SUBMISSION" >&2; return 1; }
  echo "$dir"
}

# find_file SUBDIR PATH: the submitted copy of kit file PATH, if it is a
# regular file (no symlink) really inside SUBDIR and not too large.
find_file() {
  local sub=$1 path=$2 c real
  for c in "$sub/$path" "$sub/$(basename "$path")" "$sub"/*/"$path"; do
    [ -f "$c" ] && [ ! -L "$c" ] || continue
    real=$(realpath "$c")
    [[ "$real" == "$(realpath "$sub")"/* ]] || continue
    [ "$(stat -c %s "$c")" -le $MAX_FILE_BYTES ] || continue
    echo "$c"; return 0
  done
  return 1
}

# screen FILE: refuse includes that reach outside the kit's include path
# (they could pull in the reference solution); prints the offence.
screen() {
  grep -nE '#[[:space:]]*include[[:space:]]*"[^"]*/|#[[:space:]]*include[[:space:]]*<(/|[^>]*\.\.)|\.incbin|__has_include' "$1" | head -n 3
}

# overlay SUBDIR: put the submitted manifest files into the tree.
overlay() {
  local sub=$1 stage path src bad
  for stage in $(selected_stages); do
    [ -f "$KIT/$stage/MANIFEST" ] || continue
    while read -r path; do
      [ -n "$path" ] || continue
      rm -f "$TREE/build/obj/${path%.*}.o"
      if src=$(find_file "$sub" "$path"); then
        cp "$src" "$TREE/$path"
        if bad=$(screen "$TREE/$path") && [ -n "$bad" ]; then
          echo "$path: error: include outside the kit refused: $bad"
          printf '#error "submission refused: %s includes a file outside the kit"\n' "$path" > "$TREE/$path"
        fi
      else
        echo "$path: not submitted: the starter version is used"
        unifdef -USOLUTION -x2 "$KIT/$path" > "$TREE/$path"
      fi
    done < "$KIT/$stage/MANIFEST"
  done
}

# rubric_targets: the make targets (under build/) the selected rubrics
# need: their test binaries and performance programs.
rubric_targets() {
  local f id
  for f in "$RUBRICS"/M*.rubric; do
    id=$(awk '$1 == "milestone" { print $2 }' "$f")
    if [ -z "$MILESTONE" ] || [[ ",$MILESTONE," == *",$id,"* ]]; then
      awk '$1 == "binary" { print "build/tests/" $3 }
           $1 == "perf" { print "build/" $5 }' "$f"
    fi
  done | sort -u
}

# build_submission: copy the kit, overlay, build.  Prints the build dir.
build_submission() {
  local sub
  sub=$(unpack) || return 1
  mkdir -p "$TREE"
  rsync -a --delete --exclude /build --exclude /.git "$KIT/" "$TREE/"
  find "$TREE/build" -mindepth 1 -maxdepth 1 ! -name obj -exec rm -rf {} + 2>/dev/null
  overlay "$sub" > "$OUT/build.log" 2>&1
  (cd "$TREE" && timeout 900 make -k -j"$JOBS" BUILD=build $(rubric_targets)) \
    >> "$OUT/build.log" 2>&1
  echo "$TREE/build"
}

placeholder "grading did not finish"
echo "grade: building the kit (reference) in $REF"
if ! make -k -j"$JOBS" BUILD="$REF" all > "$OUT/ref-build.log" 2>&1 \
   && [ ! -x "$REF/grading/grader" ]; then
  placeholder "the grader itself did not build: see $OUT/ref-build.log"
  tail -n 20 "$OUT/ref-build.log"
  exit 1
fi
BUILD_DIR=$REF
BUILD_LOG=$OUT/ref-build.log
if [ -n "$SUBMISSION" ]; then
  echo "grade: building submission $SUBMISSION"
  if ! BUILD_DIR=$(build_submission); then
    placeholder "the submission could not be unpacked"
    exit 0
  fi
  BUILD_LOG=$OUT/build.log
fi
args=(--rubrics "$RUBRICS" --build "$BUILD_DIR" --ref-build "$REF" --kit "$KIT"
      --out "$OUT" --build-log "$BUILD_LOG")
[ -n "$MILESTONE" ] && args+=(--milestone "$MILESTONE")
[ -n "${AUTOLAB:-}" ] && [ "${AUTOLAB:-0}" != 0 ] && args+=(--autolab)
[ -n "${GRADE_STRICT:-}" ] && args+=(--strict)
[ "${GRADE_EXIT_ZERO:-0}" != 0 ] && args+=(--exit-zero) # else 0 only at full marks
[ -n "${GRADE_TIMEOUT_SCALE:-}" ] && args+=(--timeout-scale "$GRADE_TIMEOUT_SCALE")
[ -n "${GRADE_MEM_MB:-}" ] && args+=(--mem-mb "$GRADE_MEM_MB")
"$REF/grading/grader" "${args[@]}"
rc=$?
# COVERAGE=1: coverage of the stage code by the public tests (runs the
# tests outside the sandbox: for the reference or trusted code only).
if [ "${COVERAGE:-0}" != 0 ]; then
  tree=$KIT; [ -n "$SUBMISSION" ] && tree=$(cd "$TREE" && pwd)
  COV_TREE=$tree COV_OUT=$OUT/coverage MILESTONE=${MILESTONE:-M1} \
    grading/coverage.sh
fi
if [ $rc -gt 2 ]; then # 1: below full marks, 2: usage or rubric error
  placeholder "the grader stopped with status $rc"
  exit 3
fi
exit $rc

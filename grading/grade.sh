#!/usr/bin/env bash
# grade.sh - the driver behind 'make grade'.
#
#   make grade                         grade the kit's reference solution
#   make grade SUBMISSION=dir|tar|zip|file  grade a student's submission
#        [MILESTONE=M1[,M2]] [AUTOLAB=1] [GRADE_OUT=build/grade]
#
# The shell does what shells are good at (copying trees, running make);
# the C grader (grading/grader.c) does everything a submission could
# attack: it runs every untrusted step in the sandbox (grading/sandbox.h:
# bubblewrap, an unprivileged uid, no network, its own view of the file
# system, whole-run limits), reads check's XML logs and the tests'
# completion records, and writes the scores.  See grading/README.md,
# "Threat model".
#
# Steps:
#   1. results.json is first written as a zero-score placeholder, so a
#      valid file exists whatever happens later;
#   2. the kit (with the grader) is built in REF_BUILD (default build/):
#      it is the reference for availability and performance ratios;
#   3. with SUBMISSION:
#      a. the grading tree (GRADE_TREE) is made from the kit without
#         anything of the reference: every stage's MANIFEST files are the
#         starter versions; no .git, and none of the staff's folders.  Its
#         objects are built here, as trusted code, and kept in GRADE_BASE
#         (default GRADE_TREE.base) for the next grading;
#      b. the starters are kept aside for the screen, and the tree is
#         handed to the sandbox user;
#      c. in the sandbox, grading/unpack.sh finds the manifest files in the
#         submission (any layout; archives checked before unpacking); each
#         one taken, or missing, is reported to the student;
#      d. in the sandbox, grading/build_submission.sh screens what the
#         files include, builds the rubric targets and screens the objects;
#   4. the grader scores it, its tests seeing only the grading tree;
#   5. the grading tree is removed (GRADE_KEEP=1 keeps it).
# Exit status 0 whenever grading ran; 1 when it could not (the grader did
# not build, the SUBMISSION does not exist).
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
BASE=${GRADE_BASE:-$TREE.base}

if [ "${1:-}" = "--help" ]; then
  sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0
fi

mkdir -p "$OUT" "$(dirname "$TREE")" "$BASE"
OUT=$(cd "$OUT" && pwd)
TREE=$(cd "$(dirname "$TREE")" && pwd)/$(basename "$TREE")
BASE=$(cd "$BASE" && pwd)

# placeholder MESSAGE: a valid zero-score results.json.
placeholder() {
  local msg=${1//\"/\'}
  printf '{"score": 0, "execution_time": 0, "output": "%s", "tests": [{"name": "grader", "number": "0.1", "score": 0, "max_score": 0, "status": "failed", "output": "%s", "visibility": "visible", "tags": ["build"]}]}\n' \
    "$msg" "$msg" > "$OUT/results.json"
}

# selected RUBRIC-KEY: that key's values of every rubric MILESTONE selects
# (stage: the stage directories; targets: the make targets under build/).
selected() {
  local f id
  for f in "$RUBRICS"/M*.rubric; do
    id=$(awk '$1 == "milestone" { print $2 }' "$f")
    if [ -z "$MILESTONE" ] || [[ ",$MILESTONE," == *",$id,"* ]]; then
      case $1 in
        stage) awk '$1 == "milestone" { print $3 }' "$f" ;;
        targets) echo build/lib/libcommon.a   # the screen's allowlist needs it
                 awk '$1 == "binary" { print "build/tests/" $3 }
                      $1 == "perf" { print "build/" $5 }' "$f" ;;
      esac
    fi
  done | sort -u
}

# manifest_files [STAGE...]: the MANIFEST paths of those stages (all
# stages when none is named).
manifest_files() {
  local m
  if [ $# -eq 0 ]; then set -- $(ls -d */ | tr -d /); fi
  for m in "$@"; do
    [ -f "$KIT/$m/MANIFEST" ] && grep -v '^[[:space:]]*$' "$KIT/$m/MANIFEST"
  done
}

# sandbox ARGS... -- CMD...: the grader's sandbox, with this run's uid.
sandbox() { "$REF/grading/grader" --sandbox "$@"; }

# make_base: the kit without the reference (step 3a), built at the
# grading tree's own path (the test programs carry absolute paths of the
# tree they were built in) and saved to BASE for the next grading.  The
# cached copy is restored first, and starter files are rewritten only when
# they change, so make rebuilds only what changed in the kit since.
make_base() {
  local f excl=() tmp targets
  targets=$(selected targets)
  for f in $(manifest_files); do excl+=(--exclude "/$f"); done
  rm -rf "$TREE"; mkdir -p "$TREE"
  [ -d "$BASE/build" ] && cp -a "$BASE/." "$TREE/"
  rsync -a --delete --exclude '/build' --exclude '/build-*' --exclude /.git \
    --exclude /.ci --exclude /grading/bugs --exclude /grading/samples \
    --exclude /grading/rubrics "${excl[@]}" "$KIT/" "$TREE/" || return 1
  for f in $(manifest_files); do
    tmp=$TREE/$f.starter
    unifdef -USOLUTION -x2 "$KIT/$f" > "$tmp"
    if cmp -s "$tmp" "$TREE/$f"; then rm -f "$tmp"; else mv "$tmp" "$TREE/$f"; fi
  done
  (cd "$TREE" && make -k -j"$JOBS" BUILD=build $targets) \
    > "$OUT/base-build.log" 2>&1
  # saved whole or not at all: an interrupted copy (rsync keeps folders
  # 0700 until it ends) must never become the next grading's base
  rm -rf "$BASE.new"
  cp -a "$TREE" "$BASE.new" && rm -rf "$BASE" && mv "$BASE.new" "$BASE"
}

# fresh_tree: the grading tree made ready for the submission (step 3b):
# the starters kept aside for the object screen, everything owned by the
# sandbox user.
fresh_tree() {
  local f
  rm -rf "$TREE/.submitted"; mkdir -p "$TREE/.submitted"
  for f in $(manifest_files); do   # the starters, for the object screen
    mkdir -p "$TREE/.starter/$(dirname "$f")"; cp "$TREE/$f" "$TREE/.starter/$f"
    cp "$TREE/$(dirname "$f")/MANIFEST" "$TREE/.starter/$(dirname "$f")/"
  done
  [ "$(id -u)" = 0 ] && chown -R "$PAGELAB_SANDBOX_UID:65534" "$TREE"
  return 0
}

# take_files: unpack and locate the submission in the sandbox (step 3c);
# put what was found into the tree.  Returns 1 when it cannot be read
# (layout.txt then ends with "error: ...").
take_files() {
  local sub bind f
  sub=$(realpath "$SUBMISSION")
  bind=$sub
  sandbox --ro "$bind" --ro "$KIT/grading/unpack.sh" --rw "$TREE/.submitted" \
    --wall 120 --mem-mb 512 --tmp-mb 256 -- \
    /bin/bash "$KIT/grading/unpack.sh" "$sub" "$TREE/.submitted" \
    $(manifest_files $(selected stage)) > "$OUT/layout.txt" 2>&1 || return 1
  for f in $(manifest_files $(selected stage)); do
    [ -f "$TREE/.submitted/$f" ] && [ ! -L "$TREE/.submitted/$f" ] || continue
    cat "$TREE/.submitted/$f" > "$TREE/$f"
  done
  rm -rf "$TREE/.submitted"
}

# build_tree: screen, build and screen again in the sandbox (step 3d).
build_tree() {
  local targets stages
  targets=$(selected targets | tr '\n' ' ')
  stages=$(selected stage)
  sandbox --rw "$TREE" --wall 600 --cpu 900 --mem-mb 2048 --nproc 256 \
    --fsize-mb 256 --env "JOBS=$JOBS" -- \
    /bin/bash "$TREE/grading/build_submission.sh" "$TREE" "$targets" $stages \
    > "$OUT/build.log" 2>&1
  local rc=$?
  [ "${PAGELAB_SANDBOX:-}" = off ] || [ "$(id -u)" != 0 ] \
    || chown -R root:root "$TREE"
  return $rc
}

# submission_steps: steps 3a-3d; prints the build directory to grade.
submission_steps() {
  if [ ! -e "$SUBMISSION" ]; then
    echo "grade: SUBMISSION $SUBMISSION does not exist" >&2; return 2
  fi
  echo "grade: preparing the grading tree (no reference inside)" >&2
  make_base || { echo "grade: cannot make $BASE" >&2; return 2; }
  fresh_tree || { echo "grade: cannot make $TREE" >&2; return 2; }
  echo "grade: taking the files of $SUBMISSION" >&2
  take_files || return 1
  sed 's/^/  /' "$OUT/layout.txt" >&2
  echo "grade: screening and building the submission (sandboxed)" >&2
  build_tree
  echo "$TREE/build"
}

placeholder "grading did not finish"
echo "grade: building the kit (reference) in $REF"
KIT_BUILT=1
if ! make -k -j"$JOBS" BUILD="$REF" all > "$OUT/ref-build.log" 2>&1; then
  KIT_BUILT=0
  if [ ! -x "$REF/grading/grader" ]; then
    placeholder "the grader itself did not build: see $OUT/ref-build.log"
    tail -n 20 "$OUT/ref-build.log"
    exit 1
  fi
  # Graded in place (a student's handout: this tree is their code), the
  # milestones whose tests did not build cannot be graded: say why, and
  # never exit 0 (an exit-status grader would give full marks).
  if [ -z "$SUBMISSION" ]; then
    echo "grade: the build failed; its errors (all of them in $OUT/ref-build.log):"
    grep -E 'error:|undefined reference' "$OUT/ref-build.log" | head -n 30
  fi
fi
# One unprivileged uid for every sandboxed step of this grading run.
export PAGELAB_SANDBOX_UID=${PAGELAB_SANDBOX_UID:-$((61000 + $$ % 2000))}
BUILD_DIR=$REF
BUILD_LOG=$OUT/ref-build.log
VIEW=$KIT
args=()
if [ -n "$SUBMISSION" ]; then
  BUILD_DIR=$(submission_steps); rc=$?
  if [ $rc -eq 2 ]; then
    placeholder "the submission does not exist or could not be prepared"
    rm -rf "$TREE"
    exit 1
  fi
  BUILD_LOG=$OUT/build.log
  VIEW=$TREE
  if [ $rc -eq 1 ]; then
    # Unreadable (a refused archive): nothing is built; every item is lost
    # with the reason in the visible 'submission' and 'build' entries.
    cat "$OUT/layout.txt"
    rm -rf "$TREE"
    BUILD_DIR=$OUT/not-built; mkdir -p "$BUILD_DIR/tests"
    BUILD_LOG=$OUT/layout.txt VIEW=$BUILD_DIR
  fi
  args+=(--notes "$OUT/layout.txt")
fi
args+=(--rubrics "$RUBRICS" --build "$BUILD_DIR" --ref-build "$REF" --kit "$KIT"
       --out "$OUT" --build-log "$BUILD_LOG" --view "$VIEW")
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
  tree=$KIT; [ -n "$SUBMISSION" ] && tree=$TREE
  COV_TREE=$tree COV_OUT=$OUT/coverage MILESTONE=${MILESTONE:-M1} \
    grading/coverage.sh
fi
[ -n "$SUBMISSION" ] && [ "${GRADE_KEEP:-0}" = 0 ] && rm -rf "$TREE"
if [ $rc -gt 2 ]; then # 1: below full marks, 2: usage or rubric error
  placeholder "the grader stopped with status $rc"
  exit 3
fi
if [ -z "$SUBMISSION" ] && [ $KIT_BUILT = 0 ] && [ $rc -eq 0 ] \
   && [ "${GRADE_EXIT_ZERO:-0}" = 0 ]; then
  rc=1 # not full marks: part of the tree did not build
fi
exit $rc

#!/usr/bin/env bash
# build_submission.sh - screen and build a submission in its grading tree.
# Runs INSIDE the sandbox (grader --sandbox, from grading/grade.sh), as the
# sandbox user, with only the grading tree writable.
#
#   build_submission.sh TREE "TARGET..." STAGE...
#
#   1. the header screen (grading/screen.sh headers): every file the
#      preprocessor opens for the submitted files must be one of the kit's
#      public headers or a system header.  Refused: nothing is compiled, and
#      only the refusal lines are shown (never the compiler's output, which
#      could quote a file the submission tried to read);
#   2. make builds the rubric's targets (the test binaries, performance
#      programs); a compile error leaves the targets missing;
#   3. the object screen (grading/screen.sh objects): no assembly, no code
#      that runs before main, no symbol outside the stage's allowlist.
#      Refused: the targets are deleted.
# Output: the refusal lines first (each "FILE:LINE: refused: ..."), then
# make's output.  Exit status: 0 built and clean, 2 did not build, 3 refused.
set -u
if [ "${1:-}" = "--help" ] || [ $# -lt 3 ]; then
  sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  [ "${1:-}" = "--help" ]; exit $?
fi
TREE=$1 TARGETS=$2; shift 2
cd "$TREE" || exit 2

# stage_files STAGE: the stage's MANIFEST paths.
stage_files() { grep -v '^[[:space:]]*$' "$1/MANIFEST"; }

# refuse: delete every target so nothing of a refused build is graded.
refuse() { rm -f $TARGETS; exit 3; }

# screen MODE STAGE ARGS...: run the screen; a screen that cannot run
# (exit 2) refuses too, with an error line saying so.
screen() {
  local mode=$1 stage=$2 rc; shift 2
  bash grading/screen.sh "$mode" --tree . --stage "$stage" "$@"; rc=$?
  [ $rc -eq 2 ] && echo "$stage: error: the screen could not check the submission ($mode); nothing is graded"
  return $rc
}

flags=$(make -s SKIP_DEPS=1 BUILD=build print-screen-flags 2> /dev/null)
export SCREEN_CC=$(sed -n 's/^CC=//p' <<< "$flags")
export SCREEN_CFLAGS=$(sed -n 's/^CFLAGS=//p' <<< "$flags")
refused=0
for stage in "$@"; do
  screen headers "$stage" $(stage_files "$stage") || refused=1
done
[ $refused -eq 0 ] || refuse
make -k -j"${JOBS:-2}" SKIP_DEPS=1 BUILD=build $TARGETS 2>&1
built=$?
for stage in "$@"; do
  screen objects "$stage" --build build --kit .starter \
    $(stage_files "$stage") || refused=1
done
[ $refused -eq 0 ] || refuse
[ $built -eq 0 ] || exit 2
exit 0

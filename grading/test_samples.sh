#!/usr/bin/env bash
# test_samples.sh - 'make grade-samples': grade every sample of
# grading/samples/ as a real M1 submission and prove none gains anything.
#
# Each sample is appended to the starter version of the first file of
# phase1-single/MANIFEST (its behaviour starts from a constructor, so it
# works whatever the stage code is).  The baseline is the starter code
# alone.  A sample passes when grading exits 1 (below full marks: no
# sample may reach them), results.json passes grading/check_results.sh
# (Gradescope's schema, exact hundredths adding up to the weight),
# its score is at most the baseline's, no sandbox process is left, and (for
# no_compile) a "build" entry carries the compiler's messages.
#
# Deadlines are scaled down (GRADE_TIMEOUT_SCALE, default 0.05) so the hang
# and the fork bomb cost seconds, not minutes; the baseline uses the same
# scale.
#
# Then the sample app-test folders of grading/samples/student_tests_m4*
# go through 'make grade-tests MILESTONE=M4' (see expect_apps below), and
# 'make grade-coverage' measures what the realistic one covers.
# Ends with "N passed, M failed"; exit status 1 on any failure.
set -u
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.." || exit 1
REF=${REF_BUILD:-build}
OUT=${SAMPLES_OUT:-build/grade-samples}
SCALE=${GRADE_TIMEOUT_SCALE:-0.05}
FILE=$(head -n 1 phase1-single/MANIFEST)
rm -rf "$OUT/subs"
mkdir -p "$OUT/subs/baseline"

# grade NAME: grade $OUT/subs/NAME; prints grade.sh's exit status.
grade() {
  SUBMISSION="$OUT/subs/$1" MILESTONE=M1 GRADE_OUT="$OUT/$1" \
    GRADE_TREE="$OUT/tree" REF_BUILD="$REF" GRADE_TIMEOUT_SCALE="$SCALE" \
    grading/grade.sh > "$OUT/$1.log" 2>&1
  echo $?
}

# leftovers: processes still running this script's test binaries.
leftovers() { sleep 1; pgrep -f "$OUT/tree/build/tests/" 2>/dev/null | wc -l; }

pass=0 fail=0
grade baseline > /dev/null
base=$(jq -r .score "$OUT/baseline/results.json")
echo "baseline (starter code): $base"
for sample in grading/samples/*.c; do
  name=$(basename "$sample" .c)
  mkdir -p "$OUT/subs/$name/$(dirname "$FILE")"
  { unifdef -USOLUTION -x2 "$FILE"; cat "$sample"; } > "$OUT/subs/$name/$FILE"
  rc=$(grade "$name")
  score=$(jq -r .score "$OUT/$name/results.json" 2>/dev/null || echo invalid)
  why=""
  [ "$rc" = 1 ] || why="grade.sh exited $rc, not 1 (below full marks)"
  [ "$score" = invalid ] && why="results.json is not valid JSON"
  [ -z "$why" ] && awk -v s="$score" -v b="$base" 'BEGIN { exit !(s > b) }' \
    && why="scored $score, more than the baseline $base"
  [ -z "$why" ] && ! grading/check_results.sh --weight 25 "$OUT/$name/results.json" > "$OUT/$name.check" 2>&1 \
    && why="results.json: $(cat "$OUT/$name.check")"
  [ -z "$why" ] && [ "$(leftovers)" -gt 0 ] && why="sandbox processes left"
  if [ -z "$why" ] && [ "$name" = no_compile ] && ! jq -e \
      '.tests[] | select(.name == "M1 build: build") | .output | test("error")' \
      "$OUT/$name/results.json" > /dev/null; then
    why="no build entry with the compiler's messages"
  fi
  if [ -z "$why" ]; then
    pass=$((pass + 1)); printf '%-14s ok    score %s\n' "$name" "$score"
  else
    fail=$((fail + 1)); printf '%-14s FAIL  %s (see %s)\n' "$name" "$why" "$OUT/$name.log"
  fi
done
# app_summary RESULTS: a grade-tests results.json in short, one line per
# entry ("app NAME valid|invalid", "bug NN exposed|escaped"), then
# "score S".
app_summary() {
  jq -r '(.tests[] | select(.name | test("^(app|bug) "))
    | (.name | sub("^bug (?<n>[0-9]+)-.*"; "bug \(.n)")) + " "
      + (.output | capture("^(?<w>valid|invalid|exposed|escaped)").w)),
    "score \(.score)"' "$1"
}

# expect_apps NAME DIR LINE...: 'make grade-tests MILESTONE=M4' on the
# app-test folder DIR; passes when it exits 0, its results say every
# LINE (see app_summary) and no sandbox process is left.
expect_apps() {
  local name=$1 dir=$2 rc line why="" got; shift 2
  STUDENT_TESTS="$dir" MILESTONE=M4 GRADE_TESTS_OUT="$OUT/$name" \
    REF_BUILD="$REF" grading/grade_tests.sh > "$OUT/$name.log" 2>&1
  rc=$?
  got=$(app_summary "$OUT/$name/results.json" 2> /dev/null)
  [ "$rc" = 0 ] || why="grade_tests.sh exited $rc"
  [ -z "$why" ] && ! grading/check_results.sh "$OUT/$name/results.json" > "$OUT/$name.check" 2>&1 \
    && why="results.json: $(cat "$OUT/$name.check")"
  for line in "$@"; do
    [ -z "$why" ] && ! grep -qFx "$line" <<< "$got" && why="no '$line' in its results"
  done
  [ -z "$why" ] && sleep 1 && pgrep -f "$OUT/$name/tree/build/" > /dev/null \
    && why="sandbox processes left"
  if [ -z "$why" ]; then
    pass=$((pass + 1)); printf '%-14s ok    %s\n' "$name" "$(tail -n 1 <<< "$got")"
  else
    fail=$((fail + 1)); printf '%-14s FAIL  %s (see %s)\n' "$name" "$why" "$OUT/$name.log"
  fi
}

# Students' own app tests (M4): the realistic sample exposes these bugs
# and not those; its wrong app is invalid on the reference and earns
# nothing.  The hostile one: printed score lines, random output and a
# killed runner gain nothing.
expect_apps apptests grading/samples/student_tests_m4 \
  "app cow_both_write valid" "app dirty_round_trip valid" \
  "app file_edit_evicted valid" "app cow_child_write_visible invalid" \
  "bug 01 exposed" "bug 02 exposed" "bug 03 exposed" "bug 04 exposed" \
  "bug 06 exposed" "bug 11 exposed" "bug 13 exposed" \
  "bug 05 escaped" "bug 07 escaped" "bug 08 escaped" "bug 09 escaped" \
  "bug 10 escaped" "bug 12 escaped" "score 8.75"
expect_apps apptests-host grading/samples/student_tests_m4_hostile \
  "app forged_lines valid" "app differs_each_run invalid" \
  "app kills_its_runner invalid" "score 0"

# Coverage of pager.c by the same students' apps ('make grade-coverage'):
# the sample's apps run under a --coverage pager and reach more than half
# of its lines.
cov=$(MILESTONE=M4 STUDENT_TESTS=grading/samples/student_tests_m4 \
      COV_OUT="$(pwd)/$OUT/coverage-m4" grading/coverage.sh 2>&1 \
      | grep '^coverage M4 pager-cow student:')
pct=$(sed -nE 's/.*lines ([0-9.]+)%.*/\1/p' <<< "$cov")
if awk -v p="${pct:-0}" 'BEGIN { exit !(p > 50) }'; then
  pass=$((pass + 1)); printf '%-14s ok    %s\n' app-coverage "${cov#coverage M4 }"
else
  fail=$((fail + 1)); printf '%-14s FAIL  %s\n' app-coverage "${cov:-no student coverage line}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

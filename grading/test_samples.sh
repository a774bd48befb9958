#!/usr/bin/env bash
# test_samples.sh - 'make grade-samples': grade every hostile sample of
# grading/samples/hostile/ as a real submission and prove that none gains
# anything and that nothing of any stays behind (issue 14, items 5 and 6).
#
#   grading/test_samples.sh [--no-apps] [NAME...]
#       NAME...    only these samples (default: every one)
#       --no-apps  skip the app-test checks at the end
#
# The older samples grading/samples/*.c (also linked into check_grader's
# fixtures) are graded too, as legacy-NAME: each appended to the starter of
# the first file of phase1-single/MANIFEST (M1); legacy-no_compile must
# show the compiler's messages.
#
# A hostile sample is a folder with ABOUT (one line), MILESTONE (M1..M4), EXPECT
# (optional: extended regular expressions, one a line, that the feedback
# in results.json must match; a line '!RE': must not match, e.g. '!did not
# build' for a sample that must get past the screen to test the sandbox) and either submission/ (the files as handed
# in) or an executable make.sh OUTDIR that writes the submission (its
# stdout lines "NOLEAK <string>" name strings that must appear in no file
# of the grading output).  See grading/samples/hostile/README.
#
# Per milestone with samples, the baseline (the starter code of the stage's
# MANIFEST files) is graded once.  Each sample is graded by grading/grade.sh
# with MILESTONE=Mn only, a sandbox uid of its own (PAGELAB_SANDBOX_UID, one
# no process holds) and deadlines scaled by GRADE_TIMEOUT_SCALE (default
# 0.05, so hangs cost seconds), and passes when
#   1. grade.sh finished (exit 0 or 1, within SAMPLE_TIMEOUT seconds);
#   2. results.json is valid (jq, grading/check_results.sh --weight 25);
#   3. its score is at most the baseline's;
#   4. every EXPECT line matches the feedback (results.json's outputs);
#   5. no NOLEAK string appears under its grading output;
#   6. nothing stays behind: no process of its sandbox uid; no new file of
#      its uid under /tmp, /var/tmp, /dev/shm, the kit's parent folder and
#      /work (files of sandbox uids there before the run began are listed
#      once and not counted); the grading tree is gone
#      and the base holds no file of the sandbox uids; no new entry in
#      /tmp, /var/tmp, /dev/shm owned by a sandbox uid or named like the
#      samples' litter (h6-hostile*, h6-zipslip*, h6-tarlink*,
#      pagelab-grade-*); no litter at the places the samples aim at (/work,
#      /work/main, /work/main/build, /).
# Strict mode (SAMPLES_STRICT=1, or CI set): the whole sandbox uid range
# 61000-62999 and every new entry of /tmp, /var/tmp, /dev/shm count, not
# only this sample's (on a shared machine other graders run meanwhile).
#
# One line per sample: name, ok/FAIL, score, baseline, reason.  Then the
# sample app-test folders of grading/samples/student_tests_m4* go through
# 'make grade-tests MILESTONE=M4' (expect_apps below) and 'make
# grade-coverage' measures what the realistic one covers.  Ends with
# "N passed, M failed"; exit status 1 on any failure.
set -u
NO_APPS=0
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  --no-apps) NO_APPS=1; shift ;;
esac
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
REF=${REF_BUILD:-build}
OUT=${SAMPLES_OUT:-build/grade-samples}
SCALE=${GRADE_TIMEOUT_SCALE:-0.05}
SAMPLE_TIMEOUT=${SAMPLE_TIMEOUT:-900}
HOSTILE=grading/samples/hostile
LEGACY_FILE=$(head -n 1 phase1-single/MANIFEST)
STRICT=${SAMPLES_STRICT:-}
[ -z "$STRICT" ] && [ -n "${CI:-}" ] && STRICT=1
[ "$STRICT" = 1 ] || STRICT=0
UID_LO=61000 UID_HI=62999
WATCHED=(/tmp /var/tmp /dev/shm)
# Where files of a sandbox uid are looked for after each sample: the
# watched directories, the folder holding the kit (the samples aim at
# /work and /work/main) and /work itself when it exists.
SCANNED=("${WATCHED[@]}" "$(dirname "$KIT")")
[ -d /work ] && SCANNED+=(/work)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/subs" "$OUT/tree"
mkdir -p "$OUT/subs"
# A base holding files of a sandbox uid is left from an interrupted run
# (grade.sh saves the built tree to it): start it afresh.
if [ -n "$(find "$OUT/base" \( -uid +$((UID_LO - 1)) -uid -$((UID_HI + 1)) \) -print -quit 2>/dev/null)" ]; then
  echo "note: $OUT/base held files of a sandbox uid (an interrupted run): rebuilt"
  rm -rf "$OUT/base"
fi
pass=0 fail=0
# Files of a sandbox uid that were there before this run began (an earlier
# run killed on a shared machine, another grader's): not this run's litter.
PREEXISTING=$OUT/preexisting
find "${SCANNED[@]}" -xdev \( -uid +$((UID_LO - 1)) -uid -$((UID_HI + 1)) \) -print 2>/dev/null \
  | sort -u > "$PREEXISTING"
[ -s "$PREEXISTING" ] && echo "note: $(wc -l < "$PREEXISTING") files of sandbox uids were there before this run (not counted; first: $(head -n 1 "$PREEXISTING"))"

# stage_of M: the stage directory milestone M grades (from its rubric).
stage_of() { awk '$1 == "milestone" { print $3 }' "grading/rubrics/$1.rubric"; }

# free_uid: a sandbox uid in the range that no process holds.
free_uid() {
  local uid
  for _ in $(seq 50); do
    uid=$((UID_LO + RANDOM % (UID_HI - UID_LO + 1)))
    ps -e -o uid= | grep -qx " *$uid" || { echo "$uid"; return; }
  done
  echo "$uid"
}

# grade_sub NAME M SUBMISSION UID: grade SUBMISSION for milestone M into
# $OUT/NAME (log $OUT/NAME.log) with sandbox uid UID; prints grade.sh's
# exit status (124: it did not finish in SAMPLE_TIMEOUT).
grade_sub() {
  rm -rf "$OUT/$1"
  SUBMISSION="$3" MILESTONE="$2" GRADE_OUT="$OUT/$1" GRADE_TREE="$OUT/tree" \
    GRADE_BASE="$OUT/base" REF_BUILD="$REF" GRADE_TIMEOUT_SCALE="$SCALE" \
    PAGELAB_SANDBOX_UID="$4" GRADE_EXIT_ZERO=0 \
    timeout -k 10 "$SAMPLE_TIMEOUT" grading/grade.sh > "$OUT/$1.log" 2>&1
  echo $?
}

# feedback RESULTS: every output text of a results.json, one after another.
feedback() { jq -r '.output // "", (.tests[]? | .name + ": " + (.output // ""))' "$1" 2>/dev/null; }

# uid_filter: the find(1) test for files of the uids to watch (the
# sample's UID, or the whole range in strict mode).
uid_filter() {
  if [ "$STRICT" = 1 ]; then echo "-uid +$((UID_LO - 1)) -uid -$((UID_HI + 1))"
  else echo "-uid $1"; fi
}

# procs_of UID: live processes of UID (the whole range in strict mode),
# as "pid uid command" lines.  Zombies are dead: one whose parent (the
# grader) has exited waits for pid 1 to reap it and holds nothing.
procs_of() {
  ps -e -o pid=,uid=,stat=,args= | awk -v u="$1" -v lo=$UID_LO -v hi=$UID_HI -v s=$STRICT \
    '$3 !~ /^Z/ && (($2 == u) || (s && $2 >= lo && $2 <= hi))'
}

# snapshot: the entries of the watched directories, "DIR/NAME" a line.
snapshot() {
  local d
  for d in "${WATCHED[@]}"; do find "$d" -mindepth 1 -maxdepth 1 2>/dev/null; done | sort
}

# new_litter BEFORE UID: new entries of the watched directories since the
# snapshot file BEFORE that count as left behind (see the header), one a
# line with its owner.
new_litter() {
  local e owner
  snapshot | comm -13 "$1" - | while read -r e; do
    owner=$(stat -c %u "$e" 2>/dev/null) || continue
    if [ "$STRICT" = 1 ] || [ "$owner" = "$2" ] \
       || { [ "$owner" -ge $UID_LO ] && [ "$owner" -le $UID_HI ]; } \
       || [[ "$(basename "$e")" == h6-hostile* ]] || [[ "$(basename "$e")" == h6-zipslip* ]] \
       || [[ "$(basename "$e")" == h6-tarlink* ]] || [[ "$(basename "$e")" == pagelab-grade-* ]]; then
      echo "$e (uid $owner)"
    fi
  done
}

# leftovers BEFORE UID: why something stayed behind, or nothing.
leftovers() {
  local p f
  sleep 1
  p=$(procs_of "$2" | head -n 3)
  [ -n "$p" ] && { echo "processes left: $(tr '\n' ';' <<< "$p" | cut -c1-200)"; return; }
  [ -e "$OUT/tree" ] && { echo "the grading tree $OUT/tree is still there"; rm -rf "$OUT/tree"; return; }
  # shellcheck disable=SC2046
  f=$(find "${SCANNED[@]}" -xdev $(uid_filter "$2") -print 2>/dev/null | sort -u \
      | comm -23 - "$PREEXISTING" | head -n 3)
  [ -n "$f" ] && { echo "files of the sandbox uid left: $(tr '\n' ' ' <<< "$f")"; return; }
  f=$(find "$OUT/base" \( -uid +$((UID_LO - 1)) -uid -$((UID_HI + 1)) \) -print 2>/dev/null | head -n 1)
  [ -n "$f" ] && { echo "the base holds a file of a sandbox uid: $f"; return; }
  f=$(new_litter "$1" "$2" | head -n 3)
  [ -n "$f" ] && { echo "new entries left: $(tr '\n' ' ' <<< "$f")"; return; }
  f=$(for d in / /work /work/main /work/main/build /tmp /var/tmp /dev/shm; do
        ls -d "$d"/h6-hostile* "$d"/h6-zipslip* "$d"/h6-tarlink* "$d"/h6-deep-* 2>/dev/null
      done | head -n 3)
  [ -n "$f" ] && { echo "litter left: $(tr '\n' ' ' <<< "$f")"; return; }
}

# report NAME WHY SCORE BASE: one result line; counts it.
report() {
  if [ -z "$2" ]; then
    pass=$((pass + 1)); printf '%-22s ok    score %-6s baseline %s\n' "$1" "$3" "$4"
  else
    fail=$((fail + 1))
    printf '%-22s FAIL  score %-6s baseline %-6s %s (see %s.log)\n' "$1" "$3" "$4" "$2" "$OUT/$1"
  fi
}

# baseline M: grade the starter of milestone M once; sets BASELINE[M] to
# its score ("invalid" when it could not be graded).
declare -A BASELINE
baseline() {
  local m=$1 stage dir f
  if [ -z "${BASELINE[$m]:-}" ]; then
    stage=$(stage_of "$m"); dir=$OUT/subs/baseline-$m
    for f in $(grep -v '^[[:space:]]*$' "$stage/MANIFEST"); do
      mkdir -p "$dir/$(dirname "$f")"; unifdef -USOLUTION -x2 "$f" > "$dir/$f"
    done
    grade_sub "baseline-$m" "$m" "$dir" "$(free_uid)" > /dev/null
    BASELINE[$m]=$(jq -r .score "$OUT/baseline-$m/results.json" 2>/dev/null || echo invalid)
    echo "baseline $m (starter code): ${BASELINE[$m]}"
  fi
}

# make_submission SAMPLE-DIR NAME: the submission of a sample under
# $OUT/subs/NAME; prints its path.  NOLEAK strings go to $OUT/NAME.noleak.
make_submission() {
  local dir=$1 name=$2 sub=$OUT/subs/$2/sub
  mkdir -p "$OUT/subs/$name"
  : > "$OUT/$name.noleak"
  if [ -f "$dir" ]; then # a grading/samples/*.c: appended to the starter
    mkdir -p "$sub/$(dirname "$LEGACY_FILE")"
    { unifdef -USOLUTION -x2 "$LEGACY_FILE"; cat "$dir"; } > "$sub/$LEGACY_FILE"
  elif [ -x "$dir/make.sh" ]; then
    "$dir/make.sh" "$sub" 2> "$OUT/$name.make.log" \
      | sed -n 's/^NOLEAK //p' > "$OUT/$name.noleak" || return 1
    [ "${PIPESTATUS[0]}" = 0 ] || return 1
  else
    cp -a "$dir/submission" "$sub" || return 1
  fi
  echo "$sub"
}

# sample_milestone DIR: the milestone a sample is graded for (the
# grading/samples/*.c ones: M1).
sample_milestone() {
  if [ -f "$1" ]; then echo M1; else tr -d '[:space:]' < "$1/MILESTONE"; fi
}

# check_sample DIR: grade one sample and judge it (see the header).
check_sample() {
  local dir=$1 name m base sub uid before rc score why="" re s weight
  name=$(basename "$dir" .c)
  [ -f "$dir" ] && name=legacy-$name
  m=$(sample_milestone "$dir")
  baseline "$m"; base=${BASELINE[$m]}
  if ! sub=$(make_submission "$dir" "$name"); then
    report "$name" "make.sh failed: $(tail -n 1 "$OUT/$name.make.log" 2>/dev/null)" - "$base"; return
  fi
  uid=$(free_uid)
  before=$OUT/$name.before; snapshot > "$before"
  rc=$(grade_sub "$name" "$m" "$sub" "$uid")
  score=$(jq -r .score "$OUT/$name/results.json" 2>/dev/null) || score=invalid
  case $rc in
    0|1) ;;
    124|137) why="grade.sh did not finish in $SAMPLE_TIMEOUT s" ;;
    *) why="grade.sh exited $rc" ;;
  esac
  [ -z "$why" ] && [ "$score" = invalid ] && why="results.json is not valid JSON"
  # grade.sh's placeholder (the submission could not be read) carries no
  # milestone items, so its points add up to 0, not to the weight.
  weight=(--weight 25)
  jq -e '.tests | length == 1 and .[0].name == "grader"' "$OUT/$name/results.json" \
    > /dev/null 2>&1 && weight=()
  [ -z "$why" ] && ! grading/check_results.sh "${weight[@]}" "$OUT/$name/results.json" > "$OUT/$name.check" 2>&1 \
    && why="results.json: $(head -c 200 "$OUT/$name.check")"
  [ -z "$why" ] && [ "$base" = invalid ] && why="the baseline of $m could not be graded"
  [ -z "$why" ] && awk -v s="$score" -v b="$base" 'BEGIN { exit !(s > b) }' \
    && why="scored $score, more than the baseline $base"
  if [ -z "$why" ] && [ "$name" = legacy-no_compile ] && ! feedback "$OUT/$name/results.json" \
       | grep -q 'error'; then
    why="no build entry with the compiler's messages"
  fi
  if [ -z "$why" ] && [ -f "$dir/EXPECT" ]; then
    while IFS= read -r re; do
      case $re in
        '') ;;
        '!'*) feedback "$OUT/$name/results.json" | grep -qE -- "${re#!}" \
                && { why="the feedback has /${re#!}/"; break; } ;;
        *) feedback "$OUT/$name/results.json" | grep -qE -- "$re" \
             || { why="the feedback lacks /$re/"; break; } ;;
      esac
    done < "$dir/EXPECT"
  fi
  if [ -z "$why" ]; then
    while IFS= read -r s; do
      [ -n "$s" ] && grep -rqF -- "$s" "$OUT/$name" && { why="'$s' leaked into $OUT/$name"; break; }
    done < "$OUT/$name.noleak"
  fi
  [ -z "$why" ] && why=$(leftovers "$before" "$uid")
  rm -f "$before"
  rm -rf "$OUT/tree" 2>/dev/null
  report "$name" "$why" "$score" "$base"
}

echo "grade-samples: hostile samples (deadlines x$SCALE$([ "$STRICT" = 1 ] && echo ', strict'))"
if [ $# -gt 0 ]; then
  samples=()
  for n in "$@"; do
    case $n in legacy-*) samples+=("grading/samples/${n#legacy-}.c") ;; *) samples+=("$HOSTILE/$n") ;; esac
  done
else
  mapfile -t samples < <(for d in "$HOSTILE"/*/; do [ -f "$d/ABOUT" ] && echo "${d%/}"; done
                          ls grading/samples/*.c)
fi
# Grouped by milestone, so each base tree is built once in a row.
for m in M1 M2 M3 M4; do
  for d in "${samples[@]}"; do
    [ "$(sample_milestone "$d" 2>/dev/null)" = "$m" ] && check_sample "$d"
  done
done

if [ "$NO_APPS" = 1 ] || [ $# -gt 0 ]; then
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]; exit
fi

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
    pass=$((pass + 1)); printf '%-22s ok    %s\n' "$name" "$(tail -n 1 <<< "$got")"
  else
    fail=$((fail + 1)); printf '%-22s FAIL  %s (see %s)\n' "$name" "$why" "$OUT/$name.log"
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
      COV_OUT="$OUT/coverage-m4" grading/coverage.sh 2>&1 \
      | grep '^coverage M4 pager-cow student:')
pct=$(sed -nE 's/.*lines ([0-9.]+)%.*/\1/p' <<< "$cov")
if awk -v p="${pct:-0}" 'BEGIN { exit !(p > 50) }'; then
  pass=$((pass + 1)); printf '%-22s ok    %s\n' app-coverage "${cov#coverage M4 }"
else
  fail=$((fail + 1)); printf '%-22s FAIL  %s\n' app-coverage "${cov:-no student coverage line}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

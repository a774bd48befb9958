#!/usr/bin/env bash
# run.sh - PrairieLearn's external-grader entry point (the question's
# externalGradingOptions.entrypoint, in the grader image).  PrairieLearn
# mounts the job at /grade: the student's files in /grade/student, the
# question's tests/ folder in /grade/tests, and it reads
# /grade/results/results.json when this returns:
#
#   {"gradable": true, "score": 0.985, "message": "...", "output": "...",
#    "tests": [{"name": ..., "points": 2, "max_points": 2,
#               "message": "passed", "output": ...}, ...]}
#
# score is in [0, 1] (the kit's score over the milestone's weight); each
# test carries points and max_points in the kit's hundredths of the weight.
# Hidden items are folded into one "hidden tests" entry (their number and
# worth, not their names).  When the submission is unusable (no file of
# the milestone's manifest submitted, an archive that cannot be read) or
# grading could not run: {"gradable": false, "format_errors": [...]}, and
# the attempt does not count.  A build failure is gradable (score 0, the
# compiler's errors in the "build" test), as on the other engines.
#
# Environment (defaults): PL_GRADE_DIR (/grade), MILESTONE (the first line
# of /grade/tests/milestone, else M1), PAGELAB_KIT (/opt/pagelab, else the
# kit this script belongs to), GRADE_TIMEOUT_SCALE.
set -u
G=${PL_GRADE_DIR:-/grade}
STUDENT=$G/student RESULTS=$G/results/results.json
HERE=$(cd "$(dirname "$0")/../../.." && pwd)
KIT=${PAGELAB_KIT:-}
if [ -z "$KIT" ]; then
  if [ -f /opt/pagelab/build/.built ]; then KIT=/opt/pagelab; else KIT=$HERE; fi
fi
M=${MILESTONE:-}
[ -n "$M" ] || M=$(head -n 1 "$G/tests/milestone" 2> /dev/null | tr -d '[:space:]')
M=${M:-M1}
mkdir -p "$G/results"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pl.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# ungradable WHY...: results.json with gradable false.
ungradable() {
  jq -n --args '{gradable: false, score: 0, format_errors: $ARGS.positional,
                 message: ($ARGS.positional | join("\n"))}' "$@" > "$RESULTS"
  exit 0
}

[ -d "$STUDENT" ] || ungradable "no submission folder ($STUDENT)"
[ -n "$(ls -A "$STUDENT" 2> /dev/null)" ] || ungradable "no file was submitted"
SUBMISSION=$STUDENT MILESTONE=$M GRADE_EXIT_ZERO=1 GRADE_OUT=$WORK/out \
  "$KIT/grading/grade.sh" > "$WORK/grade.log" 2>&1
rc=$?
J=$WORK/out/results.json
L=$WORK/out/layout.txt
if [ $rc -ne 0 ] || ! jq -e '.tests' "$J" > /dev/null 2>&1; then
  ungradable "grading could not run (status $rc): tell the course staff"
fi
if [ -f "$L" ] && grep -q '^error: ' "$L"; then
  mapfile -t errs < <(grep '^error: ' "$L" | sed 's/^error: //')
  ungradable "your submission could not be read: ${errs[@]}"
fi
if [ -f "$L" ] && ! grep -q '^taken ' "$L"; then
  ungradable "none of the files this milestone grades was submitted:" \
    "$(sed -n 's/^missing *\([^ ]*\).*/\1/p' "$L" | xargs)"
fi
# Gradescope's results.json -> PrairieLearn's.
jq '
  def r2: . * 100 | round / 100;
  ([.tests[] | .max_score] | add // 0) as $max
  | [.tests[] | select((.visibility // "visible") == "visible")] as $vis
  | [.tests[] | select((.visibility // "visible") != "visible")] as $hid
  | {gradable: true,
     score: (if $max > 0 then (.score / $max * 10000 | round / 10000) else 0 end),
     message: "\(.score) of \($max | r2)",
     output: (.output // ""),
     tests: ([$vis[] | {name: .name, points: .score, max_points: .max_score,
                        message: (if .max_score == 0 then "note"
                                  else .status // (if .score >= .max_score then "passed" else "failed" end) end),
                        output: (.output // "")}]
             + (if ($hid | length) > 0 then
                 [{name: "hidden tests (\($hid | length))",
                   points: ([$hid[].score] | add | r2),
                   max_points: ([$hid[].max_score] | add | r2),
                   message: "graded; shown after the due date",
                   output: ""}] else [] end))}' "$J" > "$RESULTS.tmp" \
  && mv "$RESULTS.tmp" "$RESULTS" \
  || ungradable "the grader's results could not be converted: tell the course staff"

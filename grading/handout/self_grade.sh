#!/usr/bin/env bash
# self_grade.sh - 'make grade' in a handout: grade this tree.
#
#   make grade [GRADE_EXIT_ZERO=1]
#
# Runs grading/grade.sh on this tree (no SUBMISSION: the tree it is in),
# with the rubric of this milestone's public items, as the autograder
# grades them: the scorecard on stdout, results.json and scorecard.txt in
# build/grade/ (GRADE_OUT).  Then it lists what only the autograder
# grades (grading/rubrics/autograder-only.txt: hidden items, and items
# measured against the staff's build such as performance), on stdout and
# at the end of results.json's "output".
# Exit status: grade.sh's: 0 only at full marks of what was graded, 1
# below, 2 or more when grading could not run; GRADE_EXIT_ZERO=1: 0 at any
# score.
set -u
case ${1:-} in
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.." || exit 2
unset SUBMISSION MILESTONE # this tree, this milestone
OUT=${GRADE_OUT:-build/grade}
NOTE=grading/rubrics/autograder-only.txt
grading/grade.sh
rc=$?
if [ -s "$NOTE" ]; then
  echo
  cat "$NOTE"
  if [ -f "$OUT/results.json" ] && command -v jq > /dev/null; then
    tmp=$OUT/results.json.tmp
    jq --rawfile n "$NOTE" '.output += "\n" + $n' "$OUT/results.json" > "$tmp" \
      && mv "$tmp" "$OUT/results.json"
  fi
fi
exit $rc

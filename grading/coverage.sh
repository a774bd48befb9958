#!/usr/bin/env bash
# coverage.sh - 'make grade-coverage [MILESTONE=M1] [STUDENT_TESTS=dir]
# [SUBMISSION=dir]': line and branch coverage of the graded stage's code
# (the files under <stage>/) by the public tests of the milestone and, when
# STUDENT_TESTS is given, by the student's own suites (or, for M4, their
# app tests, each run once under the pager by the app recorder).  grade.sh runs it
# on the graded tree when COVERAGE=1.
#
# A --coverage build of the rubric's test binaries in build/cov-grade (or
# COV_TREE/build/cov-grade), suites run without fork (a forked test that
# fails writes no coverage data), lcov with branch coverage restricted to
# the stage, genhtml; prints one summary line per test set:
#   coverage M1 phase1-single public: lines 97.1% (301/310), branches 88.0% (...)
set -u
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
M=${MILESTONE:-M1}
M=${M%%,*}
TREE=${COV_TREE:-$KIT}
OUT=${COV_OUT:-$KIT/build/coverage-grade}
RUBRIC=grading/rubrics/$M.rubric
STAGE=$(awk '$1 == "milestone" { print $3 }' "$RUBRIC")
BINS=$(awk '$1 == "binary" { print $3 }' "$RUBRIC")
B=build/cov-grade
mkdir -p "$OUT"
# lcov 1.x or 2.x: LCOV_RC, LCOV_IGN, GENHTML_IGN from 'lcov --version'
. "$KIT/tests/lcov_opts.sh"

# measure LABEL BIN...: run the binaries in the coverage build, report.
measure() {
  local label=$1 bin info=$OUT/$1.info; shift
  find "$TREE/$B" -name '*.gcda' -delete
  for bin in "$@"; do
    (cd /tmp && CK_FORK=no timeout -k 5 600 "$bin") > "$OUT/$label.log" 2>&1
  done
  lcov -q --capture "${LCOV_RC[@]}" "${LCOV_IGN[@]}" -d "$TREE/$B" -o "$info.all" 2> /dev/null
  lcov -q "${LCOV_RC[@]}" "${LCOV_IGN[@]}" --extract "$info.all" "*/$STAGE/*" -o "$info" 2> /dev/null
  genhtml -q --branch-coverage "${LCOV_RC[@]}" "${GENHTML_IGN[@]}" -o "$OUT/$label" "$info" > /dev/null 2>&1
  lcov "${LCOV_RC[@]}" "${LCOV_IGN[@]}" --summary "$info" 2>&1 | awk -v l="coverage $M $STAGE $label" '
    /lines\.*:/ { lines = $2 " " $3 " " $4 " " $5 " " $6 }
    /branches\.*:/ { br = $2 " " $3 " " $4 " " $5 " " $6 }
    END { printf "%s: lines %s, branches %s\n", l, lines, br }'
  echo "  html: $OUT/$label/index.html"
}

targets=$(for b in $BINS; do echo "$B/tests/$b"; done)
(cd "$TREE" && make -j2 BUILD=$B OPT="-O0 -g" EXTRA_CFLAGS=--coverage \
   EXTRA_LDFLAGS=--coverage $targets) > "$OUT/build.log" 2>&1 \
  || { echo "coverage: build failed (see $OUT/build.log)"; exit 1; }
measure public $(for b in $BINS; do echo "$TREE/$B/tests/$b"; done)
if [ -n "${STUDENT_TESTS:-}" ]; then
  GRADE_TESTS_SETUP_ONLY=1 GRADE_TESTS_OUT=$OUT/student-tree grading/grade_tests.sh > /dev/null 2>&1 || true
  ST=$OUT/student-tree/tree
  if ls "$ST"/tests/student_apps/*.c > /dev/null 2>&1; then
    # M4 app tests: the recorder runs each app (listed by an empty
    # NAME.trace, as grade-tests does) under the --coverage pager
    (cd "$ST" && make -k -j2 BUILD=$B OPT="-O0 -g" EXTRA_CFLAGS=--coverage \
       EXTRA_LDFLAGS=--coverage student-apps) >> "$OUT/build.log" 2>&1
    mkdir -p "$ST/$B/app-records"
    for app in "$ST"/tests/student_apps/*.c; do : > "${app%.c}.trace"; done
    TREE=$ST measure student "$ST/$B/tests/record_student_apps"
  else
    (cd "$ST" && make -j2 BUILD=$B OPT="-O0 -g" EXTRA_CFLAGS=--coverage \
       EXTRA_LDFLAGS=--coverage student-tests) >> "$OUT/build.log" 2>&1
    TREE=$ST measure student "$ST"/$B/tests/student_check_*
  fi
fi

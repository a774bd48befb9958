# lcov_opts.sh - sourced by tests/coverage_report.sh and grading/coverage.sh:
# the lcov/genhtml options of the lcov found at run time, 1.x or 2.x.
#
#   LCOV_MAJOR   the major version 'lcov --version' reports (1 when unknown)
#   LCOV_RC      branch coverage on: 1.x --rc lcov_branch_coverage=1,
#                2.x --rc branch_coverage=1 (1.x's name is deprecated there)
#   LCOV_IGN     lcov's --ignore-errors for 2.x's stricter checks (empty on
#                1.x, whose categories are few): gcc's function end lines and
#                counts that 2.x calls inconsistent/mismatch/negative, a
#                --remove/--extract pattern that matches nothing (unused), a
#                test set that covered no file of the stage (empty)
#   GENHTML_IGN  genhtml's --ignore-errors on 2.x (same reasons, plus sources
#                not found where the build recorded them)
# Usage: . tests/lcov_opts.sh; lcov "${LCOV_RC[@]}" "${LCOV_IGN[@]}" ...
LCOV_MAJOR=$(lcov --version 2> /dev/null \
  | sed -n 's/.*[Vv]ersion[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1)
LCOV_MAJOR=${LCOV_MAJOR:-1}
if [ "$LCOV_MAJOR" -ge 2 ]; then
  LCOV_RC=(--rc branch_coverage=1)
  LCOV_IGN=(--ignore-errors inconsistent,mismatch,negative,unused,empty)
  GENHTML_IGN=(--ignore-errors inconsistent,mismatch,empty,source)
else
  LCOV_RC=(--rc lcov_branch_coverage=1)
  LCOV_IGN=()
  GENHTML_IGN=()
fi

#!/usr/bin/env bash
# coverage_report.sh BUILD_DIR OUT_DIR - turn the .gcda files of a
# --coverage build into lcov HTML (with branch coverage) under OUT_DIR and
# print line / branch / function percentages per source directory.
#
# Only the kit's own sources count: system headers and the test suites
# themselves are removed from the report.  lcov 1.x and 2.x both work: the
# options are chosen from 'lcov --version' (tests/lcov_opts.sh).
set -euo pipefail
build=$1 out=$2
. "$(dirname "$0")/lcov_opts.sh"
rc=("${LCOV_RC[@]}")
mkdir -p "$out"
info="$out/coverage.info"
lcov "${rc[@]}" "${LCOV_IGN[@]}" --quiet --capture --directory "$build" --base-directory . \
     --output-file "$info.raw" 2>/dev/null
lcov "${rc[@]}" "${LCOV_IGN[@]}" --quiet --remove "$info.raw" '/usr/*' '*/tests/*' \
     --output-file "$info" 2>/dev/null
genhtml "${rc[@]}" "${GENHTML_IGN[@]}" --quiet --branch-coverage --title pagelab \
        --output-directory "$out" "$info" >/dev/null 2>&1
echo
echo "coverage by directory (HTML: $out/index.html)"
printf "%-28s %8s %8s %8s\n" directory lines branches functions
awk -v root="$(pwd)/" '
  /^SF:/  { f = substr($0, 4); sub(root, "", f); d = f; sub(/\/[^\/]*$/, "", d) }
  /^LF:/  { lf[d] += substr($0, 4) } /^LH:/  { lh[d] += substr($0, 4) }
  /^BRF:/ { bf[d] += substr($0, 5) } /^BRH:/ { bh[d] += substr($0, 5) }
  /^FNF:/ { ff[d] += substr($0, 5) } /^FNH:/ { fh[d] += substr($0, 5) }
  function pct(h, n) { return n ? sprintf("%6.1f%%", 100 * h / n) : "     - " }
  END {
    for (k in lf)
      printf "%-28s %8s %8s %8s\n", k, pct(lh[k], lf[k]), pct(bh[k], bf[k]), pct(fh[k], ff[k])
  }' "$info" | sort

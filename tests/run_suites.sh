#!/usr/bin/env bash
# run_suites.sh [--no-fail] BIN... - run check suite binaries one after
# another, each under a time limit, and print a table and a total.
#
# Exit status: 0 when every suite passed (always 0 with --no-fail, used by
# the coverage pass, which must still report a partial run).
set -u
no_fail=0
if [ "${1:-}" = "--no-fail" ]; then no_fail=1; shift; fi
limit=${SUITE_TIME_LIMIT:-600}
total_pass=0 total_fail=0 bad_suites=0
table=""
for bin in "$@"; do
  name=$(basename "$bin")
  start=$(date +%s.%N)
  out=$(timeout --kill-after=5 "$limit" "$bin" 2>&1); rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  printf '%s\n' "$out"
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: [0-9]+' | tail -n 1)
  if [ -n "$line" ]; then
    checks=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
    fails=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
    errs=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
    bad=$((fails + errs)); good=$((checks - bad))
  else
    good=0; bad=1
  fi
  status=ok
  if [ $rc -ne 0 ] || [ $bad -ne 0 ]; then
    status=FAIL; bad_suites=$((bad_suites + 1))
    [ $rc -eq 124 ] && status="TIMEOUT"
    [ $bad -eq 0 ] && bad=1
  fi
  total_pass=$((total_pass + good)); total_fail=$((total_fail + bad))
  table+=$(printf '%-32s %6s passed %4s failed %7ss  %s' "$name" "$good" "$bad" "$secs" "$status")$'\n'
done
echo
echo "suite                            tests               time   status"
printf '%s' "$table"
echo
echo "$total_pass passed, $total_fail failed"
if [ $no_fail -eq 0 ] && [ $bad_suites -ne 0 ]; then exit 1; fi
exit 0

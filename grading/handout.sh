#!/usr/bin/env bash
# handout.sh [--check] - 'make handout' and 'make handout-check'.
#
# make handout: the student starter kit, cut from the reference:
#   build/handout/pagelab-handout/ and build/handout/pagelab-handout.tar.gz
#   - every file the kit's git knows (committed or not yet, minus ignored);
#   - C sources and headers through 'unifdef -USOLUTION': the one marker
#     convention is  #ifdef SOLUTION <reference> #else <starter> #endif ;
#   - left out: grading/ (grader, rubrics, planted bugs, samples: the
#     grader internals), tests/grading/, hidden suites (check_*_hidden.c)
#     and .ci/.
#   A handout in which the word SOLUTION survives in a C file is refused.
#
# make handout-check (CI): the handout builds warning-free; every public
# suite runs to its summary line (fails cleanly: no runner crash, no hang);
# grading the handout as a submission gives a low score and valid
# results.json; the reference scores 100%.  Ends with "N passed, M failed".
set -u
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
OUT=${HANDOUT_OUT:-build/handout}
NAME=pagelab-handout
DIR=$OUT/$NAME

# kit_files: what the handout may contain.
kit_files() {
  if git rev-parse --git-dir > /dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard
  else
    find . -path ./build -prune -o -type f -print | sed 's|^\./||'
  fi | grep -vE '^(grading/|tests/grading/|\.ci/|build/)|_hidden\.c$' | sort -u
}

# cut: write the handout folder and tarball.
cut() {
  local f rc
  rm -rf "$DIR"; mkdir -p "$DIR"
  for f in $(kit_files); do
    [ -f "$f" ] || continue
    mkdir -p "$DIR/$(dirname "$f")"
    case "$f" in
      *.c|*.h)
        unifdef -USOLUTION -x2 "$f" > "$DIR/$f"; rc=$?
        [ $rc -le 1 ] || { echo "handout: unifdef failed on $f" >&2; return 1; } ;;
      *) cp -p "$f" "$DIR/$f" ;;
    esac
  done
  if grep -rl --include='*.[ch]' 'SOLUTION' "$DIR" > "$OUT/leaks.txt"; then
    echo "handout: SOLUTION survives in:" >&2; cat "$OUT/leaks.txt" >&2
    return 1
  fi
  tar -czf "$OUT/$NAME.tar.gz" -C "$OUT" "$NAME"
  echo "handout: $DIR ($(kit_files | wc -l) files), $OUT/$NAME.tar.gz"
}

pass=0 fail=0
# verdict NAME OK? TEXT
verdict() {
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok    $1 $3"
  else fail=$((fail + 1)); echo "FAIL  $1 $3"; fi
}

# check_suites: every public suite of the handout ends with its summary.
check_suites() {
  local bin out rc bad=0
  for bin in "$DIR"/build/tests/check_*; do
    out=$(cd /tmp && CK_FORK=yes timeout -k 5 600 "$KIT/$bin" 2>&1); rc=$?
    if [ $rc -eq 124 ] || [ $rc -gt 128 ] || ! grep -qE '^[0-9]+%: Checks: ' <<<"$out"; then
      echo "  $(basename "$bin"): no clean end (exit $rc)"; bad=1
    fi
  done
  return $bad
}

# score_of RESULTS: "score out_of" from a results.json, to 0.01.
score_of() {
  jq -r '"\(.score * 100 | round / 100) \([.tests[].max_score] | add * 100 | round / 100)"' "$1"
}

check() {
  local log=$OUT/check.log s
  : > "$log"
  (cd "$DIR" && make -j2 BUILD=build all) >> "$log" 2>&1
  verdict build $? "(the handout compiles with -Wall -Wextra -Werror)"
  check_suites >> "$log" 2>&1
  verdict suites $? "(every public suite fails cleanly: summary line, no hang)"
  GRADE_OUT=$OUT/grade GRADE_TREE=$OUT/grade-tree SUBMISSION=$DIR \
    grading/grade.sh >> "$log" 2>&1
  s=$(score_of "$OUT/grade/results.json" 2>/dev/null)
  awk -v s="$s" 'BEGIN { split(s, a, " "); exit !(a[2] > 0 && a[1] < 0.5 * a[2]) }'
  verdict grade $? "(grading the handout: $s, below half)"
  GRADE_OUT=$OUT/grade-ref grading/grade.sh >> "$log" 2>&1
  s=$(score_of "$OUT/grade-ref/results.json" 2>/dev/null)
  awk -v s="$s" 'BEGIN { split(s, a, " "); exit !(a[2] > 0 && a[1] >= a[2] - 0.01) }'
  verdict reference $? "(the reference: $s, full marks)"
  echo "$pass passed, $fail failed"
  [ $fail -eq 0 ]
}

mkdir -p "$OUT"
cut || exit 1
[ "${1:-}" = --check ] && { check; exit $?; }
exit 0

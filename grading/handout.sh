#!/usr/bin/env bash
# handout.sh [--check] [M1 ...] - 'make handout' and 'make handout-check'.
#
# make handout [MILESTONE=M1[,M2..]]: one student kit per milestone (all
# four when none is named), cut from the reference:
#   build/handout/<M>/pagelab-<M>/ and build/handout/<M>/pagelab-<M>.tar.gz
#   (HANDOUT_OUT moves build/handout).  A milestone's kit holds:
#   - the shared part (grading/handout/shared: Makefile, common/, the test
#     harness, the grader's sources and grade.sh) and the milestone's own
#     paths (grading/handout/milestones: its stage folder, the test folders
#     its suites need), every file git knows there (committed or not yet,
#     minus ignored), never a hidden suite (*_hidden.c); no other stage;
#   - C sources and headers through 'unifdef -USOLUTION': the one marker
#     convention is  #ifdef SOLUTION <reference> #else <starter> #endif ;
#   - Markdown without its staff-only blocks: lines from
#     '<!-- staff-only -->' to '<!-- /staff-only -->' are left out, and a
#     block between '<!-- student-only' and '-->' lines (a comment in the
#     kit) is shown;
#   - README.md for students, from grading/handout/README.md.in and the
#     rubric; grading/README.md, grading/build.mk ('make grade' there
#     grades the tree: grading/handout/self_grade.sh) from grading/handout/;
#   - grading/rubrics/<M>.rubric: the milestone's public items that can be
#     graded without the staff's build (hidden and performance items are
#     left out, and listed in grading/rubrics/autograder-only.txt), with
#     the weight those items carry on the autograder (grading/rubrics/weights).
#   A kit is refused (exit 1, the offending lines printed) when SOLUTION,
#   an instructor-only word (STAFF_WORDS), a line that exists only in the
#   reference's SOLUTION regions, or another milestone's folder survives.
#
# make handout-check [MILESTONE=..] (CI): for each milestone, in a clean
# copy unpacked from the tarball: it builds warning-free; every public
# suite runs to its summary line (fails cleanly: no crash, no hang);
# 'make grade' there exits non-zero with a low score, a valid results.json
# (grading/check_results.sh) and the autograder-only items listed; the kit
# grading the copy's stage folder as a SUBMISSION gives the same items
# passed; with its first graded file made one that does not compile,
# 'make grade' there shows the compiler's errors and exits non-zero; and
# at the end the reference (REF_BUILD, default build/) scores
# 100% on the same milestones.  Ends with "N passed, M failed"; details in
# <HANDOUT_OUT>/check.log.  JOBS (default 2) sets make -j.
set -u
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
OUT=${HANDOUT_OUT:-build/handout}
H=grading/handout
REF=${REF_BUILD:-build}
JOBS=${JOBS:-2}
# Words that must not reach students (grep -E, case-insensitive), and the
# marker word (case-sensitive).
STAFF_WORDS='planted|hidden tests?\b|grade-coverage|grade-tests|grade-samples|check-bugs|check_bugs|handout-check|make autograder|reference solution|reference copy|grading/(bugs|samples|rubrics/weights)|for instructors|instructors. kit|course staff'
# Lines of shipped scripts allowed to name them (file:line:text): grade.sh
# cuts the starter of a submission's missing files with unifdef, and
# leaves the staff's folders out of its grading tree.
WORDS_OK='^grading/grade\.sh:[0-9]+:.*(unifdef -USOLUTION|--exclude /grading/bugs --exclude /grading/samples)'

check=0
if [ "${1:-}" = --check ]; then check=1; shift; fi
MS=("$@")
[ ${#MS[@]} -gt 0 ] || read -ra MS <<< "${MILESTONE:+${MILESTONE//,/ }}"
[ ${#MS[@]} -gt 0 ] || MS=($(awk '$1 ~ /^M/ { print $1 }' $H/milestones))
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d "$OUT/.tmp.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# paths_of M: the kit paths milestone M's handout holds (patterns).
paths_of() {
  grep -v '^#' $H/shared
  awk -v m="$1" '$1 == m { for (i = 2; i <= NF; i++) print $i }' $H/milestones
}

# kit_files: every file of the kit git knows (or every file, without git).
kit_files() {
  if git rev-parse --git-dir > /dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard
  else
    find . -path ./build -prune -o -type f -print | sed 's|^\./||'
  fi | grep -vE '^(build|\.ci)/|_hidden\.c$' | sort -u
}

# files_of M: the kit files of milestone M's handout.
files_of() {
  local f p pats
  mapfile -t pats < <(paths_of "$1")
  kit_files | while read -r f; do
    [ -f "$f" ] || continue
    for p in "${pats[@]}"; do
      if [[ $f == "$p" || $f == "$p"/* ]] \
         || [[ $p == *'*'* && $f == $p && $(dirname "$f") == $(dirname "$p") ]]; then
        echo "$f"; break
      fi
    done
  done
}

# strip_staff FILE: Markdown without staff-only blocks, student-only shown.
strip_staff() {
  awk -v f="$1" '
    { t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t) }
    t == "<!-- staff-only -->"  { if (mode) bad = NR; mode = 1; next }
    t == "<!-- /staff-only -->" { if (mode != 1) bad = NR; mode = 0; next }
    t == "<!-- student-only"    { if (mode) bad = NR; mode = 2; next }
    t == "-->" && mode == 2     { mode = 0; next }
    mode != 1 { print }
    END { if (mode || bad) { printf "handout: %s: unbalanced staff-only/student-only markers (line %d)\n", f, bad ? bad : NR > "/dev/stderr"; exit 1 } }
  ' "$1"
}

# copy_one SRC DEST: a kit file as students get it.
copy_one() {
  local rc
  case "$1" in
    *.c|*.h|*.cpp|*.cc)
      unifdef -USOLUTION -x2 "$1" > "$2"; rc=$?
      [ $rc -le 1 ] || { echo "handout: unifdef failed on $1" >&2; return 1; } ;;
    *.md) strip_staff "$1" > "$2" || return 1 ;;
    Makefile)
      sed -e '/^# SOLUTION: /d' -e 's/ -DSOLUTION / /' \
          -e 's/^\(#   make grade  *\)grade the reference solution, print the scorecard$/\1grade this tree on the public tests, print the scorecard/' \
          "$1" > "$2" ;;
    grading/grade.sh)
      sed -e "s/grade the kit's reference solution/grade this tree/" \
          -e 's/no \.git, planted bugs, samples or rubrics/no .git, no staff files/' \
          "$1" > "$2" ;;
    *) cp -p "$1" "$2" ;;
  esac
  [ -x "$1" ] && chmod +x "$2"
  return 0
}

# rubric_of M DIR: DIR/grading/rubrics/{M.rubric,weights,autograder-only.txt}
# and $TMP/M.table (the README's rubric table), $TMP/M.perf (its
# performance section), $TMP/M.vars (graded weight, weight).
rubric_of() {
  local m=$1 dir=$2 src w
  src=$(grep -l "^milestone $m " grading/rubrics/M*.rubric | head -n 1)
  [ -n "$src" ] || { echo "handout: no rubric for $m" >&2; return 1; }
  w=$(awk -v m="$m" '$1 == m { print $2 }' grading/rubrics/weights)
  mkdir -p "$dir/grading/rubrics"
  awk -v m="$m" -v w="${w:-0}" -v src="$src" -v rub="$dir/grading/rubrics/$m.rubric" \
      -v note="$dir/grading/rubrics/autograder-only.txt" \
      -v weights="$dir/grading/rubrics/weights" -v table="$TMP/$m.table" \
      -v perfmd="$TMP/$m.perf" -v vars="$TMP/$m.vars" -f $H/rubric.awk "$src"
}

# fill TEMPLATE M: the template with @VAR@ from $TMP/M.* and the rubric.
fill() {
  local m=$1 dir=$2 stage=$3 title manifest suites bin suite graded weight
  title=$(awk '$1 == "title" { $1 = ""; sub(/^ /, ""); print }' "$dir/grading/rubrics/$m.rubric")
  sed -e 's/^\(.*\)$/- `\1`/' "$stage/MANIFEST" | grep -v '^- ``$' > "$TMP/$m.manifest"
  awk '$1 == "binary" { printf "- `build/tests/%s` (suite `%s`)\n", $3, $2 }' \
    "$dir/grading/rubrics/$m.rubric" > "$TMP/$m.suites"
  bin=$(awk '$1 == "binary" { print $3; exit }' "$dir/grading/rubrics/$m.rubric")
  suite=$(awk '$1 == "binary" { print $2; exit }' "$dir/grading/rubrics/$m.rubric")
  read -r graded weight < "$TMP/$m.vars"
  if [ -s "$dir/grading/rubrics/autograder-only.txt" ]; then
    sed -n 's/^    \(.*\)/- \1/p' "$dir/grading/rubrics/autograder-only.txt" > "$TMP/$m.aonly"
  else
    echo "- nothing: every item of $m is graded here too." > "$TMP/$m.aonly"
  fi
  awk -v M="$m" -v STAGE="$stage" -v TITLE="$title" -v BIN="$bin" \
      -v SUITE="$suite" -v GW="$graded" -v W="$weight" -v t="$TMP/$m" '
    function block(f,   l) { while ((getline l < f) > 0) print l; close(f) }
    $0 == "@MANIFEST_LIST@"   { block(t ".manifest"); next }
    $0 == "@SUITES@"          { block(t ".suites"); next }
    $0 == "@RUBRIC_TABLE@"    { block(t ".table"); next }
    $0 == "@AUTOGRADER_ONLY@" { block(t ".aonly"); next }
    $0 == "@PERF@"            { block(t ".perf"); next }
    { gsub(/@MILESTONE@/, M); gsub(/@STAGE@/, STAGE); gsub(/@TITLE@/, TITLE)
      gsub(/@EXAMPLE_BIN@/, BIN); gsub(/@EXAMPLE_SUITE@/, SUITE)
      gsub(/@GRADED_WEIGHT@/, GW); gsub(/@WEIGHT@/, W); print }
  ' $H/README.md.in
}

# leaks M DIR: print what must not be in milestone M's handout; 1 if any.
leaks() {
  local m=$1 dir=$2 bad=0 p own
  (cd "$dir" && grep -rIn 'SOLUTION' . | sed 's|^\./||' | grep -vE "$WORDS_OK") \
    | sed 's/^/  SOLUTION: /' | grep . && bad=1
  (cd "$dir" && grep -rIniE "$STAFF_WORDS" . | sed 's|^\./||' | grep -vE "$WORDS_OK") \
    | sed 's/^/  instructor-only: /' | grep . && bad=1
  own=$(paths_of "$m")
  for p in $(awk '$1 ~ /^M/ { for (i = 2; i <= NF; i++) print $i }' $H/milestones | sort -u); do
    grep -qxF "$p" <<< "$own" && continue
    [ -e "$dir/$p" ] && { echo "  another milestone's path: $p"; bad=1; }
  done
  ref_lines
  (cd "$dir" && find . -type f \( -name '*.[ch]' -o -name '*.cpp' -o -name '*.md' \) -print0 \
     | xargs -0 awk '{ t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t) }
                     FILENAME == ARGV[1] { ref[t] = 1; next }
                     t in ref { printf "  reference code: %s:%d: %s\n", substr(FILENAME, 3), FNR, t }' \
       "$TMP/refonly") | grep . && bad=1
  return $bad
}

# ref_lines: $TMP/refonly, the lines (trimmed, 16 characters or more)
# that exist only in the reference's SOLUTION regions of the kit.
ref_lines() {
  local f
  [ -f "$TMP/refonly" ] && return 0
  : > "$TMP/ref.all"; : > "$TMP/starter.all"
  for f in $(kit_files | grep -E '\.(c|h|cpp|cc)$' \
             | grep -vE '^(tests/grading|grading/(samples|bugs))/'); do
    [ -f "$f" ] || continue
    unifdef -USOLUTION -x2 "$f" >> "$TMP/starter.all" 2> /dev/null
    grep -q SOLUTION "$f" && unifdef -DSOLUTION -x2 "$f" >> "$TMP/ref.all" 2> /dev/null
  done
  awk '{ t = $0; gsub(/^[ \t]+|[ \t]+$/, "", t) }
       FILENAME == ARGV[1] { s[t] = 1; next }
       length(t) >= 16 && !(t in s) && !(t in seen) { seen[t] = 1; print t }' \
    "$TMP/starter.all" "$TMP/ref.all" > "$TMP/refonly"
  cp "$TMP/refonly" "$OUT/reference-only-lines.txt"
}

# cut_one M: write milestone M's handout folder and tarball.
cut_one() {
  local m=$1 stage name dir f n=0
  stage=$(awk '$1 == "milestone" { print $3 }' $(grep -l "^milestone $m " grading/rubrics/M*.rubric 2>/dev/null) /dev/null)
  [ -n "$stage" ] && grep -q "^$m " $H/milestones \
    || { echo "handout: unknown milestone $m (grading/handout/milestones)" >&2; return 1; }
  name=pagelab-$m
  dir=$OUT/$m/$name
  rm -rf "$OUT/$m"; mkdir -p "$dir"
  for f in $(files_of "$m"); do
    mkdir -p "$dir/$(dirname "$f")"
    copy_one "$f" "$dir/$f" || return 1
    n=$((n + 1))
  done
  [ -f "$dir/$stage/MANIFEST" ] || { echo "handout: $m: no $stage/MANIFEST" >&2; return 1; }
  rubric_of "$m" "$dir" || return 1
  cp $H/build.mk "$dir/grading/build.mk"
  cp $H/grading-README.md "$dir/grading/README.md"
  cp $H/self_grade.sh "$dir/grading/self_grade.sh"; chmod +x "$dir/grading/self_grade.sh"
  fill "$m" "$dir" "$stage" > "$dir/README.md"
  if ! leaks "$m" "$dir" > "$OUT/$m/leaks.txt"; then
    echo "handout: $m refused, it holds what students must not get:" >&2
    cat "$OUT/$m/leaks.txt" >&2
    return 1
  fi
  tar -czf "$OUT/$m/$name.tar.gz" -C "$OUT/$m" "$name"
  echo "handout: $m: $dir ($((n + 6)) files), $OUT/$m/$name.tar.gz"
}

pass=0 fail=0
# verdict NAME STATUS TEXT
verdict() {
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok    $1 $3"
  else fail=$((fail + 1)); echo "FAIL  $1 $3"; fi
}

# score_of RESULTS: "score out_of" from a results.json.
score_of() {
  jq -r '"\(.score * 100 | round / 100) \([.tests[].max_score] | add * 100 | round / 100)"' "$1"
}

# passed_of RESULTS: the passed items graded in a handout, one per line.
passed_of() {
  jq -r '.tests[] | select(.status == "passed" and .visibility == "visible"
                           and (.name | test("^perf/") | not)) | .name' "$1" | sort
}

# run_suite BIN: one line, the suite's summary, or "no clean end".
run_suite() {
  local out rc
  out=$(cd /tmp && CK_FORK=yes timeout -k 5 600 "$1" 2>&1); rc=$?
  echo "$(basename "$1"): exit $rc: $(grep -E '^[0-9]+%: Checks: ' <<< "$out")"
  if [ $rc -eq 124 ] || [ $rc -gt 128 ] || ! grep -qE '^[0-9]+%: Checks: ' <<< "$out"; then
    echo "  $(basename "$1"): no clean end (exit $rc)"
  fi
}

# check_one M: the checks of one milestone, on a clean copy of its tarball.
check_one() {
  local m=$1 c=$OUT/$m/check log=$OUT/$m/check.log stage bin out rc bad s s2 n
  stage=$(awk '$1 == "milestone" { print $3 }' "$OUT/$m/pagelab-$m/grading/rubrics/$m.rubric")
  : > "$log"
  rm -rf "$c"; mkdir -p "$c"
  tar -xzf "$OUT/$m/pagelab-$m.tar.gz" -C "$c"; c=$c/pagelab-$m
  (cd "$c" && make -j"$JOBS" all) > "$OUT/$m/build.log" 2>&1; rc=$?
  [ $rc -eq 0 ] && ! grep -q 'warning:' "$OUT/$m/build.log"; rc=$?
  verdict "$m build" $rc "(a clean copy builds with -Wall -Wextra -Werror, no warning)"
  bad=0; n=0
  rm -rf "$TMP/suites"; mkdir -p "$TMP/suites"
  for bin in "$c"/build/tests/check_*; do # JOBS suites at a time
    [ -x "$bin" ] || continue
    n=$((n + 1))
    [ $n -le "$JOBS" ] || wait -n
    run_suite "$bin" > "$TMP/suites/$(basename "$bin")" &
  done
  wait
  cat "$TMP/suites"/* >> "$log" 2> /dev/null
  grep -q 'no clean end' "$TMP/suites"/* 2> /dev/null && bad=1
  [ $n -gt 0 ] || bad=1
  verdict "$m suites" $bad "($n public suites each end with their summary line: no crash, no hang)"
  (cd "$c" && make grade) > "$OUT/$m/self-grade.log" 2>&1; rc=$?
  s=$(score_of "$c/build/grade/results.json" 2>/dev/null)
  bad=0
  [ $rc -ne 0 ] || { echo "  make grade exited 0 below full marks" >> "$log"; bad=1; }
  awk -v s="$s" 'BEGIN { split(s, a, " "); exit !(a[2] > 0 && a[1] < 0.5 * a[2]) }' || bad=1
  grading/check_results.sh "$c/build/grade/results.json" >> "$log" 2>&1 || bad=1
  if [ -s "$c/grading/rubrics/autograder-only.txt" ]; then
    grep -qi 'graded by the autograder only' "$OUT/$m/self-grade.log" || bad=1
    jq -r .output "$c/build/grade/results.json" | grep -qi 'graded by the autograder only' || bad=1
  fi
  grep -q 'milestone not available' "$OUT/$m/self-grade.log" && bad=1
  verdict "$m self-grade" $bad "(make grade in the copy: $s, exit $rc, results.json valid, autograder-only items listed)"
  leaks "$m" "$c" >> "$log"; rc=$?
  verdict "$m leaks" $rc "(no SOLUTION, instructor-only word, reference line or other stage)"
  GRADE_OUT=$OUT/$m/grade-sub GRADE_TREE=$OUT/grade-tree GRADE_BASE=$OUT/grade-base \
    REF_BUILD=$REF MILESTONE=$m SUBMISSION=$c/$stage JOBS=$JOBS \
    grading/grade.sh > "$OUT/$m/kit-grade.log" 2>&1
  s2=$(score_of "$OUT/$m/grade-sub/results.json" 2>/dev/null)
  passed_of "$c/build/grade/results.json" > "$TMP/$m.self" 2>/dev/null
  passed_of "$OUT/$m/grade-sub/results.json" > "$TMP/$m.kit" 2>/dev/null
  if [ -s "$OUT/$m/grade-sub/results.json" ] && cmp -s "$TMP/$m.self" "$TMP/$m.kit"; then rc=0
  else rc=1; diff "$TMP/$m.self" "$TMP/$m.kit" | sed 's/^/  self vs kit: /' >> "$log"; fi
  verdict "$m as-submission" $rc "(the kit grading $stage/ of the copy: $s2; the same $(wc -l < "$TMP/$m.kit") items passed as make grade there)"
  # A student's code that does not compile: make grade shows the compiler's
  # errors and exits non-zero (GitHub Classroom grades by the exit status).
  first=$(head -n 1 "$c/$stage/MANIFEST")
  cp "$c/$first" "$TMP/$m.keep"
  printf 'int this does not compile;\n' > "$c/$first"
  (cd "$c" && make grade) > "$OUT/$m/broken-grade.log" 2>&1; rc=$?
  cp "$TMP/$m.keep" "$c/$first"
  bad=0
  [ $rc -ne 0 ] || bad=1
  grep -q "^${first}:.*error:" "$OUT/$m/broken-grade.log" || bad=1
  verdict "$m broken" $bad "(code that does not compile: make grade exits $rc and shows the compiler's errors)"
}

check_ref() {
  local s rc list
  list=$(IFS=,; echo "${MS[*]}")
  GRADE_OUT=$OUT/grade-ref REF_BUILD=$REF MILESTONE=$list JOBS=$JOBS \
    grading/grade.sh > "$OUT/ref-grade.log" 2>&1; rc=$?
  s=$(score_of "$OUT/grade-ref/results.json" 2>/dev/null)
  awk -v s="$s" 'BEGIN { split(s, a, " "); exit !(a[2] > 0 && a[1] >= a[2] - 0.005) }' || rc=1
  verdict reference $rc "(the kit's reference on $list: $s, exit $rc)"
}

for m in "${MS[@]}"; do cut_one "$m" || exit 1; done
[ $check = 1 ] || exit 0
start=$(date +%s)
for m in "${MS[@]}"; do check_one "$m"; done 2>&1 | tee "$TMP/verdicts"
check_ref | tee -a "$TMP/verdicts"
pass=$(grep -c '^ok ' "$TMP/verdicts"); fail=$(grep -c '^FAIL ' "$TMP/verdicts")
echo "$pass passed, $fail failed ($(( $(date +%s) - start )) s; details in $OUT/<M>/)"
[ "$fail" -eq 0 ]

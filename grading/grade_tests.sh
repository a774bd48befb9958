#!/usr/bin/env bash
# grade_tests.sh - 'make grade-tests STUDENT_TESTS=dir [MILESTONE=M1]
#                  [BUGS_FOR_FULL=n] [FEEDBACK=count|names|tests]
#                  [TESTS_MAX=n]': grade a student's own tests, the
#                  autograder.io way.
#
# What STUDENT_TESTS holds decides how it is graded:
#   - check suites (any milestone): check_<name>.c files (each ends with
#     CHECK_MAIN, like the kit's) and any helper .c/.h files they share.
#     They are built against the graded stage (phases: its library and
#     common, with -DSTAGE_OPS=<phase>_ops and the stage directory on the
#     include path; pager-cow: libpager.a and the simulated kernel of
#     tests/pager).  Each test (every test id 'grader --list' finds, at
#     most TESTS_MAX, default 50; the rest are named and ignored) first
#     runs on the reference: one that fails there is invalid, named with
#     the reason, and earns nothing, while the others go on (a file whose
#     run cannot be trusted at all is invalid as a whole).  A planted bug
#     is exposed when some valid test fails with it in; the table names
#     which tests exposed it.
#   - app tests (M4 only): no check_*.c at all, and .c files that define
#     main().  Each NAME.c is one app, like tests/apps/: built with the app
#     library (its first comment may say "pager-args: -m 4 -s 8"), optional
#     NAME.out (its expected output, pids numbered as check_apps does,
#     ending "[exit N]" or "[signal N]"), shared .h files, and data/ (files
#     to map, next to the kit's tests/apps/data/).  Per app:
#       1. it must build;
#       2. recorded: run once under the reference pager by record_apps
#          (check_apps' own runner); the pager must exit 0 and the app 0
#          (or as its own NAME.out says); the normalized trace, and the
#          output unless NAME.out was given, become its expectation;
#       3. validated: check_apps runs it again on the reference and must
#          find exactly that (so a nondeterministic app is caught here).
#     An app failing 1-3 is invalid on the reference: it scores 0, is
#     reported with the reason, and plays no further part.  A planted bug
#     is exposed when, with the bug's pager, check_apps finds some valid
#     app's trace or output different, or it crashes or passes its deadline.
# Score: 10 / BUGS_FOR_FULL points per bug exposed, at most 10 (default
# BUGS_FOR_FULL: all of them, at most 8).  FEEDBACK (the instructor's
# choice) sets what students see before the due date: count (default:
# only how many bugs were exposed), names (also each exposed bug's name
# and description), tests (also which tests exposed it).  Staff see all
# of it in the table; students see it after the due date.  Every run of student code is sandboxed by the grader
# (deadline, rlimits, a check log read from a pipe, never from output):
# suites through 'grader --run', apps through the grader on a generated
# rubric (its core case only, one item per app); as root, under a uid of
# their own that can write neither the kit nor the tree (the recorder
# writes only to a world-writable folder, copied back with care).  A bug
# goes in and out of the private tree with grading/bug_tree.sh, as in
# check_bugs.sh.
# Output: a table, build/grade-tests/results.json (Gradescope; the per-bug
# entries are visible after the due date only) and the score line.
set -u
export LC_ALL=C # plain quotes in compiler messages, bytewise sorting
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
. grading/bug_tree.sh
case ${1:-} in
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
  '') ;;
  *) echo "grade-tests: no argument is taken but --help, not '$1': the settings are variables (see --help)" >&2; exit 2 ;;
esac
DIR=${STUDENT_TESTS:?usage: make grade-tests STUDENT_TESTS=dir [MILESTONE=M1] (see grading/grade_tests.sh --help)}
FEEDBACK=${FEEDBACK:-count}    # what students see per bug: count|names|tests
TESTS_MAX=${TESTS_MAX:-50}     # suite mode: tests graded at most
[[ $FEEDBACK =~ ^(count|names|tests)$ ]] || { echo "grade-tests: FEEDBACK is count, names or tests, not '$FEEDBACK'" >&2; exit 2; }
[[ $TESTS_MAX =~ ^[1-9][0-9]*$ ]] || { echo "grade-tests: TESTS_MAX must be a positive number" >&2; exit 2; }
M=${MILESTONE:-M1}
OUT=${GRADE_TESTS_OUT:-build/grade-tests}
TREE=$OUT/tree
REF=${REF_BUILD:-build}
RUBRIC=grading/rubrics/$M.rubric
[ -f "$RUBRIC" ] || { echo "grade-tests: no rubric $RUBRIC" >&2; exit 1; }
[ -d "$DIR" ] || { echo "grade-tests: $DIR is not a folder" >&2; exit 1; }
STAGE=$(awk '$1 == "milestone" { print $3 }' "$RUBRIC")
PHASE=${STAGE%%-*}
APPS=$TREE/tests/student_apps  # app mode: the student's apps in the tree
APPS_MAX=40                    # apps graded at most (sorted by name)
declare -A invalid=()          # app mode: name -> why it is invalid
mkdir -p "$OUT" "$REF"
OUT=$(cd "$OUT" && pwd) REF=$(cd "$REF" && pwd)
TREE=$OUT/tree APPS=$TREE/tests/student_apps
# One unprivileged uid for every sandboxed step (see grading/grade.sh).
export PAGELAB_SANDBOX_UID=${PAGELAB_SANDBOX_UID:-$((61000 + $$ % 2000))}

# tree_make LOG ARG...: make ARG... in the tree inside the grader's sandbox
# (students' sources are compiled there, as the sandbox user, seeing no
# root-only file); the tree is handed to that user for the build and back.
tree_make() {
  local log=$1 rc; shift
  [ "$(id -u)" = 0 ] && chown -R "$PAGELAB_SANDBOX_UID:65534" "$TREE"
  "$REF/grading/grader" --sandbox --rw "$(realpath "$TREE")" --wall 900 \
    --cpu 1200 --mem-mb 2048 --nproc 256 --fsize-mb 256 -- \
    /usr/bin/make -C "$(realpath "$TREE")" SKIP_DEPS=1 BUILD=build "$@" \
    > "$log" 2>&1
  rc=$?
  [ "$(id -u)" = 0 ] && chown -R root:root "$TREE"
  return $rc
}

# screen_sources FILE...: the header screen (grading/screen.sh) on
# students' files under the tree, in the sandbox: they may include the
# kit's headers, its test headers and the system's, nothing else (an
# include of the reference's sources would quote them in compiler
# errors).  Prints the refusal lines; 0 when none.
screen_sources() {
  local flags cflags rt
  rt=$(realpath "$TREE")
  flags=$(make -s -C "$TREE" SKIP_DEPS=1 BUILD=build print-screen-flags 2> /dev/null)
  cflags="$(sed -n 's/^CFLAGS=//p' <<< "$flags") $(pkg-config --cflags check) -Itests -I$STAGE -Itests/$PHASE -Itests/apps -Ipager-cow -Ipager-cow/infra -DSTAGE_OPS=${PHASE}_ops"
  "$REF/grading/grader" --sandbox --ro "$rt" --wall 300 --mem-mb 1024 \
    --env "SCREEN_CC=$(sed -n 's/^CC=//p' <<< "$flags")" \
    --env "SCREEN_CFLAGS=$cflags" -- /bin/bash "$rt/grading/screen.sh" \
    headers --tree "$rt" --stage "$STAGE" --allow tests "$@"
}

# student_buildmk: the fragment that builds the student's suites.
student_buildmk() {
  echo "# generated by grading/grade_tests.sh"
  echo 'STUDENT_HELPERS := $(filter-out tests/student/check_%.c,$(wildcard tests/student/*.c))'
  if [ "$STAGE" = pager-cow ]; then
    echo '$(O)/tests/student/%.o: CFLAGS += -Ipager-cow -Itests/pager'
    echo 'STUDENT_EXTRA := tests/pager/simkernel.c'
    echo 'STUDENT_LIBS = $(LIBPAGER)'
  else
    echo "\$(O)/tests/student/%.o: CFLAGS += -DSTAGE_OPS=${PHASE}_ops -I$STAGE"
    echo 'STUDENT_EXTRA :='
    echo "STUDENT_LIBS = \$(LIB_$PHASE) \$(LIBCOMMON)"
  fi
  echo 'STUDENT_BINS :='
  echo '$(foreach f,$(wildcard tests/student/check_*.c),$(eval STUDENT_BINS += $(BUILD)/tests/student_$(basename $(notdir $(f))))$(eval $(call check_test,student_$(basename $(notdir $(f))),$(f) $(STUDENT_HELPERS) $(STUDENT_EXTRA) $(CHECK_UTIL_SRCS),$(STUDENT_LIBS))))'
  echo '.PHONY: student-tests'
  echo 'student-tests: $(STUDENT_BINS)'
}

# suite_setup: the student's suites (and helpers) into tests/student.
suite_setup() {
  rm -rf "$TREE/tests/student" "$APPS"; mkdir -p "$TREE/tests/student"
  find "$DIR" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) \
    -exec cp {} "$TREE/tests/student/" \;
  suite_screen
  student_buildmk > "$TREE/tests/student/build.mk"
}

# suite_screen: screen the student's .c files; a refused one is removed
# (its suite, or every suite when it is a helper, then fails to build) and
# named invalid with its refusal.
suite_screen() {
  local f line
  ls "$TREE"/tests/student/*.c > /dev/null 2>&1 || return 0
  (cd "$TREE" && screen_sources tests/student/*.c) > "$OUT/screen.log" 2>&1
  while IFS= read -r line; do
    [[ $line == tests/student/*": refused: "* ]] || continue
    f=${line%%:*}; f=${f#tests/student/}
    [ -n "${invalid[$f]:-}" ] || invalid[$f]=$(one_line "refused by the screen: ${line#*: refused: }")
    rm -f "$TREE/tests/student/$f"
  done < "$OUT/screen.log"
}

# suite_build: build the student's suites in the tree.  0, or 1 (the
# compiler's first error in $OUT/build.log).
suite_build() {
  tree_make "$OUT/build.log" -j2 student-tests
}

# suite_rubrics LIST DIR: a rubric folder for the grader from LIST (lines
# "binary<tab>test-id"): one rubric per binary (so two files may name
# their suites alike), one 1-point item per test.
suite_rubrics() {
  local list=$1 dir=$2 bin k=0
  rm -rf "$dir"; mkdir -p "$dir"
  for bin in $(cut -f 1 "$list" | sort -u); do
    k=$((k + 1))
    {
      echo "milestone T$k $STAGE"
      echo "title $bin"
      awk -F '\t' -v b="$bin" '$1 == b { split($2, p, "/"); print "binary", p[1], b; exit }' "$list"
      echo "timeout ${TEST_TIMEOUT:-300}"
      echo "section tests"
      awk -F '\t' -v b="$bin" '$1 == b { print "1", $2, "public" }' "$list"
    } > "$dir/M-$bin.rubric"
    echo "T$k 1" >> "$dir/weights"
    printf 'T%s\t%s\n' "$k" "${bin#student_}.c" >> "$dir/map"
  done
}

# suite_grade LABEL LIST: run the tests of LIST in the tree's build in the
# grader's sandbox; writes "check_NAME.c:test-id<tab>why" for each failed
# test to $OUT/LABEL/failed.  Exits when the grader itself fails.
suite_grade() {
  local label=$1
  rm -rf "${OUT:?}/$label"; mkdir -p "$OUT/$label"
  suite_rubrics "$2" "$OUT/$label/rubric"
  "$REF/grading/grader" --rubrics "$OUT/$label/rubric" --build "$TREE/build" \
    --ref-build "$TREE/build" --kit "$TREE" --out "$OUT/$label" --exit-zero \
    --view "$(realpath "$TREE/build")" \
    > "$OUT/$label/grader.log" 2>&1 \
    || { echo "grade-tests: the grader failed (see $OUT/$label/grader.log)" >&2; exit 1; }
  jq -r '.tests[] | select(.score < .max_score and .max_score > 0)
    | [(.name | capture("^(?<t>T[0-9]+) tests: (?<id>.*)") | .t, .id),
       (.output | split("\n")[0])] | @tsv' "$OUT/$label/results.json" \
    | awk -F '\t' 'NR == FNR { file[$1] = $2; next }
                   { print file[$1] ":" $2 "\t" $3 }' \
        "$OUT/$label/rubric/map" - > "$OUT/$label/failed"
}

# suite_list: every test of every student suite binary, as "binary<tab>
# test-id" lines in $OUT/tests (at most TESTS_MAX, the rest named and
# ignored); a binary whose run on the reference cannot be trusted is
# invalid as a whole.
suite_list() {
  local bin name ids
  : > "$OUT/tests.all"
  for bin in "$TREE"/build/tests/student_check_*; do
    name=$(basename "$bin")
    if ids=$("$REF/grading/grader" --list "$bin" 2> "$OUT/list.err"); then
      sort -u <<< "$ids" | awk -v b="$name" 'NF { print b "\t" $2 }' >> "$OUT/tests.all"
    else
      invalid[${name#student_}.c]=$(one_line "its run on the reference is not trusted: $(head -n 1 "$OUT/list.err")")
    fi
  done
  head -n "$TESTS_MAX" "$OUT/tests.all" > "$OUT/tests"
  tail -n +"$((TESTS_MAX + 1))" "$OUT/tests.all" | while IFS=$'\t' read -r bin id; do
    echo "ignored ${bin#student_}.c $id: more than $TESTS_MAX tests"
  done
}

# suite_reference: each student test runs on the reference first; one that
# fails there is invalid (named, earns nothing) and the others go on in
# $OUT/valid.  0 when some test is valid, otherwise sets verdict.
suite_reference() {
  local key why t
  if ! suite_build; then
    verdict="the tests do not build: $(one_line "$(grep -m 1 -E 'error|undefined reference' "$OUT/build.log")")"
    return 1
  fi
  suite_list
  suite_grade reference "$OUT/tests"
  while IFS=$'\t' read -r key why; do
    invalid[$key]=$(one_line "$why")
  done < "$OUT/reference/failed"
  : > "$OUT/valid"
  while IFS=$'\t' read -r t key; do
    [ -n "${invalid[${t#student_}.c:$key]+x}" ] && continue
    printf '%s\t%s\n' "$t" "$key" >> "$OUT/valid"
    echo "test ${t#student_}.c:$key: valid on the reference"
    entries+=("$(json_entry "test ${t#student_}.c:$key" 0 0 visible "valid on the reference")")
  done < "$OUT/tests"
  while IFS= read -r key; do
    [ -n "$key" ] || continue
    echo "test $key: INVALID on the reference, scores 0: ${invalid[$key]}"
    entries+=("$(json_entry "test $key" 0 0 visible \
      "invalid on the reference, scores 0: ${invalid[$key]}" failed)")
  done < <(printf '%s\n' "${!invalid[@]}" | sort)
  [ -s "$OUT/valid" ] && return 0
  verdict="no test is valid on the reference solution: score 0"
  return 1
}

# suite_run LABEL: with the bug in the tree, rebuild the suites and run
# every valid test.  0 when all pass, 1 (detail set) when some test
# exposed the bug, 2 when the suites do not build.
suite_run() {
  local failed why
  suite_build || return 2
  suite_grade "$1" "$OUT/valid"
  failed=$(cat "$OUT/$1/failed")
  [ -z "$failed" ] && return 0
  why=$(one_line "$(head -n 1 <<< "$failed" | cut -f 2)" | cut -c 1-90)
  detail="  (by $(cut -f 1 <<< "$failed" | paste -sd ' '); $why)"
  return 1
}

# json_entry NAME SCORE MAX VISIBILITY OUTPUT [STATUS]: one Gradescope
# test (status: passed when SCORE reaches MAX, unless STATUS is given).
json_entry() {
  jq -n --arg n "$1" --argjson s "$2" --argjson m "$3" --arg v "$4" \
    --arg o "$5" --arg st "${6:-}" '{name: $n, score: $s, max_score: $m,
    visibility: $v, output: $o, status: (if $st != "" then $st
    elif $s >= $m then "passed" else "failed" end)}'
}

# one_line TEXT: TEXT on one printable line of at most 160 characters (a
# student's output never reaches the table with its own line breaks).
one_line() {
  printf '%s' "$1" | tr -c '[:print:]' ' ' | cut -c 1-160
}

# ---- app mode -------------------------------------------------------------

# is_app_folder: true when DIR holds no check suite and some .c file of it
# defines main() (the app-mode rule).
is_app_folder() {
  ! ls "$DIR"/check_*.c > /dev/null 2>&1 &&
    find "$DIR" -maxdepth 1 -type f -name '*.c' \
      -exec grep -lqE '(^|[^A-Za-z0-9_])main[[:space:]]*\(' {} + 2> /dev/null
}

# app_names: the apps still in play (every NAME.c of the tree's folder).
app_names() {
  find "$APPS" -maxdepth 1 -type f -name '*.c' -printf '%f\n' \
    | sed 's/\.c$//' | sort
}

# app_invalid NAME WHY: NAME is invalid on the reference; it leaves play.
app_invalid() {
  invalid[$1]=$(one_line "$2")
  rm -f "$APPS/$1.c" "$APPS/$1.trace" "$APPS/$1.out"
}

# app_setup: copy the student's apps into tests/student_apps of the tree:
# NAME.c (a C identifier, at most APPS_MAX of them), NAME.out, .h files
# and data/ files (regular files up to 1 MiB, never links), with the
# kit's tests/apps/data/ files.  Stale app builds are removed.
app_setup() {
  local f base n=0
  rm -rf "$APPS" "$TREE/tests/student" "$TREE/build/student_apps" \
    "$TREE/build/obj/app/tests/student_apps"
  mkdir -p "$APPS/data"
  install -m 644 tests/apps/data/* "$APPS/data/"
  while IFS= read -r f; do
    base=$(basename "$f")
    case "$base" in
      *.c) [[ $base =~ ^[A-Za-z_][A-Za-z0-9_]{0,47}\.c$ ]] || { echo "ignored $base: an app name is a C identifier"; continue; }
           n=$((n + 1)); [ $n -le $APPS_MAX ] || { echo "ignored $base: more than $APPS_MAX apps"; continue; } ;;
      *.out) [ -f "$DIR/${base%.out}.c" ] || continue ;;
    esac
    install -m 644 "$f" "$APPS/$base"
  done < <(find "$DIR" -maxdepth 1 -type f -size -1025k \
             \( -name '*.c' -o -name '*.h' -o -name '*.out' \) | sort)
  find "$DIR" -maxdepth 1 \( ! -type f -o -size +1024k \) -name '*.[ch]' \
    -printf 'ignored %f: not a regular file of at most 1 MiB\n'
  [ -d "$DIR/data" ] && find "$DIR/data" -maxdepth 1 -type f -size -1025k \
    -exec install -m 644 {} "$APPS/data/" \;
  [ -n "$(app_names)" ] || { echo "grade-tests: no app NAME.c in $DIR" >&2; exit 1; }
}

# app_screen: screen the student's apps (.c files); a refused one is
# invalid, with its refusal.
app_screen() {
  local n line
  ls "$APPS"/*.c > /dev/null 2>&1 || return 0
  (cd "$TREE" && screen_sources tests/student_apps/*.c) > "$OUT/screen.log" 2>&1
  while IFS= read -r line; do
    [[ $line == tests/student_apps/*": refused: "* ]] || continue
    n=${line%%:*}; n=${n#tests/student_apps/}; n=${n%.c}
    [ -n "${invalid[$n]:-}" ] || app_invalid "$n" "refused by the screen: ${line#*: refused: }"
  done < "$OUT/screen.log"
}

# app_build: build the pager, the runners and every app in the tree; an
# app that does not build is invalid.  Exits when the kit's part fails.
app_build() {
  local n err log=$OUT/build.log
  app_screen
  tree_make "$log" -k -j2 student-apps
  for n in pager tests/check_student_apps tests/record_student_apps; do
    [ -x "$TREE/build/$n" ] || { echo "grade-tests: the kit's $n did not build (see $log)" >&2; exit 1; }
  done
  for n in $(app_names); do
    [ -x "$TREE/build/student_apps/$n" ] && continue
    err=$(grep -m 1 -E "student_apps/$n\.c:[0-9]+:[0-9]+: (fatal )?error|undefined reference" "$log")
    app_invalid "$n" "does not build: ${err:-see the build log}"
  done
}

# app_grader LABEL SUITE BINARY TEST: run loop test SUITE/core/TEST of
# tests/BINARY over the apps in play (listed by their NAME.trace files) in
# the grader's sandbox, through a generated rubric with one item per app.
# Writes "NAME<tab>why" for each app whose iteration failed to
# $OUT/LABEL/failed (the grader's results are there too).  Exits when the
# grader itself fails (so never call it in a subshell).
app_grader() {
  local label=$1 rub=$OUT/$1/rubric n names
  names=$(app_names)
  rm -rf "${OUT:?}/$label"; mkdir -p "$rub"
  {
    echo "milestone $M $STAGE"
    echo "title the student's app tests ($label)"
    echo "binary $2 $3"
    echo "loop app $2/core/$4 tests/student_apps .trace"
    echo "timeout $((30 + 25 * $(wc -w <<< "$names")))"
    echo "section apps"
    for n in $names; do echo "1 app/$n public"; done
  } > "$rub/$M.rubric"
  echo "$M 1" > "$rub/weights"
  "$REF/grading/grader" --rubrics "$rub" --build "$TREE/build" \
    --ref-build "$TREE/build" --kit "$TREE" --out "$OUT/$label" \
    --view "$(realpath "$TREE/build"):$(realpath "$APPS")" \
    ${APP_RW:+--view-rw "$(realpath "$APP_RW")"} \
    --milestone "$M" --exit-zero > "$OUT/$label/grader.log" 2>&1 \
    || { echo "grade-tests: the grader failed (see $OUT/$label/grader.log)" >&2; exit 1; }
  jq -r '.tests[] | select(.score < .max_score)
    | [(.name | sub("^[^:]*: app/"; "")), .output] | @tsv' \
    "$OUT/$label/results.json" | sed "s|$(realpath "$APPS")/||g" \
    > "$OUT/$label/failed"
}

# app_record: record every app on the reference (step 2), then put the
# recordings in place as the apps' expectations.
app_record() {
  local n why rec=$TREE/build/app-records f
  rm -rf "$rec"; mkdir -p "$rec"; chmod 1777 "$rec"
  for n in $(app_names); do : > "$APPS/$n.trace"; done # what list_apps lists
  APP_RW=$rec # the recordings are the one thing the runs write
  app_grader record record record_student_apps test_record_app
  APP_RW=
  while IFS=$'\t' read -r n why; do
    app_invalid "$n" "${why#app $n: }"
  done < "$OUT/record/failed"
  for n in $(app_names); do
    for f in trace out; do # files the sandbox wrote: regular, own, bounded
      [ "$f" = out ] && [ -f "$APPS/$n.out" ] && continue
      if [ -n "$(find "$rec" -maxdepth 1 -type f -name "$n.$f" -links 1 \
                   -size -1025k ! -user root)" ]; then
        install -m 644 "$rec/$n.$f" "$APPS/$n.$f"
      else
        app_invalid "$n" "its recording is missing"; break
      fi
    done
  done
}

# app_reference: steps 1-3 for every app; 0 when some app is valid,
# otherwise sets verdict.  Prints one line per app.
app_reference() {
  local n why
  app_build
  app_record
  app_grader reference apps check_student_apps \
    test_app_matches_expected_trace_and_output
  while IFS=$'\t' read -r n why; do
    app_invalid "$n" "a second run on the reference differs: ${why#app $n: }"
  done < "$OUT/reference/failed"
  for n in $(app_names); do
    echo "app $n: valid on the reference"
    entries+=("$(json_entry "app $n" 0 0 visible "valid on the reference")")
  done
  for n in $(printf '%s\n' "${!invalid[@]}" | sort); do
    echo "app $n: INVALID on the reference, scores 0: ${invalid[$n]}"
    entries+=("$(json_entry "app $n" 0 0 visible \
      "invalid on the reference, scores 0: ${invalid[$n]}" failed)")
  done
  [ -n "$(app_names)" ] && return 0
  verdict="no app is valid on the reference solution: score 0"
  return 1
}

# app_run LABEL: with the bug in the tree, rebuild the pager and judge
# every valid app.  0 when all match the reference, 1 (detail set) when
# some app exposed the bug, 2 when the pager does not build.
app_run() {
  local failed first why
  tree_make "$OUT/$1.log" -j2 build/pager || return 2
  app_grader "$1" apps check_student_apps \
    test_app_matches_expected_trace_and_output
  failed=$(cat "$OUT/$1/failed")
  [ -z "$failed" ] && return 0
  first=${failed%%$'\n'*}
  why=${first#*$'\t'}
  why=$(one_line "${why#app ${first%%$'\t'*}: }" | cut -c 1-90)
  detail="  (by $(cut -f 1 <<< "$failed" | paste -sd ' '); $why)"
  return 1
}

# ---- both modes -----------------------------------------------------------

# grade_bugs RUN: apply each planted bug of the stage in turn and call
# RUN LABEL (0: the student's tests pass with the bug in, 1: exposed,
# 2: did not build); one table line and one results entry per bug.
grade_bugs() {
  local p name desc v st rc
  for p in "${patches[@]}"; do
    name=$(basename "$p" .patch)
    desc=$(bug_description "$p")
    bugtree_apply "$TREE" "$p" > /dev/null 2>&1 \
      || { echo "skip     $name: does not apply"; continue; }
    detail=""
    "$1" "$name"; rc=$?
    bugtree_revert "$TREE" "$p"
    case $rc in
      0) v=escaped; st=failed ;;
      1) v=exposed; st=passed; exposed=$((exposed + 1)) ;;
      *) echo "skip     $name: does not build"; continue ;;
    esac
    printf '%-8s %s%s\n' "$v" "$name" "$detail"
    bug_entry "$name" "$v" "$desc" "$st"
  done
}

# bug_entry NAME VERDICT DESCRIPTION STATUS: the bug's results entry
# (worth nothing itself: the summary entry carries the score).  What the
# student sees before the due date is FEEDBACK's choice: count, nothing
# per bug; names, each exposed bug's name and description; tests, also
# the tests that exposed it.  Everything is shown after the due date.
bug_entry() {
  local vis=after_due_date text="$2: $3$detail"
  if [ "$2" = exposed ] && [ "$FEEDBACK" != count ]; then
    vis=visible
    [ "$FEEDBACK" = names ] && text="$2: $3"
  fi
  entries+=("$(json_entry "bug $1" 0 0 "$vis" "$text" "$4")")
}

# finish VERDICT: the score of $exposed bugs (10 / BUGS_FOR_FULL points
# each, at most 10), results.json (score = the sum of the tests' scores:
# only the summary entry is worth points), the last two lines; exits 0.
finish() {
  local score
  [ "$exposed" -gt "$full" ] && exposed=$full
  score=$(awk -v e="$exposed" -v f="$full" 'BEGIN { printf "%.2f", (f > 0 ? int(1000 * e / f + 0.5) / 100 : 0) }')
  entries+=("$(json_entry "student $kind ($M, $STAGE)" "$score" 10 visible "$1")")
  printf '%s\n' "${entries[@]}" | jq -s --argjson s "$score" \
    '{score: $s, tests: .}' > "$OUT/results.json"
  echo "$1; full marks at $full"
  echo "score: $score / 10 (results: $OUT/results.json)"
  exit 0
}

make -s -j2 BUILD="$REF" "$REF/grading/grader" > /dev/null || exit 1
bugtree_sync "$TREE" --exclude /tests/student --exclude /tests/student_apps
if is_app_folder; then
  [ "$STAGE" = pager-cow ] \
    || { echo "grade-tests: app tests are graded for pager-cow (M4) only; $DIR has no check_*.c" >&2; exit 1; }
  mode=app kind="app tests"
  app_setup
else
  mode=suite kind="tests"
  suite_setup
  ls "$TREE"/tests/student/check_*.c > /dev/null 2>&1 \
    || { echo "grade-tests: no check_*.c (nor app with a main) in $DIR" >&2; exit 1; }
fi
[ -n "${GRADE_TESTS_SETUP_ONLY:-}" ] && exit 0 # (coverage.sh: tree only)
patches=(grading/bugs/"$STAGE"/*.patch)
full=${BUGS_FOR_FULL:-$(( ${#patches[@]} < 8 ? ${#patches[@]} : 8 ))}
entries=()
exposed=0
detail=""
if "${mode}_reference"; then
  grade_bugs "${mode}_run"
  verdict="the $kind exposed $exposed of ${#patches[@]} planted bugs"
  [ $mode = app ] && verdict+=" ($(app_names | wc -l) valid apps, ${#invalid[@]} invalid)"
fi
finish "$verdict"

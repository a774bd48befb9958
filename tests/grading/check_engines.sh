#!/usr/bin/env bash
# check_engines.sh BUILD - conformance of every engine's entry point
# (grading/engines/): each is run on the reference and on a broken
# submission (a fault.c that does not compile), for milestone M1, inside a
# temporary folder laid out as that platform lays it out, and its output is
# checked against the platform's documented format:
#
#   gradescope  /autograder/{source,submission,results} (AUTOGRADER_ROOT):
#               results.json valid for grading/gradescope-results.schema.json
#               and the kit's exact numbers (grading/check_results.sh),
#               25 for the reference, 0 and a failed "build" test for the
#               broken one;
#   autolab     autograde-Makefile, autograde.tar and the handin file in one
#               folder, 'make': the last line is {"scores": {"M1": x},
#               "scoreboard": [...]} also for a bare file, a zip named
#               handin.tar and a grader that cannot start;
#   prairielearn /grade/{student,tests,results} (PL_GRADE_DIR): score in
#               [0,1], tests with name/points/max_points/message/output,
#               gradable false with format_errors for an empty submission;
#   github-classroom the workflow parses and is filled in; the exit-status
#               rule its command step relies on (1 below full marks).
#
# The kit's build BUILD is the reference (nothing is rebuilt); every
# grading shares one grading tree, BUILD/engines-test/tree, whose base is
# built once and kept.  Deadlines are scaled by GRADE_TIMEOUT_SCALE (0.2).
# To stay fast, the reference is graded for real once (grade.sh AUTOLAB=1,
# which also proves the exit-status rule: 0 at full marks) and each engine's
# entry point then runs on it with grade.sh replaying that run (a kit whose
# grading/grade.sh copies the recorded results.json, layout and output);
# the broken submission goes through the real grade.sh under every engine.
# CHECK_ENGINES_FULL=1: the reference too (about 25 s more per engine).
# Prints check's summary line: "NN%: Checks: N, Failures: F, Errors: 0".
set -u
KIT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$KIT/build}" && pwd)
T=$BUILD/engines-test
export GRADE_TREE=$T/tree REF_BUILD=$BUILD MILESTONE=M1
export GRADE_TIMEOUT_SCALE=${GRADE_TIMEOUT_SCALE:-0.2}
unset AUTOLAB GRADE_EXIT_ZERO GRADE_OUT SUBMISSION
rm -rf "$T/run"; mkdir -p "$T/run"
R=$T/run
checks=0 fails=0

# took WHAT: how long since the last call (the suite's own time budget).
last=$SECONDS
took() { echo "check_engines.sh: $1 took $((SECONDS - last)) s"; last=$SECONDS; }

# ok NAME CONDITION-STATUS [DETAIL]: count one check.
ok() {
  checks=$((checks + 1))
  if [ "$2" -eq 0 ]; then echo "check_engines.sh:${BASH_LINENO[0]}:P:engines:$1:0: Passed"
  else fails=$((fails + 1)); echo "check_engines.sh:${BASH_LINENO[0]}:F:engines:$1:0: ${3:-failed}"; fi
}

# The submissions: the reference's manifest files, and a broken fault.c.
mkdir -p "$R/ref" "$R/broken"
cp "$KIT"/phase1-single/fault.c "$KIT"/phase1-single/frames.c \
   "$KIT"/phase1-single/trim.c "$KIT"/phase1-single/write.c "$R/ref/"
cp "$KIT"/phase1-single/frames.c "$KIT"/phase1-single/trim.c \
   "$KIT"/phase1-single/write.c "$R/broken/"
printf '#include "phase1.h"\nint this does not compile;\n' > "$R/broken/fault.c"
# The reference graded once for real; REPLAY: a kit whose grade.sh
# replays it (the rubrics and engines are the kit's own).
SUBMISSION=$R/ref AUTOLAB=1 GRADE_OUT=$R/refgrade "$KIT/grading/grade.sh" \
  > "$R/refgrade.out" 2> "$R/refgrade.err"
ok classroom_exit_full "$?" "grade.sh exit status not 0 for the reference: $(tail -n 3 "$R/refgrade.out")"
took reference_graded
REPLAY=$R/replay-kit
if [ "${CHECK_ENGINES_FULL:-0}" = 1 ]; then REPLAY=$KIT; else
  mkdir -p "$REPLAY/grading"
  ln -s "$KIT/grading/rubrics" "$KIT/grading/engines" "$KIT/grading/check_results.sh" \
    "$KIT/grading/gradescope-results.schema.json" "$REPLAY/grading/"
  cat > "$REPLAY/grading/grade.sh" << EOF2
#!/usr/bin/env bash
# replays the reference's grading recorded by check_engines.sh
mkdir -p "\$GRADE_OUT"
cp "$R/refgrade/results.json" "$R/refgrade/layout.txt" "\$GRADE_OUT/"
cat "$R/refgrade.err" >&2
grep -v '^{"scores": ' "$R/refgrade.out"
[ -z "\${AUTOLAB:-}" ] || grep '^{"scores": ' "$R/refgrade.out"
exit 0
EOF2
  chmod +x "$REPLAY/grading/grade.sh"
fi

# The packages, as a course would upload them.
AUTOGRADER_OUT=$R/pkg MILESTONE=M1 "$KIT/grading/package.sh" > "$R/package.log" 2>&1
ok package_m1 $? "$(tail -n 3 "$R/package.log")"
took package

# --- Gradescope ------------------------------------------------------------
gradescope() { # NAME SUBMISSION-DIR KIT: run_autograder in a fresh /autograder
  local root=$R/gs-$1
  mkdir -p "$root/submission" "$root/results"
  ln -s "$3" "$root/source"     # the zip unpacked = the kit itself
  cp "$2"/* "$root/submission/"
  unzip -p "$R/pkg/M1/pagelab-gradescope-M1.zip" run_autograder > "$root/run_autograder"
  AUTOGRADER_ROOT=$root bash "$root/run_autograder" > "$root/log" 2>&1
  echo "$root/results/results.json"
}
j=$(gradescope ref "$R/ref" "$REPLAY"); took gradescope_ref
"$KIT/grading/check_results.sh" --weight 25 "$j" > "$R/gs.check" 2>&1
ok gradescope_ref_schema $? "$(cat "$R/gs.check")"
ok gradescope_ref_full "$(jq -e '.score == 25' "$j" > /dev/null; echo $?)" "score $(jq .score "$j")"
j=$(gradescope broken "$R/broken" "$KIT"); took gradescope_broken
"$KIT/grading/check_results.sh" --weight 25 "$j" > "$R/gs.check" 2>&1
ok gradescope_broken_schema $? "$(cat "$R/gs.check")"
ok gradescope_broken_zero "$(jq -e '.score == 0 and ([.tests[] | select((.name | test("build$")) and .status == "failed")] | length == 1)' "$j" > /dev/null; echo $?)" \
  "score $(jq .score "$j"), no failed build test"

# --- Autolab ---------------------------------------------------------------
SCORE_LINE='^\{"scores": \{"M1": [0-9]+(\.[0-9]{1,2})?\}, "scoreboard": \[[0-9.]+(, [0-9.]+)*\]\}$'
autolab() { # NAME HANDIN-FILE [MAKE-VARS...]: make in a fresh job folder
  local d=$R/al-$1; shift
  mkdir -p "$d"
  cp "$R/pkg/M1/autolab/autograde-Makefile" "$d/Makefile"
  cp "$R/pkg/M1/autolab/autograde.tar" "$d/"
  cp "$1" "$d/handin.tar"; shift
  (cd "$d" && PAGELAB_KIT=${KIT_FOR_AUTOLAB:-$KIT} make -s "$@" > out 2>&1)
  tail -n 1 "$d/out"
}
tar -cf "$R/ref.tar" -C "$R/ref" .
l=$(KIT_FOR_AUTOLAB=$REPLAY autolab ref "$R/ref.tar"); took autolab_ref
ok autolab_ref_line "$(grep -Eq "$SCORE_LINE" <<< "$l"; echo $?)" "last line: $l"
ok autolab_ref_full "$(jq -e '.scores.M1 == 25 and .scoreboard[0] == 25' <<< "$l" > /dev/null 2>&1; echo $?)" "$l"
ok autolab_no_staff_card "$(grep -q 'staff: every item' "$R/al-ref/out"; [ $? -ne 0 ]; echo $?)" "the staff scorecard reached the student"
(cd "$R/broken" && bsdtar -a -cf "$R/broken.zip" .)
l=$(autolab broken-zip "$R/broken.zip"); took autolab_broken  # a zip named handin.tar
ok autolab_broken_line "$(grep -Eq "$SCORE_LINE" <<< "$l"; echo $?)" "last line: $l"
ok autolab_broken_zero "$(jq -e '.scores.M1 == 0' <<< "$l" > /dev/null 2>&1; echo $?)" "$l"
l=$(KIT_FOR_AUTOLAB=$R/no-kit autolab dead "$R/ref.tar")   # grade.sh cannot run
ok autolab_dead_line "$(grep -Eq "$SCORE_LINE" <<< "$l" && jq -e '.scores.M1 == 0' <<< "$l" > /dev/null; echo $?)" "last line: $l"
ok autolab_dead_reason "$(grep -q 'grading did not finish' "$R/al-dead/out"; echo $?)" "no reason above the line"
mkdir -p "$R/al-notar"; cp "$R/pkg/M1/autolab/autograde-Makefile" "$R/al-notar/Makefile"
l=$(cd "$R/al-notar" && make -s 2>&1 | tail -n 1)   # autograde.tar missing
ok autolab_no_tar_line "$(grep -Eq "$SCORE_LINE" <<< "$l"; echo $?)" "last line: $l"

# --- PrairieLearn ----------------------------------------------------------
prairielearn() { # NAME SUBMISSION-DIR [KIT]: run.sh on a fresh /grade
  local g=$R/pl-$1
  mkdir -p "$g/student" "$g/tests" "$g/results"
  cp "$R/pkg/M1/prairielearn/question/tests/milestone" "$g/tests/"
  [ -n "$2" ] && cp "$2"/* "$g/student/"
  PL_GRADE_DIR=$g MILESTONE= PAGELAB_KIT=${3:-$KIT} \
    bash "$KIT/grading/engines/prairielearn/run.sh" > "$g/log" 2>&1
  echo "$g/results/results.json"
}
PL_FORMAT='.gradable == true and (.score | type == "number" and . >= 0 and . <= 1)
  and (.tests | length > 0) and all(.tests[]; (.name | type == "string")
  and (.points | type == "number") and (.max_points | type == "number")
  and (.message | type == "string") and (.output | type == "string")
  and .points <= .max_points)'
j=$(prairielearn ref "$R/ref" "$REPLAY"); took prairielearn_ref
ok prairielearn_ref_format "$(jq -e "$PL_FORMAT" "$j" > /dev/null 2>&1; echo $?)" "$(head -c 300 "$j")"
ok prairielearn_ref_full "$(jq -e '.score == 1' "$j" > /dev/null 2>&1; echo $?)" "score $(jq .score "$j" 2>&1)"
ok prairielearn_hidden_folded "$(jq -e '[.tests[] | select(.name | test("^hidden tests"))] | length == 1' "$j" > /dev/null 2>&1; echo $?)" "no single hidden entry"
j=$(prairielearn broken "$R/broken"); took prairielearn_broken
ok prairielearn_broken_format "$(jq -e "$PL_FORMAT and .score == 0" "$j" > /dev/null 2>&1; echo $?)" "$(head -c 300 "$j")"
j=$(prairielearn empty "")
ok prairielearn_empty_ungradable "$(jq -e '.gradable == false and (.format_errors | length > 0)' "$j" > /dev/null 2>&1; echo $?)" "$(head -c 300 "$j")"

# --- GitHub Classroom --------------------------------------------------------
W=$R/pkg/M1/github-classroom/.github/workflows/classroom.yml
ok classroom_filled "$(grep -q '@[A-Z_]*@' "$W"; [ $? -ne 0 ]; echo $?)" "a placeholder is left in $W"
if python3 -c 'import yaml' 2> /dev/null; then
  python3 - "$W" > "$R/yml.check" 2>&1 << 'PY'
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
steps = w["jobs"]["run-autograding-tests"]["steps"]
g = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
assert len(g) == 1 and g[0]["with"]["command"] == "make grade" and g[0]["with"]["max-score"] == 25, g
r = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-grading-reporter")]
assert r and r[0]["with"]["runners"] == g[0]["id"] and (g[0]["id"].upper() + "_RESULTS") in r[0]["env"], r
PY
  ok classroom_workflow "$?" "$(cat "$R/yml.check")"
else
  echo "check_engines.sh: no python3 yaml module: the workflow's structure is not checked"
fi
# The rule the command step relies on: below full marks, exit status 1
# (check_grader proves it of the grader; here, in the full run only).
if [ "${CHECK_ENGINES_FULL:-0}" = 1 ]; then
  SUBMISSION=$R/broken GRADE_OUT=$R/exit "$KIT/grading/grade.sh" > "$R/exit.log" 2>&1
  ok classroom_exit_below_full "$([ $? -eq 1 ]; echo $?)" "grade.sh exit status not 1 for a broken submission"
fi

pct=$(( checks > 0 ? 100 * (checks - fails) / checks : 0 ))
echo "$pct%: Checks: $checks, Failures: $fails, Errors: 0"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# package.sh - 'make autograder [MILESTONE=M1]': the kit packaged for the
# engines that run autograders at scale, one folder per milestone side by
# side in build/autograder/ (AUTOGRADER_OUT):
#
#   Mn/pagelab-gradescope-Mn.zip   Gradescope: the kit at the zip's root
#       (unpacked into /autograder/source), setup.sh (packages, reference
#       build, the grading tree warmed) and run_autograder (grades
#       /autograder/submission into /autograder/results/results.json);
#   Mn/autolab/autograde-Makefile, Mn/autolab/autograde.tar
#       Autolab: the Makefile unpacks the kit and runs
#       grading/engines/autolab/driver.sh on the handin file; the last line
#       is always {"scores": {...}, "scoreboard": [...]};
#   Mn/prairielearn/question/      PrairieLearn: an example question
#       (info.json naming the grader image, tests/milestone, question.html);
#   Mn/github-classroom/.github/workflows/classroom.yml
#       GitHub Classroom: the workflow for the milestone's handout repo.
#
# MILESTONE selects the milestones (comma-separated; empty: every rubric).
# Test run_autograder locally with AUTOGRADER_ROOT (see grading/README.md,
# "Platforms"); tests/grading/check_engines.sh runs every entry point.
set -eu
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.."
OUT=${AUTOGRADER_OUT:-build/autograder}
E=grading/engines
if [ -n "${MILESTONE:-}" ]; then MS=$(tr , ' ' <<< "$MILESTONE")
else MS=$(awk '$1 == "milestone" { print $2 }' grading/rubrics/M*.rubric); fi
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
STAGE=$OUT/.stage.$$
trap 'rm -rf "$STAGE"' EXIT
rm -rf "$STAGE"; mkdir -p "$STAGE/pagelab"
rsync -a --exclude /build --exclude '/build-*' --exclude /.git ./ "$STAGE/pagelab/"
make -s print-deb-packages > "$STAGE/pagelab/$E/deb-packages.txt"
for M in $MS; do
  rubric=$(grep -l "^milestone $M " grading/rubrics/*.rubric | head -n 1)
  [ -n "$rubric" ] || { echo "package.sh: no rubric for milestone $M" >&2; exit 2; }
  stage=$(awk '$1 == "milestone" { print $3 }' "$rubric")
  title=$(sed -n 's/^title //p' "$rubric")
  weight=$(awk -v m="$M" '$1 == m { print $2 }' grading/rubrics/weights)
  files=$(grep -v '^[[:space:]]*$' "$stage/MANIFEST" | xargs -n 1 basename | paste -sd, - | sed 's/,/, /g')
  D=$OUT/$M
  rm -rf "$D"; mkdir -p "$D/autolab" "$D/github-classroom/.github/workflows" "$D/prairielearn"
  fill() { sed -e "s/@MILESTONE@/$M/g" -e "s/@MILESTONE_LC@/${M,,}/g" \
             -e "s/@POINTS@/${weight:-25}/g" "$@"; }
  # Gradescope zip: the kit at its root plus the two entry points.
  fill $E/gradescope/setup.sh > "$STAGE/pagelab/setup.sh"
  fill $E/gradescope/run_autograder > "$STAGE/pagelab/run_autograder"
  chmod +x "$STAGE/pagelab/setup.sh" "$STAGE/pagelab/run_autograder"
  (cd "$STAGE/pagelab" && zip -q -r "$D/pagelab-gradescope-$M.zip" .)
  rm -f "$STAGE/pagelab/setup.sh" "$STAGE/pagelab/run_autograder"
  # Autolab: the kit as autograde.tar (folder pagelab/) and the Makefile.
  tar -cf "$D/autolab/autograde.tar" -C "$STAGE" pagelab
  fill $E/autolab/autograde-Makefile > "$D/autolab/autograde-Makefile"
  # PrairieLearn: the example question for this milestone.
  cp -r $E/prairielearn/question "$D/prairielearn/"
  echo "$M" > "$D/prairielearn/question/tests/milestone"
  uuid=$(printf 'pagelab-%s' "$M" | md5sum \
    | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')
  sed -i -e "s/pagelab M1: [^\"]*/pagelab $M: $title/" -e "s/\"M1\"/\"$M\"/" \
    -e "s/\"uuid\": \"[^\"]*\"/\"uuid\": \"$uuid\"/" "$D/prairielearn/question/info.json"
  sed -i "s|file-names=\"[^\"]*\"|file-names=\"$files\"|" "$D/prairielearn/question/question.html"
  # GitHub Classroom: the workflow for this milestone's handout.
  fill $E/github-classroom/classroom.yml > "$D/github-classroom/.github/workflows/classroom.yml"
  echo "autograder $M: ${D#"$PWD/"}/{pagelab-gradescope-$M.zip,autolab/,prairielearn/question/,github-classroom/}"
done

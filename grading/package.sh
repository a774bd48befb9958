#!/usr/bin/env bash
# package.sh - 'make autograder [MILESTONE=M1]': the kit packaged for the
# engines that run autograders at scale, in build/autograder/:
#
#   pagelab-gradescope[-M1].zip   Gradescope: the kit at the zip's root
#       (unpacked into /autograder/source), setup.sh (packages + reference
#       build) and run_autograder (grades /autograder/submission into
#       /autograder/results/results.json);
#   autolab/autograde-Makefile, autolab/autograde.tar
#       Autolab: the Makefile unpacks the kit and runs make grade AUTOLAB=1
#       on the handin file; the score line comes last.
#
# MILESTONE selects the rubric(s) graded (empty: every milestone).
# Test run_autograder locally with AUTOGRADER_ROOT (see grading/README.md).
set -eu
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.."
OUT=${AUTOGRADER_OUT:-build/autograder}
M=${MILESTONE:-}
SUFFIX=${M:+-$M}
STAGE=$OUT/stage
rm -rf "$STAGE" "$OUT/autolab"
mkdir -p "$STAGE/pagelab" "$OUT/autolab"
rsync -a --exclude /build --exclude /.git ./ "$STAGE/pagelab/"
make -s print-deb-packages > "$STAGE/pagelab/grading/engines/deb-packages.txt"
# Gradescope zip: the kit at its root plus the two entry points.
cp grading/engines/setup.sh "$STAGE/pagelab/setup.sh"
sed "s/@MILESTONE@/$M/" grading/engines/run_autograder > "$STAGE/pagelab/run_autograder"
chmod +x "$STAGE/pagelab/setup.sh" "$STAGE/pagelab/run_autograder"
rm -f "$OUT/pagelab-gradescope$SUFFIX.zip"
(cd "$STAGE/pagelab" && zip -q -r "$OLDPWD/$OUT/pagelab-gradescope$SUFFIX.zip" .)
# Autolab: the kit as autograde.tar (folder pagelab/) and the Makefile.
tar -cf "$OUT/autolab/autograde.tar" -C "$STAGE" pagelab
sed "s/@MILESTONE@/$M/" grading/engines/autograde-Makefile > "$OUT/autolab/autograde-Makefile"
rm -rf "$STAGE"
echo "autograder: $OUT/pagelab-gradescope$SUFFIX.zip"
echo "autograder: $OUT/autolab/autograde-Makefile $OUT/autolab/autograde.tar"

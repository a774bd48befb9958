#!/usr/bin/env bash
# check_bugs.sh [STAGE|PATCH...] - 'make check-bugs': prove the kit's own tests
# catch every planted bug in grading/bugs/<stage>/NN-name.patch.
#
# A private copy of the kit (BUGS_TREE, default build/bugs-tree) gets each
# patch in turn (patch -p1), rebuilds only the test binaries the stage's
# rubric names (make is incremental: one object and a few links), runs
# them one after another until one fails, and takes the patch back out.
# A bug passes when the patch applies, the result builds and some suite
# fails.  A stage that is not in the kit yet is skipped.
#
# Ends with "N passed, M failed"; exit status 1 when a bug escaped, did
# not apply or did not build.
set -u
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/.." || exit 1
KIT=$(pwd)
. grading/bug_tree.sh
TREE=${BUGS_TREE:-build/bugs-tree}
LIMIT=${BUG_SUITE_TIMEOUT:-300}
JOBS=${JOBS:-2}
LOGS=$TREE/logs
pass=0 fail=0

# say VERDICT PATCH TEXT: one table line, counted.
say() {
  if [ "$1" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  printf '%-4s %-52s %s\n' "$1" "$2" "$3"
}

# rubric_binaries STAGE: the test binaries the stage's rubric names.
rubric_binaries() {
  local f
  f=$(grep -l -E "^milestone [^ ]+ $1\$" grading/rubrics/*.rubric | head -n 1)
  [ -n "$f" ] && awk '$1 == "binary" { print $3 }' "$f"
}

# first_failure LOG: the first check failure or error line, shortened.
first_failure() {
  grep -m 1 -E ':[FE]:' "$1" | cut -c 1-110
}

# try_bug STAGE PATCH: apply, build, run, revert; prints one table line.
try_bug() {
  local stage=$1 patch=$2 name bins b log caught=""
  name=$stage/$(basename "$patch" .patch)
  log=$LOGS/$(basename "$patch" .patch).log
  bins=$(rubric_binaries "$stage")
  if ! bugtree_apply "$TREE" "$patch" > "$log" 2>&1; then
    say FAIL "$name" "does not apply"; return
  fi
  if ! (cd "$TREE" && make -j"$JOBS" BUILD=build \
        $(for b in $bins; do echo "build/tests/$b"; done)) >> "$log" 2>&1; then
    say FAIL "$name" "does not build (see $log)"
  else
    for b in $bins; do
      if ! (cd /tmp && CK_FORK=yes timeout -k 5 "$LIMIT" \
            "$KIT/$TREE/build/tests/$b") >> "$log" 2>&1; then
        caught=$b; break
      fi
    done
    if [ -n "$caught" ]; then
      say ok "$name" "caught by $caught: $(first_failure "$log")"
    else
      say FAIL "$name" "escaped every suite of $stage"
    fi
  fi
  bugtree_revert "$TREE" "$patch"
}

bugtree_sync "$TREE"
mkdir -p "$LOGS"
stages=${*:-$(ls grading/bugs)}
for stage in $stages; do
  if [ -f "$stage" ]; then # one patch: grading/bugs/<stage>/NN-name.patch
    try_bug "$(basename "$(dirname "$stage")")" "$stage"; continue
  fi
  if [ ! -f "$stage/MANIFEST" ]; then
    echo "skip $stage: not in the kit yet"; continue
  fi
  for patch in grading/bugs/"$stage"/*.patch; do
    [ -f "$patch" ] && try_bug "$stage" "$patch"
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

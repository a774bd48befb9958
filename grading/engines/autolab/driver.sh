#!/usr/bin/env bash
# driver.sh HANDIN MILESTONE - one Autolab job: grade the handin file and
# print what Autolab shows the student, ending, whatever happens, with the
# one line Autolab reads:
#
#   {"scores": {"M1": 24.62}, "scoreboard": [24.62]}
#
# (M3: "scoreboard": [total, ratio of each performance item].)  Before it:
# the student's scorecard (results.json's "output": hidden items appear only
# as their number and worth, never the staff scorecard), and when grading
# could not run, the reason.  When the handin is missing, cannot be
# unpacked, is one bare file, or does not build, grade.sh still scores it
# (every item lost, the reason in the 'submission' and 'build' entries);
# when grade.sh itself dies or runs past AUTOLAB_TIMEOUT seconds (0: no
# limit), an EXIT trap prints zeros for every milestone.
#
# The kit: PAGELAB_KIT, else /opt/pagelab when the grader image's prebuilt
# kit is there (build/.built), else the kit this script belongs to.
set -u
HANDIN=${1:-handin.tar} M=${2:-}
HERE=$(cd "$(dirname "$0")/../../.." && pwd)
KIT=${PAGELAB_KIT:-}
if [ -z "$KIT" ]; then
  if [ -f /opt/pagelab/build/.built ]; then KIT=/opt/pagelab; else KIT=$HERE; fi
fi
case $HANDIN in /*) SUB=$HANDIN ;; *) SUB=$(pwd)/$HANDIN ;; esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/autolab.XXXXXX")
OUT=$WORK/out
LINE=""

# milestones: the graded milestone ids (all rubrics' when M is empty).
milestones() {
  local f
  for f in "$KIT"/grading/rubrics/M*.rubric; do
    [ -f "$f" ] && awk '$1 == "milestone" { print $2 }' "$f"
  done | { if [ -n "$M" ]; then grep -xF -f <(tr , '\n' <<< "$M"); else cat; fi; }
}

# zeros: the score line with 0 for every milestone and scoreboard column
# (the total, then one per performance item of the graded rubrics).
zeros() {
  local m s="" b="0" f
  for m in $(milestones); do
    s="$s${s:+, }\"$m\": 0"
    f=$(grep -l "^milestone $m " "$KIT"/grading/rubrics/*.rubric 2> /dev/null | head -n 1)
    [ -n "$f" ] || continue
    for _ in $(awk '$1 == "perf" { print $2 }' "$f"); do b="$b, 0"; done
  done
  [ -n "$s" ] || s="\"${M:-M1}\": 0"
  echo "{\"scores\": {$s}, \"scoreboard\": [$b]}"
}

finish() {
  if [ -z "$LINE" ]; then
    echo "autolab: grading did not finish${WHY:+: $WHY}; every item scores 0 (tell the course staff if this persists)"
    LINE=$(zeros)
  fi
  rm -rf "$WORK"
  echo "$LINE"   # always the last line
}
trap finish EXIT
trap 'WHY="stopped by a signal"; exit 1' INT TERM HUP

if [ ! -e "$SUB" ]; then
  echo "autolab: no handin file named $HANDIN was found: nothing to grade"
  LINE=$(zeros); exit 0
fi
# A bare file that is neither an archive nor named after a manifest file
# (Autolab names every handin $HANDIN): graded as such, with a hint.
if ! bsdtar -tf "$SUB" > /dev/null 2>&1 && [ -f "$SUB" ]; then
  echo "autolab: $HANDIN is not an archive (tar, tar.gz, zip): it is graded as one file named $HANDIN"
fi
limit=()
[ "${AUTOLAB_TIMEOUT:-0}" != 0 ] && limit=(timeout -k 10 "$AUTOLAB_TIMEOUT")
mkdir -p "$OUT"
SUBMISSION=$SUB MILESTONE=$M AUTOLAB=1 GRADE_EXIT_ZERO=1 GRADE_OUT=$OUT \
  "${limit[@]}" "$KIT/grading/grade.sh" > "$WORK/grade.log" 2>&1
rc=$?
[ $rc -eq 124 ] && WHY="it ran past the ${AUTOLAB_TIMEOUT} s limit"
[ $rc -ne 0 ] && [ -z "${WHY:-}" ] && WHY="grade.sh stopped with status $rc"
# the student's view: results.json's scorecard (never the staff one)
if [ -s "$OUT/results.json" ]; then
  jq -r '.output // empty' "$OUT/results.json" 2> /dev/null
fi
[ $rc -eq 0 ] || exit 0   # finish prints zeros with WHY
last=$(grep '^{"scores": ' "$WORK/grade.log" | tail -n 1)
if [ -n "$last" ]; then
  LINE=$last
  case $last in *'"scoreboard"'*) ;; *) # an older grader: the total then
    LINE=$(jq -c '. + {scoreboard: [.scores | add * 100 | round / 100]}' \
      <<< "$last" 2> /dev/null) || LINE=$last ;;
  esac
else
  WHY="the grader printed no score line"
fi
exit 0

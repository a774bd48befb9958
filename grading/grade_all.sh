#!/usr/bin/env bash
# grade_all.sh [options] DIR [MILESTONE] - grade every submission in DIR
# (each entry a folder, .tar, .tar.gz or .zip; names starting with '.'
# are skipped) with grading/grade.sh, several side by side.
#
#   -j, --jobs N      submissions graded at once (default: JOBS, else nproc)
#   -o, --out DIR     where results go (default: GRADE_ALL_OUT, else a new
#                     build/grade-all/<date-time>); it must not exist or be
#                     empty: a batch never overwrites an earlier one
#   -h, --help        this text
#   --                end of options (for a DIR starting with '-')
# MILESTONE (or the MILESTONE variable) selects the rubrics, as for make
# grade; REF_BUILD, GRADE_TIMEOUT_SCALE and GRADE_MEM_MB pass through.
#
# Each row is named by the entry's whole file or folder name (jane.doe.zip
# and jane.roe.zip are two rows).  Per submission NAME:
#   OUT/subs/NAME/       grade.sh's GRADE_OUT: results.json, scorecard.txt,
#                        build.log
#   OUT/subs/NAME.log    grade.sh's output
# and in all OUT/scores.csv (name,score,out_of,seconds,exit; RFC 4180
# quoting, rows sorted by name).  The kit (reference) is built once; each
# of the N workers has its own GRADE_TREE (OUT/trees/K), kept between the
# submissions it grades so only their files are recompiled.  A line per
# finished submission shows done/total, its score and the estimated time
# left.  Exit status: 0 when every submission was graded (whatever its
# score), 1 when grade.sh failed (exit 2 or more) for some, 2 on a usage
# error.
set -u
cd "$(dirname "$0")/.." || exit 2

usage() { sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "grade_all.sh: $*" >&2; exit 2; }

jobs=${JOBS:-$(nproc)}
out=${GRADE_ALL_OUT:-}
args=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -j|--jobs) [ $# -ge 2 ] || die "$1 needs a number"; jobs=$2; shift 2 ;;
    -o|--out) [ $# -ge 2 ] || die "$1 needs a folder"; out=$2; shift 2 ;;
    --) shift; args+=("$@"); break ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || { usage >&2; exit 2; }
DIR=${args[0]}
export MILESTONE=${args[1]:-${MILESTONE:-}}
[ -d "$DIR" ] || die "$DIR is not a folder"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "jobs must be a positive number, not '$jobs'"
out=${out:-build/grade-all/$(date +%Y%m%d-%H%M%S)}
[ -z "$(ls -A "$out" 2>/dev/null)" ] || die "$out is not empty: a batch never overwrites another"
mkdir -p "$out/subs" "$out/trees" || die "cannot create $out"
OUT=$(cd "$out" && pwd)
REF=${REF_BUILD:-build}
export REF_BUILD=$REF
# make -j for each grade.sh: the cores shared out among the workers
export JOBS=$(( $(nproc) / jobs > 0 ? $(nproc) / jobs : 1 ))

mapfile -d '' subs < <(find "$DIR" -mindepth 1 -maxdepth 1 ! -name '.*' \
                         -printf '%f\0' | sort -z)
total=${#subs[@]}
[ "$total" -gt 0 ] || die "$DIR holds no submission"

# grade_one SLOT NAME: grade DIR/NAME in worker SLOT's tree; writes
# OUT/subs/NAME.done: "exit seconds".
grade_one() {
  local t0 rc
  t0=$(date +%s.%N)
  SUBMISSION="$DIR/$2" GRADE_OUT="$OUT/subs/$2" GRADE_TREE="$OUT/trees/$1" \
    grading/grade.sh > "$OUT/subs/$2.log" 2>&1
  rc=$?
  awk -v r="$rc" -v a="$t0" -v b="$(date +%s.%N)" \
    'BEGIN { printf "%d %.1f\n", r, b - a }' > "$OUT/subs/$2.done"
}

# score_of NAME: "score out_of" of NAME's results.json (two decimals, the
# out_of being the sum of its max_score values), or "invalid".
score_of() {
  jq -r '[.score, ([.tests[].max_score * 100 | round] | add // 0) / 100]
         | map(. * 100 | round | tostring
               | if length < 3 then ("00" + .)[-3:] else . end
               | .[:-2] + "." + .[-2:]) | join(" ")' \
    "$OUT/subs/$1/results.json" 2>/dev/null || echo invalid
}

# csv_field TEXT: TEXT quoted as RFC 4180 says.
csv_field() { local q=${1//\"/\"\"}; printf '"%s"' "$q"; }

# progress NAME: one line for a finished submission, with time left.
progress() {
  local rc secs now
  read -r rc secs < "$OUT/subs/$1.done"
  done_n=$((done_n + 1))
  now=$(date +%s.%N)
  awk -v d="$done_n" -v t="$total" -v a="$start" -v b="$now" -v n="$1" \
      -v s="$(score_of "$1")" -v r="$rc" -v x="$secs" 'BEGIN {
    left = (t - d) * (b - a) / d
    sub(/ /, " / ", s)
    printf "[%d/%d] %s: %s (exit %d, %.1f s); %.0f s elapsed, about %.0f s left\n",
           d, t, n, s, r, x, b - a, left }'
}

echo "grade_all: building the kit (reference) in $REF"
make -s -k -j"$(nproc)" BUILD="$REF" all > "$OUT/ref-build.log" 2>&1 \
  || die "the kit did not build (see $OUT/ref-build.log)"
echo "grade_all: $total submissions, $jobs at a time, into $OUT"
start=$(date +%s.%N)
done_n=0
declare -A name_of slot_of
free=()
for ((k = 1; k <= jobs; k++)); do free+=("$k"); done
# reap: wait for one worker, report it, free its slot.
reap() {
  local pid
  wait -n -p pid
  progress "${name_of[$pid]}"
  free+=("${slot_of[$pid]}")
  unset "name_of[$pid]" "slot_of[$pid]"
}
for name in "${subs[@]}"; do
  [ ${#free[@]} -gt 0 ] || reap
  slot=${free[0]}; free=("${free[@]:1}")
  grade_one "$slot" "$name" &
  name_of[$!]=$name; slot_of[$!]=$slot
done
while [ ${#name_of[@]} -gt 0 ]; do reap; done

failed=0
{
  echo "name,score,out_of,seconds,exit"
  for name in "${subs[@]}"; do
    read -r rc secs < "$OUT/subs/$name.done"
    [ "$rc" -ge 2 ] && failed=$((failed + 1))
    read -r s o <<< "$(score_of "$name")"
    printf '%s,%s,%s,%s,%s\n' "$(csv_field "$name")" "$s" "${o:-}" "$secs" "$rc"
  done
} > "$OUT/scores.csv"
awk -v a="$start" -v b="$(date +%s.%N)" -v n="$total" -v j="$jobs" \
  'BEGIN { printf "graded %d submissions in %.1f s (%d at a time)\n", n, b - a, j }'
echo "scores: $OUT/scores.csv ($failed could not be graded)"
[ "$failed" -eq 0 ]

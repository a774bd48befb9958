#!/usr/bin/env bash
# grade_all.sh DIR [MILESTONE] - grade every submission in DIR (each a
# folder, .tar, .tar.gz or .zip) one after another with grading/grade.sh.
# Per submission: build/grade-all/<name>/{results.json,scorecard.txt,...};
# in all: build/grade-all/scores.csv (name,score,out_of,seconds) and the
# total wall time.  The kit (reference) is built once; each submission
# reuses one private tree, so only its own files are recompiled.
set -u
cd "$(dirname "$0")/.." || exit 1
DIR=${1:?usage: grading/grade_all.sh DIR [MILESTONE]}
export MILESTONE=${2:-${MILESTONE:-}}
OUT=${GRADE_ALL_OUT:-build/grade-all}
mkdir -p "$OUT"
echo "name,score,out_of,seconds" > "$OUT/scores.csv"
start=$(date +%s.%N)
for sub in "$DIR"/*; do
  name=$(basename "$sub"); name=${name%%.*}
  t0=$(date +%s.%N)
  SUBMISSION="$sub" GRADE_OUT="$OUT/$name" GRADE_TREE="$OUT/tree" \
    grading/grade.sh > "$OUT/$name.log" 2>&1
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  line=$(jq -r --arg n "$name" --arg t "$secs" \
    '"\($n),\(.score),\([.tests[].max_score] | add * 10000 | round / 10000),\($t)"' \
    "$OUT/$name/results.json" 2>/dev/null || echo "$name,invalid,,$secs")
  echo "$line" | tee -a "$OUT/scores.csv"
done
awk -v a="$start" -v b="$(date +%s.%N)" -v n="$(($(wc -l < "$OUT/scores.csv") - 1))" \
  'BEGIN { printf "graded %d submissions in %.1f s\n", n, b - a }'

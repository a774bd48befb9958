#!/usr/bin/env bash
# measure.sh [VMSIM] - the numbers in README.md, measured side by side in
# one run: each configuration is run ROUNDS times (default 5), rounds
# interleaved so background load hits every configuration alike, and the
# median accesses/s (and hit rate) is printed.  Build first:
#   make RELEASE=1 BUILD=build/release build/release/vmsim
#   phase3-optimized/measure.sh build/release/vmsim
set -u
vmsim=${1:-build/release/vmsim}
rounds=${ROUNDS:-5}
accesses=${ACCESSES:-200000}
[ -x "$vmsim" ] || { echo "measure.sh: $vmsim is not built" >&2; exit 2; }

# The configurations: a label, then vmsim arguments.
configs=(
  "phase2-soft-uniform-t2|--stage phase2 --mmu soft --threads 2 --pattern uniform"
  "phase3-soft-uniform-t2|--stage phase3 --mmu soft --threads 2 --pattern uniform --options all"
  "phase3-soft-uniform-t1|--stage phase3 --mmu soft --threads 1 --pattern uniform --options all"
  "phase2-soft-hotcold-t1|--stage phase2 --mmu soft --threads 1 --pattern hotcold"
  "phase3-soft-hotcold-t1|--stage phase3 --mmu soft --threads 1 --pattern hotcold --options all"
  "phase3-soft-hotcold-noaging|--stage phase3 --mmu soft --threads 1 --pattern hotcold --options batch_trim,batch_write,frame_cache,spin_locks,lockfree_fast,read_ahead,multi_writer"
  "phase3-soft-walk-t1|--stage phase3 --mmu soft --threads 1 --pattern walk --options all"
  "phase3-soft-walk-noreadahead|--stage phase3 --mmu soft --threads 1 --pattern walk --options batch_trim,batch_write,frame_cache,spin_locks,lockfree_fast,aging,multi_writer"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < rounds; r++)); do
  for c in "${configs[@]}"; do
    label=${c%%|*}; args=${c#*|}
    # shellcheck disable=SC2086
    j=$("$vmsim" --json --seed $((7 + r)) --accesses "$accesses" $args 2>/dev/null)
    rc=$?
    aps=$(sed -nE 's/.*"accesses_per_second": *([0-9.eE+-]+).*/\1/p' <<<"$j" | head -n 1)
    hit=$(sed -nE 's/.*"hit_rate": *([0-9.eE+-]+).*/\1/p' <<<"$j" | head -n 1)
    [ $rc -eq 0 ] || aps=FAIL
    echo "$aps ${hit:-0}" >>"$tmp/$label"
  done
done
printf '%-30s %14s %9s  %s\n' configuration "accesses/s" "hit rate" "runs"
for c in "${configs[@]}"; do
  label=${c%%|*}
  if grep -q FAIL "$tmp/$label"; then
    printf '%-30s %14s %9s  %s\n' "$label" FAIL - "$(grep -c FAIL "$tmp/$label") of $rounds failed"
    continue
  fi
  sort -g "$tmp/$label" | awk -v l="$label" -v n="$rounds" \
    '{a[NR]=$1; h[NR]=$2} END {m=int((NR+1)/2); printf "%-30s %14.0f %9.4f  %d\n", l, a[m], h[m], n}'
done

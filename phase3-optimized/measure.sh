#!/usr/bin/env bash
# measure.sh [VMSIM] - the numbers in README.md, measured side by side in
# one run: each configuration is run ROUNDS times (default 5), rounds
# interleaved so background load hits every configuration alike, and the
# median run (by accesses/s) is printed with its hit rate and its read,
# write and unmap calls.  ABLATION=0 skips the option-by-option runs.
# Threads draw their accesses from one pool (--shares pooled, as make
# bench runs them); "fixed" marks the one run with a fixed share each.
# Build first:
#   make RELEASE=1 BUILD=build/release build/release/vmsim
#   phase3-optimized/measure.sh build/release/vmsim
set -u
vmsim=${1:-build/release/vmsim}
rounds=${ROUNDS:-5}
accesses=${ACCESSES:-200000}
[ -x "$vmsim" ] || { echo "measure.sh: $vmsim is not built" >&2; exit 2; }

# The configurations: a label, then vmsim arguments.  Every option name,
# comma-separated, as vmsim lists them ("options: all none NAME...").
all=$("$vmsim" --help | sed -n 's/^options: all none //p' | tr ' ' ',')
[ -n "$all" ] || { echo "measure.sh: $vmsim lists no options" >&2; exit 2; }
# without NAME: every option but NAME
without() { sed -E "s/(^|,)$1(,|$)/\1/; s/,,/,/; s/,$//" <<<"$all"; }
configs=(
  "phase2 uniform 2t|--stage phase2 --mmu soft --threads 2 --pattern uniform"
  "phase3 uniform 2t|--stage phase3 --mmu soft --threads 2 --pattern uniform --options all"
  "phase3 uniform 1t|--stage phase3 --mmu soft --threads 1 --pattern uniform --options all"
  "phase3 uniform 2t fixed|--stage phase3 --mmu soft --threads 2 --pattern uniform --options all --shares fixed"
  "phase2 hotcold 12%|--stage phase2 --mmu soft --threads 1 --pattern hotcold --phys 12%"
  "phase3 hotcold 12%|--stage phase3 --mmu soft --threads 1 --pattern hotcold --phys 12% --options all"
  "phase3 hotcold 12% -aging|--stage phase3 --mmu soft --threads 1 --pattern hotcold --phys 12% --options $(without aging)"
  "phase2 hotcold 5%|--stage phase2 --mmu soft --threads 1 --pattern hotcold --phys 5%"
  "phase3 hotcold 5%|--stage phase3 --mmu soft --threads 1 --pattern hotcold --phys 5% --options all"
  "phase3 hotcold 5% -aging|--stage phase3 --mmu soft --threads 1 --pattern hotcold --phys 5% --options $(without aging)"
  "phase2 phases 5%|--stage phase2 --mmu soft --threads 1 --pattern phases --phys 5%"
  "phase3 phases 5%|--stage phase3 --mmu soft --threads 1 --pattern phases --phys 5% --options all"
  "phase3 phases 5% -aging|--stage phase3 --mmu soft --threads 1 --pattern phases --phys 5% --options $(without aging)"
  "phase3 walk 1M|--stage phase3 --mmu soft --threads 1 --pattern walk --va 1M --phys 10% --accesses 6000000 --options all"
  "phase3 walk 1M -read_ahead|--stage phase3 --mmu soft --threads 1 --pattern walk --va 1M --phys 10% --accesses 6000000 --options $(without read_ahead)"
)
if [ "${ABLATION:-1}" = 1 ]; then
  for o in ${all//,/ }; do
    configs+=("phase3 uniform 2t -$o|--stage phase3 --mmu soft --threads 2 --pattern uniform --options $(without "$o")")
  done
  configs+=("phase3 uniform 2t none|--stage phase3 --mmu soft --threads 2 --pattern uniform --options none")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 0; r < rounds; r++)); do
  for c in "${configs[@]}"; do
    label=${c%%|*}; args=${c#*|}
    # shellcheck disable=SC2086
    j=$("$vmsim" --json --seed $((7 + r)) --accesses "$accesses" --shares pooled $args 2>/dev/null)
    rc=$?
    num() { sed -nE "s/.*\"$1\": *([0-9.eE+-]+).*/\1/p" <<<"$j" | head -n 1; }
    aps=$(num accesses_per_second)
    [ $rc -eq 0 ] || aps=FAIL
    echo "$aps $(num hit_rate) $(num read_calls) $(num write_calls) $(num unmap_calls)" >>"$tmp/$label"
  done
done
printf '%-34s %12s %8s %9s %9s %9s\n' configuration "accesses/s" "hit" "reads" "writes" "unmaps"
for c in "${configs[@]}"; do
  label=${c%%|*}
  failed=$(grep -c FAIL "$tmp/$label")
  if [ "$failed" -eq "$rounds" ]; then
    printf '%-34s %12s  (all %s runs failed)\n' "$label" FAIL "$rounds"
    continue
  fi
  [ "$failed" -gt 0 ] && note=" ($failed of $rounds runs failed)" || note=""
  grep -v FAIL "$tmp/$label" >"$tmp/$label.ok"
  # the median run by accesses/s, with its counts
  sort -g "$tmp/$label.ok" | awk -v l="$label" -v note="$note" \
    '{r[NR]=$0} END {split(r[int((NR+1)/2)], f, " ");
      printf "%-34s %12.0f %7.2f%% %9d %9d %9d%s\n", l, f[1], 100*f[2], f[3], f[4], f[5], note}'
done
echo "(median of $rounds interleaved runs, $accesses accesses each, soft MMU; reads/writes/unmaps: I/O and unmap calls)"

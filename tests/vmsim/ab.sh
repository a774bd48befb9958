#!/usr/bin/env bash
# ab.sh OLD_VMSIM NEW_VMSIM - is the new code slower?  Both vmsim builds
# run the same configurations side by side in one run: every stage x MMU
# (hw, soft) x user threads (1, 2), uniform pattern (phase3 with every
# option on), rounds interleaved (old, new, old, new, ...) so background
# load hits both alike.  Prints each configuration's median accesses/s for
# old and new and their ratio new/old (1.00: the same speed).
#
#   make RELEASE=1 BUILD=build/release build/release/vmsim    (in each tree)
#   tests/vmsim/ab.sh OLD/build/release/vmsim build/release/vmsim
#
# ROUNDS (default 7) runs of each; ACCESSES (default 200000) per run;
# ONLY, an extended regular expression, keeps the configurations whose
# label ("phase3 soft 2t") it matches.
# Output of a run is captured whole before it is parsed, so no parser
# competes with the run for a core.
set -u
case ${1:-} in
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
[ $# -eq 2 ] || { echo "usage: tests/vmsim/ab.sh OLD_VMSIM NEW_VMSIM" >&2; exit 2; }
old=$1 new=$2
for b in "$old" "$new"; do
  [ -x "$b" ] || { echo "ab.sh: $b is not built" >&2; exit 2; }
done
rounds=${ROUNDS:-7}
accesses=${ACCESSES:-200000}
configs=()
for stage in phase1 phase2 phase3; do
  for mmu in hw soft; do
    for t in 1 2; do
      [ $stage = phase1 ] && [ $t = 2 ] && continue
      [ -n "${ONLY:-}" ] && ! grep -Eq "$ONLY" <<<"$stage $mmu ${t}t" && continue
      opts=""; [ $stage = phase3 ] && opts="--options all"
      configs+=("$stage $mmu ${t}t|--stage $stage --mmu $mmu --threads $t --pattern uniform $opts")
    done
  done
done

out=$(mktemp -d "${TMPDIR:-/tmp}/pagelab-ab.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
# rate VMSIM ARGS...: one run's accesses/s, or FAIL.
rate() {
  local bin=$1 j; shift
  j=$("$bin" --json --accesses "$accesses" --shares pooled "$@" 2>/dev/null) ||
    { echo FAIL; return; }
  sed -nE 's/.*"accesses_per_second": *([0-9.eE+-]+).*/\1/p' <<<"$j" | head -n 1
}
for ((r = 0; r < rounds; r++)); do
  for c in "${configs[@]}"; do
    label=${c%%|*}; args=${c#*|}
    for side in old new; do
      bin=$old; [ $side = new ] && bin=$new
      # shellcheck disable=SC2086
      rate "$bin" --seed $((11 + r)) $args >>"$out/$label.$side"
    done
  done
done

# median FILE: the median of the numbers in FILE ("FAIL" if any failed).
median() {
  grep -q FAIL "$1" && { echo FAIL; return; }
  sort -g "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
printf '%-16s %14s %14s %8s\n' configuration "old acc/s" "new acc/s" new/old
status=0
for c in "${configs[@]}"; do
  label=${c%%|*}
  mo=$(median "$out/$label.old"); mn=$(median "$out/$label.new")
  if [ "$mo" = FAIL ] || [ "$mn" = FAIL ]; then
    printf '%-16s %14s %14s %8s\n' "$label" "$mo" "$mn" "-"; status=1; continue
  fi
  awk -v l="$label" -v o="$mo" -v n="$mn" \
    'BEGIN {printf "%-16s %14.0f %14.0f %8.2f\n", l, o, n, n / o}'
done
echo "(median of $rounds interleaved rounds, $accesses accesses each, uniform pattern, --shares pooled)"
exit $status

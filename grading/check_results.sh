#!/usr/bin/env bash
# check_results.sh [--weight W] RESULTS.json... - prove results.json files
# are what Gradescope reads and what the kit promises.
#
# Each file must
#   1. validate against grading/gradescope-results.schema.json with
#      Debian's validator (/usr/bin/jsonschema, package python3-jsonschema);
#   2. write every score and max_score in whole hundredths (at most two
#      decimals: jq prints a number's shortest round-trip form);
#   3. have, in hundredths (integers, so exactly), a top-level score equal
#      to the sum of its tests' scores, and no test scoring above its
#      max_score;
#   4. with --weight W: have max_score values adding up to exactly W.
# Prints "ok FILE (score S of M)" or "FAIL FILE: why" per file; exit
# status 0 when every file passed, 1 otherwise, 2 on a usage error.
set -u
cd "$(dirname "$0")/.." || exit 2
SCHEMA=grading/gradescope-results.schema.json
VALIDATOR=${JSONSCHEMA:-/usr/bin/jsonschema}

usage() { sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

weight=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --weight) [ $# -ge 2 ] || { usage >&2; exit 2; }; weight=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "check_results.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { usage >&2; exit 2; }
[ -x "$VALIDATOR" ] || { echo "check_results.sh: no $VALIDATOR (apt-get install python3-jsonschema)" >&2; exit 2; }
# The validator's CLI: 'jsonschema -i INSTANCE SCHEMA' is the same in
# python3-jsonschema 3.2 (Ubuntu 22.04) and 4.x (Debian 12), both of which
# know the schema's draft-07.  Older (or a validator that does not run):
# schema validation is skipped, with a message, and rules 2-4 still hold.
schema_ok=1
jsv=$("$VALIDATOR" --version 2> /dev/null | grep -oE '[0-9]+' | head -n 1)
if [ -z "$jsv" ]; then
  jsv=$(head -n 1 "$VALIDATOR" | sed -n 's/^#! *//p' | awk '{ print $1 }')
  jsv=$("${jsv:-python3}" -c 'import jsonschema; print(jsonschema.__version__)' 2> /dev/null | cut -d. -f1)
fi
if [ -z "$jsv" ] || [ "$jsv" -lt 3 ]; then
  schema_ok=0
  echo "check_results.sh: $VALIDATOR is too old or does not run (version ${jsv:-unknown}; 3.2 or later needed): schema validation skipped" >&2
fi

# exactness FILE [WEIGHT]: empty when rules 2-4 hold, else why.
exactness() {
  jq -r --arg w "${2:-}" '
    def cents: . * 100 | round;
    def two: tostring | test("^-?[0-9]+([.][0-9]{1,2})?$");
    ([.score, ((.tests // [])[] | .score, .max_score)]
      | map(select(. != null))) as $all
    | (.tests // []) as $t
    | ([$t[].score // 0 | cents] | add // 0) as $sum
    | ([$t[].max_score // 0 | cents] | add // 0) as $max
    | if ($all | map(two) | all | not) then
        "a number with more than two decimals: \($all | map(select(two | not)) | .[0])"
      elif .score != null and (.score | cents) != $sum then
        "score \(.score) is not the sum of the tests'"'"' scores (\($sum / 100))"
      elif ($t | map(select((.score // 0) > (.max_score // 1e9))) | length) > 0 then
        "a test scores above its max_score"
      elif $w != "" and ($w | tonumber | cents) != $max then
        "max_score values add up to \($max / 100), not \($w)"
      else empty end' "$1"
}

fail=0
for f in "$@"; do
  why=""
  [ $schema_ok -eq 0 ] || why=$("$VALIDATOR" -i "$f" "$SCHEMA" 2>&1) || why="schema: ${why:-invalid}"
  [ -z "$why" ] && why=$(exactness "$f" "$weight" 2>&1)
  if [ -z "$why" ]; then
    echo "ok   $f (score $(jq -r '.score // "-"' "$f") of $(jq '[(.tests // [])[].max_score // 0] | add // 0 | . * 100 | round / 100' "$f"))"
  else
    fail=1; echo "FAIL $f: $(head -c 600 <<< "$why")"
  fi
done
exit $fail

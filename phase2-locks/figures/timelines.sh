#!/usr/bin/env bash
# timelines.sh - draw the four race timelines of phase2-locks/README.md as
# SVG (plain printf, no dependency).  Run from anywhere:
#   phase2-locks/figures/timelines.sh
# Each figure has two lanes (threads); time runs downward; a shaded box
# holds locks, a dashed box waits, a red box is the moment the race is
# decided.
set -eu
cd "$(dirname "$0")"

W=720
LANE_X=(40 380)   # left edge of each lane's boxes
BOX_W=300
ROW_H=46

# legend INDEX FILL STROKE LABEL EXTRA: one key of the legend, top right
legend() {
  local x=$((420 + $1 * 72))
  printf '<rect x="%d" y="30" width="12" height="10" fill="%s" stroke="%s"%s/>\n' "$x" "$2" "$3" "$5"
  printf '<text x="%d" y="39" font-size="10">%s</text>\n' $((x + 15)) "$4"
}

# header TITLE LANE0 LANE1 ROWS
header() {
  local h=$((90 + $4 * ROW_H + 20))
  printf '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">\n' "$W" "$h"
  printf '<rect width="100%%" height="100%%" fill="white"/>\n'
  printf '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>\n' 20 "$1"
  legend 0 "#dbe9f6" "#3a6ea5" "holds locks" ""
  legend 1 "#f4f4f4" "#888" "no lock" ""
  legend 2 "#fff8dc" "#b8860b" "waits" ' stroke-dasharray="5 3"'
  legend 3 "#fde2e2" "#c0392b" "race decided" ""
  for i in 0 1; do
    local lx=${LANE_X[$i]} name
    if [ "$i" = 0 ]; then name=$2; else name=$3; fi
    printf '<text x="%d" y="52" font-weight="bold">%s</text>\n' "$lx" "$name"
    printf '<line x1="%d" y1="60" x2="%d" y2="%d" stroke="#999" stroke-dasharray="4 3"/>\n' \
      $((lx + BOX_W / 2)) $((lx + BOX_W / 2)) $((h - 10))
  done
  printf '<text x="%d" y="%d" fill="#666">time</text>\n' $((W - 50)) $((h - 14))
}

# box LANE ROW STYLE LINE1 [LINE2]   STYLE: lock | free | wait | race
box() {
  local x=${LANE_X[$1]} y=$((70 + $2 * ROW_H)) fill stroke dash=""
  case $3 in
    lock) fill="#dbe9f6"; stroke="#3a6ea5" ;;
    free) fill="#f4f4f4"; stroke="#888" ;;
    wait) fill="#fff8dc"; stroke="#b8860b"; dash=' stroke-dasharray="5 3"' ;;
    race) fill="#fde2e2"; stroke="#c0392b" ;;
  esac
  printf '<rect x="%d" y="%d" width="%d" height="%d" rx="5" fill="%s" stroke="%s"%s/>\n' \
    "$x" "$y" "$BOX_W" $((ROW_H - 8)) "$fill" "$stroke" "$dash"
  printf '<text x="%d" y="%d">%s</text>\n' $((x + 8)) $((y + 16)) "$4"
  if [ $# -ge 5 ]; then
    printf '<text x="%d" y="%d" fill="#333">%s</text>\n' $((x + 8)) $((y + 31)) "$5"
  fi
}

footer() { printf '</svg>\n'; }

{
  header "Race 1: two threads fault the same page" "thread A" "thread B" 6
  box 0 0 lock "lock region(v): PTE is ZERO" "unlock: a frame is needed"
  box 1 1 lock "lock region(v): PTE is ZERO" "unlock: a frame is needed"
  box 0 2 free "claim frame f1 (free list)" "no lock held [hook FRAME_CLAIMED]"
  box 1 2 free "claim frame f2 (free list)" "no lock held"
  box 0 3 lock "lock region(v), re-read PTE: ZERO" "zero f1, map, PTE = VALID(f1)"
  box 1 4 race "lock region(v), re-read PTE: VALID" "nothing to do: spurious fault"
  box 1 5 free "give f2 back to the free list" "the access retries and succeeds"
  footer
} > race_same_page.svg

{
  header "Race 2: a page rescued while the writer writes it" "modified-page writer" "user thread" 7
  box 0 0 lock "lock frame f: MODIFIED, no flags" "take slot s (kept in a local), unlist f"
  box 0 1 lock "f.flags = WRITING; unlock f" "[hook WRITE_IN_FLIGHT]"
  box 1 2 race "read fault: lock region(v), lock f" "WRITING: set REWRITE, state ACTIVE"
  box 1 3 lock "map read-only, PTE = VALID(f, dirty)" "f stays off every list; unlock"
  box 0 4 free "pwrite(f -> slot s), no lock held" "(nobody can write f: not writable)"
  box 1 4 wait "a WRITE fault here would wait" "on write_done_cv until the write ends"
  box 0 5 race "lock f: clear WRITING; REWRITE set" "so the copy in s is stale"
  box 0 6 lock "free slot s; link f on ACTIVE" "(not STANDBY); unlock f"
  footer
} > race_rescue_during_write.svg

{
  header "Race 3: a standby page repurposed while its owner faults" "thread B (needs a frame)" "thread A (owns page v)" 6
  box 0 0 lock "lock standby list: head is frame f" "snapshot (f, owner v); unlock list"
  box 0 1 free "no lock held" "[hook REPURPOSE_SNAPSHOT]"
  box 1 1 lock "fault on v: lock region(v), lock f" "PTE TRANSITION(f): rescue f from standby"
  box 1 2 lock "map f, PTE = VALID(f); f ACTIVE" "unlock f, unlock region(v)"
  box 0 3 race "lock region(v), lock f, VERIFY:" "f ACTIVE, PTE VALID: snapshot is stale"
  box 0 4 free "unlock; snapshot the next standby" "frame g and repurpose that one"
  box 1 5 free "(B first instead: PTE(v) = DISK(slot)," "A re-reads it as DISK and reads slot)"
  footer
} > race_repurpose.svg

{
  header "Race 4: the trimmer unmaps a page being written" "trimmer" "user thread" 7
  box 0 0 lock "lock region(v), lock f" "VALID, not accessed: trim it"
  box 0 1 lock "PTE(v) = TRANSITION(f)" "[hook TRIM_BEFORE_UNMAP]"
  box 1 2 race "store through the OLD translation" "lands in f (page writable, so dirty)"
  box 0 3 lock "machine_unmap(v): the shootdown" "returns when no old translation is left"
  box 1 4 wait "next store faults: wait for region(v)" ""
  box 0 5 lock "dirty: link f on MODIFIED" "unlock f, unlock region(v)"
  box 1 6 lock "rescue f from modified, map it" "the store retries: no write lost"
  footer
} > race_trim_vs_store.svg

#!/usr/bin/env bash
# at_limits.sh [--cpu FRACTION] [--mem-mb N] -- CMD...: run CMD with the
# CPU and memory a grading platform gives a job (default: Gradescope's
# 0.5 vCPU and 768 MiB), to measure grading times there before uploading:
#
#   grading/at_limits.sh -- env SUBMISSION=dir MILESTONE=M1 grading/grade.sh
#
# It puts itself in a cgroup v1 'cpu' group with a CFS quota (FRACTION x
# 100 ms per 100 ms) and a 'memory' group with that limit, runs CMD, and
# removes both.  Needs root and cgroup v1 cpu and memory hierarchies (as on
# this kit's development machines); elsewhere use the platform's own
# limits, e.g. systemd-run --scope -p CPUQuota=50% -p MemoryMax=768M.
set -u
CPU=0.5 MEM=768
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    --cpu) CPU=$2; shift 2 ;;
    --mem-mb) MEM=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "at_limits.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "at_limits.sh: no command (see --help)" >&2; exit 2; }
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
mem=/sys/fs/cgroup/memory$own/pagelab-limits-$$
cpu=/sys/fs/cgroup/cpu/pagelab-limits-$$
if ! mkdir -p "$mem" "$cpu" 2> /dev/null; then
  echo "at_limits.sh: cannot make cgroup v1 groups here (root and cgroup v1 needed)" >&2; exit 2
fi
echo 100000 > "$cpu/cpu.cfs_period_us"
awk -v f="$CPU" 'BEGIN { printf "%d\n", f * 100000 }' > "$cpu/cpu.cfs_quota_us"
echo $((MEM * 1024 * 1024)) > "$mem/memory.limit_in_bytes"
echo $$ > "$mem/cgroup.procs"; echo $$ > "$cpu/cgroup.procs"
"$@"; rc=$?
echo $$ > /sys/fs/cgroup/cpu/cgroup.procs; echo $$ > "/sys/fs/cgroup/memory$own/cgroup.procs"
rmdir "$cpu" "$mem" 2> /dev/null
exit $rc

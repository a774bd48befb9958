#!/usr/bin/env bash
# test.sh [TAR] - grade inside the grader image without Docker, through
# every engine's own entry point, and time it.
#
# Unpacks build/image/pagelab-grader.tar into build/image/root and runs
# each grading chrooted into it (a mount namespace of its own with /proc,
# /dev and /sys bound in, the environment emptied) inside a cgroup v1 CPU
# quota and memory limit.  For each submission kind, "reference" (the
# stage's MANIFEST files of the kit, solved: 'unifdef -DSOLUTION', as a
# student hands them in) and "broken" (the same with the first file
# replaced by one that does not compile: every item lost, score 0):
#
#   gradescope  grading/engines/gradescope/run_autograder at
#               /autograder/run_autograder, submission in
#               /autograder/submission, read back from
#               /autograder/results/results.json; every milestone, at
#               Gradescope's default 0.5 CPU and 768 MiB
#   autolab     grading/engines/autolab/driver.sh on handin.tar in a job
#               folder (its last line: scores and scoreboard); M1, at 1 CPU
#               as Autolab's Tango gives a job by default
#   prairielearn grading/engines/prairielearn/run.sh with /grade/student,
#               /grade/tests/milestone and /grade/results/results.json; M1,
#               at 0.5 CPU
#   classroom   the handout's 'make grade' (what the GitHub Classroom
#               workflow runs), in a student's copy of 'make handout
#               MILESTONE=M1': exit status 0 only at full marks (scored
#               here as 0, any other status as 1); at 0.5 CPU
#
# One line per run: "image: ENGINE MILESTONE SUBMISSION score S (expected
# E) in T s", then "N passed, M failed".  A run passes when its score is
# the expected one: the milestone's weight (or 1 for PrairieLearn, whose
# score is a fraction; exit status 0 for Classroom) for the reference, 0
# (a non-zero exit status) for the broken one.  Exit status 1 when any failed.
#
# Environment: IMAGE_MILESTONES (M1 M2 M3 M4: the Gradescope runs),
# IMAGE_ENGINES (gradescope autolab prairielearn classroom), IMAGE_MEM_MB
# (768).  Needs root and cgroup v1 cpu and memory hierarchies.
set -u
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/../.."
KIT=$(pwd)
TAR=${1:-build/image/pagelab-grader.tar}
R=$KIT/build/image/root
MEM=${IMAGE_MEM_MB:-768}
MILESTONES=${IMAGE_MILESTONES:-M1 M2 M3 M4}
ENGINES=${IMAGE_ENGINES:-gradescope autolab prairielearn classroom}
[ -f "$TAR" ] || { echo "image: no $TAR (make image first)" >&2; exit 2; }
rm -rf "$R"; mkdir -p "$R"
tar -xf "$TAR" -C "$R" || exit 2
ls -l "$TAR" | awk '{ printf "image: tarball %.0f MiB\n", $5 / 1048576 }'
du -sm "$R" | awk '{ print "image: unpacked " $1 " MiB" }'
pass=0 fail=0

# The cgroups: one memory and one cpu group for every run, their limits
# set by limits() before each.
cg=pagelab-image-$$
mcg=/sys/fs/cgroup/memory$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)/$cg
ccg=/sys/fs/cgroup/cpu/$cg
mkdir -p "$mcg" "$ccg" 2> /dev/null \
  || { echo "image: cannot make cgroup v1 groups (root and cgroup v1 needed)" >&2; exit 2; }
trap 'rmdir "$mcg" "$ccg" 2> /dev/null' EXIT
echo $((MEM * 1024 * 1024)) > "$mcg/memory.limit_in_bytes"
echo 100000 > "$ccg/cpu.cfs_period_us"

# limits CPU: the CPU quota (a fraction of one CPU) for the next runs.
limits() { awk -v c="$1" 'BEGIN { printf "%d\n", c * 100000 }' > "$ccg/cpu.cfs_quota_us"; CPU=$1; }

# inside CMD...: run CMD chrooted in the image, in the cgroups.
inside() {
  (echo $BASHPID > "$mcg/tasks"; echo $BASHPID > "$ccg/tasks"
   exec unshare -m bash -c '
     R=$1; shift
     mount --rbind /dev "$R/dev"; mount -t proc proc "$R/proc"; mount --rbind /sys "$R/sys"
     exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"' _ "$R" "$@")
}

# run ENGINE M KIND EXPECTED READ CMD...: time CMD inside the image, then
# the score is the output of the shell snippet READ (run in the image too,
# last line); print the line and count it.
run() {
  local e=$1 m=$2 k=$3 want=$4 read=$5 t0 t score log
  shift 5
  log=$R/tmp/$e-$m-$k.log
  t0=$(date +%s.%N)
  inside "$@" > "$log" 2>&1
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  score=$(inside bash -c "$read" 2> /dev/null | tail -n 1)
  if awk -v s="$score" -v w="$want" 'BEGIN { exit !(s != "" && s + 0 == w + 0) }'; then
    pass=$((pass + 1)); verdict=ok
  else
    fail=$((fail + 1)); verdict="FAIL (log build/image/root/tmp/${log##*/tmp/})"
  fi
  printf 'image: %-12s %s %-9s score %-6s (expected %s) in %4s s at %s CPU, %s MiB  %s\n' \
    "$e" "$m" "$k" "${score:-none}" "$want" "$t" "$CPU" "$MEM" "$verdict"
}

# stage_of M: from the milestone's rubric; weight_of M: from the weights.
stage_of() { awk '$1 == "milestone" { print $3 }' "grading/rubrics/$1.rubric"; }
weight_of() { awk -v m="$1" '$1 == m { print $2 }' grading/rubrics/weights; }

# submissions M: $R/tmp/sub/M/{reference,broken}: the stage's graded
# files as a student who solved the milestone hands them in (the
# reference's SOLUTION regions kept, the markers gone: unifdef).
submissions() {
  local s first f
  s=$(stage_of "$1")
  rm -rf "$R/tmp/sub/$1"; mkdir -p "$R/tmp/sub/$1/reference" "$R/tmp/sub/$1/broken"
  first=$(head -n 1 "$s/MANIFEST")
  while read -r f; do
    [ -n "$f" ] || continue
    unifdef -DSOLUTION -x2 "$f" > "$R/tmp/sub/$1/reference/${f##*/}" || exit 2
    cp "$R/tmp/sub/$1/reference/${f##*/}" "$R/tmp/sub/$1/broken/"
  done < "$s/MANIFEST"
  printf 'int this does not compile;\n' > "$R/tmp/sub/$1/broken/${first##*/}"
}

# --- Gradescope: the real run_autograder, the kit found at /opt/pagelab.
if [[ " $ENGINES " == *" gradescope "* ]]; then
  limits 0.5
  mkdir -p "$R/autograder"
  cp grading/engines/gradescope/run_autograder "$R/autograder/run_autograder"
  for m in $MILESTONES; do
    submissions "$m"
    for k in reference broken; do
      want=0; [ $k = reference ] && want=$(weight_of "$m")
      rm -rf "$R/autograder/submission" "$R/autograder/results"
      cp -r "$R/tmp/sub/$m/$k" "$R/autograder/submission"
      run gradescope "$m" "$k" "$want" 'jq -r .score /autograder/results/results.json' \
        env MILESTONE="$m" bash /autograder/run_autograder
      cp "$R/autograder/results/results.json" "$R/tmp/gradescope-$m-$k.json" 2> /dev/null
    done
  done
fi

# --- Autolab: the driver on handin.tar, at 1 CPU.
if [[ " $ENGINES " == *" autolab "* ]]; then
  limits 1
  submissions M1
  for k in reference broken; do
    want=0; [ $k = reference ] && want=$(weight_of M1)
    rm -rf "$R/tmp/job"; mkdir -p "$R/tmp/job"
    tar -cf "$R/tmp/job/handin.tar" -C "$R/tmp/sub/M1/$k" .
    run autolab M1 "$k" "$want" \
      'tail -n 1 /tmp/autolab-M1-'$k'.log | jq -r ".scores.M1"' \
      bash -c 'cd /tmp/job && bash /opt/pagelab/grading/engines/autolab/driver.sh handin.tar M1'
  done
fi

# --- PrairieLearn: run.sh with the /grade layout; score is a fraction.
if [[ " $ENGINES " == *" prairielearn "* ]]; then
  limits 0.5
  submissions M1
  for k in reference broken; do
    want=0; [ $k = reference ] && want=1
    rm -rf "$R/grade"; mkdir -p "$R/grade/tests" "$R/grade/results"
    cp -r "$R/tmp/sub/M1/$k" "$R/grade/student"
    echo M1 > "$R/grade/tests/milestone"
    run prairielearn M1 "$k" "$want" \
      'jq -r "if .gradable then .score else \"ungradable\" end" /grade/results/results.json' \
      bash /opt/pagelab/grading/engines/prairielearn/run.sh
  done
fi

# --- GitHub Classroom: the handout's make grade; its exit status.
if [[ " $ENGINES " == *" classroom "* ]]; then
  limits 0.5
  rm -rf build/image/handout
  HANDOUT_OUT=build/image/handout make -s handout MILESTONE=M1 > /dev/null \
    || { echo "image: make handout MILESTONE=M1 failed" >&2; exit 2; }
  hd=build/image/handout/M1/pagelab-M1
  submissions M1
  for k in reference broken; do
    want=1; [ $k = reference ] && want=0
    rm -rf "$R/tmp/student"; cp -r "$hd" "$R/tmp/student"
    cp "$R/tmp/sub/M1/$k/"* "$R/tmp/student/$(stage_of M1)/"
    run classroom M1 "$k" "$want" '[ "$(cat /tmp/student/status)" = 0 ] && echo 0 || echo 1' \
      bash -c 'cd /tmp/student && make grade; echo $? > status'
  done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

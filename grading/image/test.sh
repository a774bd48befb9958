#!/usr/bin/env bash
# test.sh [TAR] - grade inside the image without Docker: unpack
# build/image/pagelab-grader.tar into build/image/root, then, chrooted into
# it (its own mount namespace: /proc, /dev, /sys bound in) and under a
# cgroup v1 limit of CPU and memory (Gradescope's default: 0.5 CPU,
# 768 MiB; IMAGE_CPU=1 for an Autolab-like job), grade milestone M1 of
# the reference and of a broken submission (a fault.c that does not
# compile) through the Gradescope and Autolab entry points, timing each.
# Prints one line per run: "image: ENGINE SUBMISSION score S in T s".
set -u
cd "$(dirname "$0")/../.."
TAR=${1:-build/image/pagelab-grader.tar}
R=$(pwd)/build/image/root
CPU=${IMAGE_CPU:-0.5} MEM=${IMAGE_MEM_MB:-768}
rm -rf "$R"; mkdir -p "$R"
tar -xf "$TAR" -C "$R" || exit 2
du -sh "$R" | awk '{ print "image: unpacked " $1 }'
ls -l "$TAR" | awk '{ printf "image: tarball %.0f MiB\n", $5 / 1048576 }'
# the submissions, in the image's /tmp
mkdir -p "$R/tmp/ref" "$R/tmp/broken"
cp phase1-single/fault.c phase1-single/trim.c "$R/tmp/ref/"
cp phase1-single/trim.c "$R/tmp/broken/"
printf '#include "phase1.h"\nint this does not compile;\n' > "$R/tmp/broken/fault.c"
tar -cf "$R/tmp/ref.tar" -C "$R/tmp/ref" .
# cgroup v1 limits (cgroup v2: cpu.max / memory.max)
cg=h17img.$$
mcg=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)/$cg
ccg=/sys/fs/cgroup/cpu/$cg
mkdir -p "$mcg" "$ccg"
echo $((MEM * 1024 * 1024)) > "$mcg/memory.limit_in_bytes"
echo 100000 > "$ccg/cpu.cfs_period_us"
awk -v c="$CPU" 'BEGIN { printf "%d\n", c * 100000 }' > "$ccg/cpu.cfs_quota_us"
# inside CMD...: run CMD chrooted in the image, limited.
inside() {
  (echo $BASHPID > "$mcg/tasks"; echo $BASHPID > "$ccg/tasks"
   exec unshare -m bash -c '
     R=$1; shift
     mount --rbind /dev "$R/dev"; mount -t proc proc "$R/proc"; mount --rbind /sys "$R/sys"
     exec chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "$@"' _ "$R" "$@")
}
run() { # ENGINE NAME CMD...: time one run, print its score
  local e=$1 n=$2 t0=$SECONDS; shift 2
  inside "$@" > "$R/tmp/$e-$n.log" 2>&1
  echo "image: $e $n $(tail -n 1 "$R/tmp/$e-$n.log" | head -c 200) in $((SECONDS - t0)) s"
}
mkdir -p "$R/autograder/results" "$R/autograder/submission"
G='cd /opt/pagelab && rm -rf /autograder/results/* && SUBMISSION=/autograder/submission MILESTONE=M1 GRADE_OUT=/autograder/results GRADE_EXIT_ZERO=1 grading/grade.sh > /dev/null 2>&1; jq -c "{score}" /autograder/results/results.json'
cp "$R/tmp/ref/"* "$R/autograder/submission/"
run gradescope-like reference bash -c "$G"
rm -f "$R/autograder/submission/"*; cp "$R/tmp/broken/"* "$R/autograder/submission/"
run gradescope-like broken bash -c "$G"
mkdir -p "$R/tmp/job"; cp "$R/tmp/ref.tar" "$R/tmp/job/handin.tar"
run autolab reference bash -c 'cd /tmp/job && bash /opt/pagelab/grading/engines/autolab/driver.sh handin.tar M1'
rmdir "$mcg" "$ccg" 2> /dev/null
exit 0

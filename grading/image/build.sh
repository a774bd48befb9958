#!/usr/bin/env bash
# build.sh - 'make image': the grader's root file system, from Debian's
# packages alone (mmdebstrap, Debian 12 "bookworm"), with the kit prebuilt
# in /opt/pagelab: the reference, the tests, the grader and the tools, and
# the grading tree's base (/opt/pagelab/build/grade-tree.base) built, so a
# grading compiles only the submission; the reference sources and hidden
# suites closed to other users (grading/image/harden.sh).  Exported as a tarball that
# 'docker import' and 'podman import' accept:
#
#   docker import --change 'WORKDIR /opt/pagelab' \
#     build/image/pagelab-grader.tar yourcourse/pagelab-grader:latest
#
# (grading/image/Dockerfile builds the same from a registry's debian:12.)
# The entry points then find the kit at /opt/pagelab:
# grading/engines/{autolab/driver.sh,prairielearn/run.sh} use it directly.
#
# Environment: IMAGE_OUT (build/image), IMAGE_SUITE (bookworm),
# IMAGE_MIRROR (mmdebstrap's default: the suite's Debian mirror).
set -eu
case ${1:-} in # every script under grading/ answers --help
  -h|--help) sed -n '2,/^set -/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$(dirname "$0")/../.."
KIT=$(pwd)
OUT=${IMAGE_OUT:-build/image}
SUITE=${IMAGE_SUITE:-bookworm}
if ! command -v mmdebstrap > /dev/null && [ "$(id -u)" = 0 ]; then
  echo "image: installing mmdebstrap"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
     --no-install-recommends mmdebstrap) > /dev/null
fi
command -v mmdebstrap > /dev/null || {
  echo "image: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# the kit's files, as git knows them (no build/, no .git)
SRC=$OUT/src
rm -rf "$SRC"; mkdir -p "$SRC/pagelab"
git ls-files -z | rsync -a --from0 --files-from=- ./ "$SRC/pagelab/"
PKGS="gcc make ca-certificates $(make -s print-deb-packages)"
rm -f "$OUT/pagelab-grader.tar"
mmdebstrap --variant=apt --include="$(tr ' ' ',' <<< "$PKGS")" \
  --customize-hook="copy-in '$SRC/pagelab' /opt" \
  --customize-hook='chroot "$1" sh -c "cd /opt/pagelab && make -j2 all > /opt/pagelab-build.log 2>&1 && rm /opt/pagelab-build.log"' \
  --customize-hook='chroot "$1" sh -c "mkdir -p /tmp/empty && cd /opt/pagelab && SUBMISSION=/tmp/empty GRADE_OUT=/tmp/warm GRADE_EXIT_ZERO=1 GRADE_TIMEOUT_SCALE=0.02 PAGELAB_SANDBOX=off grading/grade.sh > /dev/null 2>&1; rm -rf /tmp/empty /tmp/warm; test -d build/grade-tree.base/build"' \
  --customize-hook='chroot "$1" bash /opt/pagelab/grading/image/harden.sh /opt/pagelab' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$SUITE" "$OUT/pagelab-grader.tar" ${IMAGE_MIRROR:+"$IMAGE_MIRROR"}
rm -rf "$SRC"
ls -l "$OUT/pagelab-grader.tar"

#!/usr/bin/env bash
# setup.sh - Gradescope runs this once, as root, when it builds the
# autograder image (base image "Ubuntu 22.04", or Debian 12); the zip has
# been unpacked into /autograder/source.  It installs the packages the kit
# needs and builds the reference (the grader, the reference test binaries,
# the performance programs), so each submission only builds its own files.
#
# Package names: grading/engines/deb-packages.txt ('make
# print-deb-packages', written by package.sh) plus gcc, make and
# ca-certificates; every one exists under that name in Ubuntu 22.04
# (jammy: gcc 11, check 0.15, lcov 1.15, python3-jsonschema 3.2,
# bubblewrap 0.6) and in Debian 12.  A name apt does not know is reported
# and skipped rather than failing the whole image build.
#
# Environment: AUTOGRADER_ROOT (default /autograder, for local tests),
# SKIP_APT=1 (packages already there), CC (the compiler; default cc: gcc 11
# on jammy; 'clang' works too once installed).
set -eu
ROOT=${AUTOGRADER_ROOT:-/autograder}
cd "$ROOT/source"
if [ -z "${SKIP_APT:-}" ]; then
  apt-get update -qq
  want="gcc make ca-certificates $(cat grading/engines/deb-packages.txt)"
  have="" ; for p in $want; do
    if apt-cache show "$p" > /dev/null 2>&1; then have="$have $p"
    else echo "setup.sh: no package named $p in this release: skipped" >&2; fi
  done
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $have
fi
make -j"$(nproc)" ${CC:+CC="$CC"} all
# Warm the grading tree's base (the kit without the reference, built at
# the path run_autograder grades in), so a submission compiles only its own
# files: one quick grading of an empty submission.
empty=$(mktemp -d)
SUBMISSION=$empty MILESTONE=@MILESTONE@ GRADE_OUT=$empty/out \
  GRADE_TREE="$ROOT/grade-tree" REF_BUILD=build GRADE_EXIT_ZERO=1 \
  GRADE_TIMEOUT_SCALE=0.05 grading/grade.sh > "$empty/warm.log" 2>&1 \
  || { echo "setup.sh: warming the grading tree failed:" >&2; tail -n 20 "$empty/warm.log" >&2; }
rm -rf "$empty"
# The sandboxed tests run as an unprivileged uid: keep the reference
# sources, the hidden suites and the grader's data out of their reach
# (grading/image/harden.sh, which the grader image runs too).
bash grading/image/harden.sh .

#!/usr/bin/env bash
# setup.sh - Gradescope runs this once, as root, when it builds the
# autograder image; the zip has been unpacked into /autograder/source.
# It installs the Debian packages the kit needs and builds the reference
# (the grader, the reference test binaries, the performance programs), so
# each submission only builds its own files.
set -eu
ROOT=${AUTOGRADER_ROOT:-/autograder}
cd "$ROOT/source"
if [ -z "${SKIP_APT:-}" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gcc make ca-certificates $(cat grading/engines/deb-packages.txt)
fi
make -j"$(nproc)" all
# The sandboxed tests run as an unprivileged uid: keep the reference sources, the
# hidden suites and the grader's data out of their reach (binaries stay
# executable).
chmod -R o-rwx grading
find . -name '*_hidden.c' -exec chmod o-rwx {} +
for m in */MANIFEST; do
  while read -r f; do [ -n "$f" ] && chmod o-rwx "$f"; done < "$m"
done

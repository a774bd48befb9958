#!/usr/bin/env bash
# harden.sh [KIT] - run as root once the kit is built (by the image build
# and by Gradescope's setup.sh): the sandboxed tests run as an
# unprivileged uid, so keep the reference sources, the hidden suites and
# the grader's data out of their reach even where bubblewrap cannot make
# its own view of the file system (binaries stay executable).
# grading/unpack.sh stays readable: grade.sh hands it to the sandbox user.
set -eu
cd "${1:-$(dirname "$0")/../..}"
chmod -R o-rwx grading
chmod o+x grading && chmod o+r grading/unpack.sh
find . -name '*_hidden.c' -exec chmod o-rwx {} +
for m in */MANIFEST; do
  while read -r f; do [ -n "$f" ] && chmod o-rwx "$f"; done < "$m"
done

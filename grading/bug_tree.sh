# bug_tree.sh - sourced by check_bugs.sh and grade_tests.sh: the one way a
# planted bug (grading/bugs/<stage>/NN-name.patch) goes into and out of a
# private copy of the kit.  Run from the kit's top directory.
#
#   bugtree_sync TREE [RSYNC-OPTION...]  make TREE a copy of the kit (no
#                                        build/, no .git/); the build
#                                        inside TREE survives, so rebuilds
#                                        are incremental
#   bugtree_apply TREE PATCH             patch -p1 into TREE, all or
#                                        nothing: 1 (TREE untouched, patch's
#                                        messages on stdout) when it does
#                                        not apply
#   bugtree_revert TREE PATCH            take an applied PATCH back out
#   bug_description PATCH                its one-line description
#
# Invariant: between bugtree_apply and bugtree_revert, TREE is the kit
# plus exactly one patch.
# Run on its own (bash grading/bug_tree.sh --help) it prints this text.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  sed -n '1,/^# Run on its own/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0
fi

# bugtree_sync TREE [RSYNC-OPTION...]: see above.  By content, not times:
# a file that differs is rewritten, so it is newer than any object built
# from it (e.g. with a bug a previous run left in) and make rebuilds it.
bugtree_sync() {
  local tree=$1; shift
  mkdir -p "$tree"
  rsync -rlpD --checksum --delete --exclude /build --exclude /.git "$@" \
    ./ "$tree/"
}

# bugtree_apply TREE PATCH: 0 when applied; 1 (nothing changed) when not.
bugtree_apply() {
  local p; p=$(realpath "$2") || return 1
  (cd "$1" && patch -p1 -s --dry-run < "$p" && patch -p1 -s < "$p")
}

# bugtree_revert TREE PATCH: PATCH, applied by bugtree_apply, taken out.
bugtree_revert() {
  local p; p=$(realpath "$2") || return 1
  (cd "$1" && patch -p1 -R -s < "$p")
}

# bug_description PATCH: prints the patch's one-line description.
bug_description() {
  head -n 1 "$1" | sed 's/^Description: //'
}

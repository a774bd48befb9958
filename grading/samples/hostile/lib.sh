# lib.sh - helpers the hostile samples' make.sh scripts source (bash).
#
# A make.sh writes the submission at test time, into its OUTDIR, when it
# cannot be committed as plain files: archives, bombs, deep trees, links,
# 0600 files, and sources that call libc functions the screen forbids
# through addresses computed from an allowed one ("hidden calls": the
# offsets within the machine's own libc, as a student who
# knows the grading image would hard-code them).

HOSTILE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KIT_DIR=$(cd "$HOSTILE_DIR/../../.." && pwd)

# starter FILE: the starter version of the kit's FILE on stdout.
starter() { unifdef -USOLUTION -x2 "$KIT_DIR/$1"; }

# with_attack FILE PROLOGUE BODY: the starter of FILE with PROLOGUE before
# its first #include and BODY at the top of every function (after each
# lone '{' line), on stdout.
with_attack() {
  starter "$1" | PRO="$2" BODY="$3" awk '
    /^#include/ && !done { if (ENVIRON["PRO"] != "") print ENVIRON["PRO"]; done = 1 }
    { print }
    /^\{$/ && ENVIRON["BODY"] != "" { print ENVIRON["BODY"] }'
}

# libc_offset NAME: NAME's address minus that of _IO_2_1_stdout_ (what
# the allowed 'stdout' points to) in the machine's libc
# (decimal), from its dynamic symbol table.
libc_offset() {
  local libc p w
  libc=$(cc -print-file-name=libc.so.6)
  [ -f "$libc" ] || libc=/lib/x86_64-linux-gnu/libc.so.6
  read -r p w < <(nm -D --defined-only "$libc" | awk -v want="$1" '
    { n = $3; sub(/@.*/, "", n) }
    n == "_IO_2_1_stdout_" { p = $1 }
    n == want && $2 ~ /[TtWi]/ { w = $1 }
    END { print p, w }')
  [ -n "$p" ] && [ -n "$w" ] || { echo "lib.sh: no $1 in $libc" >&2; return 1; }
  echo $((16#$w - 16#$p))
}

# hidden_prologue NAME...: C declarations of pointers to the libc
# functions NAME..., computed from the FILE stdout points to (inside
# libc's data; 'stdout' is on the allowlist, and taking a function's
# address would make the object reference _GLOBAL_OFFSET_TABLE_):
# hidden_NAME is a 'void *' to be cast to the right type.
hidden_prologue() {
  local n
  echo '#include <stdio.h>'
  echo '#include <string.h>'
  echo 'static char *h6_libc(void) { char *volatile p = (char *)stdout; return p; }'
  echo '#define HIDDEN(off) ((void *)(h6_libc() + (off)))'
  for n in "$@"; do
    echo "#define hidden_$n HIDDEN($(libc_offset "$n")L)"
  done
}

# write_sample OUTDIR FILE CONTENT: CONTENT into OUTDIR/FILE.
write_sample() {
  mkdir -p "$1/$(dirname "$2")"
  printf '%s\n' "$3" > "$1/$2"
}

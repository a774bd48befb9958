#!/usr/bin/env bash
# screen.sh - screen what a submission compiled, not its text.
#
#   screen.sh headers --tree TREE --stage STAGE [--allow DIR]... FILE...
#   screen.sh objects --tree TREE --stage STAGE --build BUILD [--kit KIT] FILE...
#
# FILE paths are relative to TREE (the grading tree: a copy of the kit with
# the student's manifest files in place).  The compiler and its flags come
# from the environment: SCREEN_CC and SCREEN_CFLAGS (what the kit compiles
# the stage with: 'make -s BUILD=... print-screen-flags').  Every refusal is
# one line on stdout,
#
#   FILE:LINE: refused: <construct> (<why, in plain words>)
#
# and the exit status is 0 when nothing was refused, 1 when something was,
# 2 on a usage or tool error (message on stderr).
#
# headers (before compiling): the preprocessor runs on each FILE, bounded
# by 'timeout' and 'ulimit -v', and the files it actually opened are read
# from the linemarkers of its own output (never from the text).  Allowed:
# TREE/common/*.h, TREE/STAGE/**/*.h and the compiler's own system include
# directories (and, with --allow DIR, TREE/DIR/**/*.h: the kit's test
# headers, for students' own tests).  Anything else (a .c
# file, another stage, tests/, grading/,
# /etc/..., the file itself) is refused at the #include that opened it.
# The preprocessor output is never shown: it may hold other files' text.
#
# objects (after make built BUILD/obj/<FILE minus .c>.o):
#   1. FILE is compiled again to assembly (-S -g, same flags); refused are
#      inline and top-level assembly (#APP blocks), .incbin, .include,
#      .symver, any directive the compiler does not write itself,
#      constructor/destructor sections (.init_array, .fini_array,
#      .preinit_array, .ctors, .dtors; the compiler's own sanitizer and
#      coverage constructors excepted in those flavours), ifuncs
#      (@gnu_indirect_function), and sections outside the compiler's
#      ordinary ones.
#   2. On the built object (nm): every undefined symbol must be allowed:
#      the kit's API (the globals defined by BUILD/lib/libcommon.a, the
#      stage's objects that are not in its MANIFEST and, for pager-cow, the
#      infra objects), the starter's globals of the stage's manifest files,
#      names with the stage's prefix, grading/screen/libc.allow and
#      grading/screen/STAGE.allow.  Every defined global must be one the
#      STARTER version of the same file defines (unifdef -USOLUTION of
#      KIT/FILE) or carry the stage's prefix (the prefix of the names the
#      stage's public header exports: phase1_, phase2_, phase3_; vm_ and
#      pager_ for pager-cow), and must never be a symbol of libc, libcheck,
#      the kit's libraries or the test harness (defining one would replace
#      it in the whole test program: "interposing the test framework").
#   3. objdump -d shows no syscall, sysenter or int $0x80 instruction.
#
# KIT (where the starter versions come from) defaults to the kit this
# script lives in; it must hold the reference sources, never the student's.
set -u
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALLOW_DIR=$HERE/screen
CPP_SECONDS=${SCREEN_SECONDS:-20}
CPP_KIB=${SCREEN_KIB:-1048576}

refused=0
TMP=""

# die MESSAGE: a usage or tool error: message on stderr, exit 2.
die() {
  echo "screen.sh: $*" >&2
  exit 2
}

# refuse FILE LINE CONSTRUCT WHY: print one refusal line and remember it.
refuse() {
  printf '%s:%s: refused: %s (%s)\n' "$1" "$2" "$3" "$4"
  refused=1
}
declare -A REFUSED_PATHS   # paths already refused (headers mode)

# emit: read 'LINE<TAB>CONSTRUCT<TAB>WHY' records on stdin, refuse each
# for file $1 (records from the awk passes below).
emit() {
  local file=$1 line construct why
  while IFS=$'\t' read -r line construct why; do
    refuse "$file" "$line" "$construct" "$why"
  done
}

# set_compiler: CC and the CFLAGS array from SCREEN_CC/SCREEN_CFLAGS, minus
# the dependency-file flags (the screen writes no .d files).  Exits 2 when
# the compiler is missing.
set_compiler() {
  CC=${SCREEN_CC:-}
  [ -n "$CC" ] || die "SCREEN_CC is not set (see 'make print-screen-flags')"
  command -v "$CC" >/dev/null || die "compiler '$CC' not found"
  local f skip=0
  CFLAGS=()
  for f in ${SCREEN_CFLAGS:-}; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    case $f in
      -MMD|-MD|-MP|-M|-MM) ;;
      -MF|-MT|-MQ) skip=1 ;;
      *) CFLAGS+=("$f") ;;
    esac
  done
}

# bounded CMD...: run CMD under the screen's time and memory bounds;
# returns its status (124 or more: killed by the time limit).
bounded() {
  timeout -k 2 "$CPP_SECONDS" bash -c 'ulimit -v "$0"; exec "$@"' \
    "$CPP_KIB" "$@"
}

# system_dirs: the compiler's own system include directories, resolved,
# one a line (asked from the compiler without the kit's -I flags).
system_dirs() {
  "$CC" -E -Wp,-v -xc /dev/null 2>&1 >/dev/null |
    awk '/^#include <...> search starts here:/ { on = 1; next }
         /^End of search list/ { on = 0 }
         on { print $1 }' |
    while read -r d; do echo "${d%/}"; realpath -e "$d" 2>/dev/null; done | sort -u
}

# screen_headers FILE: preprocess TREE/FILE (cwd TREE, bounded) and
# refuse every file it opened outside the allowed headers (see
# screen/headers.awk), and a run out of time or memory.
screen_headers() {
  local file=$1 status
  [ -f "$RTREE/$file" ] || { refuse "$file" 1 "missing file" "it is not in the grading tree"; return; }
  emit_at < <(
    (cd "$RTREE" && bounded "$CC" "${CFLAGS[@]}" -E -H "$file" 2>"$TMP/cpp.err") |
      awk -v tree="$RTREE" -v stage="$STAGE" -v main="$file" \
          -v extra="$(IFS=:; echo "${ALLOW_EXTRA[*]}")" \
          -v sysdirs="$(IFS=:; echo "${SYSDIRS[*]}")" -f "$HERE/screen/headers.awk"
    echo "STATUS ${PIPESTATUS[0]}")
  status=$LAST_STATUS
  opened_check "$file"
  if [ "$status" -ge 124 ] && [ "$status" -ne 126 ] && [ "$status" -ne 127 ]; then
    refuse "$file" 1 "preprocessing ran out of time" "it did not finish in ${CPP_SECONDS} s"
  elif [ "$status" -ne 0 ] &&
       grep -qiE 'memory exhausted|out of memory|cannot allocate' "$TMP/cpp.err"; then
    refuse "$file" 1 "preprocessing ran out of memory" "it needed more than $((CPP_KIB / 1024)) MiB"
  fi
}

# header_allowed PATH: whether PATH (absolute, resolved) is one of the kit's
# public headers or under a system include directory (as headers.awk).
header_allowed() {
  local p=$1 d rest
  case $p in
    "$RTREE"/common/*) rest=${p#"$RTREE"/common/}
                       [[ $rest != */* && $rest == *.h ]]; return ;;
    "$RTREE/$STAGE"/*) [[ $p == *.h ]]; return ;;
  esac
  for d in "${SYSDIRS[@]}"; do [[ $p == "$d"/* ]] && return 0; done
  for d in "${ALLOW_EXTRA[@]}"; do
    [[ $p == "$RTREE/$d"/* && $p == *.h ]] && return 0
  done
  return 1
}

# opened_check FILE: the authoritative list of what the preprocessor
# opened is its -H report (cpp.err: one '.'-indented path per file); a
# '#line' directive can rename the current file in the linemarkers
# headers.awk reads, never in -H.  Every opened file not already refused
# there must be allowed.
opened_check() {
  local file=$1 l p depth skip=0
  while IFS= read -r l; do
    [[ $l =~ ^(\.+)\ (.*)$ ]] || continue
    depth=${#BASH_REMATCH[1]} p=${BASH_REMATCH[2]}
    # what a refused file includes in turn is not the submission's doing
    if [ $skip -gt 0 ] && [ "$depth" -gt $skip ]; then continue; fi
    skip=0
    [[ $p == /* ]] || p=$RTREE/$p
    p=$(realpath -m "$p")
    header_allowed "$p" && continue
    skip=$depth
    [ -n "${REFUSED_PATHS[$p]:-}" ] && continue
    REFUSED_PATHS[$p]=1
    refuse "$file" 1 "#include of ${p#"$RTREE"/}" \
      "only the kit's headers and the system's may be included (found in the preprocessor's own list of opened files; the line markers that would place it were hidden)"
  done < "$TMP/cpp.err"
}

# emit_at: read 'FILE<TAB>LINE<TAB>CONSTRUCT<TAB>WHY' records and a last
# 'STATUS n' line; refuse each record, set LAST_STATUS to n.
emit_at() {
  local f line construct why
  LAST_STATUS=0
  while IFS=$'\t' read -r f line construct why; do
    case $f in "STATUS "*) LAST_STATUS=${f#STATUS }; continue ;; esac
    case $construct in "#include of "*)
      local p=${construct#\#include of }
      p=${p% itself}
      [[ $p == /* ]] || p=$RTREE/$p
      REFUSED_PATHS[$(realpath -m "$p")]=1 ;;
    esac
    refuse "$f" "$line" "$construct" "$why"
  done
}

# --- objects ---------------------------------------------------------------

# stage_prefixes: the name prefixes the stage's public header exports, one
# a line (a submission may define helpers with these prefixes).
stage_prefixes() {
  case $STAGE in
    phase1-single) echo phase1_ ;;
    phase2-locks) echo phase2_ ;;
    phase3-optimized) echo phase3_ ;;
    pager-cow) echo vm_; echo pager_ ;;
    *) die "unknown stage '$STAGE'" ;;
  esac
}

# defined_globals OBJ...: the global symbols OBJ... define, one a line.
defined_globals() {
  nm -P -g --defined-only "$@" 2>/dev/null |
    awk 'NF >= 2 && $2 ~ /^[A-Za-z]$/ && $2 != "U" && $2 != "w" && $2 != "v" { print $1 }'
}

# manifest_files: the stage's manifest paths, one a line.
manifest_files() {
  grep -v '^[[:space:]]*$' "$KIT/$STAGE/MANIFEST"
}

# starter_globals FILE: the globals the starter version of KIT/FILE
# defines (unifdef -USOLUTION, compiled from stdin with the same flags,
# its quoted includes resolved in TREE/FILE's directory); none when the kit
# has no such file.  Exits 2 when the starter does not compile.
starter_globals() {
  local file=$1 out=$TMP/starter.o
  [ -f "$KIT/$file" ] || return 0   # no starter: prefixed names only
  unifdef -USOLUTION -x2 "$KIT/$file" > "$TMP/starter.c"
  [ $? -le 1 ] || die "cannot make the starter of $KIT/$file"
  (cd "$RTREE" && bounded "$CC" "${CFLAGS[@]}" -O0 -g0 -iquote "$(dirname "$file")" \
     -x c -c -o "$out" - < "$TMP/starter.c") 2>"$TMP/starter.err" ||
    die "the starter of $file does not compile: $(head -n 3 "$TMP/starter.err")"
  defined_globals "$out"
}

# kit_api: the globals the kit defines for this stage: libcommon.a, the
# stage's objects outside its MANIFEST, pager-cow's infra objects; one a
# line.  Computed from BUILD (built from the kit's own sources).
kit_api() {
  local objs=() o m rel skip
  [ -f "$BUILD/lib/libcommon.a" ] || die "$BUILD/lib/libcommon.a is missing (build the kit first)"
  objs+=("$BUILD/lib/libcommon.a")
  for o in "$BUILD/obj/$STAGE"/*.o "$BUILD/obj/$STAGE"/infra/*.o; do
    [ -f "$o" ] || continue
    rel=${o#"$BUILD/obj/"}; skip=0
    while read -r m; do [ "${m%.c}.o" = "$rel" ] && skip=1; done < <(manifest_files)
    [ $skip = 0 ] && objs+=("$o")
  done
  defined_globals "${objs[@]}"
}

# foreign_globals: the symbols a submission must never define: the kit's
# API, libc's and libcheck's dynamic symbols and the test harness's
# globals, as 'NAME<TAB>WHOSE' lines.
foreign_globals() {
  local libc lib
  sed 's/$/\ta symbol of the kit/' "$TMP/api"
  defined_globals "$BUILD"/obj/tests/*.o "$BUILD"/obj/tests/*/*.o 2>/dev/null |
    sed 's/$/\ta symbol of the test harness/'
  for lib in libc.so.6 libpthread.so.0 libm.so.6 libcheck.so.0 libsubunit.so.0; do
    libc=$("$CC" -print-file-name="$lib")
    [ -f "$libc" ] || libc=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l { print $NF; exit }')
    [ -n "$libc" ] && [ -f "$libc" ] || continue
    nm -D --defined-only "$libc" 2>/dev/null |
      awk -v w="${lib%%.so*}" '{ n = $NF; sub(/@.*/, "", n); print n "\ta symbol of " w }'
  done
  # libcheck is linked statically (check_pic): its archive too.
  for lib in $(pkg-config --variable=libdir check 2>/dev/null); do
    [ -f "$lib/libcheck_pic.a" ] &&
      defined_globals "$lib/libcheck_pic.a" | sed 's/$/\ta symbol of libcheck/'
  done
}

# allow_patterns: the allowlists' lines without comments: exact names and
# shell-style globs (e.g. __asan_*).
allow_patterns() {
  local f
  for f in "$ALLOW_DIR/libc.allow" "$ALLOW_DIR/$STAGE.allow"; do
    [ -f "$f" ] && sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$f"
  done
}

# symbol_lines OBJ: 'NAME<TAB>LINE' for OBJ's symbols that nm -l can place
# in the main file (definitions; undefined ones at their first use).
symbol_lines() {
  nm -l "$1" 2>/dev/null |
    awk -F'\t' 'NF >= 2 { split($1, a, " "); n = a[length(a)]
                 l = $2; sub(/.*:/, "", l); if (l ~ /^[0-9]+$/) print n "\t" l }'
}

# asm_screen FILE S: the awk pass over the assembly S of FILE; prints
# 'LINE<TAB>CONSTRUCT<TAB>WHY' records, LINE '@NAME' when it is the line
# of symbol NAME (resolved later), '@toplevel:K' for the K-th top-level
# asm statement.
asm_screen() {
  local file=$1 s=$2 instrumented=0
  case " ${CFLAGS[*]} " in
    *" -fsanitize="*|*" --coverage "*|*" -fprofile-arcs "*) instrumented=1 ;;
  esac
  awk -v main="$file" -v instrumented=$instrumented -f "$HERE/screen/asm.awk" "$s"
}

# toplevel_asm_lines FILE: one 'LINE<TAB>CONSTRUCT<TAB>WHY' record per
# top-level asm statement of FILE, found in its preprocessed text (see
# screen/toplevel.awk).
toplevel_asm_lines() {
  (cd "$RTREE" && bounded "$CC" "${CFLAGS[@]}" -E "$1" 2>/dev/null) |
    awk -v main="$1" -f "$HERE/screen/toplevel.awk"
}

# screen_objects FILE: assembly, symbol and instruction checks for FILE.
screen_objects() {
  local file=$1 obj s records
  obj=$BUILD/obj/${file%.c}.o
  s=$TMP/screen.s
  if ! (cd "$RTREE" && bounded "$CC" "${CFLAGS[@]}" -g -S -o "$s" "$file") 2>/dev/null; then
    refuse "$file" 1 "no assembly" "it does not compile with the screen's flags"
    return
  fi
  if [ -f "$obj" ]; then
    symbol_lines "$obj" > "$TMP/lines"
    records=$(asm_screen "$file" "$s"; nm_screen "$file" "$obj"; insn_screen "$obj")
  else
    : > "$TMP/lines"
    records=$(asm_screen "$file" "$s")
    [ -n "$records" ] || records=$'1\tno object\tit did not compile, so it cannot be screened'
  fi
  [ -n "$records" ] || return 0
  # Top-level assembly carries no line in the assembly: its statements
  # are located (and named) in the preprocessed text instead.
  : > "$TMP/toplevel"
  grep -q '^@toplevel' <<<"$records" && toplevel_asm_lines "$file" > "$TMP/toplevel"
  emit "$file" < <(awk -F'\t' -v OFS='\t' '
    FILENAME == ARGV[1] { at[$1] = $2; next }
    FILENAME == ARGV[2] { top[++ntop] = $0; next }
    $1 == "@toplevel" { if (ntop == 0) { $1 = 1; print } else if (!done++) for (k = 1; k <= ntop; k++) print top[k]; next }
    $1 ~ /^@/ { n = substr($1, 2); $1 = (n in at) ? at[n] : 1 }
    { print }' "$TMP/lines" "$TMP/toplevel" - <<<"$records" | sort -t$'\t' -k1,1n -s | uniq)
}

# tables: the per-run symbol tables nm_screen reads, in TMP: starter_any
# (globals of every starter of the stage), api, allow, prefix, foreign.
tables() {
  local m
  for m in $(manifest_files); do starter_globals "$m" > "$TMP/starter-$(echo "$m" | tr / _)"; done
  cat "$TMP"/starter-* | sed 's/^/starter_any\t/' > "$TMP/t.starter_any"
  kit_api > "$TMP/api"
  sed 's/^/api\t/' "$TMP/api" > "$TMP/t.api"
  allow_patterns | sed 's/^/allow\t/' > "$TMP/t.allow"
  stage_prefixes | sed 's/^/prefix\t/' > "$TMP/t.prefix"
  foreign_globals | sed 's/^/foreign\t/' > "$TMP/t.foreign"
}

# nm_screen FILE OBJ: the symbol checks of the built object; records as
# asm_screen.
nm_screen() {
  local file=$1 obj=$2 starter
  starter=$TMP/starter-$(echo "$file" | tr / _)
  [ -f "$starter" ] || starter_globals "$file" > "$starter"
  {
    cat "$TMP/t.starter_any"
    sed 's/^/starter\t/' "$starter"
    cat "$TMP/t.api" "$TMP/t.allow" "$TMP/t.prefix" "$TMP/t.foreign"
    nm -P "$obj" | awk '{ print "sym\t" $1 "\t" $2 }'
  } | awk -F'\t' -v stage="$STAGE" -f "$HERE/screen/nm.awk"
}

# insn_screen OBJ: raw system call instructions in the disassembly.
insn_screen() {
  objdump -d --no-show-raw-insn "$1" 2>/dev/null |
    awk -F'\t' '
      /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn) }
      NF >= 2 && $2 ~ /^(syscall|sysenter|int +\$0x80)/ {
        insn = $2; sub(/ +/, " ", insn)
        printf "@%s\tinstruction %s\ta raw system call bypasses the C library and the sandbox'"'"'s rules\n", fn, insn
      }'
}

# --- main --------------------------------------------------------------------

usage() {
  echo "usage: screen.sh headers --tree TREE --stage STAGE FILE..." >&2
  echo "       screen.sh objects --tree TREE --stage STAGE --build BUILD [--kit KIT] FILE..." >&2
  exit 2
}

main() {
  local mode=${1:-} file
  [ $# -ge 1 ] && shift
  case $mode in headers|objects) ;; *) usage ;; esac
  TREE="" STAGE="" BUILD="" KIT=$(cd "$HERE/.." && pwd) ALLOW_EXTRA=()
  while [ $# -gt 0 ]; do
    case $1 in
      --tree) TREE=${2:-}; shift 2 || usage ;;
      --stage) STAGE=${2:-}; shift 2 || usage ;;
      --build) BUILD=${2:-}; shift 2 || usage ;;
      --kit) KIT=${2:-}; shift 2 || usage ;;
      --allow) ALLOW_EXTRA+=("${2:-}"); shift 2 || usage ;;
      --) shift; break ;;
      -*) usage ;;
      *) break ;;
    esac
  done
  [ -n "$TREE" ] && [ -n "$STAGE" ] && [ $# -ge 1 ] || usage
  [ -d "$TREE" ] || die "no tree $TREE"
  RTREE=$(realpath -e "$TREE")
  [ -d "$RTREE/$STAGE" ] || die "no stage $STAGE in $TREE"
  set_compiler
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/screen.XXXXXX") || die "no temporary directory"
  trap 'rm -rf "$TMP"' EXIT
  if [ "$mode" = headers ]; then
    mapfile -t SYSDIRS < <(system_dirs)
    [ ${#SYSDIRS[@]} -gt 0 ] || die "$CC names no system include directories"
    for file in "$@"; do screen_headers "$file"; done
  else
    [ -n "$BUILD" ] || usage
    [ -d "$BUILD" ] || die "no build $BUILD"
    BUILD=$(realpath -e "$BUILD")
    [ -f "$KIT/$STAGE/MANIFEST" ] || die "no $STAGE/MANIFEST in the kit $KIT"
    tables
    for file in "$@"; do screen_objects "$file"; done
  fi
  exit $refused
}

main "$@"

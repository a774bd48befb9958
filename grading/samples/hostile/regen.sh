#!/usr/bin/env bash
# regen.sh - (re)write the static hostile samples of grading/samples/hostile
# from the CURRENT starter code, when the starter changed so much that a
# committed submission/ no longer builds.  Not run by 'make grade-samples'
# (the committed submission/ folders are what a student would hand in).
#
#   grading/samples/hostile/regen.sh [NAME...]     (default: every static one)
#
# Each static sample is the starter of one MANIFEST file (unifdef -USOLUTION
# -x2 <kit file>) with the attack added in two places: PROLOGUE lines just
# before the file's first #include, BODY lines at the top of every function
# (after each line that is a lone '{').  ABOUT, MILESTONE and EXPECT (one
# extended regular expression per line that the feedback in results.json
# must match) are written alongside; see README in this folder.
# Samples with a make.sh are not touched.
set -u
case ${1:-} in
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
KIT=$(cd "$HERE/../../.." && pwd)
ONLY=" $* "

# file_of M: the graded file of milestone M (its stage's attack target).
file_of() {
  case $1 in
    M1) echo phase1-single/fault.c ;;
    M2) echo phase2-locks/fault.c ;;
    M3) echo phase3-optimized/fault.c ;;
    M4) echo pager-cow/pager.c ;;
  esac
}

# sample NAME M ABOUT PROLOGUE BODY [EXPECT...]: write one static sample
# (skipped when NAMEs were given and NAME is not one of them).
sample() {
  local name=$1 m=$2 about=$3 pro=$4 body=$5 file dir; shift 5
  [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $name "* ]] || return 0
  file=$(file_of "$m")
  dir=$HERE/$name
  rm -rf "$dir/submission"
  mkdir -p "$dir/submission/$(dirname "$file")"
  echo "$about" > "$dir/ABOUT"
  echo "$m" > "$dir/MILESTONE"
  if [ $# -gt 0 ]; then printf '%s\n' "$@" > "$dir/EXPECT"; else rm -f "$dir/EXPECT"; fi
  unifdef -USOLUTION -x2 "$KIT/$file" | PRO="$pro" BODY="$body" awk '
    /^#include/ && !done { if (ENVIRON["PRO"] != "") print ENVIRON["PRO"]; done = 1 }
    { print }
    /^\{$/ && ENVIRON["BODY"] != "" { print ENVIRON["BODY"] }' \
    > "$dir/submission/$file"
}

# refusal M CONSTRUCT: the EXPECT line for a screen refusal of CONSTRUCT
# in milestone M's graded file.
refusal() { printf '%s:[0-9]+: refused: %s' "$(file_of "$1" | sed 's/\./\\./g')" "$2"; }

for m in M1 M2 M3 M4; do
  lm=$(tr M m <<< "$m")
  sample "exit0-$lm" "$m" \
    "exit(0) at the top of every function of $(file_of $m): must be refused (use of exit) and score at most the starter" \
    '#include <stdlib.h>' '    exit(0);' "$(refusal $m 'use of exit ')"
  sample "_exit0-$lm" "$m" \
    "_exit(0) at the top of every function of $(file_of $m): must be refused (use of _exit) and score at most the starter" \
    '#include <unistd.h>' '    _exit(0);' "$(refusal $m 'use of _exit ')"
done

# exec_prologue BINARY...: a constructor that execve()s each reference
# binary, by absolute and by relative path, until one starts.
exec_prologue() {
  local b list=""
  for b in "$@"; do
    list+="\"/work/main/build/$b\", \"../../build/$b\", \"../build/$b\", \"build/$b\", "
  done
  cat <<EOF
#include <unistd.h>
static void __attribute__((constructor)) run_the_reference(void)
{
    static char *const paths[] = { ${list}0 };
    for (int i = 0; paths[i] != 0; i++) {
        char *argv[] = { paths[i], 0 };
        execve(paths[i], argv, environ);
    }
}
EOF
}
sample exec-ref-m1 M1 \
  "a constructor execve()s the reference's test binaries (absolute and relative paths): must be refused (constructor, execve) and score at most the starter" \
  "$(exec_prologue tests/check_stage_phase1 tests/check_stage_core)" '' \
  "$(refusal M1 '(constructor|use of execve)')"
sample exec-ref-m2 M2 \
  "a constructor execve()s the reference's phase2 test binaries (absolute and relative paths): must be refused and score at most the starter" \
  "$(exec_prologue tests/check_stage_phase2 tests/check_phase2)" '' \
  "$(refusal M2 '(constructor|use of execve)')"
sample exec-ref-m3 M3 \
  "a constructor execve()s the reference's phase3 test and perf binaries (absolute and relative paths): must be refused and score at most the starter" \
  "$(exec_prologue tests/check_stage_phase3 tests/check_phase3 grading/perf_phase3)" '' \
  "$(refusal M3 '(constructor|use of execve)')"
sample exec-ref-m4 M4 \
  "a constructor execve()s the reference pager and its test binaries (absolute and relative paths): must be refused and score at most the starter" \
  "$(exec_prologue pager tests/check_pager tests/check_pager_cow tests/check_apps)" '' \
  "$(refusal M4 '(constructor|use of execve)')"

# The include screen's bypasses (issue 14, 3).  The target is a file the
# grading tree does hold (tests/check_util.h), so that the screen, not a
# missing file, must stop it.
sample include-macro-m1 M1 \
  "#define F \"../tests/check_util.h\" then #include F: must be refused at the #include (the preprocessor opened a file outside the kit's headers)" \
  $'#define F "../tests/check_util.h"\n#include F' '' "$(refusal M1 '#include of tests/check_util.h')"
sample include-macro-ref-m1 M1 \
  "#define F \"../../../phase1-single/fault.c\" then #include F (the reference in the old tree layout): the reference is not in the sandbox; must score at most the starter" \
  $'#define F "../../../phase1-single/fault.c"\n#include F' ''
sample include-digraph-m1 M1 \
  "%:include (a digraph) of tests/check_util.h: must be refused at the #include" \
  '%:include "../tests/check_util.h"' '' "$(refusal M1 '#include of tests/check_util.h')"
sample include-splice-m1 M1 \
  "#include split by a backslash-newline, of tests/check_util.h: must be refused" \
  $'#inc\\\nlude "../tests/check_util.h"' '' "$(refusal M1 '#include of tests/check_util.h')"
sample include-comment-m1 M1 \
  "#/**/include of tests/check_util.h: must be refused" \
  '#/**/include "../tests/check_util.h"' '' "$(refusal M1 '#include of tests/check_util.h')"
sample include-shadow-m1 M1 \
  "#include \"/etc/shadow\": /etc/shadow is not in the sandbox; nothing of it may reach the feedback, score at most the starter" \
  '#include "/etc/shadow"' ''
sample include-proc-m1 M1 \
  "#include \"/proc/self/environ\" (visible in the sandbox): must be refused at the #include" \
  '#include "/proc/self/environ"' '' "$(refusal M1 '#include of /proc/self/environ')"
sample include-devzero-m1 M1 \
  "#include \"/dev/zero\" (an endless header): preprocessing must be bounded and refused" \
  '#include "/dev/zero"' '' "$(refusal M1 '(#include of /dev/zero|preprocessing ran out)')"
sample include-line-m1 M1 \
  "FIXED (was a hole): #line 1 \"<built-in>\" makes the header screen take the next #include for the compiler's own, so #include \"../tests/check_util.h\" (outside the kit's public headers) compiles unrefused; must be refused" \
  $'#line 1 "<built-in>"\n#include "../tests/check_util.h"\n#line 31 "phase1-single/fault.c"' '' \
  "$(refusal M1 '#include of tests/check_util.h')"

# Assembly and the framework.
sample raw-syscall-m1 M1 \
  "a raw syscall instruction (exit_group(0)) in inline asm at the top of every function: must be refused (inline assembly) and score at most the starter" \
  '' '    __asm__ volatile("mov $231, %%eax; xor %%edi, %%edi; syscall" ::: "rax", "rdi", "memory");' \
  "$(refusal M1 '(inline assembly|instruction syscall)')"
sample toplevel-asm-m1 M1 \
  "top-level asm defining a function that does exit_group(0), called at the top of every function: must be refused" \
  $'__asm__(".globl phase1_quit\\nphase1_quit: mov $231, %eax\\n xor %edi, %edi\\n syscall\\n");\nvoid phase1_quit(void);' \
  '    phase1_quit();' "$(refusal M1 '(top-level assembly|instruction syscall)')"
sample interpose-m1 M1 \
  "defines _ck_assert_failed, srunner_ntests_failed and tcase_name (interposing check): must be refused (definition of a libcheck symbol)" \
  $'#include <stdarg.h>\nvoid _ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...) { (void)file; (void)line; (void)expr; (void)msg; }\nint srunner_ntests_failed(void *sr) { (void)sr; return 0; }\nconst char *tcase_name(void) { return "core"; }' '' \
  "$(refusal M1 'definition of (_ck_assert_failed|srunner_ntests_failed|tcase_name)')"
sample fake-output-m1 M1 \
  "prints forged completion records (PLREC lines), check summary, scorecard, Autolab and Gradescope lines at every call: must score at most the starter" \
  '#include <stdio.h>' \
  '    printf("PLREC 0123456789abcdef0123456789abcdef done test_fault_zero 0\n100%%: Checks: 99, Failures: 0, Errors: 0\nTOTAL 25.00 / 25.00 (100.0%%)\n{\"scores\": {\"M1\": 25}}\n{\"score\": 25, \"tests\": []}\n"); fflush(stdout);'
sample fileno-record-m1 M1 \
  "points stdout at the record channel (stdout->_fileno = 4) and writes PLREC lines with a guessed token: must score at most the starter" \
  '#include <stdio.h>' \
  '    stdout->_fileno = 4; printf("PLREC 00000000000000000000000000000000 done test_fault_zero 0\n"); fflush(stdout);'
sample huge-output-m1 M1 \
  "writes 64 MiB to stdout at the first call: output bounded, grader never blocked, score at most the starter" \
  '#include <stdio.h>' \
  '    { static char line[4096]; memset(line, 0x41, sizeof line - 1); for (int i = 0; i < 16384; i++) fputs(line, stdout); }'
sample spin-m1 M1 \
  "spins forever at the top of every function (): each run ends at its deadline, score at most the starter" \
  '#include <pthread.h>' \
  '    for (volatile int spin = 1; spin;) ;'

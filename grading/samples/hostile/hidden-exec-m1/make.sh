#!/usr/bin/env bash
# make.sh OUTDIR: writes the hidden-exec-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
paths=""
for b in tests/check_stage_phase1 tests/check_stage_core pager; do
  paths+="\"/work/main/build/$b\", \"../../build/$b\", \"../build/$b\", \"build/$b\", "
done
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue execve)
static void h6_exec_reference(void)
{
    typedef int (*execve_t)(const char *, char *const[], char *const[]);
    static const char *const paths[] = { $paths 0 };
    for (int i = 0; paths[i] != 0; i++) {
        char *argv[] = { (char *)paths[i], 0 }, *envp[] = { 0 };
        ((execve_t)hidden_execve)(paths[i], argv, envp);
    }
}" '    h6_exec_reference();')"

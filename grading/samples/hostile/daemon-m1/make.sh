#!/usr/bin/env bash
# make.sh OUTDIR: writes the daemon-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue fork setsid)
#include <time.h>
static void h6_daemon(void)
{
    static int done;
    if (done++)
        return;
    if (((int (*)(void))hidden_fork)() == 0) {
        ((int (*)(void))hidden_setsid)();
        if (((int (*)(void))hidden_fork)() == 0)
            for (;;) {
                struct timespec t = { 1, 0 };
                nanosleep(&t, NULL);
            }
        for (;;) {
            struct timespec t = { 1, 0 };
            nanosleep(&t, NULL);
        }
    }
}" '    h6_daemon();')"

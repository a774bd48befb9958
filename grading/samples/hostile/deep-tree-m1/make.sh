#!/usr/bin/env bash
# make.sh OUTDIR: writes the deep-tree-m1 submission into OUTDIR (see ../README).
set -eu
. "$(dirname "$0")/../lib.sh"
OUT=$1
F=phase1-single/fault.c
write_sample "$OUT" $F "$(with_attack $F "$(hidden_prologue mkdir chdir)
static void h6_deep(void)
{
    static int done;
    static const char *const bases[] = { \"/tmp\", \"/var/tmp\", \"/dev/shm\", \"/sandbox\", 0 };
    typedef int (*mkdir_t)(const char *, unsigned);
    typedef int (*chdir_t)(const char *);
    if (done++)
        return;
    for (int b = 0; bases[b] != 0; b++) {
        if (((chdir_t)hidden_chdir)(bases[b]) != 0)
            continue;
        for (int i = 0; i < 400; i++) {
            const char *d = \"h6-deep-0123456789012345678901\";
            if (((mkdir_t)hidden_mkdir)(d, 0755) != 0 || ((chdir_t)hidden_chdir)(d) != 0)
                break;
        }
    }
    ((chdir_t)hidden_chdir)(\"/\");
}" '    h6_deep();')"

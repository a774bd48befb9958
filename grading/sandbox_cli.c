/*
 * sandbox_cli.c - `grader --sandbox`: run one command in the same sandbox
 * and under the same whole-run limits as a test run, for the steps of
 * grading that touch a submission before its tests run (unpacking it,
 * screening and compiling it; see grading/grade.sh).
 *
 *   grader --sandbox [--ro PATH]... [--rw PATH]... [--cwd DIR]
 *          [--wall SECONDS] [--cpu SECONDS] [--mem-mb N] [--nproc N]
 *          [--fsize-mb N] [--tmp-mb N] [--env NAME=VALUE]... -- CMD ARG...
 *
 * The command's output (stdout and stderr together, at most
 * RUNNER_MAX_OUTPUT bytes) is printed when it ends.  Exit status: the
 * command's; 124 when it ran out of time; 125 when it could not be
 * started or the options are wrong; 128+N when signal N killed it.  When
 * its processes together reached the memory limit, a line saying so
 * precedes the output.
 *
 * Invariants: those of runner.h (nothing of the run is left when this
 * returns).
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENV 16

/* Parsed options of one --sandbox call. */
struct sandbox_opts {
    struct sandbox_view view;
    struct runner_limits lim;
    char *env[MAX_ENV + 3];
    size_t nro, nrw, nenv;
    char **argv;
};

/* Take one option with its value at argv[*i] into o.  0, or -1 when the
 * option is unknown or a list is full. */
static int take_option(struct sandbox_opts *o, const char *opt,
                       const char *v)
{
    if (!strcmp(opt, "--ro") && o->nro < SANDBOX_MAX_BINDS)
        o->view.ro[o->nro++] = v;
    else if (!strcmp(opt, "--rw") && o->nrw < SANDBOX_MAX_BINDS)
        o->view.rw[o->nrw++] = v;
    else if (!strcmp(opt, "--cwd"))
        o->view.cwd = v;
    else if (!strcmp(opt, "--env") && o->nenv < MAX_ENV)
        o->env[o->nenv++] = (char *)v;
    else if (!strcmp(opt, "--wall"))
        o->lim.wall_seconds = strtod(v, NULL);
    else if (!strcmp(opt, "--cpu"))
        o->lim.cpu_seconds = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(opt, "--mem-mb"))
        o->lim.run_mem_mb = o->lim.mem_mb = strtoul(v, NULL, 10);
    else if (!strcmp(opt, "--nproc"))
        o->lim.nproc = (unsigned)strtoul(v, NULL, 10);
    else if (!strcmp(opt, "--fsize-mb"))
        o->lim.fsize_mb = strtoul(v, NULL, 10);
    else if (!strcmp(opt, "--tmp-mb"))
        o->view.tmp_mb = strtoul(v, NULL, 10);
    else
        return -1;
    return 0;
}

/* Parse argv (after "--sandbox") into o.  0, or -1 after a usage line. */
static int parse(int argc, char **argv, struct sandbox_opts *o)
{
    *o = (struct sandbox_opts){
        .lim = { .wall_seconds = 300, .cpu_seconds = 600, .mem_mb = 2048,
                 .run_mem_mb = 2048, .fsize_mb = 64, .nproc = 128 },
    };
    o->env[o->nenv++] = "PATH=/usr/bin:/bin";
    o->env[o->nenv++] = "LANG=C";
    for (int i = 0; i < argc; i += 2) {
        if (!strcmp(argv[i], "--") && i + 1 < argc) {
            o->argv = argv + i + 1;
            o->lim.view = &o->view;
            return 0;
        }
        if (i + 1 >= argc || take_option(o, argv[i], argv[i + 1]) != 0)
            break;
    }
    fputs("usage: grader --sandbox [--ro PATH]... [--rw PATH]... [--cwd DIR]"
          " [--wall S] [--cpu S] [--mem-mb N] [--nproc N] [--fsize-mb N]"
          " [--tmp-mb N] [--env NAME=VALUE]... -- CMD ARG...\n", stderr);
    return -1;
}

/* See the design comment. */
int runner_cli(int argc, char **argv)
{
    struct sandbox_opts o;
    struct runner_result res;
    if (parse(argc, argv, &o) != 0)
        return 125;
    runner_init();
    if (runner_run(o.argv, o.env, &o.lim, &res) != 0) {
        fprintf(stderr, "grader --sandbox: cannot start %s\n", o.argv[0]);
        return 125;
    }
    if (res.memory_limit_hit)
        printf("sandbox: the processes of this step together reached the "
               "memory limit (%lu MiB)\n", o.lim.run_mem_mb);
    fwrite(res.output, 1, res.output_len, stdout);
    if (res.output_truncated)
        printf("\n[output truncated]\n");
    int rc = res.timed_out      ? 124
             : res.signal != 0  ? 128 + res.signal
             : res.exit_code;
    if (res.timed_out)
        printf("sandbox: %s ran out of time (%.0f s)\n", o.argv[0],
               o.lim.wall_seconds);
    runner_result_free(&res);
    return rc;
}

/*
 * perf_stage.c - the workload the grader times for performance items:
 * one stage (chosen at build time with -DSTAGE_OPS=<phase>_ops), the
 * original projects' machine (stage_config_defaults), system threads
 * running, N user threads on one access pattern.
 *
 *   perf_<phase> THREADS ACCESSES [uniform|walk|hotcold|phases] [hw|soft]
 *
 * Exit status 0 only when every stamp checked out and the audit is clean
 * afterwards: a fast but wrong stage earns no performance points.  Timing
 * is the grader's job (it compares this run with the reference's, measured
 * in the same grading run), so nothing here reads a clock.
 *
 * Invariant: the stage is stopped, audited and destroyed on every path
 * after it was created.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "workload.h"

/* Every optimization of a stage that has them (phase3: enum phase3_option,
 * its header named by STAGE_OPTIONS_HEADER from its build.mk). */
#ifdef STAGE_OPTIONS_HEADER
#include STAGE_OPTIONS_HEADER
#define PERF_OPTIONS PHASE3_OPT_ALL
#else
#define PERF_OPTIONS 0u
#endif

extern const struct stage_ops STAGE_OPS;

/* Parse the command line into the stage and workload configurations.
 * Returns 0, or -1 after printing usage. */
static int parse(int argc, char **argv, struct stage_config *cfg,
                 struct workload_config *wl, unsigned *threads)
{
    stage_config_defaults(cfg);
    workload_defaults(wl);
    char *end1 = NULL, *end2 = NULL;
    if (argc >= 3) {
        *threads = (unsigned)strtoul(argv[1], &end1, 10);
        wl->accesses = strtoull(argv[2], &end2, 10);
    }
    if (argc < 3 || argc > 5 || *end1 != '\0' || *end2 != '\0'
        || *threads < 1 || *threads > 32 || wl->accesses < 1
        || (argc >= 4 && workload_pattern_parse(argv[3], &wl->pattern) != 0)
        || (argc == 5 && machine_mmu_parse(argv[4], &cfg->mmu) != 0)) {
        fprintf(stderr, "usage: %s THREADS(1-32) ACCESSES "
                "[uniform|walk|hotcold|phases] [hw|soft]\n", argv[0]);
        return -1;
    }
    cfg->user_threads = *threads;
    cfg->pagefile_slots = cfg->virtual_pages; /* room for every page */
    cfg->options = PERF_OPTIONS;
    wl->seed = 20261121;
    return 0;
}

/* Run the workload with the system threads going; 0 when it checked
 * out, -1 with the reason printed. */
static int run(struct stage *s, const struct workload_config *wl,
               unsigned threads)
{
    struct workload_result res;
    memset(&res, 0, sizeof res);
    int rc = STAGE_OPS.start(s);
    if (rc != 0) {
        fprintf(stderr, "perf: start: %s\n", strerror(-rc));
        return -1;
    }
    rc = stage_run_workload(&STAGE_OPS, s, wl, threads, &res);
    STAGE_OPS.stop(s);
    if (rc != 0 || res.stamp_errors != 0 || res.access_errors != 0) {
        fprintf(stderr, "perf: workload failed: %s\n", res.first_error);
        return -1;
    }
    printf("perf: %s, %u threads, %llu reads, %llu writes\n", STAGE_OPS.name,
           threads, (unsigned long long)res.reads,
           (unsigned long long)res.writes);
    return 0;
}

int main(int argc, char **argv)
{
    struct stage_config cfg;
    struct workload_config wl;
    unsigned threads = 0;
    char err[256];
    struct stage *s;
    if (parse(argc, argv, &cfg, &wl, &threads) != 0)
        return 2;
    int rc = STAGE_OPS.create(&cfg, &s, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "perf: create: %s\n", err);
        return 1;
    }
    rc = run(s, &wl, threads);
    if (rc == 0 && STAGE_OPS.audit(s, err, sizeof err) != 0) {
        fprintf(stderr, "perf: audit after the run: %s\n", err);
        rc = -1;
    }
    STAGE_OPS.destroy(s);
    return rc == 0 ? 0 : 1;
}

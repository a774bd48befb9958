/*
 * stage_integrity.c - the stage suite's "integrity" case: whole workloads
 * (every pattern, both MMU backends, with and without the phase3 options,
 * once with the system threads started) through stage_run_workload, whose
 * stamp checks catch any lost write (the fixture bounds each run, start and
 * stop: a stuck stage fails within seconds, saying what got stuck); and a seeded random walk of single
 * accesses, trims and write-backs checked against a shadow copy of every
 * page, with the audit run after every step.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "stage_fixture.h"

#define RUN_PAGES 64
#define RUN_FRAMES 8
#define RUN_ACCESSES 20000

/* Run pattern on a fresh stage; assert no stamp or access error, some
 * faults of each kind the pattern must cause, and a clean audit. */
static void run_pattern(enum workload_pattern pattern, enum machine_mmu mmu,
                        uint64_t options, bool start_threads)
{
    struct stage_config cfg;
    struct fx fx;
    struct workload_config wl;
    struct workload_result res;
    fx_config(&cfg, RUN_PAGES, RUN_FRAMES, mmu);
    cfg.options = options;
    fx_open(&fx, &cfg);
    workload_defaults(&wl);
    wl.pattern = pattern;
    wl.accesses = RUN_ACCESSES;
    wl.seed = 42 + (uint64_t)pattern;
    if (start_threads)
        fx_start(&fx);
    char what[160];
    fx_describe_run(&fx, &wl, what, sizeof(what));
    int rc = fx_run_workload(&fx, &wl, 1, &res);
    if (start_threads)
        fx_stop(&fx);
    ck_assert_msg(rc == 0 && res.stamp_errors == 0 && res.access_errors == 0,
                  "%s: %" PRIu64 " stamp / %" PRIu64 " access errors: %s",
                  what, res.stamp_errors, res.access_errors, res.first_error);
    ck_assert_uint_eq(res.reads + res.writes, RUN_ACCESSES);
    ck_assert_uint_gt(stats_get(fx.core->stats, STAT_FAULT_ZERO), 0);
    if (pattern != WORKLOAD_PHASES) /* its working set fits in memory */
        ck_assert_uint_gt(stats_get(fx.core->stats, STAT_PAGE_WRITE), 0);
    fx_close(&fx);
}

/* _i: pattern in the low bits, MMU in bit 2. */
START_TEST(test_workload_keeps_every_stamp)
{
    run_pattern((enum workload_pattern)(_i % WORKLOAD_PATTERN_COUNT),
                _i / WORKLOAD_PATTERN_COUNT ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
                0, false);
}
END_TEST

START_TEST(test_workload_with_every_option_keeps_every_stamp)
{
    run_pattern((enum workload_pattern)(_i % WORKLOAD_PATTERN_COUNT),
                _i / WORKLOAD_PATTERN_COUNT ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
                FX_OPT(ALL), false);
}
END_TEST

START_TEST(test_workload_with_system_threads_keeps_every_stamp)
{
    run_pattern(WORKLOAD_UNIFORM, _i ? MACHINE_MMU_SOFT : MACHINE_MMU_HW, 0,
                true);
}
END_TEST

#define WALK_PAGES 32
#define WALK_FRAMES 4
#define WALK_STEPS 3000

/* The walk's mix: of 8 ways, a trim, a write-back, 3 writes and 3 reads,
 * batches of 1 to 6. */
static const struct fx_walk walk = {
    .pages = WALK_PAGES, .ways = 8, .writebacks = 1, .writes = 3,
    .max_batch = 6,
};

START_TEST(test_random_steps_match_shadow_copy)
{
    struct stage_config cfg;
    struct fx fx;
    uint64_t shadow[WALK_PAGES] = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ull + (uint64_t)_i;
    fx_config(&cfg, WALK_PAGES, WALK_FRAMES,
              _i ? MACHINE_MMU_SOFT : MACHINE_MMU_HW);
    cfg.pagefile_slots = WALK_PAGES - WALK_FRAMES + 1; /* never stuck */
    fx_open(&fx, &cfg);
    for (unsigned step = 1; step <= WALK_STEPS; step++)
        fx_walk_step(&fx, &walk, shadow, &rng, step);
    for (uint64_t v = 0; v < WALK_PAGES; v++)
        assert_stamp(&fx, v, shadow[v]);
    fx_close(&fx);
}
END_TEST

void stage_add_integrity_tests(TCase *tc)
{
    tcase_add_loop_test(tc, test_workload_keeps_every_stamp, 0,
                        2 * WORKLOAD_PATTERN_COUNT);
    tcase_add_loop_test(tc, test_workload_with_every_option_keeps_every_stamp,
                        0, 2 * WORKLOAD_PATTERN_COUNT);
    tcase_add_loop_test(tc, test_workload_with_system_threads_keeps_every_stamp,
                        0, 2);
    tcase_add_loop_test(tc, test_random_steps_match_shadow_copy, 0, 2);
}

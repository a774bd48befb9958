/*
 * check_phase3_hidden.c - phase3-optimized's hidden items: the stress runs
 * and optimization edge cases of check_phase3.c under other parameters
 * (option combinations switched at run time, 3 user threads, other
 * machines, batch sizes, region boundaries, bitmap holes, the end of a
 * smaller range and page file), so a stage tuned to the public tests
 * fails here.  Suite "phase3_hidden" -> build/tests/check_phase3_hidden
 * (tests/phase3/build.mk); left out of student handouts (*_hidden.c).
 *
 * Every test builds its own stage, waits with deadlines
 * (tests/common/bounded_wait.h), and closes it with a clean audit, no lock
 * held and every slot it allocated freed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bounded_wait.h"
#include "check_util.h"
#include "lock.h"
#include "lockorder.h"
#include "p3_fixture.h"
#include "phase3.h"

static enum machine_mmu mmu_of(int i)
{
    return i % 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW;
}

static uint64_t stamp(uint64_t vpn, unsigned v)
{
    return 0x3300000000000000ull | (vpn << 20) | v;
}

/* _i: option combination (4) x mmu (2); 3 user threads, system threads
 * and race amplifier on, hot/cold or phases on a 200-page / 13-frame
 * stage with batches of 5; every stamp must hold. */
START_TEST(test_stress_option_combinations_three_threads)
{
    static const uint64_t combos[] = {
        PHASE3_OPT_BATCH_TRIM | PHASE3_OPT_BATCH_WRITE | PHASE3_OPT_READ_AHEAD,
        PHASE3_OPT_FRAME_CACHE | PHASE3_OPT_SPIN_LOCKS | PHASE3_OPT_AGING,
        PHASE3_OPT_LOCKFREE_FAST | PHASE3_OPT_MULTI_WRITER
            | PHASE3_OPT_DIRECT_RECLAIM | PHASE3_OPT_UNLISTED_ACTIVE,
        PHASE3_OPT_ALL & ~(PHASE3_OPT_FRAME_CACHE | PHASE3_OPT_BATCH_TRIM),
    };
    enum { THREADS = 3, ACCESSES = 2500 };
    uint64_t options = combos[_i / 2];
    struct p3 x;
    struct workload_config wl;
    p3fx_open_batch(&x, 200, 13, 200, mmu_of(_i), options, THREADS, 5);
    lock_amplifier_enable(0);
    workload_defaults(&wl);
    wl.pattern = _i / 2 % 2 ? WORKLOAD_PHASES : WORKLOAD_HOTCOLD;
    wl.accesses = ACCESSES;
    wl.hot_percent = 25;
    wl.hot_access_percent = 75;
    wl.phase_length = 600;
    wl.phase_pages_percent = 12;
    wl.seed = 6007 + 13 * (uint64_t)_i;
    ck_assert_int_eq(phase3_ops.start(x.s), 0);
    struct bounded_run run;
    ck_assert_int_eq(bounded_run_start(&run, &phase3_ops, x.s, &wl, THREADS),
                     0);
    enum bounded_run_state st;
    while ((st = bounded_run_wait(&run, 100)) == BOUNDED_RUN_RUNNING)
        ;
    ck_assert_msg(st == BOUNDED_RUN_DONE, "3 threads, options %#" PRIx64
                  ": no access done in %.0f s (%" PRIu64 " done): a user "
                  "thread waits for something that never comes", options,
                  bounded_wait_seconds(), bounded_run_accesses(&run));
    phase3_ops.stop(x.s);
    lock_amplifier_disable();
    const struct workload_result *res = &run.res;
    ck_assert_msg(run.rc == 0 && res->stamp_errors == 0 &&
                      res->access_errors == 0,
                  "3 threads %s options %#" PRIx64 ": %s",
                  machine_mmu_name(mmu_of(_i)), options, res->first_error);
    ck_assert_uint_eq(res->reads + res->writes, (uint64_t)ACCESSES * THREADS);
    ck_assert_uint_gt(p3fx_stat(&x, STAT_TRIM), 0);
    p3fx_close(&x);
}
END_TEST

/* _i: batching on/off (_i % 2) x mmu (_i / 2).  Pages 125..130 straddle
 * regions 1 and 2: with batching one unmap call covers all six, without
 * it one call per page; the PTEs and frames say modified. */
START_TEST(test_trim_batch_of_six_spans_other_boundary)
{
    struct p3 x;
    bool batching = _i % 2 == 0;
    p3fx_open_batch(&x, 300, 40, 300, mmu_of(_i / 2),
                    batching ? PHASE3_OPT_BATCH_TRIM : 0, 1, 6);
    for (uint64_t v = 125; v < 131; v++)
        p3fx_put(&x, v, stamp(v, 1));
    struct machine_counters before, after;
    machine_counters(x.m, &before);
    ck_assert_int_eq(phase3_ops.trim(x.s, 6), 6);
    machine_counters(x.m, &after);
    ck_assert_uint_eq(after.unmap_pages - before.unmap_pages, 6);
    ck_assert_uint_eq(after.unmap_calls - before.unmap_calls,
                      batching ? 1 : 6);
    for (uint64_t v = 125; v < 131; v++) {
        pte_t p = p3fx_pte(&x, v);
        ck_assert_int_eq(pte_format(p), PTE_TRANSITION);
        ck_assert_int_eq(pfn_get(&x.core->pfns, pte_frame(p))->state,
                         PFN_MODIFIED);
    }
    ck_assert_uint_eq(p3fx_stat(&x, STAT_TRIM), 6);
    for (uint64_t v = 125; v < 131; v++)
        ck_assert_uint_eq(p3fx_get(&x, v), stamp(v, 1));
    p3fx_close(&x);
}
END_TEST

/* _i: mmu.  Six modified pages, free slots only at 0, 7-9, 33 and 62:
 * four runs, four vectored writes, each page's bytes in its frame's slot. */
START_TEST(test_write_runs_from_other_holes)
{
    static const uint64_t holes[] = {0, 7, 8, 9, 33, 62};
    enum { N = 6 };
    struct p3 x;
    p3fx_open_batch(&x, 64, 16, 64, mmu_of(_i),
                    PHASE3_OPT_BATCH_WRITE | PHASE3_OPT_BATCH_TRIM, 1, 8);
    for (uint64_t v = 0; v < N; v++)
        p3fx_put(&x, 20 + v, stamp(20 + v, 2));
    while (phase3_ops.trim(x.s, 8) > 0)
        ;
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_MODIFIED), N);
    struct pagefile *pf = x.core->pagefile;
    uint64_t slot, filled = 0;
    while (pagefile_alloc(pf, &slot) == 0)
        filled++;
    ck_assert_uint_eq(filled, 64);
    for (size_t i = 0; i < N; i++)
        pagefile_free(pf, holes[i]);
    uint64_t calls = pagefile_io_calls(pf, PAGEFILE_OP_WRITE);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), N);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE) - calls, 4);
    static uint64_t page[MACHINE_PAGE_SIZE / 8];
    for (uint64_t v = 20; v < 20 + N; v++) {
        struct pfn *p = pfn_get(&x.core->pfns, pte_frame(p3fx_pte(&x, v)));
        ck_assert_int_eq(p->state, PFN_STANDBY);
        ck_assert_int_eq(pagefile_read(pf, p->slot, page), 0);
        ck_assert_uint_eq(page[0], stamp(v, 2));
    }
    for (uint64_t s = 0; s < 64; s++) {
        bool hole = false;
        for (size_t i = 0; i < N; i++)
            hole |= holes[i] == s;
        if (!hole)
            pagefile_free(pf, s);
    }
    p3fx_close(&x);
}
END_TEST

/* _i: mmu.  A 48-page range with 6 frames: its last six pages sit in the
 * page file's last slots; a sequential read from page 45 reads ahead 46
 * and 47 only (the end of the range and of the file), which then fault
 * without a disk read. */
START_TEST(test_read_ahead_stops_at_end_of_smaller_range)
{
    enum { PAGES = 48, FRAMES = 6 };
    struct p3 x;
    p3fx_open_batch(&x, PAGES, FRAMES, PAGES, mmu_of(_i),
                    PHASE3_OPT_READ_AHEAD | PHASE3_OPT_BATCH_WRITE
                    | PHASE3_OPT_BATCH_TRIM, 1, 8);
    uint64_t slot;
    for (int i = 0; i < PAGES - FRAMES; i++)
        ck_assert_int_eq(pagefile_alloc(x.core->pagefile, &slot), 0);
    for (uint64_t v = PAGES - FRAMES; v < PAGES; v++)
        p3fx_put(&x, v, stamp(v, 3));
    while (phase3_ops.trim(x.s, 64) > 0)
        ;
    while (phase3_ops.write_modified(x.s, 64) > 0)
        ;
    phase3_cache_drain(x.s);
    for (uint64_t v = 0; v < FRAMES; v++)
        (void)p3fx_get(&x, v);
    for (uint64_t v = PAGES - FRAMES; v < PAGES; v++)
        ck_assert_int_eq(pte_format(p3fx_pte(&x, v)), PTE_DISK);
    ck_assert_uint_eq(pte_slot(p3fx_pte(&x, PAGES - 1)), PAGES - 1);
    for (uint64_t s = 0; s < PAGES - FRAMES; s++)
        pagefile_free(x.core->pagefile, s);
    ck_assert_uint_eq(p3fx_get(&x, PAGES - 4), stamp(PAGES - 4, 3));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_READ_AHEAD), 0);
    ck_assert_uint_eq(p3fx_get(&x, PAGES - 3), stamp(PAGES - 3, 3));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_READ_AHEAD), 2);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, PAGES - 2)), PTE_TRANSITION);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, PAGES - 1)), PTE_TRANSITION);
    uint64_t reads = p3fx_stat(&x, STAT_FAULT_DISK);
    ck_assert_uint_eq(p3fx_get(&x, PAGES - 2), stamp(PAGES - 2, 3));
    ck_assert_uint_eq(p3fx_get(&x, PAGES - 1), stamp(PAGES - 1, 3));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_FAULT_DISK), reads);
    p3fx_close(&x);
}
END_TEST

/* _i: mmu.  A full page file (exactly the minimum) with every frame
 * dirty, options on: a disk fault comes back -ENOSPC, nothing is lost. */
START_TEST(test_minimum_pagefile_full_with_options_is_enospc)
{
    enum { PAGES = 29, FRAMES = 5 };
    struct p3 x;
    p3fx_open_batch(&x, PAGES, FRAMES, PAGES - FRAMES, mmu_of(_i),
                    PHASE3_OPT_BATCH_TRIM | PHASE3_OPT_BATCH_WRITE | PHASE3_OPT_READ_AHEAD
                    | PHASE3_OPT_AGING, 1, 3);
    for (uint64_t v = PAGES; v-- > 0;)
        p3fx_put(&x, v, stamp(v, 4));
    ck_assert_uint_eq(pagefile_in_use(x.core->pagefile), PAGES - FRAMES);
    uint64_t victim = PAGES, word;
    for (uint64_t v = 0; v < PAGES && victim == PAGES; v++)
        if (pte_format(p3fx_pte(&x, v)) == PTE_DISK)
            victim = v;
    ck_assert_uint_lt(victim, PAGES);
    ck_assert_int_eq(machine_read64(x.m, p3fx_va(&x, victim), &word), -ENOSPC);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, victim)), PTE_DISK);
    p3fx_audit(&x);
    for (uint64_t v = 0; v < PAGES; v++)
        if (pte_format(p3fx_pte(&x, v)) != PTE_DISK)
            ck_assert_uint_eq(p3fx_get(&x, v), stamp(v, 4));
    ck_assert_uint_eq(pagefile_in_use(x.core->pagefile), PAGES - FRAMES);
    p3fx_close(&x);
}
END_TEST

static Suite *make_phase3_hidden_suite(void)
{
    Suite *s = suite_create("phase3_hidden");
    TCase *core = check_util_tcase(s, "core", "hidden", 120);
    tcase_add_loop_test(core, test_stress_option_combinations_three_threads,
                        0, 8);
    tcase_add_loop_test(core, test_trim_batch_of_six_spans_other_boundary, 0, 4);
    tcase_add_loop_test(core, test_write_runs_from_other_holes, 0, 2);
    tcase_add_loop_test(core, test_read_ahead_stops_at_end_of_smaller_range,
                        0, 2);
    TCase *limits = check_util_tcase(s, "limits", "hidden", 60);
    tcase_add_loop_test(limits, test_minimum_pagefile_full_with_options_is_enospc,
                        0, 2);
    return s;
}

CHECK_MAIN(make_phase3_hidden_suite)

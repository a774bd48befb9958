/*
 * check_stage_hidden.c - the stage suite's hidden items: the behaviours of
 * the public stage suite (tests/stage/) checked under other parameters, so
 * a stage tuned to the public machine (64 pages, 8 frames, batches of 4,
 * the public pages, seeds and patterns) fails here.  Built once per phase
 * (tests/stage/build.mk) into build/tests/check_stage_hidden_<phase>, suite
 * "stage_hidden"; left out of student handouts (*_hidden.c).
 *
 *   core       every transition on odd machines (2, 3, 11 frames; page
 *              counts that are not powers of two; a page file of exactly
 *              its minimum + 1 slots), at the last page of the range;
 *              repurpose with 2 and 3 frames; the accessed bit honoured
 *              whatever the clock hand's position.
 *   limits     a full page file of exactly the minimum size on other
 *              machines: -ENOSPC, nothing lost.
 *   integrity  workloads with other seeds, sizes and pattern parameters
 *              (hot/cold 20/80, short phases, walks with 35% jumps, 70%
 *              writes), subsets of the phase3 options, the system threads
 *              with other patterns, and longer random walks against a
 *              shadow copy, on both MMUs.
 *
 * Every test asserts PTEs, PFN states, list counts, page-file I/O and
 * stamps, and closes with a clean audit and every descriptor closed
 * (fx_close).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "stage/stage_fixture.h"

/* The odd machines: pages, frames (page file: pages - frames + 1). */
static const struct {
    uint64_t pages, frames;
} odd[] = {{5, 2}, {37, 3}, {97, 11}};
#define NODD (sizeof(odd) / sizeof(odd[0]))

static enum machine_mmu mmu_of(int i)
{
    return i % 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW;
}

/* Open pages / frames on mmu with a page file of the minimum + 1. */
static void open_odd(struct fx *fx, uint64_t pages, uint64_t frames,
                     enum machine_mmu mmu)
{
    struct stage_config cfg;
    fx_config(&cfg, pages, frames, mmu);
    cfg.pagefile_slots = pages - frames + 1;
    fx_open(fx, &cfg);
}

/* Frames on the four lists add up to the machine's frames. */
static void assert_frames_accounted(struct fx *fx, uint64_t frames)
{
    uint64_t n = pfn_count(&fx->core->pfns, PFN_FREE)
               + pfn_count(&fx->core->pfns, PFN_ACTIVE)
               + pfn_count(&fx->core->pfns, PFN_MODIFIED)
               + pfn_count(&fx->core->pfns, PFN_STANDBY);
    ck_assert_msg(n == frames, "lists hold %" PRIu64 " frames, expected %"
                  PRIu64, n, frames);
}

/* _i: machine in odd[_i / 2], MMU _i % 2.  The whole cycle on the last
 * page: zero -> valid dirty -> modified -> standby -> rescued -> disk ->
 * read back -> written (slot released); then every page written and read
 * back through the tiny memory. */
START_TEST(test_every_transition_at_last_page_of_odd_machine)
{
    struct fx fx;
    uint64_t pages = odd[_i / 2].pages, frames = odd[_i / 2].frames;
    uint64_t last = pages - 1, word;
    open_odd(&fx, pages, frames, mmu_of(_i));
    assert_pte_zero(&fx, last);
    ck_assert_int_eq(fx_write(&fx, last, fx_stamp(last, 1)), 0);
    uint64_t frame = assert_pte_valid(&fx, last, true, true);
    assert_lists(&fx, frames - 1, 1, 0, 0);
    ck_assert_int_eq(fx.ops->trim(fx.s, 3), 1);
    ck_assert_uint_eq(assert_pte_transition(&fx, last, PFN_MODIFIED), frame);
    assert_lists(&fx, frames - 1, 0, 1, 0);
    assert_io(&fx, 0, 0, 0, 0);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, 3), 1);
    ck_assert_uint_eq(assert_pte_transition(&fx, last, PFN_STANDBY), frame);
    uint64_t slot = pfn_get(&fx.core->pfns, frame)->slot;
    ck_assert(pagefile_slot_in_use(fx.pf, slot));
    assert_lists(&fx, frames - 1, 0, 0, 1);
    assert_io(&fx, 0, 0, 1, 1);
    assert_stamp(&fx, last, fx_stamp(last, 1));
    ck_assert_uint_eq(assert_pte_valid(&fx, last, false, false), frame);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), 1);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_RESCUE_STANDBY), 1);
    assert_audit_clean(&fx);
    slot = fx_push_to_disk(&fx, last, fx_stamp(last, 2));
    uint64_t reads = pagefile_pages_moved(fx.pf, PAGEFILE_OP_READ);
    assert_stamp(&fx, last, fx_stamp(last, 2));
    assert_pte_valid(&fx, last, false, ANY);
    ck_assert_uint_eq(pagefile_pages_moved(fx.pf, PAGEFILE_OP_READ), reads + 1);
    ck_assert_int_eq(fx_write(&fx, last, fx_stamp(last, 3)), 0);
    assert_pte_valid(&fx, last, true, true);
    ck_assert(!pagefile_slot_in_use(fx.pf, slot));
    ck_assert_int_eq(fx.ops->fault(fx.s, fx_va(&fx, pages), false), -EFAULT);
    for (uint64_t v = 0; v < pages; v++)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 4)), 0);
    assert_audit_clean(&fx);
    for (uint64_t v = pages; v-- > 0;)
        assert_stamp(&fx, v, fx_stamp(v, 4));
    ck_assert_int_eq(fx_read(&fx, last, &word), 0);
    assert_frames_accounted(&fx, frames);
    ck_assert_uint_le(pagefile_in_use(fx.pf), pages - frames + 1);
    fx_close(&fx);
}
END_TEST

/* _i: 2 or 3 frames (_i / 2), MMU _i % 2.  With every frame taken, a
 * fault takes the standby frame: the old owner becomes a disk page in the
 * slot it was written to, and its stamp comes back from there. */
START_TEST(test_repurpose_on_tiny_machine)
{
    struct fx fx;
    uint64_t frames = 2 + (uint64_t)(_i / 2), pages = 23, word;
    open_odd(&fx, pages, frames, mmu_of(_i));
    uint64_t frame = fx_make_standby(&fx, 17, fx_stamp(17, 1));
    uint64_t slot = pfn_get(&fx.core->pfns, frame)->slot;
    for (uint64_t v = 1; v < frames; v++)
        ck_assert_int_eq(fx_read(&fx, 3 * v, &word), 0);
    assert_lists(&fx, 0, frames - 1, 0, 1);
    ck_assert_int_eq(fx_write(&fx, 22, fx_stamp(22, 1)), 0);
    ck_assert_uint_eq(assert_pte_disk(&fx, 17), slot);
    ck_assert_uint_eq(assert_pte_valid(&fx, 22, true, true), frame);
    assert_lists(&fx, 0, frames, 0, 0);
    assert_io(&fx, 0, 0, 1, 1);
    ck_assert_uint_eq(stats_get(fx.core->stats, STAT_REPURPOSE), 1);
    assert_audit_clean(&fx);
    assert_stamp(&fx, 17, fx_stamp(17, 1));
    assert_pte_valid(&fx, 17, false, ANY);
    assert_stamp(&fx, 22, fx_stamp(22, 1));
    assert_frames_accounted(&fx, frames);
    fx_close(&fx);
}
END_TEST

/* Soft MMU (every access sets the accessed bit).  Clear the accessed bit
 * of every resident page (as a clock pass does), touch all of them but
 * one: the next trim must take that one, wherever the clock hand stands
 * and in whatever order the clock visits pages; four rounds, the page
 * left untouched chosen in a different place each time. */
START_TEST(test_trim_takes_the_one_unaccessed_page)
{
    static const uint64_t vpns[] = {41, 6, 29, 53, 12, 60};
    static const size_t skips[] = {3, 0, 5, 2};
    const size_t n = sizeof(vpns) / sizeof(vpns[0]);
    struct fx fx;
    uint64_t word;
    bool trimmed[6] = {false};
    fx_open_small(&fx, 1);
    for (size_t k = 0; k < n; k++)
        ck_assert_int_eq(fx_write(&fx, vpns[k], fx_stamp(vpns[k], 1)), 0);
    for (size_t round = 0; round < 4; round++) {
        size_t skip = skips[round];
        for (size_t k = 0; k < n; k++) {
            pte_t p = fx_pte(&fx, vpns[k]);
            if (!trimmed[k])
                pte_store(&fx.core->ptes[vpns[k]], pte_with_accessed(p, false));
        }
        for (size_t k = 0; k < n; k++)
            if (!trimmed[k] && k != skip)
                ck_assert_int_eq(fx_read(&fx, vpns[k], &word), 0);
        ck_assert(!pte_accessed(fx_pte(&fx, vpns[skip])));
        ck_assert_int_eq(fx.ops->trim(fx.s, 1), 1);
        assert_pte_transition(&fx, vpns[skip], PFN_MODIFIED);
        trimmed[skip] = true;
        for (size_t k = 0; k < n; k++)
            if (!trimmed[k])
                assert_pte_valid(&fx, vpns[k], true, true);
        assert_audit_clean(&fx);
    }
    assert_lists(&fx, FX_FRAMES - n, n - 4, 4, 0);
    for (size_t k = 0; k < n; k++)
        assert_stamp(&fx, vpns[k], fx_stamp(vpns[k], 1));
    fx_close(&fx);
}
END_TEST

/* _i: machine (_i / 2: 11 pages / 3 frames, 23 / 5), MMU _i % 2; the page
 * file has exactly the minimum.  Write-back of the last dirty frames must
 * fail with -ENOSPC, a disk fault with no frame to take too, and no
 * stamp may be lost. */
START_TEST(test_minimum_pagefile_full_keeps_every_stamp)
{
    struct stage_config cfg;
    struct fx fx;
    uint64_t word;
    uint64_t pages = _i / 2 ? 23 : 11, frames = _i / 2 ? 5 : 3;
    fx_config(&cfg, pages, frames, mmu_of(_i));
    cfg.pagefile_slots = pages - frames;
    fx_open(&fx, &cfg);
    for (uint64_t v = pages; v-- > 0;)
        ck_assert_int_eq(fx_write(&fx, v, fx_stamp(v, 7)), 0);
    fx_trim_all(&fx);
    ck_assert_int_eq(fx.ops->write_modified(fx.s, 2), -ENOSPC);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), pages - frames);
    assert_lists(&fx, 0, 0, frames, 0);
    uint64_t on_disk = 0;
    for (uint64_t v = 0; v < pages; v++) {
        if (pte_format(fx_pte(&fx, v)) == PTE_DISK) {
            on_disk++;
            ck_assert_int_eq(fx_read(&fx, v, &word), -ENOSPC);
        }
    }
    ck_assert_uint_eq(on_disk, pages - frames);
    assert_audit_clean(&fx);
    for (uint64_t v = 0; v < pages; v++)
        if (pte_format(fx_pte(&fx, v)) == PTE_TRANSITION)
            assert_stamp(&fx, v, fx_stamp(v, 7));
    assert_lists(&fx, 0, frames, 0, 0);
    ck_assert_uint_eq(pagefile_in_use(fx.pf), pages - frames);
    assert_audit_clean(&fx);
    fx_close(&fx);
}
END_TEST

/* One workload run on pages / frames (page file minimum + 1) with the
 * hidden parameters; asserts every stamp, every access, faults of each
 * kind the run must cause, and the frames accounted for. */
static void run_hidden(uint64_t pages, uint64_t frames,
                       enum workload_pattern pattern, enum machine_mmu mmu,
                       uint64_t options, bool threads, uint64_t seed)
{
    struct fx fx;
    struct stage_config cfg;
    struct workload_config wl;
    struct workload_result res;
    fx_config(&cfg, pages, frames, mmu);
    /* page file of the minimum + 1; with the system threads running, as
     * many slots as pages (the trimmer may keep clean pages' slots) */
    cfg.pagefile_slots = threads ? pages : pages - frames + 1;
    cfg.trim_batch = 3;
    cfg.write_batch = 5;
    cfg.options = options;
    fx_open(&fx, &cfg);
    workload_defaults(&wl);
    wl.pattern = pattern;
    wl.accesses = 12000;
    wl.write_percent = 70;
    wl.jump_percent = 35;
    wl.hot_percent = 20;
    wl.hot_access_percent = 80;
    wl.phase_length = 2500;
    wl.phase_pages_percent = 30;
    wl.seed = seed;
    if (threads)
        fx_start(&fx);
    char what[160];
    fx_describe_run(&fx, &wl, what, sizeof(what));
    int rc = fx_run_workload(&fx, &wl, 1, &res);
    if (threads)
        fx_stop(&fx);
    ck_assert_msg(rc == 0 && res.stamp_errors == 0 && res.access_errors == 0,
                  "%s, %" PRIu64 " pages / %" PRIu64 " frames, seed %" PRIu64
                  ": %" PRIu64 " stamp / %" PRIu64 " access errors: %s",
                  what, pages, frames, seed, res.stamp_errors,
                  res.access_errors, res.first_error);
    ck_assert_uint_eq(res.reads + res.writes, wl.accesses);
    ck_assert_uint_gt(stats_get(fx.core->stats, STAT_FAULT_ZERO), 0);
    ck_assert_uint_gt(stats_get(fx.core->stats, STAT_PAGE_WRITE), 0);
    if (pattern != WORKLOAD_WALK) /* a walk seldom comes back */
        ck_assert_uint_gt(stats_get(fx.core->stats, STAT_FAULT_DISK), 0);
    assert_frames_accounted(&fx, frames);
    fx_close(&fx);
}

/* _i: pattern _i % 4, MMU (_i / 4) % 2, machine _i / 8 (100 pages / 7
 * frames, then 9 pages / 2 frames). */
START_TEST(test_workload_other_seeds_and_sizes_keeps_every_stamp)
{
    bool tiny = _i >= 8;
    run_hidden(tiny ? 9 : 100, tiny ? 2 : 7,
               (enum workload_pattern)(_i % WORKLOAD_PATTERN_COUNT),
               mmu_of(_i / 4), 0, false, 7919u * (uint64_t)(_i + 3));
}
END_TEST

/* _i: an option subset, pattern and MMU (phase1/2 accept and ignore the
 * options). */
START_TEST(test_workload_with_option_subsets_keeps_every_stamp)
{
    static const uint64_t opts[] = {
        FX_OPT(BATCH_TRIM) | FX_OPT(READ_AHEAD),
        FX_OPT(BATCH_WRITE) | FX_OPT(AGING) | FX_OPT(FRAME_CACHE),
        FX_OPT(LOCKFREE_FAST) | FX_OPT(UNLISTED_ACTIVE)
            | FX_OPT(DIRECT_RECLAIM),
        FX_OPT(ALL) & ~FX_OPT(BATCH_WRITE),
    };
    run_hidden(61, 5, (enum workload_pattern)((_i + 1) % WORKLOAD_PATTERN_COUNT),
               mmu_of(_i), opts[_i], false, 0xabcdefu + (uint64_t)_i);
}
END_TEST

/* _i: hot/cold then walk, MMU _i % 2, with the system threads running. */
START_TEST(test_workload_other_patterns_with_system_threads)
{
    run_hidden(53, 4, _i / 2 ? WORKLOAD_WALK : WORKLOAD_HOTCOLD, mmu_of(_i),
               0, true, 31337u + (uint64_t)_i);
}
END_TEST

/* _i: machine (_i / 2: 45 pages / 3 frames, 13 / 2), MMU _i % 2, a seed
 * of its own; page file of the minimum + 1. */
START_TEST(test_longer_random_walk_matches_shadow_copy)
{
    struct fx fx;
    uint64_t shadow[45] = {0};
    uint64_t pages = _i / 2 ? 13 : 45, frames = _i / 2 ? 2 : 3;
    uint64_t rng = 0x2545f4914f6cdd1dull * (uint64_t)(_i + 11);
    open_odd(&fx, pages, frames, mmu_of(_i));
    /* of 10 ways: a trim, 2 write-backs, 3 writes, 4 reads; batches of
     * 1 to 9 */
    const struct fx_walk walk = {
        .pages = pages, .ways = 10, .writebacks = 2, .writes = 3,
        .max_batch = 9,
    };
    for (unsigned step = 1; step <= 5000; step++)
        fx_walk_step(&fx, &walk, shadow, &rng, step);
    for (uint64_t v = 0; v < pages; v++)
        assert_stamp(&fx, v, shadow[v]);
    assert_frames_accounted(&fx, frames);
    fx_close(&fx);
}
END_TEST

static Suite *make_stage_hidden_suite(void)
{
    Suite *s = suite_create("stage_hidden");
    TCase *core = check_util_tcase(s, "core", "hidden", 30);
    tcase_add_loop_test(core, test_every_transition_at_last_page_of_odd_machine,
                        0, 2 * NODD);
    tcase_add_loop_test(core, test_repurpose_on_tiny_machine, 0, 4);
    tcase_add_test(core, test_trim_takes_the_one_unaccessed_page);
    TCase *limits = check_util_tcase(s, "limits", "hidden", 30);
    tcase_add_loop_test(limits, test_minimum_pagefile_full_keeps_every_stamp,
                        0, 4);
    TCase *integrity = check_util_tcase(s, "integrity", "hidden", 120);
    tcase_add_loop_test(integrity,
                        test_workload_other_seeds_and_sizes_keeps_every_stamp,
                        0, 4 * WORKLOAD_PATTERN_COUNT);
    tcase_add_loop_test(integrity,
                        test_workload_with_option_subsets_keeps_every_stamp,
                        0, 4);
    tcase_add_loop_test(integrity,
                        test_workload_other_patterns_with_system_threads,
                        0, 4);
    tcase_add_loop_test(integrity, test_longer_random_walk_matches_shadow_copy,
                        0, 4);
    return s;
}

CHECK_MAIN(make_stage_hidden_suite)

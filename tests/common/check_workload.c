/*
 * check_workload.c - the workload: every pattern runs clean on a machine
 * that never loses data, each pattern touches the pages it should, and
 * every kind of lost write (an old version, a zeroed page, a page from
 * elsewhere, an unzeroed frame) is caught and described; pooled shares
 * make the same total, drawn by whichever thread asks.
 *
 * The rig is a machine with one frame per page whose fault handler maps
 * frame = vpn (zeroing it the first time), so nothing is ever evicted.
 * Loop tests run once per MMU: _i indexes rig_mmus.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "machine.h"
#include "stats.h"
#include "workload.h"

#define RIG_PAGES 64
#define RIG_THREADS 4

static const enum machine_mmu rig_mmus[2] = {MACHINE_MMU_SOFT,
                                             MACHINE_MMU_HW};

struct rig {
    struct machine *m;
    pte_cell_t *ptes;
    bool zero_on_map;          /* false: hand out frames as they are */
    _Atomic int fail_vpn;      /* >= 0: the handler fails this page */
    _Atomic int read_only_vpn; /* >= 0: mapped read-only, writes fail */
};

/* Map frame = vpn read-write (read_only_vpn: read-only, and a write fault
 * fails), zeroing it on the first map. */
static int rig_fault(void *ctx, uint64_t va, bool is_write)
{
    struct rig *r = ctx;
    uint64_t vpn = machine_vpn(r->m, va);
    bool writable = (int64_t)vpn != atomic_load(&r->read_only_vpn);
    if ((int64_t)vpn == atomic_load(&r->fail_vpn) || (is_write && !writable))
        return -ENOSPC;
    if (pte_load(&r->ptes[vpn]) == pte_make_zero() && r->zero_on_map)
        memset(machine_frame(r->m, vpn), 0, MACHINE_PAGE_SIZE);
    pte_store(&r->ptes[vpn], pte_make_valid(vpn, writable, false, false));
    return machine_map(r->m, vpn, vpn, writable);
}

static void rig_open(struct rig *r, enum machine_mmu mmu)
{
    memset(r, 0, sizeof(*r));
    r->zero_on_map = true;
    atomic_store(&r->fail_vpn, -1);
    atomic_store(&r->read_only_vpn, -1);
    r->ptes = calloc(RIG_PAGES, sizeof(*r->ptes));
    ck_assert_ptr_nonnull(r->ptes);
    struct machine_config cfg = {
        .nframes = RIG_PAGES, .virtual_pages = RIG_PAGES, .mmu = mmu};
    char err[256];
    ck_assert_int_eq(machine_create(&cfg, &r->m, err, sizeof(err)), 0);
    machine_set_fault_handler(r->m, rig_fault, r);
    machine_set_page_table(r->m, r->ptes);
}

static void rig_close(struct rig *r)
{
    machine_destroy(r->m);
    free(r->ptes);
}

static uint64_t rig_faults(const struct rig *r)
{
    struct machine_counters c;
    machine_counters(r->m, &c);
    return c.faults;
}

/* Version word of page vpn, through the kernel window (frame = vpn). */
static uint64_t *rig_stamp(struct rig *r, uint64_t vpn)
{
    return machine_frame(r->m, vpn);
}

static struct workload_config small_config(enum workload_pattern p)
{
    struct workload_config cfg;
    workload_defaults(&cfg);
    cfg.pattern = p;
    cfg.accesses = 3000;
    cfg.phase_length = 500;
    cfg.seed = 42;
    return cfg;
}

/* One thread of a multithreaded run. */
struct runner {
    struct workload_run *run;
    struct stats *stats;
    unsigned index;
    int rc;
    struct workload_result res;
};

static void *runner_main(void *arg)
{
    struct runner *w = arg;
    w->rc = workload_thread_run(w->run, w->index, w->stats, &w->res);
    return NULL;
}

/* Run cfg with n threads on r; merge into *total; return how many threads
 * returned nonzero. */
static int run_threads(struct rig *r, const struct workload_config *cfg,
                       unsigned n, struct stats *stats,
                       struct workload_result *total)
{
    struct workload_run *run = workload_run_create(cfg, r->m, n);
    ck_assert_ptr_nonnull(run);
    struct runner w[RIG_THREADS];
    pthread_t t[RIG_THREADS];
    ck_assert_uint_le(n, RIG_THREADS);
    for (unsigned i = 0; i < n; i++) {
        w[i] = (struct runner){.run = run, .stats = stats, .index = i};
        ck_assert_int_eq(pthread_create(&t[i], NULL, runner_main, &w[i]), 0);
    }
    int bad = 0;
    memset(total, 0, sizeof(*total));
    for (unsigned i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        bad += w[i].rc != 0;
        workload_result_merge(total, &w[i].res);
    }
    workload_run_destroy(run);
    return bad;
}

START_TEST(test_every_pattern_runs_clean_with_threads)
{
    for (int p = 0; p < WORKLOAD_PATTERN_COUNT; p++) {
        struct rig r;
        rig_open(&r, rig_mmus[_i]);
        struct stats *stats = stats_create();
        ck_assert_ptr_nonnull(stats);
        struct workload_config cfg = small_config((enum workload_pattern)p);
        struct workload_result res;
        int bad = run_threads(&r, &cfg, RIG_THREADS, stats, &res);
        ck_assert_msg(bad == 0, "%s: %s", workload_pattern_name(p),
                      res.first_error);
        ck_assert_uint_eq(res.stamp_errors + res.access_errors, 0);
        ck_assert_str_eq(res.first_error, "");
        ck_assert_uint_eq(res.reads + res.writes, RIG_THREADS * cfg.accesses);
        ck_assert_uint_gt(res.writes, 0);
        ck_assert_uint_eq(stats_get(stats, STAT_ACCESSES),
                          RIG_THREADS * cfg.accesses);
        stats_destroy(stats);
        rig_close(&r);
    }
}
END_TEST

START_TEST(test_pooled_shares_make_the_total_with_threads)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    struct stats *stats = stats_create();
    ck_assert_ptr_nonnull(stats);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    cfg.pooled_shares = true; /* 4 x 3000: not a whole number of chunks */
    struct workload_result res;
    int bad = run_threads(&r, &cfg, RIG_THREADS, stats, &res);
    ck_assert_msg(bad == 0, "%s", res.first_error);
    ck_assert_uint_eq(res.stamp_errors + res.access_errors, 0);
    ck_assert_uint_eq(res.reads + res.writes, RIG_THREADS * cfg.accesses);
    ck_assert_uint_eq(stats_get(stats, STAT_ACCESSES),
                      RIG_THREADS * cfg.accesses);
    stats_destroy(stats);
    rig_close(&r);
}
END_TEST

/* Pooled shares go to whoever draws: thread 0 run to the end on its own
 * makes every access of the run, and thread 1, run after it, none; with
 * fixed shares each makes its own.  Both check every stamp. */
START_TEST(test_pooled_shares_go_to_whoever_draws)
{
    for (int pooled = 0; pooled <= 1; pooled++) {
        struct rig r;
        rig_open(&r, MACHINE_MMU_SOFT);
        struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
        cfg.pooled_shares = pooled;
        struct workload_run *run = workload_run_create(&cfg, r.m, 2);
        ck_assert_ptr_nonnull(run);
        struct workload_result first, second;
        ck_assert_int_eq(workload_thread_run(run, 0, NULL, &first), 0);
        ck_assert_int_eq(workload_thread_run(run, 1, NULL, &second), 0);
        ck_assert_uint_eq(first.reads + first.writes,
                          pooled ? 2 * cfg.accesses : cfg.accesses);
        ck_assert_uint_eq(second.reads + second.writes,
                          pooled ? 0 : cfg.accesses);
        workload_run_destroy(run);
        rig_close(&r);
    }
}
END_TEST

/* Distinct pages one thread touches with cfg (each faults exactly once). */
static uint64_t pages_touched(const struct workload_config *cfg)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct workload_result res;
    ck_assert_int_eq(run_threads(&r, cfg, 1, NULL, &res), 0);
    uint64_t faults = rig_faults(&r);
    rig_close(&r);
    return faults;
}

START_TEST(test_patterns_touch_the_pages_they_promise)
{
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    ck_assert_uint_eq(pages_touched(&cfg), RIG_PAGES);
    cfg.pattern = WORKLOAD_WALK; /* 512 words a page, no jumps */
    cfg.jump_percent = 0;
    cfg.accesses = 512 * 5;
    uint64_t walked = pages_touched(&cfg);
    ck_assert_uint_ge(walked, 5);
    ck_assert_uint_le(walked, 6);
    cfg.pattern = WORKLOAD_HOTCOLD; /* all accesses to the hot 10% */
    cfg.accesses = 3000;
    cfg.hot_access_percent = 100;
    ck_assert_uint_eq(pages_touched(&cfg), RIG_PAGES / 10);
    cfg.pattern = WORKLOAD_PHASES; /* one phase: a 25% working set */
    cfg.phase_length = cfg.accesses;
    cfg.phase_pages_percent = 25;
    ck_assert_uint_eq(pages_touched(&cfg), RIG_PAGES / 4);
    cfg.phase_length = 300; /* ten phases move the set around */
    ck_assert_uint_gt(pages_touched(&cfg), RIG_PAGES / 4);
}
END_TEST

START_TEST(test_same_seed_same_run)
{
    struct workload_config cfg = small_config(WORKLOAD_HOTCOLD);
    struct workload_result a, b, c;
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    ck_assert_int_eq(run_threads(&r, &cfg, 1, NULL, &a), 0);
    rig_close(&r);
    rig_open(&r, MACHINE_MMU_SOFT);
    ck_assert_int_eq(run_threads(&r, &cfg, 1, NULL, &b), 0);
    rig_close(&r);
    cfg.seed = 43;
    rig_open(&r, MACHINE_MMU_SOFT);
    ck_assert_int_eq(run_threads(&r, &cfg, 1, NULL, &c), 0);
    rig_close(&r);
    ck_assert_uint_eq(a.writes, b.writes);
    ck_assert_uint_eq(a.reads, b.reads);
    ck_assert_uint_ne(a.writes, c.writes);
}
END_TEST

/* Run one thread of cfg on r (its run kept in *run), returning the rc. */
static int run_one(struct workload_run *run, struct workload_result *res)
{
    return workload_thread_run(run, 0, NULL, res);
}

/* First page (frame = vpn) whose stamp shows a version > 1, or -1. */
static int64_t written_page(struct rig *r)
{
    for (uint64_t v = 0; v < RIG_PAGES; v++)
        if (rig_stamp(r, v)[1] > 1 && rig_stamp(r, v)[1] < (1ull << 32))
            return (int64_t)v;
    return -1;
}

/* Corrupt one written page with how(), rerun, and return the result. */
static void lost_write_case(enum machine_mmu mmu,
                            void (*how)(struct rig *, uint64_t),
                            struct workload_result *res, uint64_t *vpn)
{
    struct rig r;
    rig_open(&r, mmu);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    cfg.accesses = 2000;
    struct workload_run *run = workload_run_create(&cfg, r.m, 1);
    ck_assert_ptr_nonnull(run);
    ck_assert_int_eq(run_one(run, res), 0);
    int64_t page = written_page(&r);
    ck_assert_int_ge(page, 0);
    *vpn = (uint64_t)page;
    how(&r, *vpn);
    ck_assert_int_eq(run_one(run, res), -1);
    workload_run_destroy(run);
    rig_close(&r);
}

static void roll_back_version(struct rig *r, uint64_t vpn)
{
    rig_stamp(r, vpn)[1] -= 1;
}

static void zero_page(struct rig *r, uint64_t vpn)
{
    memset(rig_stamp(r, vpn), 0, MACHINE_PAGE_SIZE);
}

static void zero_address_word(struct rig *r, uint64_t vpn)
{
    rig_stamp(r, vpn)[0] = 0;
}

static void stamp_of_other_page(struct rig *r, uint64_t vpn)
{
    uint64_t other = (vpn + 1) % RIG_PAGES;
    rig_stamp(r, vpn)[0] = machine_va_base(r->m) + other * MACHINE_PAGE_SIZE;
}

START_TEST(test_rolled_back_version_is_reported)
{
    struct workload_result res;
    uint64_t vpn;
    lost_write_case(rig_mmus[_i], roll_back_version, &res, &vpn);
    ck_assert_uint_ge(res.stamp_errors, 1);
    unsigned long long addr, n, want, found, a1, a2;
    int got = sscanf(res.first_error,
                     "page 0x%llx (vpn %llu): expected version %llu "
                     "(address 0x%llx), found version %llu (address 0x%llx)",
                     &addr, &n, &want, &a1, &found, &a2);
    ck_assert_msg(got == 6, "unexpected message: %s", res.first_error);
    ck_assert_uint_eq(n, vpn);
    ck_assert_uint_eq(found + 1, want);
    ck_assert_uint_eq(a1, addr);
    ck_assert_uint_eq(a2, addr);
}
END_TEST

START_TEST(test_zeroed_page_is_reported)
{
    struct workload_result res;
    uint64_t vpn;
    lost_write_case(rig_mmus[_i], zero_page, &res, &vpn);
    ck_assert_uint_ge(res.stamp_errors, 1);
    ck_assert_ptr_nonnull(strstr(res.first_error,
                                 "found version 0 (address 0x0)"));
}
END_TEST

/* lost_write_case, then: the error names the corrupted page and, when
 * also is not NULL, contains also. */
static void lost_write_named(enum machine_mmu mmu,
                             void (*how)(struct rig *, uint64_t),
                             const char *also)
{
    struct workload_result res;
    uint64_t vpn;
    lost_write_case(mmu, how, &res, &vpn);
    ck_assert_uint_ge(res.stamp_errors, 1);
    char want[64];
    snprintf(want, sizeof(want), "(vpn %llu)", (unsigned long long)vpn);
    ck_assert_msg(strstr(res.first_error, want) != NULL, "%s",
                  res.first_error);
    if (also != NULL)
        ck_assert_msg(strstr(res.first_error, also) != NULL, "%s",
                      res.first_error);
}

START_TEST(test_stamp_of_another_page_is_reported)
{
    lost_write_named(rig_mmus[_i], stamp_of_other_page, NULL);
}
END_TEST

START_TEST(test_unzeroed_frame_is_reported)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    r.zero_on_map = false;
    memset(machine_frame(r.m, 0), 0x5a, RIG_PAGES * MACHINE_PAGE_SIZE);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    struct workload_result res;
    ck_assert_int_eq(run_threads(&r, &cfg, 1, NULL, &res), 1);
    ck_assert_uint_ge(res.stamp_errors, 1);
    ck_assert_ptr_nonnull(strstr(res.first_error, "found version "
                                                  "6510615555426900570"));
    rig_close(&r);
}
END_TEST

START_TEST(test_zeroed_address_word_is_reported)
{
    lost_write_named(rig_mmus[_i], zero_address_word, "(address 0x0)");
}
END_TEST

/* Thread 1 of a two-thread run reads what thread 0 (the owner of the even
 * pages) wrote and left corrupted by how(); returns thread 1's result. */
static void reader_sees(void (*how)(struct rig *, uint64_t),
                        struct workload_result *res, uint64_t *vpn,
                        uint64_t *published)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    struct workload_run *run = workload_run_create(&cfg, r.m, 2);
    ck_assert_ptr_nonnull(run);
    ck_assert_int_eq(workload_thread_run(run, 0, NULL, res), 0);
    int64_t page = written_page(&r);
    ck_assert_int_ge(page, 0);
    ck_assert_int_eq(page % 2, 0);
    *vpn = (uint64_t)page;
    *published = rig_stamp(&r, *vpn)[1];
    how(&r, *vpn);
    ck_assert_int_eq(workload_thread_run(run, 1, NULL, res), -1);
    workload_run_destroy(run);
    rig_close(&r);
}

static void roll_forward_version(struct rig *r, uint64_t vpn)
{
    rig_stamp(r, vpn)[1] += 5;
}

START_TEST(test_reader_names_the_bound_a_version_broke)
{
    struct workload_result res;
    uint64_t vpn, published;
    char want[128];
    reader_sees(roll_forward_version, &res, &vpn, &published);
    ck_assert_uint_ge(res.stamp_errors, 1);
    snprintf(want, sizeof(want), "(vpn %llu): expected version <= %llu",
             (unsigned long long)vpn, (unsigned long long)published + 1);
    ck_assert_msg(strstr(res.first_error, want) != NULL, "%s",
                  res.first_error);
    reader_sees(roll_back_version, &res, &vpn, &published);
    ck_assert_uint_ge(res.stamp_errors, 1);
    snprintf(want, sizeof(want), "(vpn %llu): expected version >= %llu",
             (unsigned long long)vpn, (unsigned long long)published);
    ck_assert_msg(strstr(res.first_error, want) != NULL, "%s",
                  res.first_error);
}
END_TEST

START_TEST(test_small_shares_round_up_to_one_page)
{
    struct workload_config cfg = small_config(WORKLOAD_HOTCOLD);
    cfg.hot_percent = 0; /* 0% of 64 pages: still one hot page */
    cfg.hot_access_percent = 100;
    ck_assert_uint_eq(pages_touched(&cfg), 1);
    cfg.pattern = WORKLOAD_PHASES; /* 1% of 64 pages: one page */
    cfg.phase_pages_percent = 1;
    cfg.phase_length = cfg.accesses;
    ck_assert_uint_eq(pages_touched(&cfg), 1);
}
END_TEST

START_TEST(test_edge_settings_of_hotcold_and_phases)
{
    struct workload_config cfg = small_config(WORKLOAD_HOTCOLD);
    cfg.hot_percent = 100; /* every page hot: uniform over all of them */
    cfg.hot_access_percent = 0;
    ck_assert_uint_eq(pages_touched(&cfg), RIG_PAGES);
    cfg.pattern = WORKLOAD_PHASES; /* length 0: one phase forever */
    cfg.phase_length = 0;
    cfg.phase_pages_percent = 25;
    ck_assert_uint_eq(pages_touched(&cfg), RIG_PAGES / 4);
    cfg.pattern = WORKLOAD_WALK; /* always jump: a new page at each end */
    cfg.jump_percent = 100;
    cfg.accesses = 512 * 40;
    uint64_t pages = pages_touched(&cfg);
    ck_assert_uint_gt(pages, 20);
    ck_assert_uint_le(pages, RIG_PAGES);
}
END_TEST

START_TEST(test_stats_count_whole_batches_exactly)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct stats *stats = stats_create();
    ck_assert_ptr_nonnull(stats);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    cfg.accesses = 512; /* two whole batches of 256, no remainder */
    struct workload_result res;
    ck_assert_int_eq(run_threads(&r, &cfg, 2, stats, &res), 0);
    ck_assert_uint_eq(stats_get(stats, STAT_ACCESSES), 2 * 512);
    cfg.accesses = 0; /* nothing to do, nothing counted */
    uint64_t faults = rig_faults(&r);
    ck_assert_int_eq(run_threads(&r, &cfg, 1, stats, &res), 0);
    ck_assert_uint_eq(res.reads + res.writes, 0);
    ck_assert_uint_eq(stats_get(stats, STAT_ACCESSES), 2 * 512);
    ck_assert_uint_eq(rig_faults(&r), faults);
    stats_destroy(stats);
    rig_close(&r);
}
END_TEST

START_TEST(test_pattern_names_parse_both_ways)
{
    for (int p = 0; p < WORKLOAD_PATTERN_COUNT; p++) {
        enum workload_pattern got;
        ck_assert_int_eq(workload_pattern_parse(workload_pattern_name(p),
                                                &got), 0);
        ck_assert_int_eq(got, p);
    }
    ck_assert_str_eq(workload_pattern_name(WORKLOAD_WALK), "walk");
    enum workload_pattern got;
    ck_assert_int_eq(workload_pattern_parse("random", &got), -EINVAL);
    ck_assert_int_eq(workload_pattern_parse(NULL, &got), -EINVAL);
    ck_assert_str_eq(workload_pattern_name(WORKLOAD_PATTERN_COUNT),
                     "unknown");
}
END_TEST

START_TEST(test_defaults_match_the_header)
{
    struct workload_config cfg;
    workload_defaults(&cfg);
    ck_assert_int_eq(cfg.pattern, WORKLOAD_UNIFORM);
    ck_assert_uint_eq(cfg.accesses, 100000);
    ck_assert(!cfg.pooled_shares);
    ck_assert_uint_eq(cfg.write_percent, 50);
    ck_assert_uint_eq(cfg.jump_percent, 10);
    ck_assert_uint_eq(cfg.hot_percent, 10);
    ck_assert_uint_eq(cfg.hot_access_percent, 90);
    ck_assert_uint_eq(cfg.phase_length, 20000);
    ck_assert_uint_eq(cfg.phase_pages_percent, 10);
}
END_TEST

START_TEST(test_merge_adds_counts_and_keeps_first_error)
{
    struct workload_result a = {.reads = 1, .writes = 2};
    struct workload_result b = {.reads = 10, .writes = 20,
                                .stamp_errors = 1, .access_errors = 2};
    strcpy(b.first_error, "b went wrong");
    workload_result_merge(&a, &b);
    ck_assert_uint_eq(a.reads, 11);
    ck_assert_uint_eq(a.writes, 22);
    ck_assert_uint_eq(a.stamp_errors, 1);
    ck_assert_uint_eq(a.access_errors, 2);
    ck_assert_str_eq(a.first_error, "b went wrong");
    strcpy(b.first_error, "later");
    workload_result_merge(&a, &b);
    ck_assert_str_eq(a.first_error, "b went wrong");
    ck_assert_uint_eq(a.stamp_errors, 2);
}
END_TEST

/* --- limits --------------------------------------------------------------- */

/* Run one thread of the uniform pattern on r: it must fail on accessor
 * errors only (no stamp is wrong), the first one described by words. */
static void run_expecting_access_errors(struct rig *r, const char *words)
{
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    struct workload_result res;
    ck_assert_int_eq(run_threads(r, &cfg, 1, NULL, &res), 1);
    ck_assert_uint_gt(res.access_errors, 0);
    ck_assert_uint_eq(res.stamp_errors, 0);
    ck_assert_msg(strstr(res.first_error, words) != NULL, "%s",
                  res.first_error);
}

START_TEST(test_accessor_errors_are_counted_and_described)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    atomic_store(&r.fail_vpn, 3);
    char words[128]; /* every access checks the stamp: a read comes first */
    snprintf(words, sizeof(words), "(vpn 3): read failed: %s",
             strerror(ENOSPC));
    run_expecting_access_errors(&r, words);
    rig_close(&r);
}
END_TEST

START_TEST(test_bad_run_config_is_refused)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    errno = 0;
    ck_assert_ptr_null(workload_run_create(&cfg, r.m, 0));
    ck_assert_int_eq(errno, EINVAL);
    cfg.write_percent = 101;
    ck_assert_ptr_null(workload_run_create(&cfg, r.m, 1));
    cfg.write_percent = 50;
    cfg.pattern = WORKLOAD_PATTERN_COUNT;
    ck_assert_ptr_null(workload_run_create(&cfg, r.m, 1));
    cfg.pattern = WORKLOAD_UNIFORM;
    cfg.pooled_shares = true; /* a pooled total that does not fit 64 bits */
    cfg.accesses = UINT64_MAX / 2 + 1;
    errno = 0;
    ck_assert_ptr_null(workload_run_create(&cfg, r.m, 2));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(workload_run_create(NULL, r.m, 1));
    rig_close(&r);
}
END_TEST

START_TEST(test_thread_index_out_of_range_fails_cleanly)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    struct workload_run *run = workload_run_create(&cfg, r.m, 2);
    ck_assert_ptr_nonnull(run);
    struct workload_result res;
    ck_assert_int_eq(workload_thread_run(run, 2, NULL, &res), -1);
    ck_assert_ptr_nonnull(strstr(res.first_error, "out of range"));
    ck_assert_uint_eq(res.reads + res.writes, 0);
    ck_assert_uint_eq(rig_faults(&r), 0);
    workload_run_destroy(run);
    rig_close(&r);
}
END_TEST

START_TEST(test_more_threads_than_pages_still_checks)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct machine_config small = {
        .nframes = 2, .virtual_pages = 2, .mmu = MACHINE_MMU_SOFT};
    char err[256];
    machine_destroy(r.m);
    ck_assert_int_eq(machine_create(&small, &r.m, err, sizeof(err)), 0);
    machine_set_fault_handler(r.m, rig_fault, &r);
    machine_set_page_table(r.m, r.ptes);
    struct workload_config cfg = small_config(WORKLOAD_WALK);
    struct workload_result res; /* threads 2 and 3 own no page */
    ck_assert_int_eq(run_threads(&r, &cfg, RIG_THREADS, NULL, &res), 0);
    ck_assert_uint_eq(res.reads + res.writes, RIG_THREADS * cfg.accesses);
    rig_close(&r);
}
END_TEST

START_TEST(test_failed_write_fault_is_counted_as_a_write_error)
{
    struct rig r;
    rig_open(&r, rig_mmus[_i]);
    atomic_store(&r.read_only_vpn, 6); /* reads of page 6 still work */
    run_expecting_access_errors(&r, "(vpn 6): write failed");
    ck_assert_uint_eq(rig_stamp(&r, 6)[1], 0); /* nothing half written */
    rig_close(&r);
}
END_TEST

/* Soft MMU hook: on the first read of page vpn's version word, take the
 * page away and make its faults fail, so the read of the address word
 * that follows fails. */
struct second_word {
    struct rig *r;
    uint64_t vpn;
    _Atomic int armed;
};

static void second_word_hook(void *ctx, uint64_t va)
{
    struct second_word *sw = ctx;
    uint64_t page = machine_va_base(sw->r->m) + sw->vpn * MACHINE_PAGE_SIZE;
    if (va != page + sizeof(uint64_t) || !atomic_exchange(&sw->armed, 0))
        return;
    pte_store(&sw->r->ptes[sw->vpn], pte_make_zero());
    atomic_store(&sw->r->fail_vpn, (int)sw->vpn);
}

START_TEST(test_failure_on_the_address_word_is_reported)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct second_word sw = {.r = &r, .vpn = 4, .armed = 1};
    machine_set_access_hook(r.m, second_word_hook, &sw);
    run_expecting_access_errors(&r, "(vpn 4): read failed");
    machine_set_access_hook(r.m, NULL, NULL);
    ck_assert_int_eq(atomic_load(&sw.armed), 0); /* the hook fired */
    rig_close(&r);
}
END_TEST

/* Percentages past 100 (and a missing machine) are refused; 100 is not. */
static void jump_over(struct workload_config *c) { c->jump_percent = 101; }
static void hot_over(struct workload_config *c) { c->hot_percent = 101; }
static void hot_access_over(struct workload_config *c)
{
    c->hot_access_percent = 101;
}
static void phase_pages_over(struct workload_config *c)
{
    c->phase_pages_percent = 101;
}

static void (*const spoilers[])(struct workload_config *) = {
    jump_over, hot_over, hot_access_over, phase_pages_over,
};

START_TEST(test_each_percentage_past_100_is_refused)
{
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    cfg.write_percent = cfg.jump_percent = cfg.hot_percent = 100;
    cfg.hot_access_percent = cfg.phase_pages_percent = 100;
    struct workload_run *run = workload_run_create(&cfg, r.m, 1);
    ck_assert_ptr_nonnull(run);
    workload_run_destroy(run);
    workload_run_destroy(NULL); /* a no-op */
    spoilers[_i](&cfg);
    errno = 0;
    ck_assert_ptr_null(workload_run_create(&cfg, r.m, 1));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(workload_run_create(&cfg, NULL, 1));
    ck_assert_int_eq(errno, EINVAL);
    rig_close(&r);
}
END_TEST

START_TEST(test_thread_that_cannot_attach_fails_cleanly)
{
    enum { MANY = 256 };
    static struct machine *ms[MANY];
    struct machine_config one = {.nframes = 1, .virtual_pages = 1,
                                 .mmu = MACHINE_MMU_SOFT};
    char err[256];
    int n = 0; /* attach this thread to as many machines as it can */
    for (; n < MANY; n++) {
        ck_assert_int_eq(machine_create(&one, &ms[n], err, sizeof(err)), 0);
        if (machine_thread_attach(ms[n]) != 0)
            break;
    }
    struct rig r;
    rig_open(&r, MACHINE_MMU_SOFT);
    struct workload_config cfg = small_config(WORKLOAD_UNIFORM);
    struct workload_run *run = workload_run_create(&cfg, r.m, 1);
    ck_assert_ptr_nonnull(run);
    struct workload_result res;
    int rc = workload_thread_run(run, 0, NULL, &res);
    workload_run_destroy(run);
    for (int i = 0; i <= n && i < MANY; i++) {
        if (i < n)
            machine_thread_detach(ms[i]);
        machine_destroy(ms[i]);
    }
    ck_assert_int_lt(n, MANY);
    ck_assert_int_eq(rc, -1);
    ck_assert_uint_eq(res.access_errors, 1);
    ck_assert_uint_eq(res.reads + res.writes, 0);
    ck_assert_str_eq(res.first_error, "thread 0 could not attach: Resource "
                                      "temporarily unavailable");
    ck_assert_uint_eq(rig_faults(&r), 0);
    rig_close(&r);
}
END_TEST

static Suite *make_workload_suite(void)
{
    Suite *s = suite_create("workload");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_loop_test(core, test_every_pattern_runs_clean_with_threads,
                        0, 2);
    tcase_add_test(core, test_patterns_touch_the_pages_they_promise);
    tcase_add_test(core, test_same_seed_same_run);
    tcase_add_loop_test(core, test_pooled_shares_make_the_total_with_threads,
                        0, 2);
    tcase_add_test(core, test_pooled_shares_go_to_whoever_draws);
    tcase_add_loop_test(core, test_rolled_back_version_is_reported, 0, 2);
    tcase_add_loop_test(core, test_zeroed_page_is_reported, 0, 2);
    tcase_add_loop_test(core, test_stamp_of_another_page_is_reported, 0, 2);
    tcase_add_test(core, test_unzeroed_frame_is_reported);
    tcase_add_loop_test(core, test_zeroed_address_word_is_reported, 0, 2);
    tcase_add_test(core, test_reader_names_the_bound_a_version_broke);
    tcase_add_test(core, test_small_shares_round_up_to_one_page);
    tcase_add_test(core, test_edge_settings_of_hotcold_and_phases);
    tcase_add_test(core, test_stats_count_whole_batches_exactly);
    tcase_add_test(core, test_pattern_names_parse_both_ways);
    tcase_add_test(core, test_defaults_match_the_header);
    tcase_add_test(core, test_merge_adds_counts_and_keeps_first_error);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_loop_test(limits, test_accessor_errors_are_counted_and_described,
                        0, 2);
    tcase_add_test(limits, test_bad_run_config_is_refused);
    tcase_add_test(limits, test_thread_index_out_of_range_fails_cleanly);
    tcase_add_test(limits, test_more_threads_than_pages_still_checks);
    tcase_add_loop_test(limits,
                        test_failed_write_fault_is_counted_as_a_write_error,
                        0, 2);
    tcase_add_loop_test(limits, test_each_percentage_past_100_is_refused, 0,
                        (int)(sizeof(spoilers) / sizeof(spoilers[0])));
    tcase_add_test(limits, test_thread_that_cannot_attach_fails_cleanly);
    tcase_add_test(limits, test_failure_on_the_address_word_is_reported);
    return s;
}

CHECK_MAIN(make_workload_suite)

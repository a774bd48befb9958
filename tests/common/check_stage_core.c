/*
 * check_stage_core.c - the shared stage layer: default and refused
 * configurations, building and destroying the core on both MMUs, PTE
 * lookup, and running user threads on a workload through a tiny
 * demand-zero stage defined here (every page gets its own frame, so no
 * eviction is needed) and a broken one that loses writes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "catch_abort.h"
#include "check_util.h"
#include "stage.h"

/* A small configuration for unit tests: pages, frames, soft or hw. */
static struct stage_config small_config(uint64_t pages, uint64_t frames,
                                        enum machine_mmu mmu)
{
    struct stage_config cfg;
    stage_config_defaults(&cfg);
    cfg.virtual_pages = pages;
    cfg.physical_frames = frames;
    cfg.pagefile_slots = pages;
    cfg.mmu = mmu;
    return cfg;
}

/* ---- a minimal stage: demand zero only, one frame per page ------------- */

struct stage {
    struct stage_core core;
    pthread_mutex_t mutex; /* serialises faults */
    bool share_frame_0;    /* broken mode: every page maps frame 0 */
};

/* Give the page at va a zeroed frame of its own and map it (broken mode:
 * map frame 0 for every page, as a stage that loses writes would). */
static int tiny_fault(struct stage *s, uint64_t va, bool is_write)
{
    (void)is_write;
    struct stage_core *c = &s->core;
    pthread_mutex_lock(&s->mutex);
    uint64_t vpn = machine_vpn(c->machine, va);
    pte_cell_t *cell = &c->ptes[vpn];
    int rc = 0;
    if (pte_format(pte_load(cell)) != PTE_VALID) {
        struct pfn *p = s->share_frame_0 ? pfn_get(&c->pfns, 0)
                                         : pfn_pop(&c->pfns, PFN_FREE);
        if (p == NULL) {
            rc = -ENOMEM;
        } else {
            uint64_t frame = pfn_number(&c->pfns, p);
            if (!s->share_frame_0) {
                memset(machine_frame(c->machine, frame), 0, MACHINE_PAGE_SIZE);
                p->vpn = vpn;
                pfn_link(&c->pfns, p, PFN_ACTIVE);
            }
            pte_store(cell, pte_make_valid(frame, true, true, true));
            rc = machine_map(c->machine, vpn, frame, true);
        }
    }
    pthread_mutex_unlock(&s->mutex);
    return rc;
}

static const struct stage_ops tiny_ops;

static int tiny_create(const struct stage_config *cfg, struct stage **out,
                       char *err, size_t errlen)
{
    struct stage *s = stage_alloc(_Alignof(struct stage), sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    int rc = stage_core_init(&s->core, cfg, &tiny_ops, s, err, errlen);
    if (rc != 0) {
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->mutex, NULL);
    *out = s;
    return 0;
}

static void tiny_destroy(struct stage *s)
{
    stage_core_destroy(&s->core);
    pthread_mutex_destroy(&s->mutex);
    free(s);
}

static const struct stage_ops tiny_ops = {
    .name = "tiny",
    .create = tiny_create,
    .destroy = tiny_destroy,
    .fault = tiny_fault,
    .core = stage_core_of,
};

/* ---- core -------------------------------------------------------------- */

START_TEST(test_defaults_describe_the_original_machine)
{
    struct stage_config cfg;
    memset(&cfg, 0xa5, sizeof cfg);
    stage_config_defaults(&cfg);
    ck_assert_uint_eq(cfg.virtual_pages, 4096);
    ck_assert_uint_eq(cfg.physical_frames, 82);
    ck_assert_uint_eq(cfg.pagefile_slots, 4096 - 82 + PAGEFILE_MAX_BATCH);
    ck_assert_int_eq(cfg.mmu, MACHINE_MMU_HW);
    ck_assert_uint_eq(cfg.trim_batch, 16);
    ck_assert_uint_eq(cfg.write_batch, 16);
    ck_assert_uint_eq(cfg.user_threads, 1);
    ck_assert_ptr_null(cfg.pagefile_path);
    ck_assert_uint_eq(cfg.options, 0);
    char err[256] = "untouched";
    ck_assert_int_eq(stage_config_check(&cfg, err, sizeof err), 0);
}
END_TEST

/* stage_alloc: zeroed, at the alignment asked (a size that is not a
 * multiple of it too). */
START_TEST(test_stage_alloc_is_zeroed_and_aligned)
{
    static const size_t sizes[] = {64, 100, 4096 + 8};
    for (size_t i = 0; i < 3; i++) {
        unsigned char *p = stage_alloc(64, sizes[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 64, 0);
        for (size_t b = 0; b < sizes[i]; b++)
            ck_assert_uint_eq(p[b], 0);
        free(p);
    }
}
END_TEST

START_TEST(test_core_init_builds_empty_structures)
{
    enum machine_mmu mmu = _i == 0 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW;
    struct stage_config cfg = small_config(64, 8, mmu);
    struct stage_core core;
    char err[256] = "";
    ck_assert_msg(stage_core_init(&core, &cfg, NULL, NULL, err,
                                  sizeof err) == 0, "%s",
                  err);
    ck_assert_uint_eq(core.config.virtual_pages, 64);
    ck_assert_uint_eq(machine_nframes(core.machine), 8);
    ck_assert_uint_eq(machine_virtual_pages(core.machine), 64);
    ck_assert_int_eq(machine_mmu(core.machine), mmu);
    for (uint64_t v = 0; v < 64; v++)
        ck_assert_uint_eq(pte_load(&core.ptes[v]), 0);
    ck_assert_uint_eq(core.pfns.nframes, 8);
    ck_assert_uint_eq(pfn_count(&core.pfns, PFN_FREE), 8);
    ck_assert_uint_eq(pagefile_capacity(core.pagefile), 64);
    ck_assert_uint_eq(pagefile_in_use(core.pagefile), 0);
    ck_assert_uint_eq(stats_get(core.stats, STAT_ACCESSES), 0);
    ck_assert_msg(audit_core(&core, err, sizeof err) == 0, "%s", err);
    stage_core_destroy(&core);
    ck_assert_ptr_null(core.machine);
    ck_assert_ptr_null(core.ptes);
    ck_assert_ptr_null(core.pagefile);
    ck_assert_ptr_null(core.stats);
}
END_TEST

/* The fault trampoline: a core built with ops hands the machine's faults
 * to ops->fault(owner); stage_core_of finds the core again. */
START_TEST(test_core_init_routes_faults_to_the_owner)
{
    struct stage_config cfg = small_config(16, 4, MACHINE_MMU_SOFT);
    struct stage *s;
    char err[256] = "";
    ck_assert_msg(tiny_ops.create(&cfg, &s, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_eq(stage_core_of(s), &s->core);
    ck_assert_ptr_eq(s->core.ops, &tiny_ops);
    ck_assert_ptr_eq(s->core.owner, s);
    struct machine *m = s->core.machine;
    ck_assert_int_eq(machine_thread_attach(m), 0);
    ck_assert_int_eq(machine_write64(m, machine_va_base(m) + 8, 42), 0);
    ck_assert_uint_eq(pte_format(pte_load(&s->core.ptes[0])), PTE_VALID);
    ck_assert_uint_eq(pfn_count(&s->core.pfns, PFN_ACTIVE), 1);
    struct machine_counters counts;
    machine_counters(m, &counts);
    ck_assert_uint_eq(counts.faults, 1);
    machine_thread_detach(m);
    tiny_ops.destroy(s);
}
END_TEST

/* stage_drop_stale_slot releases a frame's slot once; a frame with none
 * is left as it is. */
START_TEST(test_drop_stale_slot_releases_the_slot_once)
{
    struct stage_config cfg = small_config(16, 4, MACHINE_MMU_SOFT);
    struct stage_core core;
    char err[256];
    ck_assert_int_eq(
        stage_core_init(&core, &cfg, NULL, NULL, err, sizeof err), 0);
    struct pfn *f = pfn_get(&core.pfns, 0);
    ck_assert_int_eq(pagefile_alloc(core.pagefile, &f->slot), 0);
    ck_assert_uint_eq(pagefile_in_use(core.pagefile), 1);
    stage_drop_stale_slot(&core, f);
    ck_assert_uint_eq(f->slot, PAGEFILE_NO_SLOT);
    ck_assert_uint_eq(pagefile_in_use(core.pagefile), 0);
    stage_drop_stale_slot(&core, f);
    ck_assert_uint_eq(f->slot, PAGEFILE_NO_SLOT);
    ck_assert_uint_eq(pagefile_in_use(core.pagefile), 0);
    ck_assert_msg(audit_core(&core, err, sizeof err) == 0, "%s", err);
    stage_core_destroy(&core);
}
END_TEST

START_TEST(test_core_pte_finds_the_page_of_an_address)
{
    struct stage_config cfg = small_config(16, 4, MACHINE_MMU_SOFT);
    struct stage_core core;
    char err[256];
    ck_assert_int_eq(
        stage_core_init(&core, &cfg, NULL, NULL, err, sizeof err), 0);
    uint64_t base = machine_va_base(core.machine);
    ck_assert_ptr_eq(stage_core_pte(&core, base), &core.ptes[0]);
    ck_assert_ptr_eq(stage_core_pte(&core, base + 5 * MACHINE_PAGE_SIZE + 8),
                     &core.ptes[5]);
    ck_assert_ptr_eq(stage_core_pte(&core, base + 16 * MACHINE_PAGE_SIZE - 1),
                     &core.ptes[15]);
    stage_core_destroy(&core);
}
END_TEST

/* Run a workload of nthreads on a tiny stage (broken: all pages share a
 * frame).  Returns stage_run_workload's verdict; fills res and accesses
 * (STAT_ACCESSES afterwards); audits the core when not broken. */
static int run_tiny(enum machine_mmu mmu, bool broken, unsigned nthreads,
                    struct workload_result *res, uint64_t *accesses)
{
    struct stage_config cfg = small_config(32, 32, mmu);
    struct stage *s;
    char err[256] = "";
    ck_assert_msg(tiny_ops.create(&cfg, &s, err, sizeof err) == 0, "%s", err);
    s->share_frame_0 = broken;
    struct workload_config wc;
    workload_defaults(&wc);
    wc.accesses = 2000;
    wc.seed = 7;
    int rc = stage_run_workload(&tiny_ops, s, &wc, nthreads, res);
    *accesses = stats_get(s->core.stats, STAT_ACCESSES);
    if (!broken)
        ck_assert_msg(audit_core(&s->core, err, sizeof err) == 0, "%s", err);
    tiny_ops.destroy(s);
    return rc;
}

START_TEST(test_run_workload_merges_every_thread)
{
    enum machine_mmu mmu = _i == 0 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW;
    struct workload_result res;
    uint64_t accesses;
    int rc = run_tiny(mmu, false, 3, &res, &accesses);
    ck_assert_msg(rc == 0, "workload failed: %s", res.first_error);
    ck_assert_uint_eq(res.reads + res.writes, 3 * 2000);
    ck_assert_uint_gt(res.writes, 0);
    ck_assert_uint_eq(res.stamp_errors, 0);
    ck_assert_uint_eq(res.access_errors, 0);
    ck_assert_str_eq(res.first_error, "");
    ck_assert_uint_eq(accesses, 3 * 2000);
}
END_TEST

START_TEST(test_run_workload_reports_lost_writes)
{
    struct workload_result res;
    uint64_t accesses;
    ck_assert_int_eq(run_tiny(MACHINE_MMU_SOFT, true, 2, &res, &accesses), -1);
    ck_assert_uint_gt(res.stamp_errors, 0);
    ck_assert_str_ne(res.first_error, "");
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

struct refusal {
    void (*spoil)(struct stage_config *cfg);
    const char *sentence;
};

static void no_pages(struct stage_config *c) { c->virtual_pages = 0; }
static void no_frames(struct stage_config *c) { c->physical_frames = 0; }
static void no_slots(struct stage_config *c) { c->pagefile_slots = 0; }
static void overflow(struct stage_config *c)
{
    c->virtual_pages = UINT64_MAX / 2;
}
static void too_wide(struct stage_config *c) { c->virtual_pages = 1ull << 36; }
static void frames_over(struct stage_config *c) { c->physical_frames = 4097; }
static void slots_short(struct stage_config *c) { c->pagefile_slots = 4000; }
static void slots_huge(struct stage_config *c)
{
    c->pagefile_slots = (1ull << 40) + 1;
}
static void trim_zero(struct stage_config *c) { c->trim_batch = 0; }
static void write_big(struct stage_config *c) { c->write_batch = 65; }
static void threads_zero(struct stage_config *c) { c->user_threads = 0; }
static void threads_big(struct stage_config *c) { c->user_threads = 65; }
static void bad_mmu(struct stage_config *c) { c->mmu = (enum machine_mmu)7; }

static const struct refusal refusals[] = {
    {no_pages, "the virtual space must have at least one page"},
    {no_frames, "the machine must have at least one physical frame"},
    {no_slots, "the page file must have at least one slot"},
    {overflow, "a virtual space of 9223372036854775807 pages overflows a "
               "64-bit byte count"},
    {too_wide, "a virtual space of 68719476736 pages exceeds the 47-bit user "
               "address space (at most 34359738368 pages)"},
    {frames_over, "more physical frames (4097) than virtual pages (4096)"},
    {slots_short, "the page file (4000 slots) is too small to back the "
                  "virtual space: need at least 4014"},
    {slots_huge, "a page file of 1099511627777 slots has more than a disk PTE "
                 "can name (at most 1099511627776)"},
    {trim_zero, "the trim batch must be between 1 and 64 (got 0)"},
    {write_big, "the write batch must be between 1 and 64 (got 65)"},
    {threads_zero, "the number of user threads must be between 1 and 64 "
                   "(got 0)"},
    {threads_big, "the number of user threads must be between 1 and 64 "
                  "(got 65)"},
    {bad_mmu, "unknown MMU 7 (use hw or soft)"},
};
#define NREFUSALS ((int)(sizeof refusals / sizeof refusals[0]))

START_TEST(test_config_check_refuses_with_a_sentence)
{
    struct stage_config cfg;
    stage_config_defaults(&cfg);
    refusals[_i].spoil(&cfg);
    char err[256] = "";
    ck_assert_int_eq(stage_config_check(&cfg, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, refusals[_i].sentence);
    /* stage_core_init refuses the same way and leaves nothing behind */
    struct stage_core core;
    memset(&core, 0x5a, sizeof core);
    err[0] = '\0';
    ck_assert_int_eq(
        stage_core_init(&core, &cfg, NULL, NULL, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, refusals[_i].sentence);
    ck_assert_ptr_null(core.machine);
    ck_assert_ptr_null(core.ptes);
}
END_TEST

START_TEST(test_config_check_accepts_edges)
{
    struct stage_config cfg = small_config(8, 8, MACHINE_MMU_SOFT);
    cfg.pagefile_slots = 1; /* virtual == physical: any page file will do */
    cfg.trim_batch = PAGEFILE_MAX_BATCH;
    cfg.write_batch = 1;
    cfg.user_threads = MACHINE_MAX_THREADS;
    cfg.options = UINT64_MAX; /* stage-specific: common checks none */
    ck_assert_int_eq(stage_config_check(&cfg, NULL, 0), 0);
    cfg.virtual_pages = 1ull << 35;
    cfg.pagefile_slots = cfg.virtual_pages - cfg.physical_frames;
    ck_assert_int_eq(stage_config_check(&cfg, NULL, 0), 0);
    ck_assert_int_eq(stage_config_check(NULL, NULL, 64), -EINVAL);
    char err[64];
    ck_assert_int_eq(stage_config_check(NULL, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "no configuration given");
}
END_TEST

START_TEST(test_core_init_undoes_work_when_the_page_file_fails)
{
    struct stage_config cfg = small_config(16, 4, _i == 0 ? MACHINE_MMU_SOFT
                                                          : MACHINE_MMU_HW);
    cfg.pagefile_path = "/nonexistent-pagelab/pf";
    struct stage_core core;
    char err[256] = "";
    ck_assert_int_eq(
        stage_core_init(&core, &cfg, NULL, NULL, err, sizeof err), -ENOENT);
    ck_assert_str_eq(err, "pagefile: cannot create the page file "
                          "/nonexistent-pagelab/pf: No such file or directory");
    ck_assert_ptr_null(core.machine);
    ck_assert_ptr_null(core.ptes);
    ck_assert_ptr_null(core.pfns.frames);
    ck_assert_ptr_null(core.pagefile);
    /* the machine it built was torn down: a new hw machine still works */
    cfg.pagefile_path = NULL;
    ck_assert_msg(stage_core_init(&core, &cfg, NULL, NULL, err,
                                  sizeof err) == 0, "%s",
                  err);
    stage_core_destroy(&core);
}
END_TEST

START_TEST(test_core_init_passes_on_a_machine_refusal)
{
    /* more frames than vm.max_map_count allows mappings: hw refuses */
    unsigned long long limit = 65530;
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    if (f != NULL) {
        ck_assert_int_eq(fscanf(f, "%llu", &limit), 1);
        fclose(f);
    }
    struct stage_config cfg = small_config(limit + 1, limit + 1,
                                           MACHINE_MMU_HW);
    cfg.pagefile_slots = 1;
    struct stage_core core;
    char err[256] = "";
    int rc = stage_core_init(&core, &cfg, NULL, NULL, err, sizeof err);
    ck_assert_int_eq(rc, -E2BIG);
    ck_assert_msg(strstr(err, "vm.max_map_count") != NULL, "%s", err);
    ck_assert_ptr_null(core.machine);
    ck_assert_ptr_null(core.ptes);
}
END_TEST

/* A tiny soft stage of 8 pages and frames, and default workload settings
 * in *wc. */
static struct stage *tiny_small(struct workload_config *wc)
{
    struct stage_config cfg = small_config(8, 8, MACHINE_MMU_SOFT);
    struct stage *s;
    char err[256] = "";
    ck_assert_msg(tiny_ops.create(&cfg, &s, err, sizeof err) == 0, "%s", err);
    workload_defaults(wc);
    return s;
}

START_TEST(test_run_workload_refuses_bad_threads_and_configs)
{
    struct workload_config wc;
    struct stage *s = tiny_small(&wc);
    struct workload_result res;
    ck_assert_int_eq(stage_run_workload(&tiny_ops, s, &wc, 0, &res), -1);
    ck_assert_str_eq(res.first_error, "the number of user threads must be "
                                      "between 1 and 64 (got 0)");
    ck_assert_int_eq(stage_run_workload(&tiny_ops, s, &wc,
                                        MACHINE_MAX_THREADS + 1, &res), -1);
    ck_assert_uint_eq(res.reads + res.writes, 0);
    wc.write_percent = 101;
    ck_assert_int_eq(stage_run_workload(&tiny_ops, s, &wc, 1, &res), -1);
    ck_assert_str_eq(res.first_error, "the workload configuration is invalid "
                                      "(a pattern or percentage out of range)");
    ck_assert_uint_eq(stats_get(s->core.stats, STAT_ACCESSES), 0);
    tiny_ops.destroy(s);
}
END_TEST

START_TEST(test_core_init_without_an_error_buffer)
{
    struct stage_config cfg = small_config(16, 4, MACHINE_MMU_SOFT);
    struct stage_core core;
    ck_assert_int_eq(stage_core_init(&core, &cfg, NULL, NULL, NULL, 256), 0);
    ck_assert_uint_eq(pfn_count(&core.pfns, PFN_FREE), 4);
    stage_core_destroy(&core);
    cfg.physical_frames = 17; /* refused: only the verdict comes back */
    ck_assert_int_eq(stage_core_init(&core, &cfg, NULL, NULL, NULL, 256), -EINVAL);
    ck_assert_ptr_null(core.machine);
}
END_TEST

/* Make every new thread ask for a stack larger than the address space, so
 * pthread_create fails; restore the old default with the returned attr. */
static pthread_attr_t no_new_threads(void)
{
    pthread_attr_t saved, huge;
    ck_assert_int_eq(pthread_getattr_default_np(&saved), 0);
    ck_assert_int_eq(pthread_attr_init(&huge), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&huge, (size_t)1 << 47), 0);
    ck_assert_int_eq(pthread_setattr_default_np(&huge), 0);
    pthread_attr_destroy(&huge);
    return saved;
}

START_TEST(test_run_workload_reports_threads_that_cannot_start)
{
    struct workload_config wc;
    struct stage *s = tiny_small(&wc);
    char err[256] = "";
    wc.accesses = 100;
    struct workload_result res;
    pthread_attr_t saved = no_new_threads();
    int rc = stage_run_workload(&tiny_ops, s, &wc, 2, &res);
    int restored = pthread_setattr_default_np(&saved);
    pthread_attr_destroy(&saved);
    ck_assert_int_eq(restored, 0);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(res.first_error, "could not start user thread 1 of 2");
    ck_assert_uint_eq(res.reads + res.writes, 0);
    ck_assert_uint_eq(stats_get(s->core.stats, STAT_ACCESSES), 0);
    /* with threads available again the same run succeeds */
    ck_assert_int_eq(stage_run_workload(&tiny_ops, s, &wc, 2, &res), 0);
    ck_assert_uint_eq(res.reads + res.writes, 200);
    ck_assert_msg(audit_core(&s->core, err, sizeof err) == 0, "%s", err);
    tiny_ops.destroy(s);
}
END_TEST

/* Ask for the PTE of the first address past the range of core. */
static void pte_past_end(void *core)
{
    struct stage_core *c = core;
    stage_core_pte(c, machine_va_base(c->machine) +
                          c->config.virtual_pages * MACHINE_PAGE_SIZE);
}

START_TEST(test_core_pte_outside_the_range_aborts)
{
    struct stage_config cfg = small_config(16, 4, MACHINE_MMU_SOFT);
    struct stage_core core;
    char err[256];
    ck_assert_int_eq(
        stage_core_init(&core, &cfg, NULL, NULL, err, sizeof err), 0);
    bool aborted = catch_abort(pte_past_end, &core);
    stage_core_destroy(&core);
    ck_assert(aborted);
}
END_TEST

static Suite *make_stage_core_suite(void)
{
    Suite *s = suite_create("stage_core");
    TCase *core = check_util_tcase(s, "core", "public", 120);
    tcase_add_test(core, test_defaults_describe_the_original_machine);
    tcase_add_test(core, test_stage_alloc_is_zeroed_and_aligned);
    tcase_add_loop_test(core, test_core_init_builds_empty_structures, 0, 2);
    tcase_add_test(core, test_core_pte_finds_the_page_of_an_address);
    tcase_add_test(core, test_core_init_routes_faults_to_the_owner);
    tcase_add_test(core, test_drop_stale_slot_releases_the_slot_once);
    tcase_add_loop_test(core, test_run_workload_merges_every_thread, 0, 2);
    tcase_add_test(core, test_run_workload_reports_lost_writes);
    TCase *limits = check_util_tcase(s, "limits", "public", 120);
    tcase_add_loop_test(limits, test_config_check_refuses_with_a_sentence, 0,
                        NREFUSALS);
    tcase_add_test(limits, test_config_check_accepts_edges);
    tcase_add_loop_test(limits,
                        test_core_init_undoes_work_when_the_page_file_fails,
                        0, 2);
    tcase_add_test(limits, test_core_init_passes_on_a_machine_refusal);
    tcase_add_test(limits, test_run_workload_refuses_bad_threads_and_configs);
    tcase_add_test(limits, test_core_pte_outside_the_range_aborts);
    tcase_add_test(limits, test_core_init_without_an_error_buffer);
    tcase_add_test(limits, test_run_workload_reports_threads_that_cannot_start);
    return s;
}

CHECK_MAIN(make_stage_core_suite)

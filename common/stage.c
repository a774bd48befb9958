/*
 * stage.c - what every phase shares around the stage interface: default
 * and checked configurations, building and tearing down the core data
 * (machine, page table, PFN database, page file, stats), and running user
 * threads on a workload.
 *
 * Default machine (the original projects'): 16 MiB of virtual space (4096
 * pages), 2% of it physical (82 frames), the hw MMU, trim and write
 * batches of 16 pages, one user thread.  The page file gets
 * virtual - physical slots, the least that can hold every page that does
 * not fit in memory, plus STAGE_PAGEFILE_MARGIN (PAGEFILE_MAX_BATCH = 64)
 * slots: room for one full batch of modified pages to claim slots while
 * every frame is in use, so write-back never starts out short of slots.
 *
 * Invariants of a built core (stage_core_init):
 *   1. config passed stage_config_check.
 *   2. ptes has config.virtual_pages cells, all ZERO; pfns has
 *      config.physical_frames records, all FREE; the page file has
 *      config.pagefile_slots slots, none allocated.
 *   3. The machine's page table is ptes (soft MMU), and its fault handler
 *      is the one trampoline to ops->fault(owner, ...) (none when ops is
 *      NULL).
 *
 * Failures undo every step already taken: stage_core_destroy accepts a
 * partly built (zeroed-then-filled) core.
 *
 * Locking: none.  stage_run_workload starts and joins threads but shares
 * nothing with them except what the workload and the stage lock
 * themselves.
 */
#include "stage.h"
#include "panic.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE_DEFAULT_VIRTUAL_PAGES ((16ull << 20) / MACHINE_PAGE_SIZE)
#define STAGE_DEFAULT_PHYSICAL_PERCENT 2
#define STAGE_PAGEFILE_MARGIN PAGEFILE_MAX_BATCH
#define STAGE_DEFAULT_BATCH 16
#define STAGE_USER_ADDRESS_BITS 47

/* Fill cfg with the default machine (see the design comment). */
void stage_config_defaults(struct stage_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->virtual_pages = STAGE_DEFAULT_VIRTUAL_PAGES;
    cfg->physical_frames =
        (STAGE_DEFAULT_VIRTUAL_PAGES * STAGE_DEFAULT_PHYSICAL_PERCENT + 50) /
        100;
    cfg->pagefile_slots = cfg->virtual_pages - cfg->physical_frames +
                          STAGE_PAGEFILE_MARGIN;
    cfg->mmu = MACHINE_MMU_HW;
    cfg->trim_batch = STAGE_DEFAULT_BATCH;
    cfg->write_batch = STAGE_DEFAULT_BATCH;
    cfg->user_threads = 1;
    cfg->pagefile_path = NULL;
    cfg->options = 0;
}

/* Check the three sizes: nonzero, within the address space, consistent.
 * 0 or -EINVAL with a sentence. */
static int stage_check_sizes(const struct stage_config *cfg, char *err,
                             size_t errlen)
{
    const uint64_t max_pages = (1ull << STAGE_USER_ADDRESS_BITS) /
                               MACHINE_PAGE_SIZE;
    unsigned long long v = cfg->virtual_pages, f = cfg->physical_frames,
                       s = cfg->pagefile_slots;
    if (v == 0)
        snprintf(err, errlen, "the virtual space must have at least one page");
    else if (f == 0)
        snprintf(err, errlen, "the machine must have at least one physical "
                 "frame");
    else if (s == 0)
        snprintf(err, errlen, "the page file must have at least one slot");
    else if (v > UINT64_MAX / MACHINE_PAGE_SIZE)
        snprintf(err, errlen, "a virtual space of %llu pages overflows a "
                 "64-bit byte count", v);
    else if (v > max_pages)
        snprintf(err, errlen, "a virtual space of %llu pages exceeds the "
                 "47-bit user address space (at most %llu pages)", v,
                 (unsigned long long)max_pages);
    else if (f > v)
        snprintf(err, errlen, "more physical frames (%llu) than virtual "
                 "pages (%llu)", f, v);
    else if (s > PTE_NUMBER_MAX + 1)
        snprintf(err, errlen, "a page file of %llu slots has more than a "
                 "disk PTE can name (at most %llu)", s,
                 PTE_NUMBER_MAX + 1);
    else if (s < v - f)
        snprintf(err, errlen, "the page file (%llu slots) is too small to "
                 "back the virtual space: need at least %llu", s, v - f);
    else
        return 0;
    return -EINVAL;
}

/* Check a count lies in 1..max; 0 or -EINVAL with "<what> must be ...". */
static int stage_check_range(unsigned value, unsigned max, const char *what,
                             char *err, size_t errlen)
{
    if (value >= 1 && value <= max)
        return 0;
    snprintf(err, errlen, "%s must be between 1 and %u (got %u)", what, max,
             value);
    return -EINVAL;
}

/* Refuse a bad configuration with one sentence in err (see stage.h).
 * Returns 0 or -EINVAL. */
int stage_config_check(const struct stage_config *cfg, char *err,
                       size_t errlen)
{
    if (err == NULL)
        errlen = 0; /* no room for a sentence: just the verdict */
    if (cfg == NULL) {
        snprintf(err, errlen, "no configuration given");
        return -EINVAL;
    }
    int rc = stage_check_sizes(cfg, err, errlen);
    if (rc == 0)
        rc = stage_check_range(cfg->trim_batch, PAGEFILE_MAX_BATCH,
                               "the trim batch", err, errlen);
    if (rc == 0)
        rc = stage_check_range(cfg->write_batch, PAGEFILE_MAX_BATCH,
                               "the write batch", err, errlen);
    if (rc == 0)
        rc = stage_check_range(cfg->user_threads, MACHINE_MAX_THREADS,
                               "the number of user threads", err, errlen);
    if (rc == 0 && cfg->mmu != MACHINE_MMU_HW && cfg->mmu != MACHINE_MMU_SOFT) {
        snprintf(err, errlen, "unknown MMU %d (use hw or soft)", (int)cfg->mmu);
        rc = -EINVAL;
    }
    return rc;
}

/* Build the machine and the page table of core->config.  0 or a negative
 * errno with a sentence; what was built stays in core for the caller to
 * undo. */
static int stage_core_build_memory(struct stage_core *core, char *err,
                                   size_t errlen)
{
    const struct stage_config *cfg = &core->config;
    struct machine_config mc = {.nframes = cfg->physical_frames,
                                .virtual_pages = cfg->virtual_pages,
                                .mmu = cfg->mmu};
    int rc = machine_create(&mc, &core->machine, err, errlen);
    if (rc != 0) {
        core->machine = NULL;
        return rc;
    }
    core->ptes = calloc(cfg->virtual_pages, sizeof *core->ptes);
    if (core->ptes == NULL) {
        snprintf(err, errlen, "out of memory for %llu page table entries",
                 (unsigned long long)cfg->virtual_pages);
        return -ENOMEM;
    }
    if (pfn_db_init(&core->pfns, cfg->physical_frames) != 0) {
        snprintf(err, errlen, "out of memory for %llu frame records",
                 (unsigned long long)cfg->physical_frames);
        return -ENOMEM;
    }
    return 0;
}

/* Build the page file and the stats of core->config.  0 or a negative
 * errno with a sentence (what was built stays in core). */
static int stage_core_build_store(struct stage_core *core, char *err,
                                  size_t errlen)
{
    struct pagefile_config pc = {.slots = core->config.pagefile_slots,
                                 .page_size = MACHINE_PAGE_SIZE,
                                 .path = core->config.pagefile_path};
    int rc = pagefile_create(&pc, &core->pagefile, err, errlen);
    if (rc != 0) {
        core->pagefile = NULL;
        return rc;
    }
    core->stats = stats_create();
    if (core->stats == NULL) {
        snprintf(err, errlen, "out of memory for the statistics");
        return -ENOMEM;
    }
    return 0;
}

/* Zeroed memory of size bytes aligned to align (see stage.h); the size
 * is rounded up to a multiple of align, as aligned_alloc requires.  NULL
 * when out of memory. */
void *stage_alloc(size_t align, size_t size)
{
    size = (size + align - 1) / align * align; /* aligned_alloc's rule */
    void *p = aligned_alloc(align, size);
    if (p != NULL)
        memset(p, 0, size);
    return p;
}

/* The machine's fault handler for every phase: ctx is the core, whose
 * ops->fault resolves the fault for the stage that owns it. */
static int stage_fault_trampoline(void *ctx, uint64_t va, bool is_write)
{
    struct stage_core *core = ctx;
    return core->ops->fault(core->owner, va, is_write);
}

/* The core of s (the first member of every phase's struct stage). */
struct stage_core *stage_core_of(struct stage *s)
{
    return (struct stage_core *)s;
}

/* Release f's stale page-file slot, if it has one (see stage.h). */
void stage_drop_stale_slot(struct stage_core *core, struct pfn *f)
{
    if (f->slot == PAGEFILE_NO_SLOT)
        return;
    pagefile_free(core->pagefile, f->slot);
    f->slot = PAGEFILE_NO_SLOT;
}

/* Check cfg and build every shared structure (see stage.h).  Returns 0, or
 * -EINVAL / a machine or page-file errno / -ENOMEM with a sentence in err;
 * on failure core holds nothing. */
int stage_core_init(struct stage_core *core, const struct stage_config *cfg,
                    const struct stage_ops *ops, struct stage *owner,
                    char *err, size_t errlen)
{
    memset(core, 0, sizeof *core); /* destroyable as it stands */
    if (err == NULL)
        errlen = 0;
    int rc = stage_config_check(cfg, err, errlen);
    if (rc != 0)
        return rc;
    core->config = *cfg;
    rc = stage_core_build_memory(core, err, errlen);
    if (rc == 0)
        rc = stage_core_build_store(core, err, errlen);
    if (rc != 0) {
        stage_core_destroy(core);
        return rc;
    }
    machine_set_page_table(core->machine, core->ptes);
    core->ops = ops;
    core->owner = owner;
    if (ops != NULL)
        machine_set_fault_handler(core->machine, stage_fault_trampoline, core);
    return 0;
}

/* Release whatever core holds (a whole or partly built core) and zero it. */
void stage_core_destroy(struct stage_core *core)
{
    stats_destroy(core->stats);
    pagefile_destroy(core->pagefile);
    pfn_db_destroy(&core->pfns);
    if (core->machine != NULL)
        machine_destroy(core->machine);
    free(core->ptes);
    memset(core, 0, sizeof *core);
}

/* The PTE of the page holding va; aborts when va is outside the range. */
pte_cell_t *stage_core_pte(struct stage_core *core, uint64_t va)
{
    if (!machine_va_valid(core->machine, va)) {
        char why[96];
        snprintf(why, sizeof why, "address 0x%llx is outside the user range",
                 (unsigned long long)va);
        panic("stage_core_pte", why);
    }
    return &core->ptes[machine_vpn(core->machine, va)];
}

/* ---- running user threads ---------------------------------------------- */

struct stage_worker {
    pthread_t thread;
    struct workload_run *run;
    unsigned index;
    struct stats *stats;
    int rc; /* workload_thread_run's verdict */
    struct workload_result result;
};

/* Thread body: run one user thread of the workload. */
static void *stage_worker_main(void *arg)
{
    struct stage_worker *w = arg;
    w->rc = workload_thread_run(w->run, w->index, w->stats, &w->result);
    return NULL;
}

/* Start nthreads workers; returns how many started (the rest failed). */
static unsigned stage_start_workers(struct stage_worker *w, unsigned nthreads,
                                    struct workload_run *run,
                                    struct stats *stats)
{
    for (unsigned i = 0; i < nthreads; i++) {
        memset(&w[i].result, 0, sizeof w[i].result);
        w[i].run = run;
        w[i].index = i;
        w[i].stats = stats;
        if (pthread_create(&w[i].thread, NULL, stage_worker_main, &w[i]) != 0)
            return i;
    }
    return nthreads;
}

/* Join the started workers, merge their results into res; 0 when each
 * one's workload_thread_run returned 0, -1 otherwise. */
static int stage_join_workers(struct stage_worker *w, unsigned started,
                              struct workload_result *res)
{
    int rc = 0;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(w[i].thread, NULL);
        workload_result_merge(res, &w[i].result);
        if (w[i].rc != 0)
            rc = -1;
    }
    return rc;
}

/* Run nthreads user threads of cfg against s, join them and merge their
 * results into *res (zeroed first).  Returns 0 when every thread's stamps
 * checked out (workload_thread_run returned 0), -1 otherwise, and also
 * when nthreads is 0 or above MACHINE_MAX_THREADS, cfg is invalid, or the
 * threads could not all be started (the reason is then in
 * res->first_error). */
int stage_run_workload(const struct stage_ops *ops, struct stage *s,
                       const struct workload_config *cfg, unsigned nthreads,
                       struct workload_result *res)
{
    memset(res, 0, sizeof *res);
    if (nthreads == 0 || nthreads > MACHINE_MAX_THREADS) {
        snprintf(res->first_error, sizeof res->first_error,
                 "the number of user threads must be between 1 and %d (got %u)",
                 MACHINE_MAX_THREADS, nthreads);
        return -1;
    }
    struct stage_core *core = ops->core(s);
    errno = 0;
    struct workload_run *run = workload_run_create(cfg, core->machine,
                                                   nthreads);
    struct stage_worker *w = calloc(nthreads, sizeof *w);
    if (run == NULL || w == NULL) {
        snprintf(res->first_error, sizeof res->first_error, "%s",
                 run == NULL && errno == EINVAL
                     ? "the workload configuration is invalid (a pattern or "
                       "percentage out of range)"
                     : "out of memory for the workload");
        free(w);
        if (run != NULL)
            workload_run_destroy(run);
        return -1;
    }
    unsigned started = stage_start_workers(w, nthreads, run, core->stats);
    int rc = stage_join_workers(w, started, res);
    if (started < nthreads) {
        if (res->first_error[0] == '\0')
            snprintf(res->first_error, sizeof res->first_error,
                     "could not start user thread %u of %u", started + 1,
                     nthreads);
        rc = -1;
    }
    free(w);
    workload_run_destroy(run);
    return rc;
}

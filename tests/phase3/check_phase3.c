/*
 * check_phase3.c - phase3-optimized beyond the shared stage suite:
 * stress runs with stamps on every access (1/2/4 user threads x hw/soft x
 * every pattern, all options on, and each option off in turn, system
 * threads running, race amplifier on), and the edge cases of each
 * optimization: a trim batch across a PTE-region boundary, slot runs from
 * a fragmented bitmap, read-ahead in a sequential walk and at the end of
 * the virtual range and of the page file, rescues from a thread's private
 * cache, active frames kept on no list, aging, no allocation on the fault
 * path, and the error paths.
 *
 * Every test builds its own stage, drives it through phase3_ops and the
 * shared core, and closes it with a clean audit and no lock held.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bounded_wait.h"
#include "check_util.h"
#include "lock.h"
#include "lockorder.h"
#include "p3_fixture.h"
#include "phase3.h"

static uint64_t stamp(uint64_t vpn, unsigned v)
{
    return (vpn << 16) | v;
}

/* Trim and write until every page is on standby or modified-free. */
static void settle_all(struct p3 *x)
{
    while (phase3_ops.trim(x->s, 64) > 0)
        ;
    while (phase3_ops.write_modified(x->s, 64) > 0)
        ;
}

/* Write version 'version' of pages first..first+n-1. */
static void put_range(struct p3 *x, uint64_t first, uint64_t n,
                      unsigned version)
{
    for (uint64_t v = first; v < first + n; v++)
        p3fx_put(x, v, stamp(v, version));
}

/* Assert pages first..first+n-1 hold version 'version'. */
static void check_range(struct p3 *x, uint64_t first, uint64_t n,
                        unsigned version)
{
    for (uint64_t v = first; v < first + n; v++)
        ck_assert_uint_eq(p3fx_get(x, v), stamp(v, version));
}

/* Write version 'version' of pages 0..n-1, then trim until none is active
 * (dirty pages end on the modified list). */
static void dirty_and_trim(struct p3 *x, uint64_t n, unsigned version)
{
    for (uint64_t v = 0; v < n; v++)
        p3fx_put(x, v, stamp(v, version));
    while (phase3_ops.trim(x->s, 8) > 0)
        ;
}

/* Allocate every free slot (so the page file is full); returns how many.
 * Used on a page file whose allocated slots are 0..k-1. */
static uint64_t fill_pagefile(struct p3 *x)
{
    uint64_t slot, n = 0;
    while (pagefile_alloc(x->core->pagefile, &slot) == 0)
        n++;
    return n;
}

/* Free slots first..first+n-1. */
static void free_slots(struct p3 *x, uint64_t first, uint64_t n)
{
    for (uint64_t s = first; s < first + n; s++)
        pagefile_free(x->core->pagefile, s);
}

/* ---- stress ------------------------------------------------------------ */

/* Run a workload of pattern with nthreads user threads and the system
 * threads on a 256-page / 24-frame stage; assert every stamp held. */
static void stress(unsigned nthreads, enum machine_mmu mmu,
                   enum workload_pattern pattern, uint64_t options)
{
    struct p3 x;
    struct workload_config wl;
    p3fx_open(&x, 256, 24, 256, mmu, options, nthreads);
    lock_amplifier_enable(0);
    workload_defaults(&wl);
    wl.pattern = pattern;
    wl.accesses = 3000;
    wl.phase_length = 500;
    wl.seed = 7 + nthreads;
    ck_assert_int_eq(phase3_ops.start(x.s), 0);
    struct bounded_run run;
    ck_assert_int_eq(bounded_run_start(&run, &phase3_ops, x.s, &wl, nthreads),
                     0);
    enum bounded_run_state st;
    while ((st = bounded_run_wait(&run, 100)) == BOUNDED_RUN_RUNNING)
        ;
    ck_assert_msg(st == BOUNDED_RUN_DONE, "%u threads %s %s options %#"
                  PRIx64 ": no access done in %.0f s (%" PRIu64 " of %u "
                  "done): a user thread waits for something that never "
                  "comes (seed %" PRIu64 ")", nthreads, machine_mmu_name(mmu),
                  workload_pattern_name(pattern), options,
                  bounded_wait_seconds(), bounded_run_accesses(&run),
                  3000 * nthreads, lock_amplifier_seed());
    phase3_ops.stop(x.s);
    lock_amplifier_disable();
    const struct workload_result *res = &run.res;
    ck_assert_msg(run.rc == 0 && res->stamp_errors == 0 &&
                      res->access_errors == 0,
                  "%u threads %s %s options %#" PRIx64 ": %s (seed %" PRIu64
                  ")", nthreads, machine_mmu_name(mmu),
                  workload_pattern_name(pattern), options, res->first_error,
                  lock_amplifier_seed());
    ck_assert_uint_eq(res->reads + res->writes, 3000ull * nthreads);
    p3fx_close(&x);
}

/* _i: pattern (4) x mmu (2) x threads 1/2/4 (3). */
START_TEST(test_stress_all_options_keeps_every_stamp)
{
    static const unsigned threads[] = {1, 2, 4};
    stress(threads[_i / 8], (_i / 4) % 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
           (enum workload_pattern)(_i % 4), PHASE3_OPT_ALL);
}
END_TEST

/* _i: which option is off (10) x mmu (2); 2 threads, uniform and walk. */
START_TEST(test_stress_each_option_off_keeps_every_stamp)
{
    uint64_t options = PHASE3_OPT_ALL & ~(1ull << (_i / 2));
    enum machine_mmu mmu = _i % 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW;
    stress(2, mmu, WORKLOAD_UNIFORM, options);
    stress(2, mmu, WORKLOAD_WALK, options);
}
END_TEST

/* ---- batched trims ----------------------------------------------------- */

/* Pages 60..67 straddle regions 0 and 1: with batching one unmap call
 * covers all eight, without it one call per page. */
START_TEST(test_trim_batch_spans_region_boundary)
{
    struct p3 x;
    bool batching = _i % 2 == 0;
    p3fx_open(&x, 256, 32, 256, _i / 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              batching ? PHASE3_OPT_BATCH_TRIM : 0, 1);
    put_range(&x, 60, 8, 1);
    struct machine_counters before, after;
    machine_counters(x.m, &before);
    ck_assert_int_eq(phase3_ops.trim(x.s, 8), 8);
    machine_counters(x.m, &after);
    ck_assert_uint_eq(after.unmap_pages - before.unmap_pages, 8);
    ck_assert_uint_eq(after.unmap_calls - before.unmap_calls,
                      batching ? 1 : 8);
    for (uint64_t v = 60; v < 68; v++) {
        pte_t p = p3fx_pte(&x, v);
        ck_assert_int_eq(pte_format(p), PTE_TRANSITION);
        ck_assert_int_eq(pfn_get(&x.core->pfns, pte_frame(p))->state,
                         PFN_MODIFIED);
    }
    ck_assert_uint_eq(p3fx_stat(&x, STAT_TRIM), 8);
    check_range(&x, 60, 8, 1);
    p3fx_close(&x);
}
END_TEST

/* ---- batched writes ---------------------------------------------------- */

/* Eight modified pages, a bitmap with free slots only at 3, 10-11, 20-22,
 * 40 and 50: five runs, five vectored writes, each page's bytes in the
 * slot its frame records. */
START_TEST(test_write_runs_from_fragmented_bitmap)
{
    static const uint64_t holes[] = {3, 10, 11, 20, 21, 22, 40, 50};
    struct p3 x;
    p3fx_open(&x, 64, 16, 64, MACHINE_MMU_SOFT,
              PHASE3_OPT_BATCH_WRITE | PHASE3_OPT_BATCH_TRIM, 1);
    dirty_and_trim(&x, 8, 2);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_MODIFIED), 8);
    struct pagefile *pf = x.core->pagefile;
    ck_assert_uint_eq(fill_pagefile(&x), 64);
    for (size_t i = 0; i < 8; i++)
        pagefile_free(pf, holes[i]);
    uint64_t calls = pagefile_io_calls(pf, PAGEFILE_OP_WRITE);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), 8);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE) - calls, 5);
    ck_assert_uint_eq(p3fx_stat(&x, STAT_WRITE_CALLS), 5);
    static uint64_t page[MACHINE_PAGE_SIZE / 8];
    for (uint64_t v = 0; v < 8; v++) {
        struct pfn *p = pfn_get(&x.core->pfns, pte_frame(p3fx_pte(&x, v)));
        ck_assert_int_eq(p->state, PFN_STANDBY);
        ck_assert_int_eq(pagefile_read(pf, p->slot, page), 0);
        ck_assert_uint_eq(page[0], stamp(v, 2));
    }
    for (uint64_t s = 0; s < 64; s++) {
        bool hole = false;
        for (size_t i = 0; i < 8; i++)
            hole |= holes[i] == s;
        if (!hole)
            pagefile_free(pf, s);
    }
    p3fx_close(&x);
}
END_TEST

/* ---- read-ahead -------------------------------------------------------- */

/* Write pages first..first+n-1, then push all of them to disk by reading
 * n other (zero) pages from 'other' on. */
static void to_disk(struct p3 *x, uint64_t first, unsigned n, uint64_t other)
{
    put_range(x, first, n, 3);
    settle_all(x);
    phase3_cache_drain(x->s);
    for (uint64_t v = other; v < other + x->core->config.physical_frames; v++)
        (void)p3fx_get(x, v);
    for (uint64_t v = first; v < first + n; v++)
        ck_assert_int_eq(pte_format(p3fx_pte(x, v)), PTE_DISK);
}

/* A sequential walk over pages written out in order takes fewer hard
 * faults and read calls than pages, and every stamp reads back. */
START_TEST(test_read_ahead_in_sequential_walk)
{
    struct p3 x;
    p3fx_open(&x, 128, 16, 128, _i ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              PHASE3_OPT_READ_AHEAD | PHASE3_OPT_BATCH_WRITE |
              PHASE3_OPT_BATCH_TRIM, 1);
    put_range(&x, 0, 16, 3);
    settle_all(&x);
    for (uint64_t v = 64; v < 80; v++)
        (void)p3fx_get(&x, v);
    uint64_t hard = p3fx_stat(&x, STAT_FAULT_DISK);
    uint64_t reads = pagefile_io_calls(x.core->pagefile, PAGEFILE_OP_READ);
    check_range(&x, 0, 16, 3);
    ck_assert_uint_gt(p3fx_stat(&x, STAT_READ_AHEAD), 0);
    ck_assert_uint_lt(p3fx_stat(&x, STAT_FAULT_DISK) - hard, 16);
    ck_assert_uint_lt(
        pagefile_io_calls(x.core->pagefile, PAGEFILE_OP_READ) - reads, 16);
    p3fx_close(&x);
}
END_TEST

/* The last pages of the range sit in the last slots of the page file:
 * read-ahead from page 61 takes 62 and 63 and stops at the end of both. */
START_TEST(test_read_ahead_stops_at_end_of_range_and_file)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, _i ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              PHASE3_OPT_READ_AHEAD | PHASE3_OPT_BATCH_WRITE |
              PHASE3_OPT_BATCH_TRIM, 1);
    uint64_t slot;
    for (int i = 0; i < 56; i++)
        ck_assert_int_eq(pagefile_alloc(x.core->pagefile, &slot), 0);
    to_disk(&x, 56, 8, 0);
    ck_assert_uint_eq(pte_slot(p3fx_pte(&x, 63)), 63);
    free_slots(&x, 0, 56);
    ck_assert_uint_eq(p3fx_get(&x, 60), stamp(60, 3));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_READ_AHEAD), 0);
    ck_assert_uint_eq(p3fx_get(&x, 61), stamp(61, 3));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_READ_AHEAD), 2);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 62)), PTE_TRANSITION);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 63)), PTE_TRANSITION);
    uint64_t reads = p3fx_stat(&x, STAT_FAULT_DISK);
    ck_assert_uint_eq(p3fx_get(&x, 62), stamp(62, 3));
    ck_assert_uint_eq(p3fx_get(&x, 63), stamp(63, 3));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_FAULT_DISK), reads);
    p3fx_close(&x);
}
END_TEST

/* A read error during a read-ahead comes back as -EIO with nothing
 * changed; the retry succeeds. */
START_TEST(test_read_ahead_error_loses_nothing)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, MACHINE_MMU_SOFT,
              PHASE3_OPT_READ_AHEAD | PHASE3_OPT_BATCH_WRITE |
              PHASE3_OPT_BATCH_TRIM | PHASE3_OPT_LOCKFREE_FAST, 1);
    to_disk(&x, 8, 8, 32);
    ck_assert_uint_eq(p3fx_get(&x, 8), stamp(8, 3));
    pagefile_inject_error(x.core->pagefile, PAGEFILE_OP_READ, 1, -EIO);
    uint64_t v = 0;
    ck_assert_int_eq(machine_read64(x.m, p3fx_va(&x, 9), &v), -EIO);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 9)), PTE_DISK);
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 10)), PTE_DISK);
    p3fx_audit(&x);
    check_range(&x, 9, 7, 3);
    p3fx_close(&x);
}
END_TEST

/* ---- frame caches ------------------------------------------------------ */

/* Make every frame STANDBY (pages 0..frames-1 written out), no frame free. */
static void all_standby(struct p3 *x)
{
    uint64_t frames = x->core->config.physical_frames;
    put_range(x, 0, frames, 4);
    settle_all(x);
    phase3_cache_drain(x->s);
    ck_assert_uint_eq(pfn_count(&x->core->pfns, PFN_STANDBY), frames);
}

/* A cached standby frame whose page the calling thread's cache holds. */
static uint64_t cached_page(struct p3 *x)
{
    for (uint64_t f = 0; f < x->core->pfns.nframes; f++) {
        struct pfn *p = pfn_get(&x->core->pfns, f);
        if ((p->flags & PFN_FLAG_HELD) && p->vpn != PFN_NO_VPN)
            return p->vpn;
    }
    ck_abort_msg("no standby frame in a cache");
    return 0;
}

/* A page whose frame sits in the thread's own cache faults back without
 * I/O; the cache's stale entry is skipped later. */
START_TEST(test_rescue_from_private_cache)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, _i ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              PHASE3_OPT_FRAME_CACHE, 1);
    all_standby(&x);
    ck_assert_uint_eq(phase3_cache_fill(x.s), 2);
    uint64_t vpn = cached_page(&x);
    uint64_t frame = pte_frame(p3fx_pte(&x, vpn));
    uint64_t reads = pagefile_pages_moved(x.core->pagefile, PAGEFILE_OP_READ);
    uint64_t rescues = p3fx_stat(&x, STAT_RESCUE_STANDBY);
    ck_assert_uint_eq(p3fx_get(&x, vpn), stamp(vpn, 4));
    ck_assert_uint_eq(p3fx_stat(&x, STAT_RESCUE_STANDBY), rescues + 1);
    ck_assert_uint_eq(
        pagefile_pages_moved(x.core->pagefile, PAGEFILE_OP_READ), reads);
    ck_assert_uint_eq(pte_frame(p3fx_pte(&x, vpn)), frame);
    ck_assert_int_eq(pfn_get(&x.core->pfns, frame)->state, PFN_ACTIVE);
    p3fx_audit(&x);
    for (uint64_t v = 20; v < 30; v++)
        ck_assert_uint_eq(p3fx_get(&x, v), 0);
    ck_assert_uint_eq(p3fx_get(&x, vpn), stamp(vpn, 4));
    p3fx_close(&x);
}
END_TEST

/* A read takes a frame back from under the writer. */
struct take_back {
    struct p3 *x;
    uint64_t vpn;
    uint64_t value;         /* what the read inside the write saw */
    pte_t pte;              /* the page's PTE after that read */
    uint8_t state, flags;   /* its frame's record then */
    bool linked;
    bool ran;               /* the hook ran */
    int trimmed;            /* what a trim found to do meanwhile */
    bool wrote_early;       /* a write to the page finished meanwhile */
    int written;            /* write_modified's result */
    struct bounded_thread writer; /* writes the page during the write */
};

/* A second user thread writes the page (an upgrade: it must wait). */
static void write_page(void *arg)
{
    struct take_back *t = arg;
    machine_thread_attach(t->x->m);
    machine_write64(t->x->m, p3fx_va(t->x, t->vpn), stamp(t->vpn, 2));
    machine_thread_detach(t->x->m);
}

/* The write hook: the batch is WRITING and no lock is held.  Read the page
 * (a rescue that waited for this very write would never return), record
 * what it left, and try to trim it again. */
static void read_during_write(void *arg)
{
    struct take_back *t = arg;
    t->ran = true;
    machine_read64(t->x->m, p3fx_va(t->x, t->vpn), &t->value);
    t->pte = p3fx_pte(t->x, t->vpn);
    struct pfn *p = pfn_get(&t->x->core->pfns, pte_frame(t->pte));
    t->state = p->state;
    t->flags = p->flags;
    t->linked = list_node_linked(&p->link);
    t->trimmed = phase3_ops.trim(t->x->s, 64);
    if (bounded_thread_start(&t->writer, write_page, t) == 0)
        t->wrote_early = bounded_event_wait_ms(&t->writer.event,
                                               BOUNDED_THREAD_ENDED, 100) &
                         BOUNDED_THREAD_ENDED;
}

/* bounded_call body: one write-back pass on a thread of the machine. */
static void write_back_pass(void *arg)
{
    struct take_back *t = arg;
    machine_thread_attach(t->x->m);
    t->written = phase3_ops.write_modified(t->x->s, 64);
    machine_thread_detach(t->x->m);
}

/* A read fault on a page whose frame is being written does not wait: the
 * frame turns ACTIVE (still WRITING, on no list) under a read-only
 * mapping, the clock leaves it alone, and a write from another thread
 * waits until the write ends (the page is never writable while it is
 * being written).  When the write ends the frame keeps the slot it was
 * written to and joins the active list; the waiting write then upgrades
 * the page and frees that slot. */
START_TEST(test_read_takes_frame_back_from_writer)
{
    struct p3 x;
    bool unlisted = _i / 2 == 1;
    p3fx_open(&x, 64, 8, 64, _i % 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              unlisted ? PHASE3_OPT_UNLISTED_ACTIVE : 0, 1);
    struct pagefile *pf = x.core->pagefile;
    struct take_back *t = calloc(1, sizeof *t); /* outlives a stuck call */
    ck_assert_ptr_nonnull(t);
    *t = (struct take_back){.x = &x, .vpn = 5, .trimmed = -1};
    p3fx_put(&x, 5, stamp(5, 1));
    while (phase3_ops.trim(x.s, 64) > 0)
        ;
    uint64_t frame = pte_frame(p3fx_pte(&x, 5));
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 5)), PTE_TRANSITION);
    ck_assert_int_eq(pfn_get(&x.core->pfns, frame)->state, PFN_MODIFIED);
    uint64_t rescues = p3fx_stat(&x, STAT_RESCUE_MODIFIED);
    phase3_set_write_hook(x.s, read_during_write, t);
    ck_assert_msg(bounded_call(write_back_pass, t) == 0,
                  "a read of a page being written waited for that write");
    phase3_set_write_hook(x.s, NULL, NULL);
    ck_assert_msg(t->ran, "the write hook never ran: write-back must take "
                          "its batch with phase3_list_grab");
    /* during the write */
    ck_assert_uint_eq(t->value, stamp(5, 1));
    ck_assert_int_eq(pte_format(t->pte), PTE_VALID);
    ck_assert(!pte_writable(t->pte) && !pte_dirty(t->pte));
    ck_assert_uint_eq(pte_frame(t->pte), frame);
    ck_assert_int_eq(t->state, PFN_ACTIVE);
    ck_assert_uint_eq(t->flags, PFN_FLAG_WRITING);
    ck_assert(!t->linked);
    ck_assert_int_eq(t->trimmed, 0);
    ck_assert_msg(!t->wrote_early, "a write made the page writable while "
                                   "its frame was being written");
    ck_assert_uint_eq(p3fx_stat(&x, STAT_RESCUE_MODIFIED), rescues + 1);
    /* after it: the written copy, then the waiting write's upgrade */
    ck_assert_int_eq(t->written, 1);
    ck_assert_uint_eq(pagefile_io_calls(pf, PAGEFILE_OP_WRITE), 1);
    ck_assert_msg(bounded_thread_join(&t->writer),
                  "the write waiting for the write-back never finished");
    struct pfn *p = pfn_get(&x.core->pfns, frame);
    ck_assert_int_eq(p->state, PFN_ACTIVE);
    ck_assert_uint_eq(p->flags, 0);
    ck_assert(list_node_linked(&p->link) == !unlisted);
    ck_assert(pte_writable(p3fx_pte(&x, 5)) && pte_dirty(p3fx_pte(&x, 5)));
    ck_assert_uint_eq(p->slot, PAGEFILE_NO_SLOT);
    ck_assert_uint_eq(pagefile_in_use(pf), 0);
    ck_assert_uint_eq(p3fx_stat(&x, STAT_FAULT_UPGRADE), 1);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_ACTIVE), 1);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_MODIFIED), 0);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_STANDBY), 0);
    p3fx_audit(&x);
    ck_assert_uint_eq(pagefile_in_use(pf), 0);
    ck_assert_uint_eq(p3fx_get(&x, 5), stamp(5, 2));
    settle_all(&x);
    ck_assert_uint_eq(p3fx_get(&x, 5), stamp(5, 2));
    free(t);
    p3fx_close(&x);
}
END_TEST

/* Bits of the filler's thread event: its cache is full; main rescued. */
#define FILLER_FILLED 1u
#define FILLER_RESCUED 2u

struct filler {
    struct p3 *x;
    uint64_t result;
    struct bounded_thread thread;
};

/* Fill this thread's cache, wait while main rescues, then fault a page
 * (skipping the stale entry) and exit (the cache drains). */
static void fill_then_fault(void *arg)
{
    struct filler *f = arg;
    machine_thread_attach(f->x->m);
    phase3_cache_fill(f->x->s);
    bounded_event_raise(&f->thread.event, FILLER_FILLED);
    bounded_event_wait(&f->thread.event, FILLER_RESCUED);
    machine_read64(f->x->m, p3fx_va(f->x, 40), &f->result);
    machine_thread_detach(f->x->m);
}

/* A page whose frame is in another thread's cache is rescued from it;
 * that thread later skips the entry, and its exit returns its frames. */
START_TEST(test_rescue_from_other_threads_cache)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, MACHINE_MMU_SOFT, PHASE3_OPT_FRAME_CACHE, 1);
    all_standby(&x);
    struct filler f = {.x = &x, .result = 1};
    ck_assert_int_eq(bounded_thread_start(&f.thread, fill_then_fault, &f), 0);
    ck_assert_msg(bounded_event_wait(&f.thread.event, FILLER_FILLED) &
                      FILLER_FILLED,
                  "phase3_cache_fill on a second thread did not return "
                  "within %.0f s", bounded_wait_seconds());
    uint64_t vpn = cached_page(&x);
    ck_assert_uint_eq(p3fx_get(&x, vpn), stamp(vpn, 4));
    bounded_event_raise(&f.thread.event, FILLER_RESCUED);
    ck_assert_msg(bounded_thread_join(&f.thread), "a fault of the thread "
                  "whose cached frame was rescued (or its exit) did not "
                  "return within %.0f s", bounded_wait_seconds());
    ck_assert_uint_eq(f.result, 0);
    uint64_t cached = 0;
    for (uint64_t fr = 0; fr < 8; fr++)
        cached += (pfn_get(&x.core->pfns, fr)->flags & PFN_FLAG_HELD) != 0;
    ck_assert_uint_eq(cached, phase3_cached_frames(x.s));
    p3fx_close(&x);
}
END_TEST

/* Frames a thread cached come back when it exits. */
static void touch_and_exit(void *arg)
{
    struct p3 *x = arg;
    uint64_t v;
    machine_thread_attach(x->m);
    machine_read64(x->m, p3fx_va(x, 5), &v);
    machine_thread_detach(x->m);
}

START_TEST(test_thread_exit_returns_cached_frames)
{
    struct p3 x;
    p3fx_open(&x, 256, 64, 256, MACHINE_MMU_SOFT, PHASE3_OPT_FRAME_CACHE, 1);
    struct bounded_thread t;
    ck_assert_int_eq(bounded_thread_start(&t, touch_and_exit, &x), 0);
    ck_assert_msg(bounded_thread_join(&t), "a thread's first fault and its "
                  "exit (which returns its cached frames) did not finish "
                  "within %.0f s", bounded_wait_seconds());
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_FREE), 63);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_ACTIVE), 1);
    p3fx_close(&x);
}
END_TEST

/* ---- aging ------------------------------------------------------------- */

/* With aging, pages touched between trims stay; idle ones go, and the
 * trimmed ones were idle the longest. */
START_TEST(test_aging_trims_idle_pages_first)
{
    struct p3 x;
    p3fx_open(&x, 64, 32, 64, MACHINE_MMU_SOFT, PHASE3_OPT_AGING, 1);
    put_range(&x, 0, 16, 5);
    ck_assert_uint_eq(phase3_age_threshold(x.s), 2);
    ck_assert_int_eq(phase3_ops.trim(x.s, 1), 1); /* a lap to sample */
    for (int round = 0; round < 8; round++) {
        for (uint64_t v = 0; v < 16; v += 2) /* even pages are hot */
            ck_assert_uint_eq(p3fx_get(&x, v), stamp(v, 5));
        ck_assert_int_eq(phase3_ops.trim(x.s, 1), 1);
        for (uint64_t v = 2; v < 16; v += 2)
            ck_assert_int_eq(pte_format(p3fx_pte(&x, v)), PTE_VALID);
    }
    for (uint64_t v = 1; v < 16; v += 2)
        ck_assert_int_eq(pte_format(p3fx_pte(&x, v)), PTE_TRANSITION);
    p3fx_close(&x);
}
END_TEST

/* A trim that finds no page old enough lowers the threshold. */
START_TEST(test_aging_threshold_falls_when_pages_are_scarce)
{
    struct p3 x;
    p3fx_open(&x, 64, 32, 64, MACHINE_MMU_SOFT, PHASE3_OPT_AGING, 1);
    p3fx_put(&x, 1, stamp(1, 1));
    ck_assert_int_eq(phase3_ops.trim(x.s, 8), 1);
    ck_assert_uint_eq(phase3_age_threshold(x.s), 1);
    ck_assert_uint_eq(p3fx_get(&x, 1), stamp(1, 1));
    p3fx_close(&x);
}
END_TEST

/* ---- memory ------------------------------------------------------------ */

START_TEST(test_pfn_record_fits_a_cache_line)
{
    ck_assert_uint_le(sizeof(struct pfn), 64);
}
END_TEST

/* ---- active frames on no list ------------------------------------------ */

/* _i: mmu (2) x the active list kept (0) or not (PHASE3_OPT_UNLISTED_ACTIVE,
 * 1).  One page's frame through fault, trim, write-back and a rescue from
 * standby: states, counts and audit are the same either way; only with
 * the list kept is an active frame linked on it. */
START_TEST(test_active_frames_are_on_a_list_only_without_the_option)
{
    struct p3 x;
    bool unlisted = _i / 2 == 1;
    p3fx_open(&x, 64, 8, 64, _i % 2 ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              unlisted ? PHASE3_OPT_UNLISTED_ACTIVE : 0, 1);
    struct pfn_db *db = &x.core->pfns;
    ck_assert(pfn_listed(db, PFN_ACTIVE) == !unlisted);
    p3fx_put(&x, 3, stamp(3, 1));
    struct pfn *p = pfn_get(db, pte_frame(p3fx_pte(&x, 3)));
    ck_assert_int_eq(p->state, PFN_ACTIVE);
    ck_assert(list_node_linked(&p->link) == !unlisted);
    ck_assert_uint_eq(list_count(&db->lists[PFN_ACTIVE]), unlisted ? 0 : 1);
    ck_assert_uint_eq(pfn_count(db, PFN_ACTIVE), 1);
    p3fx_audit(&x);
    while (phase3_ops.trim(x.s, 8) > 0)
        ;
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 3)), PTE_TRANSITION);
    ck_assert_int_eq(p->state, PFN_MODIFIED);
    ck_assert(list_node_linked(&p->link));
    ck_assert_uint_eq(pfn_count(db, PFN_ACTIVE), 0);
    ck_assert_uint_eq(pfn_count(db, PFN_MODIFIED), 1);
    while (phase3_ops.write_modified(x.s, 8) > 0)
        ;
    ck_assert_int_eq(p->state, PFN_STANDBY);
    ck_assert_uint_eq(pfn_count(db, PFN_STANDBY), 1);
    p3fx_audit(&x);
    ck_assert_uint_eq(p3fx_get(&x, 3), stamp(3, 1));
    ck_assert_int_eq(pte_format(p3fx_pte(&x, 3)), PTE_VALID);
    ck_assert_uint_eq(pte_frame(p3fx_pte(&x, 3)), pfn_number(db, p));
    ck_assert_int_eq(p->state, PFN_ACTIVE);
    ck_assert(list_node_linked(&p->link) == !unlisted);
    ck_assert_uint_eq(pfn_count(db, PFN_ACTIVE), 1);
    ck_assert_uint_eq(pfn_count(db, PFN_STANDBY), 0);
    ck_assert_uint_eq(p3fx_stat(&x, STAT_RESCUE_STANDBY), 1);
    ck_assert_uint_eq(pagefile_io_calls(x.core->pagefile, PAGEFILE_OP_READ),
                      0);
    p3fx_close(&x);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define P3_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define P3_COUNT_MALLOC 0
#endif
#endif
#ifndef P3_COUNT_MALLOC
#define P3_COUNT_MALLOC 1
#endif

#if P3_COUNT_MALLOC
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
static _Atomic bool counting;
static _Atomic uint64_t allocations;

/* Interpose malloc / calloc to count calls while 'counting'. */
void *malloc(size_t n)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add(&allocations, 1);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add(&allocations, 1);
    return __libc_calloc(n, size);
}
#endif

/* Thousands of faults of every kind (zero, hard with read-ahead, rescue,
 * upgrade, with inline trims and writes) allocate nothing. */
START_TEST(test_fault_path_allocates_nothing)
{
#if P3_COUNT_MALLOC
    struct p3 x;
    p3fx_open(&x, 512, 32, 512, _i ? MACHINE_MMU_SOFT : MACHINE_MMU_HW,
              PHASE3_OPT_ALL, 1);
    put_range(&x, 0, 512, 1);
    uint64_t bad = 0, word;
    atomic_store(&allocations, 0);
    atomic_store(&counting, true); /* no check assertion in here: they allocate */
    for (int round = 0; round < 3; round++) {
        for (uint64_t v = 0; v < 512; v++) {
            bad += machine_read64(x.m, p3fx_va(&x, v), &word) != 0 ||
                   word != stamp(v, 1);
            if (v % 3 == 0 && round == 1)
                bad += machine_write64(x.m, p3fx_va(&x, v), stamp(v, 1)) != 0;
        }
    }
    atomic_store(&counting, false);
    ck_assert_uint_eq(bad, 0);
    ck_assert_uint_gt(p3fx_stat(&x, STAT_FAULT_DISK), 0);
    ck_assert_uint_gt(p3fx_stat(&x, STAT_FAULT_TRANSITION), 0);
    ck_assert_uint_eq(atomic_load(&allocations), 0);
    p3fx_close(&x);
#else
    ck_assert_uint_le(sizeof(struct pfn), 64); /* sanitizers own malloc */
#endif
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

START_TEST(test_multi_writer_runs_two_writers)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, MACHINE_MMU_SOFT, _i ? PHASE3_OPT_MULTI_WRITER : 0,
              1);
    ck_assert_uint_eq(phase3_writer_threads(x.s), 0);
    ck_assert_int_eq(phase3_ops.start(x.s), 0);
    ck_assert_int_eq(phase3_ops.start(x.s), 0);
    ck_assert_uint_eq(phase3_writer_threads(x.s), _i ? 2 : 1);
    put_range(&x, 0, 64, 6);
    check_range(&x, 0, 64, 6);
    phase3_ops.stop(x.s);
    phase3_ops.stop(x.s);
    ck_assert_uint_eq(phase3_writer_threads(x.s), 0);
    p3fx_close(&x);
}
END_TEST

/* Direct reclaim: one thread writing through 4x memory with the system
 * threads running trims and writes in its own time and never wakes them
 * (the trimmer and writer sleep throughout); without the option every
 * shortage is a wake-up.  Either way every stamp is kept. */
START_TEST(test_direct_reclaim_wakes_no_system_thread)
{
    struct p3 x;
    uint64_t options = PHASE3_OPT_ALL;
    if (!_i)
        options &= ~(uint64_t)PHASE3_OPT_DIRECT_RECLAIM;
    p3fx_open(&x, 256, 16, 256, MACHINE_MMU_SOFT, options, 1);
    ck_assert_int_eq(phase3_ops.start(x.s), 0);
    put_range(&x, 0, 256, 4);
    check_range(&x, 0, 256, 4);
    uint64_t wakeups = phase3_system_wakeups(x.s);
    phase3_ops.stop(x.s);
    ck_assert_uint_ge(p3fx_stat(&x, STAT_TRIM), 256 - 16);
    ck_assert_uint_ge(p3fx_stat(&x, STAT_PAGE_WRITE), 256 - 16);
    if (_i)
        ck_assert_uint_eq(wakeups, 0);
    else
        ck_assert_uint_gt(wakeups, 0);
    p3fx_close(&x);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

START_TEST(test_fault_outside_range_is_efault)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, MACHINE_MMU_SOFT, PHASE3_OPT_ALL, 1);
    ck_assert_int_eq(phase3_ops.fault(x.s, p3fx_va(&x, 64), false), -EFAULT);
    ck_assert_int_eq(phase3_ops.fault(x.s, 0, true), -EFAULT);
    ck_assert_int_eq(phase3_ops.trim(x.s, 0), 0);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 0), 0);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), 0);
    p3fx_close(&x);
}
END_TEST

START_TEST(test_bad_config_is_refused_with_a_sentence)
{
    struct stage_config cfg;
    struct stage *s = NULL;
    char err[256] = "";
    stage_config_defaults(&cfg);
    cfg.physical_frames = cfg.virtual_pages + 1;
    ck_assert_int_eq(phase3_ops.create(&cfg, &s, err, sizeof err), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_uint_gt(strlen(err), 0);
    /* cfg.options is stage-specific: phase3 refuses bits it does not
     * define (common/ checks none) */
    stage_config_defaults(&cfg);
    cfg.options = (uint64_t)PHASE3_OPT_ALL + 1;
    ck_assert_int_eq(phase3_ops.create(&cfg, &s, err, sizeof err), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err, "phase3: unknown option bits 0x400");
}
END_TEST

/* A full page file: the write fails with -ENOSPC, the pages stay modified,
 * and once slots are free they are written. */
START_TEST(test_full_pagefile_keeps_pages_modified)
{
    struct p3 x;
    p3fx_open(&x, 64, 16, 64, MACHINE_MMU_SOFT, _i ? PHASE3_OPT_ALL : 0, 1);
    dirty_and_trim(&x, 8, 7);
    uint64_t n = fill_pagefile(&x);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), -ENOSPC);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_MODIFIED), 8);
    free_slots(&x, 0, n);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), 8);
    check_range(&x, 0, 8, 7);
    p3fx_close(&x);
}
END_TEST

/* An injected write error: -EIO, pages stay modified, then written. */
START_TEST(test_write_error_keeps_pages_modified)
{
    struct p3 x;
    p3fx_open(&x, 64, 16, 64, MACHINE_MMU_SOFT, _i ? PHASE3_OPT_ALL : 0, 1);
    dirty_and_trim(&x, 8, 8);
    pagefile_inject_error(x.core->pagefile, PAGEFILE_OP_WRITE, 1, -EIO);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), -EIO);
    ck_assert_uint_eq(pfn_count(&x.core->pfns, PFN_MODIFIED), 8);
    ck_assert_uint_eq(pagefile_in_use(x.core->pagefile), 0);
    p3fx_audit(&x);
    ck_assert_int_eq(phase3_ops.write_modified(x.s, 8), 8);
    check_range(&x, 0, 8, 8);
    p3fx_close(&x);
}
END_TEST

/* A full page file with every frame dirty: faults come back -ENOSPC
 * (inline and with the system threads), never hang, never lose data. */
START_TEST(test_fault_with_no_reclaimable_frame_is_enospc)
{
    struct p3 x;
    p3fx_open(&x, 64, 8, 64, MACHINE_MMU_SOFT, PHASE3_OPT_ALL, 1);
    put_range(&x, 0, 8, 9);
    uint64_t n = fill_pagefile(&x), v;
    ck_assert_int_eq(machine_read64(x.m, p3fx_va(&x, 20), &v), -ENOSPC);
    if (_i) {
        ck_assert_int_eq(phase3_ops.start(x.s), 0);
        ck_assert_int_eq(machine_read64(x.m, p3fx_va(&x, 21), &v), -ENOSPC);
        phase3_ops.stop(x.s);
    }
    free_slots(&x, 0, n);
    check_range(&x, 0, 8, 9);
    ck_assert_uint_eq(p3fx_get(&x, 20), 0);
    p3fx_close(&x);
}
END_TEST

static Suite *make_phase3_suite(void)
{
    Suite *s = suite_create("phase3");
    TCase *core = check_util_tcase(s, "core", "public", 120);
    tcase_add_loop_test(core, test_stress_all_options_keeps_every_stamp, 0,
                        24);
    tcase_add_loop_test(core, test_stress_each_option_off_keeps_every_stamp,
                        0, 20);
    tcase_add_loop_test(core, test_trim_batch_spans_region_boundary, 0, 4);
    tcase_add_test(core, test_write_runs_from_fragmented_bitmap);
    tcase_add_loop_test(core, test_read_ahead_in_sequential_walk, 0, 2);
    tcase_add_loop_test(core, test_read_ahead_stops_at_end_of_range_and_file,
                        0, 2);
    tcase_add_loop_test(core, test_rescue_from_private_cache, 0, 2);
    tcase_add_test(core, test_rescue_from_other_threads_cache);
    tcase_add_test(core, test_thread_exit_returns_cached_frames);
    tcase_add_test(core, test_aging_trims_idle_pages_first);
    tcase_add_test(core, test_aging_threshold_falls_when_pages_are_scarce);
    tcase_add_test(core, test_pfn_record_fits_a_cache_line);
    tcase_add_loop_test(core, test_fault_path_allocates_nothing, 0, 2);
    tcase_add_loop_test(core, test_multi_writer_runs_two_writers, 0, 2);
    tcase_add_loop_test(core, test_direct_reclaim_wakes_no_system_thread, 0, 2);
    tcase_add_loop_test(core, test_read_takes_frame_back_from_writer, 0, 4);
    tcase_add_loop_test(core,
                        test_active_frames_are_on_a_list_only_without_the_option,
                        0, 4);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test(limits, test_fault_outside_range_is_efault);
    tcase_add_test(limits, test_bad_config_is_refused_with_a_sentence);
    tcase_add_loop_test(limits, test_full_pagefile_keeps_pages_modified, 0, 2);
    tcase_add_loop_test(limits, test_write_error_keeps_pages_modified, 0, 2);
    tcase_add_test(limits, test_read_ahead_error_loses_nothing);
    tcase_add_loop_test(limits, test_fault_with_no_reclaimable_frame_is_enospc,
                        0, 2);
    return s;
}

CHECK_MAIN(make_phase3_suite)

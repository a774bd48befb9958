/*
 * check_phase2.c - phase2-locks under concurrency: each race of the spec
 * forced at its exact window with the stage's test hooks, stress runs
 * (1, 2, 4 user threads x hw/soft x every workload pattern, race amplifier
 * on, stamps checked on every access, quiesce/audit/resume while running),
 * clean shutdown and re-creation, lockorder catching an inverted
 * acquisition, and the error paths with the system threads running.
 *
 * The shared transition-by-transition suite is tests/stage
 * (build/tests/check_stage_phase2); this one adds what needs threads.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "bounded_wait.h"
#include "lockorder.h"
#include "p2_fixture.h"

#define PAGES 64
#define FRAMES 8

static const enum machine_mmu mmus[2] = {MACHINE_MMU_HW, MACHINE_MMU_SOFT};

/* ---- a hook that faults a page from inside a race window -------------- */

struct nested {
    struct p2fx *fx;
    uint64_t vpn;       /* fire only when the hooked page is this one */
    bool is_write;
    bool fired;
    int rc;             /* the nested fault's result */
    uint8_t flags_after;/* the frame's flags / state right after it */
    uint8_t state_after;
};

/* Hook: the first time the window opens for n->vpn, fault n->vpn. */
static void nested_fault_hook(void *arg, enum phase2_hook_point point,
                              uint64_t vpn)
{
    struct nested *n = arg;
    (void)point;
    if (n->fired || vpn != n->vpn)
        return;
    n->fired = true;
    n->rc = phase2_ops.fault(n->fx->s, p2fx_va(n->fx, vpn), n->is_write);
    struct pfn *f = p2fx_pfn_of(n->fx, vpn);
    n->flags_after = f->flags;
    n->state_after = f->state;
}

static void assert_lists(struct p2fx *fx, uint64_t nfree, uint64_t active,
                         uint64_t modified, uint64_t standby)
{
    struct pfn_db *db = &fx->core->pfns;
    ck_assert_uint_eq(pfn_count(db, PFN_FREE), nfree);
    ck_assert_uint_eq(pfn_count(db, PFN_ACTIVE), active);
    ck_assert_uint_eq(pfn_count(db, PFN_MODIFIED), modified);
    ck_assert_uint_eq(pfn_count(db, PFN_STANDBY), standby);
}

/* Write stamps 100+v into pages first..first+n-1. */
static void write_pages(struct p2fx *fx, uint64_t first, uint64_t n)
{
    for (uint64_t v = first; v < first + n; v++)
        p2fx_write(fx, v, 100 + v);
}

/* Open the PAGES / FRAMES machine with the smallest page file allowed. */
static void open_tight(struct p2fx *fx, enum machine_mmu mmu)
{
    struct stage_config cfg;
    p2fx_config(&cfg, PAGES, FRAMES, PAGES - FRAMES, mmu);
    p2fx_open_config(fx, &cfg);
}

/* ---- race 1: two faults on the same page ------------------------------- */

/* A second fault on the page lands while the first holds a claimed frame:
 * the second maps it, the first finds it VALID and gives its frame back. */
START_TEST(test_second_fault_finds_page_valid_and_returns_frame)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    struct nested n = {.fx = &fx, .vpn = 5};
    phase2_set_test_hook(fx.s, PHASE2_HOOK_FRAME_CLAIMED, nested_fault_hook, &n);
    ck_assert_int_eq(phase2_ops.fault(fx.s, p2fx_va(&fx, 5), false), 0);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_FRAME_CLAIMED, NULL, NULL);
    ck_assert(n.fired);
    ck_assert_int_eq(n.rc, 0);
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, 5)), PTE_VALID);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_FAULT_ZERO), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_FAULT_SPURIOUS), 1);
    assert_lists(&fx, FRAMES - 1, 1, 0, 0);
    ck_assert_uint_eq(p2fx_read(&fx, 5), 0);
    p2fx_close(&fx);
}
END_TEST

struct herd {
    struct p2fx *fx;
    pthread_barrier_t start;
    unsigned index;
    atomic_uint errors;
};

struct herd_arg {
    struct herd *h;
    unsigned index;
    struct bounded_thread thread;
};

/* Pages the herd faults: each of its 4 threads may hold one claimed frame
 * besides them, so the frames never run out and nothing is trimmed. */
#define HERD_PAGES (FRAMES / 2)

/* A user thread faulting pages 0..HERD_PAGES-1 (reads) from its own
 * offset. */
static void herd_main(void *arg)
{
    struct herd_arg *a = arg;
    struct p2fx *fx = a->h->fx;
    pthread_barrier_wait(&a->h->start);
    for (unsigned k = 0; k < HERD_PAGES; k++) {
        uint64_t vpn = (k + a->index) % HERD_PAGES;
        if (phase2_ops.fault(fx->s, p2fx_va(fx, vpn), false) != 0)
            atomic_fetch_add(&a->h->errors, 1);
    }
}

/* Four threads fault the same pages at once, round after round; each page
 * is resolved exactly once per round and every other fault is spurious. */
START_TEST(test_threads_faulting_same_pages_resolve_each_once)
{
    enum { THREADS = 4, ROUNDS = 20 };
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    p2fx_amplify(&fx);
    struct herd h = {.fx = &fx};
    struct herd_arg args[THREADS];
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t resolved0 = p2fx_stat(&fx, STAT_FAULT_ZERO) +
                             p2fx_stat(&fx, STAT_FAULT_TRANSITION);
        uint64_t spurious0 = p2fx_stat(&fx, STAT_FAULT_SPURIOUS);
        pthread_barrier_init(&h.start, NULL, THREADS);
        for (unsigned i = 0; i < THREADS; i++) {
            args[i] = (struct herd_arg){.h = &h, .index = i};
            ck_assert_int_eq(bounded_thread_start(&args[i].thread, herd_main,
                                                  &args[i]), 0);
        }
        for (unsigned i = 0; i < THREADS; i++)
            ck_assert_msg(bounded_thread_join(&args[i].thread),
                          "round %d: a thread's faults on pages the others "
                          "fault too did not return within %.0f s (seed %llu)",
                          round, bounded_wait_seconds(),
                          (unsigned long long)fx.seed);
        pthread_barrier_destroy(&h.start);
        uint64_t resolved = p2fx_stat(&fx, STAT_FAULT_ZERO) +
                            p2fx_stat(&fx, STAT_FAULT_TRANSITION) - resolved0;
        ck_assert_msg(resolved == HERD_PAGES, "round %d resolved %llu (seed %llu)",
                      round, (unsigned long long)resolved,
                      (unsigned long long)fx.seed);
        ck_assert_uint_eq(p2fx_stat(&fx, STAT_FAULT_SPURIOUS) - spurious0,
                          THREADS * HERD_PAGES - HERD_PAGES);
        assert_lists(&fx, FRAMES - HERD_PAGES, HERD_PAGES, 0, 0);
        p2fx_audit(&fx);
        p2fx_flush(&fx);
    }
    ck_assert_uint_eq(atomic_load(&h.errors), 0);
    p2fx_close(&fx);
}
END_TEST

/* ---- race 2: a page rescued while the writer writes it ----------------- */

/* A read fault rescues the page while the writer writes it: the writer
 * notices REWRITE, frees the slot it wrote, and files the page ACTIVE, not
 * STANDBY. */
START_TEST(test_rescue_during_write_makes_writer_drop_slot)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    p2fx_write(&fx, 0, 0xabc);
    ck_assert_int_eq(phase2_ops.trim(fx.s, FRAMES), 1);
    assert_lists(&fx, FRAMES - 1, 0, 1, 0);
    struct nested n = {.fx = &fx, .vpn = 0};
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WRITE_IN_FLIGHT, nested_fault_hook, &n);
    ck_assert_int_eq(phase2_ops.write_modified(fx.s, 1), 0);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_WRITE_IN_FLIGHT, NULL, NULL);
    ck_assert(n.fired);
    ck_assert_int_eq(n.rc, 0);
    ck_assert_uint_eq(n.flags_after, PFN_FLAG_WRITING | PFN_FLAG_REWRITE);
    ck_assert_uint_eq(n.state_after, PFN_ACTIVE);
    pte_t p = p2fx_pte(&fx, 0);
    ck_assert_int_eq(pte_format(p), PTE_VALID);
    ck_assert(pte_dirty(p) && !pte_writable(p));
    ck_assert_uint_eq(p2fx_pfn_of(&fx, 0)->flags, 0);
    ck_assert_uint_eq(p2fx_pfn_of(&fx, 0)->slot, PAGEFILE_NO_SLOT);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), 0);
    ck_assert_uint_eq(pagefile_pages_moved(fx.core->pagefile, PAGEFILE_OP_WRITE), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_MODIFIED), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_PAGE_WRITE), 0);
    assert_lists(&fx, FRAMES - 1, 1, 0, 0);
    p2fx_audit(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 0xabc);
    p2fx_write(&fx, 0, 0xdef);
    write_pages(&fx, 1, FRAMES + 1); /* pushes page 0 out to the page file */
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, 0)), PTE_DISK);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 0xdef);
    p2fx_close(&fx);
}
END_TEST

/* A user thread's store into page 0 while the writer (the test's thread,
 * in write_modified) holds page 0's write in flight. */
struct blocked_writer {
    struct p2fx *fx;
    bool rescue_first;   /* read-fault page 0 first (from the writer) */
    bool started;        /* the hook ran and started the thread */
    int rescue_rc;       /* that read fault's result */
    unsigned seen;       /* thread.event's bits when the write went on */
    int rc;              /* the store's result */
    struct bounded_thread thread;
};

/* The thread's bit on thread.event: its fault waits for the write. */
#define BLOCKED_WAITING 1u

/* The user thread: store into page 0 (attached to the machine). */
static void blocked_writer_main(void *arg)
{
    struct blocked_writer *b = arg;
    machine_thread_attach(b->fx->m);
    b->rc = machine_write64(b->fx->m, p2fx_va(b->fx, 0), 0xdef);
    machine_thread_detach(b->fx->m);
}

/* WAIT_WRITE hook (user thread): tell the test the fault now waits. */
static void blocked_wait_hook(void *arg, enum phase2_hook_point point,
                              uint64_t vpn)
{
    struct blocked_writer *b = arg;
    (void)point;
    (void)vpn;
    bounded_event_raise(&b->thread.event, BLOCKED_WAITING);
}

/* WRITE_IN_FLIGHT hook (writer = test thread): optionally rescue the page
 * with a read, then start the user thread's store and hold the write until
 * that fault waits for it, or returns (wrong), or the deadline passes
 * (wrong too); the test asserts on what it saw (b->seen). */
static void blocked_start_hook(void *arg, enum phase2_hook_point point,
                               uint64_t vpn)
{
    struct blocked_writer *b = arg;
    (void)point;
    if (b->started || vpn != 0)
        return;
    if (b->rescue_first)
        b->rescue_rc = phase2_ops.fault(b->fx->s, p2fx_va(b->fx, 0), false);
    if (bounded_thread_start(&b->thread, blocked_writer_main, b) != 0)
        return;
    b->started = true;
    b->seen = bounded_event_wait(&b->thread.event,
                                 BLOCKED_WAITING | BOUNDED_THREAD_ENDED);
}

/* Trim page 0 (written with 0xabc) to the modified list, then write it
 * with the blocked writer's hooks on; the user thread is joined.  Returns
 * write_modified's result.  Asserts that the store waited for the write
 * and was woken when it ended, each failure saying what went wrong. */
static int blocked_write(struct p2fx *fx, struct blocked_writer *b)
{
    p2fx_write(fx, 0, 0xabc);
    ck_assert_int_eq(phase2_ops.trim(fx->s, FRAMES), 1);
    phase2_set_test_hook(fx->s, PHASE2_HOOK_WAIT_WRITE, blocked_wait_hook, b);
    phase2_set_test_hook(fx->s, PHASE2_HOOK_WRITE_IN_FLIGHT,
                         blocked_start_hook, b);
    int written = phase2_ops.write_modified(fx->s, 1);
    double secs = bounded_wait_seconds();
    ck_assert_msg(b->started, "the write of modified page 0 never reached "
                  "its WRITE_IN_FLIGHT point (or no thread could start)");
    ck_assert_msg(b->seen & (BLOCKED_WAITING | BOUNDED_THREAD_ENDED),
                  "a store to a page being written neither waited for the "
                  "write nor returned within %.0f s", secs);
    ck_assert_msg(b->seen & BLOCKED_WAITING, "the write fault completed "
                  "without waiting for the write in flight: the page was "
                  "writable while the writer copied it");
    ck_assert_msg(bounded_thread_join(&b->thread), "the write fault that "
                  "waited for the write in flight had not returned %.0f s "
                  "after the write ended: was it woken?", secs);
    phase2_set_test_hook(fx->s, PHASE2_HOOK_WAIT_WRITE, NULL, NULL);
    phase2_set_test_hook(fx->s, PHASE2_HOOK_WRITE_IN_FLIGHT, NULL, NULL);
    ck_assert_int_eq(b->rc, 0);
    return written;
}

/* A write fault on a page whose frame is being written waits for the
 * write (the page is never writable while it is copied), then rescues it
 * from standby, making the just-written slot stale. */
START_TEST(test_write_fault_waits_for_write_in_flight)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    struct blocked_writer b = {.fx = &fx};
    ck_assert_int_eq(blocked_write(&fx, &b), 1);
    pte_t p = p2fx_pte(&fx, 0);
    ck_assert(pte_format(p) == PTE_VALID && pte_writable(p) && pte_dirty(p));
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_PAGE_WRITE), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_STANDBY), 1);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), 0);
    assert_lists(&fx, FRAMES - 1, 1, 0, 0);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 0xdef);
    p2fx_close(&fx);
}
END_TEST

/* A read rescues the page from under the writer (read-only, REWRITE); a
 * store then upgrades it only after the write ended: the writer drops the
 * stale slot and the page ends writable, dirty, slotless. */
START_TEST(test_upgrade_waits_for_write_in_flight)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    struct blocked_writer b = {.fx = &fx, .rescue_first = true};
    ck_assert_int_eq(blocked_write(&fx, &b), 0);
    ck_assert_int_eq(b.rescue_rc, 0);
    pte_t p = p2fx_pte(&fx, 0);
    ck_assert(pte_format(p) == PTE_VALID && pte_writable(p) && pte_dirty(p));
    ck_assert_uint_eq(p2fx_pfn_of(&fx, 0)->slot, PAGEFILE_NO_SLOT);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_MODIFIED), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_FAULT_UPGRADE), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_PAGE_WRITE), 0);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), 0);
    assert_lists(&fx, FRAMES - 1, 1, 0, 0);
    p2fx_audit(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 0xdef);
    write_pages(&fx, 1, FRAMES + 1); /* pushes page 0 out to the page file */
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, 0)), PTE_DISK);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 0xdef);
    p2fx_close(&fx);
}
END_TEST

/* ---- race 3: a standby page repurposed while its owner faults on it ---- */

/* The repurposer snapshots page 0's standby frame; page 0 faults in the
 * window and rescues it; the repurposer's verify fails and it takes the
 * next standby frame (page 1's) instead. */
START_TEST(test_owner_rescues_standby_page_before_repurpose)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    write_pages(&fx, 0, FRAMES);
    p2fx_flush(&fx);
    assert_lists(&fx, 0, 0, 0, FRAMES);
    struct nested n = {.fx = &fx, .vpn = 0};
    phase2_set_test_hook(fx.s, PHASE2_HOOK_REPURPOSE_SNAPSHOT,
                         nested_fault_hook, &n);
    p2fx_write(&fx, FRAMES, 100 + FRAMES);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_REPURPOSE_SNAPSHOT, NULL, NULL);
    ck_assert(n.fired);
    ck_assert_int_eq(n.rc, 0);
    pte_t p0 = p2fx_pte(&fx, 0);
    ck_assert_int_eq(pte_format(p0), PTE_VALID);
    ck_assert(!pte_dirty(p0) && !pte_writable(p0));
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, 1)), PTE_DISK);
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, FRAMES)), PTE_VALID);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_RESCUE_STANDBY), 1);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_REPURPOSE), 1);
    assert_lists(&fx, 0, 2, 0, FRAMES - 2);
    p2fx_audit(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 100);
    ck_assert_uint_eq(p2fx_read(&fx, 1), 101);
    ck_assert_uint_eq(p2fx_read(&fx, FRAMES), 100 + FRAMES);
    p2fx_close(&fx);
}
END_TEST

/* ---- race 4: the trimmer unmapping a page that is being written -------- */

struct racer {
    struct p2fx *fx;
    uint64_t vpn;
    struct bounded_thread thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;  /* times out on CLOCK_MONOTONIC (bounded_wait.h) */
    /* -- under mu -- */
    bool racing;        /* the writer may write */
    bool parked;        /* the writer waits for 'racing' */
    bool quit;
    uint64_t written;   /* last value whose store returned */
    unsigned faults;    /* faults the writer entered on vpn */
    unsigned windows;   /* trim windows the hook held open */
    unsigned stuck_windows; /* ... in which the writer neither stored nor
                               faulted before the deadline */
    unsigned errors;    /* accessor failures */
    unsigned filed_early; /* windows whose frame was already on the
                             modified/standby list before the unmap */
};

/* The user thread: store 1, 2, 3, ... into the page while allowed. */
static void racer_main(void *arg)
{
    struct racer *r = arg;
    machine_thread_attach(r->fx->m);
    uint64_t next = 1;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->racing && !r->quit) {
            r->parked = true;
            pthread_cond_broadcast(&r->cv);
            pthread_cond_wait(&r->cv, &r->mu);
        }
        r->parked = false;
        if (r->quit)
            break;
        pthread_mutex_unlock(&r->mu);
        int rc = machine_write64(r->fx->m, p2fx_va(r->fx, r->vpn), next);
        pthread_mutex_lock(&r->mu);
        if (rc != 0)
            r->errors++;
        else
            r->written = next++;
        pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    machine_thread_detach(r->fx->m);
}

/* FAULT_ENTER hook: count the writer's faults on its page. */
static void racer_fault_hook(void *arg, enum phase2_hook_point point,
                             uint64_t vpn)
{
    struct racer *r = arg;
    (void)point;
    if (vpn != r->vpn || !pthread_equal(pthread_self(), r->thread.tid))
        return;
    pthread_mutex_lock(&r->mu);
    r->faults++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* TRIM_BEFORE_UNMAP hook: the PTE is TRANSITION but the old mapping is
 * still there; let the writer go and hold the window open until it has
 * stored twice through the old mapping (hw) or faulted (soft, or hw after
 * the unmap), or the deadline passed (counted in stuck_windows; the test
 * asserts on it once the trim returned). */
static void racer_window_hook(void *arg, enum phase2_hook_point point,
                              uint64_t vpn)
{
    struct racer *r = arg;
    (void)point;
    if (vpn != r->vpn)
        return;
    /* Still mapped: the frame must not be where the writer or a repurpose
     * can take it (we hold its lock, so its state is stable). */
    struct pfn *f = pfn_get(&r->fx->core->pfns,
                            pte_frame(pte_load(&r->fx->core->ptes[vpn])));
    bool early = f->state == PFN_MODIFIED || f->state == PFN_STANDBY;
    struct timespec deadline = bounded_deadline();
    pthread_mutex_lock(&r->mu);
    r->filed_early += early;
    uint64_t w0 = r->written;
    unsigned f0 = r->faults;
    r->racing = true;
    pthread_cond_broadcast(&r->cv);
    bool moved;
    while (!(moved = r->written >= w0 + 2 || r->faults != f0 ||
                     r->errors != 0) &&
           bounded_cond_wait(&r->cv, &r->mu, &deadline))
        ;
    r->stuck_windows += !moved;
    r->windows++;
    pthread_mutex_unlock(&r->mu);
}

/* Stop the writer and wait until it is parked.  false when it did not
 * park before the deadline (a store of it never returned). */
static bool racer_park(struct racer *r)
{
    struct timespec deadline = bounded_deadline();
    pthread_mutex_lock(&r->mu);
    r->racing = false;
    while (!r->parked && bounded_cond_wait(&r->cv, &r->mu, &deadline))
        ;
    bool parked = r->parked;
    pthread_mutex_unlock(&r->mu);
    return parked;
}

/* Let the writer store n more values, then park it.  false when the
 * stores (or the parking) did not all return before the deadline. */
static bool racer_run(struct racer *r, uint64_t n)
{
    struct timespec deadline = bounded_deadline();
    pthread_mutex_lock(&r->mu);
    uint64_t goal = r->written + n;
    r->racing = true;
    pthread_cond_broadcast(&r->cv);
    while (r->written < goal && r->errors == 0 &&
           bounded_cond_wait(&r->cv, &r->mu, &deadline))
        ;
    bool done = r->written >= goal || r->errors != 0;
    pthread_mutex_unlock(&r->mu);
    return racer_park(r) && done;
}

/* The racer of page 3 on fx, its thread started and parked-to-be. */
static void racer_start(struct racer *r, struct p2fx *fx)
{
    *r = (struct racer){.fx = fx, .vpn = 3};
    pthread_mutex_init(&r->mu, NULL);
    bounded_cond_init(&r->cv);
    pthread_mutex_lock(&r->mu); /* r->thread.tid is set before it races */
    ck_assert_int_eq(bounded_thread_start(&r->thread, racer_main, r), 0);
    pthread_mutex_unlock(&r->mu);
}

/* Tell the parked racer to quit and join it. */
static void racer_quit(struct racer *r)
{
    pthread_mutex_lock(&r->mu);
    r->quit = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    ck_assert_msg(bounded_thread_join(&r->thread), "the parked user thread "
                  "did not exit within %.0f s", bounded_wait_seconds());
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

#define RACER_STUCK "the user thread's store into the page being trimmed " \
                    "has not returned within %.0f s (round %u)"

/* Trim the writer's page while it stores to it, round after round: no
 * store is lost, in memory or after a trip through the page file. */
START_TEST(test_trim_racing_store_loses_no_write)
{
    enum { ROUNDS = 8 };
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    struct racer r;
    racer_start(&r, &fx);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_FAULT_ENTER, racer_fault_hook, &r);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_TRIM_BEFORE_UNMAP,
                         racer_window_hook, &r);
    double secs = bounded_wait_seconds();
    ck_assert_msg(racer_run(&r, 1), RACER_STUCK, secs, 0u);
    for (unsigned round = 1; round <= ROUNDS; round++) {
        for (int k = 0; k < 3 && r.windows < round; k++)
            phase2_ops.trim(fx.s, 1);
        ck_assert_msg(r.stuck_windows == 0, "the user thread neither stored "
                      "through the old mapping nor faulted within %.0f s "
                      "while the trimmer held its page (round %u)", secs,
                      round);
        ck_assert_msg(racer_park(&r), RACER_STUCK, secs, round);
        ck_assert_uint_eq(r.windows, round);
        p2fx_audit(&fx);
        ck_assert_msg(racer_run(&r, 2), RACER_STUCK, secs, round);
    }
    racer_quit(&r);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_FAULT_ENTER, NULL, NULL);
    phase2_set_test_hook(fx.s, PHASE2_HOOK_TRIM_BEFORE_UNMAP, NULL, NULL);
    ck_assert_uint_eq(r.errors, 0);
    ck_assert_msg(r.filed_early == 0, "%u trims put the frame on the "
                  "modified/standby list before unmapping it", r.filed_early);
    ck_assert_uint_eq(p2fx_read(&fx, r.vpn), r.written);
    write_pages(&fx, 8, FRAMES + 1); /* pushes the page to the page file */
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, r.vpn)), PTE_DISK);
    ck_assert_uint_eq(p2fx_read(&fx, r.vpn), r.written);
    p2fx_close(&fx);
}
END_TEST

/* ---- stress ---------------------------------------------------------------- */

static const unsigned stress_threads[3] = {1, 2, 4};

/* _i = threads index * 8 + mmu * 4 + pattern: a short run with the
 * system threads and the race amplifier on, audited while it runs. */
START_TEST(test_stress_threads_mmu_pattern)
{
    unsigned nthreads = stress_threads[_i / 8];
    struct p2fx fx;
    p2fx_open(&fx, 256, 16, mmus[(_i / 4) % 2]);
    p2fx_amplify(&fx);
    struct workload_config w;
    workload_defaults(&w);
    w.pattern = (enum workload_pattern)(_i % 4);
    /* a walk touches a new page every 512 accesses: give it more */
    w.accesses = (w.pattern == WORKLOAD_WALK ? 40000 : 4000) / nthreads;
    w.phase_length = 500;
    w.seed = 1000 + (uint64_t)_i;
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    ck_assert_uint_ge(p2fx_run_audited(&fx, &w, nthreads), 1);
    phase2_ops.stop(fx.s);
    ck_assert_uint_eq(p2fx_stat(&fx, STAT_ACCESSES), w.accesses * nthreads);
    ck_assert_uint_gt(p2fx_stat(&fx, STAT_TRIM), 0);
    p2fx_close(&fx);
}
END_TEST

/* Several user threads with the system threads NOT started: faults that
 * find no frame trim and write inline, concurrently. */
START_TEST(test_inline_work_with_several_user_threads)
{
    struct p2fx fx;
    p2fx_open(&fx, 256, 16, mmus[_i]);
    p2fx_amplify(&fx);
    struct workload_config w;
    workload_defaults(&w);
    w.accesses = 2000;
    w.seed = 77;
    ck_assert_uint_ge(p2fx_run_audited(&fx, &w, 4), 1);
    ck_assert_uint_gt(p2fx_stat(&fx, STAT_PAGE_WRITE), 0);
    p2fx_close(&fx);
}
END_TEST

/* Start and stop are idempotent; the stage can be created and destroyed
 * twice in one process, with the threads running at destroy. */
START_TEST(test_second_create_destroy_after_running_threads)
{
    for (int round = 0; round < 2; round++) {
        struct p2fx fx;
        p2fx_open(&fx, 128, 12, mmus[_i]);
        ck_assert_int_eq(phase2_ops.start(fx.s), 0);
        ck_assert_int_eq(phase2_ops.start(fx.s), 0);
        struct workload_config w;
        workload_defaults(&w);
        w.accesses = 1500;
        w.seed = 5 + (uint64_t)round;
        p2fx_run_audited(&fx, &w, 2);
        phase2_ops.stop(fx.s);
        phase2_ops.stop(fx.s);
        ck_assert_int_eq(phase2_ops.start(fx.s), 0);
        p2fx_audit(&fx);
        machine_thread_detach(fx.m);
        phase2_ops.destroy(fx.s); /* threads still running */
        ck_assert_int_eq(p2fx_open_fds(), fx.fds_before);
    }
}
END_TEST

/* ---- limits ---------------------------------------------------------------- */

/* lockorder aborts on a frame lock then a PTE-region lock. */
START_TEST(test_lockorder_catches_inverted_acquisition)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, MACHINE_MMU_SOFT);
    check_util_expect_death();
    phase2_test_invert_lock_order(fx.s);
}
END_TEST

/* Addresses outside the range are -EFAULT with the threads running. */
START_TEST(test_fault_outside_range_is_efault_with_threads)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    uint64_t end = p2fx_va(&fx, PAGES);
    ck_assert_int_eq(phase2_ops.fault(fx.s, end, false), -EFAULT);
    ck_assert_int_eq(phase2_ops.fault(fx.s, machine_va_base(fx.m) - 8, true),
                     -EFAULT);
    uint64_t v;
    ck_assert_int_eq(machine_read64(fx.m, end, &v), -EFAULT);
    assert_lists(&fx, FRAMES, 0, 0, 0);
    p2fx_close(&fx);
}
END_TEST

/* A failed write leaves the page modified; the writer thread later
 * writes it and every page reads back. */
START_TEST(test_write_error_keeps_page_modified_until_writer_retries)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, mmus[_i]);
    write_pages(&fx, 0, FRAMES);
    ck_assert_int_eq(phase2_ops.trim(fx.s, FRAMES), FRAMES);
    pagefile_inject_error(fx.core->pagefile, PAGEFILE_OP_WRITE, 1, -EIO);
    ck_assert_int_eq(phase2_ops.write_modified(fx.s, 1), -EIO);
    assert_lists(&fx, 0, 0, FRAMES, 0);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), 0);
    p2fx_audit(&fx);
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    write_pages(&fx, FRAMES, 2 * FRAMES);
    for (uint64_t v = 0; v < 3 * FRAMES; v++)
        ck_assert_uint_eq(p2fx_read(&fx, v), 100 + v);
    p2fx_close(&fx);
}
END_TEST

/* A genuinely full page file: a fault that needs a frame while every
 * frame is dirty and every slot taken gets -ENOSPC, from the waiting path
 * (threads running; the fault runs on a thread of its own, so a waiter
 * nobody tells fails the test instead of hanging it) and from the inline
 * path (stopped); nothing is lost. */
START_TEST(test_full_page_file_returns_enospc_to_waiting_fault)
{
    struct p2fx fx;
    open_tight(&fx, mmus[_i]);
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    write_pages(&fx, 0, PAGES);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), PAGES - FRAMES);
    ck_assert_int_eq(p2fx_read_on_own_thread(&fx, 0), -ENOSPC);
    uint64_t v;
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, 0)), PTE_DISK);
    phase2_ops.stop(fx.s);
    /* the same fault doing the work inline gets the same answer */
    ck_assert_int_eq(machine_read64(fx.m, p2fx_va(&fx, 0), &v), -ENOSPC);
    ck_assert_int_eq(pte_format(p2fx_pte(&fx, 0)), PTE_DISK);
    p2fx_audit(&fx);
    ck_assert_uint_eq(p2fx_read(&fx, PAGES - 1), 100 + PAGES - 1);
    p2fx_close(&fx);
}
END_TEST

/* _i: MMU _i % 2; workers running (_i < 2) or not.  A page file of the
 * minimum + 1: clean pages read back hold the spare slot in turn, so the
 * writer often fails for a moment, yet every page can always be served.
 * A fault may return -ENOSPC only when the failure is final, never
 * because another thread's pass failed a moment ago (hot/cold, 70%
 * writes, 4 user threads; stamps checked, audits while it runs). */
START_TEST(test_minimum_page_file_with_workers_never_fails)
{
    struct stage_config cfg;
    struct p2fx fx;
    p2fx_config(&cfg, PAGES, FRAMES, PAGES - FRAMES + 1, mmus[_i % 2]);
    p2fx_open_config(&fx, &cfg);
    if (_i < 2)
        ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    struct workload_config w;
    workload_defaults(&w);
    w.pattern = WORKLOAD_HOTCOLD;
    w.accesses = 3000;
    w.write_percent = 70;
    w.jump_percent = 35;
    w.hot_percent = 20;
    w.hot_access_percent = 80;
    w.seed = 4242 + (uint64_t)_i;
    ck_assert_uint_ge(p2fx_run_audited(&fx, &w, 4), 1);
    ck_assert_uint_gt(p2fx_stat(&fx, STAT_PAGE_WRITE), 0);
    p2fx_close(&fx);
}
END_TEST

/* The page file fills up with the slots of clean pages read back from it;
 * dirty pages must still be written: the writer takes back the slots of
 * the clean active pages (which become dirty) instead of failing. */
START_TEST(test_full_page_file_writer_reclaims_clean_slots)
{
    struct p2fx fx;
    open_tight(&fx, mmus[_i]);
    write_pages(&fx, 0, PAGES - 4);
    for (uint64_t v = 0; v < 4; v++)
        ck_assert_uint_eq(p2fx_read(&fx, v), 100 + v);
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), PAGES - FRAMES);
    for (uint64_t v = 0; v < 4; v++)
        ck_assert(!pte_dirty(p2fx_pte(&fx, v)));
    /* the trimmer trims to its threshold only: the 2 oldest (dirty) pages */
    ck_assert_int_eq(phase2_ops.start(fx.s), 0);
    write_pages(&fx, PAGES - 4, 4);
    phase2_ops.stop(fx.s);
    for (uint64_t v = 0; v < 4; v++) {
        pte_t p = p2fx_pte(&fx, v);
        ck_assert(pte_format(p) != PTE_VALID || pte_dirty(p));
    }
    p2fx_audit(&fx);
    /* every frame now holds a dirty page and every slot a DISK page, so
     * only the resident pages can be read back */
    for (uint64_t v = 0; v < PAGES; v++) {
        if (pte_format(p2fx_pte(&fx, v)) != PTE_DISK)
            ck_assert_uint_eq(p2fx_read(&fx, v), 100 + v);
    }
    ck_assert_uint_eq(pagefile_in_use(fx.core->pagefile), PAGES - FRAMES);
    p2fx_close(&fx);
}
END_TEST

/* Bad configurations are refused with a sentence, nothing allocated. */
START_TEST(test_create_refuses_bad_config)
{
    struct stage_config cfg;
    struct stage *s = NULL;
    char err[256] = "";
    stage_config_defaults(&cfg);
    cfg.physical_frames = cfg.virtual_pages + 1;
    ck_assert_int_eq(phase2_ops.create(&cfg, &s, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_uint_gt(strlen(err), 0);
}
END_TEST

/* The audit names phase2's own violations: a frame in flight while
 * quiescent (_i == 0), a list whose mirrored count is stale (_i == 1).
 * Each state is made by hand on the core (so audit_core still passes),
 * checked, and put back before the fixture's closing audit. */
START_TEST(test_audit_names_phase2_violations)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, MACHINE_MMU_SOFT);
    p2fx_write(&fx, 0, 7);
    struct pfn_db *db = &fx.core->pfns;
    char msg[256] = "", want[256];
    if (_i == 0) {
        struct pfn *f = pfn_pop(db, PFN_FREE);
        f->flags = PFN_FLAG_READING;
        snprintf(want, sizeof want, "frame %llu is claimed or in flight "
                 "while quiescent", (unsigned long long)pfn_number(db, f));
        ck_assert_int_eq(phase2_ops.audit(fx.s, msg, sizeof msg), -1);
        f->flags = 0;
        pfn_link(db, f, PFN_FREE);
    } else {
        pte_t valid = p2fx_pte(&fx, 0);
        struct pfn *f = p2fx_pfn_of(&fx, 0);
        pte_store(&fx.core->ptes[0], pte_make_transition(pte_frame(valid)));
        pfn_move(db, f, PFN_MODIFIED);
        snprintf(want, sizeof want, "the active list counts 0 frames but "
                 "its mirror says 1");
        ck_assert_int_eq(phase2_ops.audit(fx.s, msg, sizeof msg), -1);
        pfn_move(db, f, PFN_ACTIVE);
        pte_store(&fx.core->ptes[0], valid);
    }
    ck_assert_str_eq(msg, want);
    ck_assert_uint_eq(p2fx_read(&fx, 0), 7);
    p2fx_close(&fx);
}
END_TEST

/* Misuse of the test-only API aborts. */
START_TEST(test_hook_at_bad_point_aborts)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, MACHINE_MMU_SOFT);
    check_util_expect_death();
    phase2_set_test_hook(fx.s, PHASE2_HOOK_COUNT, NULL, NULL);
}
END_TEST

START_TEST(test_quiesce_twice_aborts)
{
    struct p2fx fx;
    p2fx_open(&fx, PAGES, FRAMES, MACHINE_MMU_SOFT);
    phase2_quiesce(fx.s);
    check_util_expect_death();
    phase2_quiesce(fx.s);
}
END_TEST

static Suite *make_phase2_suite(void)
{
    Suite *s = suite_create("phase2");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_loop_test(core, test_second_fault_finds_page_valid_and_returns_frame, 0, 2);
    tcase_add_loop_test(core, test_threads_faulting_same_pages_resolve_each_once, 0, 2);
    tcase_add_loop_test(core, test_rescue_during_write_makes_writer_drop_slot, 0, 2);
    tcase_add_loop_test(core, test_write_fault_waits_for_write_in_flight, 0, 2);
    tcase_add_loop_test(core, test_upgrade_waits_for_write_in_flight, 0, 2);
    tcase_add_loop_test(core, test_owner_rescues_standby_page_before_repurpose, 0, 2);
    tcase_add_loop_test(core, test_trim_racing_store_loses_no_write, 0, 2);
    tcase_add_loop_test(core, test_stress_threads_mmu_pattern, 0, 24);
    tcase_add_loop_test(core, test_inline_work_with_several_user_threads, 0, 2);
    tcase_add_loop_test(core, test_second_create_destroy_after_running_threads, 0, 2);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_test_raise_signal(limits, test_lockorder_catches_inverted_acquisition, SIGABRT);
    tcase_add_loop_test(limits, test_fault_outside_range_is_efault_with_threads, 0, 2);
    tcase_add_loop_test(limits, test_write_error_keeps_page_modified_until_writer_retries, 0, 2);
    tcase_add_loop_test(limits, test_full_page_file_returns_enospc_to_waiting_fault, 0, 2);
    tcase_add_loop_test(limits, test_full_page_file_writer_reclaims_clean_slots, 0, 2);
    tcase_add_loop_test(limits, test_minimum_page_file_with_workers_never_fails, 0, 4);
    tcase_add_test(limits, test_create_refuses_bad_config);
    tcase_add_loop_test(limits, test_audit_names_phase2_violations, 0, 2);
    tcase_add_test_raise_signal(limits, test_hook_at_bad_point_aborts, SIGABRT);
    tcase_add_test_raise_signal(limits, test_quiesce_twice_aborts, SIGABRT);
    return s;
}

CHECK_MAIN(make_phase2_suite)
